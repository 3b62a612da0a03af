"""The in-memory facet index: per-organisation facet codes in numpy arrays.

Counting six facets with drill-down semantics in SQL takes SQLite hundreds of milliseconds at
200,000 organisations; over these arrays it is a few boolean ANDs and np.bincount calls. Each
worker process keeps one index per database, checked against search_state.generation (replaced in
the same transaction as every indexed write), so several gunicorn workers stay correct without
talking to each other. A stale index is patched from the search_changes log (re-reading only the
organisations changed since its generation) or, when the log cannot tell or too much changed,
rebuilt in full.

Multi-valued facets are "pairs": two parallel arrays (organisation position, value id), one row per
distinct pair. Regions and network nodes are expanded to every ancestor, so choosing Asia matches
every organisation in a country below it, and each organisation counts once per node.
"""

# ruff: noqa: S608  (SQL strings here take ids through int(); no user text)

import bisect
import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from network.models.organization import MEMBERSHIP_STATUSES, ORGANIZATION_KINDS
from network.services.search.index import changes_since, read_generation
from network.services.search.text import fold, is_cjk, words_of_folded

MATCH_MODES = ("any", "hq", "operation")
MAX_PATCHED = 2_000  # more changed organisations than this: rebuild instead of patching


@dataclass
class Pairs:
    org: np.ndarray  # int32 positions into FacetIndex.ids
    value: np.ndarray  # int32 value ids (region, theme, network ids, or codes)

    @classmethod
    def unique(cls, org: np.ndarray, value: np.ndarray, width: int) -> "Pairs":
        keys = np.unique(org.astype(np.int64) * width + value.astype(np.int64))
        return cls((keys // width).astype(np.int32), (keys % width).astype(np.int32))

    def mask_for(self, size: int, values: list[int]) -> np.ndarray:
        mask = np.zeros(size, dtype=bool)
        mask[self.org[np.isin(self.value, values)]] = True
        return mask

    def count(self, mask: np.ndarray, width: int) -> np.ndarray:
        return np.bincount(self.value[mask[self.org]], minlength=width)


@dataclass
class Bitsets:
    """One bit row per value: bit i is set when the organisation at position i has the value.

    Counting a facet under a filter mask is then AND + popcount over rows of 64-bit words, which
    costs the same however many values each organisation has (numpy's bitwise_count)."""

    values: np.ndarray  # the value ids that occur, sorted
    bits: np.ndarray  # (len(values), words) uint64
    size: int

    @classmethod
    def of(cls, pairs: Pairs, size: int, keep=None) -> "Bitsets":
        org, value = pairs.org, pairs.value
        if keep is not None:
            chosen = keep(value)
            org, value = org[chosen], value[chosen]
        values = np.unique(value)
        words = (size + 63) // 64
        present = np.zeros((len(values), words * 64), dtype=bool)
        present[np.searchsorted(values, value), org] = True
        bits = np.packbits(present, axis=1, bitorder="little").view(np.uint64).reshape(len(values), words)
        return cls(values, np.ascontiguousarray(bits), size)

    def patched(self, size: int, moved, clear: np.ndarray, org: np.ndarray, value: np.ndarray) -> "Bitsets":
        """A copy for a grown or re-laid index: `moved` (old positions, new positions) when positions
        shifted (None: they did not), the bits of the `clear` positions cleared, then (org, value) set."""
        words = (size + 63) // 64
        if moved is not None:
            old = np.unpackbits(self.bits.view(np.uint8), axis=1, bitorder="little")
            dense = np.zeros((len(self.values), words * 64), dtype=np.uint8)
            dense[:, moved[1]] = old[:, moved[0]]
            bits = np.packbits(dense, axis=1, bitorder="little").view(np.uint64).reshape(len(self.values), words)
        else:
            bits = np.zeros((len(self.values), words), dtype=np.uint64)
            bits[:, : self.bits.shape[1]] = self.bits
        for word in np.unique(clear >> 6):
            in_word = clear[(clear >> 6) == word] & 63
            bits[:, word] &= ~np.bitwise_or.reduce(np.left_shift(np.uint64(1), in_word.astype(np.uint64)))
        values = self.values
        if value.size:
            values = np.union1d(self.values, value).astype(self.values.dtype)
            if len(values) != len(self.values):
                grown = np.zeros((len(values), words), dtype=np.uint64)
                grown[np.searchsorted(values, self.values)] = bits
                bits = grown
            masks = np.left_shift(np.uint64(1), (org & 63).astype(np.uint64))
            np.bitwise_or.at(bits, (np.searchsorted(values, value), org >> 6), masks)
        return Bitsets(values, np.ascontiguousarray(bits), size)

    def mask_for(self, values: list[int]) -> np.ndarray:
        rows = np.flatnonzero(np.isin(self.values, values))
        if rows.size == 0:
            return np.zeros(self.size, dtype=bool)
        union = np.bitwise_or.reduce(self.bits[rows], axis=0)
        return np.unpackbits(union.view(np.uint8), bitorder="little", count=self.size).astype(bool)

    def count(self, packed_mask: np.ndarray, width: int) -> np.ndarray:
        counts = np.zeros(width, dtype=np.int64)
        if self.values.size:
            counts[self.values] = np.bitwise_count(self.bits & packed_mask).sum(axis=1)
        return counts


def pack(mask: np.ndarray) -> np.ndarray:
    """A boolean mask as little-endian 64-bit words (the layout of Bitsets rows)."""
    packed = np.packbits(mask, bitorder="little")
    return np.pad(packed, (0, (-packed.size) % 8)).view(np.uint64)


@dataclass
class Node:
    """A region or network node, for facet labels and tree indentation."""

    id: int
    code: str  # region code or network slug
    name: str
    name_zh: str | None
    level: str
    path: str
    depth: int


@dataclass
class FacetIndex:
    generation: int
    ids: np.ndarray  # sorted organisation ids
    kind: np.ndarray  # index into ORGANIZATION_KINDS
    founded: np.ndarray  # year, 0 when unknown
    name_rank: np.ndarray  # position in name order
    updated_rank: np.ndarray  # position in "last updated first" order
    folded_names: list[str]
    exact: dict[str, list[int]]  # folded name or acronym -> positions
    vocabulary: list[str]  # sorted words of names, for "did you mean"
    regions: dict[int, Node]
    # Per match mode ("any", "hq", "operation"): world regions and sub-regions, and countries.
    region_sets: dict[str, Bitsets]
    country_sets: dict[str, Bitsets]
    themes: dict[int, Node]
    theme_sets: Bitsets
    networks: dict[int, Node]
    network_sets: Bitsets
    status_sets: Bitsets
    region_width: int = 1
    theme_width: int = 1
    network_width: int = 1
    by_code: dict[str, dict[str, int]] = field(default_factory=dict)
    # Facet display orders, computed once: region tree by path, countries, themes, network tree.
    region_tree: list[Node] = field(default_factory=list)
    countries: list[Node] = field(default_factory=list)
    theme_order: list[Node] = field(default_factory=list)
    network_tree: list[Node] = field(default_factory=list)
    facet_depth: dict[str, dict[str, int]] = field(default_factory=dict)
    # What patching needs: ancestor matrices, and per-organisation keys of the name structures.
    region_anc: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.int32))
    network_anc: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.int32))
    is_country: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))
    updated: list[str] = field(default_factory=list)  # str(updated_at) per position
    exact_keys: list[tuple[str, ...]] = field(default_factory=list)  # keys of `exact` per position
    name_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # in name order
    updated_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # last updated first
    word_counts: Counter = field(default_factory=Counter)  # words of names -> organisations

    @property
    def size(self) -> int:
        return len(self.ids)

    def positions(self, org_ids: np.ndarray) -> np.ndarray:
        """Positions of the given organisation ids that are in the index."""
        if self.size == 0 or org_ids.size == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.ids, org_ids)
        pos = np.clip(pos, 0, self.size - 1)
        return pos[self.ids[pos] == org_ids]

    def mask_of(self, org_ids: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[self.positions(org_ids)] = True
        return mask


def _ancestors(nodes: dict[int, Node], key_of_path_part) -> np.ndarray:
    """A matrix: row = node id, columns = the ids on its path from the root (-1 padded)."""
    width = max(nodes, default=0) + 1
    depth = max((n.depth for n in nodes.values()), default=0) + 2
    matrix = np.full((width, depth), -1, dtype=np.int32)
    for node in nodes.values():
        parts = [key_of_path_part(p) for p in node.path.strip("/").split("/") if p]
        parts = [p for p in parts if p is not None] or [node.id]
        for level, ancestor in enumerate(parts[:depth]):
            matrix[node.id, level] = ancestor
    return matrix


def _expand(org: np.ndarray, value: np.ndarray, ancestors: np.ndarray) -> Pairs:
    if value.size == 0:
        return Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32))
    orgs, values = [], []
    for level in range(ancestors.shape[1]):
        anc = ancestors[value, level]
        keep = anc >= 0
        orgs.append(org[keep])
        values.append(anc[keep])
    return Pairs.unique(np.concatenate(orgs), np.concatenate(values), ancestors.shape[0])


def _pairs_of(index_ids: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
    """(org id, value) rows -> (positions, values) for the organisations in the index."""
    data = np.array(rows, dtype=np.int64).reshape(-1, 2)
    if data.size == 0 or index_ids.size == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    pos = np.clip(np.searchsorted(index_ids, data[:, 0]), 0, index_ids.size - 1)
    keep = index_ids[pos] == data[:, 0]
    return pos[keep].astype(np.int32), data[keep, 1].astype(np.int32)


def _fetch(conn: Connection, sql: str) -> list[tuple]:
    """Plain tuples straight from the driver (no Row objects: 200,000 rows in well under a second)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


ORGANIZATION_COLUMNS = "SELECT id, kind, hq_country_id, founded, updated_at, name, acronym FROM organizations"
LIVE = "archived_at IS NULL AND merged_into_id IS NULL"
KIND_CODE = {k: i for i, k in enumerate(ORGANIZATION_KINDS)}
STATUS_CODE = {s: i for i, s in enumerate(MEMBERSHIP_STATUSES)}


def _in(column: str, ids) -> str:
    # ids are ints from the database, never user input.
    return f"{column} IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})"


def _exact_keys(row) -> tuple[str, ...]:
    keys = [" ".join(words_of_folded(fold(row[5])))]
    if row[6]:
        keys.append(" ".join(words_of_folded(fold(row[6]))))
    return tuple(dict.fromkeys(keys))  # an acronym equal to the name counts once


def _name_words(folded_name: str) -> set[str]:
    return set(words_of_folded(folded_name))


def _vocabulary(word_counts: Counter) -> list[str]:
    return sorted(w for w, n in word_counts.items() if n > 0 and len(w) >= 3 and not is_cjk(w))


def _facet_pairs(
    conn: Connection, index: FacetIndex, ids: np.ndarray, hq_rows: list[tuple[int, int]], where: str
) -> dict[str, Pairs]:
    """Every bit set's pairs for the organisations of `where` (a condition on organization_id, or
    "" for all), as positions into `ids`. hq_rows: (position, hq country id)."""
    region_anc, networks, network_anc, is_country = (
        index.region_anc,
        index.networks,
        index.network_anc,
        index.is_country,
    )
    hq_org = np.array([r[0] for r in hq_rows], dtype=np.int32)
    hq_value = np.array([r[1] for r in hq_rows], dtype=np.int32)
    hq_pairs = _expand(hq_org, hq_value, region_anc)
    condition = f" WHERE {where}" if where else ""
    op_org, op_value = _pairs_of(
        ids, _fetch(conn, "SELECT organization_id, region_id FROM organization_countries" + condition)
    )
    op_pairs = _expand(op_org, op_value, region_anc)
    width = region_anc.shape[0]
    any_pairs = Pairs.unique(
        np.concatenate([hq_pairs.org, op_pairs.org]), np.concatenate([hq_pairs.value, op_pairs.value]), width
    )
    sets: dict[str, Pairs] = {}
    for mode, pairs in {"hq": hq_pairs, "operation": op_pairs, "any": any_pairs}.items():
        country = is_country[pairs.value]
        sets[f"region:{mode}"] = Pairs(pairs.org[~country], pairs.value[~country])
        sets[f"country:{mode}"] = Pairs(pairs.org[country], pairs.value[country])
    theme_org, theme_value = _pairs_of(
        ids, _fetch(conn, "SELECT organization_id, theme_id FROM organization_themes" + condition)
    )
    sets["theme"] = Pairs(theme_org, theme_value)
    memberships = _fetch(conn, "SELECT organization_id, network_id, status FROM memberships" + condition)
    m_org, m_node = _pairs_of(ids, [(m[0], m[1] if m[1] in networks else 0) for m in memberships])
    sets["network"] = _expand(m_org, m_node, network_anc) if networks else Pairs(m_org[:0], m_node[:0])
    s_org, s_value = _pairs_of(ids, [(m[0], STATUS_CODE.get(m[2], 0)) for m in memberships])
    sets["status"] = Pairs.unique(s_org, s_value, len(MEMBERSHIP_STATUSES))
    return sets


def _bitsets_of(index: FacetIndex) -> dict[str, Bitsets]:
    found = {f"region:{m}": b for m, b in index.region_sets.items()}
    found |= {f"country:{m}": b for m, b in index.country_sets.items()}
    return found | {"theme": index.theme_sets, "network": index.network_sets, "status": index.status_sets}


def _set_bitsets(index: FacetIndex, sets: dict[str, Bitsets]) -> None:
    index.region_sets = {m: sets[f"region:{m}"] for m in MATCH_MODES}
    index.country_sets = {m: sets[f"country:{m}"] for m in MATCH_MODES}
    index.theme_sets, index.network_sets, index.status_sets = sets["theme"], sets["network"], sets["status"]


class _Descending:
    """A sort key that orders its value the other way round."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return self.value == other.value

    def __lt__(self, other) -> bool:
        return self.value > other.value


def _rank_of(order: np.ndarray) -> np.ndarray:
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    return rank


def _ranks(index: FacetIndex, old: FacetIndex | None = None, touched=(), inserted=(), old_to_new=None) -> None:
    """name_rank and updated_rank (ties in update time by name). With `old`, only the touched (old)
    positions leave its orders, the rest keep their order (moved through `old_to_new` when positions
    shifted), and the inserted (new) positions are put back by binary search."""
    folded, ids, updated = index.folded_names, index.ids, index.updated
    if old is None:
        index.name_positions = np.array(sorted(range(index.size), key=lambda i: (folded[i], int(ids[i]))), np.int64)
    else:
        names = old.name_positions[~np.isin(old.name_positions, touched)]
        names = (names if old_to_new is None else old_to_new[names]).tolist()
        for position in inserted:
            bisect.insort(names, position, key=lambda i: (folded[i], int(ids[i])))
        index.name_positions = np.array(names, dtype=np.int64)
    index.name_rank = _rank_of(index.name_positions)
    if old is None:
        updated_code = np.unique(np.array(updated, dtype=object), return_inverse=True)[1] if index.size else []
        by_update = np.lexsort((index.name_rank, -np.asarray(updated_code, dtype=np.int64).reshape(-1)))
        index.updated_positions = by_update.astype(np.int64)
    else:
        rank = index.name_rank
        order = old.updated_positions[~np.isin(old.updated_positions, touched)]
        order = (order if old_to_new is None else old_to_new[order]).tolist()
        for position in inserted:
            bisect.insort(order, position, key=lambda i: (_Descending(updated[i]), int(rank[i])))
        index.updated_positions = np.array(order, dtype=np.int64)
    index.updated_rank = _rank_of(index.updated_positions)


def _exact(exact_keys: list[tuple[str, ...]]) -> dict[str, list[int]]:
    exact: dict[str, list[int]] = {}
    for i, keys in enumerate(exact_keys):
        for key in keys:
            exact.setdefault(key, []).append(i)
    return exact


def build(conn: Connection, generation: int) -> FacetIndex:
    rows = _fetch(conn, f"{ORGANIZATION_COLUMNS} WHERE {LIVE} ORDER BY id")
    size = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    folded_names = [fold(r[5]) for r in rows]
    word_counts: Counter = Counter()
    for name in folded_names:
        word_counts.update(_name_words(name))

    regions = {
        r[0]: Node(r[0], r[1], r[2], r[3], r[4], r[5], r[5].count("/") - 2)
        for r in _fetch(conn, "SELECT id, code, name, name_zh, level, path FROM regions")
    }
    region_ids = {n.code: n.id for n in regions.values()}
    region_anc = _ancestors(regions, region_ids.get)
    is_country = np.zeros(region_anc.shape[0], dtype=bool)
    is_country[[n.id for n in regions.values() if n.level == "country"]] = True
    themes = {
        r[0]: Node(r[0], r[1], r[2], r[3], "theme", "/", r[4])
        for r in _fetch(conn, "SELECT id, slug, name, name_zh, position FROM themes")
    }
    networks = {
        r[0]: Node(r[0], r[1], r[2], r[3], "network", r[4], r[4].count("/") - 2)
        for r in conn.execute(text("SELECT id, slug, name, name_local, path FROM networks WHERE archived_at IS NULL"))
    }
    network_anc = _ancestors(networks, lambda p: int(p) if p.isdigit() and int(p) in networks else None)

    index = FacetIndex(
        generation=generation,
        ids=ids,
        kind=np.array([KIND_CODE.get(r[1], len(ORGANIZATION_KINDS) - 1) for r in rows], dtype=np.int8),
        founded=np.array([r[3] or 0 for r in rows], dtype=np.int16),
        name_rank=np.zeros(0, np.int32),
        updated_rank=np.zeros(0, np.int32),
        folded_names=folded_names,
        exact={},
        vocabulary=_vocabulary(word_counts),
        regions=regions,
        region_sets={},
        country_sets={},
        themes=themes,
        theme_sets=Bitsets.of(Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32)), size),
        networks=networks,
        network_sets=Bitsets.of(Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32)), size),
        status_sets=Bitsets.of(Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32)), size),
        region_width=region_anc.shape[0],
        theme_width=max(themes, default=0) + 1,
        network_width=network_anc.shape[0],
        region_tree=sorted(
            (n for n in regions.values() if n.level in ("region", "subregion", "intermediate")), key=lambda n: n.path
        ),
        countries=[n for n in regions.values() if n.level == "country"],
        theme_order=sorted(themes.values(), key=lambda n: n.depth),  # depth holds the theme's position
        network_tree=sorted(
            networks.values(), key=lambda n: [int(p) for p in n.path.strip("/").split("/") if p.isdigit()]
        ),
        facet_depth={
            "region": {n.code: n.depth - 1 for n in regions.values()},
            "network": {n.code: max(0, n.depth) for n in networks.values()},
        },
        by_code={
            "region": region_ids,
            "theme": {n.code: n.id for n in themes.values()},
            "network": {n.code: n.id for n in networks.values()},
        },
        region_anc=region_anc,
        network_anc=network_anc,
        is_country=is_country,
        updated=[str(r[4]) for r in rows],
        exact_keys=[_exact_keys(r) for r in rows],
        word_counts=word_counts,
    )
    hq_rows = [(i, r[2]) for i, r in enumerate(rows) if r[2] is not None]
    pairs = _facet_pairs(conn, index, ids, hq_rows, "")
    _set_bitsets(index, {name: Bitsets.of(p, size) for name, p in pairs.items()})
    index.exact = _exact(index.exact_keys)
    _ranks(index)
    return index


def patch(conn: Connection, old: FacetIndex, changed: set[int], generation: int) -> FacetIndex:
    """A new index equal to a fresh build, from `old` and the current values of the `changed`
    organisations only (`old` is left as it is: other threads may be reading it)."""
    changed_ids = np.array(sorted(changed), dtype=np.int64)
    rows = _fetch(conn, f"{ORGANIZATION_COLUMNS} WHERE {LIVE} AND {_in('id', changed_ids)} ORDER BY id")
    live_ids = np.array([r[0] for r in rows], dtype=np.int64)
    was_in = old.positions(changed_ids)
    gone = np.setdiff1d(old.ids[was_in], live_ids)
    found_at = np.clip(np.searchsorted(old.ids, live_ids), 0, max(old.size - 1, 0))
    added = live_ids[old.ids[found_at] != live_ids] if old.size else live_ids
    index = FacetIndex(**{**old.__dict__})
    moved = old_to_new = None
    if gone.size or added.size:
        kept = np.flatnonzero(~np.isin(old.ids, gone))
        index.ids = np.union1d(old.ids[kept], added)
        new_pos = np.searchsorted(index.ids, old.ids[kept])
        if gone.size or (old.size and added.size and added[0] < old.ids[-1]):
            moved = (kept, new_pos)  # positions shift: bit sets are re-laid
            old_to_new = np.full(old.size, -1, dtype=np.int64)
            old_to_new[kept] = new_pos

        def relaid(values, fill):
            result = [fill] * index.size
            for o, n in zip(kept.tolist(), new_pos.tolist(), strict=True):
                result[n] = values[o]
            return result

        index.kind = np.zeros(index.size, np.int8)
        index.kind[new_pos] = old.kind[kept]
        index.founded = np.zeros(index.size, np.int16)
        index.founded[new_pos] = old.founded[kept]
        index.folded_names = relaid(old.folded_names, "")
        index.updated = relaid(old.updated, "")
        index.exact_keys = relaid(old.exact_keys, ())
    else:
        index.kind, index.founded = old.kind.copy(), old.founded.copy()
        index.folded_names, index.updated, index.exact_keys = (
            list(old.folded_names),
            list(old.updated),
            list(old.exact_keys),
        )
    # Forget the changed organisations' old names, then add the current ones.
    index.word_counts = Counter(old.word_counts)
    words_touched: set[str] = set()
    for position in was_in.tolist():
        name_words = _name_words(old.folded_names[position])
        index.word_counts.subtract(name_words)
        words_touched |= name_words
    positions = np.searchsorted(index.ids, live_ids)
    hq_rows = []
    for position, row in zip(positions.tolist(), rows, strict=True):
        name = fold(row[5])
        index.kind[position] = KIND_CODE.get(row[1], len(ORGANIZATION_KINDS) - 1)
        index.founded[position] = row[3] or 0
        index.folded_names[position] = name
        index.updated[position] = str(row[4])
        index.exact_keys[position] = _exact_keys(row)
        index.word_counts.update(_name_words(name))
        words_touched |= _name_words(name)
        if row[2] is not None:
            hq_rows.append((position, row[2]))
    for word in words_touched:
        if index.word_counts[word] <= 0:
            del index.word_counts[word]
    if any((word in index.word_counts) != (word in old.word_counts) for word in words_touched):
        index.vocabulary = _vocabulary(index.word_counts)
    pairs = _facet_pairs(conn, index, index.ids, hq_rows, _in("organization_id", live_ids))
    clear = positions.astype(np.int64)
    _set_bitsets(
        index,
        {
            name: bitsets.patched(index.size, moved, clear, pairs[name].org.astype(np.int64), pairs[name].value)
            for name, bitsets in _bitsets_of(old).items()
        },
    )
    # Exact names: the old entries (moved to the new positions), then the changed organisations'.
    if old_to_new is None:
        index.exact, new_of = dict(old.exact), list(range(old.size))
    else:
        new_of = old_to_new.tolist()
        index.exact = {}
        for key, found in old.exact.items():
            kept_found = [new_of[p] for p in found if new_of[p] >= 0]
            if kept_found:
                index.exact[key] = kept_found
    for position in was_in.tolist():
        now = new_of[position]
        for key in old.exact_keys[position] if now >= 0 else ():
            index.exact[key] = [p for p in index.exact[key] if p != now]
            if not index.exact[key]:
                del index.exact[key]
    for position in positions.tolist():
        for key in index.exact_keys[position]:
            index.exact[key] = sorted({*index.exact.get(key, []), position})
    _ranks(index, old, touched=was_in, inserted=positions.tolist(), old_to_new=old_to_new)
    index.generation = generation
    return index


_cache: dict[str, FacetIndex] = {}
_lock = threading.Lock()


def current_index(conn: Connection) -> FacetIndex:
    """This process's index of the connection's database, patched or rebuilt when it is stale."""
    generation = read_generation(conn)
    key = conn.engine.url.render_as_string(hide_password=True)
    index = _cache.get(key)
    if index is None or index.generation != generation:
        with _lock:
            index = _cache.get(key)
            if index is None or index.generation != generation:
                changed = None if index is None else changes_since(conn, index.generation, generation, MAX_PATCHED)
                index = build(conn, generation) if changed is None else patch(conn, index, changed, generation)
                _cache[key] = index
    return index
