"""Login, logout, the current user, one's own password, and health (the only anonymous
endpoints with login)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import text

from cryotx.api.deps import ActorDep, DbDep, in_thread, in_write
from cryotx.api.problems import problem
from cryotx.services import auth
from cryotx.services._common import PermissionDenied, check_text

__all__ = ["router"]

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    """User name and password."""

    model_config = ConfigDict(extra="forbid")
    username: Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(check_text)
    ]
    password: Annotated[
        str, StringConstraints(min_length=1, max_length=256), AfterValidator(check_text)
    ]


class Me(BaseModel):
    """The logged-in user."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    password_change_required: bool = False


class Health(BaseModel):
    """Service health."""

    status: str
    database: str


@router.get("/api/health", response_model=Health)
async def health(db: DbDep) -> Health:
    """Liveness and database reachability (anonymous)."""

    def ping() -> None:
        with db.read() as session:
            session.execute(text("SELECT 1"))

    await in_thread(ping)
    return Health(status="ok", database=db.engine.dialect.name)


@router.post(
    "/api/auth/login",
    response_model=auth.LoginResult,
    responses={
        401: {"description": "Wrong user name or password"},
        429: {"description": "Too many failed logins"},
    },
)
async def login(
    body: LoginRequest, request: Request, response: Response, db: DbDep
) -> Response | auth.LoginResult:
    """Log in: returns a bearer token and sets the session cookie for the pages."""
    settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    try:
        result = await in_thread(
            auth.login,
            db,
            body.username,
            body.password,
            ttl_s=settings.token_ttl_s,
            limiter=request.app.state.login_limiter,
            client=client,
        )
    except PermissionDenied as error:
        return problem(429, str(error), headers={"Retry-After": str(settings.login_window_s)})
    if result is None:
        return problem(401, "wrong user name or password", headers={"WWW-Authenticate": "Bearer"})
    response.set_cookie(
        auth.SESSION_COOKIE,
        result.access_token,
        max_age=settings.token_ttl_s,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return result


@router.post("/api/auth/logout", status_code=204)
async def logout(request: Request, response: Response, db: DbDep, actor: ActorDep) -> Response:
    """End this login (token and cookie)."""
    del actor
    await in_write(auth.logout, db, request.state.session_token)
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/api/openapi.json", include_in_schema=False)
async def openapi(request: Request, actor: ActorDep) -> dict[str, Any]:
    """The OpenAPI schema (to logged-in users only)."""
    del actor
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/api/auth/me", response_model=Me)
async def me(request: Request, actor: ActorDep) -> Me:
    """The logged-in user and the CSRF token for cookie-authenticated writes."""
    return Me(
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        csrf_token=auth.csrf_token_for(request.state.session_token),
        password_change_required=actor.must_change_password,
    )


@router.post(
    "/api/auth/password",
    status_code=204,
    responses={
        409: {"description": "The password was changed meanwhile"},
        422: {"description": "Wrong current password, or a new password the rules refuse"},
        429: {"description": "Too many failed password checks"},
    },
)
async def change_password(
    body: auth.PasswordChange, request: Request, db: DbDep, actor: ActorDep
) -> Response:
    """Change your own password (any role).

    Ends your other logins; this one (token and cookie) stays valid.  A wrong current
    password counts as a failed login.
    """
    settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    try:
        await in_write(
            auth.change_own_password,
            db,
            actor,
            body,
            session_token=request.state.session_token,
            limiter=request.app.state.login_limiter,
            client=client,
        )
    except auth.RateLimited as error:
        return problem(429, str(error), headers={"Retry-After": str(settings.login_window_s)})
    return Response(status_code=204)
