"""Screening rules as versioned, validated data (``data/clinical/rules.json``).

A rule is a criterion (a condition, a medication, a dated event, a measured value against a
threshold, a missing or failed pre-session check, the treated site, or ``all``/``any`` of
these), the modalities it applies to, its strength (absolute, relative, precaution or
session-level), the decision it forces, a message and its sources. Rules only ever *add*
restrictions, so adding a condition can never make a decision more permissive.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cryotx.clinical.patient import Patient
from cryotx.clinical.vocabulary import codes_of
from cryotx.data import load_json

__all__ = [
    "DECISIONS",
    "Criterion",
    "Rule",
    "RuleSet",
    "applies_to",
    "holds",
    "rules",
]

Decision = Literal["eligible", "eligible_with_precautions", "refer", "excluded"]
#: Decisions from most to least permissive (DESIGN.md, Other command-line contracts).
DECISIONS: tuple[str, ...] = ("eligible", "eligible_with_precautions", "refer", "excluded")

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MEASURED = {
    "age_y",
    "vitals.systolic_mmhg",
    "vitals.diastolic_mmhg",
    "vitals.heart_rate_bpm",
    "vitals.body_temp_c",
    "vitals.spo2_pct",
    "session_checks.room_oxygen_pct",
}
_CHECKS = {
    "vitals.systolic_mmhg",
    "vitals.diastolic_mmhg",
    "session_checks.skin_dry",
    "session_checks.consent_signed",
    "session_checks.operator_present",
    "session_checks.oxygen_monitor_ok",
    "session_checks.jewellery_removed",
}
_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Condition(BaseModel):
    model_config = _STRICT
    type: Literal["condition"]
    code: str


class _Medication(BaseModel):
    model_config = _STRICT
    type: Literal["medication"]
    code: str


class _Event(BaseModel):
    model_config = _STRICT
    type: Literal["event"]
    kind: str
    within_days: int | None = Field(default=None, gt=0)


class _Measure(BaseModel):
    model_config = _STRICT
    type: Literal["measure"]
    field: str
    op: Literal["<", "<=", ">", ">="]
    value: float


class _Missing(BaseModel):
    model_config = _STRICT
    type: Literal["missing"]
    field: str


class _CheckFailed(BaseModel):
    model_config = _STRICT
    type: Literal["check_failed"]
    field: str


class _Site(BaseModel):
    model_config = _STRICT
    type: Literal["site"]
    in_: tuple[str, ...] = Field(alias="in")


class _All(BaseModel):
    model_config = _STRICT
    type: Literal["all"]
    of: tuple[Criterion, ...] = Field(min_length=1)


class _Any(BaseModel):
    model_config = _STRICT
    type: Literal["any"]
    of: tuple[Criterion, ...] = Field(min_length=1)


Criterion = Annotated[
    _Condition | _Medication | _Event | _Measure | _Missing | _CheckFailed | _Site | _All | _Any,
    Field(discriminator="type"),
]
_All.model_rebuild()
_Any.model_rebuild()


class Rule(BaseModel):
    """One screening rule."""

    model_config = _STRICT

    id: str
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    criterion: Criterion
    modalities: tuple[str, ...] = Field(min_length=1)
    strength: Literal["absolute", "relative", "precaution", "session"]
    decision: Decision
    message: str
    source: tuple[str, ...] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        known_modalities = codes_of("modality") | {"local", "systemic"}
        for modality in self.modalities:
            if modality not in known_modalities:
                raise ValueError(f"rule {self.id}: unknown modality {modality!r}")
        if self.decision == "eligible":
            raise ValueError(f"rule {self.id}: a rule must restrict (decision 'eligible')")
        if self.strength == "absolute" and self.decision != "excluded":
            raise ValueError(f"rule {self.id}: an absolute rule must exclude")
        _check_criterion(self.id, self.criterion)
        return self


def _check_criterion(rule_id: str, criterion: Any) -> None:
    """Refuse codes and fields the vocabulary and the Patient model do not know."""
    if isinstance(criterion, _Condition) and criterion.code not in codes_of(
        "indication", "condition"
    ):
        raise ValueError(f"rule {rule_id}: unknown condition {criterion.code!r}")
    if isinstance(criterion, _Medication) and criterion.code not in codes_of("medication"):
        raise ValueError(f"rule {rule_id}: unknown medication {criterion.code!r}")
    if isinstance(criterion, _Event) and criterion.kind not in codes_of("event"):
        raise ValueError(f"rule {rule_id}: unknown event kind {criterion.kind!r}")
    if isinstance(criterion, _Measure) and criterion.field not in _MEASURED:
        raise ValueError(f"rule {rule_id}: cannot measure {criterion.field!r}")
    if isinstance(criterion, _Missing | _CheckFailed) and criterion.field not in _CHECKS:
        raise ValueError(f"rule {rule_id}: no check named {criterion.field!r}")
    if isinstance(criterion, _Site) and not set(criterion.in_) <= codes_of("site"):
        raise ValueError(f"rule {rule_id}: unknown site in {criterion.in_!r}")
    if isinstance(criterion, _All | _Any):
        for part in criterion.of:
            _check_criterion(rule_id, part)


class RuleSet(BaseModel):
    """The rules file: a version and its rules (ids unique)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    description: str
    evidence_caveat: str
    evidence_file: str
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rules.json: rule ids must be unique")
        return self


@cache
def rules() -> RuleSet:
    """The packaged screening rules, loaded and validated once."""
    return RuleSet.model_validate(load_json("clinical/rules.json"))


def applies_to(rule: Rule, *, modality: str, group: str) -> bool:
    """Whether ``rule`` applies to ``modality`` (whose group is ``"local"``/``"systemic"``)."""
    return modality in rule.modalities or group in rule.modalities


def _value(patient: Patient, dotted: str) -> Any:
    obj: Any = patient
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def holds(criterion: Any, patient: Patient, *, site: str | None, on: dt.date | None) -> bool:
    """Whether ``criterion`` holds for the patient at the treated site on the date ``on``.

    An event criterion with ``within_days`` needs ``on``; without it the event is taken as
    recent (the restrictive reading), and the caller is expected to have refused this case.
    """
    match criterion:
        case _Condition(code=code):
            return code in patient.conditions
        case _Medication(code=code):
            return code in patient.medications
        case _Event(kind=kind, within_days=within_days):
            for event in patient.events:
                if event.kind != kind:
                    continue
                if within_days is None or on is None or (on - event.date).days <= within_days:
                    return True
            return False
        case _Measure(field=field, op=op, value=threshold):
            value = _value(patient, field)
            return value is not None and _OPS[op](float(value), threshold)
        case _Missing(field=field):
            return _value(patient, field) is None
        case _CheckFailed(field=field):
            return _value(patient, field) is False
        case _Site(in_=sites):
            return site is not None and site in sites
        case _All(of=parts):
            return all(holds(part, patient, site=site, on=on) for part in parts)
        case _Any(of=parts):
            return any(holds(part, patient, site=site, on=on) for part in parts)
    raise TypeError(f"unknown criterion {criterion!r}")
