"""Accounts, tokens, CSRF and the login rate limiter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from cryotx.services import auth
from cryotx.services._common import Actor, Conflict, PermissionDenied, utcnow
from cryotx.store.db import Database

PASSWORD = "correct horse battery staple"  # as in conftest.py
SYSTEM = Actor(user_id=0, username="system:test", role="admin")


def test_passwords_are_stored_as_argon2_hashes(db: Database, staff: dict[str, Actor]) -> None:
    from sqlalchemy import select

    from cryotx.store.models import User

    with db.read() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_login_token_authenticates_until_logout(db: Database, staff: dict[str, Actor]) -> None:
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=60)
    assert result is not None
    actor = auth.authenticate_token(db, result.access_token)
    assert actor == staff["clinician"]
    auth.logout(db, result.access_token)
    assert auth.authenticate_token(db, result.access_token) is None


def test_wrong_password_unknown_user_and_expired_token_are_refused(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert auth.login(db, "clinician1", "wrong password!", ttl_s=60) is None
    assert auth.login(db, "nobody", PASSWORD, ttl_s=60) is None
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=60)
    assert result is not None
    assert auth.authenticate_token(db, result.access_token) is not None
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    assert auth.authenticate_token(db, result.access_token) is None


def test_deactivating_an_account_ends_its_logins(db: Database, staff: dict[str, Actor]) -> None:
    result = auth.login(db, "operator1", PASSWORD, ttl_s=60)
    assert result is not None
    auth.update_user(db, staff["admin"], staff["operator"].user_id, auth.UserUpdate(active=False))
    assert auth.authenticate_token(db, result.access_token) is None
    assert auth.login(db, "operator1", PASSWORD, ttl_s=60) is None


def test_user_management_is_for_admins_and_names_are_unique(
    db: Database, staff: dict[str, Actor]
) -> None:
    data = auth.UserCreate(username="newbie", password=PASSWORD, role="operator")
    with pytest.raises(PermissionDenied):
        auth.create_user(db, staff["clinician"], data)
    auth.create_user(db, staff["admin"], data)
    with pytest.raises(Conflict):
        auth.create_user(db, SYSTEM, data)


@pytest.mark.parametrize("password", ["short", "x" * 11, "tab\x00nul-character"])
def test_weak_or_unstorable_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        auth.UserCreate(username="someone", password=password, role="operator")


def test_cookie_writes_need_the_csrf_token(db: Database, staff: dict[str, Actor]) -> None:
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=60)
    assert result is not None
    token = result.access_token
    kwargs = {"authorization": None, "cookie": token}
    actor, _ = auth.authenticate_request(db, method="GET", csrf_token=None, **kwargs)
    assert actor.role == "clinician"
    with pytest.raises(auth.CsrfRejected):
        auth.authenticate_request(db, method="POST", csrf_token=None, **kwargs)
    for forged in ("0" * 64, "é" * 64, "\udc80"):
        with pytest.raises(auth.CsrfRejected):
            auth.authenticate_request(db, method="POST", csrf_token=forged, **kwargs)
    auth.authenticate_request(db, method="POST", csrf_token=auth.csrf_token_for(token), **kwargs)
    # A bearer token is never sent by a browser on its own: no CSRF token needed.
    auth.authenticate_request(
        db, method="POST", authorization=f"Bearer {token}", cookie=None, csrf_token=None
    )
    with pytest.raises(auth.AuthRequired):
        auth.authenticate_request(
            db, method="GET", authorization=None, cookie=None, csrf_token=None
        )


def test_rate_limiter_blocks_after_failures_and_forgets_after_success(
    db: Database, staff: dict[str, Actor]
) -> None:
    limiter = auth.LoginRateLimiter(max_failures=3, window_s=60)
    for _ in range(3):
        assert (
            auth.login(
                db, "clinician1", "wrong password!", ttl_s=60, limiter=limiter, client="10.0.0.1"
            )
            is None
        )
    with pytest.raises(PermissionDenied):
        auth.login(db, "clinician1", PASSWORD, ttl_s=60, limiter=limiter, client="10.0.0.2")
    # Another user from another address is not affected.
    assert (
        auth.login(db, "operator1", PASSWORD, ttl_s=60, limiter=limiter, client="10.0.0.3")
        is not None
    )


def test_rate_limiter_window_slides() -> None:
    limiter = auth.LoginRateLimiter(max_failures=1, window_s=0.0)
    limiter.failed("user:a")
    assert not limiter.blocked("user:a")


def test_csrf_check_refuses_non_ascii_tokens_without_raising():
    # hmac.compare_digest raises TypeError on non-ASCII str; a forged header may hold any text.
    from cryotx.services.auth import csrf_token_for, verify_csrf

    session_token = "session-token-for-test"
    assert verify_csrf(session_token, csrf_token_for(session_token))
    assert not verify_csrf(session_token, "é" * 64)
    assert not verify_csrf(session_token, "\udcff")
