"""direct edit fields: which profile fields the members of a node's organisations edit directly,
without a coordinator's approval (comma-separated field names; empty: every change is reviewed)

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


def downgrade():
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_column("direct_edit_fields")
