"""The compiled kernel's lanes: a patient's answer does not depend on its place in a block.

The kernel advances blocks of ``_kernel.BLOCK`` patients together; the lane loops run in
vector registers for most lanes and in a scalar remainder for the rest.  Both must give
the same bits, in a full block, in a partial last block and alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryotx.physics import _kernel, simulate

_MODALITIES: list[dict[str, Any]] = [
    {"kind": "ice_bag", "mass_kg": 1.0},
    {"kind": "gel_pack"},
    {"kind": "cold_air"},
    {"kind": "cryo_cuff"},
    {"kind": "co2", "heat_transfer_coefficient_w_per_m2_k": 300},  # freezes the skin
    {"kind": "cold_water", "stirred": True},
]
_SITES = ["knee", "calf", "lumbar", "ankle"]


def _batch(size: int) -> list[dict[str, Any]]:
    out = []
    for k in range(size):
        out.append(
            {
                "subject": {"sex": "female" if k % 2 else "male", "fat_mm": {}},
                "site": _SITES[k % len(_SITES)],
                "modality": _MODALITIES[k % len(_MODALITIES)],
                "exposure_s": 300.0 + 60.0 * k,
                "follow_up_s": 600.0,
                "probes": [{"measure": "skin"}, {"measure": "subcutaneous"}],
                "output_every_s": 30,
            }
        )
    return out


def test_full_and_partial_blocks_equal_single_runs() -> None:
    batch = _batch(_kernel.BLOCK + 3)  # one full block, then a partial one
    together = simulate(batch)
    assert any((r.metrics["frozen_depth_mm"] or 0.0) > 0.0 for r in together)  # phase pass ran
    for scenario, joint in zip(batch, together, strict=True):
        alone = simulate(scenario)[0]
        for a, b in zip(alone.probes, joint.probes, strict=True):
            np.testing.assert_array_equal(a.temp_c, b.temp_c)
        assert alone.metrics == joint.metrics
