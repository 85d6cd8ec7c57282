"""Screening: apply the rules to one patient for one modality (and optionally one site).

The decision is the most restrictive decision of the rules that fire, in the order
eligible < eligible_with_precautions < refer < excluded (DESIGN.md). The clock is passed
in (``patient.assessed_on`` or ``on=``); the core never reads it.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cryotx.clinical.patient import Patient, parse_patient
from cryotx.clinical.rules import DECISIONS, Rule, applies_to, holds, rules
from cryotx.clinical.vocabulary import codes_of, lookup, modality_group
from cryotx.errors import InputError

__all__ = ["Reason", "Screening", "check_site", "screen", "screen_all"]

Decision = Literal["eligible", "eligible_with_precautions", "refer", "excluded"]


class Reason(BaseModel):
    """Why a decision was taken: one fired rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    severity: Literal["absolute", "relative", "precaution", "session"]
    message: str
    source: str
    rule_id: str
    decision: Decision
    note: str | None = None


class Screening(BaseModel):
    """The result of screening a patient for one modality.

    ``model_dump()`` gives ``{"decision", "reasons": [{"code", "severity", "message",
    "source", ...}], ...}`` as the ``cryotx screen --json`` contract requires.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    reasons: list[Reason] = Field(default_factory=list)
    modality: str
    site: str | None
    rules_version: str
    assessed_on: dt.date | None
    caveat: str


@cache
def _rules_for(modality: str, group: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules().rules if applies_to(rule, modality=modality, group=group))


def check_site(site: str | None, *, group: str, field: str = "site") -> None:
    """Refuse a site that is not a site code, or that does not fit the modality group."""
    if site is None:
        return
    entry = lookup(site, field=field)
    if entry.kind != "site":
        raise InputError(field, f"{site!r} is a {entry.kind} code, not a site")
    if group == "systemic" and site != "whole_body":
        raise InputError(field, "whole- and partial-body modalities treat site 'whole_body'")
    if group == "local" and site == "whole_body":
        raise InputError(field, "a local modality needs a body site, not 'whole_body'")


def screen(
    patient: Patient | dict[str, Any],
    *,
    modality: str,
    site: str | None = None,
    on: dt.date | None = None,
) -> Screening:
    """Screen a patient for a cryotherapy modality.

    Parameters
    ----------
    patient : Patient or dict
        The patient (validated with :func:`~cryotx.clinical.patient.parse_patient`).
    modality : str
        A modality code (``cryotx vocab``), e.g. ``"ice_bag"`` or ``"wbc_chamber"``.
    site : str, optional
        Treated site; site-specific rules (superficial nerves) apply only when it is given.
    on : datetime.date, optional
        Date of the assessment; defaults to ``patient.assessed_on``. Needed when the patient
        has dated events.

    Returns
    -------
    Screening
        Decision, reasons with sources, rules version.

    Raises
    ------
    InputError
        Unknown modality or site, a site that does not fit the modality, or dated events
        without a date to judge them against.
    """
    record = parse_patient(patient)
    group = modality_group(modality)
    check_site(site, group=group)
    when = on if on is not None else record.assessed_on
    if record.events and when is None:
        raise InputError("assessed_on", "needed to judge how recent the events are")
    for index, event in enumerate(record.events):
        if when is not None and event.date > when:
            raise InputError(f"events.{index}.date", "is after the assessment date")
    ruleset = rules()
    fired = [
        Reason(
            code=rule.code,
            severity=rule.strength,
            message=rule.message,
            source=" ; ".join(rule.source),
            rule_id=rule.id,
            decision=rule.decision,
            note=rule.note,
        )
        for rule in _rules_for(modality, group)
        if holds(rule.criterion, record, site=site, on=when)
    ]
    rank = {decision: index for index, decision in enumerate(DECISIONS)}
    fired.sort(key=lambda reason: -rank[reason.decision])
    decision = fired[0].decision if fired else "eligible"
    return Screening(
        decision=decision,
        reasons=fired,
        modality=modality,
        site=site,
        rules_version=ruleset.version,
        assessed_on=when,
        caveat=ruleset.evidence_caveat,
    )


def screen_all(
    patient: Patient | dict[str, Any],
    *,
    site: str | None = None,
    on: dt.date | None = None,
) -> dict[str, Screening]:
    """Screen a patient for every modality of the vocabulary (DESIGN.md: "per modality").

    ``site`` applies to the local modalities only (whole- and partial-body modalities
    treat the whole body); a ``"whole_body"`` site screens the local ones without a site.
    """
    record = parse_patient(patient)
    local_site = None if site == "whole_body" else site
    out: dict[str, Screening] = {}
    for modality in sorted(codes_of("modality")):
        group = modality_group(modality)
        out[modality] = screen(
            record, modality=modality, site=local_site if group == "local" else None, on=on
        )
    return out
