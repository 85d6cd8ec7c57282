"""Role matrix: every endpoint x {anonymous, admin, clinician, operator}.

The endpoint list comes from the application's own OpenAPI schema, so a new endpoint
without an entry here fails ``test_matrix_covers_every_endpoint``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

ANON = frozenset({"anonymous", "admin", "clinician", "operator"})
STAFF = frozenset({"admin", "clinician", "operator"})
A = frozenset({"admin"})
C = frozenset({"clinician"})
O = frozenset({"operator"})  # noqa: E741
CO = frozenset({"clinician", "operator"})
P = "/api/patients/{patient_id}"

MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/health"): ANON,
    ("POST", "/api/auth/login"): ANON,
    ("POST", "/api/auth/logout"): STAFF,
    ("GET", "/api/auth/me"): STAFF,
    ("GET", "/api/users"): A,
    ("POST", "/api/users"): A,
    ("GET", "/api/users/{user_id}"): A,
    ("PATCH", "/api/users/{user_id}"): A,
    ("GET", "/api/audit"): C,
    ("GET", "/api/patients"): CO,
    ("POST", "/api/patients"): C,
    ("GET", P): CO,
    ("PATCH", P): C,
    ("GET", P + "/vitals"): CO,
    ("POST", P + "/vitals"): CO,
    ("GET", P + "/vitals/{vital_id}"): CO,
    ("GET", P + "/screenings"): C,
    ("POST", P + "/screenings"): C,
    ("GET", P + "/screenings/{screening_id}"): C,
    ("GET", P + "/plans"): CO,
    ("POST", P + "/plans"): C,
    ("GET", P + "/plans/{plan_id}"): CO,
    ("GET", P + "/sessions"): CO,
    ("POST", P + "/sessions"): O,
    ("GET", P + "/sessions/{session_id}"): CO,
    ("PATCH", P + "/sessions/{session_id}"): O,
    ("GET", P + "/sessions/{session_id}/telemetry"): CO,
    ("POST", P + "/sessions/{session_id}/telemetry"): O,
    ("GET", P + "/instruments"): C,
    ("POST", P + "/instruments"): C,
    ("GET", P + "/instruments/{response_id}"): C,
    ("GET", P + "/adverse-events"): CO,
    ("POST", P + "/adverse-events"): CO,
    ("GET", P + "/adverse-events/{event_id}"): CO,
    ("GET", "/fhir/Patient/{patient_id}/$everything"): C,
    ("POST", "/fhir/Patient"): C,
    # Last: it changes the role's password (this login stays valid, the others end).
    ("POST", "/api/auth/password"): STAFF,
}

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/auth/password"): {
        "current_password": "correct horse battery staple",
        "new_password": "a brand new passphrase",
    },
    ("POST", "/api/auth/login"): {
        "username": "clinician1",
        "password": "correct horse battery staple",
    },
    ("POST", "/api/users"): {
        "username": "new-user",
        "password": "another long password",
        "role": "operator",
    },
    ("PATCH", "/api/users/{user_id}"): {"active": True},
    ("POST", "/api/patients"): {
        "given_name": "B",
        "family_name": "C",
        "sex": "male",
        "birth_date": "1970-01-01",
    },
    ("PATCH", P): {"mass_kg": 70},
    ("POST", P + "/vitals"): {"heart_rate_bpm": 70},
    ("POST", P + "/screenings"): {"modality": "ice_bag"},
    ("POST", P + "/plans"): {"condition": "knee_osteoarthritis", "site": "knee"},
    ("POST", P + "/sessions"): {"device": "pack", "modality": "ice_bag", "site": "knee"},
    ("PATCH", P + "/sessions/{session_id}"): {"end_reason": "completed"},
    ("POST", P + "/sessions/{session_id}/telemetry"): {
        "samples": [{"elapsed_s": 1, "skin_temp_c": 30}]
    },
    ("POST", P + "/instruments"): {"instrument": "pain_vas", "score": 40},
    ("POST", P + "/adverse-events"): {"kind": "soreness", "severity": "mild"},
    ("POST", "/fhir/Patient"): {
        "resourceType": "Patient",
        "name": [{"family": "Z"}],
        "gender": "male",
        "birthDate": "1980-01-01",
    },
}


def _endpoints(app: FastAPI) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_matrix_covers_every_endpoint(app: FastAPI) -> None:
    assert _endpoints(app) == set(MATRIX)


@pytest.mark.parametrize("role", ["anonymous", "admin", "clinician", "operator"])
def test_each_role_gets_exactly_what_it_may(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    seed: dict[str, int],
    login: Callable[[str], dict[str, str]],
    role: str,
) -> None:
    ids = seed
    wrong: list[str] = []
    for (method, template), allowed in sorted(MATRIX.items(), key=lambda kv: kv[0][0] != "GET"):
        path = template.format(**ids)
        header = headers[role]
        if template == "/api/auth/logout" and role != "anonymous":
            header = login(f"{role}1")  # a login of its own, so the others survive
        response = client.request(method, path, headers=header, json=BODIES.get((method, template)))
        client.cookies.clear()
        if role in allowed:
            ok = response.status_code < 400 or response.status_code == 409
        elif role == "anonymous":
            ok = response.status_code == 401
        else:
            ok = response.status_code == 403
        if not ok:
            wrong.append(
                f"{role} {method} {template} -> {response.status_code} {response.text[:120]}"
            )
    assert wrong == []


def test_openapi_schema_is_for_logged_in_users_only(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    for role in ("admin", "clinician", "operator"):
        assert client.get("/api/openapi.json", headers=headers[role]).status_code == 200
