"""Screening properties and patient vignettes with decisions drawn from the sources."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from clinical_patients import HEALTHY
from hypothesis import given, settings
from hypothesis import strategies as st

from cryotx.clinical import screen, screen_all
from cryotx.clinical.rules import DECISIONS
from cryotx.clinical.vocabulary import codes_of, modality_group

RANK = {decision: index for index, decision in enumerate(DECISIONS)}
CONDITIONS = sorted(codes_of("indication", "condition"))
MEDICATIONS = sorted(codes_of("medication"))
MODALITIES = sorted(codes_of("modality"))
LOCAL_SITES = sorted(codes_of("site") - {"whole_body"})
ASSESSED = dt.date.fromisoformat(HEALTHY["assessed_on"])
EVENTS = st.builds(
    lambda kind, days: {"kind": kind, "date": (ASSESSED - dt.timedelta(days=days)).isoformat()},
    st.sampled_from(sorted(codes_of("event"))),
    st.integers(min_value=0, max_value=3000),
)
VIGNETTES = json.loads((Path(__file__).parent / "vignettes.json").read_text())["vignettes"]


def _site(modality: str, site: str) -> str | None:
    return None if modality_group(modality) == "systemic" else site


@settings(max_examples=300, deadline=None)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=6),
    medications=st.lists(st.sampled_from(MEDICATIONS), unique=True, max_size=2),
    events=st.lists(EVENTS, max_size=2),
    added=st.sampled_from(CONDITIONS),
    modality=st.sampled_from(MODALITIES),
    site=st.sampled_from(LOCAL_SITES),
    systolic=st.integers(min_value=100, max_value=220),
)
def test_adding_a_condition_never_makes_a_decision_more_permissive(
    conditions: list[str],
    medications: list[str],
    events: list[dict[str, str]],
    added: str,
    modality: str,
    site: str,
    systolic: int,
) -> None:
    patient = copy.deepcopy(HEALTHY)
    patient.update(conditions=conditions, medications=medications, events=events)
    patient["vitals"]["systolic_mmhg"] = systolic
    before = screen(patient, modality=modality, site=_site(modality, site))
    patient["conditions"] = sorted(set(conditions) | {added})
    after = screen(patient, modality=modality, site=_site(modality, site))
    assert RANK[after.decision] >= RANK[before.decision]
    assert {r.rule_id for r in before.reasons} <= {r.rule_id for r in after.reasons}


@settings(max_examples=100, deadline=None)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=4),
    medication=st.sampled_from(MEDICATIONS),
    event=EVENTS,
    modality=st.sampled_from(MODALITIES),
)
def test_adding_a_medication_or_event_never_makes_a_decision_more_permissive(
    conditions: list[str], medication: str, event: dict[str, str], modality: str
) -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["conditions"] = conditions
    site = _site(modality, "lumbar")
    base = RANK[screen(patient, modality=modality, site=site).decision]
    with_medication = {**patient, "medications": [medication]}
    assert RANK[screen(with_medication, modality=modality, site=site).decision] >= base
    with_event = {**patient, "events": [event]}
    assert RANK[screen(with_event, modality=modality, site=site).decision] >= base


def test_decision_is_the_most_restrictive_reason() -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["conditions"] = ["hypertension", "copd", "pacemaker"]
    result = screen(patient, modality="wbc_chamber")
    assert result.decision == "excluded"
    ranks = [RANK[reason.decision] for reason in result.reasons]
    assert ranks == sorted(ranks, reverse=True)


CASES = [(v, check) for v in VIGNETTES for check in v["expect"]]


@pytest.mark.parametrize(
    ("vignette", "check"),
    CASES,
    ids=[f"{v['id']}-{c['modality']}" for v, c in CASES],
)
def test_vignette(vignette: dict[str, Any], check: dict[str, Any]) -> None:
    assert check["source"].startswith("http")
    result = screen(vignette["patient"], modality=check["modality"], site=check.get("site"))
    assert result.decision == check["expected"], [r.code for r in result.reasons]


def test_screen_all_is_screen_per_modality() -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["conditions"] = ["hypertension", "impaired_sensation", "claustrophobia"]
    results = screen_all(patient, site="knee")
    assert set(results) == set(MODALITIES)
    for modality, result in results.items():
        assert result == screen(patient, modality=modality, site=_site(modality, "knee"))
    assert results["ice_bag"].decision == "refer"
    assert results["wbc_chamber"].decision == "refer"


@settings(max_examples=150, deadline=None)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3),
    field=st.sampled_from(["systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "body_temp_c"]),
    rise=st.floats(min_value=0.0, max_value=60.0),
    modality=st.sampled_from(MODALITIES),
)
def test_worse_vitals_never_make_a_decision_more_permissive(
    conditions: list[str], field: str, rise: float, modality: str
) -> None:
    """Every measured vital-sign rule fires above a threshold: a rise never relaxes."""
    patient = copy.deepcopy(HEALTHY)
    patient["conditions"] = conditions
    site = _site(modality, "knee")
    before = RANK[screen(patient, modality=modality, site=site).decision]
    limit = {"systolic_mmhg": 300, "diastolic_mmhg": 121, "heart_rate_bpm": 250, "body_temp_c": 44}
    patient["vitals"][field] = min(patient["vitals"][field] + rise, limit[field])
    assert RANK[screen(patient, modality=modality, site=site).decision] >= before


@settings(max_examples=100, deadline=None)
@given(
    age_y=st.floats(min_value=0.0, max_value=120.0),
    younger_by=st.floats(min_value=0.0, max_value=120.0),
    modality=st.sampled_from(MODALITIES),
)
def test_younger_never_more_permissive(age_y: float, younger_by: float, modality: str) -> None:
    """Age rules are lower limits only (no upper age limit was found in the sources)."""
    patient = copy.deepcopy(HEALTHY)
    patient["age_y"] = age_y
    site = _site(modality, "ankle")
    before = RANK[screen(patient, modality=modality, site=site).decision]
    patient["age_y"] = max(age_y - younger_by, 0.0)
    assert RANK[screen(patient, modality=modality, site=site).decision] >= before
