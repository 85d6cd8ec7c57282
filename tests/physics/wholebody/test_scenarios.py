"""Whole-body scenarios through the public API and the CLI: results, metrics, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from cryotx.cli import app
from cryotx.errors import InputError
from cryotx.physics import SimulationResult, simulate

from .conftest import wbc_scenario


def test_simulate_routes_whole_body_and_reports_metrics() -> None:
    """A WBC scenario gives probe traces of the requested sites and the whole-body metrics."""
    scenario = wbc_scenario()
    scenario["probes"] += [
        {"measure": "skin_mean"},
        {"measure": "intramuscular", "depth_mm": 20, "site": "thigh_anterior"},
        {"measure": "skin", "site": "hand"},
    ]
    (result,) = simulate([scenario])
    assert isinstance(result, SimulationResult)
    assert result.time_s[0] == 0.0 and result.time_s[-1] == 480.0
    thigh, core, mean, muscle, hand = (p.temp_c for p in result.probes)
    assert thigh.min() < thigh[0] - 5.0  # skin cools in the chamber...
    assert muscle.min() > thigh.min() + 10.0  # ...much more than muscle at 2 cm
    assert abs(core[-1] - core[0]) < 0.5
    metrics = result.to_dict()["metrics"]
    for name in (
        "skin_mean_min_c",
        "core_drop_c",
        "frozen_depth_mm",
        "time_to_rewarm_s",
        "skin_min_c",
    ):
        assert name in metrics
    assert metrics["skin_mean_min_c"] == pytest.approx(float(mean.min()), abs=1e-3)
    assert metrics["coldest_skin_site"] in ("hand", "forearm", "upper_arm", "knee", "leg", "neck")
    assert metrics["frozen_depth_mm"] == 0.0
    assert np.all(hand > 0.0)


def test_partial_body_cabin_keeps_the_head_warm() -> None:
    """In a cryosauna the head stays in room air; in a walk-in chamber it does not."""
    probes = [{"measure": "skin", "site": "head"}, {"measure": "skin", "site": "chest"}]
    wbc = {**wbc_scenario(agent_temp_c=-140.0), "probes": probes}
    pbc = {**wbc_scenario(), "probes": probes}
    pbc["modality"] = {"kind": "pbc_cryosauna", "agent_temp_c": -140.0}
    r_wbc, r_pbc = simulate([wbc, pbc])
    head_wbc, head_pbc = r_wbc.probes[0].temp_c, r_pbc.probes[0].temp_c
    assert head_pbc.min() > head_wbc.min() + 5.0
    assert r_pbc.probes[1].temp_c.min() < r_pbc.probes[1].temp_c[0] - 5.0


def test_deeper_immersion_cools_the_core_more() -> None:
    """Cold water to the neck removes more heat than to the hip."""
    base = wbc_scenario()
    base["exposure_s"] = 600
    base["follow_up_s"] = 1800
    hip = {
        **base,
        "modality": {"kind": "cold_water", "agent_temp_c": 10.0, "immersion_depth": "hip"},
    }
    neck = {
        **base,
        "modality": {"kind": "cold_water", "agent_temp_c": 10.0, "immersion_depth": "neck"},
    }
    r_hip, r_neck = simulate([hip, neck])
    assert r_neck.metrics["core_drop_c"] > r_hip.metrics["core_drop_c"]
    chest_hip = r_hip.probes[0].temp_c  # thigh skin: under water in both
    assert chest_hip.min() < 15.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agent_temp_c": -200.0}, "modality.agent_temp_c"),
        ({"clothing": ["shorts", "fur_coat"]}, "modality.clothing.1"),
        ({"pre_chamber": {"temp_c": -199.0, "duration_s": 30}}, "modality.pre_chamber.temp_c"),
    ],
)
def test_refusals_name_the_field(change: dict[str, Any], field: str) -> None:
    """Colder than boiling nitrogen, or unknown gear: InputError naming the field."""
    with pytest.raises(InputError) as info:
        simulate(wbc_scenario(**change))
    assert info.value.field == field


def test_exposure_beyond_the_limit_needs_the_override() -> None:
    """WBC/PBC longer than 3 min are refused unless allow_long_exposure is set."""
    long = wbc_scenario()
    long["exposure_s"] = 240
    with pytest.raises(InputError) as info:
        simulate(long)
    assert info.value.field == "exposure_s"
    assert "allow_long_exposure" in info.value.message
    long["modality"]["allow_long_exposure"] = True
    (result,) = simulate(long)
    assert any("3-minute" in w for w in result.warnings)


def test_unknown_immersion_depth_and_joint_probe_are_refused() -> None:
    water = wbc_scenario()
    water["modality"] = {"kind": "cold_water", "agent_temp_c": 8.0, "immersion_depth": "chin"}
    with pytest.raises(InputError) as info:
        simulate(water)
    assert info.value.field == "modality.immersion_depth"
    joint = wbc_scenario()
    joint["probes"] = [{"measure": "intra_articular"}]
    with pytest.raises(InputError) as info:
        simulate(joint)
    assert info.value.field == "probes.0.measure"


def test_measured_body_fat_sizes_the_body() -> None:
    """``subject.body_fat_percent`` replaces the BMI estimate: the fat layer scales with
    it (0.8 of the fat mass under the skin), the body gets less dense and so larger, and
    in cold water the leaner body's core falls faster."""
    from cryotx.physics import parse_scenarios
    from cryotx.physics.wholebody.body import build_bodies
    from cryotx.physics.wholebody.simulation import build_protocol

    def scenario(percent: float) -> dict[str, Any]:
        base = wbc_scenario()
        base["subject"] = {**base["subject"], "body_fat_percent": percent}
        base["modality"] = {"kind": "cold_water", "agent_temp_c": 10.0, "immersion_depth": "neck"}
        base["exposure_s"], base["follow_up_s"] = 900, 0
        return base

    specs = [build_protocol(s)[0].body for s in parse_scenarios([scenario(10.0), scenario(30.0)])]
    assert [s.fat_percent for s in specs] == [10.0, 30.0]
    bodies = build_bodies(specs)
    np.testing.assert_allclose(bodies.fat_m[1] / bodies.fat_m[0], 3.0, rtol=1e-9)
    assert np.all(bodies.outer_radius_m[1] > bodies.outer_radius_m[0])
    r_lean, r_fat = simulate([scenario(10.0), scenario(30.0)])
    assert r_lean.metrics["core_drop_c"] > r_fat.metrics["core_drop_c"]


def test_time_step_beyond_the_stable_limit_is_refused() -> None:
    with pytest.raises(InputError) as info:
        simulate(wbc_scenario(), dt_s=60.0)
    assert info.value.field == "dt_s"


def test_cli_simulates_and_refuses(tmp_path: Path) -> None:
    """`cryotx simulate` prints the Result JSON, and exits 2 naming the field on refusal."""
    good = tmp_path / "wbc.json"
    good.write_text(json.dumps(wbc_scenario()), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(app, ["simulate", str(good), "--json"])
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["metrics"]["coldest_skin_site"]
    bad = tmp_path / "cold.json"
    bad.write_text(json.dumps(wbc_scenario(agent_temp_c=-250.0)), encoding="utf-8")
    refused = runner.invoke(app, ["simulate", str(bad)])
    assert refused.exit_code == 2
    assert "agent_temp_c" in refused.stderr


def test_repeated_sessions_each_cool_the_skin() -> None:
    """Two 2-min chamber sessions 20 min apart (applications): two skin minima."""
    scenario = wbc_scenario()
    del scenario["exposure_s"]
    scenario["applications"] = [
        {"start_s": 0, "duration_s": 120},
        {"start_s": 1320, "duration_s": 120},
    ]
    scenario["follow_up_s"] = 600
    (result,) = simulate(scenario)
    thigh = result.probes[0].temp_c
    time_s = result.time_s
    first = thigh[(time_s > 0) & (time_s <= 120)].min()
    between = thigh[(time_s > 900) & (time_s < 1290)].max()
    second = thigh[(time_s > 1320) & (time_s <= 1440)].min()
    assert first < between - 5.0 and second < between - 5.0


def test_impossible_fat_and_probe_depth_are_refused() -> None:
    fat = wbc_scenario()
    fat["subject"]["fat_mm"] = {"hand": 30.0}
    with pytest.raises(InputError) as info:
        simulate(fat)
    assert info.value.field == "subject.fat_mm" and "hand" in info.value.message
    deep = wbc_scenario()
    deep["probes"] = [{"measure": "intramuscular", "depth_mm": 150, "site": "calf"}]
    with pytest.raises(InputError) as info:
        simulate(deep)
    assert info.value.field == "probes.0.depth_mm"


def test_four_site_mean_skin_weighs_chest_arm_thigh_and_calf() -> None:
    """``weighting: ramanathan_4`` is 0.3 chest + 0.3 upper arm + 0.2 thigh + 0.2 calf."""
    scenario = wbc_scenario()
    scenario["probes"] = [
        {"measure": "skin_mean", "weighting": "ramanathan_4"},
        {"measure": "skin_mean"},
        {"measure": "skin", "site": "chest"},
        {"measure": "skin", "site": "upper_arm"},
        {"measure": "skin", "site": "thigh_anterior"},
        {"measure": "skin", "site": "calf"},
    ]
    (result,) = simulate([scenario])
    four, seven, chest, arm, thigh, calf = (p.temp_c for p in result.probes)
    expected = 0.3 * chest + 0.3 * arm + 0.2 * thigh + 0.2 * calf
    np.testing.assert_allclose(four, expected, rtol=0, atol=1e-9)
    # the 7-region mean includes the gloved hands and socked feet: a different number
    assert np.max(np.abs(four - seven)) > 0.1
