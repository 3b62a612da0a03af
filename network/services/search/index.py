"""The full-text index: what each document holds, how it is written and matched on each database,
and the session hook that keeps it in step with every ORM write.

Documents are rows of search_<entity>_fts (SQLite FTS5, rowid = entity id) or
search_<entity>_documents (PostgreSQL tsvector). Both hold the tokens of network.services.search.
text, so both databases match the same documents. Every indexed write also replaces
search_state.generation, which tells each worker's in-memory facet index that it is stale.
"""

# ruff: noqa: S608  (SQL strings here take table names from ENTITIES and ids through int(); no user text)

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from network.models import (
    Initiative,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    Partnership,
    Project,
    ProjectParticipant,
    Region,
    Theme,
)
from network.services.search.text import index_tokens, is_cjk

ENTITIES = ("organization", "project", "initiative")
CHUNK = 500
# (entity id, name tokens, all tokens, display name folded for trigram matching)
Document = tuple[int, list[str], list[str], str]


def chunks(ids: Iterable[int], size: int = CHUNK):
    ids = sorted(set(ids))
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _in(column: str, ids: Sequence[int]) -> str:
    # ids are ints from the database, never user input.
    return f"{column} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"


# --- what each document holds ---------------------------------------------------------------


def organization_documents(conn: Connection, ids: Sequence[int]) -> tuple[list[Document], list[int]]:
    """Documents of the given organisations, and the ids that must have none (archived, merged, gone)."""
    rows = conn.execute(
        text(
            "SELECT id, name, name_local, acronym, description, website, archived_at, merged_into_id "
            f"FROM organizations WHERE {_in('id', ids)}"
        )
    ).all()
    extra: dict[int, list[str]] = defaultdict(list)
    for org_id, value in conn.execute(
        text(f"SELECT organization_id, value FROM organization_identifiers WHERE {_in('organization_id', ids)}")
    ):
        extra[org_id].append(value)
    # Titles of the projects it leads or takes part in.
    for org_id, title, title_local in conn.execute(
        text(
            "SELECT p.lead_organization_id, p.title, p.title_local FROM projects p "
            f"WHERE p.archived_at IS NULL AND {_in('p.lead_organization_id', ids)} "
            "UNION ALL SELECT pp.organization_id, p.title, p.title_local FROM project_participants pp "
            "JOIN projects p ON p.id = pp.project_id "
            f"WHERE p.archived_at IS NULL AND {_in('pp.organization_id', ids)}"
        )
    ):
        extra[org_id] += [title, title_local or ""]
    # Names of its partners (NGO ↔ firm): searching a firm's name finds the NGOs it works with.
    for org_id, name, acronym in conn.execute(
        text(
            "SELECT pa.org_a_id, o.name, o.acronym FROM partnerships pa JOIN organizations o ON o.id = pa.org_b_id "
            f"WHERE pa.archived_at IS NULL AND {_in('pa.org_a_id', ids)} "
            "UNION ALL SELECT pa.org_b_id, o.name, o.acronym FROM partnerships pa "
            "JOIN organizations o ON o.id = pa.org_a_id "
            f"WHERE pa.archived_at IS NULL AND {_in('pa.org_b_id', ids)}"
        )
    ):
        extra[org_id] += [name, acronym or ""]
    documents, absent = [], set(ids)
    for org_id, name, name_local, acronym, description, website, archived_at, merged_into_id in rows:
        if archived_at is not None or merged_into_id is not None:
            continue
        absent.discard(org_id)
        names = index_tokens(name, name_local, acronym)
        body = index_tokens(description, website, *extra[org_id])
        documents.append((org_id, names, body, " ".join(t for t in names if not is_cjk(t))))
    return documents, sorted(absent)


def project_documents(conn: Connection, ids: Sequence[int]) -> tuple[list[Document], list[int]]:
    rows = conn.execute(
        text(
            "SELECT p.id, p.title, p.title_local, p.summary, p.archived_at, o.name, o.acronym FROM projects p "
            f"JOIN organizations o ON o.id = p.lead_organization_id WHERE {_in('p.id', ids)}"
        )
    ).all()
    documents, absent = [], set(ids)
    for project_id, title, title_local, summary, archived_at, org_name, org_acronym in rows:
        if archived_at is not None:
            continue
        absent.discard(project_id)
        names = index_tokens(title, title_local)
        documents.append((project_id, names, index_tokens(summary, org_name, org_acronym), ""))
    return documents, sorted(absent)


def initiative_documents(conn: Connection, ids: Sequence[int]) -> tuple[list[Document], list[int]]:
    rows = conn.execute(
        text(f"SELECT id, title, title_local, goal, description, archived_at FROM initiatives WHERE {_in('id', ids)}")
    ).all()
    documents, absent = [], set(ids)
    for initiative_id, title, title_local, goal, description, archived_at in rows:
        if archived_at is not None:
            continue
        absent.discard(initiative_id)
        documents.append((initiative_id, index_tokens(title, title_local), index_tokens(goal, description), ""))
    return documents, sorted(absent)


DOCUMENT_BUILDERS = {
    "organization": organization_documents,
    "project": project_documents,
    "initiative": initiative_documents,
}


# --- the two backends -----------------------------------------------------------------------


class SQLiteBackend:
    """FTS5 tables; a query is "tok"* AND "tok"* (tokens are plain word characters)."""

    @staticmethod
    def write(conn: Connection, entity: str, ids: Sequence[int], documents: list[Document]) -> None:
        conn.execute(text(f"DELETE FROM search_{entity}_fts WHERE {_in('rowid', ids)}"))
        if documents:
            conn.execute(
                text(f"INSERT INTO search_{entity}_fts (rowid, names, body) VALUES (:id, :names, :body)"),
                [{"id": d[0], "names": " ".join(d[1]), "body": " ".join(d[1] + d[2])} for d in documents],
            )

    @staticmethod
    def clear(conn: Connection, entity: str) -> None:
        conn.execute(text(f"DELETE FROM search_{entity}_fts"))

    @staticmethod
    def expression(tokens: list[str]) -> str:
        # A one-letter word is matched whole: as a prefix it would merge nearly every doclist.
        return " AND ".join(f'"{t}"' if len(t) == 1 and t.isascii() else f'"{t}"*' for t in tokens)

    def match_sql(self, entity: str, tokens: list[str], names_only: bool = False) -> tuple[str, dict]:
        """A subquery selecting the ids of matching documents."""
        expression = self.expression(tokens)
        if names_only:
            expression = "{names} : (" + expression + ")"
        return f"SELECT rowid AS id FROM search_{entity}_fts WHERE search_{entity}_fts MATCH :fts", {"fts": expression}

    @staticmethod
    def joined(column: str) -> str:
        """An aggregate of a column's values as one comma-separated string (NULL for no rows)."""
        return f"group_concat({column})"

    @staticmethod
    def similar_names(conn: Connection, folded_query: str, limit: int) -> list[int] | None:
        return None  # computed in memory over the facet index's names (rapidfuzz)


class PostgresBackend:
    """tsvector documents built from the same tokens (array_to_tsvector: no parser in between)."""

    @staticmethod
    def write(conn: Connection, entity: str, ids: Sequence[int], documents: list[Document]) -> None:
        # An upsert, not delete-then-insert: two transactions rewriting one document (two projects of
        # one organisation edited at once) would both insert it after their deletes, and the second
        # would fail on the primary key. Here the second waits for the first's row lock and updates;
        # rows go in id order, so two writers lock shared documents in one order (no deadlock).
        documents = sorted(documents)
        written = {d[0] for d in documents}
        absent = [i for i in ids if i not in written]
        if absent:
            conn.execute(text(f"DELETE FROM search_{entity}_documents WHERE {_in(f'{entity}_id', absent)}"))
        if documents:
            conn.execute(
                text(
                    f"INSERT INTO search_{entity}_documents ({entity}_id, names, doc, name) "
                    "VALUES (:id, array_to_tsvector(CAST(:names AS text[])), "
                    "array_to_tsvector(CAST(:doc AS text[])), :name) "
                    f"ON CONFLICT ({entity}_id) DO UPDATE SET names = excluded.names, doc = excluded.doc, "
                    "name = excluded.name"
                ),
                [{"id": d[0], "names": d[1], "doc": list(dict.fromkeys(d[1] + d[2])), "name": d[3]} for d in documents],
            )

    @staticmethod
    def clear(conn: Connection, entity: str) -> None:
        conn.execute(text(f"DELETE FROM search_{entity}_documents"))

    @staticmethod
    def expression(tokens: list[str]) -> str:
        return " & ".join(f"'{t}'" if len(t) == 1 and t.isascii() else f"'{t}':*" for t in tokens)

    def match_sql(self, entity: str, tokens: list[str], names_only: bool = False) -> tuple[str, dict]:
        column = "names" if names_only else "doc"
        return (
            f"SELECT {entity}_id AS id FROM search_{entity}_documents WHERE {column} @@ CAST(:tsq AS tsquery)",
            {"tsq": self.expression(tokens)},
        )

    def match_ranked_sql(self, entity: str, tokens: list[str]) -> tuple[str, dict]:
        """(id, matched in names) of matching documents in one pass over the GIN index (a separate
        names @@ query would scan every row: names has no index)."""
        return (
            f"SELECT {entity}_id AS id, CAST(names @@ CAST(:tsq AS tsquery) AS integer) AS in_names "
            f"FROM search_{entity}_documents WHERE doc @@ CAST(:tsq AS tsquery)",
            {"tsq": self.expression(tokens)},
        )

    @staticmethod
    def joined(column: str) -> str:
        return f"string_agg(CAST({column} AS text), ',')"

    @staticmethod
    def similar_names(conn: Connection, folded_query: str, limit: int) -> list[int] | None:
        """pg_trgm: names sharing most trigrams with the query (its GIN index answers <%)."""
        rows = conn.execute(
            text(
                "SELECT organization_id FROM search_organization_documents WHERE :q <% name "
                "ORDER BY word_similarity(:q, name) DESC, organization_id LIMIT :limit"
            ),
            {"q": folded_query, "limit": limit},
        )
        return [r[0] for r in rows]


def backend_for(conn: Connection) -> SQLiteBackend | PostgresBackend:
    return SQLiteBackend() if conn.dialect.name == "sqlite" else PostgresBackend()


# --- keeping it in step ---------------------------------------------------------------------


# A generation is (sequence << 30) + 30 random bits: the sequence orders the change log, the random
# part keeps a number that a rolled-back transaction used from meaning the same state again.
SEQUENCE_STEP = 1 << 30
KEEP_GENERATIONS = 10_000  # change log kept; a worker further behind rebuilds its index fully
PRUNE_EVERY = 100
MAX_LOGGED = 2_000  # a flush changing more organisations logs "everything" (workers rebuild anyway)


def bump_generation(conn: Connection, organization_ids: Iterable[int] | None = None) -> int:
    """Replace the generation and log which organisations changed (None: anything may have).

    The upsert takes the one row's lock, held to commit, so on PostgreSQL the
    sequences are handed out in commit order and a reader never sees a later one without the earlier."""
    bits = random.getrandbits(30)
    # One upsert (same syntax on both databases): an UPDATE finding no row, then an INSERT, lets two
    # transactions both insert the row, and the second fails on the key.
    conn.execute(
        text(
            "INSERT INTO search_state (id, generation) VALUES (1, :first) ON CONFLICT (id) DO UPDATE "
            f"SET generation = (search_state.generation / {SEQUENCE_STEP} + 1) * {SEQUENCE_STEP} + :r"
        ),
        {"first": SEQUENCE_STEP + bits, "r": bits},
    )
    forget_generations(conn)
    generation = read_generation(conn)
    ids = None if organization_ids is None else sorted({int(i) for i in organization_ids if i is not None})
    if not ids or len(ids) > MAX_LOGGED:
        rows = [{"g": generation, "o": None}]
    else:
        rows = [{"g": generation, "o": i} for i in ids]
    conn.execute(text("INSERT INTO search_changes (generation, organization_id) VALUES (:g, :o)"), rows)
    sequence = generation // SEQUENCE_STEP
    if sequence % PRUNE_EVERY == 0 and sequence > KEEP_GENERATIONS:
        conn.execute(
            text("DELETE FROM search_changes WHERE generation < :oldest"),
            {"oldest": (sequence - KEEP_GENERATIONS) * SEQUENCE_STEP},
        )
    return generation


# Row 2 of search_state: the generation of projects and initiatives (record_index.py), replaced by
# any write to them; row 3: the documents' generation, replaced by every document written (what a
# word matches, kept per worker by search.organizations._ids). Random numbers, so one a
# rolled-back transaction used never comes back.
RECORDS_STATE_ID = 2
DOCUMENTS_STATE_ID = 3


def read_generations(conn: Connection) -> tuple[int, int, int]:
    """(organisations', records' and documents' generations): the rows in one statement, read once
    per transaction (a page asking for the facet index and both record indexes read them four
    times). Within a transaction they change only through this connection's bumps, which forget them."""
    transaction = (conn.get_transaction(), conn.get_nested_transaction())
    known = conn.info.get("search_generations")
    if known is not None and known[0] == transaction and transaction[0] is not None:
        return known[1]
    rows = dict(
        conn.execute(
            text(f"SELECT id, generation FROM search_state WHERE id IN (1, {RECORDS_STATE_ID}, {DOCUMENTS_STATE_ID})")
        ).all()
    )
    generations = (rows.get(1) or 0, rows.get(RECORDS_STATE_ID) or 0, rows.get(DOCUMENTS_STATE_ID) or 0)
    conn.info["search_generations"] = ((conn.get_transaction(), conn.get_nested_transaction()), generations)
    return generations


def forget_generations(conn: Connection) -> None:
    conn.info.pop("search_generations", None)


def read_generation(conn: Connection) -> int:
    return read_generations(conn)[0]


def read_records_generation(conn: Connection) -> int:
    return read_generations(conn)[1]


def read_documents_generation(conn: Connection) -> int:
    return read_generations(conn)[2]


def _replace_generation(conn: Connection, state_id: int) -> None:
    conn.execute(
        text(
            f"INSERT INTO search_state (id, generation) VALUES ({state_id}, :g) "
            "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation"
        ),
        {"g": random.getrandbits(62) + 1},
    )
    forget_generations(conn)


def bump_records_generation(conn: Connection) -> None:
    _replace_generation(conn, RECORDS_STATE_ID)


def changes_since(conn: Connection, generation: int, current: int, limit: int) -> set[int] | None:
    """Organisations changed after `generation` up to `current`, or None when the log cannot tell
    (that generation was rolled back or pruned, something else than organisations changed, or
    more than `limit` organisations changed)."""
    known = conn.execute(text("SELECT 1 FROM search_changes WHERE generation = :g"), {"g": generation}).first()
    if known is None:
        return None
    rows = conn.execute(
        text("SELECT DISTINCT organization_id FROM search_changes WHERE generation > :g AND generation <= :c LIMIT :n"),
        {"g": generation, "c": current, "n": limit + 1},
    ).all()
    if len(rows) > limit or any(r[0] is None for r in rows):
        return None
    return {r[0] for r in rows}


def reindex(conn: Connection, entity: str, ids: Iterable[int]) -> None:
    """Rewrite these documents, and replace the documents' generation if any was written."""
    backend = backend_for(conn)
    written = False
    for chunk in chunks(i for i in ids if i is not None):
        documents, _absent = DOCUMENT_BUILDERS[entity](conn, chunk)
        backend.write(conn, entity, chunk, documents)
        written = True
    if written:
        _replace_generation(conn, DOCUMENTS_STATE_ID)


def partners_of(conn: Connection, ids: Sequence[int]) -> set[int]:
    found = set()
    for chunk in chunks(ids):
        for a, b in conn.execute(
            text(
                f"SELECT org_a_id, org_b_id FROM partnerships WHERE {_in('org_a_id', chunk)} OR {_in('org_b_id', chunk)}"
            )
        ):
            found.update((a, b))
    return found


def project_organizations(conn: Connection, project_ids: Sequence[int]) -> set[int]:
    found = set()
    for chunk in chunks(project_ids):
        found.update(
            r[0]
            for r in conn.execute(
                text(
                    f"SELECT lead_organization_id FROM projects WHERE {_in('id', chunk)} "
                    f"UNION SELECT organization_id FROM project_participants WHERE {_in('project_id', chunk)}"
                )
            )
        )
    return found


def rebuild_index(conn: Connection | None = None) -> dict[str, int]:
    """Rewrite every document from the tables (after bulk inserts that bypassed the ORM)."""
    if conn is None:
        from network.extensions import db

        conn = db.session.connection()
    backend = backend_for(conn)
    counts = {}
    for entity in ENTITIES:
        backend.clear(conn, entity)
        ids = [r[0] for r in conn.execute(text(f"SELECT id FROM {entity}s"))]
        reindex(conn, entity, ids)
        counts[entity] = len(ids)
    bump_generation(conn)
    bump_records_generation(conn)
    _replace_generation(conn, DOCUMENTS_STATE_ID)  # also when a table had nothing to write
    if conn.dialect.name == "postgresql":
        # Fresh statistics for the rows just loaded: without them PostgreSQL scans whole link tables
        # to load one page's themes (40 ms instead of 0.3 ms at 200,000 organisations).
        conn.execute(text("ANALYZE"))
    return counts


def _changed(session: Session):
    for obj in session.new:
        yield obj, False
    for obj in session.dirty:
        yield obj, False
    for obj in session.deleted:
        yield obj, True


@event.listens_for(Session, "after_flush")
def index_changes(session: Session, flush_context) -> None:
    """Rewrite the documents a flush touched, in the same transaction (so a rollback undoes both)."""
    if session.info.get("search_index") is False:
        return
    orgs: set[int] = set()
    renamed: set[int] = set()
    projects: set[int] = set()
    initiatives: set[int] = set()
    facets_changed = False
    records_changed = False  # the project and initiative facet index (record_index.py) is stale
    # Organisations whose facet values may have changed; None: something else (regions, networks).
    facet_orgs: set[int] | None = set()
    for obj, _deleted in _changed(session):
        if isinstance(obj, Organization):
            orgs.add(obj.id)
            facets_changed = True
            if facet_orgs is not None:
                facet_orgs.add(obj.id)
            if any(_has_changes(obj, key) for key in ("name", "acronym", "archived_at", "merged_into_id")):
                renamed.add(obj.id)
        elif isinstance(obj, Membership):
            facets_changed = True
            if facet_orgs is not None:
                facet_orgs.update(_values(obj, "organization_id"))
        elif isinstance(obj, OrganizationIdentifier):
            orgs.add(obj.organization_id)
        elif isinstance(obj, Project):
            projects.add(obj.id)
            records_changed = True
        elif isinstance(obj, ProjectParticipant):
            projects.add(obj.project_id)
            orgs.add(obj.organization_id)
        elif isinstance(obj, Partnership):
            orgs.update((obj.org_a_id, obj.org_b_id))
        elif isinstance(obj, Initiative):
            initiatives.add(obj.id)
            records_changed = True
        elif isinstance(obj, Region | Theme | Network):
            facets_changed = True
            facet_orgs = None
            if not isinstance(obj, Network):  # projects and initiatives name regions and themes
                records_changed = True
    if not (orgs or projects or initiatives or facets_changed):
        return
    conn = session.connection()
    if projects:
        orgs |= project_organizations(conn, list(projects))
        reindex(conn, "project", projects)
    if renamed:
        # Partners carry this name in their documents; projects carry their lead's name.
        orgs |= partners_of(conn, list(renamed))
        projects_led = {
            r[0]
            for chunk in chunks(renamed)
            for r in conn.execute(text(f"SELECT id FROM projects WHERE {_in('lead_organization_id', chunk)}"))
        }
        reindex(conn, "project", projects_led)
    if orgs:
        reindex(conn, "organization", orgs)
    if initiatives:
        reindex(conn, "initiative", initiatives)
    # reindex() replaced the documents' generation; the in-memory indexes need theirs replaced too.
    if facets_changed:
        bump_generation(conn, facet_orgs)
    if records_changed:
        bump_records_generation(conn)


def _has_changes(obj, key: str) -> bool:
    from sqlalchemy import inspect

    return inspect(obj).attrs[key].history.has_changes()


def _values(obj, key: str) -> set[int]:
    """The attribute's value now and before this flush (a membership moved by a merge)."""
    from sqlalchemy import inspect

    history = inspect(obj).attrs[key].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted, getattr(obj, key)) if v is not None}
