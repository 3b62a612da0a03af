"""direct edit fields: which profile fields the members of a node's organisations edit directly,
without a coordinator's approval (comma-separated field names; empty: every change is reviewed);
memberships.left_on indexed (the start page and the top bar count memberships ending soon)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direct_edit_fields", sa.String(length=200), server_default="", nullable=False))
    op.create_index("ix_memberships_left_on", "memberships", ["left_on"])


def downgrade():
    op.drop_index("ix_memberships_left_on", table_name="memberships")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_column("direct_edit_fields")
