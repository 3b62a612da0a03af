"""Drawing the demo network from one seeded random generator and inserting it in bulk."""

import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from network.bulk import insert_returning_ids
from network.demo.events import build_events
from network.demo.spec import (
    ARAB_LEAGUE,
    FIRM_CATEGORIES,
    INVITATION_WEIGHTS,
    KIND_WEIGHTS,
    MEMBERSHIP_STATUS_WEIGHTS,
    NODES,
    PARTICIPANT_ROLE_WEIGHTS,
    PARTNERSHIP_KIND_WEIGHTS,
    PROJECT_ROLE_WEIGHTS,
    PROJECT_STATUS_WEIGHTS,
    ROOT,
    SHOWCASE,
    SHOWCASE_STATUSES,
    STORY,
    TCO2E_SCALE,
    NodeSpec,
    StoryOrg,
    load_csv,
    load_json,
)
from network.extensions import db
from network.models import (
    Initiative,
    InitiativeProject,
    InitiativeTarget,
    Membership,
    Network,
    Organization,
    OrganizationIdentifier,
    OutcomeReport,
    Participant,
    Partnership,
    Person,
    Project,
    ProjectParticipant,
    Region,
    Theme,
    User,
)
from network.models.initiative import initiative_regions, initiative_themes
from network.models.organization import organization_countries, organization_themes
from network.models.project import project_countries, project_themes
from network.models.user import user_networks
from network.slugs import slugify

CHUNK = 5000  # organisations generated and inserted per round (bounded memory at 200,000)


@dataclass
class DemoLogin:
    role: str
    email: str
    password: str
    scope: str


def table_of(target):
    """Core inserts on the table: the ORM's bulk path is several times slower for plain rows."""
    return getattr(target, "__table__", target)


def latin(part) -> str:
    return part[0] if isinstance(part, list) else part


def local(part) -> str | None:
    if isinstance(part, list):
        return part[1] if len(part) > 1 else None
    return part


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Country:
    code: str
    id: int
    path: str
    name: str
    name_zh: str | None
    cities: list
    languages: list[str]


@dataclass
class Node:
    spec: NodeSpec
    id: int
    path: str
    children: list["Node"] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # active members, for initiatives

    def subtree(self) -> list["Node"]:
        return [self, *(n for child in self.children for n in child.subtree())]


class DemoBuilder:
    def __init__(self, orgs: int, seed: int):
        self.total = orgs
        self.rng = random.Random(seed)
        self.languages = load_json("languages.json")
        self.places = load_json("places.json")
        self.people = load_json("people.json")
        self.texts = load_json("projects.json")
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.slugs: set[str] = set()
        self.slug_next: dict[str, int] = {}
        self.non_firms_by_country: dict[str, list[int]] = {}
        self.firms_by_country: dict[str, list[int]] = {}
        self.firms: list[int] = []
        self.non_firms: list[int] = []
        self.projects_by_org: dict[int, list[int]] = {}
        self.story_ids: dict[str, int] = {}
        self.story_project_id: int | None = None
        self.counts: Counter[str] = Counter()  # rows inserted, by table

    # -- reference data and the node tree -----------------------------------------------------------

    def load_reference(self) -> None:
        cities, languages = self.places["cities"], self.places["languages"]
        self.countries = {
            code: Country(code, id_, path, name, name_zh, cities.get(code, []), languages.get(code, ["en"]))
            for code, id_, path, name, name_zh in db.session.execute(
                select(Region.code, Region.id, Region.path, Region.name, Region.name_zh)
                .where(Region.level == "country")
                .order_by(Region.code)
            )
        }
        self.region_ids = dict(db.session.execute(select(Region.code, Region.id)).all())
        self.themes = dict(db.session.execute(select(Theme.slug, Theme.id).order_by(Theme.position, Theme.id)).all())
        if not self.countries or not self.themes:
            raise click.ClickException("No reference data: run `flask --app network load-reference` first.")
        weights = self.places["weights"]
        self.country_codes = list(self.countries)
        self.country_weights = [weights.get(code, 1) for code in self.country_codes]
        self.theme_slugs = list(self.themes)
        # Neighbours (same M49 parent) for countries of operation.
        by_parent: dict[str, list[str]] = {}
        for c in self.countries.values():
            by_parent.setdefault(c.path.rsplit("/", 2)[0], []).append(c.code)
        self.neighbours = {c.code: by_parent[c.path.rsplit("/", 2)[0]] for c in self.countries.values()}

    def create_networks(self) -> None:
        """The node tree through the ORM (a few dozen rows): ids first, then the id paths."""
        created: dict[str, Network] = {}
        for spec in NODES:
            node = Network(
                slug=spec.slug, name=spec.name, name_local=spec.name_local, region_id=self.region_ids.get(spec.region),
                parent=created.get(spec.parent) if spec.parent else None,
                description=f"The {spec.short} node of the Climate Action Network." if spec.parent else
                "A worldwide network of civil-society organisations working on climate change.",
                created_at=self.now - timedelta(days=3650), updated_at=self.now - timedelta(days=30),
            )  # fmt: skip
            db.session.add(node)
            created[spec.slug] = node
        db.session.flush()
        self.counts["networks"] += len(NODES)
        for spec in NODES:
            node = created[spec.slug]
            node.path = (node.parent.path if node.parent else "/") + f"{node.id}/"
        db.session.flush()
        self.nodes = {slug: Node(spec, created[slug].id, created[slug].path) for slug, spec in
                      ((s.slug, s) for s in NODES)}  # fmt: skip
        for node in self.nodes.values():
            if node.spec.parent:
                self.nodes[node.spec.parent].children.append(node)
        # Country -> the node it joins first: national node, else explicit claim, else region claim.
        national = {s.region: s.slug for s in NODES if len(s.region) == 2 and not s.countries}
        explicit = {code: s.slug for s in NODES for code in s.countries}
        regional = [(f"/{s.region}/", s.slug) for s in NODES if not s.countries and len(s.region) == 3 and s.parent]
        regional.sort(key=lambda r: -len(self.nodes[r[1]].path))  # deepest (West Africa) before Africa
        self.home_node: dict[str, str] = {}
        for c in self.countries.values():
            slug = national.get(c.code) or explicit.get(c.code)
            if not slug:
                slug = next((s for prefix, s in regional if prefix in c.path), ROOT)
            self.home_node[c.code] = slug
        # Arab League members in Africa also belong to the African sub-regional node.
        self.second_node = {
            c.code: next((s for prefix, s in regional if prefix in c.path), None)
            for c in self.countries.values()
            if c.code in ARAB_LEAGUE and "/002/" in c.path
        }

    # -- names -----------------------------------------------------------------------------------------

    def place_for(self, country: Country):
        if country.cities and self.rng.random() < 0.75:
            return self.rng.choice(country.cities)
        return [country.name, country.name_zh]

    def org_name(self, lang: str, kind: str, country: Country) -> tuple[str, str | None]:
        vocab = self.languages[lang]
        types = vocab["types"].get(kind) or vocab["types"]["default"]
        topics = vocab.get("company_topics") if kind == "company" else None
        part_type = self.rng.choice(types)
        part_topic = self.rng.choice(topics or vocab["topics"])
        part_place = self.place_for(country)
        template = self.rng.choice((kind == "company" and vocab.get("company_templates")) or vocab["templates"])
        name = template[0].format(type=latin(part_type), topic=latin(part_topic), place=latin(part_place))
        name_local = None
        if len(template) > 1:
            parts = {"type": local(part_type), "topic": local(part_topic), "place": local(part_place)}
            if lang != "zh" and parts["place"] == country.name_zh:
                parts["place"] = None  # a Chinese country name inside an Arabic or Hindi name: leave it out
            if all(parts.values()) or "{place}" not in template[1] and parts["type"] and parts["topic"]:
                name_local = template[1].format(**{k: v or "" for k, v in parts.items()})
        return name, name_local

    def acronym_for(self, name: str) -> str | None:
        letters = [w[0] for w in name.replace("-", " ").split() if w[:1].isupper() and w.isalpha()]
        return "".join(letters) if 2 <= len(letters) <= 6 else None

    def unique_slug(self, text: str, fallback: str) -> str:
        base = slugify(text, fallback=fallback)
        slug, n = base, self.slug_next.get(base, 2)
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slug_next[base] = n
        self.slugs.add(slug)
        return slug

    def person_name(self, lang: str) -> tuple[str, str]:
        """The name as shown, and an ASCII form for the e-mail address."""
        names = self.people.get(lang) or self.people["en"]
        given, family = self.rng.choice(names["given"]), self.rng.choice(names["family"])
        if lang == "zh":
            return family[1] + given[1], f"{given[0]}.{family[0]}"
        return f"{given} {family}", f"{given}.{family}"

    # -- organisations, chunk by chunk ---------------------------------------------------------------

    def firm_pools(self) -> None:
        self.real_firms: dict[str, list[dict]] = {}
        for row in load_csv("firms_nsi.csv"):
            name = row["name_en"] or row["name"]
            self.real_firms.setdefault(row["country"], []).append({
                "name": name, "name_local": row["name"] if row["name"] != name else None,
                "description": f"A {FIRM_CATEGORIES[row['category']]} operating in {{country}}.", "founded": None,
                "slug_text": name if slugify(name, fallback="") else f"firm {row['wikidata'] or row['country']}",
            })  # fmt: skip
        for row in load_csv("firms_sp500.csv"):
            self.real_firms.setdefault(row["country"], []).append({
                "name": row["name"], "name_local": None, "slug_text": row["name"],
                "description": f"{row['sub_industry']} ({row['sector']}), headquartered in {row['headquarters']}.",
                "founded": int(row["founded"]) if row["founded"].isdigit() else None,
            })  # fmt: skip
        for firms in self.real_firms.values():
            self.rng.shuffle(firms)

    def organization_plan(self, index: int) -> tuple[str, str, StoryOrg | None]:
        """(country, kind, story) of the index-th organisation."""
        story = STORY if self.total >= 20 else ()
        if index < len(story):
            return "CN", story[index].kind, story[index]
        index -= len(story)
        if index < len(SHOWCASE):
            return (*SHOWCASE[index], None)
        country = self.rng.choices(self.country_codes, weights=self.country_weights)[0]
        return country, weighted(self.rng, KIND_WEIGHTS), None

    def build_organizations(self, bar) -> None:
        for start in range(0, self.total, CHUNK):
            end = min(start + CHUNK, self.total)
            self.build_chunk(start, end)
            bar.update(end - start)

    def build_chunk(self, start: int, end: int) -> None:
        rng = self.rng
        planned = []
        rows = []
        for index in range(start, end):
            code, kind, story = self.organization_plan(index)
            country = self.countries.get(code) or self.countries[self.country_codes[0]]
            lang = rng.choice(country.languages)
            firm = None
            if story:
                name, name_local, acronym = story.name, story.name_local, story.acronym
                description = story.description
            elif kind == "company" and self.real_firms.get(code) and rng.random() < 0.5:
                firm = self.real_firms[code].pop()
                name, name_local, acronym = firm["name"], firm["name_local"], None
                description = firm["description"].format(country=country.name)
            else:
                name, name_local = self.org_name(lang, kind, country)
                acronym = self.acronym_for(name) if rng.random() < 0.4 and kind != "company" else None
                description = None
            slug = self.unique_slug(firm["slug_text"] if firm else name, f"{kind.replace('_', '-')}-{index + 1}")
            domain = f"{slug[:40].rstrip('-')}.example.org"
            themes = list(story.themes) if story else self.pick_themes()
            if description is None:
                theme_names = " and ".join(t.replace("-", " ") for t in themes[:2])
                description = f"Works on {theme_names} in {country.name}."
            founded = (firm or {}).get("founded") or rng.choice((rng.randint(1960, 2023), rng.randint(1990, 2023)))
            created = self.now - timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1440))
            rows.append({
                "slug": slug, "name": name[:300], "name_local": name_local, "acronym": acronym, "kind": kind,
                "hq_country_id": country.id, "website": f"https://{domain}", "email": f"info@{domain}",
                "phone": None, "description": description, "founded": founded, "merged_into_id": None,
                "version": 1, "created_at": created,
                "updated_at": created + timedelta(days=rng.randint(0, 25)), "archived_at": None,
            })  # fmt: skip
            planned.append((index, country, lang, kind, themes, story, founded))
        ids = insert_returning_ids(Organization.__table__, rows, ("slug",))
        self.counts["organizations"] += len(ids)

        countries, themes, identifiers, memberships, people = [], [], [], [], []
        projects: list[dict] = []
        project_meta: list[tuple] = []
        for org_id, (index, country, lang, kind, org_themes, story, founded) in zip(ids, planned, strict=True):
            if story:
                self.story_ids[story.key] = org_id
            pool = self.firms_by_country if kind == "company" else self.non_firms_by_country
            pool.setdefault(country.code, []).append(org_id)
            (self.firms if kind == "company" else self.non_firms).append(org_id)
            operated = {country.code}
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                operated.add(rng.choice(self.neighbours[country.code]))
            if rng.random() < 0.05:
                operated.add(rng.choice(self.country_codes))
            countries += [{"organization_id": org_id, "region_id": self.countries[c].id} for c in sorted(operated)]
            themes += [{"organization_id": org_id, "theme_id": self.themes[t]} for t in org_themes]
            identifier = self.identifier(country.code, kind, index)
            if identifier:
                identifiers.append({"organization_id": org_id, "value": identifier})
            memberships += self.memberships_of(org_id, index, country.code, kind, story, founded)
            people += self.people_of(org_id, lang, rows[index - start]["email"].split("@")[1])
            if kind not in ("company", "government"):
                titles = set()
                for _ in range(rng.choice((0, 0, 0, 0, 0, 1, 1, 1, 2)) if not story else 0):
                    project, meta = self.project_for(org_id, country, lang, org_themes)
                    if project["title"] not in titles:  # (lead, title) identifies the new project's id
                        titles.add(project["title"])
                        projects.append(project)
                        project_meta.append(meta)
        self.insert(organization_countries, countries)
        self.insert(organization_themes, themes)
        self.insert(OrganizationIdentifier, identifiers)
        self.insert(Membership, memberships)
        self.insert(Person, people)
        self.insert_projects(projects, project_meta)

    def pick_themes(self) -> list[str]:
        k = self.rng.choice((1, 2, 2, 3, 3, 4))
        return sorted(self.rng.sample(self.theme_slugs, k), key=self.theme_slugs.index)

    def identifier(self, code: str, kind: str, index: int) -> str | None:
        """org-id.guide style identifiers for the registers people know; unique by construction."""
        if self.rng.random() > 0.6:
            return None
        n = index + 1
        if code == "GB":
            return f"GB-COH-{n:08d}" if kind == "company" else f"GB-CHC-{1000000 + n}"
        if code == "US":
            return f"US-EIN-{10 + n % 89:02d}-{n:07d}"
        if code == "CN":
            return f"CN-USCC-{'91' if kind == 'company' else '51'}110000{n:09d}{n % 10}"
        if code == "FR":
            return f"FR-RNA-W{n:09d}"
        if code == "ZA":
            return f"ZA-NPO-{n:06d}-NPO"
        if code == "NL":
            return f"NL-KVK-{n:08d}"
        if code == "BD":
            return f"BD-NAB-{n}"
        return None

    def memberships_of(self, org_id, index, code, kind, story, founded) -> list[dict]:
        rng = self.rng
        if story:
            if story.kind == "company":
                return []
            homes = ["ccan", ROOT] if story.key == "zero" else ["ccan"]
        else:
            if kind == "company" or kind == "government" or rng.random() < 0.08 and index > 40:
                return []
            homes = [self.home_node[code]]
            if code in self.second_node and rng.random() < 0.4:
                homes.append(self.second_node[code])
            elif rng.random() < 0.1:
                parent = self.nodes[homes[0]].spec.parent
                homes.append(parent or "can-europe")
        rows = []
        for position, slug in enumerate(dict.fromkeys(homes)):
            # The showcase organisations have fixed statuses, so even a small seed has members of each.
            showcase = index - (len(STORY) if self.total >= 20 else 0)
            if story or 0 <= showcase < len(SHOWCASE) and position == 0:
                status = SHOWCASE_STATUSES.get(showcase, "active")
            else:
                status = weighted(rng, MEMBERSHIP_STATUS_WEIGHTS)
            joined = date(max(founded or 1990, 1995), 1, 1) + timedelta(days=rng.randint(0, 365 * 8))
            joined = min(joined, self.today - timedelta(days=30))
            left = None
            if status == "lapsed":
                left = min(joined + timedelta(days=rng.randint(365, 365 * 6)), self.today)
            rows.append({
                "organization_id": org_id, "network_id": self.nodes[slug].id, "status": status, "joined_on": joined,
                "left_on": left, "version": 1, "created_at": self.now, "updated_at": self.now,
            })  # fmt: skip
            if status == "active":
                self.nodes[slug].members.append(org_id)
        return rows

    def people_of(self, org_id: int, lang: str, domain: str) -> list[dict]:
        rows = []
        for _ in range(self.rng.choice((0, 1, 1, 1, 2, 2, 3))):
            name, ascii_name = self.person_name(lang)
            title = self.rng.choice(self.people["titles"])
            email = f"{slugify(ascii_name, fallback='contact', max_length=60).replace('-', '.')}@{domain}"
            listed = self.rng.random() < 0.55
            # Mailings (#16): people listed publicly also agreed to network mail (no more random
            # draws, so the rest of the demo stays the same); Chinese names read it in Chinese.
            rows.append({
                "organization_id": org_id, "name": name, "title": title, "email": email, "phone": None,
                "consent_to_list": listed, "mail_consent": listed, "language": "zh" if lang == "zh" else None,
                "version": 1, "created_at": self.now, "updated_at": self.now, "archived_at": None,
            })  # fmt: skip
        return rows

    # -- projects, participants, outcome reports ------------------------------------------------------

    def project_for(self, org_id: int, country: Country, lang: str, org_themes: list[str], *, title=None):
        rng = self.rng
        theme = rng.choice(org_themes)
        templates = self.texts["projects"].get(theme) or self.texts["projects"]["energy-transition"]
        template = rng.choice(templates)
        place = self.place_for(country)
        values = {"place": latin(place), "country": country.name}
        title_local = None
        if lang == "zh" and local(place) and country.name_zh:
            title_local = template[1].format(place=local(place), country=country.name_zh)
        status = weighted(rng, PROJECT_STATUS_WEIGHTS)
        start = date(rng.randint(2015, 2025), rng.randint(1, 12), 1)
        if status == "planned":
            start = self.today + timedelta(days=rng.randint(30, 400))
        end = start + timedelta(days=rng.randint(365, 365 * 5))
        if status == "completed" and end > self.today:
            start, end = start - (end - self.today) - timedelta(days=30), self.today - timedelta(days=30)
        budget = Decimal(rng.randint(10, 5000) * 1000) if rng.random() < 0.8 else None
        project = {
            "lead_organization_id": org_id, "title": title or template[0].format(**values), "title_local": title_local,
            "summary": f"A {theme.replace('-', ' ')} project in {country.name}.", "status": status,
            "start_date": start, "end_date": end, "budget": budget,
            "currency": self.places["currencies"].get(country.code, "USD") if budget is not None else None,
            "version": 1, "created_at": self.now, "updated_at": self.now, "archived_at": None,
        }  # fmt: skip
        return project, (org_id, country.code, theme, status, start)

    def insert_projects(self, projects: list[dict], meta: list[tuple]) -> list[int]:
        if not projects:
            return []
        ids = insert_returning_ids(Project.__table__, projects, ("lead_organization_id", "title"))
        self.counts["projects"] += len(ids)
        rng = self.rng
        countries, themes, participants, outcomes = [], [], [], []
        for project_id, (lead_id, code, theme, status, start) in zip(ids, meta, strict=True):
            self.projects_by_org.setdefault(lead_id, []).append(project_id)
            countries.append({"project_id": project_id, "region_id": self.countries[code].id})
            themes.append({"project_id": project_id, "theme_id": self.themes[theme]})
            participants.append({"project_id": project_id, "organization_id": lead_id, "role": "lead"})
            taken = {lead_id}
            peers = self.non_firms_by_country.get(code, [])
            for _ in range(rng.choice((0, 1, 1, 2))):
                other = rng.choice(peers) if peers else None
                if other and other not in taken:
                    taken.add(other)
                    participants.append({"project_id": project_id, "organization_id": other,
                                         "role": weighted(rng, PROJECT_ROLE_WEIGHTS)})  # fmt: skip
            firms = self.firms_by_country.get(code) or self.firms
            if firms and rng.random() < 0.2:
                firm = rng.choice(firms)
                if firm not in taken:
                    participants.append({"project_id": project_id, "organization_id": firm,
                                         "role": rng.choice(("funder", "technical", "partner"))})  # fmt: skip
            if status in ("active", "completed") and rng.random() < 0.7:
                outcomes += self.outcomes_for(project_id, theme, start)
        self.insert(project_countries, countries)
        self.insert(project_themes, themes)
        self.insert(ProjectParticipant, participants)
        self.insert(OutcomeReport, outcomes)
        return ids

    def outcomes_for(self, project_id: int, theme: str, start: date, *, verified_by: str | None = None) -> list[dict]:
        rng = self.rng
        rows = []
        scale = TCO2E_SCALE.get(theme, 400)
        year = start.year
        for _ in range(rng.randint(1, 3)):
            period_start = date(year, 1, 1)
            period_end = date(year, 12, 31)
            if period_end >= self.today:
                break
            basis = "verified" if verified_by or rng.random() < 0.3 else "estimated"
            method = rng.choice(self.texts["methods"][basis])
            tco2e = Decimal(rng.randint(scale // 10, scale * 3)) + Decimal(rng.randint(0, 999)) / 1000
            rows.append({
                "project_id": project_id, "period_start": period_start, "period_end": period_end,
                "tco2e_reduced": tco2e if theme not in ("gender", "education-communication") or rng.random() < 0.5
                else None, "basis": basis, "method": verified_by or method,
                # seeded as already reviewed: the demo has no verifier accounts to have done it
                "review_status": "verified" if basis == "verified" else "draft",
                "people_reached": rng.randint(50, 50000) if rng.random() < 0.8 else None,
                "note": None, "version": 1, "created_at": self.now, "updated_at": self.now, "archived_at": None,
            })  # fmt: skip
            year += 1
        return rows

    # -- partnerships, the story, initiatives -----------------------------------------------------------

    def build_partnerships(self) -> None:
        rng = self.rng
        rows, seen = [], set()
        if not self.firms or not self.non_firms:
            return
        for _ in range(max(3, self.total // 25)):
            ngo = rng.choice(self.non_firms)
            code = self.country_of_ngo(ngo)
            firm = rng.choice(self.firms_by_country.get(code) or self.firms)
            if (ngo, firm) in seen or ngo == firm:
                continue
            seen.add((ngo, firm))
            kind = weighted(rng, PARTNERSHIP_KIND_WEIGHTS)
            rows.append(self.partnership(ngo, firm, kind, rng.choice(self.theme_slugs)))
        self.insert(Partnership, rows)

    def country_of_ngo(self, org_id: int) -> str:
        # Cheap reverse lookup built lazily: org id -> country code.
        if not hasattr(self, "_ngo_country"):
            self._ngo_country = {i: c for c, ids in self.non_firms_by_country.items() for i in ids}
        return self._ngo_country.get(org_id, "")

    def partnership(self, a: int, b: int, kind: str, theme: str, *, status=None, description=None) -> dict:
        rng = self.rng
        start = date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
        status = status or rng.choices(("active", "proposed", "ended"), weights=(70, 10, 20))[0]
        end = start + timedelta(days=rng.randint(365, 1500)) if status == "ended" else None
        template = self.texts["partnership_descriptions"][kind]
        return {
            "org_a_id": a, "org_b_id": b, "kind": kind, "status": status, "start_date": start, "end_date": end,
            "description": description or template.format(a="the NGO", b="the company", theme=theme.replace("-", " ")),
            "version": 1, "created_at": self.now, "updated_at": self.now, "archived_at": None,
        }  # fmt: skip

    def build_story(self) -> None:
        """Who works with whom on green freight in China, with a project, its outcomes and an initiative."""
        if len(self.story_ids) < len(STORY):
            return
        s = self.story_ids
        self.insert(Partnership, [
            self.partnership(s["gtpa"], s["freight"], "implementation", "transport", status="active",
                             description="Eco-driving training and fuel-saving tyres offered to drivers on the platform."),
            self.partnership(s["gtpa"], s["bank"], "funding", "transport", status="active",
                             description="Green-credit loans for drivers who retrofit their trucks."),
            self.partnership(s["gtpa"], s["tyres"], "in_kind", "transport", status="active",
                             description="Low-rolling-resistance tyres for the pilot fleets at cost price."),
            self.partnership(s["zero"], s["certifier"], "technical", "transport", status="active",
                             description="A shared method to verify fuel savings and tCO2e reductions."),
            self.partnership(s["certifier"], s["freight"], "technical", "transport", status="proposed",
                             description="Certifying the platform's low-carbon freight label."),
        ])  # fmt: skip
        cn = self.countries["CN"]
        project, meta = self.project_for(s["gtpa"], cn, "zh", ["transport"],
                                         title="Eco-driving and low-rolling-resistance tyres for 10,000 trucks")  # fmt: skip
        project.update(title_local="一万辆卡车节油驾驶与低滚阻轮胎项目", status="active",
                       start_date=date(2022, 3, 1), end_date=date(2027, 2, 28), budget=Decimal("12000000"),
                       currency="CNY")  # fmt: skip
        [project_id] = db.session.scalars(
            insert(Project.__table__).returning(Project.__table__.c.id, sort_by_parameter_order=True), [project]
        ).all()
        self.story_project_id = project_id
        self.counts["projects"] += 1
        self.projects_by_org.setdefault(s["gtpa"], []).append(project_id)
        self.insert(project_countries, [{"project_id": project_id, "region_id": cn.id}])
        self.insert(project_themes, [{"project_id": project_id, "theme_id": self.themes["transport"]}])
        self.insert(ProjectParticipant, [
            {"project_id": project_id, "organization_id": s["gtpa"], "status": "confirmed", "role": "lead"},
            {"project_id": project_id, "organization_id": s["freight"], "status": "confirmed", "role": "implementer"},
            # the tyre maker has not confirmed yet (nor answered the initiative's invitation)
            {"project_id": project_id, "organization_id": s["tyres"], "role": "partner", "status": "proposed"},
            {"project_id": project_id, "organization_id": s["certifier"], "status": "confirmed", "role": "technical"},
            {"project_id": project_id, "organization_id": s["bank"], "status": "confirmed", "role": "funder"},
            {"project_id": project_id, "organization_id": s["zero"], "role": "technical", "status": "confirmed"},
        ])  # fmt: skip
        outcomes = [
            {"project_id": project_id, "period_start": date(2022, 3, 1), "period_end": date(2022, 12, 31),
             "tco2e_reduced": Decimal("18500.000"), "basis": "estimated",
             "method": "GLEC Framework for logistics emissions", "people_reached": 3200,
             "note": "3,200 drivers trained; fuel savings estimated from platform fuel records."},
            {"project_id": project_id, "period_start": date(2023, 1, 1), "period_end": date(2023, 12, 31),
             "tco2e_reduced": Decimal("41250.500"), "basis": "verified",
             "method": "GLEC Framework, verified by GreenMark Certification Centre", "people_reached": 7800,
             "note": "Verified on a sample of 400 trucks."},
            {"project_id": project_id, "period_start": date(2024, 1, 1), "period_end": date(2024, 12, 31),
             "tco2e_reduced": Decimal("63900.250"), "basis": "verified",
             "method": "GLEC Framework, verified by GreenMark Certification Centre", "people_reached": 9400,
             "note": None},
        ]  # fmt: skip
        for row in outcomes:
            row.update(version=1, created_at=self.now, updated_at=self.now, archived_at=None)
            if row["basis"] == "verified":  # verified by the certifier taking part as "technical"
                row.update(review_status="verified", reviewed_at=datetime(row["period_end"].year + 1, 3, 15, tzinfo=UTC),
                           review_comment="Checked by GreenMark Certification Centre against fuel records.")  # fmt: skip
            else:
                row.update(review_status="draft", reviewed_at=None, review_comment=None)
        self.insert(OutcomeReport, outcomes)
        roles = [("gtpa", "lead", "accepted"), ("freight", "partner", "accepted"), ("bank", "funder", "accepted"),
                 ("certifier", "technical", "accepted"), ("zero", "technical", "accepted"),
                 ("tyres", "partner", "invited")]  # fmt: skip
        self.add_initiative(
            "ccan", "Green Freight China", "中国绿色货运行动", "active",
            "Cut the fuel use of China's road freight: eco-driving, fuel-saving tyres, retrofit loans, verified savings.",
            ["transport", "climate-finance"], [(s[k], role, status) for k, role, status in roles],
            [("Trucks retrofitted", "trucks", Decimal(10000), Decimal(3200)),
             ("Drivers trained", "people", Decimal(20000), Decimal(9400))],
            [project_id], Decimal(250000), 20000,
        )  # fmt: skip

    def build_initiatives(self) -> None:
        rng = self.rng
        conveners = [n for n in self.nodes.values() if sum(len(x.members) for x in n.subtree()) >= 3]
        if not conveners:
            return
        templates = self.texts["initiatives"]
        titles: dict[str, int] = {}
        for _ in range(max(2, self.total // 150)):
            node = rng.choice(conveners)
            members = [m for n in node.subtree() for m in n.members]
            template = rng.choice(templates)
            title = template["title"].format(region=node.spec.short)
            title_zh = template["title_zh"].format(region_zh=node.spec.short_zh)
            titles[title] = titles.get(title, 0) + 1
            if titles[title] > 1:
                title, title_zh = f"{title} (phase {titles[title]})", f"{title_zh}（第{titles[title]}期）"
            chosen = list(dict.fromkeys(rng.sample(members, min(len(members), rng.randint(3, 8)))))
            people = [(chosen[0], "lead", "accepted")]
            people += [(m, weighted(rng, PARTICIPANT_ROLE_WEIGHTS), weighted(rng, INVITATION_WEIGHTS))
                       for m in chosen[1:]]  # fmt: skip
            if self.firms and rng.random() < 0.6:
                firm = rng.choice(self.firms)
                if firm not in chosen:
                    people.append(
                        (firm, rng.choice(("funder", "technical", "partner")), weighted(rng, INVITATION_WEIGHTS))
                    )
            label, unit, low, high = template["target"]
            value = Decimal(rng.randint(low, high))
            status = rng.choices(("proposed", "active", "closed"), weights=(20, 65, 15))[0]
            achieved = (
                (value * Decimal(rng.randint(5, 100)) / 100).quantize(Decimal(1)) if status != "proposed" else None
            )
            linked = [p for m, _, s in people if s == "accepted" for p in self.projects_by_org.get(m, [])][:3]
            self.add_initiative(
                node.spec.slug, title, title_zh, status, template["goal"], template["themes"], people,
                [(label, unit, value, achieved)], linked,
                Decimal(rng.randint(1, 500) * 100) if rng.random() < 0.6 else None,
                rng.randint(1, 200) * 500 if rng.random() < 0.5 else None,
            )  # fmt: skip

    def add_initiative(self, node_slug, title, title_zh, status, goal, themes, participants, targets, projects,
                       target_tco2e, target_people) -> None:  # fmt: skip
        rng = self.rng
        start = date(rng.randint(2019, 2025), rng.randint(1, 12), 1)
        node = self.nodes[node_slug]
        [initiative_id] = db.session.scalars(
            insert(Initiative.__table__).returning(Initiative.__table__.c.id, sort_by_parameter_order=True),
            [{
                "slug": self.unique_slug(title, "initiative"), "title": title, "title_local": title_zh, "goal": goal,
                "description": None, "status": status, "start_date": start,
                "end_date": start + timedelta(days=365 * rng.randint(2, 6)), "target_tco2e": target_tco2e,
                "target_people": target_people, "network_id": node.id, "created_by_id": None, "version": 1,
                "created_at": self.now, "updated_at": self.now, "archived_at": None,
            }],
        ).all()  # fmt: skip
        self.counts["initiatives"] += 1
        region_id = self.region_ids.get(node.spec.region)
        if region_id:
            self.insert(initiative_regions, [{"initiative_id": initiative_id, "region_id": region_id}])
        self.insert(initiative_themes, [{"initiative_id": initiative_id, "theme_id": self.themes[t]} for t in themes])
        invited = self.now - timedelta(days=rng.randint(30, 700))
        self.insert(Participant, [
            {"initiative_id": initiative_id, "organization_id": org_id, "role": role, "invitation_status": status,
             "share": None, "invited_at": invited, "invited_by_id": None,
             "responded_at": None if status == "invited" else invited + timedelta(days=rng.randint(1, 20)),
             "version": 1, "created_at": invited, "updated_at": invited}
            for org_id, role, status in participants
        ])  # fmt: skip
        self.insert(InitiativeTarget, [
            {"initiative_id": initiative_id, "label": label, "unit": unit, "value": value, "achieved": achieved}
            for label, unit, value, achieved in targets
        ])  # fmt: skip
        self.insert(InitiativeProject, [
            {"initiative_id": initiative_id, "project_id": p, "linked_at": self.now, "linked_by_id": None}
            for p in dict.fromkeys(projects)
        ])  # fmt: skip

    # -- users -----------------------------------------------------------------------------------------

    def build_users(self) -> list[DemoLogin]:
        cansa = self.nodes["can-south-asia"]
        members = [m for n in cansa.subtree() for m in n.members]
        member_org = min(members) if members else (self.non_firms or self.firms)[0]
        member_org_name = db.session.scalar(select(Organization.name).where(Organization.id == member_org))
        logins = [
            DemoLogin("admin", "admin@example.org", secrets.token_urlsafe(12), "everything"),
            DemoLogin("coordinator", "coordinator@example.org", secrets.token_urlsafe(12), cansa.spec.name),
            DemoLogin("member", "member@example.org", secrets.token_urlsafe(12), member_org_name),
            DemoLogin("viewer", "viewer@example.org", secrets.token_urlsafe(12), "read only"),
        ]
        names = {"admin": "Demo Admin", "coordinator": "Ayesha Rahman", "member": "Tanvir Hossain",
                 "viewer": "Demo Viewer"}  # fmt: skip
        ids = db.session.scalars(
            insert(User.__table__).returning(User.__table__.c.id, sort_by_parameter_order=True),
            [{
                "email": login.email, "name": names[login.role], "role": login.role,
                "password_hash": generate_password_hash(login.password),
                "organization_id": member_org if login.role == "member" else None, "active": True, "locale": None,
                "last_login_at": None, "session_token": secrets.token_hex(16), "version": 1,
                "created_at": self.now, "updated_at": self.now,
            } for login in logins],
        ).all()  # fmt: skip
        self.counts["users"] += len(ids)
        self.insert(user_networks, [{"user_id": ids[1], "network_id": cansa.id}])
        return logins

    # -- running it --------------------------------------------------------------------------------

    def insert(self, target, rows: list[dict]) -> None:
        if rows:
            db.session.execute(insert(table_of(target)), rows)
            self.counts[table_of(target).name] += len(rows)

    def build(self) -> list[DemoLogin]:
        self.load_reference()
        self.firm_pools()
        self.create_networks()
        with click.progressbar(length=self.total, label="Organisations", show_pos=True) as bar:
            self.build_organizations(bar)
        click.echo("Partnerships, initiatives and demo users…")
        self.build_story()
        self.build_partnerships()
        self.build_initiatives()
        logins = self.build_users()
        build_events(self)  # after the users: some of them register
        return logins
