"""Validation rows predicted by the default scheme against backward Euler at 5 s.

Runs ``cryotx validate``'s rows twice on the same checkout (same parameters): with the
default scheme and step (variable-step BDF2, ``engine.DEFAULT_DT_S``) and with backward
Euler at ``engine.BE_DT_S`` (the scheme the validation was first made with).  Prints the
largest difference row by row, the rows that differ most, rows whose within-SD status
changes, and the targets' pass/fail under both.  Whole-body rows are left out (their
model has its own integrator).

Run: ``.venv/bin/python benchmarks/compare_schemes.py``
"""

from __future__ import annotations

import functools
from typing import Any

from cryotx.physics import engine, validation


def _run(**options: Any) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    original = validation.simulate
    validation.simulate = functools.partial(engine.simulate, **options)
    try:
        report = validation.run_validation()
    finally:
        validation.simulate = original
    rows = {r["row"]: r for r in report["rows"] if "predicted_c" in r and not r.get("whole_body")}
    return rows, report["targets"]


def main() -> None:
    euler, euler_targets = _run(scheme="be")
    default, default_targets = _run(scheme=engine.DEFAULT_SCHEME)
    assert euler.keys() == default.keys()
    diff = {k: abs(euler[k]["predicted_c"] - default[k]["predicted_c"]) for k in euler}
    print(
        f"{len(diff)} local rows; max |{engine.DEFAULT_SCHEME} at {engine.DEFAULT_DT_S:g} s - "
        f"backward Euler at {engine.BE_DT_S:g} s| = {max(diff.values()):.3f} °C"
    )
    for k in sorted(diff, key=lambda key: diff[key], reverse=True)[:5]:
        r = euler[k]
        print(
            f"  row {k} {r['study_id']} {r['modality']} {r['measure']} t={r['time_s']:g} s: "
            f"{r['predicted_c']:.3f} -> {default[k]['predicted_c']:.3f} °C"
        )
    flipped = [k for k in euler if euler[k]["within_sd"] != default[k]["within_sd"]]
    for k in flipped:
        r = euler[k]
        print(
            f"  within-SD status of row {k} ({r['study_id']} {r['measure']}): "
            f"{r['within_sd']} -> {default[k]['within_sd']}"
        )
    for name, target in euler_targets.items():
        other = default_targets[name]
        print(
            f"  target {name}: passed {target['passed']} -> {other['passed']}"
            + (f" (value {target['value']} -> {other['value']})" if "value" in target else "")
        )


if __name__ == "__main__":
    main()
