"""not duplicates: pairs of organisations a coordinator found distinct (the duplicates queue skips them)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "not_duplicates",
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_id < second_id", name=op.f("ck_not_duplicates_ordered")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_not_duplicates_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["organizations.id"],
            name=op.f("fk_not_duplicates_first_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["organizations.id"],
            name=op.f("fk_not_duplicates_second_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("first_id", "second_id", name=op.f("pk_not_duplicates")),
    )
    with op.batch_alter_table("not_duplicates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_not_duplicates_second_id"), ["second_id"], unique=False)


def downgrade():
    with op.batch_alter_table("not_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_not_duplicates_second_id"))

    op.drop_table("not_duplicates")
