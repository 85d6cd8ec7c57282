"""Dose sizing with the thermal engine: the exposure this patient should receive.

For a local modality the patient is simulated (their fat at the site, or the engine's
estimate from their measured whole-body fat, or else from BMI, age and sex; the device and
its settings) for the longest exposure the evidence allows. From the predicted skin
temperature the *analgesic window* is read:

- it opens when the skin first reaches the analgesic range, at or below 13.6 °C
  [Bugaj1975]_;
- it closes at the last output time before the skin falls below the cold-injury floor of
  10 °C, the lower end of the 10-15 °C therapeutic skin range [Belsey2024]_, or before any
  tissue freezes (below -0.55 °C [NHSFrostbite]_), or at the evidence cap. Brief ice
  massage, CO2 and nitrogen-vapour applications are limited by time instead of the 10 °C
  floor (20 min of ice massage in the trials [Brosseau2003]_; 2-min CO2 applications cool
  skin to 7.3 °C), so for them only freezing closes the window early.

Inside that window the exposure is personalised by depth: the trials' exposure (e.g. 20 min
of ice) cools the tissue under the fat of an average patient of the same sex (the engine's
population default fat) by some amount; this patient gets the time their own tissue needs to
cool by the same amount, within the window. More fat over the site means slower cooling at
depth and a longer exposure, or a warning that the trials' cooling cannot be reached safely.

Whole- and partial-body sessions are capped by the evidence: 3 minutes, 2 for a first
session [Fusion]_; the engine predicts the skin curves when it supports them, with the
patient's measured body fat when it is recorded.

References
----------
.. [Bugaj1975] Bugaj R. The cooling, analgesic, and rewarming effects of ice massage on
   localized skin. Phys Ther 1975;55(1):11-9. https://pubmed.ncbi.nlm.nih.gov/1088989/
.. [Belsey2024] Belsey et al. PLOS ONE 2024 (Winchester cryocompression trials, target knee
   skin 10-15 °C); NCT05136482. https://clinicaltrialcompass.org/trial/NCT05136482
.. [NHSFrostbite] NHS Hull CCG, Frostbite. http://hullccg.nhs.uk/conditions/frostbite
.. [Fusion] https://fusionwbrecovery.com/faqs-from-our-clients-what-is-correct-cryotherapy-protocol/
.. [Brosseau2003] Brosseau L, et al. Thermotherapy for treatment of osteoarthritis (Cochrane
   review CD004522).
   https://www.cochrane.org/CD004522/MUSKEL_thermotherapy-heat-treatment-for-treating-osteoarthritis-of-the-knee
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from cryotx.clinical.patient import Patient
from cryotx.clinical.protocols import Protocol
from cryotx.clinical.vocabulary import modality_group
from cryotx.errors import InputError

__all__ = [
    "ANALGESIA_SKIN_C",
    "FIRST_WHOLE_BODY_S",
    "FREEZING_C",
    "LOCAL_CAP_S",
    "SKIN_FLOOR_C",
    "TIME_LIMITED",
    "WHOLE_BODY_CAP_S",
    "Curve",
    "Dose",
    "EngineUnavailable",
    "exposure_cap_s",
    "simulate",
    "size_dose",
    "size_doses",
    "skin_floor_c",
]

ANALGESIA_SKIN_C = 13.6  # [Bugaj1975] skin analgesia threshold
SKIN_FLOOR_C = 10.0  # [Belsey2024] lower end of the 10-15 °C therapeutic knee-skin range
# Brief, moving or jet applications are limited by time, not by a skin floor: ice massage
# 5-10 min (fpnotebook, see LOCAL_CAP_S), CO2 2 min reaching 7.3 °C skin (PubMed 17908579),
# nitrogen vapour 5 min; for them the window closes only before freezing.
TIME_LIMITED: frozenset[str] = frozenset({"ice_massage", "co2", "ln2_vapour"})
FREEZING_C = -0.55  # [NHSFrostbite] tissue freezing
WHOLE_BODY_CAP_S = 180.0  # [Fusion] 3 min maximum (clinical-evidence.md section 5)
FIRST_WHOLE_BODY_S = 120.0  # [Fusion] first session 2 min
# Local caps (clinical-evidence.md section 5): packs and ice 10-30 min, avoid > 30 min
# (https://fpnotebook.com/legacy/Sports/Pharm/LclCldThrpy.htm); cold air 10-30 min (RA trial,
# https://pmc.ncbi.nlm.nih.gov/articles/PMC8119547/table/Tab1); CO2 2-min applications studied
# (PubMed 17908579); nitrogen vapour 5 min in the knee OA study (Minerva 1998).
LOCAL_CAP_S: dict[str, float] = {
    "ice_bag": 1800.0,
    "gel_pack": 1800.0,
    "frozen_peas": 1800.0,
    "ice_massage": 1200.0,  # 20 min in the Cochrane trials [Brosseau2003]; guidance 5-10 min
    "cryo_cuff": 1800.0,
    "cold_water": 1800.0,
    "cold_air": 1800.0,
    "co2": 120.0,
    "ln2_vapour": 300.0,
}
_OUTPUT_EVERY_S = 10.0
_FOLLOW_UP_S = 600.0
_DEPTH_MM = 10.0  # intramuscular probe 1 cm below the fat, as in [Myrer2001]


class Curve(BaseModel):
    """One predicted temperature curve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: str
    depth_mm: float | None = None
    temp_c: list[float]


class Dose(BaseModel):
    """The sized dose of one session (``dose`` of the plan JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exposure_s: float
    window_s: tuple[float, float] | None
    cap_s: float
    predicted: dict[str, float | None] | None
    time_s: list[float] | None
    curves: list[Curve] | None
    rationale: list[str]
    personalised: bool


def exposure_cap_s(protocol: Protocol, patient: Patient) -> tuple[float, str]:
    """The longest exposure the evidence allows for this protocol and patient, and why."""
    if modality_group(protocol.modality) == "systemic":
        if patient.previous_sessions == 0:
            return FIRST_WHOLE_BODY_S, "first whole-body session: 2 min at most (later: 3 min)"
        return WHOLE_BODY_CAP_S, "whole-body session: 3 min at most"
    cap = LOCAL_CAP_S[protocol.modality]
    return cap, f"{protocol.modality}: {cap / 60:.0f} min at most"


def _modality(protocol: Protocol) -> dict[str, Any]:
    modality: dict[str, Any] = {"kind": protocol.modality, **protocol.settings}
    if protocol.agent_temp_c is not None:
        modality["agent_temp_c"] = protocol.agent_temp_c
    return modality


def _subject(patient: Patient | None, *, sex: str, site: str) -> dict[str, Any]:
    if patient is None:
        return {"sex": sex}
    subject: dict[str, Any] = {"sex": patient.sex, "age_y": patient.age_y}
    if patient.height_m is not None:
        subject["height_m"] = patient.height_m
    if patient.mass_kg is not None:
        subject["mass_kg"] = patient.mass_kg
    if site in patient.fat_mm:
        subject["fat_mm"] = {site: patient.fat_mm[site]}
    if patient.body_fat_percent is not None:
        subject["body_fat_percent"] = patient.body_fat_percent
    return subject


def _body_fat_line(patient: Patient) -> str:
    """The rationale line that says whether whole-body fat was measured."""
    if patient.body_fat_percent is not None:
        return f"body fat: {patient.body_fat_percent:.1f} % (measured)"
    return "body fat: engine's estimate from BMI, age and sex (not measured)"


def _depth_probe(site: str) -> dict[str, Any]:
    if site == "knee":
        return {"measure": "intra_articular"}
    return {"measure": "intramuscular", "depth_mm": _DEPTH_MM, "below": "fat"}


def _scenario(
    subject: dict[str, Any], protocol: Protocol, *, site: str, exposure_s: float
) -> dict[str, Any]:
    return {
        "subject": subject,
        "site": site,
        "modality": _modality(protocol),
        "exposure_s": exposure_s,
        "follow_up_s": _FOLLOW_UP_S,
        "probes": [{"measure": "skin"}, _depth_probe(site), {"measure": "core"}],
        "output_every_s": _OUTPUT_EVERY_S,
    }


def _cooling_at(time_s: np.ndarray, temp_c: np.ndarray, at_s: float) -> float:
    """Cooling of a probe from its start value at time ``at_s`` [°C, positive = colder]."""
    return float(temp_c[0] - np.interp(at_s, time_s, temp_c))


class EngineUnavailable(RuntimeError):
    """The thermal engine (``cryotx.physics.simulate``) is not part of this build."""


def simulate(scenarios: list[dict[str, Any]]) -> list[Any]:
    """Run the thermal engine on a batch of Scenario dicts (DESIGN.md contract)."""
    physics = importlib.import_module("cryotx.physics")
    engine = getattr(physics, "simulate", None)
    if engine is None:
        raise EngineUnavailable("cryotx.physics.simulate is not available")
    return list(engine(scenarios))


def skin_floor_c(modality: str) -> float:
    """Skin temperature below which the analgesic window closes for a local modality [°C]."""
    return FREEZING_C if modality in TIME_LIMITED else SKIN_FLOOR_C


_LOCAL_ERRORS: tuple[type[Exception], ...] = (InputError, EngineUnavailable)
_WHOLE_BODY_ERRORS: tuple[type[Exception], ...] = (
    InputError,
    EngineUnavailable,
    NotImplementedError,
    ImportError,
    AttributeError,
)


def _simulate_each(
    scenarios: list[dict[str, Any]], *, errors: tuple[type[Exception], ...]
) -> list[Any]:
    """Engine results in order, as one batch; where the engine refuses the batch, scenario
    by scenario, with the exception in place of the result it refused."""
    if not scenarios:
        return []
    try:
        return simulate(scenarios)
    except errors:
        pass
    out: list[Any] = []
    for scenario in scenarios:
        try:
            out.append(simulate([scenario])[0])
        except errors as error:
            out.append(error)
    return out


@lru_cache(maxsize=256)
def _reference_cooling_c(sex: str, site: str, protocol_json: str, exposure_s: float) -> float:
    """Depth cooling that ``exposure_s`` of the protocol gives an average patient of this sex."""
    protocol = Protocol.model_validate_json(protocol_json)
    scenario = _scenario(
        _subject(None, sex=sex, site=site), protocol, site=site, exposure_s=exposure_s
    )
    (result,) = simulate([scenario])
    return _cooling_at(np.asarray(result.time_s), np.asarray(result.probes[1].temp_c), exposure_s)


def _metrics(result: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, value in dict(result.metrics).items():
        number = None if value is None else float(value)
        out[key] = None if number is None or not np.isfinite(number) else number
    return out


def size_dose(patient: Patient, protocol: Protocol, *, site: str) -> tuple[Dose, list[str]]:
    """Size the exposure of one session for this patient, protocol and site.

    Returns
    -------
    (Dose, warnings)
        The dose, and warnings for the plan (target not reachable safely, engine limits).
    """
    return size_doses([(patient, protocol, site)])[0]


def size_doses(
    requests: Sequence[tuple[Patient, Protocol, str]],
) -> list[tuple[Dose, list[str]]]:
    """Size many doses; local and whole-body scenarios each run as one batch of the engine.

    Parameters
    ----------
    requests : sequence of (Patient, Protocol, site)
        One entry per patient; the first axis of the engine's batch is this sequence.

    Returns
    -------
    list of (Dose, warnings)
        In the order of ``requests``.
    """
    out: list[tuple[Dose, list[str]] | None] = [None] * len(requests)
    local: list[int] = []
    scenarios: list[dict[str, Any]] = []
    systemic: list[int] = []
    systemic_scenarios: list[dict[str, Any]] = []
    for index, (patient, protocol, site) in enumerate(requests):
        cap_s, _ = exposure_cap_s(protocol, patient)
        if modality_group(protocol.modality) == "systemic":
            systemic.append(index)
            systemic_scenarios.append(
                _whole_body_scenario(patient, protocol, exposure_s=min(protocol.exposure_s, cap_s))
            )
            continue
        local.append(index)
        scenarios.append(
            _scenario(
                _subject(patient, sex=patient.sex, site=site), protocol, site=site, exposure_s=cap_s
            )
        )
    for index, outcome in zip(
        systemic, _simulate_each(systemic_scenarios, errors=_WHOLE_BODY_ERRORS), strict=True
    ):
        patient, protocol, _ = requests[index]
        out[index] = _whole_body(patient, protocol, outcome)
    for index, outcome in zip(local, _simulate_each(scenarios, errors=_LOCAL_ERRORS), strict=True):
        patient, protocol, site = requests[index]
        if isinstance(outcome, InputError):
            detail = f"{outcome.field}: {outcome.message}"
            out[index] = _unpersonalised(patient, protocol, site, detail=detail)
            continue
        if isinstance(outcome, Exception):
            out[index] = _unpersonalised(patient, protocol, site, detail=str(outcome))
            continue
        try:
            reference_c = _reference_cooling_c(
                patient.sex, site, protocol.model_dump_json(), _reference_exposure_s(protocol)
            )
        except _LOCAL_ERRORS as error:
            detail = (
                f"{error.field}: {error.message}" if isinstance(error, InputError) else str(error)
            )
            out[index] = _unpersonalised(patient, protocol, site, detail=detail)
            continue
        result = outcome
        out[index] = _local_dose(
            patient, protocol, site=site, result=result, reference_c=reference_c
        )
    return [item for item in out if item is not None]


def _reference_exposure_s(protocol: Protocol) -> float:
    """The trials' exposure, within the local cap (the dose the evidence supports)."""
    return min(protocol.exposure_s, LOCAL_CAP_S[protocol.modality])


def _unpersonalised(
    patient: Patient, protocol: Protocol, site: str, *, detail: str
) -> tuple[Dose, list[str]]:
    cap_s, cap_reason = exposure_cap_s(protocol, patient)
    exposure = min(protocol.exposure_s, cap_s)
    warning = (
        f"The thermal engine cannot model this treatment at the {site} ({detail}); "
        f"the dose is the trials' {exposure / 60:.0f} min, not personalised."
    )
    dose = Dose(
        exposure_s=exposure,
        window_s=None,
        cap_s=cap_s,
        predicted=None,
        time_s=None,
        curves=None,
        rationale=[cap_reason, "not personalised: see warnings"],
        personalised=False,
    )
    return dose, [warning]


def _local_dose(
    patient: Patient, protocol: Protocol, *, site: str, result: Any, reference_c: float
) -> tuple[Dose, list[str]]:
    """Read the window and the depth-matched exposure off one engine result."""
    cap_s, cap_reason = exposure_cap_s(protocol, patient)
    warnings: list[str] = []
    time_s = np.asarray(result.time_s, dtype=float)
    skin_c = np.asarray(result.probes[0].temp_c, dtype=float)
    depth_c = np.asarray(result.probes[1].temp_c, dtype=float)
    during = time_s <= cap_s + 1e-9
    rationale = [cap_reason]

    reached = np.nonzero(during & (skin_c <= ANALGESIA_SKIN_C))[0]
    floor_c = skin_floor_c(protocol.modality)
    unsafe = np.nonzero(during & (skin_c < floor_c))[0]
    frozen = np.nonzero(during & (skin_c <= FREEZING_C))[0]
    hi = cap_s
    closes = "at the evidence cap"
    if unsafe.size and floor_c > FREEZING_C:
        hi = float(time_s[max(unsafe[0] - 1, 0)])
        closes = f"before the skin falls below the {floor_c:.0f} °C cold-injury floor"
    if frozen.size and float(time_s[max(frozen[0] - 1, 0)]) < hi:
        hi = float(time_s[max(frozen[0] - 1, 0)])
        closes = "before the skin freezes"
    window: tuple[float, float] | None = None
    if reached.size == 0:
        warnings.append(
            f"The skin is not predicted to reach the analgesic range (<= {ANALGESIA_SKIN_C} °C) "
            f"within {cap_s / 60:.0f} min with this device: analgesia is unlikely."
        )
    else:
        lo = float(time_s[reached[0]])
        if lo > hi:
            warnings.append(
                "The skin reaches the cold-injury floor before the analgesic range is held: "
                "the analgesic target cannot be reached safely with this device."
            )
        else:
            window = (lo, hi)
            rationale.append(
                f"analgesic window {lo / 60:.1f}-{hi / 60:.1f} min: skin reaches "
                f"{ANALGESIA_SKIN_C} °C at {lo / 60:.1f} min; window closes {closes}"
            )

    # Depth personalisation: the trials' tissue cooling for an average patient.
    reference_s = _reference_exposure_s(protocol)
    needed = np.nonzero(during & (depth_c[0] - depth_c >= reference_c))[0]
    target_s = float(time_s[needed[0]]) if needed.size else None
    depth_name = "joint" if site == "knee" else "muscle 1 cm under the fat"
    upper = window[1] if window is not None else hi
    if target_s is None or target_s > upper:
        exposure = upper
        warnings.append(
            f"The {depth_name} is not predicted to cool by {reference_c:.1f} °C (what the "
            f"trials' {reference_s / 60:.0f} min give an average patient) within "
            f"{upper / 60:.1f} min, where the window closes {closes}: the target cannot be "
            f"reached safely; exposure limited to {upper / 60:.1f} min."
        )
    else:
        exposure = max(target_s, window[0]) if window is not None else target_s
        rationale.append(
            f"{depth_name} cools by {reference_c:.1f} °C (the trials' "
            f"{reference_s / 60:.0f} min for an average patient) after "
            f"{target_s / 60:.1f} min for this patient"
        )
    fat = patient.fat_mm.get(site)
    if fat is not None:
        rationale.append(f"fat at the {site}: {fat:.1f} mm (measured)")
    elif patient.body_fat_percent is not None:
        rationale.append(
            f"fat at the {site}: engine's estimate from the measured body fat "
            f"({patient.body_fat_percent:.1f} %); the site was not measured"
        )
    else:
        rationale.append(f"fat at the {site}: engine's population estimate (not measured)")
    dose = Dose(
        exposure_s=float(exposure),
        window_s=window,
        cap_s=cap_s,
        predicted=_metrics(result),
        time_s=time_s.tolist(),
        curves=[
            Curve(measure="skin", temp_c=skin_c.tolist()),
            Curve(
                measure=str(_depth_probe(site)["measure"]),
                depth_mm=None if site == "knee" else _DEPTH_MM,
                temp_c=depth_c.tolist(),
            ),
            Curve(measure="core", temp_c=np.asarray(result.probes[2].temp_c).tolist()),
        ],
        rationale=rationale,
        personalised=True,
    )
    warnings.extend(str(w) for w in result.warnings)
    return dose, warnings


def _whole_body_scenario(
    patient: Patient, protocol: Protocol, *, exposure_s: float
) -> dict[str, Any]:
    return {
        "subject": _subject(patient, sex=patient.sex, site="whole_body"),
        "site": "whole_body",
        "modality": _modality(protocol),
        "exposure_s": exposure_s,
        "follow_up_s": _FOLLOW_UP_S,
        "probes": [
            {"measure": "skin_mean"},
            {"measure": "skin", "site": "thigh_anterior"},
            {"measure": "core"},
        ],
        "output_every_s": _OUTPUT_EVERY_S,
    }


def _whole_body(patient: Patient, protocol: Protocol, outcome: Any) -> tuple[Dose, list[str]]:
    """The whole-body dose: evidence caps, with the engine's predictions when it has them."""
    cap_s, cap_reason = exposure_cap_s(protocol, patient)
    exposure = min(protocol.exposure_s, cap_s)
    rationale = [cap_reason, f"trials used {protocol.exposure_s / 60:.0f} min"]
    warnings: list[str] = []
    if isinstance(outcome, Exception):
        # The whole-body model is built separately; where the engine refuses (InputError)
        # or lacks it, degrade to the evidence caps, saying why.
        error = outcome
        detail = f"{error.field}: {error.message}" if isinstance(error, InputError) else repr(error)
        warnings.append(
            f"The whole-body thermal model is not available ({detail}); the dose follows the "
            "evidence caps only, with no predicted skin temperatures."
        )
        return (
            Dose(
                exposure_s=exposure,
                window_s=None,
                cap_s=cap_s,
                predicted=None,
                time_s=None,
                curves=None,
                rationale=rationale,
                personalised=False,
            ),
            warnings,
        )
    result = outcome
    time_s = np.asarray(result.time_s, dtype=float)
    curves = [
        Curve(measure=name, temp_c=np.asarray(probe.temp_c, dtype=float).tolist())
        for name, probe in zip(
            ("skin_mean", "skin_thigh_anterior", "core"), result.probes, strict=True
        )
    ]
    warnings.extend(str(w) for w in result.warnings)
    rationale.append(_body_fat_line(patient))
    predicted = _metrics(result)
    mean_skin = np.asarray(result.probes[0].temp_c, dtype=float)
    reached = np.nonzero((time_s <= exposure + 1e-9) & (mean_skin <= ANALGESIA_SKIN_C))[0]
    window: tuple[float, float] | None = None
    if reached.size:
        window = (float(time_s[reached[0]]), exposure)
        rationale.append(
            f"mean skin reaches {ANALGESIA_SKIN_C} °C at {window[0] / 60:.1f} min (predicted)"
        )
    else:
        rationale.append(
            f"mean skin is not predicted to reach {ANALGESIA_SKIN_C} °C within "
            f"{exposure / 60:.0f} min; the trials' benefit is not attributed to skin analgesia"
        )
    frozen_mm = predicted.get("frozen_depth_mm")
    if frozen_mm is not None and frozen_mm > 0.0:
        warnings.append(
            f"The engine predicts tissue freezing ({frozen_mm:.1f} mm) within {exposure / 60:.0f} "
            "min: check the protective gear (gloves, socks, ear band) before the session."
        )
    return (
        Dose(
            exposure_s=exposure,
            window_s=window,
            cap_s=cap_s,
            predicted=predicted,
            time_s=time_s.tolist(),
            curves=curves,
            rationale=rationale,
            personalised=False,
        ),
        warnings,
    )
