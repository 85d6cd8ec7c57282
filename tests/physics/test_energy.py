"""Energy balance: tissue enthalpy change equals the heat through the skin plus sources.

In BDF2 the energy change of a step is ``(h F[n+1] + a2 dE[n]) / a0`` (the kernel's
account of the surface and source heat follows the scheme), in backward Euler ``h F[n+1]``;
the freezing range is stepped by backward Euler with the enthalpy correction in both.
"""

from __future__ import annotations

import numpy as np
import pytest

from cryotx.physics import parse_scenarios
from cryotx.physics.engine import BE_DT_S, DEFAULT_DT_S, _batch_arrays, run_arrays
from cryotx.physics.tissues import FREEZING_END_C, FREEZING_START_C

SCENARIOS = [
    {
        "subject": {"sex": "male"},
        "site": "knee",
        "modality": {"kind": "ice_bag"},
        "exposure_s": 1200,
        "follow_up_s": 1200,
    },
    {
        "subject": {"sex": "female", "fat_mm": {"lumbar": 20}},
        "site": "lumbar",
        "modality": {"kind": "co2", "heat_transfer_coefficient_w_per_m2_k": 400},
        "exposure_s": 180,
        "follow_up_s": 600,
    },
    {
        "subject": {"sex": "male"},
        "site": "hand",
        "modality": {"kind": "cold_water", "agent_temp_c": 1.0, "stirred": True},
        "exposure_s": 1500,
    },
]


def _enthalpy(temp: np.ndarray, cap: np.ndarray, lat: np.ndarray) -> np.ndarray:
    liquid = np.clip((temp - FREEZING_END_C) / (FREEZING_START_C - FREEZING_END_C), 0.0, 1.0)
    return (cap * temp + lat * liquid).sum(axis=1)


@pytest.mark.parametrize(("scheme", "dt_s"), [("be", BE_DT_S), ("bdf2", DEFAULT_DT_S)])
@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_energy_balance_closes(engine: str, scheme: str, dt_s: float) -> None:
    arrays, _, n_out = _batch_arrays(parse_scenarios(SCENARIOS), dt_s=dt_s, scheme=scheme)
    _, metrics, final = run_arrays(arrays, n_out=n_out, engine=engine, scheme=scheme)
    change = _enthalpy(final, arrays["cap"], arrays["lat"]) - _enthalpy(
        arrays["tinit"], arrays["cap"], arrays["lat"]
    )
    inflow = metrics[:, 6] + metrics[:, 7]  # through the skin + perfusion, metabolism, core
    scale = np.abs(metrics[:, 6])
    assert np.all(scale > 1e4)  # J/m²: a real cooling dose
    np.testing.assert_allclose(change, inflow, rtol=0, atol=1e-9 * scale.max() + 1e-6)
