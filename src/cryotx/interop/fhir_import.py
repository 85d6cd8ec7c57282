"""Import of a FHIR R4 Patient into the demographic fields CryoTx keeps.

:func:`import_patient` validates the resource with the ``fhir.resources`` R4B Patient model
(see :mod:`cryotx.interop.fhir_export` for why R4B) and checks what that model does not:
the ``gender`` value set, full birth dates, no birth date in the future.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cryotx.errors import InputError
from cryotx.interop._fhir_codes import LOCAL_SYSTEM, input_error
from cryotx.interop.records import Identifier, Sex

__all__ = ["PatientImport", "import_patient"]


class PatientImport(BaseModel):
    """The demographic fields CryoTx keeps from an imported FHIR Patient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    family_name: str | None = None
    given_names: list[str] = Field(default_factory=list)
    sex: Sex
    birth_date: date | None = None


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
        raise input_error(error) from None
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
