"""Personalised planning: screening, a protocol from the evidence, a dose sized for the patient.

``plan(patient, condition=..., site=...)`` screens first; picks the best-ranked protocol of
the evidence library whose modality the patient may receive (or the modality asked for);
sizes the session dose with the thermal engine (:mod:`cryotx.clinical.dosing`); and adds
the patient's preparation and after-care instructions. When screening excludes the
patient, ``dose`` is ``None`` and the reasons say why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from cryotx.clinical.dosing import Dose, size_doses
from cryotx.clinical.instructions import Instructions, instructions_for
from cryotx.clinical.patient import Patient, parse_patient
from cryotx.clinical.protocols import Protocol, candidates, library
from cryotx.clinical.screening import Screening, check_site, screen
from cryotx.clinical.vocabulary import modality_group
from cryotx.errors import InputError

__all__ = ["Dose", "Plan", "PlannedProtocol", "plan", "plan_many"]

_PERMISSIVE = ("eligible", "eligible_with_precautions")


class PlannedProtocol(BaseModel):
    """The protocol chosen from the evidence library (``protocol`` of the plan JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    condition: str
    modality: str
    agent_temp_c: float | None
    exposure_s: float
    sessions_per_week: int
    sessions_total: int
    schedule: str
    grade: str
    assessment: str
    evidence: list[dict[str, Any]]
    library_version: str
    note: str | None = None


class Plan(BaseModel):
    """A personalised plan; ``model_dump()`` is the ``cryotx plan --json`` contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    screening: Screening
    protocol: PlannedProtocol
    dose: Dose | None
    instructions: Instructions
    warnings: list[str]
    alternatives: list[str]


def _planned(protocol: Protocol) -> PlannedProtocol:
    return PlannedProtocol(
        id=protocol.id,
        condition=protocol.condition,
        modality=protocol.modality,
        agent_temp_c=protocol.agent_temp_c,
        exposure_s=protocol.exposure_s,
        sessions_per_week=protocol.sessions_per_week,
        sessions_total=protocol.sessions_total,
        schedule=protocol.schedule,
        grade=protocol.grade,
        assessment=protocol.assessment,
        evidence=[study.model_dump(mode="json") for study in protocol.evidence],
        library_version=library().version,
        note=protocol.note,
    )


def _choose(
    record: Patient, options: list[Protocol], *, site: str, on: dt.date | None
) -> tuple[Protocol, Screening]:
    """The best-ranked protocol the patient may receive; else the least restrictive one."""
    screened: list[tuple[Protocol, Screening]] = []
    for protocol in options:
        result = screen(
            record,
            modality=protocol.modality,
            site=site if modality_group(protocol.modality) == "local" else None,
            on=on,
        )
        if result.decision in _PERMISSIVE:
            return protocol, result
        screened.append((protocol, result))
    order = {"refer": 0, "excluded": 1}
    return min(screened, key=lambda pair: order[pair[1].decision])


def plan(
    patient: Patient | dict[str, Any],
    *,
    condition: str,
    site: str,
    modality: str | None = None,
    on: dt.date | None = None,
) -> Plan:
    """Plan a cryotherapy course for one patient.

    Parameters
    ----------
    patient : Patient or dict
        The patient record (Patient contract of DESIGN.md).
    condition : str
        Indication code, e.g. ``"knee_osteoarthritis"``.
    site : str
        Treated site, e.g. ``"knee"``; ``"whole_body"`` for chambers and cryosaunas.
    modality : str, optional
        A modality code; by default the best-ranked protocol the patient may receive.
    on : datetime.date, optional
        Assessment date; defaults to ``patient.assessed_on``.

    Returns
    -------
    Plan
        Screening, protocol, dose (``None`` when excluded), instructions, warnings.

    Raises
    ------
    InputError
        Bad patient record, unknown codes, or no protocol for the condition and site.
    """
    return plan_many([patient], condition=condition, site=site, modality=modality, on=on)[0]


def plan_many(
    patients: Sequence[Patient | dict[str, Any]],
    *,
    condition: str,
    site: str,
    modality: str | None = None,
    on: dt.date | None = None,
) -> list[Plan]:
    """Plan the same condition and site for many patients; the engine runs once, batched.

    Parameters are those of :func:`plan`, with ``patients`` a sequence (the first axis of
    the engine's batch). A bad record raises :class:`~cryotx.errors.InputError` whose field
    starts with the patient's index, e.g. ``3.vitals.diastolic_mmhg``; nothing is planned.
    """
    records: list[Patient] = []
    for index, patient in enumerate(patients):
        try:
            records.append(parse_patient(patient))
        except InputError as error:
            if len(patients) == 1:
                raise
            raise InputError(f"{index}.{error.field}", error.message) from None
    options = candidates(condition, site=site, modality=modality)
    if modality is not None:
        check_site(site, group=modality_group(modality))
    chosen = [_choose(record, options, site=site, on=on) for record in records]
    to_size = [i for i, (_, screening) in enumerate(chosen) if screening.decision != "excluded"]
    sized = size_doses([(records[i], chosen[i][0], site) for i in to_size])
    doses: dict[int, tuple[Dose, list[str]]] = dict(zip(to_size, sized, strict=True))
    plans = []
    for index, (protocol, screening) in enumerate(chosen):
        warnings: list[str] = []
        if protocol.grade in ("negative", "insufficient"):
            warnings.append(
                f"Evidence for this protocol is {protocol.grade}: {protocol.assessment}"
            )
        dose: Dose | None = None
        if screening.decision == "excluded":
            warnings.append(
                f"Excluded from {protocol.modality}: no dose is planned (see screening reasons)."
            )
        else:
            if screening.decision == "refer":
                warnings.append(
                    "A physician's clearance is needed before the first session (see reasons)."
                )
            dose, dose_warnings = doses[index]
            warnings.extend(dose_warnings)
        plans.append(
            Plan(
                screening=screening,
                protocol=_planned(protocol),
                dose=dose,
                instructions=instructions_for(protocol.modality),
                warnings=warnings,
                alternatives=[option.id for option in options if option.id != protocol.id],
            )
        )
    return plans
