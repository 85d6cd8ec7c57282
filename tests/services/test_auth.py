"""Accounts, tokens, CSRF and the login rate limiter."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cryotx.errors import InputError
from cryotx.services import auth
from cryotx.services._common import Actor, Conflict, NotFound, PermissionDenied, utcnow
from cryotx.store.db import Database
from cryotx.store.models import AuditEntry, User

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
    assert auth.authenticate_token(db, result.access_token) is not None  # now cached
    auth.update_user(db, staff["admin"], staff["operator"].user_id, auth.UserUpdate(active=False))
    assert auth.authenticate_token(db, result.access_token) is None
    assert auth.login(db, "operator1", PASSWORD, ttl_s=60) is None


def test_user_management_is_for_admins_and_names_are_unique(
    db: Database, staff: dict[str, Actor]
) -> None:
    data = auth.UserCreate(
        username="newbie", password=PASSWORD, role="operator", must_change_password=False
    )
    with pytest.raises(PermissionDenied):
        auth.create_user(db, staff["clinician"], data)
    auth.create_user(db, staff["admin"], data)
    with pytest.raises(Conflict):
        auth.create_user(db, SYSTEM, data)


@pytest.mark.parametrize("password", ["short", "x" * 11, "tab\x00nul-character"])
def test_weak_or_unstorable_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        auth.UserCreate(
            username="someone", password=password, role="operator", must_change_password=False
        )


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


# --- the token cache ----------------------------------------------------------------------


def test_logout_and_role_changes_end_cached_logins_at_once(
    db: Database, staff: dict[str, Actor]
) -> None:
    auth.configure_token_cache(db, ttl_s=60)
    first = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    second = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    assert first is not None and second is not None
    for result in (first, second):  # both answered from the cache from now on
        assert auth.authenticate_token(db, result.access_token) == staff["operator"]
    auth.logout(db, first.access_token)
    assert auth.authenticate_token(db, first.access_token) is None
    assert auth.authenticate_token(db, second.access_token) == staff["operator"]
    operator_id = staff["operator"].user_id
    auth.update_user(db, staff["admin"], operator_id, auth.UserUpdate(role="clinician"))
    assert auth.authenticate_token(db, second.access_token) is None
    again = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    assert again is not None
    promoted = auth.authenticate_token(db, again.access_token)
    assert promoted is not None and promoted.role == "clinician"


def test_a_revocation_during_a_lookup_does_not_leave_the_token_cached(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lookup reads the token row, then the logout commits, then the lookup would
    # cache what it read: the cached entry would keep a revoked token working.
    auth.configure_token_cache(db, ttl_s=60)
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=600)
    assert result is not None
    real_read = db.read

    @contextmanager
    def read_then_logout() -> Iterator[Session]:
        with real_read() as session:
            yield session
        monkeypatch.setattr(db, "read", real_read)
        auth.logout(db, result.access_token)

    monkeypatch.setattr(db, "read", read_then_logout)
    # Valid when it was read (a request already in flight), but not remembered:
    assert auth.authenticate_token(db, result.access_token) == staff["clinician"]
    assert auth.authenticate_token(db, result.access_token) is None


def test_changes_made_by_another_process_take_effect_within_the_cache_lifetime(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=600)
    assert result is not None
    token = result.access_token

    def deactivate_by_hand() -> None:  # as another process would: not through this module
        with db.write() as session:
            session.execute(update(User).where(User.username == "clinician1").values(active=False))

    auth.configure_token_cache(db, ttl_s=0)  # no cache: at once
    assert auth.authenticate_token(db, token) is not None
    deactivate_by_hand()
    assert auth.authenticate_token(db, token) is None
    with db.write() as session:
        session.execute(update(User).values(active=True))

    auth.configure_token_cache(db, ttl_s=5)
    assert auth.authenticate_token(db, token) is not None
    deactivate_by_hand()
    later = time.monotonic() + 5.01
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    assert auth.authenticate_token(db, token) is None


def test_the_token_cache_is_shared_by_every_database_object_on_one_database(
    db: Database, staff: dict[str, Actor]
) -> None:
    auth.configure_token_cache(db, ttl_s=60)
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=600)
    assert result is not None
    assert auth.authenticate_token(db, result.access_token) is not None
    other = Database(db.url)  # e.g. the pages' or a CLI command's own object
    try:
        auth.logout(other, result.access_token)
    finally:
        other.dispose()
    assert auth.authenticate_token(db, result.access_token) is None


def test_cached_requests_still_need_the_csrf_token(db: Database, staff: dict[str, Actor]) -> None:
    auth.configure_token_cache(db, ttl_s=60)
    result = auth.login(db, "clinician1", PASSWORD, ttl_s=600)
    assert result is not None
    token = result.access_token
    kwargs = {"authorization": None, "cookie": token}
    assert auth.authenticate_request_cached(db, method="GET", csrf_token=None, **kwargs) is None
    auth.authenticate_request(db, method="GET", csrf_token=None, **kwargs)  # fills the cache
    found = auth.authenticate_request_cached(db, method="GET", csrf_token=None, **kwargs)
    assert found == (staff["clinician"], token)
    with pytest.raises(auth.CsrfRejected):
        auth.authenticate_request_cached(db, method="POST", csrf_token="0" * 64, **kwargs)
    with pytest.raises(auth.AuthRequired):
        auth.authenticate_request_cached(
            db, method="GET", authorization=None, cookie=None, csrf_token=None
        )


# --- changing one's own password ----------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"


def _change(current: str, new: str = NEW_PASSWORD) -> auth.PasswordChange:
    return auth.PasswordChange(current_password=current, new_password=new)


@pytest.mark.parametrize("role", auth.ROLES)
def test_every_role_changes_its_own_password_and_keeps_this_login_only(
    db: Database, staff: dict[str, Actor], role: str
) -> None:
    auth.configure_token_cache(db, ttl_s=60)
    username = f"{role}1"
    this = auth.login(db, username, PASSWORD, ttl_s=600)
    other = auth.login(db, username, PASSWORD, ttl_s=600)
    bystander = auth.login(
        db, "clinician1" if role != "clinician" else "operator1", PASSWORD, ttl_s=600
    )
    assert this is not None and other is not None and bystander is not None
    for result in (this, other, bystander):  # cached from now on
        assert auth.authenticate_token(db, result.access_token) is not None
    ended = auth.change_own_password(
        db, staff[role], _change(PASSWORD), session_token=this.access_token
    )
    assert ended == 1
    assert auth.authenticate_token(db, this.access_token) == staff[role]
    assert auth.authenticate_token(db, other.access_token) is None  # at once, despite the cache
    assert auth.authenticate_token(db, bystander.access_token) is not None
    assert auth.login(db, username, PASSWORD, ttl_s=60) is None
    assert auth.login(db, username, NEW_PASSWORD, ttl_s=60) is not None


def test_a_wrong_current_password_is_refused_by_field_and_changes_nothing(
    db: Database, staff: dict[str, Actor]
) -> None:
    this = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    other = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    assert this is not None and other is not None
    with pytest.raises(InputError) as refused:
        auth.change_own_password(
            db, staff["operator"], _change("not my password"), session_token=this.access_token
        )
    assert refused.value.field == "current_password"
    assert auth.authenticate_token(db, other.access_token) is not None
    assert auth.login(db, "operator1", PASSWORD, ttl_s=60) is not None
    assert auth.login(db, "operator1", NEW_PASSWORD, ttl_s=60) is None


@pytest.mark.parametrize(
    ("new", "field"),
    [
        ("short", "new_password"),
        ("x" * 11, "new_password"),
        ("nul\x00inside-here", "new_password"),
        (PASSWORD, "new_password"),
    ],
)
def test_the_new_password_obeys_the_account_rules(new: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        auth.PasswordChange(current_password=PASSWORD, new_password=new)
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_wrong_current_passwords_count_as_failed_logins(
    db: Database, staff: dict[str, Actor]
) -> None:
    limiter = auth.LoginRateLimiter(max_failures=3, window_s=60)
    this = auth.login(db, "clinician1", PASSWORD, ttl_s=600)
    assert this is not None
    for _ in range(3):
        with pytest.raises(InputError):
            auth.change_own_password(
                db,
                staff["clinician"],
                _change("guess number n"),
                session_token=this.access_token,
                limiter=limiter,
                client="10.0.0.9",
            )
    # Now even the right password is refused, here and at the login.
    with pytest.raises(auth.RateLimited):
        auth.change_own_password(
            db,
            staff["clinician"],
            _change(PASSWORD),
            session_token=this.access_token,
            limiter=limiter,
            client="10.0.0.10",
        )
    with pytest.raises(auth.RateLimited):
        auth.login(db, "clinician1", PASSWORD, ttl_s=60, limiter=limiter, client="10.0.0.11")
    assert auth.login(db, "clinician1", NEW_PASSWORD, ttl_s=60) is None


def test_the_change_is_audited_without_any_hash(db: Database, staff: dict[str, Actor]) -> None:
    this = auth.login(db, "admin1", PASSWORD, ttl_s=600)
    assert this is not None
    auth.change_own_password(db, staff["admin"], _change(PASSWORD), session_token=this.access_token)
    with db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "users").order_by(AuditEntry.id.desc())
        ).first()
        hashes = session.scalars(select(User.password_hash)).all()
    assert entry is not None
    assert (entry.username, entry.action, entry.entity_id) == (
        "admin1",
        "update",
        staff["admin"].user_id,
    )
    assert entry.after is not None and entry.after["password_changed"] is True
    assert entry.after["other_logins_ended"] == 0
    text = json.dumps([entry.before, entry.after])
    assert "password_hash" not in text and "$argon2" not in text
    assert NEW_PASSWORD not in text and PASSWORD not in text
    assert all(h not in text for h in hashes)


def test_a_password_changed_meanwhile_is_a_conflict(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    this = auth.login(db, "operator1", PASSWORD, ttl_s=600)
    assert this is not None
    real_hash = auth.hash_password

    def admin_resets_meanwhile(password: str) -> str:
        # Called by change_own_password between its check and its write; the admin's
        # reset below hashes too, so put the real function back first.
        monkeypatch.setattr(auth, "hash_password", real_hash)
        auth.update_user(
            db,
            staff["admin"],
            staff["operator"].user_id,
            auth.UserUpdate(password="set by the admin"),
        )
        return real_hash(password)

    monkeypatch.setattr(auth, "hash_password", admin_resets_meanwhile)
    with pytest.raises(Conflict):
        auth.change_own_password(
            db, staff["operator"], _change(PASSWORD), session_token=this.access_token
        )
    assert auth.login(db, "operator1", "set by the admin", ttl_s=60) is not None


def test_find_user_by_name_is_for_admins(db: Database, staff: dict[str, Actor]) -> None:
    found = auth.find_user(db, staff["admin"], "operator1")
    assert (found.id, found.role) == (staff["operator"].user_id, "operator")
    with pytest.raises(NotFound):
        auth.find_user(db, staff["admin"], "nobody")
    with pytest.raises(PermissionDenied):
        auth.find_user(db, staff["clinician"], "operator1")


def test_a_password_set_by_someone_else_opens_nothing_until_replaced(
    db: Database, staff: dict[str, Actor]
) -> None:
    from cryotx.services import records

    data = auth.UserCreate(username="temp.nurse", password=PASSWORD, role="clinician")
    assert data.must_change_password  # the default: the admin knows this password
    created = auth.create_user(db, staff["admin"], data)
    assert created.must_change_password
    login = auth.login(db, "temp.nurse", PASSWORD, ttl_s=60)
    assert login is not None and login.password_change_required
    actor = auth.authenticate_token(db, login.access_token)
    assert actor is not None and actor.must_change_password
    with pytest.raises(auth.PasswordChangeRequired):
        records.list_patients(db, actor, limit=5, offset=0)
    new = "the nurse's own long password"
    auth.change_own_password(
        db,
        actor,
        auth.PasswordChange(current_password=PASSWORD, new_password=new),
        session_token=login.access_token,
    )
    actor = auth.authenticate_token(db, login.access_token)  # the cache was revoked
    assert actor is not None and not actor.must_change_password
    assert records.list_patients(db, actor, limit=5, offset=0).total >= 0
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "users", AuditEntry.entity_id == created.id
            )
        ).all()
    changes = [json.loads(e.after) if isinstance(e.after, str) else e.after for e in entries]
    assert changes[0]["must_change_password"] is True
    assert changes[-1]["must_change_password"] is False
