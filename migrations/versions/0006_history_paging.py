"""history paging: the audit trail, notices and import log are paged by (at, id) cursors, and
notices store their kind and parameters instead of English text

Every index a page reads ends in the order it shows (at, id), so a page seeks to its cursor and
stops. Old notices keep their message (shown as it is); new ones have a kind and parameters and
no message.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AUDIT_INDEXES = {
    "ix_audit_events_entity": (["entity_type", "entity_id"], ["entity_type", "entity_id", "at", "id"]),
    "ix_audit_events_at": (["at"], ["at", "id"]),
    "ix_audit_events_actor_id": (["actor_id"], ["actor_id", "at", "id"]),
}
NEW_AUDIT_INDEXES = {
    "ix_audit_events_type_at": ["entity_type", "at", "id"],
    "ix_audit_events_action_at": ["action", "at", "id"],
}


def upgrade():
    for name, (_, columns) in AUDIT_INDEXES.items():
        op.drop_index(name, table_name="audit_events")
        op.create_index(name, "audit_events", columns)
    for name, columns in NEW_AUDIT_INDEXES.items():
        op.create_index(name, "audit_events", columns)
    op.drop_index("ix_import_jobs_user_id", table_name="import_jobs")
    op.create_index("ix_import_jobs_user_id", "import_jobs", ["user_id", "id"])
    op.create_index("ix_import_jobs_status", "import_jobs", ["status", "user_id"])
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.alter_column("message", existing_type=sa.String(length=500), nullable=True)
        batch_op.drop_index("ix_notifications_user_id")
        batch_op.create_index("ix_notifications_user_id", ["user_id", "created_at", "id"])
        batch_op.create_index(
            "ix_notifications_unread",
            ["user_id", "id"],
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        )


def downgrade():
    # Notices that have only a kind get an empty message back (the old schema requires one).
    op.execute("UPDATE notifications SET message = '' WHERE message IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_unread")
        batch_op.drop_index("ix_notifications_user_id")
        batch_op.create_index("ix_notifications_user_id", ["user_id"])
        batch_op.alter_column("message", existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column("params")
        batch_op.drop_column("kind")
    op.drop_index("ix_import_jobs_status", table_name="import_jobs")
    op.drop_index("ix_import_jobs_user_id", table_name="import_jobs")
    op.create_index("ix_import_jobs_user_id", "import_jobs", ["user_id"])
    for name in NEW_AUDIT_INDEXES:
        op.drop_index(name, table_name="audit_events")
    for name, (columns, _) in AUDIT_INDEXES.items():
        op.drop_index(name, table_name="audit_events")
        op.create_index(name, "audit_events", columns)
