"""Helpers shared by the command-line modules: one-line refusals with exit status 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from cryotx.errors import InputError

__all__ = ["fail", "read_json_file", "refusals"]


def fail(field: str, message: str) -> NoReturn:
    """Print ``error: FIELD: MESSAGE`` on stderr and exit with status 2."""
    print(f"error: {field}: {message}", file=sys.stderr)
    raise typer.Exit(code=2)


def _field_of(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    loc = ".".join(str(part) for part in first.get("loc", ())) or "input"
    return loc, str(first.get("msg", "invalid value"))


@contextmanager
def refusals() -> Iterator[None]:
    """Turn InputError and pydantic ValidationError into one line and exit status 2."""
    try:
        yield
    except InputError as error:
        fail(error.field, error.message)
    except ValidationError as error:
        fail(*_field_of(error))


def read_json_file(path: Path) -> Any:
    """Parse a JSON file, refusing unreadable or malformed files with exit status 2."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        fail(str(path), f"cannot read file ({error.strerror})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        fail(str(path), f"malformed JSON at line {error.lineno} column {error.colno}: {error.msg}")
