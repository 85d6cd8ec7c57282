"""Throughput of the local engine: simulated person-minutes per second.

Workload (issue 2): knee, 20 min ice bag + 60 min rewarming, for 1, 1,000 and 100,000
virtual patients.  Patients differ in sex, fat thickness and pack mass.  Grids are built
once per distinct body (40 fat thicknesses x 2 sexes x 3 pack masses) and tiled to the
batch size; only the time loop is timed (setup is printed separately).

Two schemes side by side, in the same run: the default (variable-step BDF2 at its
default largest step, ``engine.DEFAULT_DT_S``) and backward Euler at 5 s (the scheme
and step validated before BDF2), compiled (Numba) and, up to ``--numpy-max`` patients,
the NumPy reference path.  The ratio column is the speed-up of BDF2 over backward Euler.

Run: ``.venv/bin/python benchmarks/bench_local_engine.py [--numpy-max N]``
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from cryotx.physics import engine, parse_scenarios
from cryotx.physics.engine import _batch_arrays, run_arrays

EXPOSURE_S = 1200.0
REWARM_S = 3600.0
MINUTES = (EXPOSURE_S + REWARM_S) / 60.0
SCHEMES = (("bdf2", engine.DEFAULT_DT_S), ("be", engine.BE_DT_S))


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


def _rate(
    arrays: dict[str, np.ndarray], n_out: int, engine_name: str, scheme: str, repeat: int
) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run_arrays(arrays, n_out=n_out, engine=engine_name, scheme=scheme)
        best = min(best, time.perf_counter() - start)
    return arrays["cap"].shape[0] * MINUTES / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--numpy-max", type=int, default=100_000, help="largest batch for the NumPy path"
    )
    args = parser.parse_args()
    scenarios = parse_scenarios(_distinct_scenarios())
    bases = {}
    for scheme, dt_s in SCHEMES:
        start = time.perf_counter()
        base, _, n_out = _batch_arrays(scenarios, dt_s=dt_s, scheme=scheme)
        setup_s = time.perf_counter() - start
        bases[scheme] = base
        print(
            f"{scheme}: largest step {dt_s:g} s, {int(base['n_steps'][0])} steps "
            f"(first {base['grade_h0'][0]:g} s, growth {base['grade_r'][0]:g} after each "
            f"phase start), {base['cap'].shape[1]} cells; grids for {base['cap'].shape[0]} "
            f"distinct bodies built in {setup_s:.2f} s"
        )
        run_arrays(_tile(base, 2), n_out=n_out, scheme=scheme)  # JIT warm-up (cached on disk)
    print(f"numba threads: {numba.get_num_threads()}, threading layer: {numba.threading_layer()}")
    print(
        f"{'patients':>9} {'scheme':>6} {'numba pm/s':>14} {'numpy pm/s':>14} "
        f"{'numba/numpy':>12} {'bdf2/be':>8}"
    )
    for n in (1, 1_000, 100_000):
        compiled: dict[str, float] = {}
        for scheme, _ in SCHEMES:
            arrays = _tile(bases[scheme], n)
            compiled[scheme] = _rate(arrays, n_out, "numba", scheme, 3 if n < 100_000 else 1)
            if n <= args.numpy_max:
                reference = _rate(arrays, n_out, "numpy", scheme, repeat=1)
                ratio = f"{compiled[scheme] / reference:12.1f}"
                ref_text = f"{reference:14,.0f}"
            else:
                ratio, ref_text = f"{'-':>12}", f"{'skipped':>14}"
            speedup = compiled["bdf2"] / compiled["be"] if scheme == "be" else None
            speed_text = f"{speedup:8.2f}" if speedup else f"{'':>8}"
            print(f"{n:>9,} {scheme:>6} {compiled[scheme]:14,.0f} {ref_text} {ratio} {speed_text}")
    print("pm/s = simulated person-minutes per second (target >= 1,000,000 at 100,000 patients)")


if __name__ == "__main__":
    main()
