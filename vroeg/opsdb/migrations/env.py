"""Alembic environment: run by vroeg.opsdb.db.migrate with a connection already open."""

from alembic import context

from vroeg.opsdb.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
