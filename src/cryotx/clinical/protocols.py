"""The evidence library: cryotherapy protocols per condition and modality, with their studies.

Each protocol carries the agent temperature, exposure, sessions per week and course length
used in the trials, the studies (design, size, effect, source) and an honest grade:
``weak``, ``mixed``, ``negative`` or ``insufficient``. Negative evidence stays in the library
(the blinded low-back-pain trial that found -67 °C no better than -5 °C [Nugraha2015]_).

References
----------
.. [Nugraha2015] Nugraha B, Gutenbrunner C, et al., 2015. Double-blind randomised trial of
   whole-body cryotherapy at -67 °C against -5 °C in chronic low back pain.
   https://pubmed.ncbi.nlm.nih.gov/25296740/
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cryotx.clinical.vocabulary import codes_of, lookup
from cryotx.data import load_json
from cryotx.errors import InputError

__all__ = ["Library", "Protocol", "Study", "candidates", "library", "protocols"]

_STRICT = ConfigDict(extra="forbid", frozen=True)
Grade = Literal["weak", "mixed", "negative", "insufficient"]


class Study(BaseModel):
    """One study behind a protocol."""

    model_config = _STRICT

    key: str
    design: str
    n: int | None = Field(default=None, gt=0)
    protocol: str
    effect: str
    source: str
    direction: Literal["positive", "negative", "inconclusive", "none"]


class Protocol(BaseModel):
    """One protocol of the library."""

    model_config = _STRICT

    id: str
    condition: str
    modality: str
    sites: tuple[str, ...] = Field(min_length=1)
    agent_temp_c: float | None
    agent_temp_source: str | None = None
    settings: dict[str, str | float] = Field(default_factory=dict)
    settings_source: str | None = None
    exposure_s: float = Field(gt=0)
    sessions_per_week: int = Field(gt=0)
    sessions_total: int = Field(gt=0)
    schedule: str
    grade: Grade
    assessment: str
    rank: int = Field(ge=1)
    evidence: tuple[Study, ...] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _known_codes(self) -> Protocol:
        if self.condition not in codes_of("indication"):
            raise ValueError(f"protocol {self.id}: unknown indication {self.condition!r}")
        if self.modality not in codes_of("modality"):
            raise ValueError(f"protocol {self.id}: unknown modality {self.modality!r}")
        if not set(self.sites) <= codes_of("site"):
            raise ValueError(f"protocol {self.id}: unknown site in {self.sites!r}")
        if self.settings and self.settings_source is None:
            raise ValueError(f"protocol {self.id}: settings need settings_source")
        if self.agent_temp_c is not None and self.agent_temp_source is None:
            raise ValueError(f"protocol {self.id}: agent_temp_c needs agent_temp_source")
        return self


class Library(BaseModel):
    """The protocols file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    description: str
    grades: dict[str, str]
    grade_note: str
    protocols: tuple[Protocol, ...]


@cache
def library() -> Library:
    """The packaged evidence library, loaded and validated once."""
    lib = Library.model_validate(load_json("clinical/protocols.json"))
    ids = [protocol.id for protocol in lib.protocols]
    if len(ids) != len(set(ids)):
        raise ValueError("protocols.json: protocol ids must be unique")
    return lib


def protocols() -> tuple[Protocol, ...]:
    """Every protocol of the library."""
    return library().protocols


def candidates(condition: str, *, site: str, modality: str | None = None) -> list[Protocol]:
    """Protocols for a condition at a site (and modality), best-ranked first.

    Raises
    ------
    InputError
        Unknown condition, site or modality codes, or no protocol in the library for them.
    """
    if lookup(condition, field="condition").kind != "indication":
        raise InputError("condition", f"{condition!r} is not an indication (see `cryotx vocab`)")
    if lookup(site, field="site").kind != "site":
        raise InputError("site", f"{site!r} is not a site (see `cryotx vocab`)")
    if modality is not None and lookup(modality, field="modality").kind != "modality":
        raise InputError("modality", f"{modality!r} is not a modality (see `cryotx vocab`)")
    found = [
        protocol
        for protocol in protocols()
        if protocol.condition == condition
        and site in protocol.sites
        and (modality is None or protocol.modality == modality)
    ]
    if not found:
        what = f"{condition} at {site}" + (f" with {modality}" if modality else "")
        raise InputError(
            "condition", f"the evidence library has no protocol for {what} (see docs/clinical.md)"
        )
    return sorted(found, key=lambda protocol: protocol.rank)
