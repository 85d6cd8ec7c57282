"""Form fields to use-case payloads: clinician units in, SI out.

The pages take height in cm (the clinic's unit) and convert it to metres here; everything
else is entered in the unit its field name carries. Empty fields mean "not given". The
payloads are validated by the services' own schemas, so the rules live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from cryotx.errors import InputError

__all__ = [
    "SESSION_CHECKS",
    "adverse_event_payload",
    "outcome_payload",
    "patient_edit_payload",
    "patient_payload",
    "patient_values",
    "plan_payload",
    "screening_payload",
    "session_payload",
    "text",
    "values",
    "vitals_payload",
    "vocabulary_options",
]

#: Pre-session checks the screening rules read (``cryotx.clinical.patient.SessionChecks``).
SESSION_CHECKS: tuple[tuple[str, str], ...] = (
    ("skin_dry", "Skin dry"),
    ("consent_signed", "Consent signed"),
    ("operator_present", "Operator present"),
    ("oxygen_monitor_ok", "Oxygen monitor working"),
    ("jewellery_removed", "Jewellery removed"),
)


def text(form: Mapping[str, Any], name: str) -> str:
    """The stripped text of a field, ``""`` when absent."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values(form: FormData) -> dict[str, Any]:
    """The submitted values, to fill the form again after an error (lists stay lists)."""
    out: dict[str, Any] = {}
    for key in form:
        if key in ("csrf_token", "password"):
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = items if len(items) > 1 or key in _LIST_FIELDS else (items[0] if items else "")
    return out


_LIST_FIELDS = {"conditions", "medications"}


def _number(form: Mapping[str, Any], name: str) -> str | None:
    """A numeric field as text for the schema to parse (``None`` when empty)."""
    value = text(form, name).replace(",", ".")
    return value or None


def patient_payload(form: FormData) -> dict[str, Any]:
    """``PatientCreate`` fields from the new-patient form."""
    payload: dict[str, Any] = {
        "given_name": text(form, "given_name"),
        "family_name": text(form, "family_name"),
        "sex": text(form, "sex"),
        "birth_date": text(form, "birth_date"),
        "conditions": [c for c in form.getlist("conditions") if isinstance(c, str) and c],
        "medications": [m for m in form.getlist("medications") if isinstance(m, str) and m],
    }
    height_cm = _number(form, "height_cm")
    if height_cm is not None:
        payload["height_m"] = _scaled(height_cm, 0.01, "height_m")
    mass_kg = _number(form, "mass_kg")
    if mass_kg is not None:
        payload["mass_kg"] = mass_kg
    body_fat = _number(form, "body_fat_percent")
    if body_fat is not None:
        payload["body_fat_percent"] = body_fat
    site, fat_mm = text(form, "fat_site"), _number(form, "fat_mm")
    if site and fat_mm is not None:
        payload["fat_mm"] = {site: fat_mm}
    elif fat_mm is not None:
        raise InputError("fat_site", "choose the site where the fat thickness was measured")
    event_kind, event_date = text(form, "event_kind"), text(form, "event_date")
    if event_kind or event_date:
        payload["events"] = [{"kind": event_kind, "date": event_date}]
    return payload


def _scaled(value: str, factor: float, field: str) -> float | str:
    try:
        return float(value) * factor
    except ValueError:
        return value  # let the schema name the field


def vitals_payload(form: FormData) -> dict[str, Any]:
    """``VitalCreate`` fields from the vitals form."""
    payload: dict[str, Any] = {}
    for name in (
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "body_temp_c",
        "respiratory_rate_per_min",
        "spo2_pct",
    ):
        number = _number(form, name)
        if number is not None:
            payload[name] = number
    measured_at = text(form, "measured_at")
    if measured_at:
        payload["measured_at"] = measured_at
    return payload


def _checks(form: FormData) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    for name, _ in SESSION_CHECKS:
        answer = text(form, f"check_{name}")
        if answer in ("yes", "no"):
            checks[name] = answer == "yes"
    return checks


def screening_payload(form: FormData) -> dict[str, Any]:
    """``ScreeningRequest`` fields from the screening form."""
    payload: dict[str, Any] = {"modality": text(form, "modality"), "session_checks": _checks(form)}
    if site := text(form, "site"):
        payload["site"] = site
    if assessed_on := text(form, "assessed_on"):
        payload["assessed_on"] = assessed_on
    return payload


def plan_payload(form: FormData) -> dict[str, Any]:
    """``PlanRequest`` fields from the planning form."""
    payload: dict[str, Any] = {
        "condition": text(form, "condition"),
        "site": text(form, "site"),
        "session_checks": _checks(form),
    }
    if modality := text(form, "modality"):
        payload["modality"] = modality
    if assessed_on := text(form, "assessed_on"):
        payload["assessed_on"] = assessed_on
    return payload


def vocabulary_options(kind: str) -> list[tuple[str, str]]:
    """``(code, label)`` of the vocabulary codes of one kind, for select lists."""
    try:
        from cryotx.clinical.vocabulary import vocabulary
    except ImportError:
        return []
    return [(entry.code, entry.label) for entry in vocabulary().codes if entry.kind == kind]


def _optional(payload: dict[str, Any], form: Mapping[str, Any], name: str) -> None:
    if value := text(form, name):
        payload[name] = value


def session_payload(form: FormData) -> dict[str, Any]:
    """``SessionCreate`` fields from the start-session form.

    The settings keep the names the rest of CryoTx uses (``agent_temp_c``, ``exposure_s``).
    """
    payload: dict[str, Any] = {
        "device": text(form, "device"),
        "modality": text(form, "modality"),
        "site": text(form, "site"),
        "notes": text(form, "notes"),
    }
    _optional(payload, form, "plan_id")
    _optional(payload, form, "started_at")
    settings: dict[str, float] = {}
    for name in ("agent_temp_c", "exposure_s"):
        number = _number(form, name)
        if number is None:
            continue
        try:
            settings[name] = float(number)
        except ValueError:
            raise InputError(name, f"must be a number, got {number!r}") from None
    payload["settings"] = settings
    return payload


def outcome_payload(form: FormData) -> dict[str, Any]:
    """``InstrumentCreate`` fields from the outcome form."""
    payload: dict[str, Any] = {"instrument": text(form, "instrument")}
    score = _number(form, "score")
    if score is not None:
        payload["score"] = score
    for name in ("subscale", "measured_at", "session_id"):
        _optional(payload, form, name)
    return payload


def adverse_event_payload(form: FormData) -> dict[str, Any]:
    """``AdverseEventCreate`` fields from the adverse-event form."""
    payload: dict[str, Any] = {
        "kind": text(form, "kind"),
        "severity": text(form, "severity"),
        "serious": text(form, "serious") == "yes",
        "description": text(form, "description"),
    }
    for name in ("onset_at", "outcome", "session_id"):
        _optional(payload, form, name)
    return payload


def patient_values(patient: Any) -> dict[str, Any]:
    """The edit form's initial values from a stored patient (height shown in cm)."""
    values: dict[str, Any] = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "sex": patient.sex,
        "birth_date": patient.birth_date.isoformat(),
        "height_cm": "" if patient.height_m is None else f"{patient.height_m * 100:g}",
        "mass_kg": "" if patient.mass_kg is None else f"{patient.mass_kg:g}",
        "body_fat_percent": (
            "" if patient.body_fat_percent is None else f"{patient.body_fat_percent:g}"
        ),
        "conditions": list(patient.conditions),
        "medications": list(patient.medications),
    }
    for site, fat_mm in patient.fat_mm.items():
        values[f"fat_mm__{site}"] = f"{fat_mm:g}"
    for index in range(len(patient.events)):
        values[f"keep_event_{index}"] = "yes"
    return values


def patient_edit_payload(form: FormData, *, events: list[dict[str, Any]]) -> dict[str, Any]:
    """``PatientUpdate`` fields from the edit form: every field is sent, like a replacement.

    Emptied height, mass or body fat clear them; an emptied fat field removes that site;
    recorded events stay unless their "keep" box is unticked, and a new event may be added.
    """
    payload = patient_payload(form)
    fat: dict[str, Any] = {}
    for key in form:
        if key.startswith("fat_mm__"):
            number = _number(form, key)
            if number is not None:
                fat[key.removeprefix("fat_mm__")] = number
    fat.update(payload.get("fat_mm", {}))
    payload["fat_mm"] = fat
    payload.setdefault("height_m", None)
    payload.setdefault("mass_kg", None)
    payload.setdefault("body_fat_percent", None)
    kept = [
        {"kind": event["kind"], "date": event["date"]}
        for index, event in enumerate(events)
        if text(form, f"keep_event_{index}") == "yes"
    ]
    payload["events"] = kept + payload.get("events", [])
    return payload
