"""CryoTx whole-body model against JOS-3 (pythermalcomfort): accuracy and speed.

Run:  .venv/bin/python benchmarks/bench_whole_body.py [--bodies 10000] [--jos-bodies 3]
      .venv/bin/python benchmarks/bench_whole_body.py --trunk-sensitivity  (only the
      validator figures for four readings of JOS-3's trunk core flow and metabolism:
      pooled over the trunk or segment by segment, chest/back on the organ core or spread
      like the limbs; docs/whole_body.md, gagnon2010)
      .venv/bin/python benchmarks/bench_whole_body.py --cool-room  (only the rest phase
      before every session, 2 h at 22 °C in indoor clothing, both models side by side:
      rectal drift, shivering and skin loss; docs/whole_body.md, "A core that holds")

(a) Accuracy: both models on the published whole-body rows (the protocols of
    ``cryotx/data/literature/protocols_whole_body.json`` as the validator reads them), error
    per row, RMSE of skin rows and of core rows.  JOS-3 gets the same phases (rest in the
    room, pre-chamber, exposure, recovery), the same clothing per segment and, for water
    immersion, the water temperature with a convective coefficient of 230/460 W/m²K on
    the wetted segments (JOS-3 has no water boundary of its own).  JOS-3's thigh
    "intramuscular" value is its thigh core node (it has no limb muscle layer).
    Both are read by the validator's rules (stated reading delays, the thermography
    default, change rows from before the pre-chamber); ``delay_sensitivity`` shows the
    CryoTx skin errors for other thermography delays.
(b) Speed: simulated person-minutes per second for 3 min at -110 °C plus 60 min of
    recovery: JOS-3 at 10 s steps in its own loop (one body at a time, a few timed),
    CryoTx batched over ``--bodies`` different bodies at its default step (the step used
    by the validation; the dt-sensitivity of the validation rows is printed too).

pythermalcomfort is a benchmark dependency only; src/ never imports it.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any

import numpy as np

from cryotx.physics import parse_scenarios
from cryotx.physics import validation as val
from cryotx.physics.wholebody import BodySpec, Phase, Protocol, simulate_protocols
from cryotx.physics.wholebody import body as wb_body
from cryotx.physics.wholebody import boundary as bnd
from cryotx.physics.wholebody._kernel import onset_ramp, onset_step
from cryotx.physics.wholebody.model import DEFAULT_DT_S, NEUTRAL_PHASE
from cryotx.physics.wholebody.segments import SEGMENT_INDEX, SEGMENTS
from cryotx.physics.wholebody.simulation import build_protocol, hardy_dubois_weights, mean_skin

JOS_DT_S = 10.0
_JOS_NAMES = [
    "head",
    "neck",
    "chest",
    "back",
    "pelvis",
    "left_shoulder",
    "left_arm",
    "left_hand",
    "right_shoulder",
    "right_arm",
    "right_hand",
    "left_thigh",
    "left_leg",
    "left_foot",
    "right_thigh",
    "right_leg",
    "right_foot",
]
# CryoTx segment -> JOS-3 segments it corresponds to (left side used for readings).
_TO_JOS = {
    "head": ("head",), "neck": ("neck",), "chest": ("chest",), "back": ("back",),
    "abdomen": ("pelvis",), "lumbar": ("pelvis",),
    "upper_arm": ("left_shoulder", "right_shoulder"), "forearm": ("left_arm", "right_arm"),
    "hand": ("left_hand", "right_hand"), "thigh": ("left_thigh", "right_thigh"),
    "knee": ("left_thigh", "right_thigh"), "leg": ("left_leg", "right_leg"),
    "foot": ("left_foot", "right_foot"),
}  # fmt: skip


def _jos_clo(clothing: tuple[str, ...]) -> np.ndarray:
    clo13 = bnd.clothing_insulation(list(clothing), field="clothing") / bnd.CLO_M2K_PER_W
    clo17 = np.zeros(17)
    for name, jos in _TO_JOS.items():
        for j in jos:
            clo17[_JOS_NAMES.index(j)] = max(clo17[_JOS_NAMES.index(j)], clo13[SEGMENT_INDEX[name]])
    return clo17


def _jos_wet(level_frac: float) -> np.ndarray:
    wet13 = bnd.wetted_fraction(level_frac)
    wet17 = np.zeros(17)
    for name, jos in _TO_JOS.items():
        if name == "knee":
            continue
        for j in jos:
            wet17[_JOS_NAMES.index(j)] = wet13[SEGMENT_INDEX[name]]
    pelvis = _JOS_NAMES.index("pelvis")
    wet17[pelvis] = wet13[SEGMENT_INDEX["abdomen"]]
    return wet17


def _jos_setup(model, phase: Phase) -> None:  # type: ignore[no-untyped-def]
    tdb = np.full(17, phase.air_c)
    tr = np.full(17, phase.air_c if phase.wall_c is None else phase.wall_c)
    v = np.full(17, max(phase.air_speed_m_per_s, 0.1))
    if phase.head_room_c is not None:
        for j in (0, 1):
            tdb[j] = tr[j] = phase.head_room_c
            v[j] = 0.1
    model.tdb, model.tr, model.v = tdb, tr, v
    model.rh = 100.0 * phase.relative_humidity
    model.clo = _jos_clo(phase.clothing)
    model.par = phase.activity_ratio
    model._hc = None
    model._hr = None
    if phase.water_c is not None:
        wet = _jos_wet(phase.water_level_frac)
        from pythermalcomfort.jos3_functions import thermoregulation as threg

        hc_air = threg.conv_coef("standing", v, tdb, model.t_skin)
        hr_air = threg.rad_coef("standing")
        model.tdb = np.where(wet > 0, phase.water_c, tdb)
        model.tr = np.where(wet > 0, phase.water_c, tr)
        model._hc = wet * phase.water_h_w_per_m2_k + (1 - wet) * hc_air
        model._hr = (1 - wet) * hr_air
        model.clo = np.where(wet > 0, 0.0, model.clo)


def _jos_steps(duration_s: float) -> list[float]:
    """JOS-3's steps through one phase: the same opening ramp as CryoTx's kernel
    (``onset_ramp``), then JOS_DT_S; both models' regulation lags one step behind their
    temperatures, and the accuracy comparison should not reward it."""
    onset, n_onset = onset_ramp(JOS_DT_S, duration_s)
    rest = duration_s - onset
    n_main = math.ceil(rest / JOS_DT_S - 1e-9) if rest > 1e-9 else 0
    ramp = [onset_step(k) for k in range(n_onset)]
    return ramp + ([rest / n_main] * n_main if n_main else [])


def _run_jos(proto: Protocol, *, sex: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """JOS-3 through the same phases; readings at every step from time zero."""
    from pythermalcomfort.models import JOS3

    b = proto.body
    fat = {} if b.fat_percent is None else {"fat": b.fat_percent}  # else JOS-3's 15 %
    model = JOS3(height=b.height_m, weight=b.mass_kg, age=int(b.age_y), sex=sex, **fat)
    for phase in proto.pre_phases:
        _jos_setup(model, phase)
        for dt in _jos_steps(phase.duration_s):
            model.simulate(times=1, dtime=dt, output=False)
    if proto.initial_core_c is not None:  # the same warm start as CryoTx: blood, core, muscle
        from pythermalcomfort.jos3_functions.matrix import INDEX

        t_body = model.t_body
        warm = [0, *INDEX["artery"], *INDEX["vein"], *INDEX["core"], *INDEX["muscle"]]
        t_body[warm] = np.maximum(t_body[warm], proto.initial_core_c)
        model.t_body = t_body
    times = [0.0]
    skin = [model.t_skin.copy()]
    core = [model.t_core.copy()]
    t = 0.0
    for phase in proto.phases:
        _jos_setup(model, phase)
        for dt in _jos_steps(phase.duration_s):
            model.simulate(times=1, dtime=dt, output=False)
            t += dt
            times.append(t)
            skin.append(model.t_skin.copy())
            core.append(model.t_core.copy())
    return np.array(times), {"skin": np.array(skin), "core": np.array(core)}


def _jos_value(times, out, probe: dict, area13: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    skin17, core17 = out["skin"], out["core"]
    skin13 = np.column_stack([skin17[:, _JOS_NAMES.index(_TO_JOS[s][0])] for s in SEGMENTS])
    if probe["measure"] == "core":
        return core17[:, _JOS_NAMES.index("pelvis")]
    if probe["measure"] == "skin_mean" or (probe["measure"] == "skin" and "site" not in probe):
        return skin13 @ hardy_dubois_weights(area13[None, :])[0]
    if probe["measure"] == "skin":
        from cryotx.physics.wholebody.segments import SKIN_SITES

        return skin13[:, SEGMENT_INDEX[SKIN_SITES[probe["site"]]]]
    return core17[:, _JOS_NAMES.index("left_thigh")]  # intramuscular: thigh core node


def accuracy() -> list[dict]:  # type: ignore[type-arg]
    """Per-row errors of CryoTx (the validator) and JOS-3 on the whole-body rows."""
    report = val.run_validation()
    rows, protocols = val._load(None)
    out = []
    for entry in report["rows"]:
        if not entry.get("whole_body"):
            continue
        row = rows[entry["row"]]
        scenarios, probe, _ = val._plan(row, protocols)
        jos_pred = 0.0
        for scenario, weight in scenarios:
            parsed = parse_scenarios({**scenario, "probes": [probe]})[0]
            proto, _ = build_protocol(parsed)
            times, res = _run_jos(proto, sex=parsed.subject.sex)
            trace = _jos_value(times, res, probe, _cryotx_areas(proto))
            # the validator's reading rules: the pre-chamber moved after time zero for
            # change rows, then the study's stated (or the thermography default) delay
            study = protocols[row["study_id"]]
            shift = val._pre_chamber_shift_s(row, val._arm_for(row, study) or {})
            t_read = (entry["time_s"] or 0.0) + shift
            if t_read > shift:
                t_read += val._reading_delay_s(row, study)
            value = float(np.interp(t_read, times, trace))
            if row["reference"] == "change_from_baseline":
                value -= float(trace[0])
            elif row["reference"] == "change_from_end_of_exposure":
                value -= float(np.interp(float(row["exposure_s"]) + shift, times, trace))
            jos_pred += weight * value
        out.append(
            {
                **entry,
                "jos3_c": round(jos_pred, 3),
                "jos3_error_c": round(jos_pred - entry["measured_c"], 3),
            }
        )
    return out


def delay_sensitivity(
    delays_s: tuple[float, ...] = (30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 240.0),
) -> list[dict[str, Any]]:
    """CryoTx skin errors of the whole-body rows against the thermography reading delay.

    The validator reads a thermography skin row ``THERMOGRAPHY_DELAY_S`` (60 s, fitted on
    the local studies) after the row's time unless the study states its own delay.  None
    of the whole-body studies but wbc_vs_pbc_4men states one.  This runs the validator
    with other values of that default: it shows how much of the skin miss a later reading
    would explain.  It is an analysis, not a fit used anywhere (docs/whole_body.md).
    """
    original = val.THERMOGRAPHY_DELAY_S
    out = []
    try:
        for delay in delays_s:
            val.THERMOGRAPHY_DELAY_S = delay
            rows = [
                r
                for r in val.run_validation()["rows"]
                if r.get("whole_body") and r["measure"] == "skin" and "error_c" in r
            ]
            out.append({"delay_s": delay, "rows": rows})
    finally:
        val.THERMOGRAPHY_DELAY_S = original
    return out


def mean_skin_weighting() -> list[dict[str, Any]]:
    """Mean-skin rows of the 4-site studies read with the 7-region and the 4-site weights.

    The model's default ``skin_mean`` is the Hardy-DuBois 7-region mean, which includes the
    gloved hands, the feet in socks and clogs and the head; hammond2014 and cuttell2017
    averaged four bare sites, and the validator reads them with the 4-site weights.  Same scenarios and reading times as the validator.
    """
    rows, protocols = val._load(None)
    out = []
    for row in rows:
        if row["study_id"] not in ("hammond2014", "cuttell2017"):
            continue
        if row["site"] != "whole_body_mean":
            continue
        study = protocols[row["study_id"]]
        scenarios, probe, reason = val._plan(row, protocols)
        if reason is not None:
            continue
        shift = val._pre_chamber_shift_s(row, val._arm_for(row, study) or {})
        t_read = float(row["time_s"]) + shift + val._reading_delay_s(row, study)
        values = {"7-region": 0.0, "4-site": 0.0}
        for scenario, weight in scenarios:
            proto, _ = build_protocol(parse_scenarios({**scenario, "probes": [probe]})[0])
            run = simulate_protocols([proto], dt_s=DEFAULT_DT_S)
            n = int(run.n_out[0])
            skin = run.skin_c[0, :n]
            traces = {
                "7-region": skin @ hardy_dubois_weights(_cryotx_areas(proto)[None, :])[0],
                "4-site": mean_skin(skin, _cryotx_areas(proto), "ramanathan_4"),
            }
            for key, trace in traces.items():
                value = float(np.interp(t_read, run.time_s[0, :n], trace))
                if row["reference"] == "change_from_baseline":
                    value -= float(trace[0])
                values[key] += weight * value
        out.append({"study_id": row["study_id"], "subjects": row["subjects"].split(";")[0],
                    "measured_c": float(row["value_c"]), "values": values})  # fmt: skip
    return out


def _cryotx_areas(proto: Protocol) -> np.ndarray:
    from cryotx.physics.wholebody.body import build_bodies

    return build_bodies([proto.body]).area_m2[0]


def _rmse(values: list[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else float("nan")


def _speed_protocols(n: int, seed: int = 1) -> list[Protocol]:
    rng = np.random.default_rng(seed)
    gear = ("shorts", "gloves", "socks_clogs", "headband", "mask")
    phases = (
        Phase(
            duration_s=180.0,
            air_c=-110.0,
            air_speed_m_per_s=0.4,
            clothing=gear,
            relative_humidity=0.0,
        ),
        Phase(duration_s=3600.0, air_c=22.0, clothing=bnd.INDOOR_CLOTHING),
    )
    pre = (Phase(duration_s=7200.0, air_c=22.0, clothing=bnd.INDOOR_CLOTHING, max_dt_s=30.0),)
    out = []
    for _ in range(n):
        male = bool(rng.random() < 0.5)
        height = float(rng.normal(1.77 if male else 1.64, 0.07))
        bmi = float(rng.uniform(19.0, 32.0))
        body = BodySpec(
            male=male,
            age_y=float(rng.uniform(20, 70)),
            height_m=height,
            mass_kg=bmi * height**2,
            fat_m={},
        )
        out.append(
            Protocol(
                body=body,
                phases=phases,
                pre_phases=pre,
                output_times_s=tuple(np.arange(0, 3781, 60.0)),
            )
        )
    return out


def speed(n_bodies: int, n_jos: int) -> dict[str, float]:
    """Person-minutes per second of both models on the same protocol."""
    from pythermalcomfort.models import JOS3

    minutes = 63.0
    jos_times = []
    for i in range(n_jos):
        model = JOS3(height=1.7 + 0.05 * i, weight=70 + 5 * i, age=30, sex="male")
        start = time.perf_counter()
        model.tdb, model.tr, model.v, model.rh, model.clo = -110.0, -110.0, 0.4, 0.0, 0.0
        model.simulate(times=18, dtime=JOS_DT_S, output=False)
        model.tdb, model.tr, model.v, model.rh = 22.0, 22.0, 0.1, 50.0
        model.simulate(times=360, dtime=JOS_DT_S, output=False)
        jos_times.append(time.perf_counter() - start)
    jos_rate = minutes / float(np.median(jos_times))
    protocols = _speed_protocols(n_bodies)
    simulate_protocols(protocols[:2], dt_s=DEFAULT_DT_S)  # compile / load the cache
    start = time.perf_counter()
    simulate_protocols(protocols, dt_s=DEFAULT_DT_S)
    wall = time.perf_counter() - start
    rate = minutes * n_bodies / wall
    return {"jos3_person_min_per_s": jos_rate, "cryotx_person_min_per_s": rate,
            "cryotx_wall_s": wall, "ratio": rate / jos_rate}  # fmt: skip


def dt_sensitivity() -> dict[float, float]:
    """Largest change of a whole-body validation prediction between dt and 1 s."""
    import cryotx.physics.wholebody.model as wb_model

    preds: dict[float, dict[int, float]] = {}
    original = wb_model.DEFAULT_DT_S
    try:
        for dt in (1.0, 5.0, 10.0, 20.0):
            wb_model.DEFAULT_DT_S = dt
            import cryotx.physics.wholebody.simulation as sim

            sim.DEFAULT_DT_S = dt
            rows = val.run_validation()["rows"]
            preds[dt] = {r["row"]: r["predicted_c"] for r in rows if r.get("whole_body")}
    finally:
        wb_model.DEFAULT_DT_S = original
        import cryotx.physics.wholebody.simulation as sim

        sim.DEFAULT_DT_S = original
    return {dt: max(abs(p[k] - preds[1.0][k]) for k in p) for dt, p in preds.items() if dt != 1.0}


def step_sensitivity() -> dict[str, dict[float, float]]:
    """Thigh skin at the end of 3 min at -110 °C: each model's change with its time step.

    Reference: JOS-3 at 2 s, CryoTx at 1 s.  Returns |value(dt) - value(reference)| [°C].
    """
    from pythermalcomfort.models import JOS3

    def jos(dt: float) -> float:
        model = JOS3(height=1.78, weight=76.0, age=30, sex="male")
        model.tdb, model.tr, model.v, model.rh, model.clo = -110.0, -110.0, 0.4, 0.0, 0.0
        model.simulate(times=round(180.0 / dt), dtime=dt, output=False)
        return float(model.t_skin[_JOS_NAMES.index("left_thigh")])

    def cryotx(dt: float) -> float:
        spec = BodySpec(male=True, age_y=30.0, height_m=1.78, mass_kg=76.0, fat_m={})
        exposure = Phase(
            duration_s=180.0, air_c=-110.0, air_speed_m_per_s=0.4, relative_humidity=0.0
        )
        proto = Protocol(body=spec, phases=(exposure,), output_times_s=(180.0,))
        return float(simulate_protocols([proto], dt_s=dt).skin_c[0, 0, SEGMENT_INDEX["thigh"]])

    jos_ref, cryotx_ref = jos(2.0), cryotx(1.0)
    return {
        "JOS-3": {dt: abs(jos(dt) - jos_ref) for dt in (10.0, 30.0, 60.0)},
        "CryoTx": {dt: abs(cryotx(dt) - cryotx_ref) for dt in (10.0, 20.0, 30.0)},
    }


def trunk_sensitivity() -> dict[str, dict[str, Any]]:
    """Validator figures for four readings of JOS-3's trunk flows (docs/whole_body.md,
    gagnon2010): core flow and metabolism shared over the trunk's organ cores by volume
    (default) or segment by segment, each with the chest/back core flow on the organ core
    (default) or spread over core and muscle like the limbs (JOS-3's chest/back "core" is
    all the tissue inside the skin)."""
    out: dict[str, dict[str, Any]] = {}
    organ_default = wb_body.ORGAN_FLOW_SEGMENTS
    pool_default = wb_body.TRUNK_POOL_SEGMENTS
    limbs_like = ("head", "abdomen", "lumbar")
    for label, organ, pool in (
        ("trunk pooled, organ core (default)", organ_default, pool_default),
        ("trunk pooled, chest/back like the limbs", limbs_like, pool_default),
        ("segment by segment, organ core", organ_default, ()),
        ("segment by segment, chest/back like the limbs", limbs_like, ()),
    ):
        wb_body.ORGAN_FLOW_SEGMENTS = organ
        wb_body.TRUNK_POOL_SEGMENTS = pool
        try:
            rows = [r for r in val.run_validation()["rows"] if r.get("whole_body")]
        finally:
            wb_body.ORGAN_FLOW_SEGMENTS = organ_default
            wb_body.TRUNK_POOL_SEGMENTS = pool_default
        out[label] = {
            "gagnon": [
                r["error_c"]
                for r in sorted(rows, key=lambda r: r["time_s"])
                if r["study_id"].startswith("gagnon")
            ],
            "costello_core": [
                r["error_c"]
                for r in rows
                if r["study_id"] == "costello2012" and r["measure"] == "core"
            ],
            "skin14": _rmse(
                [
                    r["error_c"]
                    for r in rows
                    if r["measure"] == "skin" and r["study_id"] != "wbc_vs_pbc_4men"
                ]
            ),
            "muscle": _rmse(
                [r["error_c"] for r in rows if r["measure"] in ("intramuscular", "muscle")]
            ),
        }
    return out


def cool_room() -> dict[str, dict[str, Any]]:
    """Both models through the rest phase before every session (22 °C, indoor clothing).

    JOS-3 is read twice: from its set point (its state after construction; CryoTx starts
    there too, at its passive neutral steady state), and from its own regulated steady
    state in the neutral environment, which lies below its set point.  Rectal = CryoTx's
    pelvic core, JOS-3's pelvis core node.  Heat flows are means over 0-0.5, 0.5-1 and
    1-2 h: CryoTx's from its energy ledger (runs of 0.5, 1 and 2 h in one batch;
    shivering = production - activity ratio x basal rate), JOS-3's from its outputs.
    """
    from pythermalcomfort.models import JOS3

    spec = BodySpec(male=True, age_y=30.0, height_m=1.75, mass_kg=75.0, fat_m={})
    marks_h = (0.0, 0.5, 1.0, 2.0)
    out: dict[str, dict[str, Any]] = {}

    def room(hours: float) -> Phase:
        return Phase(duration_s=3600.0 * hours, air_c=22.0, clothing=bnd.INDOOR_CLOTHING)

    def means(cumulative: np.ndarray) -> list[float]:  # cumulative J at the marks -> W
        return [
            float((cumulative[i + 1] - cumulative[i]) / (3600.0 * (marks_h[i + 1] - marks_h[i])))
            for i in range(len(marks_h) - 1)
        ]

    for label, neutral_first in (("JOS-3 from its set point", False),
                                 ("JOS-3 from its regulated neutral state", True)):  # fmt: skip
        model = JOS3(height=spec.height_m, weight=spec.mass_kg, age=int(spec.age_y), sex="male")
        if neutral_first:
            _jos_setup(model, NEUTRAL_PHASE)
            model.simulate(times=600, dtime=60, output=False)
        start = float(model.t_core[_JOS_NAMES.index("pelvis")])
        _jos_setup(model, room(marks_h[-1]))
        model.simulate(times=round(3600.0 * marks_h[-1] / JOS_DT_S), dtime=JOS_DT_S, output=True)
        res = model.dict_results()
        series = {
            "produced_w": np.asarray(res["q_thermogenesis_total"]),
            "shiver_w": sum(np.asarray(res[f"q_shiv_{n}"]) for n in _JOS_NAMES),
            "skin_w": sum(np.asarray(res[f"q_skin2env_{n}"]) for n in _JOS_NAMES),
        }
        idx = [round(h * 3600.0 / JOS_DT_S) for h in marks_h]
        item: dict[str, Any] = {
            "start_c": start,
            "end_c": float(model.t_core[_JOS_NAMES.index("pelvis")]),
        }
        for key, values in series.items():
            cumulative = np.concatenate([[0.0], np.cumsum(values) * JOS_DT_S])
            item[key] = means(cumulative[idx])
        out[label] = item
    protos = [
        Protocol(body=spec, phases=(room(h),), output_times_s=(0.0, 3600.0 * h))
        for h in marks_h[1:]
    ]
    run = simulate_protocols(protos)
    bmr = float(wb_body.build_bodies([spec]).bmr_w[0])
    par = room(1.0).activity_ratio
    produced = np.concatenate([[0.0], run.energy_j[:, 2]])
    surface = np.concatenate([[0.0], run.energy_j[:, 3]])
    out["CryoTx from its set point (passive neutral state)"] = {
        "start_c": float(run.core_c[-1, 0]),
        "end_c": float(run.core_c[-1, 1]),
        "produced_w": means(produced),
        "shiver_w": [v - par * bmr for v in means(produced)],
        "skin_w": means(surface),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--jos-bodies", type=int, default=3)
    parser.add_argument(
        "--trunk-sensitivity",
        action="store_true",
        help="only print the validator figures with chest/back core flow on the organ core "
        "and spread like the limbs (gagnon2010, docs/whole_body.md)",
    )
    parser.add_argument(
        "--cool-room",
        action="store_true",
        help="only print both models' rectal drift over the 2-h rest phase at 22 °C "
        "(docs/whole_body.md)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.cool_room:
        print("2 h at 22 °C in indoor clothing (the rest phase before every session), 75 kg man")
        for label, item in cool_room().items():
            text = f"  {label:48s} rectal {item['start_c']:.2f} -> {item['end_c']:.2f} °C"
            text += f" ({item['end_c'] - item['start_c']:+.2f})"
            if "shiver_w" in item:
                text += "  means over 0-0.5/0.5-1/1-2 h: shivering " + "/".join(
                    f"{v:.1f}" for v in item["shiver_w"]
                )
                text += " W, produced " + "/".join(f"{v:.0f}" for v in item["produced_w"])
                text += " W, skin loss " + "/".join(f"{v:.0f}" for v in item["skin_w"]) + " W"
            print(text)
        return
    if args.trunk_sensitivity:
        print("JOS-3 trunk core flow and metabolism: validator errors (°C)")
        for label, item in trunk_sensitivity().items():
            gag = "/".join(f"{e:+.2f}" for e in item["gagnon"])
            cos = "/".join(f"{e:+.2f}" for e in item["costello_core"])
            print(
                f"  {label:46s} gagnon2010 (528/996 s) {gag}  costello2012 core {cos}  "
                f"skin RMSE (14 rows) {item['skin14']:.3f}  muscle RMSE (15 rows) {item['muscle']:.3f}"
            )
        return
    print("(a) accuracy on the published whole-body rows (error = predicted - measured, °C)")
    rows = accuracy()
    print(
        f"{'study':20s} {'modality':14s} {'site':16s} {'measure':13s} {'t_s':>6s} {'meas':>7s} {'CryoTx':>7s} {'JOS-3':>7s}"
    )
    for r in rows:
        print(
            f"{r['study_id']:20s} {r['modality']:14s} {r['site']:16s} {r['measure']:13s} "
            f"{r['time_s']:6.0f} {r['measured_c']:7.2f} {r['error_c']:+7.2f} {r['jos3_error_c']:+7.2f}"
        )
    for label, pick in (
        ("skin rows", lambda r: r["measure"] == "skin"),
        ("skin rows, without low-confidence wbc_vs_pbc_4men", lambda r: r["measure"] == "skin" and r["study_id"] != "wbc_vs_pbc_4men"),
        ("core rows", lambda r: r["measure"] == "core"),
        ("core rows, without the hyperthermic gagnon2010", lambda r: r["measure"] == "core" and not r["study_id"].startswith("gagnon")),
        ("muscle rows", lambda r: r["measure"] in ("intramuscular", "muscle")),
        ("all rows", lambda r: True),
    ):  # fmt: skip
        sel = [r for r in rows if pick(r)]
        print(
            f"  RMSE {label:52s} n={len(sel):2d}  CryoTx {_rmse([r['error_c'] for r in sel]):5.2f}"
            f"  JOS-3 {_rmse([r['jos3_error_c'] for r in sel]):5.2f}"
        )
    print(
        "\n    CryoTx skin RMSE of the whole-body rows (without wbc_vs_pbc_4men, which states its"
        "\n    own delay) if thermography read the skin later than the validator's 60 s (°C)"
    )
    for item in delay_sensitivity():
        sel = [r for r in item["rows"] if r["study_id"] != "wbc_vs_pbc_4men"]
        wbc = [r["error_c"] for r in sel if r["modality"] == "wbc_chamber"]
        cwi = [r["error_c"] for r in sel if r["modality"] == "cold_water"]
        errs = [r["error_c"] for r in sel]
        print(
            f"      delay {item['delay_s']:5.0f} s: n={len(errs)} RMSE {_rmse(errs):5.2f} "
            f"bias {sum(errs) / len(errs):+5.2f} | WBC n={len(wbc)} {_rmse(wbc):5.2f} "
            f"| CWI n={len(cwi)} {_rmse(cwi):5.2f}"
        )
    print("\n    CryoTx mean-skin error, 7-region and 4-site (the validator's) weighting (°C)")
    for item in mean_skin_weighting():
        errs = " | ".join(f"{k}: {v - item['measured_c']:+6.2f}" for k, v in item["values"].items())
        print(f"      {item['study_id']:12s} {item['subjects']:12s} {errs}")
    print("\n    dt-sensitivity of the CryoTx predictions (max |pred(dt) - pred(1 s)|, °C):")
    for dt, change in dt_sensitivity().items():
        print(f"      dt = {dt:4.0f} s: {change:.3f}")
    print("\n    thigh skin after 3 min at -110 °C, nude: change with the time step (°C)")
    for model, changes in step_sensitivity().items():
        text = ", ".join(f"dt {dt:g} s: {c:.2f}" for dt, c in changes.items())
        print(f"      {model:7s} {text}")
    print(
        f"\n(b) speed: 3 min at -110 °C + 60 min recovery, CryoTx dt = {DEFAULT_DT_S:g} s, JOS-3 dt = {JOS_DT_S:g} s"
    )
    s = speed(args.bodies, args.jos_bodies)
    print(
        f"  JOS-3  : {s['jos3_person_min_per_s']:10.0f} person-min/s (one body per loop, median of {args.jos_bodies})"
    )
    print(
        f"  CryoTx : {s['cryotx_person_min_per_s']:10.0f} person-min/s ({args.bodies} bodies in {s['cryotx_wall_s']:.2f} s)"
    )
    print(f"  ratio  : {s['ratio']:10.1f} x  (target >= 100 x)")


if __name__ == "__main__":
    main()
