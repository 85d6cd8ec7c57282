"""The data files are validated when loaded: a malformed rule or protocol is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from cryotx.clinical.protocols import Library
from cryotx.clinical.rules import RuleSet
from cryotx.data import load_json

RULES: dict[str, Any] = load_json("clinical/rules.json")
LIBRARY: dict[str, Any] = load_json("clinical/protocols.json")


def _rule(**change: Any) -> dict[str, Any]:
    data = copy.deepcopy(RULES)
    data["rules"][0].update(change)
    return data


def test_packaged_files_validate() -> None:
    assert RuleSet.model_validate(RULES).version == RULES["version"]
    assert Library.model_validate(LIBRARY).version == LIBRARY["version"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"criterion": {"type": "condition", "code": "chilblains"}}, "unknown condition"),
        ({"criterion": {"type": "medication", "code": "aspirin"}}, "unknown medication"),
        ({"criterion": {"type": "event", "kind": "fall"}}, "unknown event"),
        (
            {"criterion": {"type": "measure", "field": "vitals.mood", "op": ">", "value": 1}},
            "cannot measure",
        ),
        ({"criterion": {"type": "missing", "field": "session_checks.tea"}}, "no check"),
        ({"criterion": {"type": "site", "in": ["nose"]}}, "unknown site"),
        ({"criterion": {"type": "sometimes"}}, "does not match any of the expected tags"),
        ({"modalities": ["laser"]}, "unknown modality"),
        ({"decision": "eligible"}, "must restrict"),
        ({"strength": "absolute", "decision": "refer"}, "must exclude"),
        ({"source": []}, "at least 1 item"),
        ({"surprise": True}, "Extra inputs are not permitted"),
    ],
)
def test_bad_rule_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(_rule(**change))


def test_duplicate_rule_ids_are_refused() -> None:
    data = copy.deepcopy(RULES)
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(ValidationError, match="unique"):
        RuleSet.model_validate(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"condition": "gout"}, "unknown indication"),
        ({"modality": "laser"}, "unknown modality"),
        ({"sites": ["nose"]}, "unknown site"),
        ({"agent_temp_source": None}, "agent_temp_source"),
        ({"grade": "strong"}, "Input should be"),
        ({"evidence": []}, "at least 1 item"),
    ],
)
def test_bad_protocol_is_refused(change: dict[str, Any], message: str) -> None:
    data = copy.deepcopy(LIBRARY)
    data["protocols"][0].update(change)
    with pytest.raises(ValidationError, match=message):
        Library.model_validate(data)
