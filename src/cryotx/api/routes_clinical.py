"""Screening and planning: call the clinical core and store what it returns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from cryotx.api.deps import DbDep, Id, Limit, Offset, in_thread, in_write, permit
from cryotx.services import clinical
from cryotx.services._common import Actor
from cryotx.services.schemas import (
    Code,
    Page,
    PlanPublic,
    PlanRequest,
    ScreeningPublic,
    ScreeningRequest,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/patients", tags=["clinical"])
ScreeningsRead = Annotated[Actor, Depends(permit("screenings.read"))]
ScreeningsWrite = Annotated[Actor, Depends(permit("screenings.write"))]
PlansRead = Annotated[Actor, Depends(permit("plans.read"))]
PlansWrite = Annotated[Actor, Depends(permit("plans.write"))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"description": "The clinical core is not available"}
}


@router.post(
    "/{patient_id}/screenings", response_model=ScreeningPublic, status_code=201, responses=_ERRORS
)
async def screen(
    patient_id: Id, body: ScreeningRequest, db: DbDep, actor: ScreeningsWrite
) -> ScreeningPublic:
    """Screen the patient (latest vitals) for a modality; the decision is stored."""
    return await in_write(clinical.screen_patient, db, actor, patient_id, body)


@router.get("/{patient_id}/screenings", response_model=Page[ScreeningPublic])
async def list_screenings(
    patient_id: Id,
    db: DbDep,
    actor: ScreeningsRead,
    limit: Limit = 50,
    offset: Offset = 0,
    modality: Annotated[Code | None, Query()] = None,
    decision: Annotated[Code | None, Query()] = None,
) -> Page[ScreeningPublic]:
    """Screenings, newest first; filter by modality or decision."""
    return await in_thread(
        clinical.list_screenings,
        db,
        actor,
        patient_id,
        limit=limit,
        offset=offset,
        modality=modality,
        decision=decision,
    )


@router.get("/{patient_id}/screenings/{screening_id}", response_model=ScreeningPublic)
async def get_screening(
    patient_id: Id, screening_id: Id, db: DbDep, actor: ScreeningsRead
) -> ScreeningPublic:
    """One screening as recorded then."""
    return await in_thread(clinical.get_screening, db, actor, patient_id, screening_id)


@router.post("/{patient_id}/plans", response_model=PlanPublic, status_code=201, responses=_ERRORS)
async def plan(patient_id: Id, body: PlanRequest, db: DbDep, actor: PlansWrite) -> PlanPublic:
    """Plan a course; the plan is stored as returned."""
    return await in_write(clinical.plan_patient, db, actor, patient_id, body)


@router.get("/{patient_id}/plans", response_model=Page[PlanPublic])
async def list_plans(
    patient_id: Id,
    db: DbDep,
    actor: PlansRead,
    limit: Limit = 50,
    offset: Offset = 0,
    condition: Annotated[Code | None, Query()] = None,
) -> Page[PlanPublic]:
    """Plans, newest first; filter by condition."""
    return await in_thread(
        clinical.list_plans, db, actor, patient_id, limit=limit, offset=offset, condition=condition
    )


@router.get("/{patient_id}/plans/{plan_id}", response_model=PlanPublic)
async def get_plan(patient_id: Id, plan_id: Id, db: DbDep, actor: PlansRead) -> PlanPublic:
    """One plan."""
    return await in_thread(clinical.get_plan, db, actor, patient_id, plan_id)
