"""Compiled kernel against the NumPy reference path, and with NUMBA_DISABLE_JIT=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cryotx.physics import simulate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knee_ice_bag.json"

MIXED_BATCH = [
    json.loads(EXAMPLE.read_text()),
    {
        "subject": {"sex": "male", "skinfold_mm": {"calf": 14}},
        "site": "calf",
        "modality": {"kind": "ice_bag", "mass_kg": 1.8},
        "applications": [{"start_s": 0, "duration_s": 600}, {"start_s": 1200, "duration_s": 600}],
        "follow_up_s": 900,
        "probes": [
            {"measure": "skin"},
            {"measure": "intramuscular", "depth_mm": 10, "below": "fat"},
        ],
    },
    {
        "subject": {"sex": "female"},
        "site": "hand",
        "modality": {"kind": "cold_water", "agent_temp_c": 0},
        "exposure_s": 1200,
        "output_every_s": 20,
    },
    {
        "subject": {"sex": "female"},
        "site": "lumbar",
        "modality": {"kind": "co2", "heat_transfer_coefficient_w_per_m2_k": 300},
        "exposure_s": 120,
        "follow_up_s": 300,
        "probes": [{"measure": "skin"}, {"measure": "subcutaneous"}],
    },
    {
        "subject": {"sex": "male"},
        "site": "ankle",
        "modality": {"kind": "frozen_peas"},
        "exposure_s": 900,
    },
]


def _assert_same(a, b, *, atol: float) -> None:
    for ra, rb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ra.time_s, rb.time_s)
        for pa, pb in zip(ra.probes, rb.probes, strict=True):
            np.testing.assert_allclose(pa.temp_c, pb.temp_c, rtol=0, atol=atol)
        for key, value in ra.metrics.items():
            other = rb.metrics[key]
            if value is None or other is None:
                assert value == other, key
            else:
                assert abs(value - other) <= max(atol, 1e-9 * abs(value)) or key.startswith(
                    "time_"
                ), key


@pytest.mark.parametrize("scheme", ["bdf2", "be"])
def test_numba_matches_numpy(scheme: str) -> None:
    # same arithmetic in a different order: round-off only
    _assert_same(
        simulate(MIXED_BATCH, scheme=scheme),
        simulate(MIXED_BATCH, engine="numpy", scheme=scheme),
        atol=1e-8,
    )


def test_freezing_is_reported_and_identical() -> None:
    compiled, reference = (simulate(MIXED_BATCH[3], engine=e)[0] for e in ("numba", "numpy"))
    assert compiled.metrics["frozen_depth_mm"] > 0.0
    assert abs(compiled.metrics["frozen_depth_mm"] - reference.metrics["frozen_depth_mm"]) < 1e-6
    assert any("froze" in w for w in compiled.warnings)


def test_jit_disabled_runs_the_same_source(tmp_path: Path) -> None:
    script = (
        "import json, sys; from cryotx.physics import simulate; "
        "r = simulate(json.load(open(sys.argv[1]))); "
        "print(json.dumps([x.to_dict() for x in r]))"
    )
    source = tmp_path / "batch.json"
    source.write_text(json.dumps(MIXED_BATCH[:2]))
    env = os.environ | {"NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    pure = json.loads(done.stdout)
    compiled = [r.to_dict() for r in simulate(MIXED_BATCH[:2])]
    for a, b in zip(pure, compiled, strict=True):
        for pa, pb in zip(a["probes"], b["probes"], strict=True):
            np.testing.assert_allclose(pa["temp_c"], pb["temp_c"], atol=2e-3)  # JSON rounds to 1e-3
