"""Validation of the engine against published tissue-temperature measurements.

Each row of ``literature/measurements.csv`` is mapped to a scenario through the
hand-written protocol table ``literature/protocols.json`` (plus
``protocols_whole_body.json`` when the whole-body engine provides one).  Rows that cannot
be simulated are listed with the reason.  The predicted value is compared with the
measured one as an absolute temperature, as a change from baseline (predicted value at
``time_s`` minus the predicted pre-treatment value) or as a change from the end of the
exposure, as the row reports it.

This module reads package data and therefore sits at the edge of the physics layer; it
does no other I/O.
"""

from __future__ import annotations

import csv
import json
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from cryotx.data import data_path
from cryotx.errors import InputError
from cryotx.physics import tissues
from cryotx.physics.engine import simulate
from cryotx.physics.scenario import SKIN_SITES
from cryotx.physics.wholebody.simulation import DEFAULTS as WHOLE_BODY_DEFAULTS

__all__ = ["TARGETS", "render_markdown", "render_table", "run_validation"]

TARGETS = {
    "skin_abs_rmse_c": 2.5,  # issue 2: skin RMSE over simulable absolute rows
    "within_sd_frac": 0.70,  # issue 2: share of rows within the study SD
    "skin_change_mae_c": 2.5,  # issue 2: MAE on skin changes
    "im_change_mae_c": 2.0,  # issue 2: MAE on intramuscular changes
}
DEFAULT_SD_C = 1.5  # issue 2: SD used where a study gives none
OUTPUT_EVERY_S = 5.0
# Thermal imaging reads the skin after the agent is lifted off (and the skin wiped): a
# measurement delay, not reported by the studies.  One value for every thermography
# study that does not state its own (fitted across them, docs/physics.md); a study's
# ``skin_reading_delay_s`` (read from the paper) replaces it; contact-probe studies read
# at time_s.
THERMOGRAPHY_DELAY_S = 60.0
_THERMOGRAPHY_WORDS = (
    "thermal imaging",
    "thermography",
    "thermal video",
    "infrared camera",
    "ir camera",
)
_CHANGE = ("change_from_baseline", "change_from_end_of_exposure")


def _float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _load(data_dir: Path | None) -> tuple[list[dict[str, str]], dict[str, Any]]:
    def find(name: str) -> Path | None:
        if data_dir is not None and (data_dir / name).exists():
            return data_dir / name
        packaged = data_path(f"literature/{name}")
        return packaged if packaged.exists() else None

    csv_path = find("measurements.csv")
    if csv_path is None or (data_dir is not None and not (data_dir / "measurements.csv").exists()):
        raise InputError("data", f"no measurements.csv in {data_dir}")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    protocols: dict[str, Any] = {}
    for name in ("protocols.json", "protocols_whole_body.json"):
        path = find(name)
        if path is not None:
            protocols.update(json.loads(path.read_text(encoding="utf-8"))["studies"])
    return rows, protocols


def _arm_for(row: dict[str, str], study: dict[str, Any]) -> dict[str, Any] | None:
    for arm in study["arms"]:
        match = arm.get("match", {})
        if "modality" in match and match["modality"] != row["modality"]:
            continue
        if "site" in match and match["site"] != row["site"]:
            continue
        if "notes" in match and match["notes"] not in row["notes"]:
            continue
        return arm
    return None


def _probe(row: dict[str, str], *, whole_body: bool) -> dict[str, Any]:
    measure = row["measure"]
    probe: dict[str, Any]
    if measure in ("intramuscular", "muscle"):
        probe = {"measure": "intramuscular", "depth_mm": _float(row["depth_mm"]) or 10.0}
        if row["depth_ref"] == "fat":
            probe["below"] = "fat"
    elif measure == "skin" and row["site"] == "whole_body_mean":
        probe = {"measure": "skin_mean"}
    else:
        probe = {"measure": measure}
    if whole_body and row["site"] in SKIN_SITES and measure != "core":
        probe["site"] = row["site"]
    return probe


def _plan(
    row: dict[str, str], protocols: dict[str, Any]
) -> tuple[list[tuple[dict, float]], dict, str | None]:
    """(scenarios with weights, probe, skip reason) of one row."""
    study = protocols.get(row["study_id"])
    if study is None:
        return [], {}, "no protocol entry for this study"
    arm = _arm_for(row, study)
    if arm is None:
        return [], {}, f"no protocol arm for modality {row['modality']}"
    if "skip" in arm:
        return [], {}, arm["skip"]
    if "whole_body" in arm:
        return [], {}, f"whole-body model not available ({arm['whole_body']})"
    if row["statistic"] == "nadir":
        return [], {}, "nadir without its time"
    if row["statistic"] == "unknown_time" or _float(row["time_s"]) is None:
        return [], {}, "time of the measurement not reported"
    time_s = _float(row["time_s"]) or 0.0
    if "baseline_only" in arm and time_s > 0:
        return [], {}, arm["baseline_only"]
    modality = dict(arm["modality"])
    if arm.get("agent_from_row") and _float(row["agent_temp_c"]) is not None:
        modality["agent_temp_c"] = _float(row["agent_temp_c"])
    scenario: dict[str, Any] = {"site": arm["site"], "modality": modality}
    shift = _pre_chamber_shift_s(row, arm)
    if shift > 0.0 and "applications" not in arm:
        # baseline before the pre-chamber: the pre-chamber runs after time zero
        exposure = _float(row["exposure_s"]) or arm.get("exposure_s")
        if exposure is None:
            return [], {}, "application duration not reported"
        arm = {**arm, "applications": [[shift, exposure]]}
    if "applications" in arm:
        scenario["applications"] = [
            {"start_s": start, "duration_s": duration} for start, duration in arm["applications"]
        ]
        end = max(start + duration for start, duration in arm["applications"])
    else:
        exposure = _float(row["exposure_s"]) or arm.get("exposure_s")
        if exposure is None and "baseline_only" in arm:
            exposure = 60.0  # the pre-treatment value does not depend on it
        if exposure is None:
            return [], {}, "application duration not reported"
        scenario["exposure_s"] = exposure
        end = exposure
    delay = _reading_delay_s(row, study)
    scenario["follow_up_s"] = max(0.0, time_s + shift - end) + delay + OUTPUT_EVERY_S
    scenario["ambient_c"] = arm.get("ambient_c", 22.0)
    scenario["output_every_s"] = OUTPUT_EVERY_S
    whole_body = arm["site"] == "whole_body"
    probe = _probe(row, whole_body=whole_body)
    if "probe_depth_mm" in arm and probe["measure"] == "skin":
        probe["depth_mm"] = arm["probe_depth_mm"]  # e.g. an intracutaneous thermocouple
    if probe.get("measure") == "skin_mean" and "mean_skin_weighting" in study:
        probe["weighting"] = study["mean_skin_weighting"]
    subject_spec = dict(arm.get("subject", {"sex": "mixed"}))
    weights = subject_spec.pop("sex_weights", None)
    sex = subject_spec.pop("sex", "mixed")
    if arm.get("skinfold_from_row") and _float(row["skinfold_mm"]) is not None:
        subject_spec["skinfold_mm"] = {arm["site"]: _float(row["skinfold_mm"])}
    weights = (weights or {"female": 1, "male": 1}) if sex == "mixed" else {sex: 1}
    total = float(sum(weights.values()))
    fat_by_sex = _group_fat_by_sex(subject_spec, weights) if sex == "mixed" else {}
    out = []
    for s, w in weights.items():
        spec = {**subject_spec, **({"body_fat_percent": fat_by_sex[s]} if fat_by_sex else {})}
        out.append(({**scenario, "subject": {"sex": s, **spec}}, w / total))
    return out, probe, None


def _group_fat_by_sex(subject: dict[str, Any], weights: dict[str, float]) -> dict[str, float]:
    """Per-sex body fat of a mixed group that reports one mean body fat [%].

    A group mean is not the body fat of its men nor of its women.  Each sex keeps the BMI
    estimate's sex difference ([Deurenberg1991] in ``tissues.body_fat_percent``, 10.8
    points at equal BMI and age) and all are shifted by the same amount, so that the
    weighted mean is the reported one (docs/whole_body.md, gagnon2010).  Empty without a
    group value.
    """
    group = subject.get("body_fat_percent")
    if group is None:
        return {}
    estimate = {}
    for sex in weights:
        ref = tissues.DEFAULT_SUBJECT[sex]
        estimate[sex] = tissues.body_fat_percent(
            sex=sex,
            age_y=max(float(subject.get("age_y", ref.age_y)), 18.0),
            height_m=float(subject.get("height_m", ref.height_m)),
            mass_kg=float(subject.get("mass_kg", ref.mass_kg)),
        )
    total = float(sum(weights.values()))
    mean = sum(weights[sex] * estimate[sex] for sex in weights) / total
    return {sex: round(estimate[sex] + float(group) - mean, 2) for sex in weights}


def run_validation(*, data_dir: Path | None = None, engine: str = "numba") -> dict[str, Any]:
    """Run every simulable row; returns the report (rows, per-study summary, targets)."""
    rows, protocols = _load(data_dir)
    unique: OrderedDict[str, dict[str, Any]] = OrderedDict()
    plans: list[tuple[dict[str, str], list[tuple[str, float]], dict, str | None]] = []
    for row in rows:
        scenarios, probe, reason = _plan(row, protocols)
        keyed: list[tuple[str, float]] = []
        for scenario, weight in scenarios:
            key = json.dumps(scenario, sort_keys=True)
            spec = unique.setdefault(key, {**scenario, "probes": []})
            if probe not in spec["probes"]:
                spec["probes"].append(probe)
            keyed.append((key, weight))
        plans.append((row, keyed, probe, reason))
    keys = list(unique)
    local_keys = [k for k in keys if unique[k]["site"] != "whole_body"]
    wb_keys = [k for k in keys if unique[k]["site"] == "whole_body"]
    results: dict[str, Any] = {}
    if local_keys:
        for key, result in zip(
            local_keys, simulate([unique[k] for k in local_keys], engine=engine), strict=True
        ):
            results[key] = result
    wb_error: str | None = None
    if wb_keys:
        try:
            for key, result in zip(
                wb_keys, simulate([unique[k] for k in wb_keys], engine=engine), strict=True
            ):
                results[key] = result
        except InputError as error:
            wb_error = f"whole-body model not available ({error.message})"
    report_rows = []
    for index, (row, keyed, probe, reason) in enumerate(plans):
        entry: dict[str, Any] = {
            "row": index,
            "study_id": row["study_id"],
            "modality": row["modality"],
            "site": row["site"],
            "measure": row["measure"],
            "depth_mm": _float(row["depth_mm"]),
            "time_s": _float(row["time_s"]),
            "reference": row["reference"],
            "measured_c": _float(row["value_c"]),
            "sd_c": _float(row["sd_c"]),
        }
        if reason is None and keyed and keyed[0][0] not in results:
            reason = wb_error or "not simulated"
        if reason is not None:
            entry["skipped"] = reason
            report_rows.append(entry)
            continue
        predicted = 0.0
        for key, weight in keyed:
            result = results[key]
            trace = result.probes[unique[key]["probes"].index(probe)]
            study = protocols[row["study_id"]]
            shift = _pre_chamber_shift_s(row, _arm_for(row, study) or {})
            time_s = (entry["time_s"] or 0.0) + shift
            if time_s > shift:
                time_s += _reading_delay_s(row, study)
            value = float(np.interp(time_s, result.time_s, trace.temp_c))
            if row["reference"] == "change_from_baseline":
                value -= float(trace.temp_c[0])
            elif row["reference"] == "change_from_end_of_exposure":
                end = (_float(row["exposure_s"]) or 0.0) + shift
                value -= float(np.interp(end, result.time_s, trace.temp_c))
            predicted += weight * value
        sd = entry["sd_c"] if entry["sd_c"] is not None else DEFAULT_SD_C
        diff = predicted - (entry["measured_c"] or 0.0)
        entry.update(
            predicted_c=round(predicted, 3),
            error_c=round(diff, 3),
            sd_used_c=sd,
            within_sd=bool(abs(diff) <= sd),
            whole_body=unique[keyed[0][0]]["site"] == "whole_body",
        )
        report_rows.append(entry)
    return {
        "rows": report_rows,
        "studies": _per_study(report_rows),
        "targets": _targets(report_rows),
    }


def _reading_delay_s(row: dict[str, str], study: dict[str, Any]) -> float:
    """Delay between the row's time_s and the skin reading [s].

    The study's own ``skin_reading_delay_s`` where it states one (whole-body engineer's
    request, docs/whole_body.md), else ``THERMOGRAPHY_DELAY_S`` for thermography skin
    rows, else 0 (contact probes read under the agent, at time_s).
    """
    if not _thermography(row, study):
        return 0.0
    stated = study.get("skin_reading_delay_s")
    return THERMOGRAPHY_DELAY_S if stated is None else float(stated)


def _pre_chamber_shift_s(row: dict[str, str], arm: dict[str, Any]) -> float:
    """Pre-chamber duration to run after time zero for a whole-body change row [s].

    A change from baseline is reported from before the session; the whole-body engine
    runs a pre-chamber before its time zero, so for those rows the exposure starts at
    the pre-chamber's length and the row is read that much later (docs/whole_body.md).
    """
    if arm.get("site") != "whole_body" or row["reference"] != "change_from_baseline":
        return 0.0
    modality = arm.get("modality", {})
    pre = modality.get("pre_chamber")
    if pre is not None:
        return float(pre.get("duration_s", 0.0))
    default = WHOLE_BODY_DEFAULTS.get(modality.get("kind", ""), {}).get("pre_chamber")
    return float(default[1]) if isinstance(default, tuple) else 0.0


def _thermography(row: dict[str, str], study: dict[str, Any]) -> bool:
    notes = row["notes"].lower()
    said = bool(study.get("thermography")) or any(word in notes for word in _THERMOGRAPHY_WORDS)
    return row["measure"] == "skin" and said


def _stats(errors: list[float]) -> dict[str, float | None]:
    if not errors:
        return {"n": 0, "mae_c": None, "rmse_c": None, "bias_c": None}
    arr = np.asarray(errors)
    return {
        "n": int(arr.size),
        "mae_c": round(float(np.mean(np.abs(arr))), 3),
        "rmse_c": round(float(np.sqrt(np.mean(arr**2))), 3),
        "bias_c": round(float(np.mean(arr)), 3),
    }


def _per_study(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    studies: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for row in rows:
        studies.setdefault(row["study_id"], []).append(row)
    out = []
    for study_id, items in studies.items():
        done = [r for r in items if "skipped" not in r]
        reasons: dict[str, int] = {}
        for r in items:
            if "skipped" in r:
                reasons[r["skipped"]] = reasons.get(r["skipped"], 0) + 1
        out.append(
            {
                "study_id": study_id,
                "simulated": len(done),
                "skipped": len(items) - len(done),
                "skip_reasons": reasons,
                "absolute": _stats([r["error_c"] for r in done if r["reference"] == "absolute"]),
                "change": _stats([r["error_c"] for r in done if r["reference"] in _CHANGE]),
                "within_sd": sum(1 for r in done if r["within_sd"]),
            }
        )
    return out


def _myrer2001(rows: list[dict[str, Any]]) -> dict[str, Any]:
    done = [
        r
        for r in rows
        if r["study_id"] == "myrer2001"
        and "skipped" not in r
        and r["time_s"] == 1200.0
        and r["depth_mm"] == 10.0
    ]
    if len(done) < 3:
        return {"passed": False, "reason": "Myrer 2001 rows not simulated"}
    by_row = sorted(done, key=lambda r: r["row"])  # skinfold 6, 14, 24 mm in file order
    measured = [r["measured_c"] for r in by_row]
    predicted = [r["predicted_c"] for r in by_row]
    in_order = predicted[0] < predicted[1] < predicted[2]
    spread_measured = measured[2] - measured[0]
    spread_predicted = predicted[2] - predicted[0]
    size_ok = abs(spread_predicted - spread_measured) <= TARGETS["im_change_mae_c"]
    return {
        "measured_drop_c": measured,
        "predicted_drop_c": predicted,
        "measured_spread_c": round(spread_measured, 3),
        "predicted_spread_c": round(spread_predicted, 3),
        "in_order": in_order,
        "size_within_c": TARGETS["im_change_mae_c"],
        "passed": bool(in_order and size_ok),
    }


def _targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    local = [r for r in rows if "skipped" not in r and not r.get("whole_body")]
    skin_abs = [
        r["error_c"] for r in local if r["measure"] == "skin" and r["reference"] == "absolute"
    ]
    skin_change = [
        r["error_c"] for r in local if r["measure"] == "skin" and r["reference"] in _CHANGE
    ]
    im_change = [
        r["error_c"]
        for r in local
        if r["measure"] in ("intramuscular", "muscle") and r["reference"] in _CHANGE
    ]
    within = [r["within_sd"] for r in local]

    def rmse(values: list[float]) -> float | None:
        return round(math.sqrt(sum(v * v for v in values) / len(values)), 3) if values else None

    def mae(values: list[float]) -> float | None:
        return round(sum(abs(v) for v in values) / len(values), 3) if values else None

    results = {
        "skin_abs_rmse_c": {
            "value": rmse(skin_abs),
            "n": len(skin_abs),
            "max": TARGETS["skin_abs_rmse_c"],
        },
        "within_sd_frac": {
            "value": round(sum(within) / len(within), 3) if within else None,
            "n": len(within),
            "min": TARGETS["within_sd_frac"],
        },
        "skin_change_mae_c": {
            "value": mae(skin_change),
            "n": len(skin_change),
            "max": TARGETS["skin_change_mae_c"],
        },
        "im_change_mae_c": {
            "value": mae(im_change),
            "n": len(im_change),
            "max": TARGETS["im_change_mae_c"],
        },
    }
    for item in results.values():
        value = item["value"]
        limit = item.get("max", item.get("min"))
        if value is None or limit is None:
            item["passed"] = False
        elif "max" in item:
            item["passed"] = float(value) <= float(limit)
        else:
            item["passed"] = float(value) >= float(limit)
    results["myrer2001_fat_effect"] = _myrer2001(rows)
    return results


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (docs/validation.md is generated from it)."""
    lines = [
        "# Validation of the local thermal engine",
        "",
        "Generated by `cryotx validate --markdown > docs/validation.md`; do not edit by hand.",
        "",
        "Each row of `literature/measurements.csv` is mapped to a scenario by",
        "`literature/protocols.json` (inputs read from the papers; whole-body rows by",
        "`protocols_whole_body.json`). Error = predicted - measured. Absolute rows compare",
        "temperatures; change rows compare the predicted change from the predicted baseline",
        "(or from the end of exposure) with the reported change. Thermography rows are read",
        f"{THERMOGRAPHY_DELAY_S:g} s after the agent is lifted (one fitted delay for every",
        "thermography study that does not state its own; a stated `skin_reading_delay_s`",
        "replaces it). Whole-body change rows with a pre-chamber take their baseline before",
        f"the pre-chamber. 'Within SD' uses the study's between-subject SD, {DEFAULT_SD_C} °C where none",
        "is given. The targets are those of issue 2 and are computed over local rows only;",
        "whole-body rows are listed for completeness. Modality defaults were fitted across all",
        "studies of each modality (docs/physics.md); no constant is specific to one study.",
        "",
        "## Targets (issue 2; local rows only)",
        "",
        "| target | value | n | limit | passed |",
        "|---|---|---|---|---|",
    ]
    for name, t in report["targets"].items():
        if name == "myrer2001_fat_effect":
            continue
        limit = f"<= {t['max']}" if "max" in t else f">= {t['min']}"
        lines.append(
            f"| {name} | {t['value']} | {t['n']} | {limit} | {'yes' if t['passed'] else '**no**'} |"
        )
    m = report["targets"]["myrer2001_fat_effect"]
    if "predicted_drop_c" in m:
        lines.append(
            f"| myrer2001 fat effect (1 cm below fat, 20 min; skinfold 6/14/24 mm) | predicted "
            f"{m['predicted_drop_c']} vs measured {m['measured_drop_c']}; spread "
            f"{m['predicted_spread_c']} vs {m['measured_spread_c']} | 3 | order and spread within "
            f"{m['size_within_c']} | {'yes' if m['passed'] else '**no**'} |"
        )
    lines += [
        "",
        "## Per study",
        "",
        "| study | simulated | skipped | abs MAE / RMSE / bias °C | change MAE / RMSE / bias °C | within SD | skipped because |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in report["studies"]:

        def fmt(stats: dict[str, Any]) -> str:
            if not stats["n"]:
                return "-"
            return f"{stats['mae_c']} / {stats['rmse_c']} / {stats['bias_c']} (n={stats['n']})"

        reasons = "; ".join(f"{k} ({v})" for k, v in s["skip_reasons"].items()) or "-"
        lines.append(
            f"| {s['study_id']} | {s['simulated']} | {s['skipped']} | {fmt(s['absolute'])} | "
            f"{fmt(s['change'])} | {s['within_sd']}/{s['simulated']} | {reasons} |"
        )
    lines += [
        "",
        "## Rows",
        "",
        "| row | study | modality | site | measure | time s | reference | measured °C | predicted °C | error °C | SD used | within SD |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        if "skipped" in r:
            continue
        measure = r["measure"] + (f" {r['depth_mm']:g} mm" if r["depth_mm"] else "")
        lines.append(
            f"| {r['row']} | {r['study_id']} | {r['modality']} | {r['site']} | {measure} | "
            f"{r['time_s']:g} | {r['reference']} | {r['measured_c']} | {r['predicted_c']} | "
            f"{r['error_c']} | {r['sd_used_c']} | {'yes' if r['within_sd'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def render_table(report: dict[str, Any], console: Any) -> None:
    """Print the per-study summary and the targets with Rich."""
    from rich.table import Table

    table = Table(title="Validation per study")
    for col in (
        "study",
        "simulated",
        "skipped",
        "abs MAE",
        "abs RMSE",
        "change MAE",
        "within SD",
        "skipped because",
    ):
        table.add_column(col)
    for s in report["studies"]:
        table.add_row(
            s["study_id"],
            str(s["simulated"]),
            str(s["skipped"]),
            str(s["absolute"]["mae_c"] if s["absolute"]["n"] else "-"),
            str(s["absolute"]["rmse_c"] if s["absolute"]["n"] else "-"),
            str(s["change"]["mae_c"] if s["change"]["n"] else "-"),
            f"{s['within_sd']}/{s['simulated']}",
            "; ".join(f"{k} ({v})" for k, v in s["skip_reasons"].items()),
        )
    console.print(table)
    targets = Table(title="Targets (issue 2, local rows)")
    for col in ("target", "value", "n", "limit", "passed"):
        targets.add_column(col)
    for name, t in report["targets"].items():
        if name == "myrer2001_fat_effect":
            targets.add_row(
                name,
                f"{t.get('predicted_drop_c')} vs {t.get('measured_drop_c')}",
                "3",
                "order + spread",
                str(t["passed"]),
            )
            continue
        limit = f"<= {t['max']}" if "max" in t else f">= {t['min']}"
        targets.add_row(name, str(t["value"]), str(t["n"]), limit, str(t["passed"]))
    console.print(targets)
