"""Schemathesis against the app's own OpenAPI document: no 5xx, every response as documented.

Every operation gets a bounded number of generated requests (valid and invalid ones), sent
through the WSGI app with an admin's read-write token, so writes are exercised too.
"""

from collections import Counter

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from network.extensions import db
from network.services import events, mailings, tokens
from tests import factories as f

SETTINGS = hypothesis.settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app, world):
    # Something behind every kind of id, so generated ids sometimes find a record.
    f.person(world.org_a, consent_to_list=True)
    f.outcome(world.project_a)
    f.partnership(world.org_a, world.org_b)
    ini = f.initiative(network=world.x)
    f.participant(ini, world.org_a)
    event = events.create_event(f.SETUP, {"title": "Event", "status": "open", "capacity": 1, "network": world.x.id,
                                          "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T11:00"})  # fmt: skip
    events.add_host(f.SETUP, event, world.org_a, "host")
    events.add_agenda_item(f.SETUP, event, {"title": "Opening", "starts_at": "2030-01-01T10:00",
                                            "speakers": [{"name": "Speaker"}]})  # fmt: skip
    events.register(world.users["member_a"], event, {"dietary": "vegan"})
    f.person(world.org_a, mail_consent=True)
    mailings.save_mailing(f.SETUP, {"subject": "Draft", "body": "Hi", "source": "node", "ref": str(world.x.id)},
                          world.x)  # a mailing to preview, change and send  # fmt: skip
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def admin_token(world) -> dict:
    created = tokens.create_token(world.users["admin"], "schemathesis", "read-write", 1)
    db.session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


# (schemathesis.pytest.from_fixture does not run under pytest 9, so operations are looped here.)
@pytest.mark.parametrize(
    ("mode", "existing"),
    [(GenerationMode.POSITIVE, False), (GenerationMode.POSITIVE, True), (GenerationMode.NEGATIVE, False)],
    ids=["positive", "positive-existing-records", "negative"],
)
def test_api_conforms_to_its_openapi(api_schema, admin_token, mode, existing):
    """``existing``: every id in the path is 1, which names a record of each kind in the world."""
    failures, statuses = [], Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        fixed = dict.fromkeys(_path_names(operation.path), "1") if existing else None

        @hypothesis.given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @SETTINGS
        def check(case):
            response = case.call_and_validate(headers=admin_token, checks=CHECKS)
            statuses[response.status_code] += 1

        try:
            check()
        except hypothesis.errors.Unsatisfiable:
            pass  # negative mode: nothing about this operation can be made invalid (any string is a slug)
        except Exception as error:
            failures.append(f"{operation.label}: {error}")
    assert len(operations) > 40
    assert not failures, "\n\n".join(failures)
    print(mode, sorted(statuses.items()))
    # The generated requests reached the services, not only the input checks.
    assert statuses[422] > 10
    if mode is GenerationMode.POSITIVE:
        assert statuses[200] > 50 and statuses[201] > 0


def test_anonymous_requests_conform_too(app, world):
    """Without a token: writes answer 401 problems, reads succeed, all as documented."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = 0
    for result in loaded.get_all_operations():
        operation = result.ok()
        case = operation.Case(
            path_parameters=dict.fromkeys(_path_names(operation.path), "1"),
            headers={"If-Match": '"1"'} if operation.method.upper() in ("PATCH", "DELETE") else {},
        )
        response = case.call()
        assert response.status_code < 500, (operation.label, response.text)
        case.validate_response(response, checks=CHECKS)
        if operation.method.upper() != "GET":
            assert response.status_code == 401, operation.label
        checked += 1
    assert checked > 40


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
