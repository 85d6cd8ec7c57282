"""Plain-language preparation, after-care and warning signs for the patient.

The texts are package data (``data/clinical/instructions.json``), one list per modality
group, each line with its source; a line may be limited to some modalities.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from cryotx.clinical.vocabulary import modality_group
from cryotx.data import load_json

__all__ = ["Instruction", "Instructions", "instructions_for"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Instruction(BaseModel):
    """One line of instructions and where it comes from."""

    model_config = _STRICT

    text: str
    source: str
    modalities: tuple[str, ...] | None = None


class _Group(BaseModel):
    model_config = _STRICT

    preparation: tuple[Instruction, ...]
    aftercare: tuple[Instruction, ...]
    warning_signs: tuple[Instruction, ...]


class _File(BaseModel):
    model_config = _STRICT

    version: str
    description: str
    local: _Group
    systemic: _Group


class Instructions(BaseModel):
    """Instructions for one plan, as printed to the patient (texts) with their sources."""

    model_config = _STRICT

    preparation: list[str]
    aftercare: list[str]
    warning_signs: list[str]
    sources: list[str]


@cache
def _file() -> _File:
    return _File.model_validate(load_json("clinical/instructions.json"))


def instructions_for(modality: str) -> Instructions:
    """Instructions for a modality code (local or whole/partial-body)."""
    group: _Group = getattr(_file(), modality_group(modality))

    def pick(lines: tuple[Instruction, ...]) -> list[Instruction]:
        return [line for line in lines if line.modalities is None or modality in line.modalities]

    chosen = [pick(group.preparation), pick(group.aftercare), pick(group.warning_signs)]
    sources = sorted({line.source for lines in chosen for line in lines})
    return Instructions(
        preparation=[line.text for line in chosen[0]],
        aftercare=[line.text for line in chosen[1]],
        warning_signs=[line.text for line in chosen[2]],
        sources=sources,
    )
