"""The evidence library: every indication covered, every study sourced, negative evidence kept."""

from __future__ import annotations

import pytest

from cryotx.clinical.protocols import candidates, library, protocols
from cryotx.clinical.vocabulary import codes_of
from cryotx.errors import InputError


def test_every_indication_has_a_protocol() -> None:
    assert {protocol.condition for protocol in protocols()} == codes_of("indication")


def test_every_study_has_a_source_and_a_design() -> None:
    for protocol in protocols():
        for study in protocol.evidence:
            assert study.source.startswith("http"), (protocol.id, study.key)
            assert study.design and study.effect


def test_blinded_low_back_pain_trial_is_graded_negative() -> None:
    """Nugraha 2015: -67 °C was no better than -5 °C (clinical-evidence.md 2.4)."""
    (wbc,) = candidates("low_back_pain", site="whole_body", modality="wbc_chamber")
    assert wbc.grade == "negative"
    blinded = [study for study in wbc.evidence if study.key == "Nugraha2015"]
    assert blinded and blinded[0].direction == "negative"
    assert "Double-blind" in blinded[0].design


@pytest.mark.parametrize("condition", ["tendinopathy", "bursitis", "hip_osteoarthritis"])
def test_conditions_without_trials_say_so(condition: str) -> None:
    for protocol in protocols():
        if protocol.condition == condition:
            assert protocol.grade == "insufficient"
            assert "NOT FOUND" in protocol.assessment


def test_whole_body_protocols_respect_the_three_minute_cap() -> None:
    for protocol in protocols():
        if protocol.modality in ("wbc_chamber", "pbc_cryosauna"):
            assert protocol.exposure_s <= 180
            assert protocol.sites == ("whole_body",)


def test_candidates_are_ranked() -> None:
    found = candidates("knee_osteoarthritis", site="knee")
    assert [p.rank for p in found] == sorted(p.rank for p in found)
    assert all(p.condition == "knee_osteoarthritis" for p in found)


@pytest.mark.parametrize(
    ("condition", "site", "modality", "field"),
    [
        ("frostbite", "knee", None, "condition"),
        ("raynaud", "knee", None, "condition"),
        ("knee_osteoarthritis", "elbow", None, "condition"),
        ("knee_osteoarthritis", "kneecap", None, "site"),
        ("knee_osteoarthritis", "knee", "laser", "modality"),
    ],
)
def test_candidates_refuse(condition: str, site: str, modality: str | None, field: str) -> None:
    with pytest.raises(InputError) as error:
        candidates(condition, site=site, modality=modality)
    assert error.value.field == field


def test_library_versioned() -> None:
    assert library().version
