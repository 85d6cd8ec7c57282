"""CRUD of the clinical record: patients, vitals, sessions, telemetry, outcomes, events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cryotx.api.deps import DbDep, Id, Limit, Offset, in_thread, in_write, permit
from cryotx.services import records
from cryotx.services._common import Actor
from cryotx.services.schemas import (
    AdverseEventCreate,
    AdverseEventPublic,
    Code,
    InstrumentCreate,
    InstrumentPublic,
    Page,
    PatientCreate,
    PatientPublic,
    PatientUpdate,
    SessionCreate,
    SessionEnd,
    SessionPublic,
    TelemetryBatch,
    TelemetryPublic,
    Time,
    VitalCreate,
    VitalPublic,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/patients", tags=["records"])


PatientsRead = Annotated[Actor, Depends(permit("patients.read"))]
PatientsWrite = Annotated[Actor, Depends(permit("patients.write"))]
VitalsRead = Annotated[Actor, Depends(permit("vitals.read"))]
VitalsWrite = Annotated[Actor, Depends(permit("vitals.write"))]
SessionsRead = Annotated[Actor, Depends(permit("sessions.read"))]
SessionsWrite = Annotated[Actor, Depends(permit("sessions.write"))]
TelemetryRead = Annotated[Actor, Depends(permit("telemetry.read"))]
TelemetryWrite = Annotated[Actor, Depends(permit("telemetry.write"))]
InstrumentsRead = Annotated[Actor, Depends(permit("instruments.read"))]
InstrumentsWrite = Annotated[Actor, Depends(permit("instruments.write"))]
EventsRead = Annotated[Actor, Depends(permit("adverse_events.read"))]
EventsWrite = Annotated[Actor, Depends(permit("adverse_events.write"))]
NameFilter = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


@router.get("", response_model=Page[PatientPublic])
async def list_patients(
    db: DbDep,
    actor: PatientsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    family_name: NameFilter = None,
    condition: Annotated[Code | None, Query()] = None,
) -> Page[PatientPublic]:
    """Patients by id; filter by family-name prefix or condition code."""
    return await in_thread(
        records.list_patients,
        db,
        actor,
        limit=limit,
        offset=offset,
        family_name=family_name,
        condition=condition,
    )


@router.post("", response_model=PatientPublic, status_code=201)
async def create_patient(body: PatientCreate, db: DbDep, actor: PatientsWrite) -> PatientPublic:
    """Register a patient."""
    return await in_write(records.create_patient, db, actor, body)


@router.get("/{patient_id}", response_model=PatientPublic)
async def get_patient(patient_id: Id, db: DbDep, actor: PatientsRead) -> PatientPublic:
    """One patient."""
    return await in_thread(records.get_patient, db, actor, patient_id)


@router.patch("/{patient_id}", response_model=PatientPublic)
async def update_patient(
    patient_id: Id, body: PatientUpdate, db: DbDep, actor: PatientsWrite
) -> PatientPublic:
    """Change the fields sent."""
    return await in_write(records.update_patient, db, actor, patient_id, body)


@router.get("/{patient_id}/vitals", response_model=Page[VitalPublic])
async def list_vitals(
    patient_id: Id,
    db: DbDep,
    actor: VitalsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    since: Annotated[Time | None, Query()] = None,
    until: Annotated[Time | None, Query()] = None,
) -> Page[VitalPublic]:
    """Vital signs, newest first; filter by time window."""
    return await in_thread(
        records.list_vitals,
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        since=since,
        until=until,
    )


@router.post("/{patient_id}/vitals", response_model=VitalPublic, status_code=201)
async def add_vitals(
    patient_id: Id, body: VitalCreate, db: DbDep, actor: VitalsWrite
) -> VitalPublic:
    """Record vital signs."""
    return await in_write(records.add_vitals, db, actor, patient_id, body)


@router.get("/{patient_id}/vitals/{vital_id}", response_model=VitalPublic)
async def get_vitals(patient_id: Id, vital_id: Id, db: DbDep, actor: VitalsRead) -> VitalPublic:
    """One set of vital signs."""
    return await in_thread(records.get_vitals, db, actor, patient_id, vital_id)


@router.get("/{patient_id}/sessions", response_model=Page[SessionPublic])
async def list_sessions(
    patient_id: Id,
    db: DbDep,
    actor: SessionsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    modality: Annotated[Code | None, Query()] = None,
    open: Annotated[bool | None, Query(description="true: running; false: ended")] = None,
) -> Page[SessionPublic]:
    """Sessions, newest first; filter by modality or open/ended."""
    return await in_thread(
        records.list_sessions,
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        modality=modality,
        open_only=open,
    )


@router.post("/{patient_id}/sessions", response_model=SessionPublic, status_code=201)
async def start_session(
    patient_id: Id, body: SessionCreate, db: DbDep, actor: SessionsWrite
) -> SessionPublic:
    """Record the start of a session."""
    return await in_write(records.start_session, db, actor, patient_id, body)


@router.get("/{patient_id}/sessions/{session_id}", response_model=SessionPublic)
async def get_session(
    patient_id: Id, session_id: Id, db: DbDep, actor: SessionsRead
) -> SessionPublic:
    """One session."""
    return await in_thread(records.get_session, db, actor, patient_id, session_id)


@router.patch("/{patient_id}/sessions/{session_id}", response_model=SessionPublic)
async def end_session(
    patient_id: Id, session_id: Id, body: SessionEnd, db: DbDep, actor: SessionsWrite
) -> SessionPublic:
    """Record how and when a session ended."""
    return await in_write(records.end_session, db, actor, patient_id, session_id, body)


@router.get("/{patient_id}/sessions/{session_id}/telemetry", response_model=Page[TelemetryPublic])
async def list_telemetry(
    patient_id: Id,
    session_id: Id,
    db: DbDep,
    actor: TelemetryRead,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Offset = 0,
) -> Page[TelemetryPublic]:
    """A session's readings in time order."""
    return await in_thread(
        records.list_telemetry, db, actor, patient_id, session_id, limit=limit, offset=offset
    )


@router.post("/{patient_id}/sessions/{session_id}/telemetry", status_code=201)
async def add_telemetry(
    patient_id: Id, session_id: Id, body: TelemetryBatch, db: DbDep, actor: TelemetryWrite
) -> dict[str, int]:
    """Append readings to a running session (all or none)."""
    return {
        "stored": await in_write(records.add_telemetry, db, actor, patient_id, session_id, body)
    }


@router.get("/{patient_id}/instruments", response_model=Page[InstrumentPublic])
async def list_instruments(
    patient_id: Id,
    db: DbDep,
    actor: InstrumentsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    instrument: Annotated[Code | None, Query()] = None,
) -> Page[InstrumentPublic]:
    """Outcome scores in time order; filter by instrument."""
    return await in_thread(
        records.list_instrument_responses,
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        instrument=instrument,
    )


@router.post("/{patient_id}/instruments", response_model=InstrumentPublic, status_code=201)
async def add_instrument(
    patient_id: Id, body: InstrumentCreate, db: DbDep, actor: InstrumentsWrite
) -> InstrumentPublic:
    """Record an outcome score (range-checked)."""
    return await in_write(records.add_instrument_response, db, actor, patient_id, body)


@router.get("/{patient_id}/instruments/{response_id}", response_model=InstrumentPublic)
async def get_instrument(
    patient_id: Id, response_id: Id, db: DbDep, actor: InstrumentsRead
) -> InstrumentPublic:
    """One outcome score."""
    return await in_thread(records.get_instrument_response, db, actor, patient_id, response_id)


@router.get("/{patient_id}/adverse-events", response_model=Page[AdverseEventPublic])
async def list_adverse_events(
    patient_id: Id,
    db: DbDep,
    actor: EventsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    severity: Annotated[str | None, Query(pattern=r"^(mild|moderate|severe)$")] = None,
) -> Page[AdverseEventPublic]:
    """Adverse events in time order; filter by severity."""
    return await in_thread(
        records.list_adverse_events,
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        severity=severity,
    )


@router.post("/{patient_id}/adverse-events", response_model=AdverseEventPublic, status_code=201)
async def add_adverse_event(
    patient_id: Id, body: AdverseEventCreate, db: DbDep, actor: EventsWrite
) -> AdverseEventPublic:
    """Record an adverse event."""
    return await in_write(records.add_adverse_event, db, actor, patient_id, body)


@router.get("/{patient_id}/adverse-events/{event_id}", response_model=AdverseEventPublic)
async def get_adverse_event(
    patient_id: Id, event_id: Id, db: DbDep, actor: EventsRead
) -> AdverseEventPublic:
    """One adverse event."""
    return await in_thread(records.get_adverse_event, db, actor, patient_id, event_id)
