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


def test_import_ignores_what_cryotx_does_not_keep() -> None:
    """A Patient as an EHR would send it: narrative, meta, telecom, address, extensions."""
    imported = import_patient(
        {
            "resourceType": "Patient",
            "id": "ehr-5521",
            "meta": {"versionId": "3", "lastUpdated": "2026-10-01T08:00:00Z"},
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ilse Moser</p></div>',
            },
            "identifier": [
                {
                    "use": "official",
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MR",
                            }
                        ]
                    },
                    "system": "urn:oid:1.3.6.1.4.1.99999.1",
                    "value": "A-0042",
                }
            ],
            "active": True,
            "name": [{"use": "official", "family": "Moser", "given": ["Ilse", "Marta"]}],
            "telecom": [{"system": "phone", "value": "+43 1 000 0000", "use": "mobile"}],
            "gender": "female",
            "birthDate": "1959-09-09",
            "_birthDate": {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                        "valueDateTime": "1959-09-09T06:10:00+01:00",
                    }
                ]
            },
            "deceasedBoolean": False,
            "address": [{"use": "home", "city": "Graz", "postalCode": "8010"}],
        }
    )
    assert imported.source_id == "ehr-5521"
    assert imported.family_name == "Moser"
    assert imported.given_names == ["Ilse", "Marta"]
    assert imported.birth_date == date(1959, 9, 9)
    assert [(i.system, i.value) for i in imported.identifiers] == [
        ("urn:oid:1.3.6.1.4.1.99999.1", "A-0042")
    ]


def test_public_names_are_pinned() -> None:
    from cryotx.interop import fhir, records

    assert set(fhir.__all__) == {
        "FHIR_VERSION",
        "LOCAL_SYSTEM",
        "LOINC",
        "SNOMED",
        "PatientImport",
        "export_bundle",
        "import_patient",
    }
    assert "PatientRecord" in records.__all__
    for module in (fhir, records):
        for name in module.__all__:
            assert hasattr(module, name)
