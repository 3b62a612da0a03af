"""Duplicate scoring and candidate finding: normalisation, reasons, precision and recall on real names."""

import ast
import csv
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from network.errors import PermissionDenied
from network.extensions import db
from network.models import NotDuplicate, Organization
from network.services.duplicates import (
    LIKELY,
    DuplicateIndex,
    OrgFeatures,
    duplicate_pairs,
    find_similar_organizations,
    mark_not_duplicate,
    matching,
    normalise_name,
    score_pair,
)
from tests import factories as f
from tests.conftest import login

SAMPLE = Path(__file__).parent / "data" / "real_names_sample.csv"
ACCENTS = str.maketrans({"a": "á", "e": "é", "o": "ö", "u": "ü", "A": "Á", "E": "É", "O": "Ö", "U": "Ü"})
SUFFIXES = [" Inc", " Inc.", " Ltd", " Limited", ", LLC", " e.V.", " gGmbH", " Corporation"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Green-Earth Foundation e.V.", "green earth foundation"),
        ("GREEN EARTH FOUNDATION, INC.", "Grëen Earth Foundation"),
        ("Société Verte S.A.", "societe verte"),
        ("Climate Action Network (CAN) Ltd", "climate action network can"),
        ("北京绿色发展有限公司", "北京绿色发展"),
        ("Просвета", "Prosveta"),
        ("Friends & Neighbours gGmbH", "friends and neighbours"),
    ],
)
def test_normalised_names_match(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_matching_reads_no_database():
    """Scoring is pure: the features it compares are loaded by the review queue and the importer."""
    tree = ast.parse(Path(matching.__file__).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert "rapidfuzz" in imported
    assert [m for m in imported if m.split(".")[0] in ("sqlalchemy", "network")] == []


def test_scores_and_reasons():
    a = OrgFeatures.build(name="Green Earth Kenya Ltd", country="KE", website="https://www.greenearth.ke/about",
                          email="info@greenearth.ke", acronym="GEK")  # fmt: skip
    b = OrgFeatures.build(name="Green-Earth Kenya", country="KE", website="greenearth.ke", acronym="G.E.K.")
    score, reasons = score_pair(a, b)
    assert score == 1.0
    assert any("same website greenearth.ke" in r for r in reasons) and any("acronym" in r for r in reasons)

    same_id = OrgFeatures.build(name="Totally Different", identifiers=["GB-CHC-1"])
    score, reasons = score_pair(same_id, OrgFeatures.build(name="Other", identifiers=["gb-chc-1"]))
    assert score == 1.0 and "same identifier GB-CHC-1" in reasons[0]

    abroad = OrgFeatures.build(name="Green Earth", country="KE")
    score, reasons = score_pair(abroad, OrgFeatures.build(name="Green Earth", country="US"))
    assert score < LIKELY and any("different countries" in r for r in reasons)

    gmail = OrgFeatures.build(name="Alpha Trust", email="x@gmail.com")
    assert gmail.email_domain is None  # free mail says nothing about the organisation


def perturb(name: str, rng: random.Random) -> str:
    """A way people write the same name differently."""
    choice = rng.randrange(6)
    if choice == 0:
        return name.title() if name.isupper() else name.upper()
    if choice == 1:
        return name.translate(ACCENTS)
    if choice == 2:
        return name + rng.choice(SUFFIXES)
    if choice == 3:
        return name.replace(" ", "-", 1).replace("&", "and") + "."
    if choice == 4:
        return "The " + name.lower()
    return '"' + name.replace(" ", "  ") + '"'


def labelled_sample():
    """Real names, a perturbed copy of half of them (true pairs); everything else is a non-pair."""
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(7)
    records = [OrgFeatures.build(id=i, name=r["name"], country=r["country"]) for i, r in enumerate(rows)]
    positives = set()
    for i, r in enumerate(rows[::2]):
        copy_id = len(rows) + i
        original = 2 * i
        records.append(OrgFeatures.build(id=copy_id, name=perturb(r["name"], rng), country=r["country"]))
        positives.add((original, copy_id))
    return records, positives


def test_precision_and_recall_on_real_names():
    records, positives = labelled_sample()
    found = {(a, b) for _score, a, b, _reasons in DuplicateIndex(records).pairs()}
    true_found = found & positives
    precision = len(true_found) / len(found)
    recall = len(true_found) / len(positives)
    print(f"precision {precision:.3f}, recall {recall:.3f} over {len(positives)} true pairs")
    assert precision >= 0.95, sorted(found - positives)[:10]
    assert recall >= 0.95


def test_index_matches_a_new_record():
    records, _positives = labelled_sample()
    index = DuplicateIndex(records[:500])
    name = records[10].name
    found = index.matches(OrgFeatures.build(name=name.lower() + " Inc", country=records[10].country))
    assert found and found[0][1] == 10


def test_find_similar_organizations_warns_at_create_time(app):
    org = f.organization("Green Earth Kenya", country="KE", website="https://greenearth.ke")
    f.organization("Blue Ocean Society", country="KE")
    found = find_similar_organizations({"name": "Green-Earth Kenya Ltd.", "country": "KE"})
    assert [o.id for o, _s, _r in found] == [org.id]
    assert find_similar_organizations({"name": "Completely New Name", "country": "KE"}) == []
    by_site = find_similar_organizations(
        {"name": "Green Earth Organisation", "website": "http://www.greenearth.ke/", "country": "KE"}
    )
    assert by_site and by_site[0][0].id == org.id


def test_review_queue(client, app):
    node = f.network("CAN Kenya", slug="can-kenya")
    a = f.organization("Green Earth Kenya", country="KE", networks=[node])
    b = f.organization("GREEN EARTH KENYA LTD", country="KE", networks=[node])
    f.organization("Green Earth Kenya", country="KE")  # outside the coordinator's nodes
    coordinator = f.user("coordinator", networks=[node])
    from network.extensions import db

    db.session.commit()
    pairs, _seconds = duplicate_pairs(coordinator)
    assert [(p.first.id, p.second.id) for p in pairs] == [(a.id, b.id)]
    login(client, coordinator)
    page = client.get("/duplicates")
    assert page.status_code == 200 and "GREEN EARTH KENYA LTD" in page.text and "same name" in page.text
    viewer = f.user("viewer")
    db.session.commit()
    login(client, viewer)
    assert client.get("/duplicates").status_code == 403


def test_a_pair_marked_not_a_duplicate_leaves_the_queue(client, app):
    node, other = f.network("CAN Kenya", slug="can-kenya"), f.network("CAN Uganda", slug="can-uganda")
    a = f.organization("Green Earth Kenya", country="KE", networks=[node])
    b = f.organization("GREEN EARTH KENYA LTD", country="KE", networks=[node])
    c = f.organization("Green Earth Kenya", country="KE", networks=[other])
    coordinator = f.user("coordinator", networks=[node])
    db.session.commit()
    with pytest.raises(PermissionDenied):  # c is in a node the coordinator does not manage
        mark_not_duplicate(coordinator, a, c)
    login(client, coordinator)
    response = client.post("/duplicates/distinct", data={"survivor": b.id, "duplicate": a.id})
    assert response.status_code == 302
    assert "marked as different organisations" in client.get("/duplicates").text
    assert duplicate_pairs(coordinator)[0] == []
    assert duplicate_pairs(f.user("admin"))[0] != []  # a–c and b–c are still proposed
    assert client.post("/duplicates/distinct", data={"survivor": a.id, "duplicate": b.id}).status_code == 302
    assert db.session.query(NotDuplicate).count() == 1  # the same pair, once
    assert client.post("/duplicates/distinct", data={"survivor": a.id, "duplicate": a.id}).status_code == 422
    assert client.post("/duplicates/distinct", data={"survivor": a.id, "duplicate": "x"}).status_code == 404


def test_creating_a_lookalike_warns_first_and_creates_on_the_second_press(world, client_as, db_session):
    f.organization("Green Transport Promotion Association", country="CN", website="https://greentransport.example.org",
                   networks=[world.x1])  # fmt: skip
    client = client_as("coordinator_x")
    data = {"name": "Green Transport Promotion Assoc.", "kind": "ngo", "hq_country": "CN",
            "website": "greentransport.example.org", "network": str(world.x1.id)}  # fmt: skip
    warned = client.post("/organizations/new", data=data)
    assert warned.status_code == 200
    assert b"This looks like an organisation already in the directory" in warned.data
    assert b'name="create_anyway" type="hidden" value="1"' in warned.data
    count = db_session.scalar(select(func.count()).select_from(Organization))
    assert count == 3  # nothing created yet

    created = client.post("/organizations/new", data={**data, "create_anyway": "1"})
    assert created.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Organization)) == 4


def test_creating_an_unlike_organisation_is_not_held_up(world, client_as, db_session):
    client = client_as("coordinator_x")
    response = client.post("/organizations/new", data={"name": "Coastal Youth Forum", "kind": "youth",
                                                       "hq_country": "BD", "network": str(world.x1.id)})  # fmt: skip
    assert response.status_code == 302
