"""Account administration beside :mod:`cryotx.services.auth`: passwords made for a new
account, and the audit trail as administrators may see it.

Administrators manage accounts and see no clinical data (``auth.PERMISSIONS``). The audit
trail here therefore tells who did what to which record and when, and for a change to a
patient's record only *which fields* changed, never their values. Changes to accounts
(role, active flag) are shown with their values: they hold no clinical data and the
password hash is never audited.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import select

from cryotx.services._common import Actor, page_of
from cryotx.services.auth import require
from cryotx.services.schemas import Page
from cryotx.store.db import Database
from cryotx.store.models import AuditEntry

__all__ = [
    "AuditFilter",
    "AuditSummary",
    "FieldChange",
    "audit_trail",
    "generate_password",
]

#: Random bytes in a generated password: 15 bytes are 20 URL-safe characters (120 bits),
#: above the service's 12-character minimum (``auth.UserCreate``).
_GENERATED_BYTES = 15
#: Columns every update touches; a change to them alone says nothing.
_BOOKKEEPING = frozenset({"updated_at"})


def generate_password() -> str:
    """A random password for a new account (shown once to the administrator)."""
    return secrets.token_urlsafe(_GENERATED_BYTES)


class AuditFilter(BaseModel):
    """Which audit entries to show: by patient, by user name, by day (UTC, inclusive)."""

    model_config = ConfigDict(extra="forbid")
    patient_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9:_.-]{1,64}$")] | None = None
    since: date | None = None
    until: date | None = None

    @field_validator("until")
    @classmethod
    def _not_before_since(cls, until: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if until is not None and since is not None and until < since:
            raise ValueError("is before the first day")
        return until


class FieldChange(BaseModel):
    """One changed field; ``before``/``after`` only for accounts (``None`` otherwise)."""

    field: str
    before: Any = None
    after: Any = None


class AuditSummary(BaseModel):
    """An audit entry without the record's clinical content."""

    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    changes: list[FieldChange]

    @model_validator(mode="before")
    @classmethod
    def _from_entry(cls, value: Any) -> Any:
        """From a stored :class:`AuditEntry`: its before/after become ``changes``."""
        if not isinstance(value, AuditEntry):
            return value
        return {
            "id": value.id,
            "at": value.at,
            "username": value.username,
            "action": value.action,
            "entity": value.entity,
            "entity_id": value.entity_id,
            "patient_id": value.patient_id,
            "changes": _changes(value),
        }


def _changes(entry: AuditEntry) -> list[FieldChange]:
    """The fields an update changed (with values for accounts only)."""
    if entry.action != "update" or entry.before is None or entry.after is None:
        return []
    show_values = entry.entity == "users"
    changes = []
    for name in sorted(entry.before.keys() | entry.after.keys()):
        if name in _BOOKKEEPING:
            continue
        old, new = entry.before.get(name), entry.after.get(name)
        if old == new:
            continue
        if show_values:
            changes.append(FieldChange(field=name, before=old, after=new))
        else:
            changes.append(FieldChange(field=name))
    return changes


def audit_trail(
    db: Database, actor: Actor, where: AuditFilter, *, limit: int, offset: int
) -> Page[AuditSummary]:
    """Audit entries, newest first, for administrators (no clinical values)."""
    require(actor, "users.manage")
    query = select(AuditEntry)
    if where.patient_id is not None:
        query = query.where(AuditEntry.patient_id == where.patient_id)
    if where.username:
        query = query.where(AuditEntry.username == where.username)
    if where.since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(where.since, time(), UTC))
    if where.until is not None:
        end = datetime.combine(where.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEntry.at < end)
    with db.read() as session:
        # ``changes`` is no column, so page_of hands AuditSummary the stored entries (ORM
        # objects) and its validator reduces before/after to the changed fields.
        return page_of(
            session, query, AuditSummary, limit=limit, offset=offset, order=AuditEntry.id.desc()
        )
