"""FHIR Patient import: round trip through the export, refusal of malformed resources."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryotx.errors import InputError
from cryotx.interop.fhir import export_bundle, import_patient
from cryotx.interop.records import PatientRecord

names = st.text(alphabet=st.characters(codec="utf-8", categories=("L",)), min_size=1, max_size=20)


def exported_patient(record: PatientRecord) -> dict[str, Any]:
    bundle = export_bundle(record)
    (patient,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    return patient


@settings(max_examples=60, deadline=None)
@given(
    sex=st.sampled_from(["female", "male", "other", "unknown"]),
    birth=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))),
    family=st.one_of(st.none(), names),
    given_names=st.lists(names, max_size=3),
    mrn=st.one_of(st.none(), st.from_regex(r"[A-Z]{2}-[0-9]{1,8}", fullmatch=True)),
)
def test_patient_round_trip(
    sex: str, birth: date | None, family: str | None, given_names: list[str], mrn: str | None
) -> None:
    record = PatientRecord(
        patient_id="p-42",
        sex=sex,  # type: ignore[arg-type]
        birth_date=birth,
        family_name=family,
        given_names=given_names,
        identifiers=[{"system": "urn:oid:1.2.3", "value": mrn}] if mrn else [],  # type: ignore[list-item]
    )
    imported = import_patient(exported_patient(record))
    assert imported.sex == record.sex
    assert imported.birth_date == record.birth_date
    assert imported.family_name == record.family_name
    assert imported.given_names == record.given_names
    assert imported.identifiers == record.identifiers
    assert imported.source_id == "p-42"


def test_import_of_a_plain_patient() -> None:
    imported = import_patient(
        {
            "resourceType": "Patient",
            "id": "ext-9",
            "identifier": [{"system": "urn:oid:2.16.840.1", "value": "123"}],
            "name": [
                {"use": "nickname", "given": ["Mia"]},
                {"use": "official", "family": "Kral", "given": ["Marie"]},
            ],
            "gender": "female",
            "birthDate": "1957-11-30",
        }
    )
    assert imported.family_name == "Kral"
    assert imported.given_names == ["Marie"]
    assert imported.birth_date == date(1957, 11, 30)
    assert imported.identifiers[0].value == "123"


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ([], "resource"),
        ({"resourceType": "Observation", "status": "final"}, "resourceType"),
        ({"gender": "male"}, "resourceType"),
        ({"resourceType": "Patient"}, "gender"),
        ({"resourceType": "Patient", "gender": "robot"}, "gender"),
        ({"resourceType": "Patient", "gender": "male", "birthDate": "1968-13-45"}, "birthDate"),
        ({"resourceType": "Patient", "gender": "male", "birthDate": "1968"}, "birthDate"),
        ({"resourceType": "Patient", "gender": "male", "birthDate": "2999-01-01"}, "birthDate"),
        ({"resourceType": "Patient", "gender": "male", "name": [{"given": "Jo"}]}, "name.0.given"),
        ({"resourceType": "Patient", "gender": "male", "shoeSize": 42}, "shoeSize"),
        ({"resourceType": "Patient", "gender": "male", "id": "a b"}, "id"),
        (
            {"resourceType": "Patient", "gender": "male", "identifier": [{"value": ""}]},
            "identifier.0.value",
        ),
    ],
)
def test_malformed_patient_refused_naming_the_field(resource: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        import_patient(resource)
    assert caught.value.field == field
    assert caught.value.message
