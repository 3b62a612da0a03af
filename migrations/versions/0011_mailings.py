"""mailings: messages to the people of selected organisations, one delivery row per recipient;
people's mail consent, language, unsubscribe and bounce

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_consent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("base_url", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'sending', 'sent')", name=op.f("ck_mailings_status_valid")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_mailings_network_id_networks")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_mailings_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_mailings_sent_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailings")),
    )  # fmt: skip
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailings_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailings_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailings_updated_at"), ["updated_at"], unique=False)
    op.create_table(
        "mailing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'unsubscribed', 'excluded')",
                           name=op.f("ck_mailing_deliveries_status_valid")),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailings.id"], name=op.f("fk_mailing_deliveries_mailing_id_mailings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_mailing_deliveries_person_id_people"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_mailing_deliveries_organization_id_organizations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_deliveries")),
        sa.UniqueConstraint("mailing_id", "person_id", name=op.f("uq_mailing_deliveries_mailing_id_person_id")),
    )  # fmt: skip
    with op.batch_alter_table("mailing_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_mailing_deliveries_mailing_id_status", ["mailing_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailing_deliveries_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailing_deliveries_organization_id"), ["organization_id"], unique=False)


def downgrade():
    op.drop_table("mailing_deliveries")
    op.drop_table("mailings")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("unsubscribed_at")
        batch_op.drop_column("language")
        batch_op.drop_column("mail_consent")
