"""Whole-body rows of the literature table in `cryotx validate`, against the issue's targets.

Targets (issue 3): skin within 2.5 °C RMSE, core within 0.3 °C.  Rows are those of
``protocols_whole_body.json``; no constant of the model was fitted to any of them.
Targets the model does not meet are strict xfails that say why (docs/whole_body.md).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from cryotx.data import load_csv, load_json
from cryotx.physics import validation as val
from cryotx.physics.validation import run_validation

STUDIES = (
    "costello2012",
    "mawhinney2013",
    "mawhinney2017_ejss",
    "mawhinney2017_msse",
    "wbc_vs_pbc_4men",
    "gagnon2010_cwi2c",
    "hammond2014",
    "cuttell2017",
    "costello2014_knee",
)
BY_SEX = ("hammond2014", "cuttell2017")  # one arm per sex, chosen by the row's notes
LOW_CONFIDENCE = ("wbc_vs_pbc_4men",)  # the data README flags it: labels may be swapped


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    report = run_validation()
    return [r for r in report["rows"] if r["study_id"] in STUDIES]


def _rmse(errors: list[float]) -> float:
    return math.sqrt(sum(e * e for e in errors) / len(errors))


def test_every_whole_body_row_is_simulated(rows: list[dict[str, Any]]) -> None:
    assert {r["study_id"] for r in rows} == set(STUDIES)
    skipped = [r for r in rows if "skipped" in r]
    assert not skipped, skipped
    assert all(r["whole_body"] for r in rows)


def test_core_after_chamber_and_cold_water_within_target(rows: list[dict[str, Any]]) -> None:
    """Rectal change 60 min after WBC and after CWI (Costello 2012) within 0.3 °C."""
    core = [r for r in rows if r["measure"] == "core" and r["study_id"] == "costello2012"]
    assert len(core) == 2
    assert all(abs(r["error_c"]) <= 0.3 for r in core), core


@pytest.mark.xfail(
    strict=True,
    reason="hyperthermic core in 2 °C water: errors +0.52/+0.50 °C at 528/996 s, converged in "
    "the time step (JOS-3 with the same steps and body fat +0.73/+1.02); the study's own "
    "body fat (17.1 %) is used; the earlier +0.31/+0.50 were taken at a uniform 10 s step "
    "whose first step in the bath kept the hot state's skin flow (about 0.3 °C too "
    "favourable); the bath was left at a rectal criterion (time SD 2.6/5.7 min = 0.27/0.69 "
    "°C); a limb blood flow that follows muscle temperature and post-exercise hyperaemia are "
    "not modelled (docs/whole_body.md)",
)
def test_hyperthermic_core_cooling_within_target(rows: list[dict[str, Any]]) -> None:
    core = [r for r in rows if r["study_id"] == "gagnon2010_cwi2c"]
    assert all(abs(r["error_c"]) <= 0.3 for r in core), core


@pytest.mark.xfail(
    strict=True,
    reason="skin RMSE 4.2 °C over 14 rows of 4 studies without wbc_vs_pbc_4men (5.9 °C with "
    "it): bare arm, calf and knee skin after WBC are 2.4-6.3 °C too cold and CWI skin "
    "4.5-7.7 °C too cold; mean skin is read with the studies' own 4 sites (Ramanathan) and is "
    "0.5-4.0 °C too cold; in the chamber (0.4 m/s) the limbs' forced coefficients are at or "
    "below the manikin values of Ichihara 1997, so convection does not explain it; the thigh "
    "looks close only because the shorts' insulation is spread over the whole thigh; only an "
    "unreported ~150 s thermography delay (fitted, not adopted) would close it "
    "(docs/whole_body.md)",
)
def test_skin_rmse_within_target(rows: list[dict[str, Any]]) -> None:
    skin = [
        r["error_c"] for r in rows if r["measure"] == "skin" and r["study_id"] not in LOW_CONFIDENCE
    ]
    assert _rmse(skin) <= 2.5


def test_muscle_change_after_wbc_and_cwi_within_study_spread(rows: list[dict[str, Any]]) -> None:
    """Thigh muscle 60 min after (Costello 2012): within twice the study SD at 1-3 cm."""
    muscle = [
        r for r in rows if r["study_id"] == "costello2012" and r["measure"] == "intramuscular"
    ]
    assert len(muscle) == 6
    assert all(abs(r["error_c"]) <= 2 * r["sd_c"] for r in muscle), muscle


def test_skin_reading_method_and_delay_carry_their_source() -> None:
    """Every whole-body study read by thermography says where that (and any delay) comes from.

    A stated delay counts from the row's ``time_s``; wbc_vs_pbc_4men states "post 10 s",
    which its rows already hold (time_s = exposure + 10), so its delay after time_s is 0.
    """
    studies = load_json("literature/protocols_whole_body.json")["studies"]
    flagged = {k: v for k, v in studies.items() if v.get("thermography")}
    assert {"costello2012", "wbc_vs_pbc_4men", "hammond2014", "cuttell2017"} <= set(flagged)
    assert "costello2014_knee" in flagged
    for study in flagged.values():
        assert len(study.get("skin_reading_source", "")) > 40
        delay = study.get("skin_reading_delay_s")
        assert delay is None or (isinstance(delay, float) and delay >= 0.0)
    rows = [
        r for r in load_csv("literature/measurements.csv") if r["study_id"] == "wbc_vs_pbc_4men"
    ]
    assert rows
    assert all(float(r["time_s"]) - float(r["exposure_s"]) == 10.0 for r in rows)
    assert "post 10 s" in flagged["wbc_vs_pbc_4men"]["skin_reading_source"]
    assert flagged["wbc_vs_pbc_4men"]["skin_reading_delay_s"] == 0.0


def test_rows_reported_by_sex_are_simulated_with_that_sex() -> None:
    """Hammond 2014 and Cuttell 2017 report females and males apart: each row, its own arm."""
    studies = load_json("literature/protocols_whole_body.json")["studies"]
    rows = [r for r in load_csv("literature/measurements.csv") if r["study_id"] in BY_SEX]
    assert len(rows) == 10
    for row in rows:
        arms = [
            arm for arm in studies[row["study_id"]]["arms"] if arm["match"]["notes"] in row["notes"]
        ]
        assert len(arms) == 1, row["notes"]
        sex = arms[0]["subject"]["sex"]
        assert row["subjects"].startswith(f"sex: {sex};")
        assert f"for {sex}s" in row["notes"]


def test_a_mixed_groups_body_fat_keeps_the_sexes_difference() -> None:
    """Gagnon 2010 reports 17.1 % body fat for 6 men and 4 women together.  Each sex keeps
    Deurenberg's 10.8-point difference and the weighted mean is the reported value."""
    subject = {"age_y": 22.0, "height_m": 1.72, "mass_kg": 67.8, "body_fat_percent": 17.1}
    fat = val._group_fat_by_sex(subject, {"male": 6, "female": 4})
    assert fat["female"] - fat["male"] == pytest.approx(10.8, abs=0.011)
    assert (6 * fat["male"] + 4 * fat["female"]) / 10 == pytest.approx(17.1, abs=0.011)
    assert (
        val._group_fat_by_sex(
            {k: v for k, v in subject.items() if k != "body_fat_percent"}, {"male": 1, "female": 1}
        )
        == {}
    )
    rows, protocols = val._load(None)
    row = next(r for r in rows if r["study_id"] == "gagnon2010_cwi2c")
    scenarios, _, reason = val._plan(row, protocols)
    assert reason is None
    assert {s["subject"]["sex"]: s["subject"]["body_fat_percent"] for s, _ in scenarios} == fat
