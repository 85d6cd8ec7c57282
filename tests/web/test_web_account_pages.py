"""The "Change password" page: every role, CSRF, refusals next to their fields."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_client import PASSWORD, can_log_in, csrf_of, error_at, log_in, main_text, post_form

from cryotx.services import auth
from cryotx.store.db import Database

URL = "/account/password"
NEW = "a brand new passphrase"


@pytest.mark.parametrize("role", auth.ROLES)
def test_every_role_changes_its_password_from_the_header_link(
    app_db: tuple[TestClient, Database], role: str
) -> None:
    client, db = app_db
    username = f"{role}1"
    elsewhere = auth.login(db, username, PASSWORD, ttl_s=600)  # e.g. an API token
    assert elsewhere is not None
    csrf = log_in(client, username)
    home = client.get("/admin/users" if role == "admin" else "/patients")
    assert f'href="{URL}"' in home.text  # the header links to the page
    page = client.get(URL)
    assert page.status_code == 200 and "Change your password" in page.text
    changed = post_form(
        client,
        URL,
        csrf_of(page.text),
        current_password=PASSWORD,
        new_password=NEW,
        new_password_again=NEW,
    )
    assert changed.status_code == 303
    done = client.get(changed.headers["location"])  # this login still works
    assert done.status_code == 200
    assert "Your password was changed" in main_text(done.text)
    assert "1 other login of yours was ended" in main_text(done.text)
    assert csrf_of(done.text) == csrf
    assert auth.authenticate_token(db, elsewhere.access_token) is None
    assert not can_log_in(client, username, PASSWORD)
    assert can_log_in(client, username, NEW)


def test_refusals_are_shown_next_to_their_fields(app_db: tuple[TestClient, Database]) -> None:
    client, _ = app_db
    csrf = log_in(client, "operator1")
    cases = [
        ({"current_password": "wrong one", "new_password": NEW}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "too short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
    ]
    for fields, field in cases:
        response = post_form(client, URL, csrf, **fields, new_password_again=fields["new_password"])
        assert response.status_code == 400, fields
        assert error_at(response.text, field)
        assert PASSWORD not in response.text and NEW not in response.text  # never echoed
    mismatch = post_form(
        client, URL, csrf, current_password=PASSWORD, new_password=NEW, new_password_again="x"
    )
    assert mismatch.status_code == 400
    assert error_at(mismatch.text, "new_password_again") == "does not match the new password"
    assert can_log_in(client, "operator1", PASSWORD)  # nothing changed


def test_the_form_needs_the_csrf_token_and_a_login(app_db: tuple[TestClient, Database]) -> None:
    client, _ = app_db
    anonymous = client.get(URL, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    log_in(client, "clinician1")
    fields = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    refused = post_form(client, URL, "not-the-token", **fields)
    assert refused.status_code == 403
    assert can_log_in(client, "clinician1", PASSWORD)


def test_wrong_current_passwords_are_rate_limited(app_db: tuple[TestClient, Database]) -> None:
    client, _ = app_db
    csrf = log_in(client, "clinician1")
    guess = {"current_password": "a wrong guess", "new_password": NEW, "new_password_again": NEW}
    for _ in range(3):  # the fixture blocks after three failures
        assert post_form(client, URL, csrf, **guess).status_code == 400
    right = {**guess, "current_password": PASSWORD}
    blocked = post_form(client, URL, csrf, **right)
    assert blocked.status_code == 429
    assert "too many failed password checks" in error_at(blocked.text, "current_password")
