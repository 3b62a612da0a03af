"""activities.params: a note the system writes (a mailing sent) as a message and its values, so it
is shown in the reader's language; the subject keeps it in the site's default language

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("params")
