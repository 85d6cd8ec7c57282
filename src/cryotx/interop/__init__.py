"""FHIR R4 export and import of CryoTx records.

:mod:`cryotx.interop.records` holds the database-independent snapshot of a patient's record
(:class:`~cryotx.interop.records.PatientRecord`); :mod:`cryotx.interop.fhir` turns it into a
FHIR Bundle and reads FHIR Patient resources.
"""

from __future__ import annotations

__all__: list[str] = []
