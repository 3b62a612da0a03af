"""The in-memory facet index of projects and initiatives: per-record facet codes in numpy arrays.

Counting four facets with drill-down semantics in SQL took SQLite over a second at 20,000
projects (a GROUP BY per facet over the link tables); over these arrays it is a few boolean ANDs
and np.bincount calls. Each process keeps one index per database and kind, rebuilt when row 2 of
search_state (the records' generation) changes: a session hook replaces it in the same
transaction as every flush that touches a project, an initiative, a region or a theme.
"""

# ruff: noqa: S608  (SQL strings here take table names from KINDS and ids through int(); no user text)

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from network.models import Initiative, Project, Region, Theme
from network.models.initiative import INITIATIVE_STATUSES
from network.models.project import PROJECT_STATUSES
from network.services.search.facets import Pairs, _fetch
from network.services.search.index import bump_records_generation, read_records_generation

STATUSES = {"project": PROJECT_STATUSES, "initiative": INITIATIVE_STATUSES}
# entity -> (table, link table of themes, link table of places, order without words)
KINDS = {
    "project": ("projects", "project_themes", "project_countries", "title, id"),
    "initiative": ("initiatives", "initiative_themes", "initiative_regions", "created_at DESC, id DESC"),
}


@dataclass
class RegionTree:
    by_code: dict[str, int]
    level: dict[int, str]
    path: dict[int, str]  # materialised path, for ordering the region facet as a tree
    names: dict[int, tuple[str, str, str | None]]  # id -> (code, name, Chinese name)
    ancestors: dict[int, list[int]]  # region id -> itself and every region containing it


@dataclass
class RecordIndex:
    generation: int
    ids: np.ndarray  # sorted ids of the records not archived; a record's position is its index here
    status: np.ndarray  # position -> index into STATUSES[entity]
    lead: np.ndarray  # position -> lead organisation id (projects; 0 for initiatives)
    themes: Pairs  # (position, theme id)
    countries: Pairs  # (position, region id) of the countries the record names
    regions: Pairs  # (position, region id) of every place the record names and every region containing it
    title_rank: np.ndarray  # position -> rank in title order
    updated_rank: np.ndarray  # position -> rank, most recently updated first
    natural_rank: np.ndarray  # position -> rank in the kind's own order
    tree: RegionTree
    theme_rows: list[tuple[int, str, str, str | None]]  # (id, slug, name, Chinese name) in display order

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def mask_of(self, ids) -> np.ndarray:
        """Positions of these record ids (unknown or archived ones are left out) as a mask."""
        ids = np.asarray(ids, dtype=np.int64)
        mask = np.zeros(self.size, dtype=bool)
        if ids.size and self.size:
            positions = np.clip(np.searchsorted(self.ids, ids), 0, self.size - 1)
            mask[positions[self.ids[positions] == ids]] = True
        return mask


def _region_tree(conn: Connection) -> RegionTree:
    rows = _fetch(conn, "SELECT id, code, level, path, name, name_zh FROM regions")
    tree = RegionTree({code: region_id for region_id, code, *_rest in rows}, {}, {}, {}, {})
    for region_id, code, level, path, name, name_zh in rows:
        tree.level[region_id], tree.path[region_id] = level, path
        tree.names[region_id] = (code, name, name_zh)
        tree.ancestors[region_id] = [tree.by_code[c] for c in path.strip("/").split("/") if c in tree.by_code]
    return tree


def _rank(conn: Connection, table: str, order: str, ids: np.ndarray) -> np.ndarray:
    ordered = np.fromiter((r[0] for r in _fetch(conn, f"SELECT id FROM {table} WHERE archived_at IS NULL "
                                                      f"ORDER BY {order}")), dtype=np.int64)  # fmt: skip
    rank = np.empty(ids.size, dtype=np.int64)
    rank[np.searchsorted(ids, ordered)] = np.arange(ordered.size)
    return rank


def _pairs(conn: Connection, sql: str, ids: np.ndarray, width: int, expand=None) -> Pairs:
    rows = _fetch(conn, sql)
    record = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    value = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    positions = np.clip(np.searchsorted(ids, record), 0, max(ids.size - 1, 0))
    live = ids[positions] == record if ids.size else np.zeros(len(rows), dtype=bool)
    positions, value = positions[live], value[live]
    if expand is not None:  # one pair for each region containing the named place
        lengths = np.fromiter((len(expand[v]) for v in value), dtype=np.int64, count=value.size)
        positions = np.repeat(positions, lengths)
        value = np.fromiter((a for v in value for a in expand[v]), dtype=np.int64, count=int(lengths.sum()))
    return Pairs.unique(positions, value, width)


def build(conn: Connection, entity: str, generation: int) -> RecordIndex:
    table, themes_table, places_table, natural_order = KINDS[entity]
    lead = "lead_organization_id" if entity == "project" else "0"
    rows = _fetch(conn, f"SELECT id, status, {lead} FROM {table} WHERE archived_at IS NULL ORDER BY id")
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    code = {s: i for i, s in enumerate(STATUSES[entity])}
    status = np.fromiter((code.get(r[1], 0) for r in rows), dtype=np.int16, count=len(rows))
    leads = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=len(rows))
    tree = _region_tree(conn)
    width = max(tree.level, default=0) + 1
    theme_rows = _fetch(conn, "SELECT id, slug, name, name_zh FROM themes ORDER BY position, id")
    fk = f"{entity}_id"
    places_sql = f"SELECT {fk}, region_id FROM {places_table}"
    return RecordIndex(
        generation=generation, ids=ids, status=status, lead=leads,
        themes=_pairs(conn, f"SELECT {fk}, theme_id FROM {themes_table}", ids,
                      max((t[0] for t in theme_rows), default=0) + 1),
        countries=_pairs(conn, places_sql + " JOIN regions ON regions.id = region_id WHERE level = 'country'",
                         ids, width),
        regions=_pairs(conn, places_sql, ids, width, expand=tree.ancestors),
        title_rank=_rank(conn, table, "title, id", ids),
        updated_rank=_rank(conn, table, "updated_at DESC, id DESC", ids),
        natural_rank=_rank(conn, table, natural_order, ids),
        tree=tree, theme_rows=theme_rows,
    )  # fmt: skip


@event.listens_for(Session, "after_flush")
def _records_changed(session: Session, flush_context) -> None:
    if session.info.get("search_index") is False:
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Project | Initiative | Region | Theme) for obj in touched):
        bump_records_generation(session.connection())


_cache: dict[tuple[str, str], RecordIndex] = {}
_lock = threading.Lock()


def current_index(conn: Connection, entity: str) -> RecordIndex:
    """This process's index of the connection's database, rebuilt when it is stale."""
    generation = read_records_generation(conn)
    key = (conn.engine.url.render_as_string(hide_password=True), entity)
    index = _cache.get(key)
    if index is None or index.generation != generation:
        with _lock:
            index = _cache.get(key)
            if index is None or index.generation != generation:
                index = _cache[key] = build(conn, entity, generation)
    return index
