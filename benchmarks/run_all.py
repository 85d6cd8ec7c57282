"""Run every CryoTx benchmark in turn and print their reports (``make bench``).

Each benchmark is its own script, so it can be run alone too:

- ``bench_local_engine.py``: local engine, person-minutes per second for 1, 1,000 and
  100,000 patients (20-min knee ice bag + 60 min rewarming), Numba vs NumPy;
- ``bench_whole_body.py``: whole-body model vs pythermalcomfort's JOS-3, accuracy per
  published row and throughput;
- ``bench_clinical.py``: screening and planning latency (median, p95) and throughput;
- ``bench_load.py``: 50 concurrent clients against one server on loopback, SQLite and
  PostgreSQL (PostgreSQL through ``scripts/with-postgres.sh``).

``--quick`` shortens the load benchmark to 10 s per backend; the others keep their
defaults.  Figures taken while the machine is busy with other work are not comparable.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _run(title: str, command: list[str]) -> int:
    print(f"\n=== {title} ===\n$ {' '.join(command)}", flush=True)
    return subprocess.call(command, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10-s load benchmark per backend")
    parser.add_argument("--skip-load", action="store_true", help="leave out the server benchmark")
    args = parser.parse_args()
    python = sys.executable
    failures = 0
    failures += _run("local thermal engine", [python, str(HERE / "bench_local_engine.py")]) != 0
    failures += _run("whole-body model vs JOS-3", [python, str(HERE / "bench_whole_body.py")]) != 0
    failures += (
        _run("clinical screening and planning", [python, str(HERE / "bench_clinical.py")]) != 0
    )
    if not args.skip_load:
        seconds = "10" if args.quick else "60"
        load = [python, str(HERE / "bench_load.py"), "--seconds", seconds]
        failures += (
            _run("record service under load", ["bash", "scripts/with-postgres.sh", *load]) != 0
        )
    print(f"\n{failures} benchmark(s) failed" if failures else "\nall benchmarks ran")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
