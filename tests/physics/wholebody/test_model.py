"""Physics of the whole-body model: energy balance, neutral state, batching, monotonicity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cryotx.physics.wholebody import Phase, Protocol, simulate_protocols
from cryotx.physics.wholebody.segments import SEGMENT_INDEX

from .conftest import body, chamber


def _residual(run) -> np.ndarray:  # type: ignore[no-untyped-def]
    start, end, metabolic, surface, respiratory = run.energy_j.T
    return (end - start) - (metabolic - surface - respiratory)


def test_energy_balance_closes_in_a_chamber() -> None:
    """Stored heat change equals metabolism minus surface and respiratory losses."""
    run = simulate_protocols([chamber(body()), chamber(body(male=False, height_m=1.6, mass_kg=58))])
    flows = run.energy_j[:, 2] + np.abs(run.energy_j[:, 3])
    # round-off only: the scheme is conservative by construction (docs/whole_body.md)
    np.testing.assert_array_less(np.abs(_residual(run)), 1e-9 * flows.max() * 1e3)


def test_energy_balance_closes_through_freezing() -> None:
    """Latent heat of freezing is accounted for (bare hands in -180 °C vapour for 10 min)."""
    proto = Protocol(
        body=body(),
        phases=(
            Phase(duration_s=600.0, air_c=-180.0, air_speed_m_per_s=2.0, clothing=("briefs",)),
        ),
        output_times_s=(0.0, 600.0),
    )
    run = simulate_protocols([proto])
    assert run.frozen_depth_m[0, SEGMENT_INDEX["hand"]] > 0.0
    assert abs(_residual(run)[0]) < 1e-6 * run.energy_j[0, 3]


def test_resting_body_in_neutral_air_holds_its_core() -> None:
    """Nude, resting, 29 °C still air for 3 h: rectal near 37 °C and nearly constant."""
    proto = Protocol(
        body=body(),
        phases=(Phase(duration_s=3 * 3600.0, air_c=29.0, max_dt_s=30.0),),
        output_times_s=(0.0, 3600.0, 7200.0, 10800.0),
    )
    core = simulate_protocols([proto]).core_c[0]
    # resting rectal 36.8-37.2 °C [ICRP2002]; the model's own neutral core rises with body
    # size, 37.3-38.5 °C (docs/whole_body.md), so 'near' is within 1 °C; the drift is small
    assert np.all(np.abs(core - 37.0) < 1.0)
    assert abs(core[-1] - core[1]) < 0.3


def test_batch_equals_single() -> None:
    """Each body of a batch gives the same result as simulated alone."""
    protos = [
        chamber(body()),
        chamber(body(male=False, height_m=1.62, mass_kg=55), air_c=-140.0),
        chamber(body(height_m=1.9, mass_kg=110), exposure_s=120.0),
    ]
    batch = simulate_protocols(protos)
    for b, proto in enumerate(protos):
        alone = simulate_protocols([proto])
        n = int(alone.n_out[0])
        np.testing.assert_allclose(batch.skin_c[b, :n], alone.skin_c[0, :n], rtol=0, atol=1e-10)
        np.testing.assert_allclose(batch.core_c[b, :n], alone.core_c[0, :n], rtol=0, atol=1e-10)
        np.testing.assert_allclose(batch.probe_c[b, :n], alone.probe_c[0, :n], rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("warm_c", "cold_c"), [(-60.0, -110.0), (-110.0, -140.0), (-140.0, -190.0)]
)
def test_colder_chamber_is_never_warmer(warm_c: float, cold_c: float) -> None:
    """No skin site is ever warmer in a colder chamber; deep tissue at most trivially.

    Deep muscle and core can be warmer by a few 1e-5 °C in the first minutes: the colder
    chamber constricts skin vessels harder, so the blood loses less heat to the skin (the
    physiological purpose of vasoconstriction); 0.01 °C bounds that effect.
    """
    run = simulate_protocols([chamber(body(), air_c=warm_c), chamber(body(), air_c=cold_c)])
    assert np.all(run.skin_c[1] <= run.skin_c[0] + 1e-9)
    assert np.all(run.probe_c[1] <= run.probe_c[0] + 0.01)
    assert np.all(run.core_c[1] <= run.core_c[0] + 0.01)
    assert run.skin_c[1].min() < run.skin_c[0].min()


def test_compiled_and_interpreted_kernels_agree() -> None:
    """The numba kernel and the same source run by Python give the same temperatures."""
    proto = chamber(body(), exposure_s=60.0, recovery_s=60.0)
    fast = simulate_protocols([proto], engine="numba")
    slow = simulate_protocols([proto], engine="python")
    np.testing.assert_allclose(fast.skin_c, slow.skin_c, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fast.core_c, slow.core_c, rtol=0, atol=1e-8)


def test_time_step_convergence() -> None:
    """Backward Euler converges at first order; the 10 s default is within 0.25 °C of 1 s.

    0.25 °C is a quarter of the between-subject SD of thigh skin after WBC in Costello 2012
    (1.0 °C), the whole-body row with the tightest contact measurement.
    """
    runs = {dt: simulate_protocols([chamber(body())], dt_s=dt) for dt in (1.0, 5.0, 10.0)}

    def error(dt: float) -> float:
        return float(
            max(
                np.max(np.abs(runs[dt].skin_c - runs[1.0].skin_c)),
                np.max(np.abs(runs[dt].probe_c - runs[1.0].probe_c)),
                np.max(np.abs(runs[dt].core_c - runs[1.0].core_c)),
            )
        )

    assert error(10.0) < 0.25
    assert 1.5 < error(10.0) / error(5.0) < 3.0  # first order: halving dt halves the error


def test_radial_grid_convergence() -> None:
    """Refining the radial grid converges; the default grid's error stays under 1 SD.

    Against a grid with 4-6x the cells, the default grid is off by at most about 0.7 °C
    on skin (small distal segments after the regulated run-in), 0.4 °C on thigh muscle and
    0.1 °C on core (docs/whole_body.md).  The bound is the between-subject SD of thigh
    skin after WBC in Costello 2012 (1.0 °C); the errors must shrink as the grid refines.
    """
    proto = chamber(body())
    ref = simulate_protocols([proto], dt_s=2.0, cells_per_layer=(8, 24, 16, 12))
    errors = []
    for cells in ((2, 4, 3, 2), (4, 8, 6, 4), (6, 16, 12, 8)):
        run = simulate_protocols([proto], dt_s=2.0, cells_per_layer=cells)
        errors.append(
            (
                float(np.max(np.abs(run.skin_c - ref.skin_c))),
                float(np.max(np.abs(run.probe_c - ref.probe_c))),
                float(np.max(np.abs(run.core_c - ref.core_c))),
            )
        )
    assert max(errors[0]) < 1.0
    for coarse, fine in itertools.pairwise(errors):
        assert all(f < c for f, c in zip(fine, coarse, strict=True))


def test_ageing_weakens_regulation() -> None:
    """JOS-3 ageing decrements: shivering falls by decade, dilation and sweating from 60."""
    from cryotx.physics.wholebody.regulation import age_factors

    shiver = [age_factors(age)[0] for age in (25, 35, 45, 55, 65, 75, 85)]
    assert shiver[0] == 1.0
    assert all(b < a for a, b in itertools.pairwise(shiver))
    _, dilate_young, sweat_young = age_factors(59.0)
    _, dilate_old, sweat_old = age_factors(60.0)
    assert np.all(dilate_young == 1.0) and np.all(sweat_young == 1.0)
    assert np.all(dilate_old < 1.0) and np.all(sweat_old < 1.0)


def test_natural_convection_does_not_restart_at_each_segment() -> None:
    """The knee shares the legs' boundary layer: its coefficient is the thigh's, not higher.

    At -110 °C a standing body's layer is turbulent above the lower leg (film Rayleigh
    number about 2e9 at 0.35 m), where the Churchill-Chu coefficient no longer depends on
    the length; a knee that restarted its own 9-cm layer would get a laminar, larger one.
    """
    from cryotx.physics.wholebody import boundary as bnd
    from cryotx.physics.wholebody.body import build_bodies

    bodies = build_bodies([body()])
    height = np.array([1.78])
    air = np.full((1, bodies.area_m2.shape[1]), -110.0)
    speed = np.zeros_like(air)
    _, k_over_l, ra_per_k, cc = bnd.convection_terms(
        air, air_speed_m_per_s=speed, outer_radius_m=bodies.outer_radius_m, height_m=height
    )
    natural = k_over_l * (0.825 + cc * (ra_per_k * 140.0) ** (1 / 6)) ** 2
    knee, thigh = natural[0, SEGMENT_INDEX["knee"]], natural[0, SEGMENT_INDEX["thigh"]]
    assert abs(knee / thigh - 1.0) < 0.05
    # the same correlation over the knee's own 9-cm span gives a coefficient over 10 % larger
    own = 0.049 * height[0]
    k_air = k_over_l[0, SEGMENT_INDEX["knee"]] * (0.334 * height[0])
    ra_own = ra_per_k[0, SEGMENT_INDEX["knee"]] * (own / (0.334 * height[0])) ** 3
    restarted = k_air / own * (0.825 + cc[0, 0] * (ra_own * 140.0) ** (1 / 6)) ** 2
    assert restarted > 1.1 * knee


def test_trunk_totals_are_shared_by_core_volume() -> None:
    """Pooled trunk segments get one value per m³ of core; the trunk total is kept."""
    from cryotx.physics.wholebody import body as wb_body

    trunk = [SEGMENT_INDEX[s] for s in wb_body.TRUNK_POOL_SEGMENTS]
    rng = np.random.default_rng(3)
    values = rng.uniform(1.0, 5.0, (2, len(SEGMENT_INDEX)))
    core_volume = rng.uniform(0.001, 0.01, values.shape)
    pooled = wb_body._pool_over_trunk(values, core_volume)
    assert np.allclose(pooled[:, trunk].sum(1), values[:, trunk].sum(1))
    rate = pooled[:, trunk] / core_volume[:, trunk]
    assert np.allclose(rate, rate[:, :1])
    others = [i for i in range(values.shape[1]) if i not in trunk]
    assert np.array_equal(pooled[:, others], values[:, others])


def test_trunk_pooling_moves_flow_and_heat_but_keeps_the_body_totals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pooling only moves JOS-3's trunk flow and metabolism between trunk segments."""
    from cryotx.physics.wholebody import body as wb_body

    pooled = wb_body.build_bodies([body()])
    monkeypatch.setattr(wb_body, "TRUNK_POOL_SEGMENTS", ())
    by_segment = wb_body.build_bodies([body()])
    trunk = [SEGMENT_INDEX[s] for s in ("chest", "back", "abdomen", "lumbar")]
    for name in ("perfusion_w_per_k", "metabolism_w"):
        a, b = getattr(pooled, name)[0], getattr(by_segment, name)[0]
        assert a[trunk].sum() == pytest.approx(b[trunk].sum(), rel=1e-12)
        assert np.array_equal(np.delete(a, trunk, axis=0), np.delete(b, trunk, axis=0))
    # the Dempster abdomen and pelvis (abdomen + lumbar) hold more visceral core than the
    # JOS-3 pelvis whose flow they got segment by segment: pooling raises their flow
    pelvis = [SEGMENT_INDEX["abdomen"], SEGMENT_INDEX["lumbar"]]
    assert (
        pooled.perfusion_w_per_k[0, pelvis].sum()
        > 2 * by_segment.perfusion_w_per_k[0, pelvis].sum()
    )


def test_basal_skin_flow_is_jos3s() -> None:
    """The regulated skin flow starts from JOS-3's basal values, segment by segment.

    (Until the fourth session it started from the local engine's resting-limb skin
    perfusion, a tenth of it, while the documentation said JOS-3's.)
    """
    from cryotx.physics import tissues
    from cryotx.physics.wholebody import body as wb_body
    from cryotx.physics.wholebody import regulation as reg

    arrays = wb_body.build_bodies([body()])
    blood = tissues.BLOOD
    l_per_h = (
        arrays.skin_perfusion_w_per_k[0].sum(1)
        / (blood.density_kg_per_m3 * blood.specific_heat_j_per_kg_k)
        * 3.6e6
    )
    assert np.allclose(l_per_h, reg.BFB_SKIN_L_PER_H * arrays.flow_scale[0], rtol=1e-9)


def test_hyperthermic_immersion_converges_at_the_default_step() -> None:
    """A body heated to a rectal 39.5 °C, then 15 min in stirred 2 °C water to the
    shoulders (the gagnon2010 protocol): the 10 s default within 0.05 °C of 1 s.

    With a uniform 10 s step the first step of the bath kept the hot state's dilated skin
    flow for 10 s and the core fell about 0.3 °C too fast; every phase now opens with a
    ramp of short steps (1, 1, 2, 2, 4, 4, 8, 8 s; docs/whole_body.md, Time step).  0.05 °C
    is a sixth of the issue's 0.3 °C.
    """
    from cryotx.physics.wholebody.boundary import IMMERSION_LEVELS, WATER_STIRRED_H_W_PER_M2_K

    proto = Protocol(
        body=body(),
        pre_phases=(Phase(duration_s=1800.0, air_c=40.0, max_dt_s=30.0),),
        phases=(
            Phase(
                duration_s=900.0,
                air_c=25.0,
                water_c=2.0,
                water_level_frac=IMMERSION_LEVELS["shoulder"],
                water_h_w_per_m2_k=WATER_STIRRED_H_W_PER_M2_K,
            ),
        ),
        output_times_s=(0.0, 300.0, 600.0, 900.0),
        initial_core_c=39.5,
    )
    coarse, fine = (simulate_protocols([proto], dt_s=dt) for dt in (10.0, 1.0))
    assert fine.core_c[0, -1] < 39.0  # it does cool
    np.testing.assert_allclose(coarse.core_c, fine.core_c, rtol=0, atol=0.05)


@pytest.mark.parametrize(
    ("dt_phase", "duration", "onset", "n"),
    [
        (10.0, 180.0, 30.0, 8),  # 1+1+2+2+4+4+8+8, then 10 s steps
        (30.0, 7200.0, 62.0, 10),  # ... +16+16 under a 30 s step
        (10.0, 5.0, 4.0, 3),  # a short phase: 1+1+2, the last second at the main step
        (1.0, 100.0, 0.0, 0),  # steps of 1 s need no ramp
    ],
)
def test_every_phase_opens_with_a_ramp_of_short_steps(
    dt_phase: float, duration: float, onset: float, n: int
) -> None:
    from cryotx.physics.wholebody._kernel import onset_ramp, onset_step

    got_onset, got_n = onset_ramp(dt_phase, duration)
    assert (got_onset, got_n) == (onset, n)
    steps = [onset_step(k) for k in range(got_n)]
    assert sum(steps) == got_onset and all(h < dt_phase for h in steps)
