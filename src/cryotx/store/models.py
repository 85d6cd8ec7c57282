"""SQLAlchemy 2 ORM models of the clinical record.

Tables: users and their login tokens; patients (demographics, anthropometrics, conditions,
medications, events); vital signs; screenings (the decision and its reasons as recorded
then, with the rules version); plans (the planner's JSON as returned); treatment
sessions (device, settings, start, end, how it ended) with their telemetry samples;
instrument responses (pain, disability, flexibility scores); adverse events; and the
append-only audit log.  The schema itself is created by the Alembic migrations in
``cryotx/store/migrations``; these classes must match them (a test compares the two).

Units follow the house style: the suffix names the unit (``height_m``, ``temp_c``).
Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AdverseEvent",
    "AuditEntry",
    "AuthToken",
    "Base",
    "InstrumentResponse",
    "Patient",
    "Plan",
    "Screening",
    "TelemetrySample",
    "TreatmentSession",
    "User",
    "VitalSign",
]

UTCDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base of every CryoTx table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A staff account: ``role`` is one of admin, clinician, operator."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A password someone else set (an admin) is one-time: replaced at the first login.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class AuthToken(Base):
    """A login: only the SHA-256 of the random token is stored."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Patient(Base):
    """Demographics, anthropometrics and history of one patient."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    height_m: Mapped[float | None] = mapped_column(Float)
    mass_kg: Mapped[float | None] = mapped_column(Float)
    fat_mm: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Measured whole-body fat [%]; NULL = not measured (migration 0003).
    body_fat_percent: Mapped[float | None] = mapped_column(Float)
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    medications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VitalSign(Base):
    """One set of vital signs measured at one moment."""

    __tablename__ = "vital_signs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    systolic_mmhg: Mapped[float | None] = mapped_column(Float)
    diastolic_mmhg: Mapped[float | None] = mapped_column(Float)
    heart_rate_bpm: Mapped[float | None] = mapped_column(Float)
    body_temp_c: Mapped[float | None] = mapped_column(Float)
    respiratory_rate_per_min: Mapped[float | None] = mapped_column(Float)
    spo2_pct: Mapped[float | None] = mapped_column(Float)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Screening(Base):
    """A screening decision for one modality, with its reasons as recorded then."""

    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    modality: Mapped[str] = mapped_column(String(32))
    site: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    rules_version: Mapped[str] = mapped_column(String(64))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Plan(Base):
    """A treatment plan as the planner returned it."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    condition: Mapped[str] = mapped_column(String(48))
    site: Mapped[str] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(32))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    rules_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class TreatmentSession(Base):
    """One delivered (or attempted) cryotherapy session."""

    __tablename__ = "treatment_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    device: Mapped[str] = mapped_column(String(100))
    modality: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class TelemetrySample(Base):
    """One reading of a session's sensors."""

    __tablename__ = "telemetry_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    elapsed_s: Mapped[float] = mapped_column(Float)
    agent_temp_c: Mapped[float | None] = mapped_column(Float)
    skin_temp_c: Mapped[float | None] = mapped_column(Float)
    oxygen_pct: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_telemetry_session_elapsed", "session_id", "elapsed_s"),)


class InstrumentResponse(Base):
    """A score on an outcome instrument (pain, disability, flexibility)."""

    __tablename__ = "instrument_responses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_sessions.id"))
    instrument: Mapped[str] = mapped_column(String(32))
    subscale: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    items: Mapped[list[Any] | None] = mapped_column(JSON)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AdverseEvent(Base):
    """An unintended effect observed during or after cryotherapy."""

    __tablename__ = "adverse_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_sessions.id"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(32))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AuditEntry(Base):
    """Append-only: who did what, when, with the record before and after.

    Database triggers (see the migration) refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
