"""Scenario parsing: defaults, lists, and refusals that name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cryotx.errors import InputError
from cryotx.physics import Scenario, parse_scenarios

BASE: dict[str, Any] = {
    "subject": {"sex": "female", "height_m": 1.64, "mass_kg": 71, "fat_mm": {"knee": 11.0}},
    "site": "knee",
    "modality": {"kind": "ice_bag", "barrier": "wet_towel", "mass_kg": 0.8},
    "exposure_s": 1200,
    "follow_up_s": 600,
    "probes": [{"measure": "skin"}, {"measure": "intra_articular"}],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_one_scenario_and_a_list() -> None:
    assert len(parse_scenarios(BASE)) == 1
    many = parse_scenarios([BASE, _with("site", "calf") | {"probes": [{"measure": "skin"}]}])
    assert [s.site for s in many] == ["knee", "calf"]
    assert isinstance(many[0], Scenario)


def test_whole_body_fields_are_accepted() -> None:
    wb = {
        "subject": {"sex": "male"},
        "site": "whole_body",
        "modality": {
            "kind": "wbc_chamber",
            "agent_temp_c": -110,
            "air_speed_m_per_s": 0.5,
            "clothing": ["shorts", "socks"],
            "pre_chamber": {"temp_c": -60, "duration_s": 30},
            "wall_temp_c": -100,
        },
        "exposure_s": 180,
        "probes": [{"measure": "skin", "site": "thigh_anterior"}, {"measure": "skin_mean"}],
    }
    assert parse_scenarios(wb)[0].site == "whole_body"
    water = wb | {
        "modality": {
            "kind": "cold_water",
            "agent_temp_c": 8,
            "stirred": True,
            "immersion_depth": "iliac_crest",
        }
    }
    assert parse_scenarios(water)[0].modality.stirred is True


REFUSALS = [
    ("modality.kind", "plasma", "modality.kind"),
    ("site", "elbowpit", "site"),
    ("exposure_s", -10, "exposure_s"),
    ("follow_up_s", -1, "follow_up_s"),
    ("subject.fat_mm.knee", 80.0, "subject.fat_mm.knee"),
    ("subject.fat_mm.nose", 3.0, "subject.fat_mm.nose"),
    ("subject.body_fat_percent", 1.0, "subject.body_fat_percent"),
    ("subject.body_fat_percent", 85.0, "subject.body_fat_percent"),
    ("subject.sex", "robot", "subject.sex"),
    ("subject.colour", "blue", "subject.colour"),
    ("modality.flavour", "mint", "modality.flavour"),
    ("modality.barrier", "blanket", "modality.barrier"),
    ("probes.0.measure", "brain", "probes.0.measure"),
    ("output_every_s", 0, "output_every_s"),
    ("ambient_c", 80, "ambient_c"),
]


@pytest.mark.parametrize(("path", "value", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(_with(path, value))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("modality", "field"),
    [
        ({"kind": "ln2_vapour", "agent_temp_c": -196.0}, "modality.agent_temp_c"),
        ({"kind": "co2", "agent_temp_c": -79.0}, "modality.agent_temp_c"),
        ({"kind": "ice_bag", "agent_temp_c": 3.0}, "modality.agent_temp_c"),
        ({"kind": "cold_water", "agent_temp_c": 60.0}, "modality.agent_temp_c"),
        ({"kind": "wbc_chamber", "agent_temp_c": -110.0}, "modality.kind"),
        ({"kind": "gel_pack", "mass_kg": -1}, "modality.mass_kg"),
        ({"kind": "cold_air", "fixation": "wrap"}, "modality.fixation"),
        ({"kind": "ice_bag", "fixation": "tape"}, "modality.fixation"),
    ],
    ids=[
        "ln2-below-boiling",
        "co2-below-sublimation",
        "warm-ice",
        "hot-water",
        "chamber-local",
        "negative-mass",
        "wrap-on-a-jet",
        "unknown-fixation",
    ],
)
def test_physically_impossible_agents_are_refused(modality: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"modality": modality})
    assert info.value.field == field


def test_boiling_nitrogen_itself_is_allowed() -> None:
    parse_scenarios(BASE | {"modality": {"kind": "ln2_vapour", "agent_temp_c": -195.8}})
    parse_scenarios(BASE | {"modality": {"kind": "co2", "agent_temp_c": -78.5}})


def test_applications_replace_exposure_and_must_not_overlap() -> None:
    apps = [{"start_s": 0, "duration_s": 600}, {"start_s": 3600, "duration_s": 600}]
    data = {k: v for k, v in BASE.items() if k != "exposure_s"} | {"applications": apps}
    assert parse_scenarios(data)[0].schedule == [(0, 600), (3600, 4200)]
    with pytest.raises(InputError) as info:
        parse_scenarios(data | {"applications": [apps[0], {"start_s": 300, "duration_s": 60}]})
    assert info.value.field == "applications.1.start_s"
    with pytest.raises(InputError) as info:
        parse_scenarios(data | {"exposure_s": 60})
    assert info.value.field == "applications"
    with pytest.raises(InputError) as info:
        parse_scenarios({k: v for k, v in BASE.items() if k != "exposure_s"})
    assert info.value.field == "exposure_s"


def test_list_errors_carry_the_index() -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios([BASE, _with("modality.kind", "plasma")])
    assert info.value.field == "1.modality.kind"


def test_intra_articular_only_at_the_knee() -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(_with("site", "calf"))
    assert info.value.field == "probes.1.measure"


def test_mean_skin_weighting_only_for_skin_mean_on_the_whole_body() -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"probes": [{"measure": "skin", "weighting": "ramanathan_4"}]})
    assert info.value.field == "probes.0.weighting"
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"probes": [{"measure": "skin_mean", "weighting": "ramanathan_4"}]})
    assert info.value.field == "probes.0.weighting"
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"probes": [{"measure": "skin_mean", "weighting": "dubois_3"}]})
    assert info.value.field.startswith("probes.0.weighting")


def test_intramuscular_needs_a_depth() -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"probes": [{"measure": "intramuscular"}]})
    assert info.value.field == "probes.0.depth_mm"


@pytest.mark.parametrize(
    ("probe", "field"),
    [
        ({"measure": "skin", "depth_mm": 2.0}, "probes.0.depth_mm"),  # below the 1.5 mm skin
        ({"measure": "subcutaneous", "depth_mm": 3.0}, "probes.0.depth_mm"),
        ({"measure": "core", "depth_mm": 10.0}, "probes.0.depth_mm"),
        ({"measure": "skin", "depth_mm": 0.5, "below": "fat"}, "probes.0.below"),
    ],
)
def test_a_depth_is_refused_where_it_would_be_ignored(probe: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_scenarios(BASE | {"probes": [probe]})
    assert info.value.field == field


def test_an_intracutaneous_skin_probe_is_accepted_locally_not_on_the_whole_body() -> None:
    (scenario,) = parse_scenarios(BASE | {"probes": [{"measure": "skin", "depth_mm": 0.5}]})
    assert scenario.probes[0].depth_mm == 0.5
    whole_body = copy.deepcopy(BASE) | {
        "site": "whole_body",
        "modality": {"kind": "wbc_chamber", "agent_temp_c": -110.0},
        "exposure_s": 180,
        "probes": [{"measure": "skin", "depth_mm": 0.5}],
    }
    with pytest.raises(InputError) as info:
        parse_scenarios(whole_body)
    assert info.value.field == "probes.0.depth_mm"
