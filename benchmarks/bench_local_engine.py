"""Throughput of the local engine: simulated person-minutes per second.

Workload (issue 2): knee, 20 min ice bag + 60 min rewarming, at the validated time step
(``DEFAULT_DT_S``), for 1, 1,000 and 100,000 virtual patients, compiled (Numba) and
NumPy paths side by side.  Patients differ in sex, fat thickness and pack mass.  Grids
are built once per distinct body (40 fat thicknesses x 2 sexes x 3 pack masses) and tiled to the batch
size; only the time loop is timed (setup is printed separately).

Run: ``.venv/bin/python benchmarks/bench_local_engine.py [--numpy-max N]``
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from cryotx.physics import parse_scenarios
from cryotx.physics.engine import DEFAULT_DT_S, _batch_arrays, run_arrays

EXPOSURE_S = 1200.0
REWARM_S = 3600.0
MINUTES = (EXPOSURE_S + REWARM_S) / 60.0


def _distinct_scenarios() -> list[dict]:
    out = []
    for sex in ("male", "female"):
        for fat_mm in np.linspace(2.0, 25.0, 40):
            for mass in (0.5, 1.0, 1.8):
                out.append(
                    {
                        "subject": {"sex": sex, "fat_mm": {"knee": float(fat_mm)}},
                        "site": "knee",
                        "modality": {"kind": "ice_bag", "mass_kg": mass},
                        "exposure_s": EXPOSURE_S,
                        "follow_up_s": REWARM_S,
                        "probes": [{"measure": "skin"}, {"measure": "intra_articular"}],
                        "output_every_s": 60,
                    }
                )
    return out


def _tile(arrays: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    index = np.arange(n) % arrays["cap"].shape[0]
    return {key: np.ascontiguousarray(value[index]) for key, value in arrays.items()}


def _rate(arrays: dict[str, np.ndarray], n_out: int, engine: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run_arrays(arrays, n_out=n_out, engine=engine)
        best = min(best, time.perf_counter() - start)
    return arrays["cap"].shape[0] * MINUTES / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--numpy-max", type=int, default=100_000, help="largest batch for the NumPy path"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    base, _, n_out = _batch_arrays(parse_scenarios(_distinct_scenarios()), dt_s=DEFAULT_DT_S)
    setup_s = time.perf_counter() - start
    print(
        f"dt = {DEFAULT_DT_S} s, {int((EXPOSURE_S + REWARM_S) / DEFAULT_DT_S)} steps, "
        f"{base['cap'].shape[1]} cells; grids for {base['cap'].shape[0]} distinct bodies built in {setup_s:.2f} s"
    )
    run_arrays(_tile(base, 2), n_out=n_out, engine="numba")  # JIT warm-up (cached on disk)
    print(f"numba threads: {numba.get_num_threads()}, threading layer: {numba.threading_layer()}")
    print(f"{'patients':>9} {'numba pm/s':>14} {'numpy pm/s':>14} {'numba/numpy':>12}")
    for n in (1, 1_000, 100_000):
        arrays = _tile(base, n)
        compiled = _rate(arrays, n_out, "numba", repeat=3 if n < 100_000 else 1)
        if n <= args.numpy_max:
            reference = _rate(arrays, n_out, "numpy", repeat=1)
            ratio = f"{compiled / reference:12.1f}"
            ref_text = f"{reference:14,.0f}"
        else:
            ratio, ref_text = f"{'-':>12}", f"{'skipped':>14}"
        print(f"{n:>9,} {compiled:14,.0f} {ref_text} {ratio}")
    print("pm/s = simulated person-minutes per second (target >= 1,000,000 at 100,000 patients)")


if __name__ == "__main__":
    main()
