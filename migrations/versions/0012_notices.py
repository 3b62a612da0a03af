"""notices: each user's delivery choice per kind of notice (at once, daily digest, app only),
notices waiting for a digest, and the memberships whose end was announced

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "delivery IN ('immediately', 'digest', 'app')", name=op.f("ck_notice_preferences_delivery_valid")
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notice_preferences_user_id_users"), ondelete="CASCADE"
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notice_preferences")),
    )
    op.create_table(
        "membership_ending_notices",
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_membership_ending_notices_membership_id_memberships"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("membership_id", "left_on", name=op.f("pk_membership_ending_notices")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=8), nullable=True))
        batch_op.create_index("ix_notifications_digest", ["user_id", "id"], unique=False,
                              sqlite_where=sa.text("digest = 'pending'"),
                              postgresql_where=sa.text("digest = 'pending'"))  # fmt: skip


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_digest")
        batch_op.drop_column("digest")
    op.drop_table("membership_ending_notices")
    op.drop_table("notice_preferences")
