"""search index: FTS5 on SQLite; tsvector + GIN and pg_trgm on PostgreSQL

Hand-written (autogenerate ignores every object named search_*). Python decides the tokens
(network.services.search.text); the database stores and matches them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENTITIES = ("organization", "project", "initiative")


def upgrade():
    # A random value replaced in the same transaction as every indexed write: each worker's
    # in-memory facet index knows it is stale when the value differs from the one it was built at.
    op.execute("CREATE TABLE search_state (id INTEGER PRIMARY KEY, generation BIGINT NOT NULL)")
    op.execute("INSERT INTO search_state (id, generation) VALUES (1, 0)")
    # Which organisations each generation changed (NULL: anything may have), so a worker can patch
    # its facet index instead of rebuilding it; only the last generations are kept.
    op.execute("CREATE TABLE search_changes (generation BIGINT NOT NULL, organization_id INTEGER)")
    op.execute("CREATE INDEX search_changes_generation ON search_changes (generation)")
    if op.get_bind().dialect.name == "sqlite":
        for entity in ENTITIES:
            # rowid is the entity id; "names" ranks above "body".
            op.execute(
                f"CREATE VIRTUAL TABLE search_{entity}_fts USING fts5("
                "names, body, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')"
            )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for entity in ENTITIES:
            op.execute(
                f"CREATE TABLE search_{entity}_documents ("
                f"{entity}_id INTEGER PRIMARY KEY, names TSVECTOR NOT NULL, doc TSVECTOR NOT NULL, "
                "name TEXT NOT NULL)"
            )
            op.execute(f"CREATE INDEX search_{entity}_documents_doc ON search_{entity}_documents USING gin (doc)")
        op.execute(
            "CREATE INDEX search_organization_documents_name_trgm "
            "ON search_organization_documents USING gin (name gin_trgm_ops)"
        )


def downgrade():
    for entity in ENTITIES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TABLE IF EXISTS search_{entity}_fts")
        else:
            op.execute(f"DROP TABLE IF EXISTS search_{entity}_documents")
    op.execute("DROP TABLE IF EXISTS search_changes")
    op.execute("DROP TABLE IF EXISTS search_state")
