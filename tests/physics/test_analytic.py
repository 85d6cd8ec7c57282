"""The kernel against exact solutions: erfc half-space, steady layers, Neumann freezing.

Tolerances come from the discretisation error measured in test_convergence.py (backward
Euler O(dt), finite volumes O(dx²)) at the grids used here, with a factor of about 2.
The default scheme (BDF2, O(dt²)) is tested; test_convergence.py also runs backward Euler.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import erf, erfc

from cryotx.physics._grid import build_grid
from cryotx.physics.engine import run_arrays
from cryotx.physics.tissues import (
    FREEZING_START_C,
    LATENT_HEAT_WATER_J_PER_KG,
    TISSUES,
    Layer,
)

from ._slab import NO_PHYSIOLOGY, batch, slab_grid

MUSCLE = TISSUES["muscle"]
ALPHA = MUSCLE.conductivity_w_per_m_k / (MUSCLE.density_kg_per_m3 * MUSCLE.specific_heat_j_per_kg_k)
ENGINES = ["numba", "numpy"]


def erfc_error(n_cells: int, dt_s: float, engine: str = "numba", *, scheme: str = "bdf2") -> float:
    """Max |T - exact| at t = 600 s in a 100 mm slab cooled at a fixed 5 °C surface from 35 °C.

    100 mm is 8 diffusion lengths sqrt(alpha t) of (effective) muscle: a half-space to 1e-7.
    """
    grid = slab_grid(depth_m=0.10, n_cells=n_cells)
    arrays, n_out = batch(
        [grid],
        dt_s=dt_s,
        duration_s=600.0,
        agent_temp_c=5.0,
        h_w_per_m2_k=1e12,
        initial_temp_c=35.0,
    )
    _, _, final = run_arrays(
        arrays, n_out=n_out, engine=engine, physiology=NO_PHYSIOLOGY, scheme=scheme
    )
    depth = grid.depth_m[: grid.n_valid]
    exact = 5.0 + 30.0 * erf(depth / (2.0 * math.sqrt(ALPHA * 600.0)))
    return float(np.max(np.abs(final[0, : grid.n_valid] - exact)))


@pytest.mark.parametrize("scheme", ["be", "bdf2"])
@pytest.mark.parametrize("engine", ENGINES)
def test_semi_infinite_solid_matches_erfc(engine: str, scheme: str) -> None:
    # 0.25 mm cells, 0.5 s steps: measured error 0.0038 °C of a 30 °C step (backward Euler)
    assert erfc_error(400, 0.5, engine, scheme=scheme) < 0.01


def test_steady_planar_multilayer_is_piecewise_linear() -> None:
    grid = build_grid("lumbar", fat_m=0.012)  # skin, fat, muscle over the core
    h_ext, agent_c, core_c = 10.0, 10.0, 37.0
    arrays, n_out = batch(
        [grid],
        dt_s=1e6,
        duration_s=5e7,
        agent_temp_c=agent_c,
        h_w_per_m2_k=h_ext,
        initial_temp_c=30.0,
        core_temp_c=core_c,
        output_every_steps=50,
    )
    _, _, final = run_arrays(arrays, n_out=n_out, physiology=NO_PHYSIOLOGY)
    layers = [(0.0015, TISSUES["skin"]), (0.012, TISSUES["fat"]), (0.060, TISSUES["muscle"])]
    resistance = 1.0 / h_ext + sum(t / tissue.conductivity_w_per_m_k for t, tissue in layers)
    flux = (core_c - agent_c) / resistance
    expected = []
    surface = agent_c + flux / h_ext
    top, temp_top = 0.0, surface
    for thick, tissue in layers:
        inside = grid.depth_m[: grid.n_valid]
        mask = (inside >= top) & (inside < top + thick)
        expected.append(temp_top + flux * (inside[mask] - top) / tissue.conductivity_w_per_m_k)
        temp_top += flux * thick / tissue.conductivity_w_per_m_k
        top += thick
    np.testing.assert_allclose(final[0, : grid.n_valid], np.concatenate(expected), atol=1e-8)


def test_steady_radial_two_layers_with_uniform_heat_source() -> None:
    """Cylinder with a uniform source q in two layers (k1 inside r < a, k2 outside)."""
    radius, inner = 0.05, 0.03
    layers = (Layer("fat", radius - inner, 60), Layer("muscle", None, 60))
    grid = build_grid(
        "thigh_anterior",
        fat_m=0.0,
        skin_m=0.0,
        layers=layers,
        lean_depth_m=radius,
        n_nodes=120,
        growth=1.0,
    )
    q = 5000.0  # W/m3
    arrays, n_out = batch(
        [grid],
        dt_s=1e6,
        duration_s=5e7,
        agent_temp_c=20.0,
        h_w_per_m2_k=50.0,
        initial_temp_c=30.0,
        output_every_steps=50,
        perfusion=True,
    )
    arrays["perf0"][:] = 0.0
    cells = np.diff(
        np.concatenate([[0.0], np.cumsum(np.r_[np.full(60, 0.02 / 60), np.full(60, 0.03 / 60)])])
    )
    r_out = radius - np.concatenate([[0.0], np.cumsum(cells)])[:-1]
    r_in = r_out - cells
    arrays["met0"][0] = q * (r_out**2 - r_in**2) / (2.0 * radius)
    _, _, final = run_arrays(arrays, n_out=n_out, physiology=NO_PHYSIOLOGY)
    k_out, k_in = TISSUES["fat"].conductivity_w_per_m_k, TISSUES["muscle"].conductivity_w_per_m_k
    r = radius - grid.depth_m[: grid.n_valid]
    t_surface = 20.0 + q * radius / (2.0 * 50.0)
    t_a = t_surface + q * (radius**2 - inner**2) / (4.0 * k_out)
    exact = np.where(
        r >= inner,
        t_surface + q * (radius**2 - r**2) / (4.0 * k_out),
        t_a + q * (inner**2 - r**2) / (4.0 * k_in),
    )
    # second-order finite volumes on 0.25-0.33 mm cells: error ~1e-3 of the 40 °C rise
    np.testing.assert_allclose(final[0, : grid.n_valid], exact, atol=0.05)


def neumann_front_m(*, t_s: float, surface_c: float, initial_c: float, freeze_c: float) -> float:
    """Two-phase Neumann solution with equal phase properties: front depth at time t_s."""
    latent = MUSCLE.water_frac * LATENT_HEAT_WATER_J_PER_KG
    st_s = MUSCLE.specific_heat_j_per_kg_k * (freeze_c - surface_c) / latent
    st_l = MUSCLE.specific_heat_j_per_kg_k * (initial_c - freeze_c) / latent

    def residual(lam: float) -> float:
        return (
            st_s / (math.exp(lam**2) * erf(lam))
            - st_l / (math.exp(lam**2) * erfc(lam))
            - lam * math.sqrt(math.pi)
        )

    lam = brentq(residual, 1e-6, 5.0)
    return 2.0 * lam * math.sqrt(ALPHA * t_s)


@pytest.mark.parametrize("engine", ENGINES)
def test_freezing_front_follows_neumann(engine: str) -> None:
    """A narrow (0.1 K) freezing range approaches the sharp two-phase Stefan problem.

    The front (the isotherm where freezing starts) must lie within the spread of the
    Neumann fronts for the two ends of the range, plus two cells.
    """
    t_start, t_end = FREEZING_START_C, FREEZING_START_C - 0.1
    grid = slab_grid(depth_m=0.08, n_cells=320)
    arrays, n_out = batch(
        [grid],
        dt_s=0.5,
        duration_s=1800.0,
        agent_temp_c=-20.0,
        h_w_per_m2_k=1e12,
        initial_temp_c=5.0,
        latent=True,
    )
    physiology = NO_PHYSIOLOGY | {"freeze_start_c": t_start, "freeze_end_c": t_end}
    _, metrics, final = run_arrays(arrays, n_out=n_out, engine=engine, physiology=physiology)
    front = metrics[0, 5]
    bounds = [
        neumann_front_m(t_s=1800.0, surface_c=-20.0, initial_c=5.0, freeze_c=f)
        for f in (t_start, t_end)
    ]
    tolerance = abs(bounds[0] - bounds[1]) + 2 * 0.08 / 320
    assert min(bounds) - tolerance <= front <= max(bounds) + tolerance, (front, bounds)
    assert front > 0.005  # a real front, several mm deep
    assert np.all(final[0, : grid.n_valid] >= -20.0 - 1e-9)
