"""Reading the rows of one patient's record: one row, or a filtered page of them.

The record use cases (:mod:`cryotx.services.records`) and the clinical ones
(:mod:`cryotx.services.clinical`) read vital signs, sessions, scores, adverse events,
screenings and plans the same way: check the role, check that the row or the patient
exists, and return the public model. These two functions are that way, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select

from cryotx.services._common import Actor, owned_row, page_of, patient_or_404
from cryotx.services.auth import require
from cryotx.services.schemas import Page
from cryotx.store.db import Database

__all__ = ["patient_page", "patient_row"]

P = TypeVar("P", bound=BaseModel)


def patient_row(
    db: Database,
    actor: Actor,
    patient_id: int,
    row_id: int,
    *,
    action: str,
    model: Any,
    public: type[P],
    kind: str,
) -> P:
    """Row ``row_id`` of ``model`` as ``public``, if the actor may ``action`` and it is the
    patient's; :class:`~cryotx.services._common.NotFound` (named ``kind``) otherwise."""
    require(actor, action)
    with db.read() as session:
        row = owned_row(session, model, patient_id, row_id, kind)
        return public.model_validate(row, from_attributes=True)


def patient_page(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    action: str,
    model: Any,
    public: type[P],
    limit: int,
    offset: int,
    order: Any,
    equal: Mapping[Any, object] | None = None,
    where: Iterable[ColumnElement[bool]] = (),
) -> Page[P]:
    """A page of the patient's rows of ``model``, ordered by ``order``.

    Parameters
    ----------
    equal
        Column -> value filters; a value that is empty (``None``, ``""``) is no filter.
    where
        Further conditions, all applied.
    """
    require(actor, action)
    query = select(model).where(model.patient_id == patient_id)
    for column, value in (equal or {}).items():
        if value:
            query = query.where(column == value)
    for condition in where:
        query = query.where(condition)
    with db.read() as session:
        patient_or_404(session, patient_id)
        return page_of(session, query, public, limit=limit, offset=offset, order=order)
