"""Errors shared by every layer.

``InputError`` is raised for input that is malformed, unknown or physically impossible.
It always names the offending field (a dotted path such as ``modality.agent_temp_c``), so
that the command line can print one line and exit with status 2, and the API can answer
with a problem-details document that points at the field.
"""

from __future__ import annotations

__all__ = ["CryoTxError", "InputError"]


class CryoTxError(Exception):
    """Base class of the errors CryoTx raises on purpose."""


class InputError(CryoTxError, ValueError):
    """Input refused: ``field`` names where, ``message`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
