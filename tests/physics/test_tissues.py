"""Tissue table, fat estimate, geometry, public API and the citation keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cryotx.physics as physics
from cryotx.errors import InputError
from cryotx.physics import simulate, tissues

ROOT = Path(__file__).resolve().parents[2]


def test_every_tissue_has_a_source_and_sane_values() -> None:
    for tissue in tissues.TISSUES.values():
        assert tissue.source
        assert 800 < tissue.density_kg_per_m3 < 2100
        assert 1000 < tissue.specific_heat_j_per_kg_k < 4200
        assert 0.1 < tissue.conductivity_w_per_m_k < 1.2  # muscle: effective, x2
        assert 0.0 <= tissue.perfusion_per_s < 0.01


def test_deurenberg_example() -> None:
    # BMI 24, 40 y, man: 1.2*24 + 0.23*40 - 10.8 - 5.4 = 21.8 %  [Deurenberg1991]
    height = 1.75
    value = tissues.body_fat_percent(sex="male", age_y=40, height_m=height, mass_kg=24 * height**2)
    assert value == pytest.approx(21.8)


def test_fat_estimate_grows_with_mass_and_is_larger_in_women() -> None:
    lean = tissues.estimated_fat_m(sex="male", age_y=30, height_m=1.8, mass_kg=65)
    heavy = tissues.estimated_fat_m(sex="male", age_y=30, height_m=1.8, mass_kg=100)
    woman = tissues.estimated_fat_m(sex="female", age_y=30, height_m=1.8, mass_kg=65)
    assert 1e-3 < lean < heavy < 40e-3
    assert woman > lean


def test_measured_body_fat_replaces_the_bmi_estimate() -> None:
    """A measured 30 % in a 1.80 m, 80 kg man: 0.8 x 24 kg of fat at 900 kg/m³ over the
    DuBois area (the estimate would use Deurenberg's 19.4 %)."""
    area = tissues.body_surface_area_m2(height_m=1.8, mass_kg=80.0)
    expected = 0.8 * 0.30 * 80.0 / 900.0 / area
    measured = tissues.estimated_fat_m(
        sex="male", age_y=30, height_m=1.8, mass_kg=80.0, measured_percent=30.0
    )
    estimated = tissues.estimated_fat_m(sex="male", age_y=30, height_m=1.8, mass_kg=80.0)
    assert measured == pytest.approx(expected, rel=1e-12)
    assert estimated < measured
    assert tissues.fat_fraction(
        sex="female", age_y=30, height_m=1.6, mass_kg=60.0, measured_percent=25.0
    ) == pytest.approx(0.25)
    # a measured value is taken as it is: the 3-60 % clip is the BMI regression's range
    assert tissues.fat_fraction(
        sex="male", age_y=25, height_m=1.8, mass_kg=70.0, measured_percent=2.0
    ) == pytest.approx(0.02)


def test_measured_body_fat_slows_local_muscle_cooling() -> None:
    """Same person, more measured fat: a thicker layer over the thigh, so the muscle 1 cm
    under it cools less under the same ice bag."""
    base = {
        "site": "thigh_anterior",
        "modality": {"kind": "ice_bag"},
        "exposure_s": 1200,
        "follow_up_s": 0,
        "probes": [{"measure": "intramuscular", "depth_mm": 10, "below": "fat"}],
        "output_every_s": 60,
    }
    subject = {"sex": "male", "age_y": 30, "height_m": 1.8, "mass_kg": 80}
    lean, fat = simulate(
        [
            {**base, "subject": {**subject, "body_fat_percent": 10.0}},
            {**base, "subject": {**subject, "body_fat_percent": 35.0}},
        ]
    )
    drop_lean = lean.probes[0].temp_c[0] - lean.probes[0].temp_c[-1]
    drop_fat = fat.probes[0].temp_c[0] - fat.probes[0].temp_c[-1]
    assert drop_fat < drop_lean


def test_skinfold_is_a_double_layer() -> None:
    assert tissues.fat_from_skinfold_m(20.0) == pytest.approx(10e-3 - tissues.SKIN_THICKNESS_M)


def test_every_site_has_geometry_and_a_source() -> None:
    for site in (
        "knee",
        "ankle",
        "thigh_anterior",
        "calf",
        "lumbar",
        "shoulder",
        "elbow",
        "wrist",
        "hand",
    ):
        geometry = tissues.SITE_GEOMETRY[site]
        assert geometry.source and geometry.lean_depth_m > 0.01


def test_public_api_is_exported() -> None:
    public = {name for name in dir(physics) if not name.startswith("_")}
    assert set(physics.__all__) <= public
    for name in (
        "Scenario",
        "Subject",
        "Modality",
        "Probe",
        "Application",
        "parse_scenarios",
        "simulate",
        "SimulationResult",
        "ProbeTrace",
        "tissues",
    ):
        assert name in physics.__all__


def test_whole_body_goes_to_the_whole_body_engine_or_is_refused() -> None:
    scenario = {
        "subject": {"sex": "male"},
        "site": "whole_body",
        "modality": {"kind": "wbc_chamber", "agent_temp_c": -110},
        "exposure_s": 180,
        "probes": [{"measure": "skin_mean"}],
    }
    try:
        results = simulate([scenario])
    except InputError as error:
        assert error.field == "site"
    else:
        assert len(results) == 1 and results[0].probes


def test_every_cited_key_is_in_references() -> None:
    listed = set(
        re.findall(r"^\.\. \[([^\]]+)\]", (ROOT / "docs" / "references.rst").read_text(), re.M)
    )
    cited: set[str] = set()
    for path in (ROOT / "src" / "cryotx" / "physics").glob("*.py"):
        cited |= set(
            re.findall(r"\[([A-Za-z][A-Za-z]+[0-9]{4}[a-z]?|NHSfrostbite)\]", path.read_text())
        )
    assert cited - listed == set()
