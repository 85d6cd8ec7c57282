"""The local thermal engine: scenarios in, probe traces and metrics out.

:func:`simulate` builds one grid per local scenario, computes the pre-exposure steady
state (resting perfusion and metabolism, skin exposed to the room), then runs all of them
as one batch through the compiled kernel (``engine="numba"``) or the NumPy reference
path (``engine="numpy"``).  Whole-body scenarios go to
``cryotx.physics.wholebody.simulate_whole_body``.

Physiology (docs/physics.md has the details and their evidence):

* Pennes bioheat equation [Pennes1948]_ with arterial blood at core temperature;
* perfusion and metabolism scale with local temperature, Q10 = 2 [Stolwijk1971]_;
* cold-induced vasoconstriction driven by skin temperature, fast on and slow off, so
  that it persists into rewarming [Khoshnevis2015]_;
* cold-induced vasodilation in the hand after its published onset [Kingma2019]_;
* tissue freezing with latent heat (enthalpy method, :mod:`cryotx.physics._kernel`).

References
----------
.. [Pennes1948] Pennes HH. Analysis of tissue and arterial blood temperatures in the
   resting human forearm. J Appl Physiol 1948;1(2):93-122.
   :doi:`10.1152/jappl.1948.1.2.93`
.. [Stolwijk1971] Stolwijk JAJ. A mathematical model of physiological temperature
   regulation in man. NASA CR-1855, 1971.
.. [Khoshnevis2015] Khoshnevis S, Craik NK, Diller KR. Cold-induced vasoconstriction may
   persist long after cooling ends: an evaluation of multiple cryotherapy units. Knee
   Surg Sports Traumatol Arthrosc 2015;23(9):2475-83. :doi:`10.1007/s00167-014-2911-y`
.. [Kingma2019] Kingma CF, Hofman II, Daanen HAM. Relation between finger cold-induced
   vasodilation and rewarming speed after cold exposure. Eur J Appl Physiol
   2019;119:171-80. :doi:`10.1007/s00421-018-4012-y`
.. [Bugaj1975] Bugaj R. The cooling, analgesic, and rewarming effects of ice massage on
   localized skin. Phys Ther 1975;55(1):11-9. :doi:`10.1093/ptj/55.1.11`
.. [Algafly2007] Algafly AA, George KP. The effect of cryotherapy on nerve conduction
   velocity, pain threshold and pain tolerance. Br J Sports Med 2007;41(6):365-9.
   :doi:`10.1136/bjsm.2006.031237`
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from cryotx.errors import InputError
from cryotx.physics import _kernel
from cryotx.physics._grid import Grid, build_grid, stack_grids
from cryotx.physics._reference import run_numpy
from cryotx.physics._tridiag import solve_numpy
from cryotx.physics.modalities import AMBIENT_H_W_PER_M2_K, boundary_for
from cryotx.physics.scenario import Probe, Scenario, parse_scenarios
from cryotx.physics.tissues import (
    DEFAULT_CORE_TEMP_C,
    FREEZING_END_C,
    FREEZING_START_C,
    SKIN_THICKNESS_M,
    estimated_fat_m,
    fat_from_skinfold_m,
)

__all__ = [
    "ANALGESIA_C",
    "BE_DT_S",
    "DEFAULT_DT_S",
    "DEFAULT_SCHEME",
    "FIRST_STEP_S",
    "NERVE_C",
    "PHYSIOLOGY",
    "STEP_GROWTH",
    "ProbeTrace",
    "SimulationResult",
    "fat_thickness_m",
    "simulate",
]

ANALGESIA_C = 13.6  # skin analgesia threshold [Bugaj1975]
NERVE_C = 10.0  # skin 10 °C slowed tibial nerve conduction by 32.8 % [Algafly2007]
DEFAULT_SCHEME = "bdf2"
"""Time integrator: ``"bdf2"`` (variable-step BDF2, backward Euler at phase starts and in
the freezing range) or ``"be"`` (backward Euler throughout, the scheme before 2026-11-24)."""
DEFAULT_DT_S = 45.0  # largest BDF2 step (accuracy: tests/physics/test_convergence.py)
FIRST_STEP_S = 1.0  # first step after every phase start (application on/off) ...
STEP_GROWTH = 1.3  # ... growing geometrically up to the largest step
BE_DT_S = 5.0  # backward Euler's step (validated with it before BDF2)
_SCHEMES = {"be": 0, "bdf2": 1}

PHYSIOLOGY: dict[str, float] = {
    "q10_perfusion": 2.0,  # local temperature effect on blood flow [Stolwijk1971]
    "q10_metabolism": 2.0,  # local metabolism [Stolwijk1971]
    "vc_onset_c": 27.0,  # constriction grows below ~27 °C skin [Khoshnevis2015] (27.3 °C weak)
    "vc_full_c": 15.0,  # full constriction by ~15-17 °C skin [Khoshnevis2015] (16.6 °C strong)
    "vc_tau_on_s": 120.0,  # constriction within minutes of cold contact (estimate)
    "vc_tau_off_s": 7200.0,  # persisted through 2 h of rewarming [Khoshnevis2015]
    "freeze_start_c": FREEZING_START_C,
    "freeze_end_c": FREEZING_END_C,
    "civd_skin_c": 15.0,  # CIVD appears in cold digits (skin < ~15 °C) [Daanen2003]
    "analgesia_c": ANALGESIA_C,
    "nerve_c": NERVE_C,
}
"""Physiological parameters of the kernel, in the order of ``_kernel.PHYS_FIELDS``."""

CIVD_ONSET_S = 12.7 * 60.0  # finger CIVD onset in ice water 12.7 ± 3.1 min [Kingma2019]


@dataclass(frozen=True)
class ProbeTrace:
    """Temperature of one probe over time: ``temp_c`` has the length of ``time_s``."""

    probe: Probe
    temp_c: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the probe spec plus ``temp_c``."""
        spec = self.probe.model_dump(exclude_none=True, exclude_defaults=True)
        spec["measure"] = self.probe.measure
        spec["temp_c"] = [round(float(v), 3) for v in self.temp_c]
        return spec


@dataclass(frozen=True)
class SimulationResult:
    """Result of one scenario (the Result contract of DESIGN.md)."""

    time_s: np.ndarray
    probes: list[ProbeTrace]
    metrics: dict[str, float | None]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The Result JSON: ``time_s``, ``probes``, ``metrics``, ``warnings``."""
        return {
            "time_s": [float(t) for t in self.time_s],
            "probes": [p.to_dict() for p in self.probes],
            "metrics": {
                k: (None if v is None else round(float(v), 3)) for k, v in self.metrics.items()
            },
            "warnings": list(self.warnings),
        }


def fat_thickness_m(scenario: Scenario) -> float:
    """Subcutaneous fat at the treated site [m]: measured, from skinfold, or estimated."""
    subject = scenario.subject
    if scenario.site in subject.fat_mm:
        return subject.fat_mm[scenario.site] * 1e-3
    if scenario.site in subject.skinfold_mm:
        return fat_from_skinfold_m(subject.skinfold_mm[scenario.site])
    return estimated_fat_m(
        sex=subject.sex,
        age_y=subject.age_y,
        height_m=subject.height_m,
        mass_kg=subject.mass_kg,
        measured_percent=subject.body_fat_percent,
    )


def _probe_depth_m(probe: Probe, grid: Grid, *, fat_m: float, index: str) -> float:
    """Depth of a probe below the skin surface [m] (inf for core)."""
    if probe.measure in ("skin", "skin_mean"):
        return (probe.depth_mm or 0.0) * 1e-3  # intracutaneous thermocouple, else surface
    if probe.measure == "core":
        return math.inf
    if probe.measure == "subcutaneous":
        if fat_m <= 0:
            raise InputError(f"{index}.measure", "no subcutaneous fat at this site")
        return SKIN_THICKNESS_M + 0.5 * fat_m
    if probe.measure == "intra_articular":
        lo_m, hi_m = grid.layer_bounds_m["synovial"]
        return 0.5 * (lo_m + hi_m)
    assert probe.depth_mm is not None
    base = SKIN_THICKNESS_M + fat_m if probe.below == "fat" else 0.0
    return base + probe.depth_mm * 1e-3


def _probe_position(
    probe: Probe, grid: Grid, *, fat_m: float, site: str, index: str
) -> tuple[int, int, float]:
    """(lo, hi, weight) of a probe: -1 = skin surface, N_NODES = core."""
    n = grid.cap_j_per_m2_k.size
    if probe.measure in ("skin", "skin_mean") and not probe.depth_mm:
        return -1, -1, 0.0
    if probe.measure == "core":
        return n, n, 0.0
    target = _probe_depth_m(probe, grid, fat_m=fat_m, index=index)
    depth = grid.depth_m[: grid.n_valid]
    if target >= depth[-1]:
        if target > depth[-1] + 1e-3 and probe.measure == "intramuscular":
            raise InputError(f"{index}.depth_mm", f"deeper than the {site} is")
        return grid.n_valid - 1, grid.n_valid - 1, 0.0
    if target <= depth[0]:
        return -1, 0, target / depth[0]
    hi = int(np.searchsorted(depth, target))
    lo = hi - 1
    return lo, hi, float((target - depth[lo]) / (depth[hi] - depth[lo]))


@lru_cache(maxsize=4096)
def _site_grid(site: str, fat_m: float) -> Grid:
    """Grid of a site and fat thickness, cached (grids are only read, then stacked)."""
    return build_grid(site, fat_m=fat_m)


def _steady_state(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Pre-exposure steady state: resting perfusion and metabolism, skin to the room."""
    n_patients, n = arrays["cap"].shape
    g = arrays["gface"]
    lower = np.zeros((n_patients, n))
    upper = np.zeros((n_patients, n))
    lower[:, 1:] = -g[:, :-1]
    upper[:, :-1] = -g[:, :-1]
    diag = arrays["perf0"].copy()
    diag[:, 1:] += g[:, :-1]
    diag[:, :-1] += g[:, :-1]
    gs = arrays["gsurf"] * arrays["h_amb"] / (arrays["gsurf"] + arrays["h_amb"])
    diag[:, 0] += gs
    rows = np.arange(n_patients)
    last = arrays["n_valid"] - 1
    diag[rows, last] += arrays["gdeep"]
    rhs = arrays["perf0"] * arrays["t_core"][:, None] + arrays["met0"]
    rhs[:, 0] += gs * arrays["t_amb"]
    rhs[rows, last] += arrays["gdeep"] * arrays["t_core"]
    return solve_numpy(lower, diag, upper, rhs)


def step_plan(
    schedule: Sequence[tuple[float, float]],
    end_s: float,
    *,
    dt_s: float,
    first_s: float,
    growth: float,
) -> list[tuple[float, int, int, float]]:
    """Steps of one patient: ``(end_s, n_graded, n_uniform, uniform_s)`` per phase.

    Phases run between application starts and ends, so that every change of the boundary
    falls on a step boundary.  Each phase starts with ``first_s`` and grows the step by
    ``growth`` while it is below ``dt_s`` (``growth`` 1: uniform), then takes equal steps
    of at most ``dt_s`` to the phase's end.  The kernels compute the graded steps by the
    same repeated multiplication.
    """
    cuts = {0.0, end_s}
    for start, stop in schedule:
        cuts.update(x for x in (start, stop) if 0.0 < x < end_s)
    bounds = sorted(cuts)
    plan = []
    for lo, hi in itertools.pairwise(bounds):
        length = hi - lo
        if length <= 1e-9 * max(1.0, hi):
            continue
        n_graded, total, h = 0, 0.0, first_s
        if growth > 1.0:
            while h < dt_s and total + h <= length:
                total += h
                n_graded += 1
                h *= growth
        rest = length - total
        n_uniform = math.ceil(rest / dt_s - 1e-9) if rest > 1e-6 else 0
        plan.append((hi, n_graded, n_uniform, rest / n_uniform if n_uniform else dt_s))
    return plan


def _may_freeze(bc: Any) -> bool:
    """Whether the agent starts colder than tissue freezes (its patients take steps of at
    most :data:`BE_DT_S`: the freezing range is stepped by first-order backward Euler)."""
    start_c = bc.agent_temp_c
    if bc.mode == 1 and bc.pack_start_j_per_m2 < 0.0:
        start_c = bc.pack_melt_c + bc.pack_start_j_per_m2 / bc.pack_solid_j_per_m2_k
    return bool(start_c < FREEZING_START_C)


def _batch_arrays(
    scenarios: Sequence[Scenario], *, dt_s: float, scheme: str = DEFAULT_SCHEME
) -> tuple[dict[str, np.ndarray], list[np.ndarray], int]:
    grids: list[Grid] = []
    n_probes = max(len(s.probes) for s in scenarios)
    n_apps = max(len(s.schedule) for s in scenarios)
    count = len(scenarios)
    probe_lo = np.full((count, n_probes), -1, dtype=np.int64)
    probe_hi = np.full((count, n_probes), -1, dtype=np.int64)
    probe_w = np.zeros((count, n_probes))
    probe_depth = np.zeros((count, n_probes))
    app_start = np.zeros((count, n_apps))
    app_end = np.zeros((count, n_apps))
    scalars: dict[str, list[float]] = {
        key: []
        for key in (
            "t_core",
            "t_amb",
            "h_amb",
            "n_steps",
            "out_dt",
            "grade_h0",
            "grade_r",
            "n_seg",
            "mode",
            "agent_c",
            "h_ext",
            "civd_onset",
            "n_apps",
        )
    }
    pack = np.zeros((count, 6))
    times: list[np.ndarray] = []
    plans = []
    n_out = 0
    graded = scheme == "bdf2"
    first_s = min(FIRST_STEP_S, dt_s) if graded else dt_s
    growth = STEP_GROWTH if graded else 1.0
    for p, scenario in enumerate(scenarios):
        fat_m = fat_thickness_m(scenario)
        grid = _site_grid(scenario.site, fat_m)
        grids.append(grid)
        for k, probe in enumerate(scenario.probes):
            probe_lo[p, k], probe_hi[p, k], probe_w[p, k] = _probe_position(
                probe, grid, fat_m=fat_m, site=scenario.site, index=f"probes.{k}"
            )
            probe_depth[p, k] = _probe_depth_m(probe, grid, fat_m=fat_m, index=f"probes.{k}")
        bc = boundary_for(scenario.modality, site=scenario.site)
        every = scenario.output_every_s
        # the run ends at the duration; outputs at every whole interval up to it
        n_times = math.floor(scenario.duration_s / every + 1e-9) + 1
        times.append(np.arange(n_times) * every)
        n_out = max(n_out, n_times)
        plan = step_plan(
            scenario.schedule,
            scenario.duration_s,
            dt_s=min(dt_s, BE_DT_S) if _may_freeze(bc) else dt_s,
            first_s=first_s,
            growth=growth,
        )
        plans.append(plan)
        for a, (start, end) in enumerate(scenario.schedule):
            app_start[p, a] = start
            app_end[p, a] = end
        core = scenario.subject.core_temp_c or DEFAULT_CORE_TEMP_C
        for key, value in (
            ("t_core", core),
            ("t_amb", scenario.ambient_c),
            ("h_amb", AMBIENT_H_W_PER_M2_K),
            ("n_steps", sum(g + u for _, g, u, _ in plan)),
            ("out_dt", every),
            ("grade_h0", first_s),
            ("grade_r", growth),
            ("n_seg", len(plan)),
            ("mode", bc.mode),
            ("agent_c", bc.agent_temp_c),
            ("h_ext", bc.h_w_per_m2_k),
            ("civd_onset", CIVD_ONSET_S if scenario.site == "hand" else math.inf),
            ("n_apps", len(scenario.schedule)),
        ):
            scalars[key].append(float(value))
        pack[p] = (
            bc.pack_solid_j_per_m2_k,
            bc.pack_liquid_j_per_m2_k,
            bc.pack_latent_j_per_m2,
            bc.pack_melt_c,
            bc.pack_start_j_per_m2,
            bc.pack_ambient_h_w_per_m2_k,
        )
    arrays = stack_grids(grids)
    for key, values in scalars.items():
        integer = key in ("n_steps", "n_seg", "mode", "n_apps")
        arrays[key] = np.array(values, dtype=np.int64 if integer else np.float64)
    arrays.update(_plan_arrays(plans))
    arrays.update(
        probe_lo=probe_lo,
        probe_hi=probe_hi,
        probe_w=probe_w,
        app_start=app_start,
        app_end=app_end,
        pack=pack,
        probe_depth=probe_depth,
    )
    arrays["tinit"] = _steady_state(arrays)
    return arrays, times, n_out


def _plan_arrays(plans: Sequence[Sequence[tuple[float, int, int, float]]]) -> dict[str, np.ndarray]:
    n_seg = max(len(plan) for plan in plans)
    seg_end = np.zeros((len(plans), n_seg))
    seg_ngrad = np.zeros((len(plans), n_seg), dtype=np.int64)
    seg_nu = np.zeros((len(plans), n_seg), dtype=np.int64)
    seg_hu = np.ones((len(plans), n_seg))
    for p, plan in enumerate(plans):
        for k, (end, n_graded, n_uniform, h_u) in enumerate(plan):
            seg_end[p, k], seg_ngrad[p, k], seg_nu[p, k], seg_hu[p, k] = (
                end,
                n_graded,
                n_uniform,
                h_u,
            )
    return {"seg_end": seg_end, "seg_ngrad": seg_ngrad, "seg_nu": seg_nu, "seg_hu": seg_hu}


def _uniform_plan(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Segment arrays of hand-built batches that give ``dt``, ``n_steps`` and ``out_steps``
    (tests): one phase of ``n_steps`` equal steps, an output every ``out_steps``."""
    n = arrays["n_steps"].shape[0]
    dt = arrays["dt"]
    return {
        "seg_end": (arrays["n_steps"] * dt)[:, None],
        "seg_ngrad": np.zeros((n, 1), dtype=np.int64),
        "seg_nu": arrays["n_steps"][:, None].astype(np.int64),
        "seg_hu": dt[:, None].astype(np.float64),
        "n_seg": np.ones(n, dtype=np.int64),
        "grade_h0": dt.astype(np.float64),
        "grade_r": np.ones(n),
        "out_dt": dt * arrays["out_steps"],
    }


def phys_array(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """Physiological parameters as the kernel wants them (tests may override)."""
    values = dict(PHYSIOLOGY)
    values.update(overrides or {})
    return np.array([values[name] for name in _kernel.PHYS_FIELDS], dtype=np.float64)


def run_arrays(
    arrays: dict[str, np.ndarray],
    *,
    n_out: int,
    engine: str = "numba",
    physiology: Mapping[str, float] | None = None,
    scheme: str = DEFAULT_SCHEME,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run prepared batch arrays (``out, metrics, final_temp``); used by tests and benchmarks.

    Arrays without a step plan (``seg_end``) take uniform steps from ``dt``, ``n_steps``
    and ``out_steps``.
    """
    phys = phys_array(physiology)
    if scheme not in _SCHEMES:
        raise InputError("scheme", f"unknown scheme {scheme!r} (bdf2 or be)")
    if "seg_end" not in arrays:
        arrays = arrays | _uniform_plan(arrays)
    if engine == "numba":
        return _kernel.run_numba(arrays, phys, n_out, scheme=_SCHEMES[scheme])
    if engine == "numpy":
        return run_numpy(arrays, phys, n_out, scheme=_SCHEMES[scheme])
    raise InputError("engine", f"unknown engine {engine!r} (numba or numpy)")


def _metrics(
    traces: list[ProbeTrace], row: np.ndarray, depths: np.ndarray
) -> dict[str, float | None]:
    def maybe(value: float) -> float | None:
        return None if value < 0 else float(value)

    metrics: dict[str, float | None] = {
        "skin_min_c": float(row[0]),
        "time_to_analgesia_s": maybe(row[1]),
        "time_to_10c_s": maybe(row[2]),
        "time_below_analgesia_s": float(row[3]),
        "time_below_10c_s": float(row[4]),
        "frozen_depth_mm": float(row[5]) * 1e3,
    }
    deepest: ProbeTrace | None = None
    deepest_depth = 0.0
    for i, trace in enumerate(traces):
        probe = trace.probe
        label = probe.measure if probe.depth_mm is None else f"{probe.measure}_{probe.depth_mm:g}mm"
        name = f"{label}_min_c"
        if probe.measure == "skin" and name in metrics:
            continue  # skin_min_c already holds it, at every time step
        if name in metrics:
            name = f"{label}_{i}_min_c"
        metrics[name] = float(trace.temp_c.min())
        if math.isfinite(depths[i]) and depths[i] > deepest_depth:
            deepest, deepest_depth = trace, float(depths[i])
    if deepest is not None:
        metrics["deep_drop_c"] = float(deepest.temp_c[0] - deepest.temp_c.min())
    else:
        metrics["deep_drop_c"] = None
    return metrics


def _warnings(scenario: Scenario, metrics: dict[str, float | None]) -> list[str]:
    out: list[str] = []
    frozen = metrics.get("frozen_depth_mm") or 0.0
    if frozen > 0.0:
        out.append(
            f"tissue froze to {frozen:.1f} mm depth (below {FREEZING_START_C} °C): "
            "risk of frostbite"
        )
    skin_min = metrics["skin_min_c"]
    if skin_min is not None and 0.0 < skin_min < 5.0 and frozen == 0.0:
        out.append(f"skin fell to {skin_min:.1f} °C: risk of cold injury near freezing")
    if any(p.measure == "core" for p in scenario.probes):
        out.append("core temperature is a boundary condition of the local model (held fixed)")
    if scenario.subject.fat_mm.get(scenario.site) is None and (
        scenario.subject.skinfold_mm.get(scenario.site) is None
    ):
        out.append("fat thickness estimated from sex, height and mass (whole-body mean)")
    if (
        scenario.modality.fixation == "wrap"
        and scenario.modality.heat_transfer_coefficient_w_per_m2_k is None
    ):
        out.append(
            "a wrapped pack's contact rests on one study each (Tomchuk 2010 for the wrap, "
            "Janwantanakul 2009 for its mass law) and no validation row: treat as uncertain"
        )
    return out


def _simulate_local(
    scenarios: Sequence[Scenario], *, engine: str, dt_s: float, scheme: str
) -> list[SimulationResult]:
    arrays, times, n_out = _batch_arrays(scenarios, dt_s=dt_s, scheme=scheme)
    out, metric_rows, _ = run_arrays(arrays, n_out=n_out, engine=engine, scheme=scheme)
    results: list[SimulationResult] = []
    for p, scenario in enumerate(scenarios):
        n_t = times[p].size
        traces = [
            ProbeTrace(probe=probe, temp_c=out[p, k, :n_t].copy())
            for k, probe in enumerate(scenario.probes)
        ]
        metrics = _metrics(traces, metric_rows[p], arrays["probe_depth"][p])
        results.append(
            SimulationResult(
                time_s=times[p],
                probes=traces,
                metrics=metrics,
                warnings=_warnings(scenario, metrics),
            )
        )
    return results


def simulate(
    scenarios: Sequence[Scenario | Mapping[str, Any]] | Scenario | Mapping[str, Any],
    *,
    engine: str = "numba",
    dt_s: float | None = None,
    scheme: str = DEFAULT_SCHEME,
) -> list[SimulationResult]:
    """Simulate scenarios; all local ones run as one batch.

    Parameters
    ----------
    scenarios : Scenario, mapping, or a sequence of them
        Parsed or raw Scenario JSON (see :mod:`cryotx.physics.scenario`).
    engine : {"numba", "numpy"}
        Compiled kernel or the NumPy reference path.
    dt_s : float, optional
        Largest time step [s]; default :data:`DEFAULT_DT_S` for BDF2, :data:`BE_DT_S` for
        backward Euler.  Steps are shortened so that every application starts and ends on
        a step; outputs between steps are interpolated (quadratic within a phase).
    scheme : {"bdf2", "be"}
        Time integrator, see :data:`DEFAULT_SCHEME`.

    Returns
    -------
    list of SimulationResult
        In input order.  Whole-body scenarios are simulated by
        ``cryotx.physics.wholebody.simulate_whole_body``.

    Raises
    ------
    InputError
        Naming the refused field.
    """
    if engine not in ("numba", "numpy"):
        raise InputError("engine", f"unknown engine {engine!r} (numba or numpy)")
    if scheme not in _SCHEMES:
        raise InputError("scheme", f"unknown scheme {scheme!r} (bdf2 or be)")
    default_s = DEFAULT_DT_S if scheme == "bdf2" else BE_DT_S
    step = default_s if dt_s is None else float(dt_s)
    if not (step > 0.0 and math.isfinite(step)):
        raise InputError("dt_s", "time step must be a positive number of seconds")
    parsed = parse_scenarios(scenarios)
    local = [i for i, s in enumerate(parsed) if s.site != "whole_body"]
    whole = [i for i, s in enumerate(parsed) if s.site == "whole_body"]
    results: list[SimulationResult | None] = [None] * len(parsed)
    if local:
        for i, result in zip(
            local,
            _simulate_local([parsed[i] for i in local], engine=engine, dt_s=step, scheme=scheme),
            strict=True,
        ):
            results[i] = result
    if whole:
        try:
            module = importlib.import_module("cryotx.physics.wholebody")
        except ModuleNotFoundError as error:
            if error.name not in ("cryotx.physics.wholebody",):
                raise
            raise InputError("site", "whole_body is not available yet") from None
        wb = module.simulate_whole_body([parsed[i] for i in whole], engine=engine, dt_s=dt_s)
        for i, result in zip(whole, wb, strict=True):
            results[i] = result
    return [r for r in results if r is not None]
