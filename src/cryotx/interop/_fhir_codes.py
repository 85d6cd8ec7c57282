"""Code systems, codes and small builders shared by the FHIR export and import.

Codes come from the clinical research notes, section 4.2 (``shared/data/clinical/
clinical-evidence.md``): LOINC for vital signs and pain, SNOMED CT 26782000 for the
procedure. Where no verified code exists, a local CodeSystem under :data:`LOCAL_SYSTEM`
is used, and the local code is always sent beside any standard one so that nothing is lost.
docs/fhir.md lists every code with its source and caveats.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from cryotx.clinical.vocabulary import Code as VocabularyCode
from cryotx.clinical.vocabulary import lookup
from cryotx.errors import InputError

__all__ = [
    "AE_SEVERITY",
    "BODY_FAT",
    "BODY_HEIGHT",
    "BODY_TEMP",
    "BODY_WEIGHT",
    "BP_PANEL",
    "CONDITION_CATEGORY",
    "CONDITION_CLINICAL",
    "CRYOTHERAPY",
    "DIASTOLIC",
    "FHIR_VERSION",
    "HEART_RATE",
    "ICD10",
    "ID_NAMESPACE",
    "ID_PATTERN",
    "LOCAL_EXTENSION",
    "LOCAL_QUESTIONNAIRE",
    "LOCAL_SYSTEM",
    "LOINC",
    "OBSERVATION_CATEGORY",
    "ODI",
    "ODI_INSTRUMENTS",
    "PAIN_NRS",
    "PAIN_NRS_INSTRUMENTS",
    "RESP_RATE",
    "SNOMED",
    "SPO2",
    "SPO2_PULSE_OX",
    "SUFFIX_UNITS",
    "SYSTOLIC",
    "UCUM",
    "category_of",
    "coding_of",
    "condition_codings",
    "fhir_id",
    "input_error",
    "instant",
    "label_of",
    "local_coding",
    "quantity_of",
    "unit_of",
    "vocabulary_entry",
]

FHIR_VERSION = "4.0.1"
"""The FHIR release the exported resources conform to (validated with the R4B models)."""

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
LOCAL_SYSTEM = "https://cryotx.org/fhir/CodeSystem"
"""Base of CryoTx's local code systems, e.g. ``https://cryotx.org/fhir/CodeSystem/condition``."""
LOCAL_QUESTIONNAIRE = "https://cryotx.org/fhir/Questionnaire"
LOCAL_EXTENSION = "https://cryotx.org/fhir/StructureDefinition"

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
ID_NAMESPACE = uuid.UUID("5b3f0c4e-2a55-4c1b-9a57-0c6a1d2f7e11")  # fixed: stable urn:uuid ids

# (loinc code, display, UCUM unit) of the vital signs CryoTx records.
# [ClinicalNotes] section 4.2, from https://hl7.org/fhir/R4/valueset-observation-vitalsignresult.html
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional", "mm[Hg]")
SYSTOLIC = ("8480-6", "Systolic blood pressure", "mm[Hg]")
DIASTOLIC = ("8462-4", "Diastolic blood pressure", "mm[Hg]")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/2021May/heartrate.html
HEART_RATE = ("8867-4", "Heart rate", "/min")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/2021Mar/bodytemp.html
BODY_TEMP = ("8310-5", "Body temperature", "Cel")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/stu3/resprate.html
RESP_RATE = ("9279-1", "Respiratory rate", "/min")
# [ClinicalNotes] 4.2: base profile code 2708-6 plus 59408-5 (by pulse oximetry)
SPO2 = ("2708-6", "Oxygen saturation in Arterial blood", "%")
SPO2_PULSE_OX = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%")
# R4 vital-signs value set (same page as above); body height profile:
# https://hl7.org/fhir/2021Mar/bodyheight.html
BODY_HEIGHT = ("8302-2", "Body height", "cm")
BODY_WEIGHT = ("29463-7", "Body weight", "kg")
# Measured whole-body fat: the Open mHealth to FHIR IG maps its body-fat-percentage schema to
# this code (https://github.com/openmhealth/OMH-on-FHIR); not in the R4 vital-signs value set.
BODY_FAT = ("41982-0", "Percentage of body fat Measured", "%")
# [ClinicalNotes] 4.2: pain severity 0-10 verbal numeric rating; for 0-10 NRS only.
PAIN_NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}")
# [ClinicalNotes] 4.2: ODI score, from a draft IG only: provisional, local code sent beside it.
ODI = ("97909-6", "Oswestry disability index score ODI", "{score}")
# [ClinicalNotes] 4.2: SNOMED CT "Cryotherapy"; semantic scope unverified (may be the
# generic or destructive concept), so the modality is always coded locally as well.
CRYOTHERAPY = ("26782000", "Cryotherapy")

PAIN_NRS_INSTRUMENTS = frozenset({"nrs_pain", "pain_nrs", "nrs"})
ODI_INSTRUMENTS = frozenset({"odi", "oswestry"})

# UCUM unit of a unit-suffixed CryoTx setting name, longest suffix first.
SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
    ("_m_per_s", "m/s"),
    ("_per_min", "/min"),
    ("_mmhg", "mm[Hg]"),
    ("_pct", "%"),
    ("_kpa", "kPa"),
    ("_bpm", "/min"),
    ("_frac", "1"),
    ("_min", "min"),
    ("_kg", "kg"),
    ("_mm", "mm"),
    ("_cm", "cm"),
    ("_c", "Cel"),
    ("_s", "s"),
    ("_m", "m"),
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def fhir_id(raw: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) for ``raw``; a stable hash where ``raw`` is unfit.

    CryoTx codes use ``_``, never ``-``, so ``_`` becomes ``-`` without a hash; any other
    change (or a length over 64) appends a hash of ``raw`` so distinct inputs stay distinct.
    """
    readable = raw.replace("_", "-")
    cleaned = re.sub(r"[^A-Za-z0-9\-.]", "-", readable)
    if ID_PATTERN.match(cleaned) and cleaned == readable:
        return cleaned
    digest = uuid.uuid5(ID_NAMESPACE, raw).hex[:12]
    return f"{cleaned[:48].strip('-') or 'x'}-{digest}"


def instant(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def coding_of(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def local_coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return coding_of(f"{LOCAL_SYSTEM}/{system}", code, display or label_of(code))


def label_of(code: str) -> str:
    """Human label of a CryoTx code: the vocabulary's label where it has one."""
    entry = vocabulary_entry(code)
    return entry.label if entry is not None else code.replace("_", " ")


def quantity_of(value: float, unit: str | None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity.update(unit=unit, system=UCUM, code=unit)
    return quantity


def category_of(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [coding_of(OBSERVATION_CATEGORY, code, display)]}]


def unit_of(setting: str) -> str | None:
    for suffix, unit in SUFFIX_UNITS:
        if setting.endswith(suffix):
            return unit
    return None


def condition_codings(code: str) -> list[dict[str, Any]]:
    """Codings of a condition: SNOMED CT / ICD-10 where the vocabulary has one, then local.

    The clinical vocabulary carries a standard code only where clinical-evidence.md
    section 4 gives a verified one (``coding_note`` says why otherwise).
    """
    codings: list[dict[str, Any]] = []
    entry = vocabulary_entry(code)
    if entry is not None:
        if entry.snomed_ct:
            codings.append(coding_of(SNOMED, entry.snomed_ct))
        if entry.icd10:
            codings.append(coding_of(ICD10, entry.icd10))
    codings.append(local_coding("condition", code))
    return codings


def vocabulary_entry(code: str) -> VocabularyCode | None:
    """The vocabulary entry of ``code``; ``None`` for codes outside the vocabulary."""
    try:
        return lookup(code)
    except InputError:
        return None


def input_error(error: ValidationError, *, prefix: str | None = None) -> InputError:
    first = error.errors()[0]
    parts = [str(p) for p in first.get("loc", ()) if p not in ("__root__",)]
    field = ".".join(([prefix] if prefix else []) + parts) or (prefix or "resource")
    return InputError(field, first.get("msg", "invalid"))
