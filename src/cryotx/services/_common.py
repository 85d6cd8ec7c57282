"""Pieces shared by the use cases: the acting user, service errors, audit entries, row helpers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from cryotx.errors import CryoTxError
from cryotx.store.models import AuditEntry, Base, Patient

if TYPE_CHECKING:  # schemas imports this module, so Page is imported where it is used
    from cryotx.services.schemas import Page

__all__ = [
    "Actor",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "add_created",
    "audit",
    "check_text",
    "owned_row",
    "page_of",
    "patient_or_404",
    "row_dict",
    "utc",
    "utcnow",
]


class NotFound(CryoTxError):
    """The record does not exist (HTTP 404)."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id} not found")
        self.entity = entity
        self.entity_id = entity_id


class PermissionDenied(CryoTxError):
    """The acting user's role may not do this (HTTP 403)."""


class Conflict(CryoTxError):
    """The request contradicts the record's current state (HTTP 409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an authenticated user (or the system, for migrations and demos)."""

    user_id: int
    username: str
    role: str
    must_change_password: bool = False
    """The user logged in with a one-time password: nothing is allowed but replacing it."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """``value`` as aware UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def check_text(value: str) -> str:
    """Refuse text a database cannot store faithfully (NUL, other controls, lone surrogates)."""
    for char in value:
        if char in "\n\t\r":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            raise ValueError("contains a control, surrogate or unassigned character")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_dict(row: Base, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The mapped columns of ``row`` as a JSON-ready dict."""
    mapper = sa_inspect(type(row))
    return {
        column.key: _jsonable(getattr(row, column.key))
        for column in mapper.column_attrs
        if column.key not in exclude
    }


def audit(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    patient_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Append one audit entry in the caller's transaction."""
    session.add(
        AuditEntry(
            at=utcnow(),
            user_id=actor.user_id or None,
            username=actor.username,
            action=action,
            entity=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            before=before,
            after=after,
        )
    )


P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=Base)


def _page_columns(query: Select[Any], model: type[BaseModel]) -> list[Any] | None:
    """The mapped attributes that fill ``model``, if the query is ``select(Entity)`` and
    every field of the model is a column of that entity; else ``None``."""
    descriptions = query.column_descriptions
    entity = descriptions[0].get("entity") if len(descriptions) == 1 else None
    if entity is None:
        return None
    columns = sa_inspect(entity).column_attrs
    if not all(name in columns for name in model.model_fields):
        return None
    return [getattr(entity, name) for name in model.model_fields]


def page_of(
    session: Session, query: Select[Any], model: type[P], *, limit: int, offset: int, order: Any
) -> Page[P]:
    """One page of ``query`` (ordered by ``order``, a column or a tuple) as ``model`` items.

    For ``select(Entity)`` queries it reads only the model's columns, as plain rows, with
    the total as a window count in the same statement: one statement and no ORM objects
    per page instead of two statements and one tracked object per row.  A page past the
    end carries no count, so the total is then counted on its own.
    """
    from cryotx.services.schemas import Page

    ordering = order if isinstance(order, tuple) else (order,)
    columns = _page_columns(query, model)
    total: int | None = None
    if columns is None:  # any other query: ORM objects, and a separate count
        rows = session.scalars(query.order_by(*ordering).limit(limit).offset(offset))
        items = [model.model_validate(row, from_attributes=True) for row in rows]
    else:
        counted = query.with_only_columns(*columns, func.count().over())
        page = session.execute(counted.order_by(*ordering).limit(limit).offset(offset)).all()
        names = list(model.model_fields)
        items = [model.model_validate(dict(zip(names, row, strict=False))) for row in page]
        if page:
            total = int(page[0][-1])
        elif offset == 0:
            total = 0
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return Page[model](items=items, total=total, limit=limit, offset=offset)  # type: ignore[valid-type]


def patient_or_404(session: Session, patient_id: int) -> Patient:
    """The patient, or :class:`NotFound`."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient", patient_id)
    return patient


def owned_row(session: Session, model: type[R], patient_id: int, row_id: int, kind: str) -> R:
    """Row ``row_id`` of ``model`` if it belongs to the patient, else :class:`NotFound`.

    A row of another patient is reported as missing, so that ids reveal nothing.
    """
    row = session.get(model, row_id)
    if row is None or getattr(row, "patient_id", None) != patient_id:
        raise NotFound(kind, row_id)
    return row


def add_created(
    session: Session, actor: Actor, row: Base, entity: str, patient_id: int | None
) -> None:
    """Insert ``row`` and audit its creation in the same transaction.

    ``patient_id`` None means the row is the patient itself (its own id is the patient's).
    """
    session.add(row)
    session.flush()
    after = row_dict(row)
    audit(
        session,
        actor,
        action="create",
        entity=entity,
        entity_id=after["id"],
        patient_id=after["id"] if patient_id is None else patient_id,
        before=None,
        after=after,
    )
