"""Markup checks on every page: one h1, unique ids, every control labelled, no inline style.

The pages' Content-Security-Policy forbids inline styles and scripts, so the markup must
have none; a screen reader needs a label for every form control.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cryotx.asgi import create_app
from cryotx.config import Settings
from cryotx.services import auth, clinical, records
from cryotx.services._common import Actor
from cryotx.services.schemas import PatientCreate, PlanRequest, ScreeningRequest, VitalCreate

SYSTEM = Actor(user_id=0, username="system:test", role="admin")
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """Collects what the checks need while parsing one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict[str, str | None], bool]] = []
        self.h1 = 0
        self.inline_style = False
        self.script = False
        self.lang: str | None = None
        self.stack: list[str] = []
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        if "style" in found or tag == "style":
            self.inline_style = True
        if tag == "script":
            self.script = True
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and found.get("for"):
            self.label_for.add(found["for"] or "")
        if tag in ("input", "select", "textarea"):
            self.controls.append((tag, found, "label" in self.stack))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.unbalanced.append(tag)
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


def check(html: str, path: str) -> None:
    page = Page()
    page.feed(html)
    assert page.lang == "en", path
    assert page.h1 == 1, f"{path}: {page.h1} h1 elements"
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, f"{path}: duplicate ids {duplicates}"
    assert not page.inline_style, f"{path}: inline style (the CSP blocks it)"
    assert not page.script, f"{path}: script (the pages use none)"
    assert not page.unbalanced and not page.stack, (
        f"{path}: unbalanced {page.unbalanced} {page.stack}"
    )
    for tag, attrs, wrapped in page.controls:
        if attrs.get("type") in ("hidden", "submit"):
            continue
        labelled = wrapped or (attrs.get("id") in page.label_for)
        assert labelled, f"{path}: <{tag} name={attrs.get('name')}> has no label"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/m.sqlite3", data_dir=tmp_path))
    db = app.state.db
    users = {
        role: auth.create_user(
            db, SYSTEM, auth.UserCreate(username=f"{role}1", password=PASSWORD, role=role)
        )
        for role in auth.ROLES
    }
    doctor = Actor(users["clinician"].id, "clinician1", "clinician")
    patient = records.create_patient(
        db,
        doctor,
        PatientCreate(
            given_name="Mia",
            family_name="Horvat",
            sex="female",
            birth_date=date(1980, 4, 4),
            conditions=["low_back_pain"],
        ),
    )
    records.add_vitals(db, doctor, patient.id, VitalCreate(systolic_mmhg=120, diastolic_mmhg=80))
    clinical.screen_patient(
        db, doctor, patient.id, ScreeningRequest(modality="cold_air", site="lumbar")
    )
    clinical.plan_patient(
        db, doctor, patient.id, PlanRequest(condition="low_back_pain", site="lumbar")
    )
    with TestClient(app) as test_client:
        yield test_client


def log_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = CSRF.search(client.get("/login").text)
    assert token
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )


CLINICIAN_PAGES = [
    "/patients",
    "/patients/new",
    "/patients/1",
    "/patients/1/edit",
    "/patients/import",
    "/patients/1/vitals/new",
    "/patients/1/screenings/new",
    "/patients/1/screenings/1",
    "/patients/1/plans/new",
    "/patients/1/plans/1",
    "/patients/1/outcomes/new",
    "/patients/1/adverse-events/new",
    "/patients/999",
]
OPERATOR_PAGES = ["/patients/1", "/patients/1/sessions/new", "/patients/1/screenings/new"]


def test_markup_of_every_page(client: TestClient) -> None:
    check(client.get("/login").text, "/login")
    log_in(client, "clinician1")
    for path in CLINICIAN_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 403, 404), path
        check(response.text, path)
    bad_form = client.post(
        "/patients/new",
        data={
            "csrf_token": CSRF.search(client.get("/patients/new").text).group(1),  # type: ignore[union-attr]
            "family_name": "X",
        },
    )
    assert bad_form.status_code == 400
    check(bad_form.text, "/patients/new (errors)")
    log_in(client, "operator1")
    for path in OPERATOR_PAGES:
        check(client.get(path).text, path)
    log_in(client, "admin1")
    check(client.get("/patients").text, "/patients (admin)")


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ('<html lang="en"><body><h1>a</h1><input name="x"></body></html>', "has no label"),
        ('<html lang="en"><body><h1>a</h1><h1>b</h1></body></html>', "h1 elements"),
        ('<html lang="en"><body><h1 style="color:red">a</h1></body></html>', "inline style"),
        ('<html lang="en"><body><h1>a</h1><p id="k"></p><p id="k"></p></body></html>', "duplicate"),
        ('<html lang="en"><body><h1>a</h1><div></body></html>', "unbalanced"),
    ],
)
def test_the_checker_catches_faults(html: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        check(html, "sample")
