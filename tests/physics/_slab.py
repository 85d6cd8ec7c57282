"""Hand-built batches for the analytic tests: one homogeneous or layered body, no physiology.

The arrays are exactly what ``cryotx.physics.engine.run_arrays`` takes, so the analytic
tests exercise the same kernel as ``simulate`` (compiled and NumPy paths).
"""

from __future__ import annotations

import numpy as np

from cryotx.physics._grid import Grid, build_grid, stack_grids
from cryotx.physics.tissues import Layer

NO_PHYSIOLOGY = {
    "q10_perfusion": 1.0,
    "q10_metabolism": 1.0,
    "vc_onset_c": -100.0,
    "vc_full_c": -200.0,
}


def slab_grid(
    *,
    depth_m: float,
    n_cells: int,
    tissue: str = "muscle",
    geometry: str = "planar",
    core_boundary: bool = False,
) -> Grid:
    """One tissue, uniform cells, no skin or fat layer."""
    return build_grid(
        "lumbar",
        fat_m=0.0,
        skin_m=0.0,
        geometry=geometry,
        layers=(Layer(tissue, None, n_cells),),
        lean_depth_m=depth_m,
        core_boundary=core_boundary,
        n_nodes=n_cells,
        growth=1.0,
    )


def batch(
    grids: list[Grid],
    *,
    dt_s: float,
    duration_s: float,
    agent_temp_c: float | list[float],
    h_w_per_m2_k: float,
    initial_temp_c: float | np.ndarray,
    core_temp_c: float = 37.0,
    ambient_c: float = 22.0,
    perfusion: bool = False,
    latent: bool = False,
    probe_nodes: tuple[int, ...] = (0,),
    output_every_steps: int = 1,
) -> tuple[dict[str, np.ndarray], int]:
    """Batch arrays for a fixed-temperature agent applied for the whole duration."""
    arrays = stack_grids(grids)
    n = len(grids)
    if not perfusion:
        arrays["perf0"] = np.zeros_like(arrays["perf0"])
        arrays["met0"] = np.zeros_like(arrays["met0"])
    if not latent:
        arrays["lat"] = np.zeros_like(arrays["lat"])
    n_steps = round(duration_s / dt_s)
    agent = np.broadcast_to(np.asarray(agent_temp_c, dtype=float), (n,)).copy()
    arrays.update(
        t_core=np.full(n, core_temp_c),
        t_amb=np.full(n, ambient_c),
        h_amb=np.full(n, 7.8),
        dt=np.full(n, dt_s),
        n_steps=np.full(n, n_steps, dtype=np.int64),
        out_steps=np.full(n, output_every_steps, dtype=np.int64),
        mode=np.zeros(n, dtype=np.int64),
        agent_c=agent,
        h_ext=np.full(n, h_w_per_m2_k),
        civd_onset=np.full(n, np.inf),
        n_apps=np.ones(n, dtype=np.int64),
        app_start=np.zeros((n, 1)),
        app_end=np.full((n, 1), duration_s + dt_s),
        pack=np.tile([1.0, 1.0, 0.0, 0.0, 0.0, 0.0], (n, 1)),
        probe_lo=np.tile(np.array(probe_nodes, dtype=np.int64), (n, 1)),
        probe_hi=np.tile(np.array(probe_nodes, dtype=np.int64), (n, 1)),
        probe_w=np.zeros((n, len(probe_nodes))),
    )
    init = np.broadcast_to(np.asarray(initial_temp_c, dtype=float), arrays["cap"].shape).copy()
    arrays["tinit"] = init
    n_out = n_steps // output_every_steps + 1
    return arrays, n_out
