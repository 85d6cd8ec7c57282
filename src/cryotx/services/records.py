"""Use cases of the clinical record: one transaction each, audited in that transaction.

Every function takes the :class:`~cryotx.store.db.Database`, the acting user and the
validated input, checks the actor's role, loads, changes and saves, and appends an audit
entry (who, what, when, before, after) in the same transaction: either both are stored
or neither is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cryotx.errors import InputError
from cryotx.services._common import (
    Actor,
    Conflict,
    NotFound,
    add_created,
    audit,
    page_of,
    patient_or_404,
    row_dict,
    utc,
    utcnow,
)
from cryotx.services._patient_rows import PatientRows
from cryotx.services.auth import require
from cryotx.services.instruments import check_score
from cryotx.services.schemas import (
    AdverseEventCreate,
    AdverseEventPublic,
    AuditPublic,
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
    VitalCreate,
    VitalPublic,
)
from cryotx.store.db import Database
from cryotx.store.models import (
    AdverseEvent,
    AuditEntry,
    InstrumentResponse,
    Patient,
    Plan,
    TelemetrySample,
    TreatmentSession,
    VitalSign,
)

__all__ = [
    "add_adverse_event",
    "add_instrument_response",
    "add_telemetry",
    "add_vitals",
    "create_patient",
    "end_session",
    "get_adverse_event",
    "get_instrument_response",
    "get_patient",
    "get_session",
    "get_vitals",
    "list_adverse_events",
    "list_audit",
    "list_instrument_responses",
    "list_patients",
    "list_sessions",
    "list_telemetry",
    "list_vitals",
    "start_session",
    "update_patient",
]


# How each table of the record is read (newest first, or in time order for scores).
_VITALS = PatientRows(
    VitalSign,
    VitalPublic,
    action="vitals.read",
    kind="vital_signs",
    order=(VitalSign.measured_at.desc(), VitalSign.id.desc()),
)
_SESSIONS = PatientRows(
    TreatmentSession,
    SessionPublic,
    action="sessions.read",
    kind="treatment_session",
    order=(TreatmentSession.started_at.desc(), TreatmentSession.id.desc()),
)
_SCORES = PatientRows(
    InstrumentResponse,
    InstrumentPublic,
    action="instruments.read",
    kind="instrument_response",
    order=(InstrumentResponse.measured_at, InstrumentResponse.id),
)
_ADVERSE_EVENTS = PatientRows(
    AdverseEvent,
    AdverseEventPublic,
    action="adverse_events.read",
    kind="adverse_event",
    order=(AdverseEvent.onset_at, AdverseEvent.id),
)


def _session_of(session: Session, patient_id: int, session_id: int | None) -> None:
    if session_id is None:
        return
    found = session.get(TreatmentSession, session_id)
    if found is None or found.patient_id != patient_id:
        raise InputError("session_id", f"session {session_id} is not a session of this patient")


# --- patients ---------------------------------------------------------------------------


def create_patient(db: Database, actor: Actor, data: PatientCreate) -> PatientPublic:
    """Register a patient."""
    require(actor, "patients.write")
    now = utcnow()
    with db.write() as session:
        fields = data.model_dump(mode="json", exclude={"birth_date"})
        patient = Patient(**fields, birth_date=data.birth_date, created_at=now, updated_at=now)
        add_created(session, actor, patient, "patients", None)
        return _public_patient(session, patient.id)


def _public_patient(session: Session, patient_id: int) -> PatientPublic:
    return PatientPublic.model_validate(patient_or_404(session, patient_id), from_attributes=True)


def get_patient(db: Database, actor: Actor, patient_id: int) -> PatientPublic:
    """One patient."""
    require(actor, "patients.read")
    with db.read() as session:
        return _public_patient(session, patient_id)


def list_patients(
    db: Database,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    family_name: str | None = None,
    condition: str | None = None,
) -> Page[PatientPublic]:
    """Patients by id; filter by family-name prefix (case-insensitive) or condition code."""
    require(actor, "patients.read")
    query = select(Patient)
    if family_name:
        escaped = family_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            func.lower(Patient.family_name).like(escaped.lower() + "%", escape="\\")
        )
    with db.read() as session:
        if condition:
            # JSON containment differs per database; filter in Python over the ids.
            ids = [
                pid
                for pid, conditions in session.execute(select(Patient.id, Patient.conditions))
                if condition in (conditions or [])
            ]
            query = query.where(Patient.id.in_(ids))
        return page_of(session, query, PatientPublic, limit=limit, offset=offset, order=Patient.id)


def update_patient(
    db: Database, actor: Actor, patient_id: int, data: PatientUpdate
) -> PatientPublic:
    """Change the fields sent (``null`` clears an optional field)."""
    require(actor, "patients.write")
    changes = data.model_dump(mode="json", exclude_unset=True)
    required = {"given_name", "family_name", "sex", "birth_date"}
    for field in required & changes.keys():
        if changes[field] is None:
            raise InputError(field, "cannot be cleared")
    for field in ("fat_mm", "conditions", "medications", "events"):
        if field in changes and changes[field] is None:
            changes[field] = {} if field == "fat_mm" else []
    with db.write() as session:
        patient = patient_or_404(session, patient_id)
        before = row_dict(patient)
        for field, value in changes.items():
            setattr(patient, field, value)
        if data.birth_date is not None:
            patient.birth_date = data.birth_date
        patient.updated_at = utcnow()
        session.flush()
        audit(
            session,
            actor,
            action="update",
            entity="patients",
            entity_id=patient.id,
            patient_id=patient.id,
            before=before,
            after=row_dict(patient),
        )
        return _public_patient(session, patient_id)


# --- vital signs ------------------------------------------------------------------------


def add_vitals(db: Database, actor: Actor, patient_id: int, data: VitalCreate) -> VitalPublic:
    """Record a set of vital signs."""
    require(actor, "vitals.write")
    with db.write() as session:
        patient_or_404(session, patient_id)
        fields = data.model_dump(exclude={"measured_at"})
        row = VitalSign(
            patient_id=patient_id,
            measured_at=data.measured_at or utcnow(),
            recorded_by=actor.user_id,
            **fields,
        )
        add_created(session, actor, row, "vital_signs", patient_id)
        return VitalPublic.model_validate(row, from_attributes=True)


def get_vitals(db: Database, actor: Actor, patient_id: int, vital_id: int) -> VitalPublic:
    """One set of vital signs."""
    return _VITALS.one(db, actor, patient_id, vital_id)


def list_vitals(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[VitalPublic]:
    """A patient's vital signs, newest first, optionally within ``[since, until]``."""
    window = []
    if since is not None:
        window.append(VitalSign.measured_at >= since)
    if until is not None:
        window.append(VitalSign.measured_at <= until)
    return _VITALS.page(db, actor, patient_id, limit=limit, offset=offset, where=window)


# --- sessions and telemetry -------------------------------------------------------------


def start_session(
    db: Database, actor: Actor, patient_id: int, data: SessionCreate
) -> SessionPublic:
    """Record the start of a session with its device and settings."""
    require(actor, "sessions.write")
    with db.write() as session:
        patient_or_404(session, patient_id)
        if data.plan_id is not None:
            plan = session.get(Plan, data.plan_id)
            if plan is None or plan.patient_id != patient_id:
                raise InputError("plan_id", f"plan {data.plan_id} is not a plan of this patient")
        row = TreatmentSession(
            patient_id=patient_id,
            plan_id=data.plan_id,
            device=data.device,
            modality=data.modality,
            site=data.site,
            settings=data.settings,
            started_at=data.started_at or utcnow(),
            ended_at=None,
            end_reason=None,
            notes=data.notes,
            operator_id=actor.user_id,
        )
        add_created(session, actor, row, "treatment_sessions", patient_id)
        return SessionPublic.model_validate(row, from_attributes=True)


def _treatment(session: Session, patient_id: int, session_id: int) -> TreatmentSession:
    row = session.get(TreatmentSession, session_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound("treatment_session", session_id)
    return row


def end_session(
    db: Database, actor: Actor, patient_id: int, session_id: int, data: SessionEnd
) -> SessionPublic:
    """Record the end of a session and how it ended (once)."""
    require(actor, "sessions.write")
    with db.write() as session:
        row = _treatment(session, patient_id, session_id)
        if row.ended_at is not None:
            raise Conflict("end_reason", "the session has already ended")
        ended_at = data.ended_at or utcnow()
        if ended_at < utc(row.started_at):
            raise InputError("ended_at", "a session cannot end before it started")
        before = row_dict(row)
        row.ended_at = ended_at
        row.end_reason = data.end_reason
        if data.notes is not None:
            row.notes = data.notes
        session.flush()
        audit(
            session,
            actor,
            action="update",
            entity="treatment_sessions",
            entity_id=row.id,
            patient_id=patient_id,
            before=before,
            after=row_dict(row),
        )
        return SessionPublic.model_validate(row, from_attributes=True)


def get_session(db: Database, actor: Actor, patient_id: int, session_id: int) -> SessionPublic:
    """One session."""
    require(actor, "sessions.read")
    with db.read() as session:
        return SessionPublic.model_validate(
            _treatment(session, patient_id, session_id), from_attributes=True
        )


def list_sessions(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    modality: str | None = None,
    open_only: bool | None = None,
) -> Page[SessionPublic]:
    """A patient's sessions, newest first; filter by modality or by open/ended."""
    ended = TreatmentSession.ended_at
    state = {None: [], True: [ended.is_(None)], False: [ended.is_not(None)]}[open_only]
    return _SESSIONS.page(
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        equal={TreatmentSession.modality: modality},
        where=state,
    )


def add_telemetry(
    db: Database, actor: Actor, patient_id: int, session_id: int, data: TelemetryBatch
) -> int:
    """Append readings to an open session; returns how many were stored."""
    require(actor, "telemetry.write")
    with db.write() as session:
        row = _treatment(session, patient_id, session_id)
        if row.ended_at is not None:
            raise Conflict("samples", "the session has ended; no more readings")
        samples = [sample.model_dump() for sample in data.samples]
        session.add_all(TelemetrySample(session_id=session_id, **sample) for sample in samples)
        audit(
            session,
            actor,
            action="create",
            entity="telemetry_samples",
            entity_id=session_id,
            patient_id=patient_id,
            before=None,
            after={"session_id": session_id, "samples": samples},
        )
        return len(samples)


def list_telemetry(
    db: Database, actor: Actor, patient_id: int, session_id: int, *, limit: int, offset: int
) -> Page[TelemetryPublic]:
    """A session's readings in time order."""
    require(actor, "telemetry.read")
    query = select(TelemetrySample).where(TelemetrySample.session_id == session_id)
    with db.read() as session:
        _treatment(session, patient_id, session_id)
        return page_of(
            session,
            query,
            TelemetryPublic,
            limit=limit,
            offset=offset,
            order=(TelemetrySample.elapsed_s, TelemetrySample.id),
        )


# --- outcomes ---------------------------------------------------------------------------


def add_instrument_response(
    db: Database, actor: Actor, patient_id: int, data: InstrumentCreate
) -> InstrumentPublic:
    """Record an outcome score after checking it against the instrument's range."""
    require(actor, "instruments.write")
    check_score(data)
    with db.write() as session:
        patient_or_404(session, patient_id)
        _session_of(session, patient_id, data.session_id)
        row = InstrumentResponse(
            patient_id=patient_id,
            session_id=data.session_id,
            instrument=data.instrument,
            subscale=data.subscale,
            version=data.version,
            score=data.score,
            items=data.items,
            measured_at=data.measured_at or utcnow(),
            recorded_by=actor.user_id,
        )
        add_created(session, actor, row, "instrument_responses", patient_id)
        return InstrumentPublic.model_validate(row, from_attributes=True)


def get_instrument_response(
    db: Database, actor: Actor, patient_id: int, response_id: int
) -> InstrumentPublic:
    """One outcome score."""
    return _SCORES.one(db, actor, patient_id, response_id)


def list_instrument_responses(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    instrument: str | None = None,
) -> Page[InstrumentPublic]:
    """A patient's outcome scores in time order; filter by instrument."""
    equal = {InstrumentResponse.instrument: instrument}
    return _SCORES.page(db, actor, patient_id, limit=limit, offset=offset, equal=equal)


def add_adverse_event(
    db: Database, actor: Actor, patient_id: int, data: AdverseEventCreate
) -> AdverseEventPublic:
    """Record an adverse event."""
    require(actor, "adverse_events.write")
    with db.write() as session:
        patient_or_404(session, patient_id)
        _session_of(session, patient_id, data.session_id)
        fields = data.model_dump(exclude={"onset_at"})
        row = AdverseEvent(
            patient_id=patient_id,
            onset_at=data.onset_at or utcnow(),
            recorded_by=actor.user_id,
            **fields,
        )
        add_created(session, actor, row, "adverse_events", patient_id)
        return AdverseEventPublic.model_validate(row, from_attributes=True)


def get_adverse_event(
    db: Database, actor: Actor, patient_id: int, event_id: int
) -> AdverseEventPublic:
    """One adverse event."""
    return _ADVERSE_EVENTS.one(db, actor, patient_id, event_id)


def list_adverse_events(
    db: Database,
    actor: Actor,
    patient_id: int,
    *,
    limit: int,
    offset: int,
    severity: str | None = None,
) -> Page[AdverseEventPublic]:
    """A patient's adverse events in time order; filter by severity."""
    equal = {AdverseEvent.severity: severity}
    return _ADVERSE_EVENTS.page(db, actor, patient_id, limit=limit, offset=offset, equal=equal)


# --- audit ------------------------------------------------------------------------------


def list_audit(
    db: Database,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    patient_id: int | None = None,
    entity: str | None = None,
    username: str | None = None,
) -> Page[AuditPublic]:
    """Audit entries, oldest first; filter by patient, entity (table) or user name."""
    require(actor, "audit.read")
    query = select(AuditEntry)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if username:
        query = query.where(AuditEntry.username == username)
    with db.read() as session:
        return page_of(session, query, AuditPublic, limit=limit, offset=offset, order=AuditEntry.id)
