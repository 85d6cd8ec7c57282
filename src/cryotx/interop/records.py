"""Snapshot of one patient's record, independent of the database.

The record service fills a :class:`PatientRecord` from the database; the FHIR exporter
(:mod:`cryotx.interop.fhir`) and any other exporter read only this snapshot. The models are
plain pydantic v2 models: they check types, units and consistency (an end before its
start, a negative duration) and refuse anything else with a validation error.

Conventions
-----------
- Units are in the names (``height_m``, ``agent_temp_c``, ``duration_s``), SI in the core
  with temperatures in °C, as everywhere in CryoTx.
- Timestamps are :class:`datetime.datetime`; a naive timestamp is taken as UTC (SQLite
  hands back naive values). Dates without a time are :class:`datetime.date`.
- Record ids are strings; integer ids from the database are accepted and turned into
  strings.
- Codes (conditions, medications, event kinds, instruments, modalities, sites) are CryoTx
  vocabulary codes such as ``knee_osteoarthritis`` or ``nrs_pain``; the exporter maps them to
  standard terminologies where a verified mapping exists.

This module's field names are a contract with the record service: change it only by
adding optional fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AdverseEventRecord",
    "ConditionEntry",
    "EventEntry",
    "Identifier",
    "InstrumentResponse",
    "PatientRecord",
    "SessionRecord",
    "Severity",
    "Sex",
    "VitalSigns",
]

Sex = Literal["female", "male", "other", "unknown"]
"""Administrative sex, the values of FHIR ``AdministrativeGender``."""

Severity = Literal["mild", "moderate", "severe"]
"""Adverse-event severity, the values of FHIR R4 ``adverse-event-severity``."""


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps are UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_as_utc)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Snapshot(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, str_strip_whitespace=True
    )


class Identifier(_Snapshot):
    """A business identifier of the patient (e.g. a clinic number), as system + value."""

    system: str | None = None
    value: str = Field(min_length=1)


class ConditionEntry(_Snapshot):
    """A condition of the patient, by CryoTx vocabulary code (``cryotx vocab``).

    A plain string is accepted in place of the object: ``"raynaud"`` equals
    ``{"code": "raynaud"}``.
    """

    code: Code
    onset_date: date | None = None
    recorded_at: Timestamp | None = None
    note: str | None = None


class EventEntry(_Snapshot):
    """A dated event in the history, e.g. ``myocardial_infarction`` on 2026-06-02."""

    kind: Code
    date: date


class VitalSigns(_Snapshot):
    """One set of vital signs taken at ``recorded_at``; any measurement may be absent."""

    id: str | None = None
    recorded_at: Timestamp
    systolic_mmhg: float | None = Field(default=None, gt=0, lt=400)
    diastolic_mmhg: float | None = Field(default=None, gt=0, lt=300)
    heart_rate_bpm: float | None = Field(default=None, gt=0, lt=400)
    body_temp_c: float | None = Field(default=None, gt=20, lt=46)
    respiratory_rate_per_min: float | None = Field(default=None, gt=0, lt=120)
    spo2_pct: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _pressure_pair(self) -> VitalSigns:
        if (self.systolic_mmhg is None) != (self.diastolic_mmhg is None):
            raise ValueError("blood pressure needs both systolic_mmhg and diastolic_mmhg")
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError("diastolic_mmhg must be below systolic_mmhg")
        return self


class InstrumentResponse(_Snapshot):
    """A scored outcome instrument: pain rating, disability index, flexibility test.

    ``instrument`` is the CryoTx instrument code (e.g. ``nrs_pain``, ``odi``, ``rmdq``,
    ``womac``, ``koos``, ``basfi``, ``modified_schober``, ``fingertip_to_floor``).
    ``unit`` is a UCUM unit of the score (``{score}``, ``%``, ``cm``); ``items`` holds the
    item answers by item id, when the instrument was answered item by item.
    """

    id: str | None = None
    instrument: Code
    score: float
    unit: str | None = None
    recorded_at: Timestamp
    items: dict[str, float | int | str] = Field(default_factory=dict)
    session_id: str | None = None


class SessionRecord(_Snapshot):
    """A cryotherapy session: what was applied where, with which settings, and how it ended.

    ``settings`` holds further numeric device settings keyed by unit-suffixed names
    (``air_speed_m_per_s``, ``distance_m``, ``chamber_o2_pct``). ``end_reason`` says how the
    session ended (``completed``, ``stopped_by_operator``, ``patient_request``,
    ``interlock``, ``sensor_lost``, ...); ``None`` while it runs.
    """

    id: str | None = None
    modality: Code
    site: Code
    device: str | None = None
    agent_temp_c: float | None = Field(default=None, ge=-273.15)
    duration_s: float | None = Field(default=None, ge=0)
    settings: dict[str, float] = Field(default_factory=dict)
    started_at: Timestamp
    ended_at: Timestamp | None = None
    end_reason: Code | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SessionRecord:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class AdverseEventRecord(_Snapshot):
    """An adverse event (numbness, burn, syncope, ...), possibly related to a session."""

    id: str | None = None
    kind: Code
    severity: Severity
    occurred_at: date | Timestamp
    description: str | None = None
    session_id: str | None = None


class PatientRecord(_Snapshot):
    """Everything CryoTx exports about one patient.

    Examples
    --------
    >>> record = PatientRecord(patient_id=7, sex="female", birth_date="1968-03-01",
    ...                        conditions=["knee_osteoarthritis"])
    >>> record.patient_id, record.conditions[0].code
    ('7', 'knee_osteoarthritis')
    """

    patient_id: str = Field(min_length=1)
    identifiers: list[Identifier] = Field(default_factory=list)
    family_name: str | None = None
    given_names: list[str] = Field(default_factory=list)
    sex: Sex
    birth_date: date | None = None
    age_y: float | None = Field(default=None, ge=0, le=130)
    height_m: float | None = Field(default=None, gt=0.3, lt=2.8)
    mass_kg: float | None = Field(default=None, gt=1, lt=400)
    fat_mm: dict[Code, Annotated[float, Field(ge=0, le=200)]] = Field(default_factory=dict)
    body_fat_percent: float | None = Field(default=None, gt=0, lt=100)  # measured, whole body
    conditions: list[ConditionEntry] = Field(default_factory=list)
    medications: list[Code] = Field(default_factory=list)
    events: list[EventEntry] = Field(default_factory=list)
    vitals: list[VitalSigns] = Field(default_factory=list)
    instruments: list[InstrumentResponse] = Field(default_factory=list)
    sessions: list[SessionRecord] = Field(default_factory=list)
    adverse_events: list[AdverseEventRecord] = Field(default_factory=list)
    recorded_at: Timestamp | None = None

    @field_validator("conditions", mode="before")
    @classmethod
    def _condition_codes(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"code": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PatientRecord:
        session_ids = {s.id for s in self.sessions if s.id is not None}
        linked = [("instruments", i, e.session_id) for i, e in enumerate(self.instruments)]
        linked += [("adverse_events", i, e.session_id) for i, e in enumerate(self.adverse_events)]
        for group, index, session_id in linked:
            if session_id is not None and session_id not in session_ids:
                raise ValueError(f"{group}[{index}].session_id {session_id!r} names no session")
        return self
