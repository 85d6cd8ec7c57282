"""Every screening rule, parametrised from the rules file: it fires on its criterion, for the
modalities it names, forcing at least its decision, and stays silent for a healthy patient."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from clinical_patients import HEALTHY

from cryotx.clinical import screen
from cryotx.clinical.rules import DECISIONS, Rule, rules
from cryotx.clinical.vocabulary import codes_of, modality_group, vocabulary
from cryotx.data import load_json
from cryotx.errors import InputError

ASSESSED = dt.date.fromisoformat(HEALTHY["assessed_on"])
RANK = {decision: index for index, decision in enumerate(DECISIONS)}
LOCAL_SITE_FOR_RULES = "knee"


def _set(patient: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = patient
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _trigger(criterion: dict[str, Any], patient: dict[str, Any]) -> str | None:
    """Change the patient so that the criterion holds; return the site it needs, if any."""
    kind = criterion["type"]
    site = None
    if kind == "condition":
        patient["conditions"].append(criterion["code"])
    elif kind == "medication":
        patient["medications"].append(criterion["code"])
    elif kind == "event":
        days = criterion.get("within_days")
        ago = days // 2 if days else 400
        date = (ASSESSED - dt.timedelta(days=ago)).isoformat()
        patient["events"].append({"kind": criterion["kind"], "date": date})
    elif kind == "measure":
        step = {"<": -1.0, "<=": 0.0, ">": 1.0, ">=": 0.0}[criterion["op"]]
        _set(patient, criterion["field"], criterion["value"] + step)
    elif kind == "missing":
        _set(patient, criterion["field"], None)
    elif kind == "check_failed":
        _set(patient, criterion["field"], False)
    elif kind == "site":
        site = criterion["in"][0]
    elif kind in ("all", "any"):
        parts = criterion["of"] if kind == "all" else criterion["of"][:1]
        for part in parts:
            site = _trigger(part, patient) or site
    return site


def _modalities(rule: Rule) -> list[str]:
    out = []
    for modality in sorted(codes_of("modality")):
        group = modality_group(modality)
        if modality in rule.modalities or group in rule.modalities:
            out.append(modality)
    return out


RAW_RULES = load_json("clinical/rules.json")["rules"]
CASES = [
    (raw, modality)
    for raw, rule in zip(RAW_RULES, rules().rules, strict=True)
    for modality in _modalities(rule)
]


def _site(modality: str, needed: str | None) -> str | None:
    if modality_group(modality) == "systemic":
        return None
    return needed or LOCAL_SITE_FOR_RULES


@pytest.mark.parametrize(
    ("raw", "modality"), CASES, ids=[f"{raw['id']}-{modality}" for raw, modality in CASES]
)
def test_rule_fires_for_its_modalities(raw: dict[str, Any], modality: str) -> None:
    patient = copy.deepcopy(HEALTHY)
    site = _site(modality, _trigger(raw["criterion"], patient))
    result = screen(patient, modality=modality, site=site)
    fired = [reason for reason in result.reasons if reason.rule_id == raw["id"]]
    assert len(fired) == 1
    assert fired[0].decision == raw["decision"]
    assert fired[0].source == " ; ".join(raw["source"])
    assert RANK[result.decision] >= RANK[raw["decision"]]


@pytest.mark.parametrize("modality", sorted(codes_of("modality")))
def test_rules_do_not_fire_on_other_modalities(modality: str) -> None:
    """A rule that does not name a modality (or its group) never appears for it."""
    for raw, rule in zip(RAW_RULES, rules().rules, strict=True):
        if modality in _modalities(rule):
            continue
        patient = copy.deepcopy(HEALTHY)
        site = _site(modality, _trigger(raw["criterion"], patient))
        result = screen(patient, modality=modality, site=site)
        assert raw["id"] not in {reason.rule_id for reason in result.reasons}


@pytest.mark.parametrize("modality", sorted(codes_of("modality")))
def test_healthy_adult_is_eligible(modality: str) -> None:
    site = None if modality_group(modality) == "systemic" else "thigh_anterior"
    result = screen(HEALTHY, modality=modality, site=site)
    assert result.decision == "eligible"
    assert result.reasons == []
    assert result.rules_version == rules().version


def test_every_rule_is_sourced_and_every_absolute_rule_excludes() -> None:
    for rule in rules().rules:
        assert rule.source and all(url.startswith("http") for url in rule.source), rule.id
        if rule.strength == "absolute":
            assert rule.decision == "excluded", rule.id


def test_every_screening_condition_has_a_rule() -> None:
    """Each condition of the vocabulary is used by at least one rule (none is decorative)."""
    used: set[str] = set()

    def walk(criterion: dict[str, Any]) -> None:
        if criterion["type"] == "condition":
            used.add(criterion["code"])
        for part in criterion.get("of", []):
            walk(part)

    for raw in RAW_RULES:
        walk(raw["criterion"])
    conditions = {e.code for e in vocabulary().codes if e.kind == "condition"}
    assert conditions <= used


def test_missing_checks_are_reminders_not_refusals() -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["session_checks"] = {}
    patient["vitals"] = {}
    result = screen(patient, modality="pbc_cryosauna")
    assert result.decision == "eligible_with_precautions"
    assert {reason.severity for reason in result.reasons} == {"session"}


def test_event_boundary_six_months() -> None:
    """MI on day 183 before assessment excludes; on day 184 it refers ([ElitecryoQA])."""
    patient = copy.deepcopy(HEALTHY)
    for days, expected in ((183, "excluded"), (184, "refer")):
        date = (ASSESSED - dt.timedelta(days=days)).isoformat()
        patient["events"] = [{"kind": "myocardial_infarction", "date": date}]
        assert screen(patient, modality="wbc_chamber").decision == expected


def test_on_overrides_assessed_on() -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["events"] = [{"kind": "coronary_stent", "date": "2026-10-01"}]
    assert screen(patient, modality="wbc_chamber").decision == "excluded"
    later = dt.date(2027, 6, 1)
    assert screen(patient, modality="wbc_chamber", on=later).decision == "refer"


def test_dated_events_need_a_date() -> None:
    patient = copy.deepcopy(HEALTHY)
    del patient["assessed_on"]
    patient["events"] = [{"kind": "stroke", "date": "2020-01-01"}]
    with pytest.raises(InputError) as error:
        screen(patient, modality="wbc_chamber")
    assert error.value.field == "assessed_on"


@pytest.mark.parametrize(
    ("modality", "site", "field"),
    [
        ("wbc_chamber", "knee", "site"),
        ("ice_bag", "whole_body", "site"),
        ("ice_bag", "raynaud", "site"),
        ("ice_bag", "nose", "site"),
        ("plasma_torch", None, "modality"),
        ("raynaud", None, "modality"),
    ],
)
def test_bad_modality_or_site(modality: str, site: str | None, field: str) -> None:
    with pytest.raises(InputError) as error:
        screen(HEALTHY, modality=modality, site=site)
    assert error.value.field == field


def test_dump_contract() -> None:
    patient = copy.deepcopy(HEALTHY)
    patient["conditions"] = ["raynaud"]
    dumped = screen(patient, modality="ice_bag", site="knee").model_dump(mode="json")
    assert dumped["decision"] == "excluded"
    assert {"code", "severity", "message", "source"} <= set(dumped["reasons"][0])
