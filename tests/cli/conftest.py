"""Shared fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cryotx.config import get_settings


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test on its own SQLite file; no CRYOTX_DATABASE_URL from the outside."""
    monkeypatch.setenv("CRYOTX_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CRYOTX_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
