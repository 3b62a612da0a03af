"""public changes index: the home page's latest changes read the newest public audit rows in order

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# As in network.models.audit.PUBLIC_CHANGE at the time of writing (a migration does not import models).
PUBLIC_CHANGE = (
    "entity_type IN ('organizations', 'organization_identifiers', 'memberships', 'projects', "
    "'project_participants', 'outcome_reports', 'partnerships', 'initiatives', 'participants', "
    "'initiative_projects')"
)


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_public",
            ["id"],
            unique=False,
            sqlite_where=sa.text(PUBLIC_CHANGE),
            postgresql_where=sa.text(PUBLIC_CHANGE),
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_public")
