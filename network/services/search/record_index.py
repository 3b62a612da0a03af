"""The in-memory facet index of projects and initiatives: per-record facet codes in numpy arrays.

Counting four facets with drill-down semantics in SQL took SQLite over a second at 20,000
projects (a GROUP BY per facet over the link tables); over these arrays it is a few boolean ANDs
and np.bincount calls. Each process keeps one index per database and kind, rebuilt when row 2 of
search_state (the records' generation) changes: the search index's flush hook (index.py) replaces
it in the same transaction as every flush that touches a project, an initiative, a region or a theme.
"""

# ruff: noqa: S608  (SQL strings here take table names from KINDS and ids through int(); no user text)

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from network.models.initiative import INITIATIVE_STATUSES
from network.models.project import PROJECT_STATUSES
from network.services.search.facets import Pairs, _fetch
from network.services.search.index import read_records_generation

STATUSES = {"project": PROJECT_STATUSES, "initiative": INITIATIVE_STATUSES}
# entity -> (table, link table of themes, link table of places); without words, projects are in
# title order and initiatives newest first
KINDS = {
    "project": ("projects", "project_themes", "project_countries"),
    "initiative": ("initiatives", "initiative_themes", "initiative_regions"),
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
        mask = np.zeros(self.size, dtype=bool)
        positions, found = _located(self.ids, np.asarray(ids, dtype=np.int64))
        mask[positions[found]] = True
        return mask


def _located(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in the sorted ids, whether it is there) for each wanted id."""
    if not ids.size:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=bool)
    positions = np.clip(np.searchsorted(ids, wanted), 0, ids.size - 1)
    return positions, ids[positions] == wanted


def _region_tree(conn: Connection) -> RegionTree:
    rows = _fetch(conn, "SELECT id, code, level, path, name, name_zh FROM regions")
    tree = RegionTree({code: region_id for region_id, code, *_rest in rows}, {}, {}, {}, {})
    for region_id, code, level, path, name, name_zh in rows:
        tree.level[region_id], tree.path[region_id] = level, path
        tree.names[region_id] = (code, name, name_zh)
        tree.ancestors[region_id] = [tree.by_code[c] for c in path.strip("/").split("/") if c in tree.by_code]
    return tree


def _rank(keys: list, descending: bool = False) -> np.ndarray:
    """position -> rank in the order of these keys, ties by id (positions are in id order). Sorted
    here, not by the database, so both databases order alike whatever their collation."""
    positions = range(len(keys))
    # Python's sort is stable, also with reverse=True: reversed positions keep ties id-descending.
    order = sorted(reversed(positions) if descending else positions, key=keys.__getitem__, reverse=descending)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.fromiter(order, dtype=np.int64, count=len(keys))] = np.arange(len(keys))
    return rank


def _link_pairs(conn: Connection, sql: str, ids: np.ndarray) -> Pairs:
    """(position, value) of a link table's rows whose record is in the index (a row is unique)."""
    rows = _fetch(conn, sql)
    record = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    value = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    positions, live = _located(ids, record)
    return Pairs(positions[live].astype(np.int32), value[live].astype(np.int32))


def _expanded(places: Pairs, tree: RegionTree, width: int) -> Pairs:
    """Each named place and every region containing it, once per record."""
    depth = max((len(a) for a in tree.ancestors.values()), default=1)
    ancestors = np.full((width, depth), -1, dtype=np.int64)
    for region_id, chain in tree.ancestors.items():
        ancestors[region_id, : len(chain)] = chain
    values = ancestors[places.value]  # one row of ancestors per pair
    positions = np.repeat(places.org.astype(np.int64), depth).reshape(-1, depth)
    keep = values >= 0
    keys = np.sort(positions[keep] * width + values[keep])
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if keys.size else keys
    return Pairs((keys // width).astype(np.int32), (keys % width).astype(np.int32))


def build(conn: Connection, entity: str, generation: int) -> RecordIndex:
    table, themes_table, places_table = KINDS[entity]
    lead = "lead_organization_id" if entity == "project" else "0"
    rows = _fetch(conn, f"SELECT id, status, {lead}, title, updated_at, created_at FROM {table} "
                        "WHERE archived_at IS NULL ORDER BY id")  # fmt: skip
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    code = {s: i for i, s in enumerate(STATUSES[entity])}
    status = np.fromiter((code.get(r[1], 0) for r in rows), dtype=np.int16, count=n)
    leads = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=n)
    title_rank = _rank([r[3] for r in rows])
    updated_rank = _rank([r[4] for r in rows], descending=True)
    natural_rank = title_rank if entity == "project" else _rank([r[5] for r in rows], descending=True)
    tree = _region_tree(conn)
    width = max(tree.level, default=0) + 1
    theme_rows = _fetch(conn, "SELECT id, slug, name, name_zh FROM themes ORDER BY position, id")
    fk = f"{entity}_id"
    places = _link_pairs(conn, f"SELECT {fk}, region_id FROM {places_table}", ids)
    is_country = np.zeros(width, dtype=bool)
    is_country[[i for i, level in tree.level.items() if level == "country"]] = True
    named_country = is_country[places.value]
    return RecordIndex(
        generation=generation, ids=ids, status=status, lead=leads,
        themes=_link_pairs(conn, f"SELECT {fk}, theme_id FROM {themes_table}", ids),
        countries=Pairs(places.org[named_country], places.value[named_country]),
        regions=_expanded(places, tree, width),
        title_rank=title_rank, updated_rank=updated_rank, natural_rank=natural_rank,
        tree=tree, theme_rows=theme_rows,
    )  # fmt: skip


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
