"""Markup checks on every page: one h1, unique ids, every control labelled, no inline style.

The pages' Content-Security-Policy forbids inline styles and scripts, so the markup must
have none; a screen reader needs a label for every form control.
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from web_client import CLINICIAN, csrf_of, log_in, make_patient

from cryotx.services import clinical, records
from cryotx.services.schemas import PlanRequest, ScreeningRequest, VitalCreate
from cryotx.store.db import Database

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
def seeded(app_db: tuple[TestClient, Database]) -> TestClient:
    """The application with one patient who has vital signs, a screening and a plan."""
    client, db = app_db
    patient_id = make_patient(
        db, "Horvat", given_name="Mia", birth_date=date(1980, 4, 4), conditions=("low_back_pain",)
    )
    records.add_vitals(db, CLINICIAN, patient_id, VitalCreate(systolic_mmhg=120, diastolic_mmhg=80))
    clinical.screen_patient(
        db, CLINICIAN, patient_id, ScreeningRequest(modality="cold_air", site="lumbar")
    )
    clinical.plan_patient(
        db, CLINICIAN, patient_id, PlanRequest(condition="low_back_pain", site="lumbar")
    )
    return client


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
ADMIN_PAGES = [
    "/patients",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/1",
    "/admin/users/2",
    "/admin/audit",
    "/admin/audit?patient_id=1&username=clinician1",
    "/admin/audit?since=2026-02-02&until=2026-02-01",  # refused: errors next to the fields
]


def test_markup_of_every_page(seeded: TestClient) -> None:
    client = seeded
    check(client.get("/login").text, "/login")
    log_in(client, "clinician1")
    for path in CLINICIAN_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 403, 404), path
        check(response.text, path)
    csrf = csrf_of(client.get("/patients/new").text)
    bad_form = client.post("/patients/new", data={"csrf_token": csrf, "family_name": "X"})
    assert bad_form.status_code == 400
    check(bad_form.text, "/patients/new (errors)")
    log_in(client, "operator1")
    for path in OPERATOR_PAGES:
        check(client.get(path).text, path)
    csrf = log_in(client, "admin1")
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code in (200, 400), path
        check(response.text, path)
    refused = client.post("/admin/users/new", data={"csrf_token": csrf, "username": "X"})
    assert refused.status_code == 400
    check(refused.text, "/admin/users/new (errors)")
    created = client.post(
        "/admin/users/new", data={"csrf_token": csrf, "username": "new.one", "role": "operator"}
    )
    assert created.status_code == 200
    check(created.text, "/admin/users/new (created)")
    short = client.post("/admin/users/4/password", data={"csrf_token": csrf, "password": "x"})
    assert short.status_code == 400
    check(short.text, "/admin/users/4/password (errors)")


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
