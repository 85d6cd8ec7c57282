"""Shared pieces of the pages: templates, who is logged in, CSRF, errors as pages."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from cryotx.errors import InputError
from cryotx.services import clinical, records
from cryotx.services._common import Actor, Conflict, NotFound, PermissionDenied
from cryotx.services.auth import (
    CSRF_FIELD,
    PERMISSIONS,
    SESSION_COOKIE,
    AuthRequired,
    CsrfRejected,
    authenticate_request,
    csrf_token_for,
)
from cryotx.services.dispatch import run_read, run_write
from cryotx.store.db import Database
from cryotx.web import _forms

__all__ = [
    "LOGIN_CSRF_COOKIE",
    "PASSWORD_PAGE",
    "REFUSALS",
    "STATIC_DIR",
    "TEMPLATES",
    "LoginRequired",
    "PageError",
    "PageUser",
    "PasswordChangeFirst",
    "Visit",
    "add_patient_form",
    "call",
    "call_write",
    "check_id",
    "field_errors",
    "install_error_pages",
    "need",
    "page_user",
    "render",
    "show",
    "submit",
    "visit",
]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
TEMPLATES = Jinja2Templates(directory=_HERE / "templates")
LOGIN_CSRF_COOKIE = "cryotx_login_csrf"

T = TypeVar("T")


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _label(code: str | None) -> str:
    """The vocabulary label of a code, or the code made readable."""
    if not code:
        return ""
    try:
        from cryotx.clinical.vocabulary import lookup

        return lookup(code).label
    except (ImportError, InputError):
        return code.replace("_", " ")


def _num(value: float | int | None) -> str:
    """A measured number without a spurious ``.0`` (74.0 -> 74, 36.7 -> 36.7)."""
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _sig(value: float | int | None, digits: int = 3) -> str:
    """A computed number to ``digits`` significant digits, never in exponent form."""
    if value is None:
        return ""
    return f"{float(f'{value:.{digits}g}'):g}" if abs(value) < 1e6 else f"{value:.0f}"


def _sources(value: str | None) -> list[str]:
    """The separate references of a ``source`` field (``"url ; url"``)."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["label"] = _label
TEMPLATES.env.filters["num"] = _num
TEMPLATES.env.filters["sig"] = _sig
TEMPLATES.env.filters["sources"] = _sources


class LoginRequired(Exception):
    """The page needs a login: answered with a redirect to ``/login``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


PASSWORD_PAGE = "/account/password"
# What a user with a one-time password may open: the page that replaces it, and logout.
_ONE_TIME_PAGES = frozenset({PASSWORD_PAGE, "/logout"})


class PasswordChangeFirst(Exception):
    """The user's password is one-time: answered with a redirect to the password page."""


class PageError(Exception):
    """An error shown as a page with a status code."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class PageUser:
    """The logged-in user of a page request, with the CSRF token for its forms."""

    def __init__(self, actor: Actor, session_token: str) -> None:
        self.actor = actor
        self.csrf_token = csrf_token_for(session_token)
        self.session_token = session_token

    @property
    def role(self) -> str:
        return self.actor.role

    def can(self, action: str) -> bool:
        """Whether the user's role may do ``action`` (a key of ``PERMISSIONS``)."""
        return self.actor.role in PERMISSIONS.get(action, frozenset())


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def page_user(request: Request, form: Mapping[str, Any] | None = None) -> PageUser:
    """Who is logged in (session cookie); for a form post, also check its CSRF token.

    Raises
    ------
    LoginRequired
        No valid session cookie.
    PageError
        403 when a form post's CSRF token is missing or wrong.
    """
    submitted = None
    if form is not None:
        value = form.get(CSRF_FIELD)
        # Tokens are hex; anything else (e.g. non-ASCII, which hmac.compare_digest cannot
        # compare as str) is simply a wrong token.
        if isinstance(value, str) and value.isascii():
            submitted = value
    try:
        actor, token = await run_in_threadpool(
            authenticate_request,
            database(request),
            method=request.method,
            authorization=None,
            cookie=request.cookies.get(SESSION_COOKIE),
            csrf_token=submitted,
        )
    except CsrfRejected:
        raise PageError(
            403,
            "The form was refused: its security token is missing or out of date. "
            "Reload the page and submit it again.",
        ) from None
    except AuthRequired:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        raise LoginRequired(target if request.method == "GET" else "/patients") from None
    if actor.must_change_password and request.url.path not in _ONE_TIME_PAGES:
        # A one-time password (set by an admin) opens only the page that replaces it.
        raise PasswordChangeFirst()
    return PageUser(actor, token)


async def call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) use case that reads in the thread pool; not-found and role refusals
    become pages."""
    with _as_pages():
        return await run_read(function, *args, **kwargs)


async def call_write(function: Callable[..., T], db: Database, /, *args: Any, **kwargs: Any) -> T:
    """Like :func:`call` for a use case that writes: one writer at a time per process, as in
    the API (:mod:`cryotx.services.dispatch`)."""
    with _as_pages():
        return await run_write(function, db, *args, **kwargs)


@contextmanager
def _as_pages() -> Iterator[None]:
    try:
        yield
    except NotFound as error:
        raise PageError(404, str(error).capitalize() + ".") from None
    except PermissionDenied as error:
        raise PageError(403, f"Your role may not do this ({error}).") from None


def field_errors(error: Exception) -> dict[str, str]:
    """Messages by field name from an InputError, a Conflict or a pydantic ValidationError."""
    if isinstance(error, InputError | Conflict):
        return {error.field.split(".")[0] or "form": error.message}
    if isinstance(error, ValidationError):
        messages: dict[str, str] = {}
        for item in error.errors():
            loc = [str(part) for part in item.get("loc", ())]
            key = loc[0] if loc else "form"
            messages.setdefault(key, item.get("msg", "invalid").removeprefix("Value error, "))
        return messages
    return {"form": str(error)}


def need(user: PageUser, action: str) -> None:
    """A 403 page unless the user's role may do ``action``."""
    if not user.can(action):
        raise PageError(403, f"Your role ({user.role}) may not do this ({action}).")


def check_id(value: int) -> int:
    """A record id from the address, or a 404 page when no row can have it."""
    if not 1 <= value <= 2**31 - 1:
        raise PageError(404, "No such record.")
    return value


#: What a use case raises for input it refuses: shown next to the fields, status 400.
REFUSALS = (InputError, Conflict, ValidationError)


@dataclass(frozen=True, slots=True)
class Visit:
    """One logged-in page request: who, the database, the patient (if any), the posted form."""

    request: Request
    user: PageUser
    db: Database
    patient: Any = None
    form: FormData | None = None

    @property
    def actor(self) -> Actor:
        return self.user.actor

    def storing(
        self, schema: type[Any], payload: Callable[[FormData], Any], use_case: Callable[..., T]
    ) -> Callable[[], Awaitable[T]]:
        """Save the posted form: ``use_case(db, actor, [patient_id,] schema(payload(form)))``.

        The patient's id is passed when the visit has a patient.
        """

        async def save() -> T:
            assert self.form is not None
            data = schema.model_validate(payload(self.form))
            owner = () if self.patient is None else (self.patient.id,)
            return await call_write(use_case, self.db, self.actor, *owner, data)

        return save


async def visit(
    request: Request, action: str, *, patient_id: int | None = None, posted: bool = False
) -> Visit:
    """Who may see this page: log-in, CSRF (for a post) and role checks, then the patient.

    Raises
    ------
    LoginRequired, PageError
        As :func:`page_user`; 403 when the role may not do ``action``; 404 for a missing
        patient.
    """
    form = await request.form() if posted else None
    user = await page_user(request, form)
    need(user, action)
    db = database(request)
    patient = None
    if patient_id is not None:
        patient = await call(records.get_patient, db, user.actor, check_id(patient_id))
    return Visit(request=request, user=user, db=db, patient=patient, form=form)


#: Builds a form template's context from the visit, the values to show and the errors by
#: field (a plain or an async function).
FormContext = Callable[
    [Visit, dict[str, Any], dict[str, str]], Mapping[str, Any] | Awaitable[Mapping[str, Any]]
]


async def _form_page(
    page: Visit,
    template: str,
    context: FormContext,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int,
) -> Response:
    built = context(page, values, errors)
    if inspect.isawaitable(built):
        built = await built
    return render(page.request, template, built, status_code=status_code)


async def show(
    page: Visit, template: str, context: FormContext, *, values: dict[str, Any] | None = None
) -> Response:
    """A form page, empty or filled with ``values``."""
    return await _form_page(page, template, context, values or {}, {}, 200)


async def submit(
    page: Visit,
    save: Callable[[], Awaitable[T]],
    *,
    template: str,
    context: FormContext,
    then: Callable[[T], str],
) -> Response:
    """Save a posted form; on a refusal show the form again with its errors by field.

    ``context(page, values, errors)`` builds the template's context from what was typed
    and the messages; ``then(result)`` is where to go (303) once the use case stored it.
    """
    assert page.form is not None
    try:
        result = await save()
    except REFUSALS as error:
        values, errors = _forms.values(page.form), field_errors(error)
        return await _form_page(page, template, context, values, errors, 400)
    return RedirectResponse(then(result), status_code=303)


def add_patient_form(
    router: APIRouter,
    path: str,
    *,
    name: str,
    action: str,
    template: str,
    context: FormContext,
    schema: type[Any],
    payload: Callable[[FormData], Any],
    use_case: Callable[..., Any],
    then: Callable[[int, Any], str],
    unavailable: str | None = None,
) -> None:
    """Add the two routes of a form about one patient at ``path`` (with ``{patient_id}``).

    GET shows the empty form; POST validates ``payload(form)`` with ``schema``, stores it
    with ``use_case(db, actor, patient_id, data)`` and redirects to
    ``then(patient_id, stored)``, or shows the form again with the refusals next to their
    fields. Both need the role to ``action``. ``unavailable`` names the clinical function
    (e.g. ``"Screening"``) whose absence from this build is answered with a 503 page.
    """

    async def form_page(request: Request, patient_id: int) -> Response:
        page = await visit(request, action, patient_id=patient_id)
        return await show(page, template, context)

    async def form_post(request: Request, patient_id: int) -> Response:
        page = await visit(request, action, patient_id=patient_id, posted=True)
        try:
            return await submit(
                page,
                page.storing(schema, payload, use_case),
                template=template,
                context=context,
                then=lambda stored: then(patient_id, stored),
            )
        except clinical.ClinicalUnavailable as error:
            what = unavailable or "This function"
            raise PageError(503, f"{what} is not available on this server: {error}") from None

    for method, endpoint in (("GET", form_page), ("POST", form_post)):
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=f"{name}_{method.lower()}",
            response_class=HTMLResponse,
            include_in_schema=False,
        )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a template; the request, user and CSRF token are always in the context."""
    full = {"request": request, **context}
    return TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)


def safe_next(target: str | None) -> str:
    """A local redirect target (a path on this site), or ``/patients``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/patients"


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_url, safe='/')}", status_code=303)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def install_error_pages(app: FastAPI) -> None:
    """Answer :class:`LoginRequired` with a redirect and :class:`PageError` with a page."""

    async def _login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(exc.next_url)

    async def _error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.message},
            status_code=exc.status_code,
        )

    async def _one_time(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PasswordChangeFirst)
        return RedirectResponse(f"{PASSWORD_PAGE}?first=1", status_code=303)

    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(PasswordChangeFirst, _one_time)
    app.add_exception_handler(PageError, _error)
