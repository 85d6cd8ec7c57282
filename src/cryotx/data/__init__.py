"""The one loader of CryoTx's package data (rules, protocols, tissue properties, literature).

Every data file carries its sources inside; this module only finds and parses files.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["data_path", "load_csv", "load_json", "read_text"]


def data_path(relative: str) -> Path:
    """Filesystem path of a packaged data file, e.g. ``"literature/measurements.csv"``."""
    root = resources.files(__name__)
    target = root.joinpath(*relative.split("/"))
    return Path(str(target))


def read_text(relative: str) -> str:
    """Text of a packaged data file (UTF-8)."""
    return data_path(relative).read_text(encoding="utf-8")


@cache
def load_json(relative: str) -> Any:
    """Parsed JSON of a packaged data file; cached, so callers must not mutate it."""
    return json.loads(read_text(relative))


def load_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts; ``path`` is packaged-relative (str) or a real Path."""
    file = path if isinstance(path, Path) else data_path(path)
    with file.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
