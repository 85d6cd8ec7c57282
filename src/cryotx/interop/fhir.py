"""HL7 FHIR R4 export of a patient's record, and import of a FHIR Patient.

The public names, importable from here as before the split:

- :func:`export_bundle` (in :mod:`cryotx.interop.fhir_export`): a
  :class:`~cryotx.interop.records.PatientRecord` as the Bundle that
  ``GET /fhir/Patient/{id}/$everything`` and ``cryotx export fhir`` return;
- :func:`import_patient` and :class:`PatientImport` (in :mod:`cryotx.interop.fhir_import`):
  a FHIR Patient read into the demographic fields CryoTx keeps;
- the code systems :data:`LOINC`, :data:`SNOMED`, :data:`LOCAL_SYSTEM` and
  :data:`FHIR_VERSION` (in :mod:`cryotx.interop._fhir_codes`, with every code and its source).
"""

from __future__ import annotations

from cryotx.interop._fhir_codes import FHIR_VERSION, LOCAL_SYSTEM, LOINC, SNOMED
from cryotx.interop.fhir_export import export_bundle
from cryotx.interop.fhir_import import PatientImport, import_patient

__all__ = [
    "FHIR_VERSION",
    "LOCAL_SYSTEM",
    "LOINC",
    "SNOMED",
    "PatientImport",
    "export_bundle",
    "import_patient",
]
