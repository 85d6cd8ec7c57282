"""Observed order of convergence in space and time, and the error of the default step."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from cryotx.physics import simulate
from cryotx.physics.engine import DEFAULT_DT_S

from .test_analytic import erfc_error

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knee_ice_bag.json"


def test_space_order_is_two() -> None:
    # time error at 0.05 s steps is < 1e-3 °C, below the spatial error of these grids
    errors = [erfc_error(n, 0.05) for n in (25, 50, 100)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert min(orders) > 1.7, (errors, orders)


def test_time_order_is_one() -> None:
    # backward Euler; 0.125 mm cells make the spatial error negligible
    errors = [erfc_error(800, dt) for dt in (4.0, 2.0, 1.0)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(0.85 < order < 1.15 for order in orders), (errors, orders)


def test_default_step_is_within_a_tenth_of_the_measurement_spread() -> None:
    """dt = DEFAULT_DT_S against a 10x finer step on the knee example.

    The studies' between-subject SD is 1-4 °C; a step error under 0.3 °C is negligible.
    """
    scenario = json.loads(EXAMPLE.read_text())
    coarse = simulate(scenario, dt_s=DEFAULT_DT_S)[0]
    fine = simulate(scenario, dt_s=DEFAULT_DT_S / 10.0)[0]
    for a, b in zip(coarse.probes, fine.probes, strict=True):
        assert np.max(np.abs(a.temp_c - b.temp_c)) < 0.3, a.probe.measure
