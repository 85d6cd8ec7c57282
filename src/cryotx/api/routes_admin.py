"""Accounts (admins) and the audit log (read only: there is no route that changes it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cryotx.api.deps import DbDep, Id, Limit, Offset, in_thread, in_write, permit
from cryotx.services import auth, records
from cryotx.services._common import Actor
from cryotx.services.schemas import AuditPublic, Code, Page

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["admin"])
Admin = Annotated[Actor, Depends(permit("users.manage"))]
AuditReader = Annotated[Actor, Depends(permit("audit.read"))]


@router.get("/users", response_model=Page[auth.UserPublic])
async def list_users(
    db: DbDep, actor: Admin, limit: Limit = 50, offset: Offset = 0
) -> Page[auth.UserPublic]:
    """Accounts, by id."""
    users, total = await in_thread(auth.list_users, db, actor, limit=limit, offset=offset)
    return Page[auth.UserPublic](items=users, total=total, limit=limit, offset=offset)


@router.post("/users", response_model=auth.UserPublic, status_code=201)
async def create_user(body: auth.UserCreate, db: DbDep, actor: Admin) -> auth.UserPublic:
    """Create an account."""
    return await in_write(auth.create_user, db, actor, body)


@router.get("/users/{user_id}", response_model=auth.UserPublic)
async def get_user(user_id: Id, db: DbDep, actor: Admin) -> auth.UserPublic:
    """One account."""
    return await in_thread(auth.get_user, db, actor, user_id)


@router.patch("/users/{user_id}", response_model=auth.UserPublic)
async def update_user(
    user_id: Id, body: auth.UserUpdate, db: DbDep, actor: Admin
) -> auth.UserPublic:
    """Change role, active flag or password (ends the account's logins)."""
    return await in_write(auth.update_user, db, actor, user_id, body)


@router.get("/audit", response_model=Page[AuditPublic])
async def list_audit(
    db: DbDep,
    actor: AuditReader,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    entity: Annotated[Code | None, Query()] = None,
    username: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.-]+$")] = None,
) -> Page[AuditPublic]:
    """Audit entries, oldest first (read only)."""
    return await in_thread(
        records.list_audit,
        db,
        actor,
        limit=limit,
        offset=offset,
        patient_id=patient_id,
        entity=entity,
        username=username,
    )
