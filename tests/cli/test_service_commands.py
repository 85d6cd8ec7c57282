"""The service commands: db upgrade, user add, export fhir, demo (CliRunner, SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cryotx.cli import app

runner = CliRunner()


def test_db_upgrade_creates_the_database(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "cryotx.sqlite3").exists()


def test_user_add_reads_the_password_from_stdin() -> None:
    result = runner.invoke(
        app,
        ["user", "add", "--role", "clinician", "alice", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created clinician 'alice'" in result.output
    again = runner.invoke(
        app,
        ["user", "add", "--role", "clinician", "alice", "--password-stdin"],
        input="a long enough password\n",
    )
    assert again.exit_code == 2 and "username" in again.output


def test_user_add_prompts_twice_and_refuses_weak_passwords() -> None:
    prompted = runner.invoke(
        app,
        ["user", "add", "--role", "operator", "bob"],
        input="another good password\nanother good password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    weak = runner.invoke(
        app, ["user", "add", "--role", "operator", "carl", "--password-stdin"], input="short\n"
    )
    assert weak.exit_code == 2 and "password" in weak.output
    bad_role = runner.invoke(
        app,
        ["user", "add", "--role", "root", "dan", "--password-stdin"],
        input="a long enough password\n",
    )
    assert bad_role.exit_code == 2 and "role" in bad_role.output


def test_demo_then_export_fhir(tmp_path: Path) -> None:
    demo = runner.invoke(app, ["demo"])
    assert demo.exit_code == 0, demo.output
    assert demo.output.count("demo-") == 3
    out = tmp_path / "bundle.json"
    exported = runner.invoke(app, ["export", "fhir", "1", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"])
    missing = runner.invoke(app, ["export", "fhir", "999"])
    assert missing.exit_code == 2 and "patient_id" in missing.output
    # Running the demo again re-keys the logins but adds no second clinic.
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert [line.split()[-1] for line in second.output.splitlines()[1:]] != [
        line.split()[-1] for line in demo.output.splitlines()[1:]
    ]
    assert runner.invoke(app, ["export", "fhir", "3"]).exit_code == 0
    assert runner.invoke(app, ["export", "fhir", "4"]).exit_code == 2
