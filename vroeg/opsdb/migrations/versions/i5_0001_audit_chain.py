"""audit trail: hash chain, append-only triggers, retention cuts, key rotation state

Revision ID: i5_0001
Revises: 0001
Create Date: 2026-11-23

The audit_log becomes append-only in the database itself: UPDATE is always refused, and DELETE is
refused except for lines at or below a recorded retention cut (audit_cuts), which is how the
retention flow removes lines past the audit trail's term. audit_cuts is append-only too. On
PostgreSQL TRUNCATE is refused as well. Tampering by someone who drops the triggers is caught by
the hash chain (`vroeg audit verify`).
"""
import sqlalchemy as sa
from alembic import op

revision = "i5_0001"
down_revision = "i6_0001"
branch_labels = None
depends_on = None

_REFUSE = "audit_log is alleen-toevoegen: regels wijzigen of verwijderen is niet toegestaan"
_REFUSE_CUT = "audit_cuts is alleen-toevoegen"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_log_geen_wijziging BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END""",
    f"""CREATE TRIGGER audit_log_geen_verwijdering BEFORE DELETE ON audit_log
        WHEN OLD.id > coalesce((SELECT max(upto_id) FROM audit_cuts
                                WHERE audit_cuts.gemeente = OLD.gemeente), 0)
        BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END""",
    f"""CREATE TRIGGER audit_cuts_geen_wijziging BEFORE UPDATE ON audit_cuts
        BEGIN SELECT RAISE(ABORT, '{_REFUSE_CUT}'); END""",
    f"""CREATE TRIGGER audit_cuts_geen_verwijdering BEFORE DELETE ON audit_cuts
        BEGIN SELECT RAISE(ABORT, '{_REFUSE_CUT}'); END""",
]

POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION vroeg_audit_alleen_toevoegen() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_log' AND OLD.id <= coalesce(
                (SELECT max(upto_id) FROM audit_cuts WHERE audit_cuts.gemeente = OLD.gemeente), 0)
            THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% (% op %)', '{_REFUSE}', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER audit_log_alleen_toevoegen BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION vroeg_audit_alleen_toevoegen()""",
    """CREATE TRIGGER audit_log_geen_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION vroeg_audit_alleen_toevoegen()""",
    """CREATE TRIGGER audit_cuts_alleen_toevoegen BEFORE UPDATE OR DELETE ON audit_cuts
        FOR EACH ROW EXECUTE FUNCTION vroeg_audit_alleen_toevoegen()""",
    """CREATE TRIGGER audit_cuts_geen_truncate BEFORE TRUNCATE ON audit_cuts
        FOR EACH STATEMENT EXECUTE FUNCTION vroeg_audit_alleen_toevoegen()""",
]


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("line_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("key_version", sa.Integer(), nullable=True))
        batch_op.create_index("ux_audit_log_gemeente_seq", ["gemeente", "seq"], unique=True)

    op.create_table(
        "audit_chain_head",
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("line_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gemeente"),
    )
    op.create_table(
        "audit_cuts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("upto_seq", sa.BigInteger(), nullable=False),
        sa.Column("upto_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cut_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_cuts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_cuts_gemeente"), ["gemeente"], unique=False)

    op.create_table(
        "key_rotations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("key_rotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_rotations_gemeente"), ["gemeente"], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("audit_log_geen_wijziging", "audit_log_geen_verwijdering",
                     "audit_cuts_geen_wijziging", "audit_cuts_geen_verwijdering"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name, table in (("audit_log_alleen_toevoegen", "audit_log"),
                            ("audit_log_geen_truncate", "audit_log"),
                            ("audit_cuts_alleen_toevoegen", "audit_cuts"),
                            ("audit_cuts_geen_truncate", "audit_cuts")):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS vroeg_audit_alleen_toevoegen()")
    with op.batch_alter_table("key_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_rotations_gemeente"))
    op.drop_table("key_rotations")
    with op.batch_alter_table("audit_cuts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_cuts_gemeente"))
    op.drop_table("audit_cuts")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ux_audit_log_gemeente_seq")
        batch_op.drop_column("key_version")
        batch_op.drop_column("line_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
