"""Shared patients for the clinical tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from clinical_patients import HEALTHY


@pytest.fixture
def healthy() -> dict[str, Any]:
    """A healthy adult with every pre-session check done (a fresh copy per test)."""
    return copy.deepcopy(HEALTHY)
