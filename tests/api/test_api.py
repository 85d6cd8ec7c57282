"""API behaviour: problem details, paging, security headers, cookies and CSRF, audit, FHIR."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
PATIENT = {"given_name": "Ann", "family_name": "Lee", "sex": "female", "birth_date": "1968-03-01"}


def test_errors_are_problem_details_naming_the_field(client: TestClient, headers: H) -> None:
    response = client.post(
        "/api/patients", headers=headers["clinician"], json={**PATIENT, "height_m": 17.3}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["field"] == "height_m"
    pid = client.post("/api/patients", headers=headers["clinician"], json=PATIENT).json()["id"]
    score = client.post(
        f"/api/patients/{pid}/instruments",
        headers=headers["clinician"],
        json={"instrument": "roland_morris", "score": 25},
    )
    assert (score.status_code, score.json()["field"]) == (422, "score")
    missing = client.get("/api/patients/999", headers=headers["clinician"])
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    anonymous = client.get("/api/patients")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"


def test_measured_body_fat_round_trip_and_refusals(client: TestClient, headers: H) -> None:
    clin = headers["clinician"]
    for percent in (1.0, 85.0):
        refused = client.post(
            "/api/patients", headers=clin, json={**PATIENT, "body_fat_percent": percent}
        )
        assert refused.status_code == 422
        assert refused.json()["field"] == "body_fat_percent"
    assert client.get("/api/patients", headers=clin).json()["total"] == 0
    created = client.post("/api/patients", headers=clin, json={**PATIENT, "body_fat_percent": 31.5})
    assert created.status_code == 201 and created.json()["body_fat_percent"] == 31.5
    url = f"/api/patients/{created.json()['id']}"
    assert client.get(url, headers=clin).json()["body_fat_percent"] == 31.5
    for percent in (1.0, 85.0):
        refused = client.patch(url, headers=clin, json={"body_fat_percent": percent})
        assert (refused.status_code, refused.json()["field"]) == (422, "body_fat_percent")
    changed = client.patch(url, headers=clin, json={"body_fat_percent": 28.0})
    assert changed.status_code == 200 and changed.json()["body_fat_percent"] == 28.0
    kept = client.patch(url, headers=clin, json={"mass_kg": 70})
    assert kept.json()["body_fat_percent"] == 28.0
    cleared = client.patch(url, headers=clin, json={"body_fat_percent": None})
    assert cleared.status_code == 200 and cleared.json()["body_fat_percent"] is None
    assert client.get(url, headers=clin).json()["body_fat_percent"] is None
    unmeasured = client.post("/api/patients", headers=clin, json=PATIENT).json()
    assert unmeasured["body_fat_percent"] is None


def test_nothing_is_stored_when_input_is_refused(client: TestClient, headers: H) -> None:
    client.post(
        "/api/patients",
        headers=headers["clinician"],
        json={**PATIENT, "conditions": ["ok_code", "Bad Code"]},
    )
    assert client.get("/api/patients", headers=headers["clinician"]).json()["total"] == 0
    audit = client.get("/api/audit", headers=headers["clinician"]).json()
    assert [e["entity"] for e in audit["items"]] == ["users"] * 3


def test_lists_are_paged(client: TestClient, headers: H) -> None:
    for index in range(7):
        client.post(
            "/api/patients",
            headers=headers["clinician"],
            json={**PATIENT, "family_name": f"F{index}"},
        )
    page = client.get(
        "/api/patients", headers=headers["clinician"], params={"limit": 3, "offset": 3}
    ).json()
    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 3)
    assert [p["family_name"] for p in page["items"]] == ["F3", "F4", "F5"]
    # The total comes with the page's rows; past the end it is counted on its own.
    for offset, names in ((6, ["F6"]), (7, []), (50, [])):
        page = client.get(
            "/api/patients", headers=headers["clinician"], params={"limit": 3, "offset": offset}
        ).json()
        assert page["total"] == 7 and [p["family_name"] for p in page["items"]] == names
    only = client.get(
        "/api/patients", headers=headers["clinician"], params={"family_name": "f2"}
    ).json()
    assert only["total"] == 1 and only["items"][0]["family_name"] == "F2"
    too_big = client.get("/api/patients", headers=headers["clinician"], params={"limit": 10_000})
    assert too_big.status_code == 422 and too_big.json()["field"] == "limit"


def test_security_headers_on_every_response(client: TestClient, headers: H) -> None:
    for response in (
        client.get("/api/health"),
        client.get("/api/patients"),
        client.get("/api/auth/me", headers=headers["operator"]),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"


def test_cookie_login_needs_csrf_for_writes(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login",
        json={"username": "clinician1", "password": "correct horse battery staple"},
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = response.json()["csrf_token"]
    assert client.get("/api/patients").status_code == 200  # the cookie alone reads
    refused = client.post("/api/patients", json=PATIENT)
    assert refused.status_code == 403
    accepted = client.post("/api/patients", json=PATIENT, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/patients").status_code == 401


def test_login_is_rate_limited(client: TestClient, app: FastAPI) -> None:
    limit = app.state.settings.login_max_failures
    for _ in range(limit):
        wrong = client.post("/api/auth/login", json={"username": "admin1", "password": "nope"})
        assert wrong.status_code == 401
    blocked = client.post(
        "/api/auth/login", json={"username": "admin1", "password": "correct horse battery staple"}
    )
    assert blocked.status_code == 429 and "retry-after" in blocked.headers


def test_audit_log_has_no_route_that_changes_it(
    client: TestClient, headers: H, app: FastAPI
) -> None:
    paths = app.openapi()["paths"]
    assert set(paths["/api/audit"]) == {"get"}
    assert not any(path.startswith("/api/audit/") for path in paths)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.request(method, "/api/audit", headers=headers["clinician"])
        assert response.status_code == 405


def test_every_api_change_to_a_record_shows_in_its_audit_trail(
    client: TestClient, headers: H, seed: dict[str, int]
) -> None:
    pid = seed["patient_id"]
    client.patch(f"/api/patients/{pid}", headers=headers["clinician"], json={"mass_kg": 70})
    trail = client.get(
        "/api/audit", headers=headers["clinician"], params={"patient_id": pid, "limit": 200}
    ).json()["items"]
    assert [(e["action"], e["entity"]) for e in trail] == [
        ("create", "patients"),
        ("create", "vital_signs"),
        ("create", "screenings"),
        ("create", "plans"),
        ("create", "treatment_sessions"),
        ("create", "instrument_responses"),
        ("create", "adverse_events"),
        ("update", "patients"),
    ]
    assert {e["username"] for e in trail} == {"clinician1", "operator1"}
    assert trail[-1]["before"]["mass_kg"] is None and trail[-1]["after"]["mass_kg"] == 70


def test_fhir_everything_and_patient_import(
    client: TestClient, headers: H, seed: dict[str, int], login: Callable[[str], dict[str, str]]
) -> None:
    pid = seed["patient_id"]
    bundle = client.get(f"/fhir/Patient/{pid}/$everything", headers=headers["clinician"])
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/fhir+json"
    kinds = {e["resource"]["resourceType"] for e in bundle.json()["entry"]}
    assert {"Patient", "Observation", "Procedure", "AdverseEvent"} <= kinds
    created = client.post(
        "/fhir/Patient",
        headers=headers["clinician"],
        json={
            "resourceType": "Patient",
            "name": [{"family": "Okafor", "given": ["Ben"]}],
            "gender": "male",
            "birthDate": "1979-07-15",
        },
    )
    assert created.status_code == 201
    got = client.get(f"/api/patients/{created.json()['id']}", headers=headers["clinician"])
    assert got.json()["family_name"] == "Okafor"
    bad = client.post(
        "/fhir/Patient",
        headers=headers["clinician"],
        json={"resourceType": "Patient", "gender": "female"},
    )
    assert bad.status_code == 422 and "field" in bad.json()


def test_unstorable_input_is_refused_not_crashed_on(
    client: TestClient, headers: H, seed: dict[str, int]
) -> None:
    pid = seed["patient_id"]
    # Python's json reads 1e400 as infinity; no database or JSON answer can hold it.
    infinite = client.post(
        f"/api/patients/{pid}/sessions",
        headers={**headers["operator"], "Content-Type": "application/json"},
        content=b'{"device": "d", "modality": "ice_bag", "site": "knee", "settings": {"x": 1e400}}',
    )
    assert infinite.status_code == 422 and infinite.json()["field"] == "settings"
    surrogate = client.post(
        "/api/auth/login",
        headers={"Content-Type": "application/json"},
        content=b'{"username": "admin1", "password": "\\ud800xxxxxxxxxxxx"}',
    )
    assert surrogate.status_code == 422
    nul = client.post(
        "/api/patients", headers=headers["clinician"], json={**PATIENT, "family_name": "Lee\x00"}
    )
    assert nul.status_code == 422 and nul.json()["field"] == "family_name"


def test_screening_and_planning_with_the_real_clinical_core(client: TestClient, headers: H) -> None:
    clin = headers["clinician"]
    pid = client.post(
        "/api/patients",
        headers=clin,
        json={
            **PATIENT,
            "fat_mm": {"knee": 11.0},
            "conditions": ["knee_osteoarthritis", "raynaud"],
        },
    ).json()["id"]
    screened = client.post(
        f"/api/patients/{pid}/screenings",
        headers=clin,
        json={"modality": "ice_bag", "site": "knee"},
    )
    assert screened.status_code == 201
    stored = screened.json()
    assert stored["decision"] in {"refer", "excluded"}  # Raynaud's phenomenon
    assert any(reason["code"] == "raynaud" for reason in stored["reasons"])
    again = client.get(f"/api/patients/{pid}/screenings/{stored['id']}", headers=clin).json()
    assert again == stored
    planned = client.post(
        f"/api/patients/{pid}/plans",
        headers=clin,
        json={"condition": "knee_osteoarthritis", "site": "knee"},
    )
    assert planned.status_code == 201
    plan = planned.json()
    assert plan["decision"] == plan["plan"]["screening"]["decision"]
    assert set(plan["plan"]) >= {"screening", "protocol", "dose", "instructions", "warnings"}
    refused = client.post(
        f"/api/patients/{pid}/screenings", headers=clin, json={"modality": "no_such_modality"}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "modality"


def test_revoked_bearer_tokens_are_refused_at_once(
    client: TestClient, headers: H, login: Callable[[str], dict[str, str]]
) -> None:
    # The server caches valid tokens for a moment; logout and account changes must not wait.
    first, second = login("operator1"), login("operator1")
    for bearer in (first, second):
        assert client.get("/api/auth/me", headers=bearer).status_code == 200
    assert client.post("/api/auth/logout", headers=first).status_code == 204
    assert client.get("/api/auth/me", headers=first).status_code == 401
    assert client.get("/api/auth/me", headers=second).status_code == 200
    operator_id = client.get("/api/auth/me", headers=second).json()["user_id"]
    changed = client.patch(
        f"/api/users/{operator_id}", headers=headers["admin"], json={"active": False}
    )
    assert changed.status_code == 200
    assert client.get("/api/patients", headers=second).status_code == 401


def test_planning_sends_the_measured_body_fat_to_the_real_engine(
    client: TestClient, headers: H
) -> None:
    """API -> record -> clinical core -> thermal engine, with no fat measured at the knee."""
    clin = headers["clinician"]
    pid = client.post(
        "/api/patients",
        headers=clin,
        json={**PATIENT, "body_fat_percent": 38.0, "conditions": ["knee_osteoarthritis"]},
    ).json()["id"]
    planned = client.post(
        f"/api/patients/{pid}/plans",
        headers=clin,
        json={"condition": "knee_osteoarthritis", "site": "knee", "modality": "ice_bag"},
    )
    assert planned.status_code == 201, planned.text
    plan = planned.json()["plan"]
    assert plan["dose"]["personalised"] is True
    assert any("measured body fat (38.0 %)" in line for line in plan["dose"]["rationale"])
