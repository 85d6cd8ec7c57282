"""The Scenario contract: what one simulated cryotherapy application looks like.

Pydantic v2 models of the Scenario JSON of ``docs/architecture.md`` / DESIGN.md.  Every
model forbids unknown fields.  ``parse_scenarios`` accepts one mapping or a list of them
and turns every refusal into :class:`cryotx.errors.InputError` naming the dotted field.

Physically impossible inputs are refused here, where the reason can name the field:
nitrogen vapour colder than the normal boiling point of nitrogen (−195.8 °C), dry-ice
(CO2) jets colder than its sublimation point (−78.5 °C), melting ice warmer than 0 °C,
negative durations, overlapping applications, a fat layer thicker than the limb.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cryotx.errors import InputError
from cryotx.physics import tissues

__all__ = [
    "BARRIERS",
    "BODY_FAT_PERCENT_RANGE",
    "LOCAL_SITES",
    "MODALITY_KINDS",
    "PROBE_MEASURES",
    "SITES",
    "SKIN_SITES",
    "Application",
    "Modality",
    "PreChamber",
    "Probe",
    "Scenario",
    "Subject",
    "parse_scenarios",
]

LOCAL_SITES: tuple[str, ...] = tissues.LOCAL_SITES
SITES: tuple[str, ...] = (*LOCAL_SITES, "whole_body")
SKIN_SITES: tuple[str, ...] = (
    "head",
    "chest",
    "back",
    "lumbar",
    "abdomen",
    "upper_arm",
    "forearm",
    "hand",
    "thigh_anterior",
    "knee",
    "calf",
    "foot",
    "shoulder",
    "elbow",
    "wrist",
    "ankle",
)
MODALITY_KINDS: tuple[str, ...] = (
    "ice_bag",
    "gel_pack",
    "frozen_peas",
    "ice_massage",
    "cryo_cuff",
    "cold_air",
    "co2",
    "ln2_vapour",
    "cold_water",
    "wbc_chamber",
    "pbc_cryosauna",
)
WHOLE_BODY_KINDS: tuple[str, ...] = ("wbc_chamber", "pbc_cryosauna", "cold_water")
BARRIERS: tuple[str, ...] = ("none", "wet_towel", "dry_towel", "dressing")
PROBE_MEASURES: tuple[str, ...] = (
    "skin",
    "skin_mean",
    "subcutaneous",
    "intramuscular",
    "intra_articular",
    "core",
)

Sex = Literal["male", "female"]
Site = Literal[
    "knee",
    "ankle",
    "thigh_anterior",
    "calf",
    "lumbar",
    "shoulder",
    "elbow",
    "wrist",
    "hand",
    "whole_body",
]
Kind = Literal[
    "ice_bag",
    "gel_pack",
    "frozen_peas",
    "ice_massage",
    "cryo_cuff",
    "cold_air",
    "co2",
    "ln2_vapour",
    "cold_water",
    "wbc_chamber",
    "pbc_cryosauna",
]
Barrier = Literal["none", "wet_towel", "dry_towel", "dressing"]
Measure = Literal["skin", "skin_mean", "subcutaneous", "intramuscular", "intra_articular", "core"]
MeanSkinWeighting = Literal["hardy_dubois_7", "ramanathan_4"]
"""Mean-skin weightings: Hardy & DuBois 1938 (7 regions) or Ramanathan 1964 (4 sites)."""

# Measured whole-body fat a person can show [%]: below about 2-5 % is essential fat only
# [ICRP2002]; 70 % is beyond the highest values reported for severe obesity.  The patient
# record and the service schemas use the same bounds.
BODY_FAT_PERCENT_RANGE = (2.0, 70.0)

# Physical limits of the agents.
LN2_BOILING_C = -195.8  # normal boiling point of nitrogen at 101.325 kPa [Lide2004]
CO2_SUBLIMATION_C = -78.5  # sublimation point of CO2 at 101.325 kPa [Lide2004]
_MAX_AGENT_C = 40.0  # above skin temperature nothing is cryotherapy any more
_MIN_AGENT_C: dict[str, float] = {
    "ln2_vapour": LN2_BOILING_C,
    "co2": CO2_SUBLIMATION_C,
    "wbc_chamber": LN2_BOILING_C,
    "pbc_cryosauna": LN2_BOILING_C,
    "cold_air": -100.0,  # electric cold-air devices reach about -30 to -35 °C
    "cold_water": -2.0,  # sea water freezes near -1.9 °C
    "cryo_cuff": 0.0,  # circulating liquid water
    "ice_bag": -30.0,
    "ice_massage": -30.0,
    "gel_pack": -40.0,
    "frozen_peas": -40.0,
}
_ICE_KINDS = ("ice_bag", "ice_massage")
_PACK_KINDS = ("ice_bag", "gel_pack", "frozen_peas")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Subject(_Strict):
    """The person treated; all fields but ``sex`` are optional (population defaults)."""

    sex: Sex
    age_y: float | None = Field(default=None, ge=0.0, le=120.0)
    height_m: float | None = Field(default=None, ge=0.5, le=2.5)
    mass_kg: float | None = Field(default=None, ge=10.0, le=350.0)
    fat_mm: dict[str, float] = Field(default_factory=dict)
    skinfold_mm: dict[str, float] = Field(default_factory=dict)
    # Measured whole-body fat (DXA, bioimpedance, skinfold equations); replaces the BMI
    # estimate (tissues.body_fat_percent).
    body_fat_percent: float | None = Field(
        default=None, ge=BODY_FAT_PERCENT_RANGE[0], le=BODY_FAT_PERCENT_RANGE[1]
    )
    core_temp_c: float | None = Field(default=None, ge=34.0, le=40.0)

    @model_validator(mode="after")
    def _known_sites(self) -> Subject:
        for name, table in (("fat_mm", self.fat_mm), ("skinfold_mm", self.skinfold_mm)):
            for site, value in table.items():
                if site not in SKIN_SITES:
                    raise InputError(f"{name}.{site}", f"unknown site {site!r}")
                if not value >= 0.0:
                    raise InputError(f"{name}.{site}", "must be >= 0 mm")
        return self


class PreChamber(_Strict):
    """Pre-chamber (vestibule) phase of a whole-body chamber."""

    temp_c: float = Field(ge=LN2_BOILING_C, le=_MAX_AGENT_C)
    duration_s: float = Field(ge=0.0)


class Modality(_Strict):
    """The cold agent and how it is applied.  Every field but ``kind`` is optional."""

    kind: Kind
    agent_temp_c: float | None = None
    barrier: Barrier | None = None
    mass_kg: float | None = Field(default=None, gt=0.0, le=10.0)
    start_temp_c: float | None = None
    ice_form: Literal["crushed", "cubes", "wet"] | None = None
    fixation: Literal["none", "wrap"] | None = None  # a pack resting, or held by a wrap/strap
    contact_area_m2: float | None = Field(default=None, gt=0.0, le=1.0)
    heat_transfer_coefficient_w_per_m2_k: float | None = Field(default=None, gt=0.0, le=1e7)
    """Agent-to-skin coefficient of this application [W/m²/K], replacing the modality's
    default contact (pack weight and wrap are then not applied again); a barrier still
    adds its resistance in series."""
    air_speed_m_per_s: float | None = Field(default=None, ge=0.0, le=60.0)
    distance_m: float | None = Field(default=None, gt=0.0, le=2.0)
    stirred: bool | None = None
    immersion_depth: str | None = None
    clothing: list[str] = Field(default_factory=list)
    pre_chamber: PreChamber | None = None
    wall_temp_c: float | None = Field(default=None, ge=LN2_BOILING_C, le=_MAX_AGENT_C)
    allow_long_exposure: bool = False  # whole body: simulate WBC/PBC beyond the 3-min limit

    @model_validator(mode="after")
    def _physical_limits(self) -> Modality:
        for name in ("agent_temp_c", "start_temp_c"):
            value = getattr(self, name)
            if value is None:
                continue
            floor = _MIN_AGENT_C[self.kind]
            if value < floor:
                if self.kind in ("ln2_vapour", "wbc_chamber", "pbc_cryosauna"):
                    why = f"colder than boiling nitrogen ({LN2_BOILING_C} °C at 1 atm)"
                elif self.kind == "co2":
                    why = f"colder than subliming dry ice ({CO2_SUBLIMATION_C} °C at 1 atm)"
                else:
                    why = f"below the lowest possible {self.kind} temperature ({floor} °C)"
                raise InputError(name, f"{value} °C is {why}")
            if value > _MAX_AGENT_C:
                raise InputError(name, f"{value} °C is not a cold agent (> {_MAX_AGENT_C} °C)")
        if self.kind in _ICE_KINDS and self.agent_temp_c is not None and self.agent_temp_c > 0.0:
            raise InputError("agent_temp_c", "melting ice cannot be warmer than 0 °C")
        if self.fixation not in (None, "none") and self.kind not in _PACK_KINDS:
            raise InputError("fixation", f"only packs are held by a wrap, not {self.kind}")
        return self


class Probe(_Strict):
    """Where a temperature is reported."""

    measure: Measure
    depth_mm: float | None = Field(default=None, ge=0.0, le=300.0)
    """Intramuscular: depth below the skin surface (or below the fat, ``below: fat``).
    Skin: where an intracutaneous thermocouple sits, 0 (the surface, the default) to the
    skin thickness.  Other measures take no depth."""
    below: Literal["skin", "fat"] = "skin"
    site: str | None = None
    weighting: MeanSkinWeighting | None = None
    """For ``skin_mean`` (whole body): ``hardy_dubois_7`` (default) or ``ramanathan_4``."""

    @model_validator(mode="after")
    def _consistent(self) -> Probe:
        if self.measure == "intramuscular" and self.depth_mm is None:
            raise InputError("depth_mm", "an intramuscular probe needs depth_mm")
        if self.depth_mm is not None and self.measure not in ("intramuscular", "skin"):
            raise InputError("depth_mm", f"a {self.measure} probe has no depth to set")
        if self.measure == "skin" and self.depth_mm is not None:
            skin_mm = 1e3 * tissues.SKIN_THICKNESS_M
            if self.depth_mm > skin_mm:
                raise InputError(
                    "depth_mm",
                    f"a skin probe sits within the skin (at most {skin_mm:g} mm); "
                    "deeper tissue is subcutaneous or intramuscular",
                )
        if self.below == "fat" and self.measure != "intramuscular":
            raise InputError("below", "only an intramuscular depth is counted below the fat")
        if self.weighting is not None and self.measure != "skin_mean":
            raise InputError("weighting", "a weighting applies only to a skin_mean probe")
        if self.site is not None and self.site not in SKIN_SITES:
            raise InputError("site", f"unknown skin site {self.site!r}")
        return self


class Application(_Strict):
    """One application of the agent: start and duration, from the start of the first."""

    start_s: float = Field(ge=0.0)
    duration_s: float = Field(gt=0.0)


class Scenario(_Strict):
    """One simulated treatment (see the Scenario contract in DESIGN.md)."""

    subject: Subject
    site: Site
    modality: Modality
    exposure_s: float | None = Field(default=None, gt=0.0, le=86400.0)
    applications: list[Application] | None = None
    follow_up_s: float = Field(default=0.0, ge=0.0, le=86400.0)
    ambient_c: float = Field(default=22.0, ge=-40.0, le=45.0)
    probes: list[Probe] = Field(default_factory=lambda: [Probe(measure="skin")])
    output_every_s: float = Field(default=30.0, gt=0.0, le=3600.0)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.exposure_s is None and not self.applications:
            raise InputError("exposure_s", "give exposure_s or applications")
        if self.exposure_s is not None and self.applications:
            raise InputError("applications", "give exposure_s or applications, not both")
        if self.applications:
            end = -1.0
            for i, app in enumerate(self.applications):
                if app.start_s < end:
                    raise InputError(f"applications.{i}.start_s", "applications overlap")
                end = app.start_s + app.duration_s
        if not self.probes:
            raise InputError("probes", "at least one probe is needed")
        if self.site == "whole_body":
            for i, probe in enumerate(self.probes):
                if probe.measure == "skin" and probe.depth_mm:
                    raise InputError(
                        f"probes.{i}.depth_mm",
                        "the whole-body model reports the skin surface only",
                    )
            return self
        if self.modality.kind in ("wbc_chamber", "pbc_cryosauna"):
            raise InputError("modality.kind", f"{self.modality.kind} needs site whole_body")
        for i, probe in enumerate(self.probes):
            if probe.weighting is not None:
                raise InputError(
                    f"probes.{i}.weighting", "mean-skin weightings are whole_body only"
                )
            if probe.measure == "intra_articular" and self.site != "knee":
                raise InputError(
                    f"probes.{i}.measure", "intra_articular probes exist only at the knee"
                )
        fat = self.subject.fat_mm.get(self.site)
        skinfold = self.subject.skinfold_mm.get(self.site)
        limit_mm = tissues.max_fat_mm(self.site)
        if fat is not None and fat >= limit_mm:
            raise InputError(
                f"subject.fat_mm.{self.site}",
                f"fat thicker than the {self.site} allows ({fat} mm >= {limit_mm:.0f} mm)",
            )
        if skinfold is not None and skinfold / 2.0 >= limit_mm:
            raise InputError(
                f"subject.skinfold_mm.{self.site}",
                f"half the skinfold is thicker than the {self.site} allows ({limit_mm:.0f} mm)",
            )
        for i, probe in enumerate(self.probes):
            if probe.depth_mm is not None and probe.depth_mm * 1e-3 >= tissues.site_depth_m(
                self.site, fat_m=(fat or 0.0) * 1e-3
            ):
                raise InputError(f"probes.{i}.depth_mm", f"deeper than the {self.site} is")
        return self

    @property
    def schedule(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of every application."""
        if self.applications:
            return [(a.start_s, a.start_s + a.duration_s) for a in self.applications]
        assert self.exposure_s is not None
        return [(0.0, self.exposure_s)]

    @property
    def duration_s(self) -> float:
        """Total simulated time: end of the last application plus the follow-up."""
        return self.schedule[-1][1] + self.follow_up_s


def _dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def _input_error(error: ValidationError, prefix: str) -> InputError:
    first = error.errors()[0]
    loc = _dotted(first.get("loc", ()))
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InputError):
        inner = f"{loc}.{cause.field}" if loc != "input" else cause.field
        return InputError(prefix + inner, cause.message)
    return InputError(prefix + loc, str(first.get("msg", "invalid value")))


def _parse_one(obj: Any, prefix: str) -> Scenario:
    if isinstance(obj, Scenario):
        return obj
    if not isinstance(obj, Mapping):
        raise InputError(prefix.rstrip(".") or "input", "a scenario must be a JSON object")
    try:
        return Scenario.model_validate(obj)
    except ValidationError as error:
        raise _input_error(error, prefix) from None


def parse_scenarios(obj: Any) -> list[Scenario]:
    """Validate one scenario (mapping) or a list of them.

    Parameters
    ----------
    obj : mapping, Scenario or sequence of them
        Parsed JSON.

    Returns
    -------
    list of Scenario
        In input order; a single scenario gives a list of one.

    Raises
    ------
    InputError
        On the first refused field, named by its dotted path (prefixed by the list index,
        e.g. ``1.modality.kind``, when ``obj`` is a list).
    """
    if isinstance(obj, Mapping | Scenario):
        return [_parse_one(obj, "")]
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        if not obj:
            raise InputError("input", "empty list of scenarios")
        return [_parse_one(item, f"{i}.") for i, item in enumerate(obj)]
    raise InputError("input", "expected a scenario object or a list of them")
