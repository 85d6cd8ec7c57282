"""HL7 FHIR R4 export of a patient's record, and import of a FHIR Patient.

:func:`export_bundle` turns a :class:`~cryotx.interop.records.PatientRecord` into the
Bundle that ``GET /fhir/Patient/{id}/$everything`` and ``cryotx export fhir`` return:
Patient, Condition, MedicationStatement, Observation (vital signs, anthropometry, pain,
instrument scores, session parameters), Device, Procedure, AdverseEvent and
QuestionnaireResponse. :func:`import_patient` reads a FHIR Patient into the demographic
fields CryoTx keeps.

Every resource is validated with the ``fhir.resources`` package before it leaves. That
package (8.x) ships R5 at its top level and R4B (4.3.0) and STU3 as sub-packages; it has no
R4 (4.0.1) models. The resources used here (Patient, Condition, Observation, Procedure,
AdverseEvent, QuestionnaireResponse, MedicationStatement, Device, Bundle) did not change
between R4 and R4B (R4B changed the medicinal-product, evidence and subscription
resources), so we validate against the R4B models; docs/fhir.md says what this does and
does not check.

Codes come from the clinical research notes, section 4.2 (``shared/data/clinical/
clinical-evidence.md``): LOINC for vital signs and pain, SNOMED CT 26782000 for the
procedure. Where no verified code exists, a local CodeSystem under :data:`LOCAL_SYSTEM`
is used, and the local code is always sent beside any standard one so that nothing is lost.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cryotx.clinical.vocabulary import Code as VocabularyCode
from cryotx.clinical.vocabulary import lookup
from cryotx.errors import InputError
from cryotx.interop.records import (
    AdverseEventRecord,
    Identifier,
    InstrumentResponse,
    PatientRecord,
    SessionRecord,
    Sex,
    VitalSigns,
)

__all__ = [
    "FHIR_VERSION",
    "LOCAL_SYSTEM",
    "LOINC",
    "SNOMED",
    "PatientImport",
    "export_bundle",
    "import_patient",
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

_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
_ID_NAMESPACE = uuid.UUID("5b3f0c4e-2a55-4c1b-9a57-0c6a1d2f7e11")  # fixed: stable urn:uuid ids

# (loinc code, display, UCUM unit) of the vital signs CryoTx records.
# [ClinicalNotes] section 4.2, from https://hl7.org/fhir/R4/valueset-observation-vitalsignresult.html
_BP_PANEL = ("85354-9", "Blood pressure panel with all children optional", "mm[Hg]")
_SYSTOLIC = ("8480-6", "Systolic blood pressure", "mm[Hg]")
_DIASTOLIC = ("8462-4", "Diastolic blood pressure", "mm[Hg]")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/2021May/heartrate.html
_HEART_RATE = ("8867-4", "Heart rate", "/min")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/2021Mar/bodytemp.html
_BODY_TEMP = ("8310-5", "Body temperature", "Cel")
# [ClinicalNotes] 4.2: https://hl7.org/fhir/stu3/resprate.html
_RESP_RATE = ("9279-1", "Respiratory rate", "/min")
# [ClinicalNotes] 4.2: base profile code 2708-6 plus 59408-5 (by pulse oximetry)
_SPO2 = ("2708-6", "Oxygen saturation in Arterial blood", "%")
_SPO2_PULSE_OX = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%")
# R4 vital-signs value set (same page as above); body height profile:
# https://hl7.org/fhir/2021Mar/bodyheight.html
_BODY_HEIGHT = ("8302-2", "Body height", "cm")
_BODY_WEIGHT = ("29463-7", "Body weight", "kg")
# [ClinicalNotes] 4.2: pain severity 0-10 verbal numeric rating; for 0-10 NRS only.
_PAIN_NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}")
# [ClinicalNotes] 4.2: ODI score, from a draft IG only: provisional, local code sent beside it.
_ODI = ("97909-6", "Oswestry disability index score ODI", "{score}")
# [ClinicalNotes] 4.2: SNOMED CT "Cryotherapy"; semantic scope unverified (may be the
# generic or destructive concept), so the modality is always coded locally as well.
_CRYOTHERAPY = ("26782000", "Cryotherapy")

_PAIN_NRS_INSTRUMENTS = frozenset({"nrs_pain", "pain_nrs", "nrs"})
_ODI_INSTRUMENTS = frozenset({"odi", "oswestry"})

# UCUM unit of a unit-suffixed CryoTx setting name, longest suffix first.
_SUFFIX_UNITS: tuple[tuple[str, str], ...] = (
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

_ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class PatientImport(BaseModel):
    """The demographic fields CryoTx keeps from an imported FHIR Patient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    family_name: str | None = None
    given_names: list[str] = Field(default_factory=list)
    sex: Sex
    birth_date: date | None = None


# --------------------------------------------------------------------------- helpers


def _fhir_id(raw: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) for ``raw``; a stable hash where ``raw`` is unfit.

    CryoTx codes use ``_``, never ``-``, so ``_`` becomes ``-`` without a hash; any other
    change (or a length over 64) appends a hash of ``raw`` so distinct inputs stay distinct.
    """
    readable = raw.replace("_", "-")
    cleaned = re.sub(r"[^A-Za-z0-9\-.]", "-", readable)
    if _ID_PATTERN.match(cleaned) and cleaned == readable:
        return cleaned
    digest = uuid.uuid5(_ID_NAMESPACE, raw).hex[:12]
    return f"{cleaned[:48].strip('-') or 'x'}-{digest}"


def _instant(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _local(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return _coding(f"{LOCAL_SYSTEM}/{system}", code, display or _label(code))


def _label(code: str) -> str:
    """Human label of a CryoTx code: the vocabulary's label where it has one."""
    entry = _vocabulary_entry(code)
    return entry.label if entry is not None else code.replace("_", " ")


def _quantity(value: float, unit: str | None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity.update(unit=unit, system=UCUM, code=unit)
    return quantity


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [_coding(_OBSERVATION_CATEGORY, code, display)]}]


def _unit_of(setting: str) -> str | None:
    for suffix, unit in _SUFFIX_UNITS:
        if setting.endswith(suffix):
            return unit
    return None


def _condition_codings(code: str) -> list[dict[str, Any]]:
    """Codings of a condition: SNOMED CT / ICD-10 where the vocabulary has one, then local.

    The clinical vocabulary carries a standard code only where clinical-evidence.md
    section 4 gives a verified one (``coding_note`` says why otherwise).
    """
    codings: list[dict[str, Any]] = []
    entry = _vocabulary_entry(code)
    if entry is not None:
        if entry.snomed_ct:
            codings.append(_coding(SNOMED, entry.snomed_ct))
        if entry.icd10:
            codings.append(_coding(ICD10, entry.icd10))
    codings.append(_local("condition", code))
    return codings


def _vocabulary_entry(code: str) -> VocabularyCode | None:
    """The vocabulary entry of ``code``; ``None`` for codes outside the vocabulary."""
    try:
        return lookup(code)
    except InputError:
        return None


class _Builder:
    """Collects validated resources and resolves references between them."""

    def __init__(self, patient_id: str, base_url: str | None) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.patient_ref = self.ref("Patient", patient_id)
        self.entries: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def ref(self, resource_type: str, resource_id: str) -> dict[str, str]:
        return {"reference": self._url(resource_type, resource_id, relative=True)}

    def _url(self, resource_type: str, resource_id: str, *, relative: bool) -> str:
        if self.base_url is None:
            return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{resource_type}/{resource_id}')}"
        if relative:
            return f"{resource_type}/{resource_id}"
        return f"{self.base_url}/{resource_type}/{resource_id}"

    def add(self, model: type[Resource], body: dict[str, Any]) -> None:
        resource_type = body["resourceType"]
        key = f"{resource_type}/{body['id']}"
        if key in self._seen:
            return
        self._seen.add(key)
        validated = model.model_validate(body)
        self.entries.append(
            {
                "fullUrl": self._url(resource_type, body["id"], relative=False),
                "resource": json.loads(validated.model_dump_json()),
                "search": {"mode": "match"},
            }
        )


# --------------------------------------------------------------------------- export


def export_bundle(
    record: PatientRecord,
    *,
    base_url: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """FHIR R4 ``searchset`` Bundle of everything CryoTx holds about one patient.

    Parameters
    ----------
    record : PatientRecord
        Snapshot of the patient's record.
    base_url : str, optional
        Base URL of the FHIR endpoint (e.g. ``https://clinic.example/fhir``). With it,
        entries get ``fullUrl = base/Type/id`` and references are relative (``Type/id``);
        without it, every entry gets a stable ``urn:uuid:`` fullUrl and references use it.
    timestamp : datetime, optional
        Bundle timestamp; defaults to ``record.recorded_at`` (omitted when both are None).

    Returns
    -------
    dict
        The Bundle as JSON-ready dict, validated with ``fhir.resources``.

    Raises
    ------
    InputError
        If the record is not a valid :class:`PatientRecord`.
    """
    if not isinstance(record, PatientRecord):
        try:
            record = PatientRecord.model_validate(record)
        except ValidationError as error:
            raise _input_error(error, prefix="record") from None
    patient_id = _fhir_id(record.patient_id)
    builder = _Builder(patient_id, base_url)
    builder.add(Patient, _patient(record, patient_id))
    for index, entry in enumerate(record.conditions):
        builder.add(Condition, _condition(builder, entry.code, index, entry))
    for index, history in enumerate(record.events):
        builder.add(Condition, _history_event(builder, index, history.kind, history.date))
    for index, medication in enumerate(record.medications):
        builder.add(MedicationStatement, _medication(builder, index, medication))
    for resource in _anthropometry(builder, record):
        builder.add(Observation, resource)
    for index, vitals in enumerate(record.vitals):
        for resource in _vital_observations(builder, vitals, index):
            builder.add(Observation, resource)
    for index, session in enumerate(record.sessions):
        for model, resource in _session_resources(builder, session, index):
            builder.add(model, resource)
    for index, response in enumerate(record.instruments):
        for model, resource in _instrument_resources(builder, response, index):
            builder.add(model, resource)
    for index, adverse in enumerate(record.adverse_events):
        builder.add(AdverseEvent, _adverse_event(builder, adverse, index))

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": _fhir_id(f"everything-{record.patient_id}"),
        "meta": {"tag": [_local("export", "everything", "CryoTx $everything export")]},
        "type": "searchset",
        "total": len(builder.entries),
        "entry": builder.entries,
    }
    stamp = timestamp or record.recorded_at
    if stamp is not None:
        bundle["timestamp"] = _instant(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    return json.loads(Bundle.model_validate(bundle).model_dump_json())


def _patient(record: PatientRecord, patient_id: str) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "gender": record.sex,
        "identifier": [
            {"value": record.patient_id, "system": f"{LOCAL_SYSTEM}/patient-id"},
            *(
                {"system": i.system, "value": i.value} if i.system else {"value": i.value}
                for i in record.identifiers
            ),
        ],
    }
    if record.family_name or record.given_names:
        name: dict[str, Any] = {"use": "official"}
        if record.family_name:
            name["family"] = record.family_name
        if record.given_names:
            name["given"] = list(record.given_names)
        patient["name"] = [name]
    if record.birth_date is not None:
        patient["birthDate"] = record.birth_date.isoformat()
    elif record.age_y is not None:
        # Patient has no age element: a local extension carries the age CryoTx was given.
        patient["extension"] = [
            {
                "url": f"{LOCAL_EXTENSION}/age",
                "valueAge": {"value": record.age_y, "unit": "a", "system": UCUM, "code": "a"},
            }
        ]
    return patient


def _condition(builder: _Builder, code: str, index: int, entry: Any) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": _fhir_id(f"cond-{index}-{code}"),
        "clinicalStatus": {"coding": [_coding(_CONDITION_CLINICAL, "active", "Active")]},
        "category": [
            {"coding": [_coding(_CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]}
        ],
        "code": {"coding": _condition_codings(code), "text": _label(code)},
        "subject": builder.patient_ref,
    }
    if entry.onset_date is not None:
        condition["onsetDateTime"] = entry.onset_date.isoformat()
    if entry.recorded_at is not None:
        condition["recordedDate"] = _instant(entry.recorded_at)
    if entry.note:
        condition["note"] = [{"text": entry.note}]
    return condition


def _history_event(builder: _Builder, index: int, kind: str, when: date) -> dict[str, Any]:
    """A dated event of the history (myocardial infarction, stent, stroke) as a Condition."""
    return {
        "resourceType": "Condition",
        "id": _fhir_id(f"event-{index}-{kind}"),
        "code": {"coding": [_local("event", kind)], "text": _label(kind)},
        "subject": builder.patient_ref,
        "onsetDateTime": when.isoformat(),
    }


def _medication(builder: _Builder, index: int, code: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": _fhir_id(f"med-{index}-{code}"),
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [_local("medication", code)],
            "text": _label(code),
        },
        "subject": builder.patient_ref,
    }


def _observation(
    builder: _Builder,
    resource_id: str,
    *,
    coding: list[dict[str, Any]],
    category: list[dict[str, Any]],
    when: datetime | date | None,
    value: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _fhir_id(resource_id),
        "status": "final",
        "category": category,
        "code": {"coding": coding, "text": coding[0].get("display", coding[0]["code"])},
        "subject": builder.patient_ref,
    }
    if when is not None:
        observation["effectiveDateTime"] = _instant(when)
    if value is not None:
        observation["valueQuantity"] = value
    if extra:
        observation.update(extra)
    return observation


def _anthropometry(builder: _Builder, record: PatientRecord) -> Iterable[dict[str, Any]]:
    vital = _category("vital-signs", "Vital Signs")
    when = record.recorded_at
    if record.height_m is not None:
        code, display, unit = _BODY_HEIGHT
        yield _observation(
            builder,
            f"height-{record.patient_id}",
            coding=[_coding(LOINC, code, display)],
            category=vital,
            when=when,
            value=_quantity(round(record.height_m * 100.0, 6), unit),
        )
    if record.mass_kg is not None:
        code, display, unit = _BODY_WEIGHT
        yield _observation(
            builder,
            f"weight-{record.patient_id}",
            coding=[_coding(LOINC, code, display)],
            category=vital,
            when=when,
            value=_quantity(record.mass_kg, unit),
        )
    for site, fat_mm in sorted(record.fat_mm.items()):
        # No verified LOINC/SNOMED code for subcutaneous fat thickness at a site: local code.
        yield _observation(
            builder,
            f"fat-{site}-{record.patient_id}",
            coding=[_local("observation", "fat_thickness", "Subcutaneous fat thickness")],
            category=_category("exam", "Exam"),
            when=when,
            value=_quantity(fat_mm, "mm"),
            extra={"bodySite": {"coding": [_local("body-site", site)], "text": _label(site)}},
        )


def _vital_observations(
    builder: _Builder, vitals: VitalSigns, index: int
) -> Iterable[dict[str, Any]]:
    key = vitals.id or str(index)
    vital = _category("vital-signs", "Vital Signs")
    when = vitals.recorded_at
    if vitals.systolic_mmhg is not None and vitals.diastolic_mmhg is not None:
        code, display, unit = _BP_PANEL
        components = []
        for (c_code, c_display, c_unit), value in (
            (_SYSTOLIC, vitals.systolic_mmhg),
            (_DIASTOLIC, vitals.diastolic_mmhg),
        ):
            components.append(
                {
                    "code": {"coding": [_coding(LOINC, c_code, c_display)]},
                    "valueQuantity": _quantity(value, c_unit),
                }
            )
        yield _observation(
            builder,
            f"vitals-{key}-bp",
            coding=[_coding(LOINC, code, display)],
            category=vital,
            when=when,
            extra={"component": components},
        )
    singles = (
        ("hr", _HEART_RATE, vitals.heart_rate_bpm, ()),
        ("temp", _BODY_TEMP, vitals.body_temp_c, ()),
        ("rr", _RESP_RATE, vitals.respiratory_rate_per_min, ()),
        ("spo2", _SPO2, vitals.spo2_pct, (_SPO2_PULSE_OX,)),
    )
    for suffix, (code, display, unit), reading, more in singles:
        if reading is None:
            continue
        coding = [_coding(LOINC, code, display)]
        coding += [_coding(LOINC, m_code, m_display) for m_code, m_display, _ in more]
        yield _observation(
            builder,
            f"vitals-{key}-{suffix}",
            coding=coding,
            category=vital,
            when=when,
            value=_quantity(reading, unit),
        )


def _session_key(session: SessionRecord, index: int) -> str:
    return _fhir_id(f"session-{session.id if session.id is not None else index}")


def _session_resources(
    builder: _Builder, session: SessionRecord, index: int
) -> Iterable[tuple[type[Resource], dict[str, Any]]]:
    procedure_id = _session_key(session, index)
    device_ref: dict[str, str] | None = None
    if session.device:
        device_id = _fhir_id(f"device-{session.device}")
        device_ref = builder.ref("Device", device_id)
        yield (
            Device,
            {
                "resourceType": "Device",
                "id": device_id,
                "deviceName": [{"name": session.device, "type": "user-friendly-name"}],
            },
        )
    if session.ended_at is None:
        status = "in-progress"
    elif session.end_reason in (None, "completed"):
        status = "completed"
    else:
        status = "stopped"
    period: dict[str, str] = {"start": _instant(session.started_at)}
    if session.ended_at is not None:
        period["end"] = _instant(session.ended_at)
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": procedure_id,
        "status": status,
        "code": {
            "coding": [
                _coding(SNOMED, *_CRYOTHERAPY),
                _local("modality", session.modality),
            ],
            "text": f"Cryotherapy ({_label(session.modality)})",
        },
        "subject": builder.patient_ref,
        "performedPeriod": period,
        "bodySite": [{"coding": [_local("body-site", session.site)], "text": _label(session.site)}],
    }
    if session.end_reason is not None:
        ending = {"coding": [_local("session-end", session.end_reason)]}
        procedure["outcome"] = ending
        if status == "stopped":
            procedure["statusReason"] = ending
    if device_ref is not None:
        procedure["focalDevice"] = [{"manipulated": device_ref}]
    yield Procedure, procedure

    parameters: list[tuple[str, str, float, str | None]] = []
    if session.agent_temp_c is not None:
        parameters.append(("agent_temp_c", "Agent temperature", session.agent_temp_c, "Cel"))
    if session.duration_s is not None:
        parameters.append(("duration_s", "Exposure duration", session.duration_s, "s"))
    for name, value in sorted(session.settings.items()):
        parameters.append((name, name.replace("_", " "), value, _unit_of(name)))
    for name, display, value, unit in parameters:
        extra: dict[str, Any] = {"partOf": [builder.ref("Procedure", procedure_id)]}
        if device_ref is not None:
            extra["device"] = device_ref
        # No verified LOINC / IEEE 11073 code for chamber temperature or O2 ([ClinicalNotes] 4.2).
        yield (
            Observation,
            _observation(
                builder,
                f"{procedure_id}-{name}",
                coding=[_local("session-parameter", name, display)],
                category=_category("procedure", "Procedure"),
                when=session.started_at,
                value=_quantity(value, unit),
                extra=extra,
            ),
        )


def _instrument_resources(
    builder: _Builder, response: InstrumentResponse, index: int
) -> Iterable[tuple[type[Resource], dict[str, Any]]]:
    key = _fhir_id(f"{response.instrument}-{response.id if response.id is not None else index}")
    local = _local("instrument", response.instrument)
    if response.instrument in _PAIN_NRS_INSTRUMENTS:
        code, display, default_unit = _PAIN_NRS
        coding = [_coding(LOINC, code, display), local]
        category = _category("survey", "Survey")
    elif response.instrument in _ODI_INSTRUMENTS:
        code, display, default_unit = _ODI
        coding = [_coding(LOINC, code, display), local]
        category = _category("survey", "Survey")
    else:
        default_unit = None
        coding = [local]
        category = _category("survey", "Survey")
    extra: dict[str, Any] = {}
    if response.session_id is not None:
        session_key = _fhir_id(f"session-{response.session_id}")
        extra["partOf"] = [builder.ref("Procedure", session_key)]
    if response.items:
        response_id = f"qr-{key}"
        extra["derivedFrom"] = [builder.ref("QuestionnaireResponse", response_id)]
        yield QuestionnaireResponse, _questionnaire_response(builder, response, response_id)
    yield (
        Observation,
        _observation(
            builder,
            f"score-{key}",
            coding=coding,
            category=category,
            when=response.recorded_at,
            value=_quantity(response.score, response.unit or default_unit),
            extra=extra,
        ),
    )


def _questionnaire_response(
    builder: _Builder, response: InstrumentResponse, response_id: str
) -> dict[str, Any]:
    items = []
    value: dict[str, Any]
    for link_id, answer in response.items.items():
        if isinstance(answer, bool | str):
            value = {"valueString": str(answer)}
        elif isinstance(answer, int):
            value = {"valueInteger": answer}
        else:
            value = {"valueDecimal": answer}
        items.append({"linkId": link_id, "answer": [value]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{LOCAL_QUESTIONNAIRE}/{response.instrument}",
        "status": "completed",
        "subject": builder.patient_ref,
        "authored": _instant(response.recorded_at),
        "item": items,
    }


def _adverse_event(builder: _Builder, event: AdverseEventRecord, index: int) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": _fhir_id(f"ae-{event.id if event.id is not None else index}"),
        "actuality": "actual",
        "event": {
            "coding": [_local("adverse-event", event.kind)],
            "text": event.description or _label(event.kind),
        },
        "subject": builder.patient_ref,
        "date": _instant(event.occurred_at),
        "severity": {"coding": [_coding(_AE_SEVERITY, event.severity, event.severity.title())]},
    }
    if event.session_id is not None:
        session_key = _fhir_id(f"session-{event.session_id}")
        # R4 AdverseEvent.suspectEntity.instance allows Procedure (checked in the R4B model).
        resource["suspectEntity"] = [{"instance": builder.ref("Procedure", session_key)}]
    return resource


# --------------------------------------------------------------------------- import

_GENDERS: frozenset[str] = frozenset({"female", "male", "other", "unknown"})


def import_patient(resource: Any) -> PatientImport:
    """Read a FHIR R4 Patient resource into the demographic fields CryoTx keeps.

    Parameters
    ----------
    resource : dict
        A Patient resource as parsed JSON.

    Returns
    -------
    PatientImport
        Identifiers, name, sex and birth date.

    Raises
    ------
    InputError
        If ``resource`` is not a valid Patient; ``field`` names the offending element
        (e.g. ``gender``, ``birthDate``, ``name.0.given``).
    """
    if not isinstance(resource, dict):
        raise InputError("resource", "a FHIR Patient must be a JSON object")
    if resource.get("resourceType") != "Patient":
        raise InputError(
            "resourceType", f"expected 'Patient', got {resource.get('resourceType')!r}"
        )
    try:
        patient = Patient.model_validate(resource)
    except ValidationError as error:
        raise _input_error(error) from None
    gender = patient.gender
    if gender is None:
        raise InputError("gender", "required: CryoTx needs the patient's administrative sex")
    if gender not in _GENDERS:
        raise InputError("gender", f"must be one of {sorted(_GENDERS)}, got {gender!r}")
    birth_date = patient.birthDate
    if birth_date is not None and not isinstance(birth_date, date):
        # FHIR allows partial dates (YYYY or YYYY-MM); CryoTx keeps full dates only.
        raise InputError("birthDate", f"a full date (YYYY-MM-DD) is needed, got {birth_date!r}")
    if birth_date is not None and birth_date > datetime.now(UTC).date():
        raise InputError("birthDate", "is in the future")
    official = next(
        (n for n in patient.name or [] if n.use in (None, "official", "usual")),
        None,
    )
    identifiers = [
        Identifier(system=i.system, value=i.value)
        for i in patient.identifier or []
        if i.value and i.system != f"{LOCAL_SYSTEM}/patient-id"
    ]
    return PatientImport(
        source_id=patient.id,
        identifiers=identifiers,
        family_name=official.family if official else None,
        given_names=list(official.given or []) if official else [],
        sex=gender,
        birth_date=birth_date,
    )


def _input_error(error: ValidationError, *, prefix: str | None = None) -> InputError:
    first = error.errors()[0]
    parts = [str(p) for p in first.get("loc", ()) if p not in ("__root__",)]
    field = ".".join(([prefix] if prefix else []) + parts) or (prefix or "resource")
    return InputError(field, first.get("msg", "invalid"))
