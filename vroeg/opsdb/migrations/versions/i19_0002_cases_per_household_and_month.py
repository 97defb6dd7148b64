"""cases: one per household and month, not one per printed copy of a list (issue 19)

Revision ID: i19_0002
Revises: i19_0001
Create Date: 2026-12-05 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "i19_0002"
down_revision = "i19_0001"
branch_labels = None
depends_on = None

# Lightweight tables with their types, so that moments come back as datetimes on SQLite too (a
# migration is a snapshot of its time: it does not import today's models).
CASES = sa.table(
    "cases", sa.column("id", sa.String), sa.column("gemeente", sa.String),
    sa.column("period", sa.String), sa.column("huishouden_pseudoniem", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("opgepakt_op", sa.Date),
    sa.column("eindresultaat", sa.String),
    sa.column("eindresultaat_op", sa.DateTime(timezone=True)),
    sa.column("eindresultaat_door", sa.String), sa.column("publication_id", sa.Integer),
    sa.column("run_id", sa.String), sa.column("wijkteam", sa.String),
    sa.column("regel", sa.Integer), sa.column("rang", sa.Integer))
ATTEMPTS = sa.table("contact_attempts", sa.column("case_id", sa.String))
PUBLICATIONS = sa.table(
    "publications", sa.column("id", sa.Integer), sa.column("gemeente", sa.String),
    sa.column("period", sa.String), sa.column("run_id", sa.String),
    sa.column("wijkteam", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
LINES = sa.table(
    "publication_households", sa.column("publication_id", sa.Integer),
    sa.column("regel", sa.Integer), sa.column("rang", sa.Integer),
    sa.column("huishouden_pseudoniem", sa.String))


def _merge_split_cases(connection) -> None:
    """Before this revision a re-published list started with empty cases, so one household
    could have a case per version of the same month. Each group becomes its earliest case (the
    case began then, and its id is the one a DDAS export may already have sent)."""
    c = CASES.c
    rows = connection.execute(sa.select(CASES).order_by(
        c.gemeente, c.period, c.huishouden_pseudoniem, c.created_at, c.id)).all()
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.gemeente, row.period, row.huishouden_pseudoniem), []).append(row)
    for survivor, *others in groups.values():
        if not others:
            continue
        group = [survivor, *others]
        gone = [row.id for row in others]
        # Every contact attempt stays: they all happened, whichever copy they were typed on.
        connection.execute(sa.update(ATTEMPTS).where(ATTEMPTS.c.case_id.in_(gone))
                           .values(case_id=survivor.id))
        # opgepakt_op is DDAS's datumOpgepakt, the day the municipality first acted on the
        # household: the earliest of the copies' dates.
        started = [row.opgepakt_op for row in group if row.opgepakt_op is not None]
        # An end result is replaced by a later choice (vroeg.opsdb.cases.record_end_result), so
        # the most recently recorded one is what the team decided last.
        closed = [row for row in group if row.eindresultaat is not None]
        last = max(closed, key=lambda row: (row.eindresultaat_op is not None,
                                            row.eindresultaat_op or 0)) if closed else None
        connection.execute(sa.update(CASES).where(c.id == survivor.id).values(
            opgepakt_op=min(started) if started else None,
            eindresultaat=last.eindresultaat if last else None,
            eindresultaat_op=last.eindresultaat_op if last else None,
            eindresultaat_door=last.eindresultaat_door if last else None))
        connection.execute(sa.delete(CASES).where(c.id.in_(gone)))


def _point_to_newest_list(connection) -> None:
    """A case describes the newest list its household stands on that month (team, line, rank),
    as publishing keeps it from this revision on."""
    c, p, h = CASES.c, PUBLICATIONS.c, LINES.c
    found = connection.execute(
        sa.select(c.id.label("case_id"), p.id, p.run_id, p.wijkteam, h.regel, h.rang)
        .select_from(CASES.join(LINES, h.huishouden_pseudoniem == c.huishouden_pseudoniem)
                     .join(PUBLICATIONS, sa.and_(p.id == h.publication_id,
                                                 p.gemeente == c.gemeente,
                                                 p.period == c.period)))
        .order_by(c.id, p.created_at, p.id)).all()
    newest = {row.case_id: row for row in found}  # the last row per case wins
    if newest:
        connection.execute(
            sa.update(CASES).where(c.id == sa.bindparam("case"))
            .values(publication_id=sa.bindparam("pub"), run_id=sa.bindparam("run"),
                    wijkteam=sa.bindparam("team"), regel=sa.bindparam("line"),
                    rang=sa.bindparam("rank")),
            [{"case": row.case_id, "pub": row.id, "run": row.run_id, "team": row.wijkteam,
              "line": row.regel, "rank": row.rang} for row in newest.values()])


def upgrade() -> None:
    connection = op.get_bind()
    _merge_split_cases(connection)
    _point_to_newest_list(connection)
    # SQLite cannot change a constraint in place: batch mode copies the table (db.migrate turns
    # SQLite's foreign keys off meanwhile, so the copy keeps the contact attempts pointing to it).
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_constraint("uq_cases_publication_household", type_="unique")
        batch_op.create_unique_constraint(
            "uq_cases_household_period", ["gemeente", "period", "huishouden_pseudoniem"])


def downgrade() -> None:
    # Merged cases stay merged: one case per household and month is also one per copy.
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_constraint("uq_cases_household_period", type_="unique")
        batch_op.create_unique_constraint(
            "uq_cases_publication_household", ["publication_id", "huishouden_pseudoniem"])
