"""FHIR R4 Bundle export: validity, references, codes per resource type."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel

from cryotx.errors import InputError
from cryotx.interop.fhir import LOCAL_SYSTEM, export_bundle
from cryotx.interop.records import PatientRecord

# Standard codes that clinical-evidence.md section 4.2 lists as sourced (plus body height
# and weight from the R4 vital-signs value set). Written out here independently of the
# exporter, so that a code slipping into the export without a source fails this test.
VERIFIED = {
    ("http://loinc.org", "72514-3"),  # pain 0-10 NRS
    ("http://loinc.org", "85354-9"),  # blood pressure panel
    ("http://loinc.org", "8480-6"),  # systolic
    ("http://loinc.org", "8462-4"),  # diastolic
    ("http://loinc.org", "8310-5"),  # body temperature
    ("http://loinc.org", "8867-4"),  # heart rate
    ("http://loinc.org", "9279-1"),  # respiratory rate
    ("http://loinc.org", "2708-6"),  # oxygen saturation
    ("http://loinc.org", "59408-5"),  # SpO2 by pulse oximetry
    ("http://loinc.org", "97909-6"),  # ODI score (provisional)
    ("http://loinc.org", "8302-2"),  # body height
    ("http://loinc.org", "29463-7"),  # body weight
    ("http://loinc.org", "41982-0"),  # percentage of body fat, measured (docs/fhir.md)
    ("http://snomed.info/sct", "26782000"),  # cryotherapy
}
FHIR_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"


def full_record(**overrides: Any) -> PatientRecord:
    data: dict[str, Any] = {
        "patient_id": "p-0001",
        "identifiers": [{"system": "urn:oid:1.2.3.4", "value": "MRN-77"}],
        "family_name": "Novak",
        "given_names": ["Ana", "Maria"],
        "sex": "female",
        "birth_date": "1968-03-01",
        "height_m": 1.64,
        "mass_kg": 71.0,
        "body_fat_percent": 31.5,
        "fat_mm": {"knee": 11.0, "lumbar": 18.0},
        "conditions": ["knee_osteoarthritis", {"code": "hypertension", "onset_date": "2015-05-01"}],
        "medications": ["antihypertensive"],
        "events": [{"kind": "myocardial_infarction", "date": "2026-06-02"}],
        "vitals": [
            {
                "id": 11,
                "recorded_at": "2026-11-20T09:50:00",
                "systolic_mmhg": 148,
                "diastolic_mmhg": 88,
                "heart_rate_bpm": 74,
                "body_temp_c": 36.7,
                "respiratory_rate_per_min": 14,
                "spo2_pct": 97,
            }
        ],
        "sessions": [
            {
                "id": 21,
                "modality": "wbc_chamber",
                "site": "whole_body",
                "device": "Chamber A",
                "agent_temp_c": -110.0,
                "duration_s": 180,
                "settings": {"chamber_o2_pct": 20.6},
                "started_at": "2026-11-20T10:00:00",
                "ended_at": "2026-11-20T10:03:00",
                "end_reason": "completed",
            },
            {
                "id": 22,
                "modality": "ice_bag",
                "site": "knee",
                "agent_temp_c": 0.0,
                "duration_s": 1200,
                "started_at": "2026-11-21T10:00:00",
                "ended_at": "2026-11-21T10:08:00",
                "end_reason": "patient_request",
            },
            {
                "id": 23,
                "modality": "ice_bag",
                "site": "knee",
                "started_at": "2026-11-22T10:00:00",
            },
        ],
        "instruments": [
            {
                "id": 31,
                "instrument": "nrs_pain",
                "score": 6,
                "recorded_at": "2026-11-20T10:10:00",
                "session_id": 21,
            },
            {
                "id": 32,
                "instrument": "odi",
                "score": 32,
                "unit": "%",
                "recorded_at": "2026-11-20T10:15:00",
                "items": {"q1": 2, "q2": 3, "q3": 1.5, "comment": "stairs"},
            },
            {
                "id": 33,
                "instrument": "basfi",
                "score": 4.2,
                "recorded_at": "2026-11-20T10:20:00",
            },
        ],
        "adverse_events": [
            {
                "id": 41,
                "kind": "numbness",
                "severity": "mild",
                "occurred_at": "2026-11-21T10:08:00",
                "description": "numb patella skin, resolved in 20 min",
                "session_id": 22,
            }
        ],
        "recorded_at": "2026-11-20T09:45:00",
    }
    data.update(overrides)
    return PatientRecord.model_validate(data)


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def codes(concept: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def by_code(bundle: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [o for o in resources(bundle, "Observation") if (system, code) in codes(o["code"])]


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return export_bundle(full_record())


def test_bundle_and_every_resource_validate(bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"])
    assert {e["search"]["mode"] for e in bundle["entry"]} == {"match"}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).id == resource["id"]


def test_each_resource_type_is_present(bundle: dict[str, Any]) -> None:
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert counts["Patient"] == 1
    assert counts["Condition"] == 3  # two conditions + one history event
    assert counts["MedicationStatement"] == 1
    assert counts["Procedure"] == 3
    assert counts["AdverseEvent"] == 1
    assert counts["QuestionnaireResponse"] == 1  # only the ODI came item by item
    assert counts["Device"] == 1


def test_ids_are_unique_and_fhir_shaped(bundle: dict[str, Any]) -> None:
    keys = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    assert len(keys) == len(set(keys))
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize("base_url", [None, "https://clinic.example/fhir"])
def test_every_reference_resolves_inside_the_bundle(base_url: str | None) -> None:
    bundle = export_bundle(full_record(), base_url=base_url)
    known = {e["fullUrl"] for e in bundle["entry"]}
    if base_url is not None:
        known |= {
            f"{r['resourceType']}/{r['id']}" for r in (e["resource"] for e in bundle["entry"])
        }

    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                found.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk([e["resource"] for e in bundle["entry"]])
    assert found, "the bundle has references"
    assert [ref for ref in found if ref not in known] == []


def test_only_verified_standard_codes(bundle: dict[str, Any]) -> None:
    found: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "system" in node and "code" in node:
                found.add((node["system"], node["code"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle["entry"])
    unexpected = {
        (system, code)
        for system, code in found
        if not system.startswith(LOCAL_SYSTEM)
        and not system.startswith(FHIR_TERMINOLOGY)
        and system != "http://unitsofmeasure.org"
        and system != "urn:oid:1.2.3.4"
    }
    assert unexpected <= VERIFIED
    assert ("http://loinc.org", "72514-3") in found


def test_patient_demographics(bundle: dict[str, Any]) -> None:
    (patient,) = resources(bundle, "Patient")
    assert patient["gender"] == "female"
    assert patient["birthDate"] == "1968-03-01"
    assert patient["name"][0]["family"] == "Novak"
    assert patient["name"][0]["given"] == ["Ana", "Maria"]
    values = {(i.get("system"), i["value"]) for i in patient["identifier"]}
    assert ("urn:oid:1.2.3.4", "MRN-77") in values


def test_age_without_birth_date_travels_as_extension() -> None:
    bundle = export_bundle(full_record(birth_date=None, age_y=58))
    (patient,) = resources(bundle, "Patient")
    assert "birthDate" not in patient
    (extension,) = patient["extension"]
    assert extension["valueAge"]["value"] == 58
    assert extension["valueAge"]["code"] == "a"


def test_conditions_carry_local_codes_and_history_events(bundle: dict[str, Any]) -> None:
    conditions = resources(bundle, "Condition")
    local = {c["code"] for r in conditions for c in r["code"]["coding"]}
    assert {"knee_osteoarthritis", "hypertension", "myocardial_infarction"} <= local
    hypertension = next(
        r for r in conditions if any(c["code"] == "hypertension" for c in r["code"]["coding"])
    )
    assert hypertension["onsetDateTime"] == "2015-05-01"
    assert hypertension["clinicalStatus"]["coding"][0]["code"] == "active"
    infarction = next(
        r
        for r in conditions
        if any(c["code"] == "myocardial_infarction" for c in r["code"]["coding"])
    )
    assert infarction["onsetDateTime"] == "2026-06-02"


def test_blood_pressure_panel_has_both_components(bundle: dict[str, Any]) -> None:
    (panel,) = by_code(bundle, "http://loinc.org", "85354-9")
    assert panel["category"][0]["coding"][0]["code"] == "vital-signs"
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components["8480-6"]["value"] == 148
    assert components["8462-4"]["value"] == 88
    assert components["8480-6"]["code"] == "mm[Hg]"
    assert panel["effectiveDateTime"] == "2026-11-20T09:50:00Z"


@pytest.mark.parametrize(
    ("code", "value", "unit"),
    [
        ("8867-4", 74, "/min"),
        ("8310-5", 36.7, "Cel"),
        ("9279-1", 14, "/min"),
        ("2708-6", 97, "%"),
        ("8302-2", 164.0, "cm"),
        ("29463-7", 71.0, "kg"),
        ("41982-0", 31.5, "%"),
    ],
)
def test_vital_sign_codes_and_ucum_units(
    bundle: dict[str, Any], code: str, value: float, unit: str
) -> None:
    (observation,) = by_code(bundle, "http://loinc.org", code)
    assert observation["valueQuantity"]["value"] == pytest.approx(value)
    assert observation["valueQuantity"]["code"] == unit
    assert observation["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_measured_body_fat_is_an_exam_observation_only_when_recorded(
    bundle: dict[str, Any],
) -> None:
    (observation,) = by_code(bundle, "http://loinc.org", "41982-0")
    assert observation["code"]["coding"][0]["display"] == "Percentage of body fat Measured"
    assert observation["category"][0]["coding"][0]["code"] == "exam"
    assert observation["effectiveDateTime"] == "2026-11-20T09:45:00Z"
    unmeasured = export_bundle(full_record(body_fat_percent=None))
    assert by_code(unmeasured, "http://loinc.org", "41982-0") == []
    assert len(unmeasured["entry"]) == len(bundle["entry"]) - 1


def test_pulse_oximetry_carries_both_codes(bundle: dict[str, Any]) -> None:
    (spo2,) = by_code(bundle, "http://loinc.org", "2708-6")
    assert ("http://loinc.org", "59408-5") in codes(spo2["code"])


def test_pain_uses_loinc_72514_3_and_links_its_session(bundle: dict[str, Any]) -> None:
    (pain,) = by_code(bundle, "http://loinc.org", "72514-3")
    assert pain["valueQuantity"]["value"] == 6
    assert pain["category"][0]["coding"][0]["code"] == "survey"
    (procedure_url,) = [
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Procedure" and e["resource"]["id"] == "session-21"
    ]
    assert pain["partOf"] == [{"reference": procedure_url}]


def test_odi_score_with_questionnaire_response(bundle: dict[str, Any]) -> None:
    (odi,) = by_code(bundle, "http://loinc.org", "97909-6")
    assert odi["valueQuantity"]["value"] == 32
    assert odi["valueQuantity"]["code"] == "%"
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert response["questionnaire"].endswith("/odi")
    answers = {item["linkId"]: item["answer"][0] for item in response["item"]}
    assert answers == {
        "q1": {"valueInteger": 2},
        "q2": {"valueInteger": 3},
        "q3": {"valueDecimal": 1.5},
        "comment": {"valueString": "stairs"},
    }
    qr_url = next(
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    assert odi["derivedFrom"] == [{"reference": qr_url}]


def test_instrument_without_verified_code_is_local_only(bundle: dict[str, Any]) -> None:
    (basfi,) = by_code(bundle, f"{LOCAL_SYSTEM}/instrument", "basfi")
    assert {system for system, _ in codes(basfi["code"])} == {f"{LOCAL_SYSTEM}/instrument"}
    assert basfi["valueQuantity"] == {"value": 4.2}


def test_procedures_per_session(bundle: dict[str, Any]) -> None:
    procedures = {p["id"]: p for p in resources(bundle, "Procedure")}
    chamber = procedures["session-21"]
    assert ("http://snomed.info/sct", "26782000") in codes(chamber["code"])
    assert (f"{LOCAL_SYSTEM}/modality", "wbc_chamber") in codes(chamber["code"])
    assert chamber["status"] == "completed"
    assert chamber["performedPeriod"] == {
        "start": "2026-11-20T10:00:00Z",
        "end": "2026-11-20T10:03:00Z",
    }
    assert chamber["bodySite"][0]["coding"][0]["code"] == "whole_body"
    assert chamber["focalDevice"][0]["manipulated"]["reference"].startswith("urn:uuid:")
    stopped = procedures["session-22"]
    assert stopped["status"] == "stopped"
    assert stopped["statusReason"]["coding"][0]["code"] == "patient_request"
    running = procedures["session-23"]
    assert running["status"] == "in-progress"
    assert "end" not in running["performedPeriod"]


def test_session_parameters_are_observations_part_of_the_procedure(
    bundle: dict[str, Any],
) -> None:
    system = f"{LOCAL_SYSTEM}/session-parameter"
    temps = by_code(bundle, system, "agent_temp_c")
    assert sorted(o["valueQuantity"]["value"] for o in temps) == [-110.0, 0.0]
    assert {o["valueQuantity"]["code"] for o in temps} == {"Cel"}
    (oxygen,) = by_code(bundle, system, "chamber_o2_pct")
    assert oxygen["valueQuantity"]["code"] == "%"
    assert oxygen["valueQuantity"]["value"] == pytest.approx(20.6)
    (duration,) = [
        o for o in by_code(bundle, system, "duration_s") if o["id"] == "session-21-duration-s"
    ]
    assert duration["valueQuantity"] == {
        "value": 180.0,
        "unit": "s",
        "system": "http://unitsofmeasure.org",
        "code": "s",
    }
    chamber_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"].get("id") == "session-21"
    )
    assert oxygen["partOf"] == [{"reference": chamber_url}]
    assert "device" in oxygen


def test_adverse_event(bundle: dict[str, Any]) -> None:
    (event,) = resources(bundle, "AdverseEvent")
    assert event["actuality"] == "actual"
    assert event["severity"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
        "code": "mild",
        "display": "Mild",
    }
    assert event["event"]["coding"][0]["code"] == "numbness"
    assert event["event"]["text"].startswith("numb patella skin")
    assert event["date"] == "2026-11-21T10:08:00Z"
    session_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"].get("id") == "session-22"
    )
    assert event["suspectEntity"] == [{"instance": {"reference": session_url}}]


def test_minimal_record_gives_patient_only() -> None:
    bundle = export_bundle(PatientRecord(patient_id="x", sex="male"))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert "timestamp" not in bundle


def test_export_is_deterministic() -> None:
    assert export_bundle(full_record()) == export_bundle(full_record())


def test_odd_record_ids_become_distinct_fhir_ids() -> None:
    odd = ["a b", "a/b", "x" * 80, "a_b"]
    bundles = [export_bundle(PatientRecord(patient_id=pid, sex="other")) for pid in odd]
    ids = [resources(b, "Patient")[0]["id"] for b in bundles]
    assert len(set(ids)) == len(ids)
    assert all(0 < len(i) <= 64 for i in ids)
    # the original id travels as an identifier
    first = resources(bundles[0], "Patient")[0]
    assert {"system": f"{LOCAL_SYSTEM}/patient-id", "value": "a b"} in first["identifier"]


def test_malformed_record_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        export_bundle({"patient_id": "p1", "sex": "robot"})  # type: ignore[arg-type]
    assert caught.value.field == "record.sex"


def test_condition_codes_follow_the_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryotx.clinical import vocabulary
    from cryotx.interop import _fhir_codes

    real = vocabulary.lookup("raynaud")
    # Today no condition in the vocabulary has a verified code: only the local one is sent.
    bundle = export_bundle(full_record(conditions=["raynaud"]))
    (raynaud,) = [r for r in resources(bundle, "Condition") if r["id"].startswith("cond-")]
    assert codes(raynaud["code"]) == {(f"{LOCAL_SYSTEM}/condition", "raynaud")}
    assert raynaud["code"]["text"] == real.label
    # Once the vocabulary carries a verified code (placeholders here), it is sent beside the local one.
    verified = real.model_copy(update={"snomed_ct": "test-sct", "icd10": "test-icd"})
    monkeypatch.setattr(_fhir_codes, "lookup", lambda code: verified)
    bundle = export_bundle(full_record(conditions=["raynaud"]))
    (raynaud,) = [r for r in resources(bundle, "Condition") if r["id"].startswith("cond-")]
    assert codes(raynaud["code"]) == {
        ("http://snomed.info/sct", "test-sct"),
        ("http://hl7.org/fhir/sid/icd-10", "test-icd"),
        (f"{LOCAL_SYSTEM}/condition", "raynaud"),
    }


def _reference_targets(
    model: BaseModel, where: str, type_of: dict[str, str], found: list[tuple[str, str]]
) -> None:
    """Check every reference under ``model`` against its element's allowed target types."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        allowed = extra.get("enum_reference_types")
        for item in value if isinstance(value, list) else [value]:
            if allowed and getattr(item, "reference", None):
                target = type_of[item.reference]
                assert target in allowed or "Resource" in allowed, (
                    f"{where}.{name} -> {target}, allowed {allowed}"
                )
                found.append((f"{where}.{name}", target))
            elif isinstance(item, BaseModel):
                _reference_targets(item, f"{where}.{name}", type_of, found)


@pytest.mark.parametrize("base_url", [None, "https://clinic.example/fhir"])
def test_references_point_at_allowed_resource_types(base_url: str | None) -> None:
    """Each reference targets a type its element allows (fhir.resources does not check this).

    The allowed types are read from the R4B models' element definitions
    (``enum_reference_types``).
    """
    bundle = export_bundle(full_record(), base_url=base_url)
    type_of = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    type_of |= {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]["resourceType"]
        for e in bundle["entry"]
    }
    found: list[tuple[str, str]] = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        _reference_targets(model, resource["resourceType"], type_of, found)
    assert {where for where, _ in found} >= {
        "Observation.partOf",
        "Observation.subject",
        "Observation.derivedFrom",
        "Observation.device",
        "Procedure.focalDevice.manipulated",
        "AdverseEvent.suspectEntity.instance",
        "QuestionnaireResponse.subject",
    }


def test_reference_check_catches_a_wrong_target() -> None:
    observation = get_fhir_model_class("Observation").model_validate(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "partOf": [{"reference": "Patient/p1"}],
        }
    )
    with pytest.raises(AssertionError, match=r"Observation\.partOf -> Patient"):
        _reference_targets(observation, "Observation", {"Patient/p1": "Patient"}, [])
