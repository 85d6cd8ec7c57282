"""Whole-body scenarios (``site: whole_body``) in, probe traces and metrics out.

Modalities and their defaults (every value can be given in the scenario):

=================  ===========================================================
``wbc_chamber``    gas −110 °C (the usual trial temperature, clinical evidence
                   file §2 and [Costello2015]_), after a pre-chamber of 30 s at
                   −60 °C (walk-in chamber sequence, clinical evidence file §1.4);
                   gear: shorts, gloves, socks and clogs, headband, mask (§1.4);
                   air speed 0.4 m/s (ASSUMPTION: slow walking in the chamber).
``pbc_cryosauna``  nitrogen vapour −160 °C ("below −160 °C", clinical evidence
                   file §5), head and neck in room air; gear: briefs, gloves,
                   wool socks, slippers (§1.4); vapour speed 0.5 m/s (ASSUMPTION).
``cold_water``     10 °C still water to the iliac crest (ASSUMPTION: common
                   recovery protocol; give ``immersion_depth``), swimwear.
=================  ===========================================================

Before the session the person spends 2 h in the room in light indoor clothing;
after it, 5 min in the session gear, then indoor clothing again (ASSUMPTIONS, see
docs/whole_body.md).  Time zero is the start of the (main) exposure.

Refusals (:class:`~cryotx.errors.InputError` naming the field): gas colder than boiling
nitrogen (by the Scenario model), WBC/PBC exposures longer than the 3-minute limit of the
clinical evidence file (§5: "WBC/PBC: 3 min maximum") unless
``modality.allow_long_exposure`` is true, unknown clothing codes or immersion depths,
probes the model does not have, fat thicker than a segment allows.

References
----------
.. [Costello2015] J. T. Costello, P. R. A. Baker, G. M. Minett, F. Bieuzen, I. B. Stewart,
   C. Bleakley, "Whole-body cryotherapy (extreme cold air exposure) for preventing and
   treating muscle soreness after exercise in adults," Cochrane Database Syst. Rev.,
   CD010789, 2015. :doi:`10.1002/14651858.CD010789.pub2`
.. [HardyDuBois1938] J. D. Hardy, E. F. DuBois, "The technic of measuring radiation and
   convection," J. Nutr., vol. 15, pp. 461-475, 1938. :doi:`10.1093/jn/15.5.461`
.. [Ramanathan1964] N. L. Ramanathan, "A new weighting system for mean surface temperature
   of the human body," J. Appl. Physiol., vol. 19, pp. 531-533, 1964.
   :doi:`10.1152/jappl.1964.19.3.531`
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cryotx.errors import InputError
from cryotx.physics import tissues
from cryotx.physics.engine import ANALGESIA_C, NERVE_C, ProbeTrace, SimulationResult
from cryotx.physics.scenario import Scenario
from cryotx.physics.wholebody import boundary as bnd
from cryotx.physics.wholebody.body import BodySpec
from cryotx.physics.wholebody.model import (
    DEFAULT_DT_S,
    MAX_DT_S,
    Phase,
    Protocol,
    WholeBodyRun,
    simulate_protocols,
)
from cryotx.physics.wholebody.segments import SEGMENT_INDEX, SEGMENTS, SKIN_SITES

__all__ = [
    "DEFAULTS",
    "EXPOSURE_LIMIT_S",
    "RAMANATHAN_WEIGHTS",
    "REST_S",
    "WholeBodyResult",
    "build_protocol",
    "hardy_dubois_weights",
    "mean_skin",
    "simulate_whole_body",
]

EXPOSURE_LIMIT_S = 180.0  # WBC/PBC 3 min maximum (clinical evidence file §5, centre rules)
REST_S = 7200.0  # time indoors before the session: quasi-steady in the room (ASSUMPTION)
UNDRESSED_AFTER_S = 300.0  # minutes in session gear after leaving (ASSUMPTION)
REWARM_MARGIN_C = 1.0  # "rewarmed" = mean skin back within 1 °C of its pre-session value
WBC_DEFINITION_C = -100.0  # Cochrane: below -100 °C [Costello2015]
_ACTIVITY_IN_CHAMBER = 1.4  # ASSUMPTION: standing and walking slowly (JOS-3 PAR scale)

DEFAULTS: dict[str, dict[str, object]] = {
    "wbc_chamber": {
        "agent_temp_c": -110.0,
        "pre_chamber": (-60.0, 30.0),
        "clothing": ("shorts", "gloves", "socks_clogs", "headband", "mask"),
        "air_speed_m_per_s": 0.4,
    },
    "pbc_cryosauna": {
        "agent_temp_c": -160.0,
        "pre_chamber": None,
        "clothing": ("briefs", "gloves", "wool_socks", "slippers"),
        "air_speed_m_per_s": 0.5,
    },
    "cold_water": {
        "agent_temp_c": 10.0,
        "pre_chamber": None,
        "clothing": ("swimsuit",),
        "immersion_depth": "iliac_crest",
    },
}

# Mean skin temperature weights of [HardyDuBois1938] (7 sites), split between the CryoTx
# segments of a region in proportion to their areas.
_HD_REGIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "head": (0.07, ("head",)),
    "trunk": (0.35, ("chest", "back", "abdomen", "lumbar")),
    "arms": (0.14, ("upper_arm", "forearm")),
    "hands": (0.05, ("hand",)),
    "thighs": (0.19, ("thigh", "knee")),
    "legs": (0.13, ("leg",)),
    "feet": (0.07, ("foot",)),
}


@dataclass(frozen=True)
class WholeBodyResult(SimulationResult):
    """A :class:`SimulationResult` whose metrics also name the coldest skin site."""

    coldest_skin_site: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The Result JSON, with ``metrics.coldest_skin_site`` (a segment name)."""
        out = super().to_dict()
        out["metrics"]["coldest_skin_site"] = self.coldest_skin_site
        return out


RAMANATHAN_WEIGHTS: dict[str, float] = {"chest": 0.3, "upper_arm": 0.3, "thigh": 0.2, "leg": 0.2}
"""Four-site mean skin [Ramanathan1964]_: chest, upper arm, thigh, calf (segment names)."""


def mean_skin(skin_c: np.ndarray, area_m2: np.ndarray, weighting: str | None) -> np.ndarray:
    """Mean skin of one body, ``skin_c`` ``(t, N_SEGMENTS)``, by the named weighting.

    ``None`` or ``hardy_dubois_7`` is the 7-region mean [HardyDuBois1938]_ (gloved hands,
    socked feet and the head included); ``ramanathan_4`` averages four bare sites
    [Ramanathan1964]_, as thermography studies of whole-body cryotherapy often do.
    """
    if weighting == "ramanathan_4":
        idx = [SEGMENT_INDEX[name] for name in RAMANATHAN_WEIGHTS]
        return skin_c[:, idx] @ np.array(list(RAMANATHAN_WEIGHTS.values()))
    return skin_c @ hardy_dubois_weights(area_m2[None, :])[0]


def hardy_dubois_weights(area_m2: np.ndarray) -> np.ndarray:
    """Mean-skin weights per segment, ``(n, N_SEGMENTS)`` from areas [HardyDuBois1938]_."""
    weights = np.zeros_like(area_m2)
    for total, names in _HD_REGIONS.values():
        idx = [SEGMENT_INDEX[name] for name in names]
        weights[:, idx] = total * area_m2[:, idx] / area_m2[:, idx].sum(1, keepdims=True)
    return weights


def _segment_of(site: str, field: str) -> str:
    if site not in SKIN_SITES:
        raise InputError(field, f"unknown whole-body site {site!r}")
    return SKIN_SITES[site]


def build_protocol(scenario: Scenario, *, prefix: str = "") -> tuple[Protocol, list[str]]:
    """Turn one whole-body scenario into a :class:`Protocol` (and warnings)."""
    mod = scenario.modality
    warnings: list[str] = []
    if mod.kind not in DEFAULTS:
        raise InputError(f"{prefix}modality.kind", f"{mod.kind} is not a whole-body modality")
    spec = DEFAULTS[mod.kind]
    agent = float(spec["agent_temp_c"] if mod.agent_temp_c is None else mod.agent_temp_c)  # type: ignore[arg-type]
    allow_long = bool(getattr(mod, "allow_long_exposure", False))
    schedule = scenario.schedule
    if mod.kind in ("wbc_chamber", "pbc_cryosauna"):
        for i, (start, end) in enumerate(schedule):
            if end - start > EXPOSURE_LIMIT_S + 1e-9:
                where = (
                    "exposure_s"
                    if scenario.applications is None
                    else f"applications.{i}.duration_s"
                )
                if not allow_long:
                    raise InputError(
                        prefix + where,
                        f"{end - start:g} s exceeds the {EXPOSURE_LIMIT_S:g} s limit of "
                        f"{mod.kind} sessions; set modality.allow_long_exposure to simulate it",
                    )
                warnings.append(f"exposure {end - start:g} s exceeds the 3-minute session limit")
        if mod.kind == "wbc_chamber" and agent > WBC_DEFINITION_C:
            warnings.append(f"{agent:g} °C is warmer than the -100 °C definition of WBC")
    gear = tuple(mod.clothing) if mod.clothing else tuple(spec["clothing"])  # type: ignore[arg-type]
    bnd.clothing_insulation(list(gear), field=f"{prefix}modality.clothing")
    speed = mod.air_speed_m_per_s
    if speed is None:
        speed = float(spec.get("air_speed_m_per_s", 0.1))  # type: ignore[arg-type]
    wall = agent if mod.wall_temp_c is None else mod.wall_temp_c
    room = scenario.ambient_c
    indoor = bnd.INDOOR_CLOTHING
    if mod.kind == "cold_water":
        level = mod.immersion_depth or str(spec["immersion_depth"])
        if level not in bnd.IMMERSION_LEVELS:
            known = ", ".join(bnd.IMMERSION_LEVELS)
            raise InputError(
                f"{prefix}modality.immersion_depth", f"unknown depth {level!r} (known: {known})"
            )
        water_h = bnd.WATER_STIRRED_H_W_PER_M2_K if mod.stirred else bnd.WATER_STILL_H_W_PER_M2_K
        exposure = Phase(
            duration_s=0.0,
            air_c=room,
            clothing=gear,
            water_c=agent,
            water_level_frac=bnd.IMMERSION_LEVELS[level],
            water_h_w_per_m2_k=water_h,
        )
    else:
        exposure = Phase(
            duration_s=0.0,
            air_c=agent,
            wall_c=wall,
            air_speed_m_per_s=speed,
            clothing=gear,
            relative_humidity=0.0,
            activity_ratio=_ACTIVITY_IN_CHAMBER,
            head_room_c=room if mod.kind == "pbc_cryosauna" else None,
        )
    pre_spec: tuple[float, float] | None = spec["pre_chamber"]  # type: ignore[assignment]
    pre_chamber: Phase | None = None
    if mod.pre_chamber is not None:
        pre_spec = (mod.pre_chamber.temp_c, mod.pre_chamber.duration_s)
    if pre_spec is not None:
        temp_c, duration = pre_spec
        if duration > 0:
            pre_chamber = Phase(
                duration_s=float(duration),
                air_c=float(temp_c),
                air_speed_m_per_s=speed,
                clothing=gear,
                relative_humidity=0.0,
                activity_ratio=_ACTIVITY_IN_CHAMBER,
            )

    def room_phase(duration: float, clothes: tuple[str, ...]) -> Phase:
        return Phase(duration_s=duration, air_c=room, clothing=clothes)

    pre_phases: list[Phase] = [
        Phase(duration_s=REST_S, air_c=room, clothing=indoor, max_dt_s=MAX_DT_S)
    ]
    phases: list[Phase] = []
    t = 0.0
    for i, (start, end) in enumerate(schedule):
        gap = start - t
        if gap <= 0.0 and i == 0:
            if pre_chamber is not None:
                pre_phases.append(pre_chamber)
        elif gap > 0.0:
            # before a later application (or a delayed first one): some minutes in the
            # session gear, the rest in indoor clothing, the pre-chamber (shortened to
            # the gap if need be) just before the exposure
            before = 0.0 if pre_chamber is None else min(pre_chamber.duration_s, gap)
            undressed = min(UNDRESSED_AFTER_S, gap - before) if i > 0 else 0.0
            if undressed > 0.0:
                phases.append(room_phase(undressed, gear))
            if gap - before - undressed > 0.0:
                phases.append(room_phase(gap - before - undressed, indoor))
            if pre_chamber is not None and before > 0.0:
                phases.append(replace(pre_chamber, duration_s=before))
        phases.append(replace(exposure, duration_s=end - start))
        t = end
    follow = scenario.duration_s - t
    if follow > 0:
        phases.append(room_phase(min(UNDRESSED_AFTER_S, follow), gear))
        if follow > UNDRESSED_AFTER_S:
            phases.append(room_phase(follow - UNDRESSED_AFTER_S, indoor))

    subject = scenario.subject
    ref = tissues.DEFAULT_SUBJECT[subject.sex]
    fat_m: dict[str, float] = {}
    for name, table, convert in (
        ("skinfold_mm", subject.skinfold_mm, tissues.fat_from_skinfold_m),
        ("fat_mm", subject.fat_mm, lambda mm: mm * 1e-3),
    ):
        for site, value in table.items():
            fat_m[_segment_of(site, f"{prefix}subject.{name}.{site}")] = convert(value)
    body = BodySpec(
        male=subject.sex == "male",
        age_y=ref.age_y if subject.age_y is None else max(subject.age_y, 18.0),
        height_m=ref.height_m if subject.height_m is None else subject.height_m,
        mass_kg=ref.mass_kg if subject.mass_kg is None else subject.mass_kg,
        fat_m=fat_m,
        fat_percent=subject.body_fat_percent,
    )
    probes: list[tuple[str, float]] = []
    for i, probe in enumerate(scenario.probes):
        field = f"{prefix}probes.{i}"
        if probe.measure == "intra_articular":
            raise InputError(
                f"{field}.measure", "no joint cavity in the whole-body model; use site knee"
            )
        if probe.measure in ("intramuscular", "subcutaneous"):
            segment = _segment_of(probe.site or "thigh_anterior", f"{field}.site")
            fat = fat_m.get(segment)
            fat_est = (
                fat
                if fat is not None
                else tissues.estimated_fat_m(
                    sex=subject.sex,
                    age_y=body.age_y,
                    height_m=body.height_m,
                    mass_kg=body.mass_kg,
                    measured_percent=body.fat_percent,
                )
            )
            if probe.measure == "subcutaneous":
                depth = tissues.SKIN_THICKNESS_M + 0.5 * fat_est
            else:
                depth = (probe.depth_mm or 0.0) * 1e-3
                if probe.below == "fat":
                    depth += tissues.SKIN_THICKNESS_M + fat_est
            probes.append((segment, depth))
        else:
            probes.append(("head", 0.0))  # placeholder: skin/core come from other outputs
    end = scenario.duration_s
    step = scenario.output_every_s
    times = np.arange(0.0, end + 1e-9, step)
    if times[-1] < end - 1e-9:
        times = np.append(times, end)
    return (
        Protocol(
            body=body,
            phases=tuple(phases),
            pre_phases=tuple(pre_phases),
            output_times_s=tuple(float(x) for x in times),
            probes=tuple(probes),
            initial_core_c=subject.core_temp_c,
            field_prefix=prefix,
        ),
        warnings,
    )


def _first_time(time_s: np.ndarray, mask: np.ndarray) -> float | None:
    hits = np.flatnonzero(mask)
    return float(time_s[hits[0]]) if hits.size else None


def _result(scenario: Scenario, run: WholeBodyRun, b: int, warnings: list[str]) -> WholeBodyResult:
    n_out = int(run.n_out[b])
    time_s = run.time_s[b, :n_out]
    skin = run.skin_c[b, :n_out]  # (t, seg)
    weights = hardy_dubois_weights(run.area_m2[b : b + 1])[0]
    skin_mean = skin @ weights
    core = run.core_c[b, :n_out]
    traces: list[ProbeTrace] = []
    for k, probe in enumerate(scenario.probes):
        if probe.measure == "skin" and probe.site is not None:
            values = skin[:, SEGMENT_INDEX[SKIN_SITES[probe.site]]]
        elif probe.measure == "skin_mean" and probe.weighting is not None:
            values = mean_skin(skin, run.area_m2[b], probe.weighting)
        elif probe.measure in ("skin", "skin_mean"):
            values = skin_mean
        elif probe.measure == "core":
            values = core
        else:
            values = run.probe_c[b, :n_out, k]
        traces.append(ProbeTrace(probe=probe, temp_c=values.copy()))
    end = scenario.schedule[-1][1]
    coldest = int(np.argmin(skin.min(0)))
    skin_min_trace = skin.min(1)
    extremities = [SEGMENT_INDEX[n] for n in ("hand", "foot", "head")]
    frozen_mm = float(run.frozen_depth_m[b, extremities].max() * 1e3)
    after = time_s >= end
    rewarmed = after & (skin_mean >= skin_mean[0] - REWARM_MARGIN_C)
    t_rewarm = _first_time(time_s, rewarmed)
    dt_out = float(time_s[1] - time_s[0]) if n_out > 1 else 0.0
    metrics: dict[str, float | None] = {
        "skin_min_c": float(skin.min()),
        "skin_mean_min_c": float(skin_mean.min()),
        "core_drop_c": float(core[0] - core.min()),
        "frozen_depth_mm": frozen_mm,
        "time_to_rewarm_s": None if t_rewarm is None else t_rewarm - end,
        "time_to_analgesia_s": _first_time(time_s, skin_min_trace <= ANALGESIA_C),
        "time_to_10c_s": _first_time(time_s, skin_min_trace <= NERVE_C),
        "time_below_analgesia_s": float((skin_min_trace <= ANALGESIA_C).sum() * dt_out),
        "time_below_10c_s": float((skin_min_trace <= NERVE_C).sum() * dt_out),
    }
    warnings = list(warnings)
    frozen = [SEGMENTS[i] for i in np.flatnonzero(run.frozen_depth_m[b] > 0.0)]
    if frozen:
        deepest = float(run.frozen_depth_m[b].max() * 1e3)
        warnings.append(
            f"skin froze ({', '.join(frozen)}; up to {deepest:.1f} mm deep): frostbite risk"
        )
    return WholeBodyResult(
        time_s=time_s.copy(),
        probes=traces,
        metrics=metrics,
        warnings=warnings,
        coldest_skin_site=SEGMENTS[coldest],
    )


def simulate_whole_body(
    scenarios: Sequence[Scenario], *, engine: str = "numba", dt_s: float | None = None
) -> list[SimulationResult]:
    """Simulate whole-body scenarios as one batch (first axis = body).

    Parameters
    ----------
    scenarios : list of Scenario
        Parsed scenarios with ``site == "whole_body"``.
    engine : {"numba", "numpy", "python"}
        Compiled kernel (parallel over bodies), or the same source interpreted
        ("numpy" is accepted as the name of the reference path).
    dt_s : float, optional
        Largest time step [s], default :data:`~.model.DEFAULT_DT_S`, at most
        :data:`~.model.MAX_DT_S`.

    Returns
    -------
    list of SimulationResult
        In input order.
    """
    if engine not in ("numba", "numpy", "python"):
        raise InputError("engine", f"unknown engine {engine!r} (numba or numpy)")
    step = DEFAULT_DT_S if dt_s is None else float(dt_s)
    if not (math.isfinite(step) and 0.0 < step <= MAX_DT_S):
        raise InputError("dt_s", f"whole-body time step must be in (0, {MAX_DT_S:g}] s")
    built = []
    for i, scenario in enumerate(scenarios):
        if scenario.site != "whole_body":
            raise InputError(
                f"{i}.site" if len(scenarios) > 1 else "site", "not a whole-body scenario"
            )
        built.append(build_protocol(scenario, prefix=f"{i}." if len(scenarios) > 1 else ""))
    if not built:
        return []
    run = simulate_protocols(
        [p for p, _ in built], dt_s=step, engine="numba" if engine == "numba" else "python"
    )
    return [
        _result(s, run, b, w) for b, (s, (_, w)) in enumerate(zip(scenarios, built, strict=True))
    ]
