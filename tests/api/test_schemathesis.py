"""Schemathesis against the service's own OpenAPI schema: no 5xx for any generated input.

Every generated request is sent as each staff role (anonymous requests stop at the
authentication dependency).  The database is seeded with one record of each kind so that
generated ids sometimes hit real rows (one seeded database per backend, shared by every
operation, so records created by earlier operations are there too); the clinical core is replaced by the fake of
``tests/conftest.py`` so that the run stays within its time budget.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis.core import NotSet

import cryotx.clinical
from cryotx.asgi import create_app
from cryotx.config import Settings

ROLES = ("admin", "clinician", "operator")


def _schema() -> Any:
    # The schema does not depend on the database: build it from an app that never connects.
    # (schemathesis.pytest.from_fixture is not usable with pytest 9: it reads a private
    # attribute that pytest removed.)
    offline = create_app(Settings(database_url="sqlite://", migrate_on_start=False), web=False)
    return schemathesis.openapi.from_dict(offline.openapi())


schema = _schema()


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_error_for_any_generated_input(case: Any, fuzz_target: Any) -> None:
    if case.path == "/api/auth/logout":
        pytest.skip("logout takes no input; it would only end the test's own logins")
    body: dict[str, Any] = {}
    extra_headers: dict[str, str] = {}
    if isinstance(case.body, bytes | bytearray):  # deliberately malformed payloads
        body = {"content": bytes(case.body)}
        extra_headers = {"Content-Type": case.media_type or "application/json"}
    elif not isinstance(case.body, NotSet):
        body = {"json": case.body}
    for role in ROLES:
        # One open TestClient for the whole run (case.call would start an app client per call).
        response = fuzz_target.client.request(
            case.method,
            case.formatted_path,
            params=case.query,
            headers={**(case.headers or {}), **extra_headers, **fuzz_target.headers[role]},
            **body,
        )
        fuzz_target.client.cookies.clear()
        assert response.status_code < 500, (role, case.method, case.path, response.text[:300])


# The real clinical core, captured before any fixture replaces it by the fake.
_REAL_CORE = {name: getattr(cryotx.clinical, name) for name in ("screen", "plan", "parse_patient")}


@pytest.mark.slow
@schema.include(method="POST", path_regex=r"/(screenings|plans)$").parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
def test_real_clinical_core_gives_no_server_error(case: Any, fuzz_target: Any) -> None:
    # Malformed bodies stop at validation before the core: the test above covers them.
    assume(not isinstance(case.body, bytes | bytearray | NotSet))
    # On the seeded patient, so that the core really runs (random ids would mostly 404).
    case.path_parameters["patient_id"] = fuzz_target.ids["patient_id"]
    with pytest.MonkeyPatch.context() as patch:
        for name, function in _REAL_CORE.items():
            patch.setattr(cryotx.clinical, name, function)
        response = fuzz_target.client.request(
            case.method,
            case.formatted_path,
            params=case.query,
            json=case.body,
            headers={**(case.headers or {}), **fuzz_target.headers["clinician"]},
        )
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        case.body,
        response.text[:300],
    )
