"""``POST /api/auth/password``: every user changes their own password."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
PASSWORD = "correct horse battery staple"  # as in conftest.py
NEW = "a brand new passphrase"
URL = "/api/auth/password"


def _login_status(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    return response.status_code


def test_change_keeps_this_login_and_ends_the_others(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    this, other = login("operator1"), login("operator1")
    for bearer in (this, other):  # both now in the server's token cache
        assert client.get("/api/auth/me", headers=bearer).status_code == 200
    changed = client.post(
        URL, headers=this, json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert changed.status_code == 204, changed.text
    assert changed.content == b""
    assert client.get("/api/auth/me", headers=this).status_code == 200
    assert client.get("/api/auth/me", headers=other).status_code == 401
    assert _login_status(client, "operator1", PASSWORD) == 401
    assert _login_status(client, "operator1", NEW) == 200


def test_refusals_are_problem_details_naming_the_field(client: TestClient, headers: H) -> None:
    cases = [
        ({"current_password": "not the password", "new_password": NEW}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "too short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD, "new_password": NEW, "role": "admin"}, "role"),
    ]
    for body, field in cases:
        response = client.post(URL, headers=headers["clinician"], json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field
    assert _login_status(client, "clinician1", PASSWORD) == 200  # nothing changed


def test_anonymous_requests_are_refused(client: TestClient) -> None:
    response = client.post(URL, json={"current_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 401
    assert _login_status(client, "admin1", PASSWORD) == 200


def test_a_cookie_login_needs_the_csrf_token_and_keeps_its_cookie(client: TestClient) -> None:
    logged_in = client.post(
        "/api/auth/login", json={"username": "clinician1", "password": PASSWORD}
    )
    csrf = logged_in.json()["csrf_token"]
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post(URL, json=body).status_code == 403
    assert client.post(URL, json=body, headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/auth/me").status_code == 200  # the cookie still works


def test_wrong_current_passwords_are_rate_limited_like_logins(
    client: TestClient, app: FastAPI, headers: H
) -> None:
    limit = app.state.settings.login_max_failures
    guess = {"current_password": "a wrong guess", "new_password": NEW}
    for _ in range(limit):
        assert client.post(URL, headers=headers["admin"], json=guess).status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW}
    blocked = client.post(URL, headers=headers["admin"], json=right)
    assert blocked.status_code == 429 and "retry-after" in blocked.headers
    assert _login_status(client, "admin1", PASSWORD) == 429
    assert client.get("/api/auth/me", headers=headers["admin"]).status_code == 200


def _bearer(client: TestClient, username: str, password: str) -> tuple[dict[str, str], bool]:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['access_token']}"}, body["password_change_required"]


def test_a_password_an_admin_set_works_once(client: TestClient, headers: H) -> None:
    made = client.post(
        "/api/users",
        headers=headers["admin"],
        json={"username": "new.nurse", "password": PASSWORD, "role": "operator"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["must_change_password"] is True  # the default for an admin's account
    bearer, required = _bearer(client, "new.nurse", PASSWORD)
    assert required
    me = client.get("/api/auth/me", headers=bearer)
    assert me.status_code == 200 and me.json()["password_change_required"] is True
    refused = client.get("/api/patients", headers=bearer)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "one-time" in refused.json()["detail"]
    changed = client.post(
        URL, headers=bearer, json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/patients", headers=bearer).status_code == 200  # same login
    assert _bearer(client, "new.nurse", NEW)[1] is False

    # An admin's reset is one-time again, unless the admin says otherwise.
    user_id = made.json()["id"]
    reset = client.patch(
        f"/api/users/{user_id}", headers=headers["admin"], json={"password": PASSWORD}
    )
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    assert _bearer(client, "new.nurse", PASSWORD)[1] is True
    kept = client.patch(
        f"/api/users/{user_id}",
        headers=headers["admin"],
        json={"password": NEW, "must_change_password": False},
    )
    assert kept.status_code == 200 and kept.json()["must_change_password"] is False
    bearer, required = _bearer(client, "new.nurse", NEW)
    assert not required and client.get("/api/patients", headers=bearer).status_code == 200
