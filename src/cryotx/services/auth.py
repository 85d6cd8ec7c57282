"""Accounts, logins, roles and CSRF: shared by the API, the web pages and the CLI.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106).
- A login creates a random 256-bit token.  The same token is the API's bearer token and
  the pages' session cookie; only its SHA-256 is stored, so a database dump gives no
  usable logins.  Tokens expire after ``token_ttl_s``; logout deletes them.
- CSRF: a cookie-authenticated state-changing request must carry
  ``csrf_token_for(token)`` (form field ``csrf_token`` or header ``X-CSRF-Token``).  The
  value is an HMAC of the session token, so it needs no server state and cannot be
  computed without the (HttpOnly) cookie.  Bearer-token requests need no CSRF token:
  browsers never attach the Authorization header by themselves.
- Roles: ``PERMISSIONS`` maps each action to the roles allowed to do it.
- Login rate limiting: :class:`LoginRateLimiter` counts failures per user name and per
  client address in a sliding window.  A wrong current password given to
  :func:`change_own_password` counts as a failed login, so a stolen session cannot be used
  to guess the password.
- Own password: :func:`change_own_password` lets any logged-in user replace their own
  password; it ends the user's other logins and keeps the one that asked.
- Token cache: a token found valid in the database is remembered by this process for a
  few seconds (:data:`TOKEN_CACHE_TTL_S`, see :func:`configure_token_cache`), so that a
  request needs no database round trip to find its user.  Logout and every change of an
  account's role, password or active flag made by this process drop the cached entries at
  once (after their commit); a change made by another process (a second server, a manual
  SQL update) takes effect here within the cache's lifetime.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from cryotx.errors import InputError
from cryotx.services._common import (
    Actor,
    Conflict,
    NotFound,
    PermissionDenied,
    audit,
    check_text,
    row_dict,
    utc,
    utcnow,
)
from cryotx.store.db import Database
from cryotx.store.models import AuthToken, User

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PERMISSIONS",
    "ROLES",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "TOKEN_CACHE_TTL_S",
    "AuthRequired",
    "CsrfRejected",
    "LoginRateLimiter",
    "LoginResult",
    "PasswordChange",
    "PasswordChangeRequired",
    "RateLimited",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "authenticate_request",
    "authenticate_request_cached",
    "authenticate_token",
    "change_own_password",
    "configure_token_cache",
    "create_user",
    "csrf_token_for",
    "find_user",
    "get_user",
    "hash_password",
    "list_users",
    "login",
    "logout",
    "require",
    "update_user",
    "verify_csrf",
]

Role = Literal["admin", "clinician", "operator"]
ROLES: tuple[str, ...] = ("admin", "clinician", "operator")
SESSION_COOKIE = "cryotx_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_A = frozenset({"admin"})
_C = frozenset({"clinician"})
_O = frozenset({"operator"})
_CO = frozenset({"clinician", "operator"})

#: Which roles may do what.  Admins manage accounts and see no clinical data; clinicians
#: keep the record, screen and plan; operators run sessions and record vitals, telemetry
#: and the adverse events they witness, and see what they need to deliver a plan.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": _A,
    "patients.read": _CO,
    "patients.write": _C,
    "vitals.read": _CO,
    "vitals.write": _CO,
    "screenings.read": _C,
    "screenings.write": _C,
    "plans.read": _CO,
    "plans.write": _C,
    "sessions.read": _CO,
    "sessions.write": _O,
    "telemetry.read": _CO,
    "telemetry.write": _O,
    "instruments.read": _C,
    "instruments.write": _C,
    "adverse_events.read": _CO,
    "adverse_events.write": _CO,
    "audit.read": _C,
    "fhir.export": _C,
    "fhir.import": _C,
}

_hasher = PasswordHasher()
# Verified when a user name is unknown, so that timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("cryotx-no-such-user")

Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")]
Password = Annotated[
    str, StringConstraints(min_length=12, max_length=256), AfterValidator(check_text)
]


class UserCreate(BaseModel):
    """A new account.

    Passwords have at least 12 characters: NIST SP 800-63B section 5.1.1.2 asks for at
    least 8 and recommends allowing at least 64; we ask for more, and allow 256.
    """

    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Password
    role: Role
    must_change_password: bool = True
    """The password is one-time: its user replaces it at the first login (the default,
    since whoever creates an account for someone else knows the password they set)."""


class UserUpdate(BaseModel):
    """Changes to an account (any subset)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    active: bool | None = None
    password: Password | None = None
    must_change_password: bool | None = None
    """Whether the password is one-time; a new ``password`` set here is one-time unless
    this says ``false``."""


class PasswordChange(BaseModel):
    """A user's change of their own password.

    The new password obeys the rules of :class:`UserCreate` (the same ``Password`` type);
    the current one is only checked against the stored hash, so any length is accepted.
    """

    model_config = ConfigDict(extra="forbid")
    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=256), AfterValidator(check_text)
    ]
    new_password: Password

    @field_validator("new_password")
    @classmethod
    def _new_differs(cls, new: str, info: ValidationInfo) -> str:
        if new == info.data.get("current_password"):
            raise ValueError("must differ from the current password")
        return new


class UserPublic(BaseModel):
    """An account as shown to admins (never the hash)."""

    id: int
    username: str
    role: str
    active: bool
    must_change_password: bool = False


class LoginResult(BaseModel):
    """A successful login: the token is shown once."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in_s: int = Field(gt=0)
    username: str
    role: str
    csrf_token: str
    password_change_required: bool = False
    """The password is one-time: every request but changing it is refused until then."""


def hash_password(password: str) -> str:
    """argon2id hash of ``password``."""
    return _hasher.hash(password)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token that goes with a session token (put it in forms)."""
    return hmac.new(session_token.encode("utf-8"), b"cryotx-csrf", hashlib.sha256).hexdigest()


def verify_csrf(session_token: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of ``session_token`` (constant time)."""
    if not submitted:
        return False
    # Compare bytes: compare_digest refuses non-ASCII str, and a forged token may be anything.
    expected = csrf_token_for(session_token).encode("utf-8")
    return hmac.compare_digest(expected, submitted.encode("utf-8", "surrogatepass"))


def require(actor: Actor, action: str) -> None:
    """Raise :class:`PermissionDenied` unless the actor's role may do ``action``.

    A user who logged in with a one-time password may do nothing until it is replaced
    (:class:`PasswordChangeRequired`); reading their own account and changing their own
    password need no permission.
    """
    if actor.must_change_password:
        raise PasswordChangeRequired(
            "log-in password is one-time: change it first (POST /api/auth/password, "
            "or the Password page)"
        )
    if actor.role not in PERMISSIONS[action]:
        raise PermissionDenied(f"role {actor.role!r} may not {action}")


class PasswordChangeRequired(PermissionDenied):
    """The user's password was set by someone else and must be replaced first (HTTP 403)."""


class RateLimited(PermissionDenied):
    """Too many failed password checks for this user name or client (HTTP 429)."""


class LoginRateLimiter:
    """Sliding-window count of failed logins per user name and per client address.

    Parameters
    ----------
    max_failures
        Failures allowed inside the window before attempts are refused.
    window_s
        Length of the window. [s]
    """

    def __init__(self, *, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures[key]
        while stamps and now - stamps[0] > self.window_s:
            stamps.popleft()
        return stamps

    def blocked(self, *keys: str) -> bool:
        """Whether any of the keys has used up its failures."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.max_failures for key in keys)

    def failed(self, *keys: str) -> None:
        """Count one failure against every key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, username_key: str) -> None:
        """Forget the user name's failures after a successful login."""
        with self._lock:
            self._failures.pop(username_key, None)


#: Seconds a token found valid stays cached in this process.  A revocation made by another
#: process (or by hand in the database) takes effect here at most this much later; every
#: revocation through this module in this process takes effect at once.
TOKEN_CACHE_TTL_S = 2.0
#: Cached tokens per database; the oldest go first when the cache is full.
TOKEN_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class _Cached:
    actor: Actor
    expires_at: datetime  # the login's own expiry (aware UTC)
    until: float  # time.monotonic() after which the entry is stale


class _TokenCache:
    """Recently verified tokens of one database (keyed by the token's SHA-256).

    A lookup that read the database reads ``generation`` first and may store its answer
    only if no revocation happened meanwhile: otherwise a lookup that read the row just
    before a logout committed could put the revoked token back into the cache.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self.generation = 0
        self._entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Actor | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry.until <= time.monotonic() or entry.expires_at <= utcnow():
            with self._lock:
                self._entries.pop(digest, None)
            return None
        return entry.actor

    def put(self, digest: str, actor: Actor, expires_at: datetime, generation: int) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= TOKEN_CACHE_SIZE:
                del self._entries[next(iter(self._entries))]
            until = time.monotonic() + self.ttl_s
            self._entries[digest] = _Cached(actor, expires_at, until)

    def revoke(self, *, digest: str | None = None, user_id: int | None = None) -> None:
        with self._lock:
            self.generation += 1
            if digest is not None:
                self._entries.pop(digest, None)
            if user_id is not None:
                stale = [k for k, v in self._entries.items() if v.actor.user_id == user_id]
                for key in stale:
                    del self._entries[key]


# One cache per database URL, so that every Database object of this process on the same
# database sees the same revocations.
_token_caches: dict[str, _TokenCache] = {}
_token_caches_lock = threading.Lock()


def _token_cache(db: Database) -> _TokenCache:
    cache = _token_caches.get(db.url)
    if cache is None:
        with _token_caches_lock:
            cache = _token_caches.setdefault(db.url, _TokenCache(TOKEN_CACHE_TTL_S))
    return cache


def configure_token_cache(db: Database, *, ttl_s: float) -> None:
    """Set how long this process caches valid tokens of ``db`` (0 turns the cache off)."""
    if ttl_s < 0:
        raise InputError("token_cache_s", "must be 0 or more")
    cache = _token_cache(db)
    cache.ttl_s = ttl_s
    cache.revoke()


def _password_checked(
    limiter: LoginRateLimiter | None,
    keys: tuple[str, str],
    stored_hash: str,
    password: str,
    *,
    valid: bool = True,
) -> bool:
    """argon2 check counted by the limiter: a failure counts against both ``keys`` (user,
    client), a success clears the user's count.  ``valid=False`` (an inactive account)
    fails even with the right password."""
    try:
        _hasher.verify(stored_hash, password)
        ok = valid
    except (VerificationError, InvalidHashError):
        ok = False
    if limiter is not None:
        if ok:
            limiter.succeeded(keys[0])
        else:
            limiter.failed(*keys)
    return ok


def _audit_account(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """One audit entry for a change to an account (never the password hash)."""
    audit(
        session,
        actor,
        action=action,
        entity="users",
        entity_id=user_id,
        patient_id=None,
        before=before,
        after=after,
    )


def login(
    db: Database,
    username: str,
    password: str,
    *,
    ttl_s: int,
    limiter: LoginRateLimiter | None = None,
    client: str = "unknown",
) -> LoginResult | None:
    """Check the password and create a token; ``None`` if the login is refused.

    Raises
    ------
    PermissionDenied
        When the rate limiter refuses further attempts (HTTP 429 in the API).
    """
    keys = (f"user:{username}", f"client:{client}")
    if limiter is not None and limiter.blocked(*keys):
        raise RateLimited("too many failed logins; wait and try again")
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        stored_hash = user.password_hash if user is not None else _DUMMY_HASH
        active = user is not None and user.active
    if not _password_checked(limiter, keys, stored_hash, password, valid=active) or user is None:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.write() as session:
        session.execute(delete(AuthToken).where(AuthToken.expires_at < now))
        session.add(
            AuthToken(
                token_sha256=_sha256(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )
        )
    return LoginResult(
        access_token=token,
        expires_in_s=ttl_s,
        username=user.username,
        role=user.role,
        csrf_token=csrf_token_for(token),
        password_change_required=user.must_change_password,
    )


def _cached_actor(db: Database, token: str) -> Actor | None:
    """The token's user if this process verified the token moments ago, else ``None``."""
    if not token or len(token) > 512:
        return None
    return _token_cache(db).get(_sha256(token))


def authenticate_token(db: Database, token: str) -> Actor | None:
    """The active user a token belongs to, or ``None`` if unknown or expired.

    Answers from the token cache when it can, from the database otherwise.
    """
    if not token or len(token) > 512:
        return None
    digest = _sha256(token)
    cache = _token_cache(db)
    cached = cache.get(digest)
    if cached is not None:
        return cached
    generation = cache.generation  # read before the database, see _TokenCache
    with db.read() as session:
        row = session.execute(
            select(
                User.id,
                User.username,
                User.role,
                User.active,
                User.must_change_password,
                AuthToken.expires_at,
            )
            .join(AuthToken, AuthToken.user_id == User.id)
            .where(AuthToken.token_sha256 == digest)
        ).first()
    if row is None:
        return None
    user_id, username, role, active, one_time, expires_at = row
    expires_at = utc(expires_at)
    if not active or expires_at <= utcnow():
        return None
    actor = Actor(user_id=user_id, username=username, role=role, must_change_password=one_time)
    cache.put(digest, actor, expires_at, generation)
    return actor


def logout(db: Database, token: str) -> None:
    """Delete the token (the cookie and the bearer token stop working at once)."""
    digest = _sha256(token)
    with db.write() as session:
        session.execute(delete(AuthToken).where(AuthToken.token_sha256 == digest))
    _token_cache(db).revoke(digest=digest)  # after the commit: see _TokenCache


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def create_user(db: Database, actor: Actor, data: UserCreate) -> UserPublic:
    """Create an account (admins only; the CLI acts as the system administrator)."""
    require(actor, "users.manage")
    with db.write() as session:
        taken = session.scalar(select(func.count()).where(User.username == data.username))
        if taken:
            raise Conflict("username", f"{data.username!r} is already taken")
        user = User(
            username=data.username,
            password_hash=hash_password(data.password),
            role=data.role,
            active=True,
            created_at=utcnow(),
            must_change_password=data.must_change_password,
        )
        session.add(user)
        session.flush()
        after = row_dict(user, exclude=("password_hash",))
        _audit_account(session, actor, user.id, action="create", before=None, after=after)
        return _public(user)


def get_user(db: Database, actor: Actor, user_id: int) -> UserPublic:
    """One account."""
    require(actor, "users.manage")
    with db.read() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user", user_id)
        return _public(user)


def find_user(db: Database, actor: Actor, username: str) -> UserPublic:
    """The account with this user name (admins only; :class:`NotFound` if none)."""
    require(actor, "users.manage")
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("user", repr(username))
        return _public(user)


def list_users(
    db: Database, actor: Actor, *, limit: int, offset: int
) -> tuple[list[UserPublic], int]:
    """A page of accounts and the total count."""
    require(actor, "users.manage")
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(User)) or 0
        users = session.scalars(select(User).order_by(User.id).limit(limit).offset(offset))
        return [_public(user) for user in users], total


def update_user(db: Database, actor: Actor, user_id: int, data: UserUpdate) -> UserPublic:
    """Change role, active flag or password; deactivating or re-keying ends its logins."""
    require(actor, "users.manage")
    if user_id == actor.user_id and (data.active is False or (data.role not in (None, "admin"))):
        raise InputError(
            "role" if data.role else "active", "admins cannot demote or lock out themselves"
        )
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user", user_id)
        before = row_dict(user, exclude=("password_hash",))
        if data.role is not None:
            user.role = data.role
        if data.active is not None:
            user.active = data.active
        if data.password is not None:
            user.password_hash = hash_password(data.password)
            user.must_change_password = data.must_change_password is not False
        elif data.must_change_password is not None:
            user.must_change_password = data.must_change_password
        ends_logins = (
            data.active is False
            or data.password is not None
            or data.role is not None
            or data.must_change_password is True
        )
        if ends_logins:
            session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
        session.flush()
        after = row_dict(user, exclude=("password_hash",))
        if data.password is not None:
            after["password_changed"] = True
        _audit_account(session, actor, user.id, action="update", before=before, after=after)
        public = _public(user)
    if ends_logins or data.must_change_password is not None:
        _token_cache(db).revoke(user_id=user_id)  # after the commit: see _TokenCache
    return public


def change_own_password(
    db: Database,
    actor: Actor,
    data: PasswordChange,
    *,
    session_token: str,
    limiter: LoginRateLimiter | None = None,
    client: str = "unknown",
) -> int:
    """Replace the acting user's own password (any role).

    The current password must be right.  On success every OTHER login of the user ends
    (a session someone else may hold stops working at once) and the login that asked,
    ``session_token``, stays valid, so the user is not thrown out of the page they are
    on.  The audit entry says that the password changed, never the hash.

    Parameters
    ----------
    data
        The current and the new password (rules of :class:`UserCreate`).
    session_token
        The token of the request (kept; all the user's other tokens are deleted).
    limiter, client
        A wrong current password counts as a failed login against the user name and the
        client address, exactly as in :func:`login`.

    Returns
    -------
    int
        How many other logins were ended.

    Raises
    ------
    InputError
        ``current_password`` is wrong.
    RateLimited
        Too many failed password checks for this user or client (also refused when the
        current password is right).
    Conflict
        The password was changed by another request meanwhile.
    """
    keys = (f"user:{actor.username}", f"client:{client}")
    if limiter is not None and limiter.blocked(*keys):
        raise RateLimited("too many failed password checks; wait and try again")
    with db.read() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.active:
            raise AuthRequired("login expired or unknown; log in again")
        stored_hash = user.password_hash
    # argon2 work happens outside the write transaction (it takes tens of milliseconds).
    if not _password_checked(limiter, keys, stored_hash, data.current_password):
        raise InputError("current_password", "is not your current password")
    new_hash = hash_password(data.new_password)
    keep = _sha256(session_token)
    with db.write() as session:
        user = session.get(User, actor.user_id)
        if user is None or not user.active:
            raise AuthRequired("login expired or unknown; log in again")
        if user.password_hash != stored_hash:
            raise Conflict("current_password", "the password was changed meanwhile; try again")
        before = row_dict(user, exclude=("password_hash",))
        user.password_hash = new_hash
        user.must_change_password = False
        result = session.execute(
            delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.token_sha256 != keep)
        )
        ended = cast("CursorResult[Any]", result).rowcount
        session.flush()
        after = row_dict(user, exclude=("password_hash",))
        after["password_changed"] = True
        after["other_logins_ended"] = ended
        _audit_account(session, actor, user.id, action="update", before=before, after=after)
    # After the commit (see _TokenCache).  This also drops the kept token's cache entry;
    # its row is still there, so its next request simply reads the database again.
    _token_cache(db).revoke(user_id=actor.user_id)
    return int(ended)


class AuthRequired(PermissionDenied):
    """No valid login came with the request (HTTP 401)."""


class CsrfRejected(PermissionDenied):
    """A cookie-authenticated state-changing request without a valid CSRF token (HTTP 403)."""


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _credentials(authorization: str | None, cookie: str | None) -> tuple[str, bool]:
    """(token, came by cookie) of a request; :class:`AuthRequired` if it carries none."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), False
    if cookie:
        return cookie, True
    raise AuthRequired("login required")


def _checked(
    actor: Actor | None, token: str, *, via_cookie: bool, method: str, csrf: str | None
) -> tuple[Actor, str]:
    if actor is None:
        raise AuthRequired("login expired or unknown; log in again")
    if via_cookie and method.upper() not in SAFE_METHODS and not verify_csrf(token, csrf):
        raise CsrfRejected("missing or wrong CSRF token")
    return actor, token


def authenticate_request(
    db: Database,
    *,
    method: str,
    authorization: str | None,
    cookie: str | None,
    csrf_token: str | None,
) -> tuple[Actor, str]:
    """Who sent a request, for the API and the web pages alike.

    Parameters
    ----------
    method
        The HTTP method; unsafe methods authenticated by cookie need ``csrf_token``.
    authorization
        The ``Authorization`` header (``Bearer TOKEN``), if any; it wins over the cookie.
    cookie
        The value of the :data:`SESSION_COOKIE` cookie, if any.
    csrf_token
        The submitted CSRF token (form field :data:`CSRF_FIELD` or header
        :data:`CSRF_HEADER`).

    Returns
    -------
    (Actor, str)
        The user and the session token (to derive the CSRF token for the next form).

    Raises
    ------
    AuthRequired
        No token, or an unknown or expired one.
    CsrfRejected
        Cookie login, unsafe method and a missing or wrong CSRF token.
    """
    token, via_cookie = _credentials(authorization, cookie)
    actor = authenticate_token(db, token)
    return _checked(actor, token, via_cookie=via_cookie, method=method, csrf=csrf_token)


def authenticate_request_cached(
    db: Database,
    *,
    method: str,
    authorization: str | None,
    cookie: str | None,
    csrf_token: str | None,
) -> tuple[Actor, str] | None:
    """:func:`authenticate_request` when it can answer without the database, else ``None``.

    For async callers: this never blocks, so it can run on the event loop; on ``None``
    call :func:`authenticate_request` in a worker thread.  It raises the same errors.
    """
    token, via_cookie = _credentials(authorization, cookie)
    actor = _cached_actor(db, token)
    if actor is None:
        return None
    return _checked(actor, token, via_cookie=via_cookie, method=method, csrf=csrf_token)
