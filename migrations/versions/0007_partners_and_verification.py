"""partners and verification: answers recorded for organisations without accounts, proposed
project participants and project links, outcome reports reviewed by a verifier, evidence files

Rows that exist already stay as they were: participants and links confirmed, and reports marked
verified before verifiers existed keep that (review_status "verified", no reviewer recorded).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer_how", sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_participants_answer_recorded_by_id_users"), "users", ["answer_recorded_by_id"], ["id"]
        )

    with op.batch_alter_table("initiative_projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="confirmed", nullable=False))
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_initiative_projects_confirmed_by_id_users"), "users", ["confirmed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_initiative_projects_status_valid"), "status IN ('proposed', 'confirmed')"
        )

    with op.batch_alter_table("project_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="confirmed", nullable=False))
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_project_participants_confirmed_by_id_users"), "users", ["confirmed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_project_participants_status_valid"), "status IN ('proposed', 'confirmed')"
        )

    with op.batch_alter_table("outcome_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_status", sa.String(length=10), server_default="draft", nullable=False))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outcome_reports_submitted_by_id_users"), "users", ["submitted_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outcome_reports_reviewed_by_id_users"), "users", ["reviewed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_outcome_reports_review_status_valid"),
            "review_status IN ('draft', 'submitted', 'verified', 'returned')",
        )
    op.execute("UPDATE outcome_reports SET review_status = 'verified' WHERE basis = 'verified'")

    op.create_table(
        "outcome_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("size >= 0", name=op.f("ck_outcome_evidence_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["outcome_reports.id"],
            name=op.f("fk_outcome_evidence_report_id_outcome_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_outcome_evidence_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_outcome_evidence_stored_name")),
    )
    with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_evidence_report_id"), ["report_id"], unique=False)


def downgrade():
    with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_evidence_report_id"))
    op.drop_table("outcome_evidence")

    with op.batch_alter_table("outcome_reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outcome_reports_review_status_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_outcome_reports_reviewed_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_outcome_reports_submitted_by_id_users"), type_="foreignkey")
        for column in ("review_comment", "reviewed_by_id", "reviewed_at", "submitted_by_id", "submitted_at",
                       "review_status"):  # fmt: skip
            batch_op.drop_column(column)

    for table in ("project_participants", "initiative_projects"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_status_valid"), type_="check")
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_confirmed_by_id_users"), type_="foreignkey")
            for column in ("confirmed_at", "confirmed_by_id", "status"):
                batch_op.drop_column(column)

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_participants_answer_recorded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("answer_how")
        batch_op.drop_column("answer_recorded_by_id")
