"""The published clinical vocabulary: the codes a patient record and a plan may use.

The vocabulary is a versioned package data file (``data/clinical/vocabulary.json``). Each
code has a label, a kind and, where clinical-evidence.md section 4 gives a verified code,
its SNOMED CT or ICD-10 code; otherwise the code field is ``None`` and ``coding_note`` says
why. Codes are never invented.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cryotx.data import load_json
from cryotx.errors import InputError

__all__ = [
    "KINDS",
    "Code",
    "Vocabulary",
    "codes_of",
    "lookup",
    "modality_group",
    "vocabulary",
]

Kind = Literal["indication", "condition", "medication", "event", "modality", "procedure", "site"]
KINDS: tuple[str, ...] = (
    "indication",
    "condition",
    "medication",
    "event",
    "modality",
    "procedure",
    "site",
)


class Code(BaseModel):
    """One vocabulary entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Kind
    label: str
    snomed_ct: str | None
    icd10: str | None
    coding_note: str
    source: str | None
    group: Literal["local", "systemic"] | None = None


class Vocabulary(BaseModel):
    """The whole vocabulary file, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    description: str
    coding_policy: str
    codes: tuple[Code, ...]


@cache
def vocabulary() -> Vocabulary:
    """The packaged vocabulary, loaded and validated once.

    Returns
    -------
    Vocabulary
        Version and every code; codes are unique.
    """
    vocab = Vocabulary.model_validate(load_json("clinical/vocabulary.json"))
    seen: set[str] = set()
    for entry in vocab.codes:
        if entry.code in seen:
            raise ValueError(f"vocabulary.json: duplicate code {entry.code!r}")
        seen.add(entry.code)
        if entry.kind == "modality" and entry.group is None:
            raise ValueError(f"vocabulary.json: modality {entry.code!r} lacks its group")
    return vocab


@cache
def _index() -> dict[str, Code]:
    return {entry.code: entry for entry in vocabulary().codes}


def lookup(code: str, *, field: str = "code") -> Code:
    """The vocabulary entry of ``code``.

    Parameters
    ----------
    code : str
        A vocabulary code such as ``"knee_osteoarthritis"``.
    field : str
        Dotted path reported in the error if the code is unknown.

    Raises
    ------
    InputError
        If the code is not in the vocabulary.
    """
    try:
        return _index()[code]
    except KeyError:
        raise InputError(field, f"unknown code {code!r} (see `cryotx vocab`)") from None


@cache
def codes_of(*kinds: str) -> frozenset[str]:
    """The set of codes of the given kinds, e.g. ``codes_of("indication", "condition")``."""
    return frozenset(entry.code for entry in vocabulary().codes if entry.kind in kinds)


def modality_group(modality: str, *, field: str = "modality") -> str:
    """``"local"`` or ``"systemic"`` (whole- or partial-body) for a modality code."""
    entry = lookup(modality, field=field)
    if entry.kind != "modality" or entry.group is None:
        raise InputError(field, f"{modality!r} is a {entry.kind} code, not a modality")
    return entry.group
