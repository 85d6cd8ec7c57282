"""The whole-body model's vasomotor law against the model it cites, JOS-3 [Takahashi2021].

JOS-3 (pythermalcomfort, a benchmark dependency) is the reference: the skin blood flow
factor the kernel uses must equal JOS-3's ``skin_blood_flow`` over its basal value for
the same core and skin errors, including a hot core with cold skin (docs/whole_body.md,
gagnon2010: in both models cold skin overrides a core 2 °C above its set point).
"""

from __future__ import annotations

import numpy as np
import pytest

from cryotx.physics.wholebody import regulation as reg
from cryotx.physics.wholebody._kernel import skin_flow_factor
from cryotx.physics.wholebody.segments import jos3_intensive

thermoregulation = pytest.importorskip("pythermalcomfort.jos3_functions.thermoregulation")

# JOS-3 order: head, neck, chest, back, pelvis, l/r shoulder, arm, hand, l/r thigh, leg, foot
_LEFT_RIGHT = [0, 1, 2, 3, 4, 5, 6, 7, 5, 6, 7, 8, 9, 10, 8, 9, 10]


def _jos3_ratio(err_cr: float, err_sk17: np.ndarray, age_y: float) -> np.ndarray:
    """JOS-3 skin blood flow over its value at zero error, on the 13 CryoTx segments."""
    args = dict(height=1.72, weight=67.8, bsa_equation="dubois", age=age_y, ci=2.59)
    flow = thermoregulation.skin_blood_flow(np.full(17, err_cr), err_sk17, **args)
    basal = thermoregulation.skin_blood_flow(np.zeros(17), np.zeros(17), **args)
    return jos3_intensive(flow / basal)


@pytest.mark.parametrize("age_y", [22.0, 65.0])
@pytest.mark.parametrize(
    ("err_cr", "skin_c"),
    [
        (2.0, -31.0),  # hyperthermic core in 2 °C water (gagnon2010)
        (0.3, -12.0),  # after a chamber
        (-0.4, -3.0),  # cooled core, cool skin
        (1.0, 2.5),  # warm core, warm skin
    ],
)
def test_skin_flow_factor_equals_jos3(err_cr: float, skin_c: float, age_y: float) -> None:
    rng = np.random.default_rng(3)
    # 11 independent errors, equal on left and right (CryoTx lumps both sides)
    err11 = skin_c + rng.uniform(-2.0, 2.0, 11)
    err17 = err11[_LEFT_RIGHT]
    err13 = jos3_intensive(err17)
    _, dilate_age, _ = reg.age_factors(age_y)
    factor = np.empty(13)
    skin_flow_factor.py_func(
        err_cr,
        err13,
        reg.RECEPTOR_WEIGHT,
        reg.SKIN_DILATE,
        reg.SKIN_CONSTRICT,
        dilate_age,
        factor,
    )
    np.testing.assert_allclose(factor, _jos3_ratio(err_cr, err17, age_y), rtol=1e-12)


def test_cold_skin_overrides_a_hot_core_in_both_models() -> None:
    """Core +2 °C, immersed skin 31 °C below set point: skin flow about 1 % of basal."""
    err17 = np.full(17, -31.0)
    err17[:2] = 1.5  # head and neck out of the water, warm
    factor = np.empty(13)
    wrms, clds = skin_flow_factor(  # the compiled function, as the kernel inlines it
        2.0,
        jos3_intensive(err17),
        reg.RECEPTOR_WEIGHT,
        reg.SKIN_DILATE,
        reg.SKIN_CONSTRICT,
        np.ones(13),
        factor,
    )
    assert clds > 25.0 and wrms < 0.2
    immersed = factor[2:]
    assert np.all(immersed < 0.02)
    np.testing.assert_allclose(factor, _jos3_ratio(2.0, err17, 22.0), rtol=1e-12)
