"""Screening and planning use cases: load the patient, call the clinical core, store the result.

The clinical core (``cryotx.clinical.screen`` / ``cryotx.clinical.plan``) is pure: it takes
a :class:`cryotx.clinical.patient.Patient` and returns a pydantic model whose
``model_dump()`` is the JSON of DESIGN.md.  This module builds that patient from the stored
record (age on the assessment day, the latest vital signs, the number of previous
sessions), stores the decision and reasons exactly as returned, with the rules version
and the input the decision was made on, and audits it in the same transaction.
"""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cryotx.errors import CryoTxError, InputError
from cryotx.services._common import (
    Actor,
    add_created,
    patient_or_404,
    utcnow,
)
from cryotx.services._patient_rows import PatientRows
from cryotx.services.auth import require
from cryotx.services.schemas import (
    Page,
    PlanPublic,
    PlanRequest,
    ScreeningPublic,
    ScreeningRequest,
)
from cryotx.store.db import Database
from cryotx.store.models import Patient, Plan, Screening, TreatmentSession, VitalSign

__all__ = [
    "ClinicalUnavailable",
    "age_years",
    "clinical_patient",
    "get_plan",
    "get_screening",
    "list_plans",
    "list_screenings",
    "plan_patient",
    "screen_patient",
]

_VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "body_temp_c", "spo2_pct")


# Stored screenings and plans, newest first.
_SCREENINGS = PatientRows(
    Screening,
    ScreeningPublic,
    action="screenings.read",
    kind="screening",
    order=Screening.id.desc(),
)
_PLANS = PatientRows(Plan, PlanPublic, action="plans.read", kind="plan", order=Plan.id.desc())


class ClinicalUnavailable(CryoTxError):
    """The clinical core does not offer this function (HTTP 503)."""


def _core(name: str) -> Any:
    module = importlib.import_module("cryotx.clinical")
    function = getattr(module, name, None)
    if function is None:
        raise ClinicalUnavailable(f"cryotx.clinical.{name} is not available in this build")
    return function


def _rules_version(result: dict[str, Any]) -> str:
    for key in ("rules_version", "version"):
        if isinstance(result.get(key), str):
            return str(result[key])
    screening = result.get("screening")
    if isinstance(screening, dict) and isinstance(screening.get("rules_version"), str):
        return str(screening["rules_version"])
    module = importlib.import_module("cryotx.clinical")
    version = getattr(module, "RULES_VERSION", None)
    return str(version) if version else "unknown"


def age_years(birth_date: date, on: date) -> int:
    """Completed years of age on a day."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def clinical_patient(
    session: Session, patient: Patient, *, assessed_on: date, session_checks: dict[str, bool]
) -> dict[str, Any]:
    """The stored patient as the clinical core's Patient JSON (DESIGN.md)."""
    if patient.birth_date > assessed_on:
        raise InputError("assessed_on", "is before the patient's birth date")
    latest = session.scalars(
        select(VitalSign)
        .where(VitalSign.patient_id == patient.id)
        .order_by(VitalSign.measured_at.desc(), VitalSign.id.desc())
        .limit(1)
    ).first()
    vitals = {}
    if latest is not None:
        vitals = {k: getattr(latest, k) for k in _VITAL_FIELDS if getattr(latest, k) is not None}
    previous = session.scalar(
        select(func.count())
        .select_from(TreatmentSession)
        .where(TreatmentSession.patient_id == patient.id)
    )
    data: dict[str, Any] = {
        "id": str(patient.id),
        "sex": patient.sex,
        "age_y": age_years(patient.birth_date, assessed_on),
        "fat_mm": dict(patient.fat_mm or {}),
        "conditions": list(patient.conditions or []),
        "medications": list(patient.medications or []),
        "events": list(patient.events or []),
        "vitals": vitals,
        "session_checks": dict(session_checks),
        "previous_sessions": previous or 0,
        "assessed_on": assessed_on.isoformat(),
    }
    if patient.height_m is not None:
        data["height_m"] = patient.height_m
    if patient.mass_kg is not None:
        data["mass_kg"] = patient.mass_kg
    if patient.body_fat_percent is not None:
        data["body_fat_percent"] = patient.body_fat_percent
    return data


def _assessed(
    session: Session, patient_id: int, request: ScreeningRequest | PlanRequest
) -> dict[str, Any]:
    """The stored patient as the core's input, on the request's day (today by default)."""
    return clinical_patient(
        session,
        patient_or_404(session, patient_id),
        assessed_on=request.assessed_on or utcnow().date(),
        session_checks=request.session_checks,
    )


def screen_patient(
    db: Database, actor: Actor, patient_id: int, request: ScreeningRequest
) -> ScreeningPublic:
    """Screen the stored patient for a modality and store the decision as returned."""
    require(actor, "screenings.write")
    screen = _core("screen")
    parse = _core("parse_patient")
    with db.write() as session:
        data = _assessed(session, patient_id, request)
        result = screen(parse(data), modality=request.modality, site=request.site)
        dumped = result.model_dump(mode="json")
        row = Screening(
            patient_id=patient_id,
            modality=request.modality,
            site=request.site,
            decision=dumped["decision"],
            reasons=dumped["reasons"],
            rules_version=_rules_version(dumped),
            input=data,
            created_at=utcnow(),
            created_by=actor.user_id,
        )
        add_created(session, actor, row, "screenings", patient_id)
        return ScreeningPublic.model_validate(row, from_attributes=True)


def plan_patient(db: Database, actor: Actor, patient_id: int, request: PlanRequest) -> PlanPublic:
    """Plan a course for the stored patient and store the plan as returned."""
    require(actor, "plans.write")
    plan = _core("plan")
    parse = _core("parse_patient")
    with db.write() as session:
        data = _assessed(session, patient_id, request)
        result = plan(
            parse(data),
            condition=request.condition,
            site=request.site,
            modality=request.modality,
        )
        dumped = result.model_dump(mode="json")
        screening = dumped.get("screening") or {}
        protocol = dumped.get("protocol") or {}
        row = Plan(
            patient_id=patient_id,
            condition=request.condition,
            site=request.site,
            modality=protocol.get("modality") or request.modality,
            decision=str(screening.get("decision", "unknown")),
            plan=dumped,
            rules_version=_rules_version(dumped),
            created_at=utcnow(),
            created_by=actor.user_id,
        )
        add_created(session, actor, row, "plans", patient_id)
        return PlanPublic.model_validate(row, from_attributes=True)


def get_screening(
    db: Database, actor: Actor, patient_id: int, screening_id: int
) -> ScreeningPublic:
    """One stored screening."""
    return _SCREENINGS.one(db, actor, patient_id, screening_id)


def list_screenings(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    modality: str | None = None,
    decision: str | None = None,
) -> Page[ScreeningPublic]:
    """A patient's screenings, newest first; filter by modality or decision."""
    equal = {Screening.modality: modality, Screening.decision: decision}
    return _SCREENINGS.page(db, actor, patient_id, limit=limit, offset=offset, equal=equal)


def get_plan(db: Database, actor: Actor, patient_id: int, plan_id: int) -> PlanPublic:
    """One stored plan."""
    return _PLANS.one(db, actor, patient_id, plan_id)


def list_plans(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    condition: str | None = None,
) -> Page[PlanPublic]:
    """A patient's plans, newest first; filter by condition."""
    equal = {Plan.condition: condition}
    return _PLANS.page(db, actor, patient_id, limit=limit, offset=offset, equal=equal)
