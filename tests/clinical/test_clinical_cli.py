"""The clinical commands through Typer's CliRunner: JSON contracts and refusals (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cryotx.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples" / "patients"
runner = CliRunner()


def _write(tmp_path: Path, patient: Any) -> str:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient))
    return str(path)


def test_vocab_json() -> None:
    result = runner.invoke(app, ["vocab", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    codes = {entry["code"]: entry for entry in data["codes"]}
    assert codes["raynaud"]["kind"] == "condition"
    assert data["version"]


def test_vocab_table_by_kind() -> None:
    result = runner.invoke(app, ["vocab", "--kind", "event"])
    assert result.exit_code == 0
    assert "myocardial_infarction" in result.stdout


def test_vocab_bad_kind() -> None:
    result = runner.invoke(app, ["vocab", "--kind", "colour"])
    assert result.exit_code == 2
    assert "--kind" in result.stderr


def test_screen_json_contract() -> None:
    path = str(EXAMPLES / "knee_oa_hypertension.json")
    result = runner.invoke(app, ["screen", path, "--modality", "wbc_chamber", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["decision"] == "excluded"
    for reason in data["reasons"]:
        assert {"code", "severity", "message", "source"} <= set(reason)


def test_screen_text(healthy: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, healthy)
    result = runner.invoke(app, ["screen", path, "--modality", "ice_bag", "--site", "knee"])
    assert result.exit_code == 0
    assert "eligible_with_precautions" in result.stdout


def test_plan_json_contract() -> None:
    path = str(EXAMPLES / "fibromyalgia_first_session.json")
    args = ["plan", path, "--condition", "fibromyalgia", "--site", "whole_body", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["screening"]["decision"] == "eligible"
    assert data["protocol"]["modality"] == "wbc_chamber"
    assert data["dose"]["exposure_s"] == 120.0


def test_plan_excluded_has_null_dose() -> None:
    path = str(EXAMPLES / "raynaud_back_pain.json")
    args = ["plan", path, "--condition", "low_back_pain", "--site", "lumbar", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dose"] is None
    assert data["screening"]["decision"] == "excluded"


def test_plan_text(healthy: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, healthy)
    args = ["plan", path, "--condition", "knee_osteoarthritis", "--site", "knee"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "Protocol:" in result.stdout


@pytest.mark.parametrize(
    ("change", "args", "field"),
    [
        ({"vitals": {"systolic_mmhg": 80, "diastolic_mmhg": 95}}, [], "vitals.diastolic_mmhg"),
        ({"age_y": -3}, [], "age_y"),
        ({"conditions": ["frostnip"]}, [], "conditions.0"),
        ({}, ["--modality", "laser"], "modality"),
        ({}, ["--site", "whole_body"], "site"),
    ],
)
def test_screen_refusals(
    healthy: dict[str, Any], tmp_path: Path, change: dict[str, Any], args: list[str], field: str
) -> None:
    healthy.update(change)
    path = _write(tmp_path, healthy)
    base = ["screen", path, "--json"]
    if "--modality" not in args:
        base += ["--modality", "ice_bag"]
    result = runner.invoke(app, base + args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {field}:")
    assert result.stdout == ""


def test_plan_refuses_unknown_condition(healthy: dict[str, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, healthy)
    args = ["plan", path, "--condition", "gout", "--site", "knee", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: condition:")


def test_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["screen", str(path), "--modality", "ice_bag"])
    assert result.exit_code == 2
    assert "malformed JSON" in result.stderr


def test_on_overrides_the_assessment_date() -> None:
    """The MI of the example is 171 days old on assessed_on, over 6 months by 2027-03-01."""
    path = str(EXAMPLES / "knee_oa_hypertension.json")
    base = ["screen", path, "--modality", "wbc_chamber", "--json"]
    assert json.loads(runner.invoke(app, base).stdout)["decision"] == "excluded"
    later = runner.invoke(app, [*base, "--on", "2027-03-01"])
    assert later.exit_code == 0
    assert json.loads(later.stdout)["decision"] == "refer"


def test_bad_on_date() -> None:
    path = str(EXAMPLES / "knee_oa_hypertension.json")
    args = ["plan", path, "--condition", "knee_osteoarthritis", "--site", "knee", "--on", "soon"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --on:")


def test_thigh_examples_differ_by_fat() -> None:
    """The two example patients differ only in thigh fat (5 vs 25 mm); so do their plans."""
    exposures = []
    for fat_mm in (5, 25):
        path = str(EXAMPLES / f"thigh_tendinopathy_fat_{fat_mm}mm.json")
        args = ["plan", path, "--condition", "tendinopathy", "--site", "thigh_anterior", "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        exposures.append(data["dose"]["exposure_s"])
        warned = any("cannot be reached safely" in w for w in data["warnings"])
    assert exposures[1] > exposures[0] or warned
