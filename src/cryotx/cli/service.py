"""Command-line commands of the service area (registered on the main Typer app)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this area's commands to app."""
    del app
