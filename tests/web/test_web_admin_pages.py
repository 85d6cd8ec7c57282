"""Account and audit-log pages for administrators, and the role matrix that guards them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from web_client import (
    CLINICIAN,
    PASSWORD,
    SYSTEM,
    can_log_in,
    error_at,
    log_in,
    main_text,
    make_patient,
    post_form,
)

from cryotx.services import auth, records
from cryotx.services.schemas import PatientUpdate
from cryotx.store.db import Database

ADMIN = auth.ROLES.index("admin") + 1  # the fixture's account ids follow auth.ROLES
ADMIN_GETS = [
    "/admin",
    "/admin/users",
    "/admin/users/new",
    f"/admin/users/{ADMIN}",
    "/admin/audit",
    "/admin/audit?username=admin1",
]


def accounts(db: Database) -> dict[str, auth.UserPublic]:
    """The stored accounts by user name, read back through the use case."""
    users, _ = auth.list_users(db, SYSTEM, limit=100, offset=0)
    return {user.username: user for user in users}


def test_anonymous_visitors_are_sent_to_the_login(client: TestClient) -> None:
    for path in ADMIN_GETS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


@pytest.mark.parametrize("role", ["clinician", "operator"])
def test_clinicians_and_operators_get_403(app_db: tuple[TestClient, Database], role: str) -> None:
    client, db = app_db
    before = accounts(db)
    csrf = log_in(client, f"{role}1")
    for path in ADMIN_GETS:
        assert client.get(path).status_code == 403, path
    assert "/admin/users" not in client.get("/patients").text  # no link to them either
    # Posts with a valid CSRF token are refused by role, and change nothing.
    new = post_form(
        client, "/admin/users/new", csrf, username="intruder", role="admin", password="x" * 16
    )
    assert new.status_code == 403
    demote = post_form(client, f"/admin/users/{ADMIN}", csrf, role="operator", active="no")
    assert demote.status_code == 403
    rekey = post_form(client, f"/admin/users/{ADMIN}/password", csrf, password="y" * 16)
    assert rekey.status_code == 403
    assert can_log_in(client, "admin1", PASSWORD)
    assert accounts(db) == before


def test_admin_sees_the_account_pages(client: TestClient) -> None:
    log_in(client, "admin1")
    for path in ADMIN_GETS:
        assert client.get(path).status_code == 200, path
    listing = main_text(client.get("/admin/users").text)
    assert "3 accounts" in listing
    assert "clinician1 clinician active" in listing
    assert 'href="/admin/users"' in client.get("/patients").text  # the admin home links there


def test_admin_adds_a_user_with_a_typed_password(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    csrf = log_in(client, "admin1")
    typed = "  a typed password with spaces  "
    created = post_form(
        client, "/admin/users/new", csrf, username="dr.new", role="clinician", password=typed
    )
    assert created.status_code == 200
    assert "User dr.new added" in created.text
    assert 'id="new-password"' not in created.text  # a typed password is never shown back
    assert accounts(db)["dr.new"].role == "clinician"
    assert can_log_in(client, "dr.new", typed)  # taken as typed, not stripped
    assert not can_log_in(client, "dr.new", typed.strip())


def test_a_generated_password_is_shown_once_and_works(
    app_db: tuple[TestClient, Database],
) -> None:
    client, db = app_db
    csrf = log_in(client, "admin1")
    created = post_form(client, "/admin/users/new", csrf, username="op.two", role="operator")
    assert created.status_code == 200
    match = re.search(r'<code id="new-password">([^<]+)</code>', created.text)
    assert match, "the generated password is on the page"
    password = match.group(1)
    assert len(password) >= 12
    assert password not in client.get("/admin/users").text
    assert password not in client.get("/admin/users/4").text
    assert can_log_in(client, "op.two", password)
    assert accounts(db)["op.two"].role == "operator"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "Bad Name", "role": "clinician"}, "username", "lower-case letters"),
        ({"username": "ok.name", "role": "clinician", "password": "short"}, "password", "12"),
        ({"username": "ok.name", "role": "superuser"}, "role", "admin"),
        ({"username": "clinician1", "role": "operator"}, "username", "already taken"),
    ],
)
def test_refusals_are_shown_next_to_the_field(
    app_db: tuple[TestClient, Database], fields: dict[str, str], field: str, message: str
) -> None:
    client, db = app_db
    before = accounts(db)
    csrf = log_in(client, "admin1")
    response = post_form(client, "/admin/users/new", csrf, **fields)
    assert response.status_code == 400
    assert message in error_at(response.text, field)
    if "password" in fields:
        assert fields["password"] not in response.text  # never filled back in
    assert f'value="{fields["username"]}"' in response.text  # the rest is kept
    assert accounts(db) == before


def test_account_forms_need_the_csrf_token(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    before = accounts(db)
    log_in(client, "admin1")
    for url, data in (
        ("/admin/users/new", {"username": "forged", "role": "admin"}),
        ("/admin/users/2", {"active": "no"}),
    ):
        for token in (None, "0" * 64):
            sent = data if token is None else {**data, "csrf_token": token}
            response = client.post(url, data=sent)
            assert response.status_code == 403
            assert "security token" in response.text
    assert accounts(db) == before


def test_deactivate_and_reactivate(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    assert can_log_in(client, "operator1", PASSWORD)
    operator_cookie = client.cookies.get(auth.SESSION_COOKIE)
    csrf = log_in(client, "admin1")
    listing = client.get("/admin/users").text
    assert 'aria-label="Deactivate operator1"' in listing
    assert 'aria-label="Deactivate admin1"' not in listing  # not offered for oneself
    done = post_form(client, "/admin/users/3", csrf, active="no")
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert accounts(db)["operator1"].active is False
    row = re.search(r'<tr id="account-operator1">.*?</tr>', client.get("/admin/users").text, re.S)
    assert row and "deactivated" in row.group(0) and "Reactivate operator1" in row.group(0)
    # The operator's open session has ended, and a new login is refused.
    client.cookies.clear()
    client.cookies.set(auth.SESSION_COOKIE, operator_cookie or "")
    assert client.get("/patients", follow_redirects=False).status_code == 303
    assert not can_log_in(client, "operator1", PASSWORD)
    csrf = log_in(client, "admin1")
    assert post_form(client, "/admin/users/3", csrf, active="yes").status_code == 303
    assert can_log_in(client, "operator1", PASSWORD)


def test_change_a_role_and_the_self_protection(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    csrf = log_in(client, "admin1")
    form = client.get("/admin/users/2")
    assert 'option value="clinician" selected' in form.text
    changed = post_form(client, "/admin/users/2", csrf, role="operator", active="yes")
    assert changed.status_code == 303
    assert accounts(db)["clinician1"].role == "operator"
    demote = post_form(client, f"/admin/users/{ADMIN}", csrf, role="clinician", active="yes")
    assert demote.status_code == 400
    assert "demote or lock out" in error_at(demote.text, "role")
    lock_out = post_form(client, f"/admin/users/{ADMIN}", csrf, active="no")
    assert lock_out.status_code == 400
    assert "demote or lock out" in error_at(lock_out.text, "active")
    odd = post_form(client, "/admin/users/2", csrf, active="maybe")
    assert odd.status_code == 400 and error_at(odd.text, "active")
    assert client.get("/admin/users/999").status_code == 404
    assert accounts(db)["admin1"].role == "admin" and accounts(db)["admin1"].active


def test_audit_log_filters_and_hides_clinical_values(
    app_db: tuple[TestClient, Database],
) -> None:
    client, db = app_db
    first = make_patient(db, "Novak")
    second = make_patient(db, "Berg")
    records.update_patient(db, CLINICIAN, first, PatientUpdate(family_name="Secretname"))
    csrf = log_in(client, "admin1")
    post_form(client, "/admin/users/3", csrf, role="clinician", active="yes")

    everything = main_text(client.get("/admin/audit").text)
    # 3 accounts + 2 patients + 1 patient update + 1 account update.
    assert "7 entries" in everything
    assert "family_name" in everything  # which field changed ...
    assert "Secretname" not in everything and "Novak" not in everything  # ... not its value
    assert "role: operator → clinician" in everything  # account changes keep their values

    one_patient = main_text(client.get(f"/admin/audit?patient_id={first}").text)
    assert "2 entries" in one_patient and "patients #1" in one_patient
    assert f"patients #{second}" not in one_patient
    by_user = main_text(client.get("/admin/audit?username=admin1").text)
    assert "1 entry" in by_user and "users #3" in by_user

    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "7 entries" in main_text(client.get(f"/admin/audit?since={today}&until={today}").text)
    assert "0 entries" in main_text(client.get(f"/admin/audit?since={tomorrow}").text)

    refused = client.get(f"/admin/audit?since={tomorrow}&until={today}&patient_id=abc")
    assert refused.status_code == 400
    assert "before the first day" in error_at(refused.text, "until")
    assert error_at(refused.text, "patient_id")
    assert "entries" not in main_text(refused.text).split("Show")[-1]
    deactivated = post_form(client, "/admin/users/3", csrf, active="no")
    assert deactivated.status_code == 303
    assert "active: yes → no" in main_text(client.get("/admin/audit").text)


def test_audit_log_pages_keep_the_filter(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    for index in range(55):
        make_patient(db, f"Family{index:02d}")
    log_in(client, "admin1")
    first = client.get("/admin/audit?username=clinician1")
    assert "55 entries" in main_text(first.text) and "Page 1 of 2" in first.text
    assert first.text.count('<th scope="row">') == 50
    assert 'href="/admin/audit?username=clinician1&amp;page=2"' in first.text
    second = client.get("/admin/audit?username=clinician1&page=2")
    assert second.text.count('<th scope="row">') == 5
    assert 'href="/admin/audit?username=clinician1&amp;page=1"' in second.text
    past_the_end = client.get("/admin/audit?username=clinician1&page=99")
    assert "Page 2 of 2" in past_the_end.text


def test_admin_sets_a_new_password(app_db: tuple[TestClient, Database]) -> None:
    client, _ = app_db
    assert can_log_in(client, "operator1", PASSWORD)
    operator_cookie = client.cookies.get(auth.SESSION_COOKIE)
    csrf = log_in(client, "admin1")
    short = post_form(client, "/admin/users/3/password", csrf, password="too short")
    assert short.status_code == 400 and "12" in error_at(short.text, "password")
    assert "too short" not in short.text
    typed = "the operator's new password"
    done = post_form(client, "/admin/users/3/password", csrf, password=typed)
    assert done.status_code == 200 and "New password for operator1" in done.text
    assert 'id="new-password"' not in done.text
    client.cookies.clear()
    client.cookies.set(auth.SESSION_COOKIE, operator_cookie or "")
    assert client.get("/patients", follow_redirects=False).status_code == 303  # logins ended
    assert not can_log_in(client, "operator1", PASSWORD)
    assert can_log_in(client, "operator1", typed)
    csrf = log_in(client, "admin1")
    generated = post_form(client, "/admin/users/3/password", csrf)
    match = re.search(r'<code id="new-password">([^<]+)</code>', generated.text)
    assert generated.status_code == 200 and match
    assert not can_log_in(client, "operator1", typed)
    assert can_log_in(client, "operator1", match.group(1))
