"""Validated inputs and public outputs of the record use cases (pydantic).

The API uses these as request and response bodies and the web pages as form models, so
every entry point refuses the same bad input with the same field names.  Bounds marked
"plausibility" are there to catch typing errors (a body temperature of 367 °C); they are
not clinical thresholds, which live in ``cryotx.clinical`` with their sources.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cryotx.physics.scenario import BODY_FAT_PERCENT_RANGE
from cryotx.services._common import check_text, utc

__all__ = [
    "AdverseEventCreate",
    "AdverseEventPublic",
    "AuditPublic",
    "Code",
    "EventIn",
    "InstrumentCreate",
    "InstrumentPublic",
    "Page",
    "PatientCreate",
    "PatientPublic",
    "PatientUpdate",
    "PlanPublic",
    "PlanRequest",
    "ScreeningPublic",
    "ScreeningRequest",
    "SessionCreate",
    "SessionEnd",
    "SessionPublic",
    "TelemetryBatch",
    "TelemetryPublic",
    "TelemetrySampleIn",
    "VitalCreate",
    "VitalPublic",
]

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_text),
]
Note = Annotated[str, StringConstraints(max_length=4000), AfterValidator(check_text)]


def _checked_time(value: datetime) -> datetime:
    try:
        value = utc(value)
    except OverflowError as error:
        raise ValueError("out of range once converted to UTC") from error
    if not 1900 <= value.year <= 2200:
        raise ValueError("year outside 1900..2200")
    return value


def _checked_date(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("year outside 1900..2200")
    return value


Time = Annotated[datetime, AfterValidator(_checked_time)]
#: Stored timestamps as aware UTC (SQLite hands back naive values).
Stamp = Annotated[datetime, AfterValidator(utc)]
Day = Annotated[date, AfterValidator(_checked_date)]


def _clean_json(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        raise ValueError("nested too deeply (more than 8 levels)")
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, dict):
        return {check_text(str(k)): _clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v, depth + 1) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise ValueError("integer too large to store exactly")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    return value


def _settings(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > 64:
        raise ValueError("at most 64 settings")
    cleaned: dict[str, Any] = _clean_json(value)
    return cleaned


Settings = Annotated[dict[str, Any], AfterValidator(_settings)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class EventIn(_In):
    """A dated medical event (e.g. ``myocardial_infarction``)."""

    kind: Code
    date: Day


class PatientCreate(_In):
    """A new patient: demographics, anthropometrics and history."""

    given_name: Name
    family_name: Name
    sex: Literal["female", "male"]
    birth_date: Day
    height_m: float | None = Field(default=None, ge=0.4, le=2.6)  # plausibility
    mass_kg: float | None = Field(default=None, ge=2.0, le=400.0)  # plausibility
    fat_mm: dict[Code, Annotated[float, Field(ge=0.0, le=200.0)]] = Field(
        default_factory=dict, max_length=32
    )
    # Measured whole-body fat (DXA, bioimpedance); bounds of the physics contract.
    body_fat_percent: float | None = Field(
        default=None, ge=BODY_FAT_PERCENT_RANGE[0], le=BODY_FAT_PERCENT_RANGE[1]
    )
    conditions: list[Code] = Field(default_factory=list, max_length=64)
    medications: list[Code] = Field(default_factory=list, max_length=64)
    events: list[EventIn] = Field(default_factory=list, max_length=64)


class PatientUpdate(_In):
    """Changes to a patient (only the fields sent are changed)."""

    given_name: Name | None = None
    family_name: Name | None = None
    sex: Literal["female", "male"] | None = None
    birth_date: Day | None = None
    height_m: float | None = Field(default=None, ge=0.4, le=2.6)
    mass_kg: float | None = Field(default=None, ge=2.0, le=400.0)
    fat_mm: dict[Code, Annotated[float, Field(ge=0.0, le=200.0)]] | None = Field(
        default=None, max_length=32
    )
    body_fat_percent: float | None = Field(
        default=None, ge=BODY_FAT_PERCENT_RANGE[0], le=BODY_FAT_PERCENT_RANGE[1]
    )
    conditions: list[Code] | None = Field(default=None, max_length=64)
    medications: list[Code] | None = Field(default=None, max_length=64)
    events: list[EventIn] | None = Field(default=None, max_length=64)


class PatientPublic(BaseModel):
    """A patient as stored."""

    id: int
    given_name: str
    family_name: str
    sex: str
    birth_date: date
    height_m: float | None
    mass_kg: float | None
    fat_mm: dict[str, float]
    body_fat_percent: float | None
    conditions: list[str]
    medications: list[str]
    events: list[dict[str, Any]]
    created_at: Stamp
    updated_at: Stamp


class VitalCreate(_In):
    """Vital signs measured at one moment (at least one value)."""

    measured_at: Time | None = None
    # Plausibility bounds, the same as cryotx.clinical.patient.Vitals where both exist.
    systolic_mmhg: float | None = Field(default=None, ge=50, le=300)
    diastolic_mmhg: float | None = Field(default=None, ge=20, le=200)
    heart_rate_bpm: float | None = Field(default=None, ge=20, le=250)
    body_temp_c: float | None = Field(default=None, ge=30, le=44)
    respiratory_rate_per_min: float | None = Field(default=None, ge=2, le=80)
    spo2_pct: float | None = Field(default=None, ge=50, le=100)

    @model_validator(mode="after")
    def _some_value(self) -> VitalCreate:
        values = self.model_dump(exclude={"measured_at"})
        if all(v is None for v in values.values()):
            raise ValueError("at least one vital sign is needed")
        if (self.systolic_mmhg is None) != (self.diastolic_mmhg is None):
            raise ValueError("blood pressure needs both systolic_mmhg and diastolic_mmhg")
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError("diastolic_mmhg must be below systolic_mmhg")
        return self


class VitalPublic(BaseModel):
    """Vital signs as stored."""

    id: int
    patient_id: int
    measured_at: Stamp
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    heart_rate_bpm: float | None
    body_temp_c: float | None
    respiratory_rate_per_min: float | None
    spo2_pct: float | None
    recorded_by: int


class ScreeningRequest(_In):
    """Screen the stored patient (with the latest vitals) for one modality."""

    modality: Code
    site: Code | None = None
    session_checks: dict[Code, bool] = Field(default_factory=dict, max_length=32)
    assessed_on: Day | None = None


class ScreeningPublic(BaseModel):
    """A screening as recorded then."""

    id: int
    patient_id: int
    modality: str
    site: str | None
    decision: str
    reasons: list[dict[str, Any]]
    rules_version: str
    input: dict[str, Any]
    created_at: Stamp
    created_by: int


class PlanRequest(_In):
    """Plan a course for a condition at a site (optionally a given modality)."""

    condition: Code
    site: Code
    modality: Code | None = None
    session_checks: dict[Code, bool] = Field(default_factory=dict, max_length=32)
    assessed_on: Day | None = None


class PlanPublic(BaseModel):
    """A plan as the planner returned it."""

    id: int
    patient_id: int
    condition: str
    site: str
    modality: str | None
    decision: str
    plan: dict[str, Any]
    rules_version: str
    created_at: Stamp
    created_by: int


EndReason = Literal[
    "completed",
    "stopped_by_operator",
    "safety_interlock",
    "sensor_lost",
    "patient_request",
    "adverse_event",
    "device_fault",
]


class SessionCreate(_In):
    """Start a session: device, modality, site and the settings delivered."""

    plan_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    device: Name
    modality: Code
    site: Code
    settings: Settings = Field(default_factory=dict)
    started_at: Time | None = None
    notes: Note = ""


class SessionEnd(_In):
    """End a session and say how it ended."""

    end_reason: EndReason
    ended_at: Time | None = None
    notes: Note | None = None


class SessionPublic(BaseModel):
    """A session as stored."""

    id: int
    patient_id: int
    plan_id: int | None
    device: str
    modality: str
    site: str
    settings: dict[str, Any]
    started_at: Stamp
    ended_at: Stamp | None
    end_reason: str | None
    notes: str
    operator_id: int


class TelemetrySampleIn(_In):
    """One sensor reading; ``elapsed_s`` counts from the start of the session."""

    elapsed_s: float = Field(ge=0, le=86_400)
    agent_temp_c: float | None = Field(default=None, ge=-200, le=80)  # plausibility
    skin_temp_c: float | None = Field(default=None, ge=-50, le=50)  # plausibility
    oxygen_pct: float | None = Field(default=None, ge=0, le=100)


class TelemetryBatch(_In):
    """Readings appended to a session in one transaction."""

    samples: list[TelemetrySampleIn] = Field(min_length=1, max_length=2000)


class TelemetryPublic(BaseModel):
    """A stored reading."""

    id: int
    session_id: int
    elapsed_s: float
    agent_temp_c: float | None
    skin_temp_c: float | None
    oxygen_pct: float | None


Instrument = Literal[
    "pain_nrs",
    "pain_vas",
    "oswestry",
    "roland_morris",
    "womac",
    "koos",
    "basfi",
    "modified_schober",
    "fingertip_to_floor",
    "rom",
]


class InstrumentCreate(_In):
    """A score on an outcome instrument; ranges are checked in ``services.instruments``."""

    instrument: Instrument
    score: float
    subscale: Code | None = None
    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] | None = None
    items: list[Annotated[float, Field(ge=-1000, le=10_000)]] | None = Field(
        default=None, max_length=64
    )
    measured_at: Time | None = None
    session_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class InstrumentPublic(BaseModel):
    """A stored score."""

    id: int
    patient_id: int
    session_id: int | None
    instrument: str
    subscale: str | None
    version: str | None
    score: float
    items: list[float] | None
    measured_at: Stamp
    recorded_by: int


class AdverseEventCreate(_In):
    """An adverse event (kinds from clinical-evidence.md section 1)."""

    kind: Literal[
        "numbness",
        "soreness",
        "stiffness",
        "skin_reaction",
        "blister",
        "burn",
        "frostbite",
        "panniculitis",
        "syncope",
        "blood_pressure_rise",
        "palpitations",
        "headache",
        "other",
    ]
    severity: Literal["mild", "moderate", "severe"]
    serious: bool = False
    onset_at: Time | None = None
    description: Note = ""
    outcome: Literal["resolved", "resolving", "not_resolved", "unknown"] | None = None
    session_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class AdverseEventPublic(BaseModel):
    """A stored adverse event."""

    id: int
    patient_id: int
    session_id: int | None
    kind: str
    severity: str
    serious: bool
    onset_at: Stamp
    description: str
    outcome: str | None
    recorded_by: int


class AuditPublic(BaseModel):
    """An audit entry."""

    id: int
    at: Stamp
    user_id: int | None
    username: str
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total matching and the window asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int
