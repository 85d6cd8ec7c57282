"""HL7 FHIR R4 export of a patient's record: :func:`export_bundle`.

It turns a :class:`~cryotx.interop.records.PatientRecord` into the Bundle that
``GET /fhir/Patient/{id}/$everything`` and ``cryotx export fhir`` return: Patient,
Condition, MedicationStatement, Observation (vital signs, anthropometry, pain, instrument
scores, session parameters), Device, Procedure, AdverseEvent and QuestionnaireResponse.

Every resource is validated with the ``fhir.resources`` package before it leaves. That
package (8.x) ships R5 at its top level and R4B (4.3.0) and STU3 as sub-packages; it has no
R4 (4.0.1) models. The resources used here (Patient, Condition, Observation, Procedure,
AdverseEvent, QuestionnaireResponse, MedicationStatement, Device, Bundle) did not change
between R4 and R4B (R4B changed the medicinal-product, evidence and subscription
resources), so we validate against the R4B models; docs/fhir.md says what this does and
does not check. The codes are in :mod:`cryotx.interop._fhir_codes`.
"""

from __future__ import annotations

import json
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
from pydantic import ValidationError

from cryotx.interop._fhir_codes import (
    AE_SEVERITY,
    BODY_FAT,
    BODY_HEIGHT,
    BODY_TEMP,
    BODY_WEIGHT,
    BP_PANEL,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CRYOTHERAPY,
    DIASTOLIC,
    HEART_RATE,
    ID_NAMESPACE,
    LOCAL_EXTENSION,
    LOCAL_QUESTIONNAIRE,
    LOCAL_SYSTEM,
    LOINC,
    ODI,
    ODI_INSTRUMENTS,
    PAIN_NRS,
    PAIN_NRS_INSTRUMENTS,
    RESP_RATE,
    SNOMED,
    SPO2,
    SPO2_PULSE_OX,
    SYSTOLIC,
    UCUM,
    category_of,
    coding_of,
    condition_codings,
    fhir_id,
    input_error,
    instant,
    label_of,
    local_coding,
    quantity_of,
    unit_of,
)
from cryotx.interop.records import (
    AdverseEventRecord,
    InstrumentResponse,
    PatientRecord,
    SessionRecord,
    VitalSigns,
)

__all__ = ["export_bundle"]


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
            return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{resource_type}/{resource_id}')}"
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
            raise input_error(error, prefix="record") from None
    patient_id = fhir_id(record.patient_id)
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
        "id": fhir_id(f"everything-{record.patient_id}"),
        "meta": {"tag": [local_coding("export", "everything", "CryoTx $everything export")]},
        "type": "searchset",
        "total": len(builder.entries),
        "entry": builder.entries,
    }
    stamp = timestamp or record.recorded_at
    if stamp is not None:
        bundle["timestamp"] = instant(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
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
        "id": fhir_id(f"cond-{index}-{code}"),
        "clinicalStatus": {"coding": [coding_of(CONDITION_CLINICAL, "active", "Active")]},
        "category": [
            {"coding": [coding_of(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]}
        ],
        "code": {"coding": condition_codings(code), "text": label_of(code)},
        "subject": builder.patient_ref,
    }
    if entry.onset_date is not None:
        condition["onsetDateTime"] = entry.onset_date.isoformat()
    if entry.recorded_at is not None:
        condition["recordedDate"] = instant(entry.recorded_at)
    if entry.note:
        condition["note"] = [{"text": entry.note}]
    return condition


def _history_event(builder: _Builder, index: int, kind: str, when: date) -> dict[str, Any]:
    """A dated event of the history (myocardial infarction, stent, stroke) as a Condition."""
    return {
        "resourceType": "Condition",
        "id": fhir_id(f"event-{index}-{kind}"),
        "code": {"coding": [local_coding("event", kind)], "text": label_of(kind)},
        "subject": builder.patient_ref,
        "onsetDateTime": when.isoformat(),
    }


def _medication(builder: _Builder, index: int, code: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": fhir_id(f"med-{index}-{code}"),
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [local_coding("medication", code)],
            "text": label_of(code),
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
        "id": fhir_id(resource_id),
        "status": "final",
        "category": category,
        "code": {"coding": coding, "text": coding[0].get("display", coding[0]["code"])},
        "subject": builder.patient_ref,
    }
    if when is not None:
        observation["effectiveDateTime"] = instant(when)
    if value is not None:
        observation["valueQuantity"] = value
    if extra:
        observation.update(extra)
    return observation


def _anthropometry(builder: _Builder, record: PatientRecord) -> Iterable[dict[str, Any]]:
    vital = category_of("vital-signs", "Vital Signs")
    when = record.recorded_at
    height_cm = None if record.height_m is None else round(record.height_m * 100.0, 6)
    for name, (code, display, unit), reading in (
        ("height", BODY_HEIGHT, height_cm),
        ("weight", BODY_WEIGHT, record.mass_kg),
    ):
        if reading is not None:
            yield _observation(
                builder,
                f"{name}-{record.patient_id}",
                coding=[coding_of(LOINC, code, display)],
                category=vital,
                when=when,
                value=quantity_of(reading, unit),
            )
    if record.body_fat_percent is not None:
        # Built as height and weight are, but category `exam`: 41982-0 is not a code of the
        # R4 vital-signs profiles, which a `vital-signs` category would invoke.
        code, display, unit = BODY_FAT
        yield _observation(
            builder,
            f"body-fat-{record.patient_id}",
            coding=[coding_of(LOINC, code, display)],
            category=category_of("exam", "Exam"),
            when=when,
            value=quantity_of(record.body_fat_percent, unit),
        )
    for site, fat_mm in sorted(record.fat_mm.items()):
        # No verified LOINC/SNOMED code for subcutaneous fat thickness at a site: local code.
        yield _observation(
            builder,
            f"fat-{site}-{record.patient_id}",
            coding=[local_coding("observation", "fat_thickness", "Subcutaneous fat thickness")],
            category=category_of("exam", "Exam"),
            when=when,
            value=quantity_of(fat_mm, "mm"),
            extra={
                "bodySite": {"coding": [local_coding("body-site", site)], "text": label_of(site)}
            },
        )


def _vital_observations(
    builder: _Builder, vitals: VitalSigns, index: int
) -> Iterable[dict[str, Any]]:
    key = vitals.id or str(index)
    vital = category_of("vital-signs", "Vital Signs")
    when = vitals.recorded_at
    if vitals.systolic_mmhg is not None and vitals.diastolic_mmhg is not None:
        code, display, unit = BP_PANEL
        components = []
        for (c_code, c_display, c_unit), value in (
            (SYSTOLIC, vitals.systolic_mmhg),
            (DIASTOLIC, vitals.diastolic_mmhg),
        ):
            components.append(
                {
                    "code": {"coding": [coding_of(LOINC, c_code, c_display)]},
                    "valueQuantity": quantity_of(value, c_unit),
                }
            )
        yield _observation(
            builder,
            f"vitals-{key}-bp",
            coding=[coding_of(LOINC, code, display)],
            category=vital,
            when=when,
            extra={"component": components},
        )
    singles = (
        ("hr", HEART_RATE, vitals.heart_rate_bpm, ()),
        ("temp", BODY_TEMP, vitals.body_temp_c, ()),
        ("rr", RESP_RATE, vitals.respiratory_rate_per_min, ()),
        ("spo2", SPO2, vitals.spo2_pct, (SPO2_PULSE_OX,)),
    )
    for suffix, (code, display, unit), reading, more in singles:
        if reading is None:
            continue
        coding = [coding_of(LOINC, code, display)]
        coding += [coding_of(LOINC, m_code, m_display) for m_code, m_display, _ in more]
        yield _observation(
            builder,
            f"vitals-{key}-{suffix}",
            coding=coding,
            category=vital,
            when=when,
            value=quantity_of(reading, unit),
        )


def _session_key(session: SessionRecord, index: int) -> str:
    return fhir_id(f"session-{session.id if session.id is not None else index}")


def _session_resources(
    builder: _Builder, session: SessionRecord, index: int
) -> Iterable[tuple[type[Resource], dict[str, Any]]]:
    procedure_id = _session_key(session, index)
    device_ref: dict[str, str] | None = None
    if session.device:
        device_id = fhir_id(f"device-{session.device}")
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
    period: dict[str, str] = {"start": instant(session.started_at)}
    if session.ended_at is not None:
        period["end"] = instant(session.ended_at)
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": procedure_id,
        "status": status,
        "code": {
            "coding": [
                coding_of(SNOMED, *CRYOTHERAPY),
                local_coding("modality", session.modality),
            ],
            "text": f"Cryotherapy ({label_of(session.modality)})",
        },
        "subject": builder.patient_ref,
        "performedPeriod": period,
        "bodySite": [
            {"coding": [local_coding("body-site", session.site)], "text": label_of(session.site)}
        ],
    }
    if session.end_reason is not None:
        ending = {"coding": [local_coding("session-end", session.end_reason)]}
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
        parameters.append((name, name.replace("_", " "), value, unit_of(name)))
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
                coding=[local_coding("session-parameter", name, display)],
                category=category_of("procedure", "Procedure"),
                when=session.started_at,
                value=quantity_of(value, unit),
                extra=extra,
            ),
        )


def _instrument_resources(
    builder: _Builder, response: InstrumentResponse, index: int
) -> Iterable[tuple[type[Resource], dict[str, Any]]]:
    key = fhir_id(f"{response.instrument}-{response.id if response.id is not None else index}")
    coding = [local_coding("instrument", response.instrument)]
    default_unit = None
    for instruments, (code, display, unit) in (
        (PAIN_NRS_INSTRUMENTS, PAIN_NRS),
        (ODI_INSTRUMENTS, ODI),
    ):
        if response.instrument in instruments:
            coding.insert(0, coding_of(LOINC, code, display))
            default_unit = unit
    extra: dict[str, Any] = {}
    if response.session_id is not None:
        session_key = fhir_id(f"session-{response.session_id}")
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
            category=category_of("survey", "Survey"),
            when=response.recorded_at,
            value=quantity_of(response.score, response.unit or default_unit),
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
        "authored": instant(response.recorded_at),
        "item": items,
    }


def _adverse_event(builder: _Builder, event: AdverseEventRecord, index: int) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": fhir_id(f"ae-{event.id if event.id is not None else index}"),
        "actuality": "actual",
        "event": {
            "coding": [local_coding("adverse-event", event.kind)],
            "text": event.description or label_of(event.kind),
        },
        "subject": builder.patient_ref,
        "date": instant(event.occurred_at),
        "severity": {"coding": [coding_of(AE_SEVERITY, event.severity, event.severity.title())]},
    }
    if event.session_id is not None:
        session_key = fhir_id(f"session-{event.session_id}")
        # R4 AdverseEvent.suspectEntity.instance allows Procedure (checked in the R4B model).
        resource["suspectEntity"] = [{"instance": builder.ref("Procedure", session_key)}]
    return resource
