"""The patient record that screening and planning read (Patient contract of DESIGN.md).

Validation refuses what cannot be true of a person or of the vocabulary: unknown codes,
diastolic pressure at or above systolic, negative ages, heights and masses outside the
human range, events dated after the assessment. Every refusal names the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cryotx.clinical.vocabulary import codes_of
from cryotx.errors import InputError
from cryotx.physics.scenario import BODY_FAT_PERCENT_RANGE

__all__ = ["Event", "Patient", "SessionChecks", "Vitals", "parse_patient"]

_FORBID = ConfigDict(extra="forbid", frozen=True)


class _Located(ValueError):
    """A validation failure inside a model that knows the exact sub-field at fault."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class Event(BaseModel):
    """A dated clinical event (myocardial infarction, coronary stent, stroke)."""

    model_config = _FORBID

    kind: str
    date: dt.date

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in codes_of("event"):
            raise ValueError(f"unknown event kind {value!r} (see `cryotx vocab`)")
        return value


class Vitals(BaseModel):
    """Vital signs measured at the assessment; bounds are the range a living person can show."""

    model_config = _FORBID

    systolic_mmhg: float | None = Field(default=None, ge=50, le=300)
    diastolic_mmhg: float | None = Field(default=None, ge=20, le=200)
    heart_rate_bpm: float | None = Field(default=None, ge=20, le=250)
    body_temp_c: float | None = Field(default=None, ge=30, le=44)
    spo2_pct: float | None = Field(default=None, ge=50, le=100)

    @model_validator(mode="after")
    def _pulse_pressure(self) -> Vitals:
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise _Located("diastolic_mmhg", "must be below systolic_mmhg")
        return self


class SessionChecks(BaseModel):
    """Pre-session checks; ``None`` means not yet checked (a reminder, not a refusal)."""

    model_config = _FORBID

    skin_dry: bool | None = None
    consent_signed: bool | None = None
    operator_present: bool | None = None
    oxygen_monitor_ok: bool | None = None
    room_oxygen_pct: float | None = Field(default=None, ge=0, le=100)
    jewellery_removed: bool | None = None


class Patient(BaseModel):
    """A patient as screening and planning see them.

    Lengths are in the clinician's units the contract uses (``fat_mm``), everything else SI.
    """

    model_config = _FORBID

    id: str | None = None
    sex: Literal["female", "male"]
    age_y: float = Field(ge=0, le=120)
    height_m: float | None = Field(default=None, ge=0.45, le=2.5)
    mass_kg: float | None = Field(default=None, ge=2, le=350)
    fat_mm: dict[str, float] = Field(default_factory=dict)
    # Measured whole-body fat [%] (DXA, bioimpedance); None = not measured, the engine then
    # estimates it from BMI, age and sex. Bounds of the physics contract (Subject).
    body_fat_percent: float | None = Field(
        default=None, ge=BODY_FAT_PERCENT_RANGE[0], le=BODY_FAT_PERCENT_RANGE[1]
    )
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    vitals: Vitals = Field(default_factory=Vitals)
    session_checks: SessionChecks = Field(default_factory=SessionChecks)
    previous_sessions: int = Field(default=0, ge=0)
    assessed_on: dt.date | None = None

    @field_validator("fat_mm")
    @classmethod
    def _fat_sites(cls, value: dict[str, float]) -> dict[str, float]:
        sites = codes_of("site") - {"whole_body"}
        for site, thickness_mm in value.items():
            if site not in sites:
                raise _Located(site, f"unknown site {site!r} (see `cryotx vocab`)")
            if not 0.0 <= thickness_mm <= 150.0:
                raise _Located(site, "fat thickness must be within 0..150 mm")
        return value

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = codes_of("indication", "condition")
        for index, code in enumerate(value):
            if code not in known:
                raise _Located(str(index), f"unknown condition code {code!r} (see `cryotx vocab`)")
        return value

    @field_validator("medications")
    @classmethod
    def _known_medications(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = codes_of("medication")
        for index, code in enumerate(value):
            if code not in known:
                raise _Located(str(index), f"unknown medication code {code!r} (see `cryotx vocab`)")
        return value

    @model_validator(mode="after")
    def _events_not_in_future(self) -> Patient:
        if self.assessed_on is not None:
            for index, event in enumerate(self.events):
                if event.date > self.assessed_on:
                    raise _Located(f"events.{index}.date", "is after assessed_on")
        return self


def _field_of(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    loc = [str(part) for part in first.get("loc", ())]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, _Located):
        loc.append(cause.path)
        message = str(cause)
    return ".".join(loc) or "patient", message


def parse_patient(obj: Any) -> Patient:
    """Validate a JSON-like object (or a Patient) as a Patient.

    Raises
    ------
    InputError
        Naming the first offending field as a dotted path, e.g. ``vitals.diastolic_mmhg``.
    """
    if isinstance(obj, Patient):
        return obj
    if not isinstance(obj, dict):
        raise InputError("patient", "must be a JSON object")
    try:
        return Patient.model_validate(obj)
    except ValidationError as error:
        raise InputError(*_field_of(error)) from None
