"""The Patient contract: what is accepted and what is refused, naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cryotx.clinical.patient import parse_patient
from cryotx.errors import InputError

EXAMPLES = Path(__file__).parents[2] / "examples" / "patients"


def test_design_example_parses() -> None:
    patient = parse_patient(json.loads((EXAMPLES / "knee_oa_hypertension.json").read_text()))
    assert patient.conditions == ("knee_osteoarthritis", "hypertension")
    assert patient.events[0].kind == "myocardial_infarction"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age_y": -1}, "age_y"),
        ({"height_m": 3.1}, "height_m"),
        ({"mass_kg": 0.5}, "mass_kg"),
        ({"body_fat_percent": 1.0}, "body_fat_percent"),
        ({"body_fat_percent": 85.0}, "body_fat_percent"),
        ({"conditions": ["raynaud", "chilblains"]}, "conditions.1"),
        ({"medications": ["aspirin"]}, "medications.0"),
        ({"events": [{"kind": "heart_attack", "date": "2026-01-01"}]}, "events.0.kind"),
        ({"events": [{"kind": "stroke", "date": "2026-12-24"}]}, "events.0.date"),
        ({"vitals": {"systolic_mmhg": 90, "diastolic_mmhg": 95}}, "vitals.diastolic_mmhg"),
        ({"vitals": {"systolic_mmhg": 120, "diastolic_mmhg": 120}}, "vitals.diastolic_mmhg"),
        ({"vitals": {"heart_rate_bpm": 0}}, "vitals.heart_rate_bpm"),
        ({"vitals": {"body_temp_c": 50}}, "vitals.body_temp_c"),
        ({"fat_mm": {"nose": 2.0}}, "fat_mm.nose"),
        ({"fat_mm": {"knee": -2.0}}, "fat_mm.knee"),
        ({"sex": "unknown"}, "sex"),
        ({"blood_group": "0+"}, "blood_group"),
        ({"session_checks": {"skin_dry": True, "mood": "good"}}, "session_checks.mood"),
    ],
)
def test_refusals_name_the_field(
    healthy: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    healthy.update(change)
    with pytest.raises(InputError) as error:
        parse_patient(healthy)
    assert error.value.field == field


@pytest.mark.parametrize("percent", [2.0, 31.5, 70.0])
def test_measured_body_fat_is_optional_within_2_to_70_percent(
    healthy: dict[str, Any], percent: float
) -> None:
    assert parse_patient(healthy).body_fat_percent is None
    healthy["body_fat_percent"] = percent
    assert parse_patient(healthy).body_fat_percent == percent


def test_not_an_object() -> None:
    with pytest.raises(InputError) as error:
        parse_patient([1, 2])
    assert error.value.field == "patient"


def test_missing_sex() -> None:
    with pytest.raises(InputError) as error:
        parse_patient({"age_y": 30})
    assert error.value.field == "sex"
