"""An API-only application on a fresh database, with one logged-in client per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cryotx.asgi import create_app
from cryotx.config import Settings
from cryotx.services import auth
from cryotx.services._common import Actor

PASSWORD = "correct horse battery staple"
SYSTEM = Actor(user_id=0, username="system:test", role="admin")


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[FastAPI]:
    """The API on a migrated database with one account per role (``<role>1``)."""
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path), web=False)
    for role in auth.ROLES:
        auth.create_user(
            application.state.db,
            SYSTEM,
            auth.UserCreate(
                username=f"{role}1", password=PASSWORD, role=role, must_change_password=False
            ),
        )
    yield application
    application.state.db.dispose()


def _login(client: TestClient, username: str) -> dict[str, str]:
    """Log in and return the bearer header."""
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client (no cookies kept between calls unless a test sets them)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers per role, plus ``anonymous`` (none)."""
    found = {role: _login(client, f"{role}1") for role in auth.ROLES}
    found["anonymous"] = {}
    return found


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Log a user in (a new login) and get its bearer header."""
    return lambda username: _login(client, username)


@pytest.fixture
def seed(client: TestClient, headers: dict[str, dict[str, str]], fake_core: Any) -> dict[str, int]:
    """One of each record (ids by kind), created through the API (fake clinical core)."""
    return _seed(client, headers)


def _seed(client: TestClient, headers: dict[str, dict[str, str]]) -> dict[str, int]:
    clin, op = headers["clinician"], headers["operator"]
    patient = client.post(
        "/api/patients",
        headers=clin,
        json={
            "given_name": "Ann",
            "family_name": "Lee",
            "sex": "female",
            "birth_date": "1968-03-01",
            "fat_mm": {"knee": 11.0},
            "conditions": ["knee_osteoarthritis"],
        },
    ).json()["id"]
    base = f"/api/patients/{patient}"
    ids = {"patient_id": patient}
    ids["vital_id"] = client.post(
        f"{base}/vitals", headers=op, json={"systolic_mmhg": 130, "diastolic_mmhg": 80}
    ).json()["id"]
    ids["screening_id"] = client.post(
        f"{base}/screenings", headers=clin, json={"modality": "ice_bag", "site": "knee"}
    ).json()["id"]
    ids["plan_id"] = client.post(
        f"{base}/plans", headers=clin, json={"condition": "knee_osteoarthritis", "site": "knee"}
    ).json()["id"]
    ids["session_id"] = client.post(
        f"{base}/sessions",
        headers=op,
        json={"device": "pack", "modality": "ice_bag", "site": "knee"},
    ).json()["id"]
    ids["response_id"] = client.post(
        f"{base}/instruments", headers=clin, json={"instrument": "pain_nrs", "score": 5}
    ).json()["id"]
    ids["event_id"] = client.post(
        f"{base}/adverse-events", headers=op, json={"kind": "numbness", "severity": "mild"}
    ).json()["id"]
    ids["user_id"] = client.get("/api/users", headers=headers["admin"]).json()["items"][2]["id"]
    return ids


@dataclass
class FuzzTarget:
    """A seeded application shared by every operation of the Schemathesis run."""

    app: FastAPI
    client: TestClient
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzz_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, testkit: Any
) -> Iterator[FuzzTarget]:
    """One seeded application per backend for the whole module (fake clinical core)."""
    with pytest.MonkeyPatch.context() as patch:
        testkit.fast_password_hashing(patch)
        testkit.install_fake_core(patch)
        directory = tmp_path_factory.mktemp("fuzz")
        with testkit.fresh_database(request.param, directory, request) as url:
            application = create_app(Settings(database_url=url, data_dir=directory), web=False)
            for role in auth.ROLES:
                auth.create_user(
                    application.state.db,
                    SYSTEM,
                    auth.UserCreate(
                        username=f"{role}1",
                        password=PASSWORD,
                        role=role,
                        must_change_password=False,
                    ),
                )
            with TestClient(application) as test_client:
                found = {role: _login(test_client, f"{role}1") for role in auth.ROLES}
                ids = _seed(test_client, found)
                yield FuzzTarget(app=application, client=test_client, headers=found, ids=ids)
            application.state.db.dispose()
