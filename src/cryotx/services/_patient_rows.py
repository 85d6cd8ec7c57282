"""Reading the rows of one patient's record: one row, or a filtered page of them.

The record use cases (:mod:`cryotx.services.records`) and the clinical ones
(:mod:`cryotx.services.clinical`) read vital signs, sessions, scores, adverse events,
screenings and plans the same way: check the role, check that the row or the patient
exists, and return the public model. :class:`PatientRows` is that way, once; each module
declares one per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select

from cryotx.services._common import Actor, owned_row, page_of, patient_or_404
from cryotx.services.auth import require
from cryotx.services.schemas import Page
from cryotx.store.db import Database

__all__ = ["PatientRows"]

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PatientRows(Generic[P]):
    """The rows of one table that belong to a patient, as the public model ``public``.

    Parameters
    ----------
    model
        The ORM class (it has a ``patient_id`` column).
    public
        The pydantic model a row is returned as.
    action
        The permission that reads them (a key of ``auth.PERMISSIONS``).
    kind
        The name a missing row is reported under (:class:`NotFound`).
    order
        The order of a page: a column expression or a tuple of them.
    """

    model: Any
    public: type[P]
    action: str
    kind: str
    order: Any

    def one(self, db: Database, actor: Actor, patient_id: int, row_id: int) -> P:
        """Row ``row_id`` if the actor may read it and it is the patient's, else NotFound."""
        require(actor, self.action)
        with db.read() as session:
            row = owned_row(session, self.model, patient_id, row_id, self.kind)
            return self.public.model_validate(row, from_attributes=True)

    def page(
        self,
        db: Database,
        actor: Actor,
        patient_id: int,
        *,
        limit: int,
        offset: int,
        equal: Mapping[Any, object] | None = None,
        where: Iterable[ColumnElement[bool]] = (),
    ) -> Page[P]:
        """A page of the patient's rows; NotFound if there is no such patient.

        ``equal`` maps columns to values (an empty value, ``None`` or ``""``, is no
        filter); ``where`` adds further conditions.
        """
        require(actor, self.action)
        query = select(self.model).where(self.model.patient_id == patient_id)
        for column, value in (equal or {}).items():
            if value:
                query = query.where(column == value)
        for condition in where:
            query = query.where(condition)
        with db.read() as session:
            patient_or_404(session, patient_id)
            return page_of(
                session, query, self.public, limit=limit, offset=offset, order=self.order
            )
