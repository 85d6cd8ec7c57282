"""Command-line commands of the physics area: ``simulate`` and ``validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cryotx.cli._common import read_json_file, refusals

__all__ = ["register"]

_THRESHOLDS = ((13.6, "analgesia 13.6 °C (Bugaj 1975)"), (10.0, "10 °C (Algafly & George 2007)"))


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "never"
    return f"{value:.1f}{unit}"


def _print_table(results: list[Any], console: Console) -> None:
    for n, result in enumerate(results):
        table = Table(title=f"Scenario {n}" if len(results) > 1 else "Simulation")
        table.add_column("probe")
        table.add_column("start °C", justify="right")
        table.add_column("min °C", justify="right")
        table.add_column("end °C", justify="right")
        for trace in result.probes:
            probe = trace.probe
            label = probe.measure
            if probe.depth_mm is not None:
                label += f" {probe.depth_mm:g} mm" + (" below fat" if probe.below == "fat" else "")
            table.add_row(
                label,
                f"{trace.temp_c[0]:.1f}",
                f"{min(trace.temp_c):.1f}",
                f"{trace.temp_c[-1]:.1f}",
            )
        console.print(table)
        metrics = Table(title="Metrics")
        metrics.add_column("metric")
        metrics.add_column("value", justify="right")
        for key, value in result.metrics.items():
            metrics.add_row(key, _fmt(value))
        console.print(metrics)
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}")


def _plot(results: list[Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 1, figsize=(8, 4 * len(results)), squeeze=False)
    for ax, result in zip(axes[:, 0], results, strict=True):
        minutes = result.time_s / 60.0
        for trace in result.probes:
            label = trace.probe.measure
            if trace.probe.depth_mm is not None:
                label += f" {trace.probe.depth_mm:g} mm"
            ax.plot(minutes, trace.temp_c, label=label)
        for value, name in _THRESHOLDS:
            ax.axhline(value, linestyle="--", linewidth=1, color="grey")
            ax.text(minutes[-1], value, name, ha="right", va="bottom", fontsize=8)
        ax.set_xlabel("time from start of exposure [min]")
        ax.set_ylabel("temperature [°C]")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``validate`` to app."""

    @app.command()
    def simulate(
        scenario_file: Annotated[Path, typer.Argument(help="Scenario JSON (one or a list).")],
        *,
        as_json: Annotated[bool, typer.Option("--json", help="Print the Result JSON.")] = False,
        plot: Annotated[
            Path | None, typer.Option("--plot", help="Write a PNG of the probe curves.")
        ] = None,
    ) -> None:
        """Simulate local cryotherapy: tissue temperatures, metrics and warnings."""
        from cryotx.physics import parse_scenarios
        from cryotx.physics import simulate as run

        raw = read_json_file(scenario_file)
        with refusals():
            results = run(parse_scenarios(raw))
        if plot is not None:
            _plot(results, plot)
        if as_json:
            payload = [r.to_dict() for r in results]
            print(json.dumps(payload if isinstance(raw, list) else payload[0]))
        else:
            _print_table(results, Console())

    @app.command()
    def validate(
        data: Annotated[
            Path | None,
            typer.Option("--data", help="Directory with measurements.csv (and protocols)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="Print the report as Markdown.")
        ] = False,
    ) -> None:
        """Run the engine against published measurements; error per study and overall."""
        from cryotx.physics.validation import render_markdown, render_table, run_validation

        with refusals():
            report = run_validation(data_dir=data)
        if as_json:
            print(json.dumps(report, indent=1))
        elif markdown:
            print(render_markdown(report))
        else:
            render_table(report, Console())
