"""The physics commands through Typer's CliRunner: simulate (table, --json, --plot), validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cryotx.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knee_ice_bag.json"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_simulate_json_single(runner: CliRunner) -> None:
    result = runner.invoke(app, ["simulate", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"time_s", "probes", "metrics", "warnings"}
    assert payload["time_s"][0] == 0 and payload["time_s"][1] == 30
    assert [p["measure"] for p in payload["probes"]] == [
        "skin",
        "subcutaneous",
        "intramuscular",
        "intra_articular",
        "core",
    ]
    assert all(len(p["temp_c"]) == len(payload["time_s"]) for p in payload["probes"])
    for key in ("skin_min_c", "time_to_analgesia_s", "frozen_depth_mm", "deep_drop_c"):
        assert key in payload["metrics"]


def test_simulate_json_list_keeps_order(runner: CliRunner, tmp_path: Path) -> None:
    one = json.loads(EXAMPLE.read_text())
    other = one | {"site": "calf", "probes": [{"measure": "skin"}], "subject": {"sex": "male"}}
    source = tmp_path / "two.json"
    source.write_text(json.dumps([one, other]))
    result = runner.invoke(app, ["simulate", str(source), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert isinstance(payload, list) and len(payload) == 2
    assert len(payload[0]["probes"]) == 5 and len(payload[1]["probes"]) == 1


def test_simulate_table_and_plot(runner: CliRunner, tmp_path: Path) -> None:
    png = tmp_path / "out" / "knee.png"
    result = runner.invoke(app, ["simulate", str(EXAMPLE), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "skin_min_c" in result.stdout and "intra_articular" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_marks_the_thresholds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import matplotlib.axes

    lines: list[float] = []
    original = matplotlib.axes.Axes.axhline

    def spy(self, y=0, *args, **kwargs):  # type: ignore[no-untyped-def]
        lines.append(y)
        return original(self, y, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "axhline", spy)
    result = CliRunner().invoke(app, ["simulate", str(EXAMPLE), "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 0, result.output
    assert 13.6 in lines and 10.0 in lines


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"modality": {"kind": "ln2_vapour", "agent_temp_c": -200}}, "modality.agent_temp_c"),
        ({"site": "nose"}, "site"),
        ({"exposure_s": -5}, "exposure_s"),
        ({"subject": {"sex": "female", "fat_mm": {"knee": 90}}}, "subject.fat_mm.knee"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=[
        "ln2-too-cold",
        "unknown-site",
        "negative-exposure",
        "fat-thicker-than-limb",
        "unknown-field",
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, change: dict, field: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(json.loads(EXAMPLE.read_text()) | change))
    png = tmp_path / "never.png"
    result = runner.invoke(app, ["simulate", str(source), "--json", "--plot", str(png)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:")
    assert result.stdout == ""
    assert not png.exists()


def test_malformed_json_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text("{not json")
    result = runner.invoke(app, ["simulate", str(source)])
    assert result.exit_code == 2


def test_validate_json_and_missing_data_dir(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"rows", "studies", "targets"} <= set(report)
    missing = runner.invoke(app, ["validate", "--data", str(tmp_path)])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: data:")
