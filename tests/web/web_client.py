"""Helpers shared by the page tests (importable, unlike conftest): log in, CSRF, patients."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from cryotx.services import records
from cryotx.services._common import Actor
from cryotx.services.schemas import PatientCreate
from cryotx.store.db import Database

SYSTEM = Actor(user_id=0, username="system:test", role="admin")
#: The accounts made by the ``app_db`` fixture, in ``auth.ROLES`` order: admin1 is id 1.
CLINICIAN = Actor(user_id=2, username="clinician1", role="clinician")
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form (after logging out); returns the pages' CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/patients",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/patients").text)


def can_log_in(client: TestClient, username: str, password: str) -> bool:
    """Whether the login form accepts these credentials (after logging out)."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code == 303


def error_at(html: str, field: str) -> str:
    """The message shown next to a field (``<p class="error" id="e-FIELD">``)."""
    match = re.search(rf'<p class="error" id="e-{field}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no error shown next to {field}"
    return match.group(1)


def post_form(client: TestClient, url: str, csrf: str, **fields: Any) -> Response:
    """Post a page's form with its CSRF token; redirects are not followed."""
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def make_patient(
    db: Database,
    family_name: str = "Novak",
    *,
    given_name: str = "Ana",
    sex: str = "female",
    birth_date: date = date(1968, 3, 1),
    conditions: tuple[str, ...] = ("knee_osteoarthritis",),
) -> int:
    """Store a patient through the use case (as clinician1); returns its id."""
    patient = records.create_patient(
        db,
        CLINICIAN,
        PatientCreate(
            given_name=given_name,
            family_name=family_name,
            sex=sex,  # type: ignore[arg-type]
            birth_date=birth_date,
            conditions=list(conditions),
        ),
    )
    return patient.id


def main_text(html: str) -> str:
    """The text of the page's ``<main>``, tags removed and white space folded."""
    match = re.search(r"<main.*?</main>", html, re.S)
    assert match
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))
