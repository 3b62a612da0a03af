"""tags: named lists of organisations, of a network node or network-wide

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_tags_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_tags_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
    )  # fmt: skip
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_tags_network_id"), ["network_id"], unique=False)
    op.create_table(
        "organization_tags",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_organization_tags_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_organization_tags_tag_id_tags"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "tag_id", name=op.f("pk_organization_tags")),
    )  # fmt: skip
    with op.batch_alter_table("organization_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organization_tags_tag_id"), ["tag_id"], unique=False)


def downgrade():
    op.drop_table("organization_tags")
    op.drop_table("tags")
