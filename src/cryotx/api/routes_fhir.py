"""FHIR R4: ``$everything`` for one patient, and import of a FHIR Patient."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from cryotx.api.deps import DbDep, Id, in_thread, in_write, permit
from cryotx.services import fhir
from cryotx.services._common import Actor

__all__ = ["router"]

router = APIRouter(prefix="/fhir", tags=["fhir"])
Exporter = Annotated[Actor, Depends(permit("fhir.export"))]
Importer = Annotated[Actor, Depends(permit("fhir.import"))]
FHIR_JSON = "application/fhir+json"


@router.get(
    "/Patient/{patient_id}/$everything",
    responses={200: {"content": {FHIR_JSON: {}}, "description": "FHIR Bundle"}},
)
async def everything(patient_id: Id, request: Request, db: DbDep, actor: Exporter) -> JSONResponse:
    """A FHIR R4 Bundle of the patient's whole record."""
    base_url = str(request.base_url).rstrip("/") + "/fhir"
    bundle = await in_thread(fhir.export_patient_bundle, db, actor, patient_id, base_url=base_url)
    return JSONResponse(bundle, media_type=FHIR_JSON)


@router.post("/Patient", status_code=201)
async def import_patient(
    db: DbDep, actor: Importer, resource: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Create a patient from a FHIR Patient resource; returns the new patient's id."""
    patient = await in_write(fhir.import_fhir_patient, db, actor, resource)
    return {"id": patient.id, "family_name": patient.family_name}
