"""Command-line commands of the clinical area: ``vocab``, ``screen`` and ``plan``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cryotx.cli._common import read_json_file, refusals
from cryotx.errors import InputError

__all__ = ["register"]


def _date(text: str | None) -> dt.date | None:
    """Parse ``--on``; a malformed date is refused naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("--on", f"{text!r} is not a date (YYYY-MM-DD)") from None


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def vocab(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind, e.g. condition.")
    ] = None,
) -> None:
    """List the clinical vocabulary (condition, medication, event, modality and site codes)."""
    from cryotx.clinical.vocabulary import KINDS, vocabulary

    with refusals():
        if kind is not None and kind not in KINDS:
            raise InputError("--kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        data = vocabulary()
        entries = [entry for entry in data.codes if kind is None or entry.kind == kind]
    if as_json:
        _print_json({"version": data.version, "codes": [e.model_dump() for e in entries]})
        return
    table = Table(title=f"CryoTx vocabulary {data.version}")
    for column in ("code", "kind", "label", "SNOMED CT", "ICD-10"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            entry.code, entry.kind, entry.label, entry.snomed_ct or "-", entry.icd10 or "-"
        )
    Console().print(table)


def screen(
    patient_file: Annotated[Path, typer.Argument(help="Patient JSON file.")],
    *,
    modality: Annotated[str, typer.Option("--modality", help="Modality code.")],
    site: Annotated[str | None, typer.Option("--site", help="Treated site code.")] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Assessment date YYYY-MM-DD (else assessed_on).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen a patient for a modality: eligible, with precautions, refer or excluded."""
    from cryotx.clinical import screen as run_screen

    obj = read_json_file(patient_file)
    with refusals():
        result = run_screen(obj, modality=modality, site=site, on=_date(on))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    console = Console()
    console.print(f"[bold]{result.decision}[/bold] for {modality} (rules {result.rules_version})")
    for reason in result.reasons:
        console.print(f"- {reason.decision}: {reason.message} [{reason.code}]")


def plan(
    patient_file: Annotated[Path, typer.Argument(help="Patient JSON file.")],
    *,
    condition: Annotated[str, typer.Option("--condition", help="Indication code.")],
    site: Annotated[str, typer.Option("--site", help="Treated site code.")],
    modality: Annotated[str | None, typer.Option("--modality", help="Modality code.")] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Assessment date YYYY-MM-DD (else assessed_on).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Plan a course: screening, protocol from the evidence, dose sized for this patient."""
    from cryotx.clinical import plan as run_plan

    obj = read_json_file(patient_file)
    with refusals():
        result = run_plan(obj, condition=condition, site=site, modality=modality, on=_date(on))
    dumped = result.model_dump(mode="json")
    if as_json:
        _print_json(dumped)
        return
    console = Console()
    console.print(f"Screening: [bold]{result.screening.decision}[/bold]")
    for reason in result.screening.reasons:
        console.print(f"  - {reason.decision}: {reason.message}")
    protocol = dumped["protocol"]
    if protocol is not None:
        console.print(
            f"Protocol: {protocol['modality']}, {protocol['schedule']} "
            f"(evidence: {protocol['grade']})"
        )
    dose = dumped["dose"]
    if dose is not None:
        console.print(f"Dose: {dose['exposure_s'] / 60:.1f} min; window {dose['window_s']}")
        for line in dose["rationale"]:
            console.print(f"  - {line}")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for title, key in (
        ("Before", "preparation"),
        ("After", "aftercare"),
        ("Call if", "warning_signs"),
    ):
        console.print(f"[bold]{title}[/bold]")
        for line in dumped["instructions"][key]:
            console.print(f"  - {line}")


def register(app: typer.Typer) -> None:
    """Add this area's commands (vocab, screen, plan) to app."""
    app.command("vocab")(vocab)
    app.command("screen")(screen)
    app.command("plan")(plan)
