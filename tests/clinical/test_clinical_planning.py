"""The planner: contract, exclusion, evidence caps, personalisation by fat, engine limits."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import cryotx.physics
from cryotx.clinical import dosing, plan, plan_many
from cryotx.clinical.protocols import protocols
from cryotx.errors import InputError


def _thigh(healthy: dict[str, Any], fat_mm: float) -> dict[str, Any]:
    patient = copy.deepcopy(healthy)
    patient["conditions"] = ["tendinopathy"]
    patient["fat_mm"] = {"thigh_anterior": fat_mm}
    return patient


def test_plan_contract(healthy: dict[str, Any]) -> None:
    healthy["conditions"] = ["knee_osteoarthritis"]
    healthy["fat_mm"] = {"knee": 11.0}
    dumped = plan(healthy, condition="knee_osteoarthritis", site="knee").model_dump(mode="json")
    assert {"screening", "protocol", "dose", "instructions", "warnings"} <= set(dumped)
    assert {"decision", "reasons"} <= set(dumped["screening"])
    assert {"modality", "agent_temp_c", "sessions_per_week", "sessions_total", "evidence"} <= set(
        dumped["protocol"]
    )
    dose = dumped["dose"]
    assert {"exposure_s", "window_s", "predicted"} <= set(dose)
    assert {"skin_min_c", "time_to_analgesia_s", "frozen_depth_mm"} <= set(dose["predicted"])
    for key in ("preparation", "aftercare", "warning_signs"):
        assert dumped["instructions"][key]


def test_local_dose_lies_in_the_window_and_under_the_cap(healthy: dict[str, Any]) -> None:
    healthy["fat_mm"] = {"knee": 8.0}
    result = plan(healthy, condition="knee_osteoarthritis", site="knee", modality="ice_bag")
    dose = result.dose
    assert dose is not None and dose.personalised
    assert 0 < dose.exposure_s <= dose.cap_s == dosing.LOCAL_CAP_S["ice_bag"]
    if dose.window_s is not None:
        lo, hi = dose.window_s
        assert lo <= dose.exposure_s <= hi
        assert dose.time_s is not None and dose.curves is not None
        skin = dict(zip(dose.time_s, dose.curves[0].temp_c, strict=True))
        assert skin[lo] <= dosing.ANALGESIA_SKIN_C
        assert min(t for t_s, t in skin.items() if t_s <= hi) >= dosing.SKIN_FLOOR_C
    else:
        assert result.warnings


def test_more_fat_means_longer_exposure_or_a_warning(healthy: dict[str, Any]) -> None:
    """25 mm of thigh fat slows cooling under the fat: a longer exposure, or a warning."""
    lean = plan(_thigh(healthy, 5.0), condition="tendinopathy", site="thigh_anterior")
    thick = plan(_thigh(healthy, 25.0), condition="tendinopathy", site="thigh_anterior")
    assert lean.dose is not None and thick.dose is not None
    assert lean.protocol.modality == thick.protocol.modality == "ice_bag"
    unreachable = any("cannot be reached safely" in w for w in thick.warnings)
    assert thick.dose.exposure_s > lean.dose.exposure_s or unreachable
    assert any("25.0 mm (measured)" in line for line in thick.dose.rationale)


def test_more_fat_cools_the_muscle_less(healthy: dict[str, Any]) -> None:
    """The engine curve the planner reads: muscle under 25 mm of fat cools less than under 5."""
    drops = []
    for fat_mm in (5.0, 25.0):
        result = plan(_thigh(healthy, fat_mm), condition="tendinopathy", site="thigh_anterior")
        assert result.dose is not None and result.dose.curves is not None
        muscle = result.dose.curves[1].temp_c
        drops.append(muscle[0] - min(muscle))
    assert drops[1] < drops[0]


def test_excluded_patient_gets_no_dose(healthy: dict[str, Any]) -> None:
    healthy["conditions"] = ["knee_osteoarthritis", "raynaud"]
    result = plan(healthy, condition="knee_osteoarthritis", site="knee")
    assert result.screening.decision == "excluded"
    assert result.dose is None
    assert any(r.code == "raynaud" for r in result.screening.reasons)
    assert result.model_dump()["dose"] is None


def test_referral_is_planned_with_a_warning(healthy: dict[str, Any]) -> None:
    healthy["conditions"] = ["fibromyalgia", "hypothyroidism"]
    result = plan(healthy, condition="fibromyalgia", site="whole_body")
    assert result.screening.decision == "refer"
    assert result.dose is not None
    assert any("clearance" in w for w in result.warnings)


@pytest.mark.parametrize(("previous", "cap_s"), [(0, 120.0), (5, 180.0)])
def test_whole_body_caps(healthy: dict[str, Any], previous: int, cap_s: float) -> None:
    """First whole-body session 2 min, later 3 min (clinical-evidence.md 1.4 and 5)."""
    healthy["previous_sessions"] = previous
    result = plan(healthy, condition="fibromyalgia", site="whole_body")
    assert result.dose is not None
    assert result.dose.exposure_s == cap_s == result.dose.cap_s


def test_whole_body_degrades_when_the_engine_refuses(
    healthy: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(scenarios: Any) -> Any:
        raise InputError("site", "whole_body is not modelled yet")

    monkeypatch.setattr(cryotx.physics, "simulate", refuse)
    healthy["previous_sessions"] = 0
    result = plan(healthy, condition="ankylosing_spondylitis", site="whole_body")
    assert result.dose is not None and result.dose.predicted is None
    assert result.dose.exposure_s == 120.0
    assert any("whole_body is not modelled yet" in w for w in result.warnings)


def test_local_degrades_without_the_engine(
    healthy: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(cryotx.physics, "simulate")
    result = plan(healthy, condition="knee_osteoarthritis", site="knee", modality="ice_bag")
    assert result.dose is not None and not result.dose.personalised
    assert result.dose.exposure_s == 1200.0
    assert any("not personalised" in w for w in result.warnings)


def test_site_the_engine_does_not_model(healthy: dict[str, Any]) -> None:
    result = plan(healthy, condition="hip_osteoarthritis", site="hip")
    assert result.dose is not None and not result.dose.personalised
    assert any("cannot model" in w for w in result.warnings)


def test_negative_evidence_is_a_warning(healthy: dict[str, Any]) -> None:
    result = plan(healthy, condition="low_back_pain", site="whole_body")
    assert result.protocol.grade == "negative"
    assert any("negative" in w for w in result.warnings)
    assert any(study["key"] == "Nugraha2015" for study in result.protocol.evidence)


@pytest.mark.parametrize(
    ("condition", "site", "modality", "field"),
    [
        ("knee_osteoarthritis", "whole_body", None, "condition"),
        ("knee_osteoarthritis", "knee", "wbc_chamber", "condition"),
        ("fibromyalgia", "knee", None, "condition"),
    ],
)
def test_plan_refusals(
    healthy: dict[str, Any], condition: str, site: str, modality: str | None, field: str
) -> None:
    with pytest.raises(InputError) as error:
        plan(healthy, condition=condition, site=site, modality=modality)
    assert error.value.field == field


def test_batch_plans_match_single_plans(healthy: dict[str, Any]) -> None:
    """plan_many is plan applied to each patient (the engine batch is only an optimisation)."""
    patients = []
    for fat_mm, extra in ((4.0, []), (14.0, ["raynaud"]), (30.0, ["hypertension"])):
        patient = _thigh(healthy, fat_mm)
        patient["conditions"] += extra
        patients.append(patient)
    batch = plan_many(patients, condition="tendinopathy", site="thigh_anterior")
    for patient, planned in zip(patients, batch, strict=True):
        single = plan(patient, condition="tendinopathy", site="thigh_anterior")
        assert planned.screening == single.screening
        if single.dose is None:
            assert planned.dose is None
            continue
        assert planned.dose is not None
        assert planned.dose.window_s == single.dose.window_s
        assert planned.dose.exposure_s == pytest.approx(single.dose.exposure_s)


def test_batch_refusal_names_the_patient(healthy: dict[str, Any]) -> None:
    bad = copy.deepcopy(healthy)
    bad["age_y"] = -1
    with pytest.raises(InputError) as error:
        plan_many([healthy, bad], condition="fibromyalgia", site="whole_body")
    assert error.value.field == "1.age_y"


def test_whole_body_predictions_when_the_engine_has_the_model(healthy: dict[str, Any]) -> None:
    result = plan(healthy, condition="fibromyalgia", site="whole_body", modality="wbc_chamber")
    dose = result.dose
    assert dose is not None and dose.predicted is not None and dose.curves is not None
    assert {curve.measure for curve in dose.curves} == {"skin_mean", "skin_thigh_anterior", "core"}
    assert dose.time_s is not None and len(dose.time_s) == len(dose.curves[0].temp_c)
    if dose.window_s is not None:
        lo, hi = dose.window_s
        assert lo <= hi == dose.exposure_s
        skin = dict(zip(dose.time_s, dose.curves[0].temp_c, strict=True))
        assert skin[lo] <= dosing.ANALGESIA_SKIN_C


PROTOCOL_SITES = [(p.id, p.condition, p.modality, site) for p in protocols() for site in p.sites]


@pytest.mark.parametrize(
    ("protocol_id", "condition", "modality", "site"),
    PROTOCOL_SITES,
    ids=[f"{pid}-{site}" for pid, _, _, site in PROTOCOL_SITES],
)
def test_every_protocol_plans_at_every_site(
    healthy: dict[str, Any], protocol_id: str, condition: str, modality: str, site: str
) -> None:
    """Each protocol of the library yields a dose within its evidence cap at each of its sites."""
    result = plan(healthy, condition=condition, site=site, modality=modality)
    assert result.protocol.id == protocol_id
    assert result.dose is not None
    assert 0.0 <= result.dose.exposure_s <= result.dose.cap_s
    if result.dose.window_s is not None:
        lo, hi = result.dose.window_s
        assert 0.0 <= lo <= hi <= result.dose.cap_s
    if site == "whole_body":
        assert result.dose.exposure_s <= dosing.WHOLE_BODY_CAP_S
    elif not result.dose.personalised:
        assert any("cannot model" in warning for warning in result.warnings)


def test_whole_body_batch_matches_single(healthy: dict[str, Any]) -> None:
    patients = []
    for mass_kg, extra in ((52.0, []), (75.0, ["pregnancy"]), (104.0, ["hypertension"])):
        patient = copy.deepcopy(healthy)
        patient["mass_kg"] = mass_kg
        patient["conditions"] = ["fibromyalgia", *extra]
        patients.append(patient)
    batch = plan_many(patients, condition="fibromyalgia", site="whole_body")
    for patient, planned in zip(patients, batch, strict=True):
        single = plan(patient, condition="fibromyalgia", site="whole_body")
        assert planned.screening == single.screening
        if single.dose is None:
            assert planned.dose is None
            continue
        assert planned.dose is not None and planned.dose.predicted is not None
        assert single.dose.predicted is not None
        assert planned.dose.exposure_s == single.dose.exposure_s
        assert planned.dose.predicted == single.dose.predicted  # per-patient, batch-independent
        assert planned.dose.curves == single.dose.curves


def _recording_engine(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Wrap the real engine and keep every scenario the planner sends it."""
    real = cryotx.physics.simulate
    sent: list[dict[str, Any]] = []

    def recording(scenarios: Any) -> Any:
        sent.extend(copy.deepcopy(list(scenarios)))
        return real(scenarios)

    monkeypatch.setattr(cryotx.physics, "simulate", recording)
    return sent


def test_measured_body_fat_goes_to_the_engine_and_the_rationale(
    healthy: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local: no fat measured at the thigh, so the engine estimates it from the body fat."""
    sent = _recording_engine(monkeypatch)
    patient = copy.deepcopy(healthy)
    patient["conditions"] = ["tendinopathy"]
    patient["body_fat_percent"] = 34.5
    result = plan(patient, condition="tendinopathy", site="thigh_anterior")
    subjects = [s["subject"] for s in sent if s["site"] == "thigh_anterior"]
    # The patient's scenario carries it; the average-patient reference (sex only) does not.
    assert {
        "sex": "female",
        "age_y": 40,
        "height_m": 1.68,
        "mass_kg": 66,
        "body_fat_percent": 34.5,
    } in subjects
    assert all(s.get("body_fat_percent") in (None, 34.5) for s in subjects)
    assert result.dose is not None and result.dose.personalised
    assert any(
        "thigh_anterior: engine's estimate from the measured body fat (34.5 %)" in line
        for line in result.dose.rationale
    )
    sent.clear()
    unmeasured = plan(_thigh(healthy, 12.0), condition="tendinopathy", site="thigh_anterior")
    assert all("body_fat_percent" not in s["subject"] for s in sent)
    assert unmeasured.dose is not None
    assert any("12.0 mm (measured)" in line for line in unmeasured.dose.rationale)


def test_measured_body_fat_changes_the_predicted_cooling(healthy: dict[str, Any]) -> None:
    """More measured body fat, a thicker estimated fat layer: the muscle cools less."""
    drops = []
    for percent in (12.0, 45.0):
        patient = copy.deepcopy(healthy)
        patient["conditions"] = ["tendinopathy"]
        patient["body_fat_percent"] = percent
        result = plan(patient, condition="tendinopathy", site="thigh_anterior")
        assert result.dose is not None and result.dose.curves is not None
        muscle = result.dose.curves[1].temp_c
        drops.append(muscle[0] - min(muscle))
    assert drops[1] < drops[0]


def test_whole_body_plan_sends_measured_body_fat_and_says_so(
    healthy: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _recording_engine(monkeypatch)
    healthy["body_fat_percent"] = 27.0
    result = plan(healthy, condition="fibromyalgia", site="whole_body", modality="wbc_chamber")
    (scenario,) = [s for s in sent if s["site"] == "whole_body"]
    assert scenario["subject"]["body_fat_percent"] == 27.0
    assert result.dose is not None and result.dose.predicted is not None
    assert "body fat: 27.0 % (measured)" in result.dose.rationale
    del healthy["body_fat_percent"]
    estimated = plan(healthy, condition="fibromyalgia", site="whole_body", modality="wbc_chamber")
    assert estimated.dose is not None
    assert any("body fat: engine's estimate" in line for line in estimated.dose.rationale)
