"""Whole-body rows of the literature table in `cryotx validate`, against the issue's targets.

Targets (issue 3): skin within 2.5 °C RMSE, core within 0.3 °C.  Rows are those of
``protocols_whole_body.json``; no constant of the model was fitted to any of them.
Targets the model does not meet are strict xfails that say why (docs/whole_body.md).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from cryotx.physics.validation import run_validation

STUDIES = (
    "costello2012",
    "mawhinney2013",
    "mawhinney2017_ejss",
    "mawhinney2017_msse",
    "wbc_vs_pbc_4men",
    "gagnon2010_cwi2c",
)
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
    reason="exercise-heated start: post-exercise muscle hyperaemia is not modelled, so the "
    "hyperthermic core cools about 3x too slowly in 2 °C water (docs/whole_body.md)",
)
def test_hyperthermic_core_cooling_within_target(rows: list[dict[str, Any]]) -> None:
    core = [r for r in rows if r["study_id"] == "gagnon2010_cwi2c"]
    assert all(abs(r["error_c"]) <= 0.3 for r in core), core


@pytest.mark.xfail(
    strict=True,
    reason="skin after cold air/water is predicted 6-12 °C colder than measured; the measured "
    "values imply surface coefficients or measurement delays the papers do not report "
    "(docs/whole_body.md); JOS-3 errs further in the same direction",
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
