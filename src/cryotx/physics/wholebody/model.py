"""Batched whole-body simulation of explicit phase protocols (no Scenario parsing here).

A :class:`Protocol` is one body and a list of :class:`Phase` (constant surroundings each):
phases before time zero (rest in the room, pre-chamber) are simulated but not reported,
phases from time zero on are reported at ``output_times_s``.  Before them every body is
brought to its own neutral steady state (passive, nude, 28.8 °C operative, 0.1 m/s, 50 %
RH, activity ratio 1.25, as JOS-3 does [Takahashi2021]_), which defines its skin and core
set points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cryotx.errors import InputError
from cryotx.physics import tissues
from cryotx.physics.wholebody import _kernel
from cryotx.physics.wholebody import boundary as bnd
from cryotx.physics.wholebody import regulation as reg
from cryotx.physics.wholebody.body import CELLS_PER_LAYER, BodyArrays, BodySpec, build_bodies
from cryotx.physics.wholebody.segments import N_SEGMENTS, SEGMENT_INDEX

__all__ = [
    "DEFAULT_DT_S",
    "MAX_DT_S",
    "NEUTRAL_PHASE",
    "Phase",
    "Protocol",
    "WholeBodyRun",
    "simulate_protocols",
]

DEFAULT_DT_S = 10.0  # meets the validation targets; see benchmarks/bench_whole_body.py
MAX_DT_S = 30.0  # the regulation lags one step behind the temperatures (docs/whole_body.md)
_NEUTRAL_DT_S = 3600.0
_NEUTRAL_STEPS = 48


@dataclass(frozen=True)
class Phase:
    """Constant surroundings for ``duration_s``.

    ``air_c`` is the gas around the body, ``wall_c`` the radiating walls (default: the
    gas); ``head_room_c`` puts head and neck in room air at that temperature (partial-body
    cabins); ``water_c`` with ``water_level_frac`` (of body height) immerses the body.
    """

    duration_s: float
    air_c: float
    wall_c: float | None = None
    air_speed_m_per_s: float = 0.1
    relative_humidity: float = 0.5
    clothing: tuple[str, ...] = ()
    head_room_c: float | None = None
    water_c: float | None = None
    water_level_frac: float = 0.0
    water_h_w_per_m2_k: float = bnd.WATER_STILL_H_W_PER_M2_K
    activity_ratio: float = 1.25  # sitting/standing quietly [Takahashi2021] default PAR
    max_dt_s: float | None = None  # this phase's own time step (None: the run's dt)


# JOS-3's neutral condition [Takahashi2021]: nude, 28.8 °C, still air.  JOS-3 uses natural
# convection alone below 0.2 m/s (its ``conv_coef``, manikin values of Ichihara 1997), so
# the neutral state here has no forced term: air speed 0 (docs/whole_body.md).
NEUTRAL_PHASE = Phase(duration_s=_NEUTRAL_DT_S * _NEUTRAL_STEPS, air_c=28.8, air_speed_m_per_s=0.0)


@dataclass(frozen=True)
class Protocol:
    """One body's protocol: phases before and after time zero, outputs and probes.

    ``probes`` are ``(segment, depth_from_skin_m)``; ``initial_core_c`` (optional) raises
    core, muscle and blood to that temperature at time ``-sum(pre-phase durations)``
    after the rest phase (an exercise-heated start).
    """

    body: BodySpec
    phases: tuple[Phase, ...]
    output_times_s: tuple[float, ...]
    pre_phases: tuple[Phase, ...] = ()
    probes: tuple[tuple[str, float], ...] = ()
    initial_core_c: float | None = None
    field_prefix: str = ""
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class WholeBodyRun:
    """Outputs of a batch, first axis = body; times padded with NaN to the longest."""

    time_s: np.ndarray  # (n, n_out)
    skin_c: np.ndarray  # (n, n_out, N_SEGMENTS)
    probe_c: np.ndarray  # (n, n_out, n_probe)
    core_c: np.ndarray  # (n, n_out) rectal (pelvic core)
    frozen_depth_m: np.ndarray  # (n, N_SEGMENTS) deepest frozen front from the skin
    energy_j: np.ndarray  # (n, 5) see _kernel.ENERGY_FIELDS
    set_skin_c: np.ndarray  # (n, N_SEGMENTS)
    set_core_c: np.ndarray  # (n, N_SEGMENTS)
    area_m2: np.ndarray  # (n, N_SEGMENTS)
    n_out: np.ndarray  # (n,)


def _regulation_arrays() -> tuple[np.ndarray, np.ndarray]:
    reg_s = np.vstack(
        [
            reg.RECEPTOR_WEIGHT,
            reg.SKIN_DILATE,
            reg.SKIN_CONSTRICT,
            reg.SHIVER_FRAC,
            reg.SWEAT_FRAC,
            reg.WORK_FRAC,
        ]
    )
    blood = tissues.BLOOD
    reg_c = np.array(
        [
            tissues.FREEZING_START_C,
            tissues.FREEZING_END_C,
            blood.density_kg_per_m3 * blood.specific_heat_j_per_kg_k,
            reg.CIVD_ONSET_C,
            reg.CIVD_TAU_S,
            reg.CIVD_MAX_L_PER_H,
            reg.AVA_HAND_L_PER_H,
            reg.AVA_FOOT_L_PER_H,
        ]
    )
    return reg_s, reg_c


def _phase_arrays(
    phases: list[list[Phase]], bodies: BodyArrays, heights: np.ndarray, t0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(phases)
    n_p = max(len(p) for p in phases)
    phase_s = np.zeros((n, n_p, 8))
    phase_v = np.zeros((n, n_p, 11, N_SEGMENTS))
    head_neck = [SEGMENT_INDEX["head"], SEGMENT_INDEX["neck"]]
    for b, plist in enumerate(phases):
        t = t0[b]
        for p, ph in enumerate(plist):
            air = np.full(N_SEGMENTS, ph.air_c, dtype=np.float64)
            wall = np.full(N_SEGMENTS, ph.air_c if ph.wall_c is None else ph.wall_c)
            speed = np.full(N_SEGMENTS, ph.air_speed_m_per_s)
            p_air = np.full(
                N_SEGMENTS, ph.relative_humidity * bnd.saturation_pressure_kpa(ph.air_c)
            )
            resp_c, resp_p = ph.air_c, float(p_air[0])
            if ph.head_room_c is not None:
                air[head_neck] = ph.head_room_c
                wall[head_neck] = ph.head_room_c
                speed[head_neck] = 0.1
                p_air[head_neck] = 0.5 * bnd.saturation_pressure_kpa(ph.head_room_c)
                resp_c, resp_p = ph.head_room_c, float(p_air[head_neck[0]])
            h_f, k_l, ra, cc = bnd.convection_terms(
                air[None, :],
                air_speed_m_per_s=speed[None, :],
                outer_radius_m=bodies.outer_radius_m[b : b + 1],
                height_m=heights[b : b + 1],
            )
            wet = (
                bnd.wetted_fraction(ph.water_level_frac)
                if ph.water_c is not None
                else np.zeros(N_SEGMENTS)
            )
            r_cl = bnd.clothing_insulation(list(ph.clothing), field="modality.clothing")
            phase_s[b, p] = (
                ph.duration_s,
                t,
                0.0 if ph.water_c is None else ph.water_c,
                ph.water_h_w_per_m2_k,
                resp_c,
                resp_p,
                ph.activity_ratio,
                0.0 if ph.max_dt_s is None else ph.max_dt_s,
            )
            rad = bnd.EMISSIVITY_SKIN * bnd.RADIATING_AREA_FRAC * bnd.SIGMA_W_PER_M2_K4
            phase_v[b, p, 0] = air
            phase_v[b, p, 1] = wall
            phase_v[b, p, 2] = h_f[0]
            phase_v[b, p, 3] = k_l[0]
            phase_v[b, p, 4] = ra[0]
            phase_v[b, p, 5] = cc[0]
            phase_v[b, p, 6] = rad
            phase_v[b, p, 7] = wet
            phase_v[b, p, 8] = r_cl
            phase_v[b, p, 9] = 1.0 + 0.31 * r_cl / bnd.CLO_M2K_PER_W  # [McCullough1984]
            phase_v[b, p, 10] = p_air
            t += ph.duration_s
    return phase_s, phase_v, np.array([len(p) for p in phases], dtype=np.int64)


def _call(engine: str, *args: object) -> None:
    if engine == "numba":
        _kernel.run(*args)
    elif engine == "python":
        n = args[-9].shape[0]  # type: ignore[attr-defined]
        for b in range(n):
            _kernel._body.py_func(b, *args)
    else:  # pragma: no cover - checked by the caller
        raise ValueError(engine)


def simulate_protocols(
    protocols: list[Protocol],
    *,
    dt_s: float = DEFAULT_DT_S,
    engine: str = "numba",
    cells_per_layer: tuple[int, int, int, int] = CELLS_PER_LAYER,
) -> WholeBodyRun:
    """Simulate a batch of protocols in one call.

    Parameters
    ----------
    protocols : list of Protocol
        One per body.
    dt_s : float
        Largest time step [s] (each phase is split into equal steps not longer).
    engine : {"numba", "python"}
        Compiled kernel (parallel over bodies) or the same source interpreted.
    cells_per_layer : tuple of 4 int
        Radial cells in core, muscle, fat and skin (default: the validated grid).

    Returns
    -------
    WholeBodyRun
    """
    n = len(protocols)
    bodies = build_bodies(
        [p.body for p in protocols],
        cells_per_layer=cells_per_layer,
        field_prefixes=[p.field_prefix for p in protocols],
    )
    n_nodes = bodies.capacity_j_per_k.shape[2]
    muscle_top = cells_per_layer[0] + cells_per_layer[1]  # node at the muscle/fat boundary
    heights = np.array([p.body.height_m for p in protocols])
    geo = (
        bodies.capacity_j_per_k,
        bodies.latent_j,
        bodies.conductance_w_per_k,
        bodies.perfusion_w_per_k,
        bodies.skin_perfusion_w_per_k,
        bodies.metabolism_w,
        bodies.muscle_share,
        bodies.radius_m,
        bodies.area_m2,
    )
    reg_s, reg_c = _regulation_arrays()
    ages = [reg.age_factors(p.body.age_y) for p in protocols]
    body_c = np.column_stack(
        [
            bodies.blood_capacity_j_per_k,
            bodies.bmr_w,
            bodies.flow_scale,
            np.array([a[0] for a in ages]),
            np.array([a[1] for a in ages]),
            np.array([a[2] for a in ages]),
        ]
    )
    temp = np.full((n, N_SEGMENTS, n_nodes), 36.0)
    blood = np.full(n, 36.5)
    dummy_set = np.zeros((n, N_SEGMENTS))

    def scratch(n_out_max: int, n_probe: int) -> tuple[np.ndarray, ...]:
        return (
            np.full((n, n_out_max, N_SEGMENTS), np.nan),
            np.full((n, n_out_max, max(n_probe, 1)), np.nan),
            np.full((n, n_out_max), np.nan),
            np.zeros((n, N_SEGMENTS)),
            np.zeros((n, 5)),
        )

    # 1. neutral passive steady state -> set points
    ps, pv, npp = _phase_arrays([[NEUTRAL_PHASE]] * n, bodies, heights, np.zeros(n))
    none_probe = np.zeros((n, 1), dtype=np.int64)
    none_r = np.zeros((n, 1))
    no_out = np.zeros((n, 1))
    skin_o, probe_o, core_o, frozen_o, energy_o = scratch(1, 0)
    _call(
        engine,
        geo,
        ps,
        pv,
        npp,
        reg_s,
        reg_c,
        body_c,
        dummy_set,
        dummy_set,
        none_probe,
        none_r,
        no_out,
        np.zeros(n, dtype=np.int64),
        temp,
        blood,
        _NEUTRAL_DT_S,
        False,
        skin_o,
        probe_o,
        core_o,
        frozen_o,
        energy_o,
    )
    set_skin = temp[:, :, -1].copy()
    set_core = temp[:, :, 0].copy()

    # 2. rest and pre-exposure phases (regulated, not reported)
    pre = [list(p.pre_phases) for p in protocols]
    if any(pre):
        pre = [p if p else [Phase(duration_s=dt_s, air_c=28.8)] for p in pre]
        t0 = -np.array([sum(ph.duration_s for ph in p) for p in pre])
        ps, pv, npp = _phase_arrays(pre, bodies, heights, t0)
        skin_o, probe_o, core_o, frozen_o, energy_o = scratch(1, 0)
        _call(
            engine,
            geo,
            ps,
            pv,
            npp,
            reg_s,
            reg_c,
            body_c,
            set_skin,
            set_core,
            none_probe,
            none_r,
            no_out,
            np.zeros(n, dtype=np.int64),
            temp,
            blood,
            dt_s,
            True,
            skin_o,
            probe_o,
            core_o,
            frozen_o,
            energy_o,
        )
    for b, proto in enumerate(protocols):
        if proto.initial_core_c is not None:
            warm = bodies.radius_m[b] <= bodies.radius_m[b][:, [muscle_top]]  # core and muscle
            temp[b] = np.where(warm, np.maximum(temp[b], proto.initial_core_c), temp[b])
            blood[b] = max(blood[b], proto.initial_core_c)
    frozen_pre = frozen_o.copy()

    # 3. reported phases
    n_out = np.array([len(p.output_times_s) for p in protocols], dtype=np.int64)
    n_probe = max(len(p.probes) for p in protocols)
    out_t = np.full((n, int(n_out.max())), np.nan)
    probe_seg = np.zeros((n, max(n_probe, 1)), dtype=np.int64)
    probe_r = np.zeros((n, max(n_probe, 1)))
    for b, proto in enumerate(protocols):
        out_t[b, : n_out[b]] = proto.output_times_s
        for k, (segment, depth_m) in enumerate(proto.probes):
            s = SEGMENT_INDEX[segment]
            probe_seg[b, k] = s
            if depth_m >= bodies.outer_radius_m[b, s]:
                raise InputError(
                    f"{proto.field_prefix}probes.{k}.depth_mm",
                    f"deeper than the {segment} of this body "
                    f"({bodies.outer_radius_m[b, s] * 1e3:.0f} mm to its axis)",
                )
            probe_r[b, k] = bodies.outer_radius_m[b, s] - depth_m
    ps, pv, npp = _phase_arrays([list(p.phases) for p in protocols], bodies, heights, np.zeros(n))
    skin_o, probe_o, core_o, frozen_o, energy_o = scratch(int(n_out.max()), n_probe)
    _call(
        engine,
        geo,
        ps,
        pv,
        npp,
        reg_s,
        reg_c,
        body_c,
        set_skin,
        set_core,
        probe_seg,
        probe_r,
        out_t,
        n_out,
        temp,
        blood,
        dt_s,
        True,
        skin_o,
        probe_o,
        core_o,
        frozen_o,
        energy_o,
    )
    return WholeBodyRun(
        time_s=out_t,
        skin_c=skin_o,
        probe_c=probe_o[:, :, :n_probe],
        core_c=core_o,
        frozen_depth_m=np.maximum(frozen_o, frozen_pre),
        energy_j=energy_o,
        set_skin_c=set_skin,
        set_core_c=set_core,
        area_m2=bodies.area_m2,
        n_out=n_out,
    )
