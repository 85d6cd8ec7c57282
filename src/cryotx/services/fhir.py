"""FHIR use cases: snapshot a stored patient for export, and import a FHIR Patient.

The FHIR mapping itself lives in :mod:`cryotx.interop.fhir`; this module only reads the
database into a :class:`~cryotx.interop.records.PatientRecord` and stores what
``import_patient`` returns through the same use case as any other new patient.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cryotx.errors import InputError
from cryotx.interop.fhir import export_bundle, import_patient
from cryotx.interop.records import PatientRecord
from cryotx.services._common import Actor, NotFound, utcnow
from cryotx.services.auth import require
from cryotx.services.records import create_patient
from cryotx.services.schemas import PatientCreate, PatientPublic
from cryotx.store.db import Database
from cryotx.store.models import (
    AdverseEvent,
    InstrumentResponse,
    Patient,
    TreatmentSession,
    VitalSign,
)

__all__ = ["export_patient_bundle", "import_fhir_patient", "patient_record"]

#: UCUM unit of each stored instrument's score.
_UNITS = {
    "pain_nrs": "{score}",
    "pain_vas": "mm",
    "oswestry": "%",
    "roland_morris": "{score}",
    "womac": "{score}",
    "koos": "{score}",
    "basfi": "{score}",
    "modified_schober": "cm",
    "fingertip_to_floor": "cm",
    "rom": "deg",
}


def _session_record(row: TreatmentSession) -> dict[str, Any]:
    numeric = {
        key: float(value)
        for key, value in (row.settings or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    agent_temp_c = numeric.pop("agent_temp_c", None)
    duration_s = numeric.pop("exposure_s", None) or numeric.pop("duration_s", None)
    if duration_s is None and row.ended_at is not None:
        duration_s = max((row.ended_at - row.started_at).total_seconds(), 0.0)
    return {
        "id": str(row.id),
        "modality": row.modality,
        "site": row.site,
        "device": row.device,
        "agent_temp_c": agent_temp_c if agent_temp_c is None or agent_temp_c >= -273.15 else None,
        "duration_s": duration_s if duration_s is None or duration_s >= 0 else None,
        "settings": numeric,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "end_reason": row.end_reason,
    }


def _record(session: Session, patient: Patient) -> PatientRecord:
    pid = patient.id
    vitals = session.scalars(
        select(VitalSign).where(VitalSign.patient_id == pid).order_by(VitalSign.measured_at)
    )
    sessions = session.scalars(
        select(TreatmentSession)
        .where(TreatmentSession.patient_id == pid)
        .order_by(TreatmentSession.started_at)
    )
    instruments = session.scalars(
        select(InstrumentResponse)
        .where(InstrumentResponse.patient_id == pid)
        .order_by(InstrumentResponse.measured_at)
    )
    events = session.scalars(
        select(AdverseEvent).where(AdverseEvent.patient_id == pid).order_by(AdverseEvent.onset_at)
    )
    return PatientRecord.model_validate(
        {
            "patient_id": str(pid),
            "family_name": patient.family_name,
            "given_names": [patient.given_name],
            "sex": patient.sex,
            "birth_date": patient.birth_date,
            "height_m": patient.height_m,
            "mass_kg": patient.mass_kg,
            "fat_mm": patient.fat_mm or {},
            "body_fat_percent": patient.body_fat_percent,
            "conditions": list(patient.conditions or []),
            "medications": list(patient.medications or []),
            "events": list(patient.events or []),
            "vitals": [
                {
                    "id": str(v.id),
                    "recorded_at": v.measured_at,
                    "systolic_mmhg": v.systolic_mmhg,
                    "diastolic_mmhg": v.diastolic_mmhg,
                    "heart_rate_bpm": v.heart_rate_bpm,
                    "body_temp_c": v.body_temp_c,
                    "respiratory_rate_per_min": v.respiratory_rate_per_min,
                    "spo2_pct": v.spo2_pct,
                }
                for v in vitals
            ],
            "sessions": [_session_record(s) for s in sessions],
            "instruments": [
                {
                    "id": str(r.id),
                    "instrument": f"{r.instrument}_{r.subscale}" if r.subscale else r.instrument,
                    "score": r.score,
                    "unit": _UNITS.get(r.instrument),
                    "recorded_at": r.measured_at,
                    "items": {str(i + 1): v for i, v in enumerate(r.items or [])},
                    "session_id": None if r.session_id is None else str(r.session_id),
                }
                for r in instruments
            ],
            "adverse_events": [
                {
                    "id": str(e.id),
                    "kind": e.kind,
                    "severity": e.severity,
                    "occurred_at": e.onset_at,
                    "description": e.description or None,
                    "session_id": None if e.session_id is None else str(e.session_id),
                }
                for e in events
            ],
            "recorded_at": patient.updated_at,
        }
    )


def patient_record(db: Database, actor: Actor, patient_id: int) -> PatientRecord:
    """The database-independent snapshot of one patient's whole record."""
    require(actor, "fhir.export")
    with db.read() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFound("patient", patient_id)
        return _record(session, patient)


def export_patient_bundle(
    db: Database, actor: Actor, patient_id: int, *, base_url: str | None = None
) -> dict[str, Any]:
    """FHIR R4 Bundle of everything held about one patient (validated by interop)."""
    record = patient_record(db, actor, patient_id)
    return export_bundle(record, base_url=base_url, timestamp=utcnow())


def import_fhir_patient(db: Database, actor: Actor, resource: Any) -> PatientPublic:
    """Create a patient from a FHIR Patient resource (demographics only)."""
    require(actor, "fhir.import")
    imported = import_patient(resource)
    if imported.sex not in ("female", "male"):
        raise InputError("gender", "CryoTx's physiology needs female or male (sex at birth)")
    if imported.birth_date is None:
        raise InputError("birthDate", "is required")
    if not imported.family_name:
        raise InputError("name", "a family name is required")
    data = PatientCreate(
        given_name=" ".join(imported.given_names) or "-",
        family_name=imported.family_name,
        sex=imported.sex,
        birth_date=imported.birth_date,
    )
    return create_patient(db, actor, data)
