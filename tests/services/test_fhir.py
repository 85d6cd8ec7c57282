"""FHIR: the stored record goes out as a Bundle; a FHIR Patient comes in as a new patient."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation

from cryotx.errors import InputError
from cryotx.services import fhir, records
from cryotx.services._common import Actor, PermissionDenied
from cryotx.services.schemas import (
    AdverseEventCreate,
    InstrumentCreate,
    PatientPublic,
    PatientUpdate,
    SessionCreate,
    SessionEnd,
    VitalCreate,
)
from cryotx.store.db import Database


def test_bundle_holds_the_whole_record(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician, operator = staff["clinician"], staff["operator"]
    pid = patient.id
    records.add_vitals(
        db,
        operator,
        pid,
        VitalCreate(systolic_mmhg=140, diastolic_mmhg=85, heart_rate_bpm=72, body_temp_c=36.6),
    )
    session = records.start_session(
        db,
        operator,
        pid,
        SessionCreate(
            device="Cryo pack",
            modality="ice_bag",
            site="knee",
            settings={"agent_temp_c": 0.0, "exposure_s": 1200, "barrier": "wet_towel"},
        ),
    )
    records.end_session(db, operator, pid, session.id, SessionEnd(end_reason="completed"))
    records.add_instrument_response(
        db, clinician, pid, InstrumentCreate(instrument="pain_nrs", score=6, session_id=session.id)
    )
    records.add_instrument_response(
        db,
        clinician,
        pid,
        InstrumentCreate(instrument="oswestry", score=30, items=[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]),
    )
    records.add_adverse_event(
        db,
        operator,
        pid,
        AdverseEventCreate(kind="skin_reaction", severity="mild", session_id=session.id),
    )
    bundle = fhir.export_patient_bundle(db, clinician, pid)
    assert bundle["resourceType"] == "Bundle"
    kinds = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    for kind in (
        "Patient",
        "Condition",
        "Observation",
        "Procedure",
        "AdverseEvent",
        "QuestionnaireResponse",
    ):
        assert kinds[kind] >= 1, kind
    codes = {
        coding.get("code")
        for entry in bundle["entry"]
        for coding in entry["resource"].get("code", {}).get("coding", [])
    }
    assert {"72514-3", "8480-6", "8867-4", "8310-5"} <= codes or {"72514-3", "85354-9"} <= codes
    with pytest.raises(PermissionDenied):
        fhir.export_patient_bundle(db, operator, pid)


def _body_fat_observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and any(
            (c.get("system"), c.get("code")) == ("http://loinc.org", "41982-0")
            for c in entry["resource"]["code"]["coding"]
        )
    ]


def test_measured_body_fat_is_exported_only_when_recorded(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician = staff["clinician"]
    assert _body_fat_observations(fhir.export_patient_bundle(db, clinician, patient.id)) == []
    records.update_patient(db, clinician, patient.id, PatientUpdate(body_fat_percent=33.4))
    bundle = fhir.export_patient_bundle(db, clinician, patient.id)
    (observation,) = _body_fat_observations(bundle)
    assert observation["valueQuantity"] == {
        "value": 33.4,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert observation["status"] == "final"
    assert observation["code"]["coding"][0]["display"] == "Percentage of body fat Measured"
    patient_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert observation["subject"] == {"reference": patient_url}
    Observation.model_validate(observation)


def test_fhir_patient_import_creates_an_audited_patient(
    db: Database, staff: dict[str, Actor]
) -> None:
    resource = {
        "resourceType": "Patient",
        "id": "ext-7",
        "name": [{"family": "Nakamura", "given": ["Yui"]}],
        "gender": "female",
        "birthDate": "1975-05-04",
    }
    created = fhir.import_fhir_patient(db, staff["clinician"], resource)
    assert (created.family_name, created.given_name, str(created.birth_date)) == (
        "Nakamura",
        "Yui",
        "1975-05-04",
    )
    audit = records.list_audit(db, staff["clinician"], limit=5, offset=0, patient_id=created.id)
    assert [e.action for e in audit.items] == ["create"]


def test_fhir_import_refuses_what_cryotx_cannot_use(db: Database, staff: dict[str, Actor]) -> None:
    with pytest.raises(InputError) as refused:
        fhir.import_fhir_patient(
            db,
            staff["clinician"],
            {"resourceType": "Patient", "name": [{"family": "X"}], "gender": "female"},
        )
    assert refused.value.field == "birthDate"
    with pytest.raises(InputError):
        fhir.import_fhir_patient(db, staff["clinician"], {"resourceType": "Observation"})
