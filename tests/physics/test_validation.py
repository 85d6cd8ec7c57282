"""The issue-2 validation targets, computed by the validator over the packaged literature.

Targets the engine misses today are marked xfail (strict): the miss is visible in the
test report and in docs/validation.md, and a fix that meets the target makes the test
fail until the marker is removed.
"""

from __future__ import annotations

import csv
from typing import Any

import pytest

from cryotx.data import data_path
from cryotx.physics.validation import TARGETS, render_markdown, run_validation


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run_validation()


def test_every_row_is_simulated_or_skipped_with_a_reason(report: dict[str, Any]) -> None:
    with data_path("literature/measurements.csv").open(newline="", encoding="utf-8") as handle:
        n_rows = sum(1 for _ in csv.DictReader(handle))
    assert len(report["rows"]) == n_rows
    for row in report["rows"]:
        assert (row.get("skipped")) or "predicted_c" in row
    reasons = {row.get("skipped") for row in report["rows"]}
    assert "nadir without its time" in reasons
    assert any(r and "post-operative" in r for r in reasons)


def test_skin_rmse_over_absolute_rows(report: dict[str, Any]) -> None:
    target = report["targets"]["skin_abs_rmse_c"]
    assert target["n"] >= 20
    assert target["value"] <= TARGETS["skin_abs_rmse_c"]


def test_share_of_rows_within_study_sd(report: dict[str, Any]) -> None:
    assert report["targets"]["within_sd_frac"]["value"] >= TARGETS["within_sd_frac"]


@pytest.mark.xfail(
    strict=True,
    reason="missed: MAE 2.71 °C over 12 rows; Belitsky 1987's three calf rows carry 17.4 of "
    "the 32.5 °C summed error (docs/validation.md)",
)
def test_skin_change_mae(report: dict[str, Any]) -> None:
    assert report["targets"]["skin_change_mae_c"]["value"] <= TARGETS["skin_change_mae_c"]


def test_intramuscular_change_mae(report: dict[str, Any]) -> None:
    assert report["targets"]["im_change_mae_c"]["value"] <= TARGETS["im_change_mae_c"]


def test_myrer2001_fat_effect_in_order(report: dict[str, Any]) -> None:
    assert report["targets"]["myrer2001_fat_effect"]["in_order"]


@pytest.mark.xfail(
    strict=True,
    reason="missed: drops 10.0/6.4/3.7 vs 14.4/9.1/5.0 °C measured (about 0.7x in every "
    "group), spread 6.3 vs 9.4 °C (docs/physics.md)",
)
def test_myrer2001_fat_effect_size(report: dict[str, Any]) -> None:
    assert report["targets"]["myrer2001_fat_effect"]["passed"]


def test_markdown_lists_every_target(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    for name in (
        "skin_abs_rmse_c",
        "within_sd_frac",
        "skin_change_mae_c",
        "im_change_mae_c",
        "myrer2001",
    ):
        assert name in text
