"""Reference data: the M49 region tree and the starter themes, loaded idempotently."""

import csv
import threading
from dataclasses import dataclass
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from network import permissions
from network.errors import NotFound
from network.extensions import db
from network.models import Network, Region, Theme
from network.services import lookups


def read_csv(name: str) -> list[dict]:
    with resources.files("network.data").joinpath(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_reference_data() -> dict[str, int]:
    """Insert or update every region and theme; returns how many rows were added."""
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    added = {"regions": 0, "themes": 0}

    def upsert(code, **values):
        region = existing.get(code)
        if region is None:
            region = existing[code] = Region(code=code)
            db.session.add(region)
            added["regions"] += 1
        for key, value in values.items():
            setattr(region, key, value)
        return region

    for row in read_csv("regions.csv"):
        parent = existing.get(row["parent"]) if row["parent"] else None
        path = (parent.path if parent else "/") + row["code"] + "/"
        upsert(
            row["code"],
            m49=row["code"],
            level=row["level"],
            name=row["name"],
            name_zh=row["name_zh"],
            parent=parent,
            path=path,
        )
    for row in read_csv("countries.csv"):
        parent = existing[row["intermediate"] or row["subregion"] or row["region"] or "001"]
        upsert(
            row["code"],
            m49=row["m49"],
            level="country",
            name=row["name"],
            name_zh=row["name_zh"],
            parent=parent,
            path=parent.path + row["code"] + "/",
            ldc=row["ldc"] == "1",
            lldc=row["lldc"] == "1",
            sids=row["sids"] == "1",
        )

    themes = {t.slug: t for t in db.session.scalars(select(Theme))}
    for position, row in enumerate(read_csv("themes.csv")):
        theme = themes.get(row["slug"])
        if theme is None:
            theme = Theme(slug=row["slug"])
            db.session.add(theme)
            added["themes"] += 1
        theme.name, theme.name_zh, theme.position = row["name"], row["name_zh"], position
    db.session.flush()
    _places.clear()
    return added


@dataclass(frozen=True, slots=True)
class Place:
    """A region, country or theme as pages show it: its code (M49 or ISO code, theme slug) and names."""

    code: str
    name: str
    name_zh: str | None
    position: int = 0  # themes' order

    @property
    def slug(self) -> str:
        return self.code


_places: dict[str, dict[tuple[str, int], Place]] = {}
_places_lock = threading.Lock()


def places() -> dict[tuple[str, int], Place]:
    """Every region and theme by ("region" or "theme", id), read once per process and database.

    Reference data changes only through load_reference_data (`flask load-reference`), which forgets
    this copy in its own process; web workers read new names when they restart."""
    key = db.engine.url.render_as_string(hide_password=True)
    found = _places.get(key)
    if found is None:
        with _places_lock:
            found = {("region", r.id): Place(r.code, r.name, r.name_zh)
                     for r in db.session.execute(select(Region.id, Region.code, Region.name, Region.name_zh))}  # fmt: skip
            found |= {("theme", t.id): Place(t.slug, t.name, t.name_zh, t.position)
                      for t in db.session.execute(select(Theme.id, Theme.slug, Theme.name, Theme.name_zh, Theme.position))}  # fmt: skip
            _places[key] = found
    return found


def country_aliases() -> dict[str, str]:
    """Every known name and code of a country, case-folded, to its ISO alpha-2 code."""
    aliases = {}
    for row in read_csv("countries.csv"):
        for name in [row["code"], row["name"], row["name_zh"], *row["aliases"].split(";")]:
            if name:
                aliases.setdefault(name.casefold(), row["code"])
    return aliases


def country_names(locale: str) -> list[tuple[str, str]]:
    """(code, name) of every country, by English name: Chinese names for Chinese readers, where the
    reference data has them."""
    rows = db.session.execute(
        select(Region.code, Region.name, Region.name_zh).where(Region.level == "country").order_by(Region.name)
    )
    return [(code, (locale == "zh" and name_zh) or name) for code, name, name_zh in rows]


def theme_names(locale: str) -> list[tuple[str, str]]:
    """(slug, name) of every theme, in the themes' own order, in the reader's language where known."""
    rows = db.session.execute(select(Theme.slug, Theme.name, Theme.name_zh).order_by(Theme.position))
    return [(slug, (locale == "zh" and name_zh) or name) for slug, name, name_zh in rows]


def regions(actor, *, level: str | None = None, parent_code: str | None = None) -> Select:
    """The M49 tree in tree order, optionally one level or the children of one region (a query to page)."""
    permissions.require(actor, "directory.view")
    query = select(Region).options(selectinload(Region.parent))
    if level is not None:
        query = query.where(Region.level == level)
    if parent_code is not None:
        parent = db.session.scalar(select(Region).where(Region.code == parent_code[:3]))
        query = query.where(Region.parent_id == (parent.id if parent else -1))
    return query.order_by(Region.path)


def find_region(actor, code: str) -> Region:
    """A region or country by M49 code or ISO alpha-2 code."""
    permissions.require(actor, "directory.view")
    region = db.session.scalar(select(Region).where(Region.code == code[:3].upper())) if code.isascii() else None
    if region is None:
        raise NotFound(_("No such region."))
    return region


def visible_network(actor, ref: str) -> Network:
    """A network node by id or slug, for those who may see it (NotFound first)."""
    node = lookups.by_ref(Network, ref)
    if node is None:
        raise NotFound(_("No such network node."))
    permissions.require(actor, "network.view", node)
    return node


def themes(actor) -> list[Theme]:
    permissions.require(actor, "directory.view")
    return list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.slug)))


def live_networks(actor) -> Select:
    """The network and its live nodes, in tree order (a query to page)."""
    permissions.require(actor, "network.view")
    return (
        select(Network)
        .where(Network.archived_at.is_(None))
        .options(selectinload(Network.region))
        .order_by(Network.path)
    )
