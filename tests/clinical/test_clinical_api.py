"""The public surface others build on (record service, FHIR export) stays as published."""

from __future__ import annotations

import importlib

import pytest

import cryotx.clinical

MODULES = [
    "cryotx.clinical",
    "cryotx.clinical.dosing",
    "cryotx.clinical.instructions",
    "cryotx.clinical.patient",
    "cryotx.clinical.planning",
    "cryotx.clinical.protocols",
    "cryotx.clinical.rules",
    "cryotx.clinical.screening",
    "cryotx.clinical.vocabulary",
]


def test_package_exports() -> None:
    assert set(cryotx.clinical.__all__) == {
        "Dose",
        "Patient",
        "Plan",
        "Reason",
        "Screening",
        "parse_patient",
        "plan",
        "plan_many",
        "protocols",
        "screen",
        "screen_all",
        "vocabulary",
    }


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.{symbol}"
