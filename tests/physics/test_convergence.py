"""Observed order of convergence in space and time, and the accuracy of the default step.

The default scheme is variable-step BDF2 (``engine.DEFAULT_SCHEME``) at a largest step of
``engine.DEFAULT_DT_S``; backward Euler at ``engine.BE_DT_S`` is the scheme it replaced
and stays selectable (``scheme="be"``), so both are measured here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cryotx.physics import simulate
from cryotx.physics._grid import build_grid
from cryotx.physics.engine import BE_DT_S, DEFAULT_DT_S, run_arrays, step_plan

from ._slab import batch
from .test_analytic import erfc_error

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knee_ice_bag.json"

# the three cases of docs/physics.md "Numerics": the knee example, a heavy ice bag on the
# calf applied twice, stirred 5 °C water on the calf
ACCURACY_CASES: dict[str, dict[str, Any]] = {
    "knee example": json.loads(EXAMPLE.read_text()),
    "heavy ice bag, calf": {
        "subject": {"sex": "male", "skinfold_mm": {"calf": 14}},
        "site": "calf",
        "modality": {"kind": "ice_bag", "mass_kg": 1.8},
        "applications": [{"start_s": 0, "duration_s": 600}, {"start_s": 1200, "duration_s": 600}],
        "follow_up_s": 900,
        "output_every_s": 5,
        "probes": [
            {"measure": "skin"},
            {"measure": "intramuscular", "depth_mm": 10, "below": "fat"},
        ],
    },
    "stirred 5 °C water, calf": {
        "subject": {"sex": "female"},
        "site": "calf",
        "modality": {"kind": "cold_water", "agent_temp_c": 5, "stirred": True},
        "exposure_s": 1200,
        "follow_up_s": 1800,
        "output_every_s": 5,
        "probes": [
            {"measure": "skin"},
            {"measure": "subcutaneous"},
            {"measure": "intramuscular", "depth_mm": 20},
        ],
    },
}
REFERENCE_DT_S = 0.1  # BDF2 at 0.1 s: within 0.04 °C of backward Euler at 0.1 s in all three


def _orders(errors: list[float]) -> list[float]:
    return [math.log2(errors[i] / errors[i + 1]) for i in range(len(errors) - 1)]


def test_space_order_is_two() -> None:
    # time error at 0.05 s steps is < 1e-3 °C, below the spatial error of these grids
    errors = [erfc_error(n, 0.05) for n in (25, 50, 100)]
    orders = _orders(errors)
    assert min(orders) > 1.7, (errors, orders)


def test_time_order_of_backward_euler_is_one() -> None:
    # 0.125 mm cells make the spatial error negligible
    errors = [erfc_error(800, dt, scheme="be") for dt in (4.0, 2.0, 1.0)]
    orders = _orders(errors)
    assert all(0.85 < order < 1.15 for order in orders), (errors, orders)


def _calf_final(dt_s: float, scheme: str) -> np.ndarray:
    """Calf (6 mm fat) under 8 °C water at h = 100 W/m²/K for 16 min, uniform steps, with
    the full physiology: Q10 perfusion and metabolism, vasoconstriction."""
    grid = build_grid("calf", fat_m=0.006)
    arrays, n_out = batch(
        [grid],
        dt_s=dt_s,
        duration_s=960.0,
        agent_temp_c=8.0,
        h_w_per_m2_k=100.0,
        initial_temp_c=32.0,
        perfusion=True,
        output_every_steps=round(960.0 / dt_s),
    )
    _, _, final = run_arrays(arrays, n_out=n_out, scheme=scheme)
    return final[0, : grid.n_valid]


@pytest.mark.parametrize(("scheme", "low", "high"), [("be", 0.85, 1.15), ("bdf2", 1.8, 2.6)])
def test_time_order_with_physiology(scheme: str, low: float, high: float) -> None:
    """Halving dt from 8 to 1 s against a 0.0625 s run of the same grid (the time error
    alone).

    Perfusion, metabolism and the constriction target are evaluated at T extrapolated
    from the last two steps in BDF2 (lagged one step they would make it first order);
    measured orders 2.36, 2.19, 2.16 for BDF2 and 1.01, 1.02, 1.05 for backward Euler.
    """
    reference = _calf_final(0.0625, scheme)
    errors = [float(np.max(np.abs(_calf_final(dt, scheme) - reference))) for dt in (8, 4, 2, 1)]
    orders = _orders(errors)
    assert all(low < order < high for order in orders), (errors, orders)


def test_time_order_of_bdf2_on_erfc() -> None:
    """The half-space cooled at a fixed surface temperature, time error alone (same grid,
    0.05 s reference): second order despite the discontinuous start."""
    steps = (4.0, 2.0, 1.0)
    reference = erfc_error(200, 0.05)
    errors = [abs(erfc_error(200, dt) - reference) for dt in steps]
    # erfc_error is the error against the exact solution; the reference run has the same
    # spatial error, so the differences measure the time error up to its sign
    assert all(e > 0.0 for e in errors), errors
    orders = _orders(errors)
    assert all(1.6 < order < 2.6 for order in orders), (errors, orders)


def _max_difference(a: Any, b: Any) -> float:
    return max(
        float(np.max(np.abs(pa.temp_c - pb.temp_c)))
        for pa, pb in zip(a.probes, b.probes, strict=True)
    )


def test_default_step_is_at_least_as_accurate_as_backward_euler_at_5_s() -> None:
    """Largest probe difference over the whole run against a fine reference."""
    cases = list(ACCURACY_CASES.values())
    reference = simulate(cases, dt_s=REFERENCE_DT_S)
    default = simulate(cases)
    euler = simulate(cases, scheme="be", dt_s=BE_DT_S)
    report = {
        name: (_max_difference(d, r), _max_difference(e, r))
        for name, r, d, e in zip(ACCURACY_CASES, reference, default, euler, strict=True)
    }
    text = "; ".join(
        f"{name}: BDF2 at {DEFAULT_DT_S:g} s {d:.3f} °C, backward Euler at {BE_DT_S:g} s {e:.3f} °C"
        for name, (d, e) in report.items()
    )
    assert all(d <= e for d, e in report.values()), text


def test_freezing_is_at_least_as_accurate_as_backward_euler_at_5_s() -> None:
    """A CO2 jet freezing the lumbar skin: frozen depth, minimum skin and the traces.

    Patients whose agent is colder than the freezing start take steps of at most 5 s
    (the freezing range is stepped by backward Euler); with 45 s steps the frozen depth
    came out 3.55 mm against 4.06 mm (backward Euler at 5 s: 3.91).
    """
    scenario = {
        "subject": {"sex": "female"},
        "site": "lumbar",
        "modality": {"kind": "co2", "heat_transfer_coefficient_w_per_m2_k": 300},
        "exposure_s": 120,
        "follow_up_s": 300,
        "output_every_s": 5,
        "probes": [{"measure": "skin"}, {"measure": "subcutaneous"}],
    }
    reference = simulate(scenario, dt_s=REFERENCE_DT_S)[0]
    runs = {"default": simulate(scenario)[0], "be5": simulate(scenario, scheme="be")[0]}
    assert (reference.metrics["frozen_depth_mm"] or 0.0) > 1.0
    errors = {
        name: {
            key: abs(float(run.metrics[key] or 0.0) - float(reference.metrics[key] or 0.0))
            for key in ("frozen_depth_mm", "skin_min_c")
        }
        | {"traces": _max_difference(run, reference)}
        for name, run in runs.items()
    }
    for key in ("frozen_depth_mm", "skin_min_c", "traces"):
        assert errors["default"][key] <= errors["be5"][key], errors


def test_default_step_is_within_a_tenth_of_the_measurement_spread() -> None:
    """The studies' between-subject SD is 1-4 °C; a step error under 0.3 °C is negligible."""
    scenario = ACCURACY_CASES["knee example"]
    coarse = simulate(scenario)[0]
    fine = simulate(scenario, dt_s=REFERENCE_DT_S)[0]
    for a, b in zip(coarse.probes, fine.probes, strict=True):
        assert np.max(np.abs(a.temp_c - b.temp_c)) < 0.3, a.probe.measure


def test_steps_land_on_every_phase_change() -> None:
    plan = step_plan([(0.0, 600.0), (1200.0, 1800.0)], 2700.0, dt_s=45.0, first_s=1.0, growth=1.3)
    ends = [end for end, *_ in plan]
    assert ends == [600.0, 1200.0, 1800.0, 2700.0]
    start = 0.0
    for end, n_graded, n_uniform, h_u in plan:
        h, total = 1.0, 0.0
        for _ in range(n_graded):
            total += h
            h *= 1.3
        assert h_u <= 45.0
        assert total + n_uniform * h_u == pytest.approx(end - start, abs=1e-9)
        start = end
    # backward Euler: equal steps of at most dt, no grading
    assert step_plan([(0.0, 1200.0)], 4800.0, dt_s=5.0, first_s=5.0, growth=1.0) == [
        (1200.0, 0, 240, 5.0),
        (4800.0, 0, 720, 5.0),
    ]
