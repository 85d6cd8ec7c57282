"""Page handlers: login, patient list, patient record, and the intake/vitals/screening forms.

Every handler authenticates through the session cookie (:func:`page_user`); every form
carries the CSRF token and every post checks it. Handlers call the use cases of
:mod:`cryotx.services` in the thread pool; they hold no SQL. A role sees only what its
work needs: an operator gets no screening or planning form, an admin no clinical data.
"""

from __future__ import annotations

import functools
import hmac
import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cryotx.errors import InputError
from cryotx.services import auth, clinical, fhir, records
from cryotx.services._common import PermissionDenied
from cryotx.services.dispatch import run_write
from cryotx.services.schemas import (
    PatientCreate,
    PatientUpdate,
    PlanRequest,
    ScreeningRequest,
    VitalCreate,
)
from cryotx.web import _forms
from cryotx.web._common import (
    LOGIN_CSRF_COOKIE,
    REFUSALS,
    PageError,
    Visit,
    add_patient_form,
    call,
    call_write,
    check_id,
    database,
    field_errors,
    need,
    new_login_csrf,
    page_user,
    render,
    safe_next,
    show,
    submit,
    visit,
)
from cryotx.web.pages_care import end_reasons
from cryotx.web.plots import pain_trend_png

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
_MAX_USERNAME = 64  # the API's LoginRequest limits
_MAX_PASSWORD = 256
_DETAIL_LIMIT = 50  # rows per section on the patient page (newest first)
_OUTCOME_LIMIT = 200  # outcome scores shown and plotted (the newest)
NOTICE = (
    "Decision support for trained staff: CryoTx applies published rules and cannot see the "
    "patient. A clinician checks every decision and remains responsible for it."
)


# --------------------------------------------------------------------------- login


@router.get("/", response_class=HTMLResponse)
async def home() -> Response:
    return RedirectResponse("/patients", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    token = new_login_csrf()
    response = render(request, "login.html", {"next": safe_next(next), "login_csrf": token})
    _set_login_csrf(request, response, token)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username = _forms.text(form, "username")
    raw_password = form.get("password")
    password = raw_password if isinstance(raw_password, str) else ""  # not stripped
    target = safe_next(_forms.text(form, "next"))
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    submitted = _forms.text(form, auth.CSRF_FIELD)
    if (
        not cookie_token
        or not submitted
        or not hmac.compare_digest(cookie_token.encode(), submitted.encode())
    ):
        raise PageError(
            403,
            "The login form was refused: its security token is missing or "
            "out of date. Reload the login page and try again.",
        )
    settings = request.app.state.settings
    client = request.client.host if request.client else "unknown"
    status, error = 200, None
    if len(username) > _MAX_USERNAME or len(password) > _MAX_PASSWORD:
        # As the API does: never hash an oversized password (argon2 cost grows with it).
        username, password = username[:_MAX_USERNAME], ""
    try:
        result = await run_in_threadpool(
            auth.login,
            database(request),
            username,
            password,
            ttl_s=settings.token_ttl_s,
            limiter=request.app.state.login_limiter,
            client=client,
        )
    except PermissionDenied as refused:
        result, status, error = None, 429, f"{refused}."
    if result is None:
        if error is None:
            status, error = 401, "Wrong user name or password."
        token = new_login_csrf()
        page = render(
            request,
            "login.html",
            {"next": target, "login_csrf": token, "error": error, "username": username},
            status_code=status,
        )
        _set_login_csrf(request, page, token)
        return page
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        result.access_token,
        max_age=settings.token_ttl_s,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _set_login_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
        path="/login",
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    user = await page_user(request, form)
    await run_write(auth.logout, database(request), user.session_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --------------------------------------------------------------------------- patients


@router.get("/patients", response_class=HTMLResponse)
async def patient_list(
    request: Request,
    q: str = "",
    page: str = "1",
) -> Response:
    user = await page_user(request)
    if not user.can("patients.read"):
        return render(request, "admin_home.html", {"user": user})
    # A hand-edited address gets the nearest sensible page, not an error.
    query = q.strip()[:64]
    number = min(max(int(page), 1), 100_000) if page.isdigit() else 1
    db = database(request)

    async def window(number: int) -> Any:
        return await call(
            records.list_patients,
            db,
            user.actor,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
            family_name=query or None,
        )

    result = await window(number)
    pages = max(1, -(-result.total // PAGE_SIZE))
    if number > pages:  # past the end: show the last page
        number = pages
        result = await window(number)
    today = datetime.now(UTC).date()
    rows = [{"patient": p, "age_y": _age(p.birth_date, today)} for p in result.items]
    return render(
        request,
        "patients.html",
        {
            "user": user,
            "rows": rows,
            "q": query,
            "page": number,
            "pages": pages,
            "total": result.total,
        },
    )


@router.get("/patients/new", response_class=HTMLResponse)
async def patient_new_form(request: Request) -> Response:
    page = await visit(request, "patients.write")
    return await show(page, "patient_form.html", _patient_form_context)


@router.post("/patients/new", response_class=HTMLResponse)
async def patient_new_submit(request: Request) -> Response:
    page = await visit(request, "patients.write", posted=True)
    return await submit(
        page,
        page.storing(PatientCreate, _forms.patient_payload, records.create_patient),
        template="patient_form.html",
        context=_patient_form_context,
        then=lambda patient: f"/patients/{patient.id}",
    )


@router.get("/patients/import", response_class=HTMLResponse)
async def patient_import_form(request: Request) -> Response:
    page = await visit(request, "fhir.import")
    return render(request, "patient_import.html", {"user": page.user, "values": {}, "errors": {}})


@router.post("/patients/import", response_class=HTMLResponse)
async def patient_import_submit(request: Request) -> Response:
    form = await request.form()
    user = await page_user(request, form)
    need(user, "fhir.import")
    text = _forms.text(form, "resource")
    try:
        try:
            resource = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                "resource", f"not valid JSON ({error.msg}, line {error.lineno})"
            ) from None
        patient = await call_write(
            fhir.import_fhir_patient, database(request), user.actor, resource
        )
    except REFUSALS as error:
        errors = field_errors(error)
        if not isinstance(error, ValidationError) and "resource" not in errors:
            errors = {"resource": "; ".join(f"{k}: {v}" for k, v in errors.items())}
        return render(
            request,
            "patient_import.html",
            {"user": user, "values": {"resource": text}, "errors": errors},
            status_code=400,
        )
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/patients/{patient_id}/edit", response_class=HTMLResponse)
async def patient_edit_form(request: Request, patient_id: int) -> Response:
    page = await visit(request, "patients.write", patient_id=patient_id)
    values = _forms.patient_values(page.patient)
    return await show(page, "patient_form.html", _patient_form_context, values=values)


@router.post("/patients/{patient_id}/edit", response_class=HTMLResponse)
async def patient_edit_submit(request: Request, patient_id: int) -> Response:
    page = await visit(request, "patients.write", patient_id=patient_id, posted=True)
    events = page.patient.events
    payload = functools.partial(_forms.patient_edit_payload, events=events)
    return await submit(
        page,
        page.storing(PatientUpdate, payload, records.update_patient),
        template="patient_form.html",
        context=_patient_form_context,
        then=lambda _: f"/patients/{patient_id}",
    )


def _patient_form_context(
    page: Visit, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    patient = page.patient
    editing = patient is not None
    return {
        "user": page.user,
        "patient": patient,
        "title": f"Edit {patient.family_name}, {patient.given_name}" if editing else "New patient",
        "action": f"/patients/{patient.id}/edit" if editing else "/patients/new",
        "submit": "Save changes" if editing else "Save patient",
        "existing_fat": sorted(patient.fat_mm.items()) if editing else [],
        "existing_events": patient.events if editing else [],
        "values": values,
        "errors": errors,
        "indications": _forms.vocabulary_options("indication"),
        "conditions": _forms.vocabulary_options("condition"),
        "medications": _forms.vocabulary_options("medication"),
        "events": _forms.vocabulary_options("event"),
        "sites": _forms.vocabulary_options("site"),
    }


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
async def patient_detail(request: Request, patient_id: int) -> Response:
    page = await visit(request, "patients.read", patient_id=patient_id)
    user, db, actor, patient = page.user, page.db, page.actor, page.patient
    window = {"limit": _DETAIL_LIMIT, "offset": 0}
    context: dict[str, Any] = {
        "user": user,
        "patient": patient,
        "age_y": _age(patient.birth_date, datetime.now(UTC).date()),
        "notice": NOTICE,
        "end_reasons": end_reasons(),
    }
    if user.can("vitals.read"):
        context["vitals"] = await call(records.list_vitals, db, actor, patient_id, **window)
    if user.can("screenings.read"):
        context["screenings"] = await call(
            clinical.list_screenings, db, actor, patient_id, **window
        )
    if user.can("plans.read"):
        context["plans"] = await call(clinical.list_plans, db, actor, patient_id, **window)
    if user.can("sessions.read"):
        context["sessions"] = await call(records.list_sessions, db, actor, patient_id, **window)
    if user.can("instruments.read"):
        outcomes = await _newest(
            records.list_instrument_responses, db, actor, patient_id, limit=_OUTCOME_LIMIT
        )
        context["outcomes"] = outcomes
        pain = [r for r in outcomes.items if r.instrument in ("pain_nrs", "pain_vas")]
        context["pain"] = sorted(pain, key=lambda r: r.measured_at)
        context["pain_plot"] = await run_in_threadpool(pain_trend_png, context["pain"])
    if user.can("adverse_events.read"):
        context["adverse_events"] = await _newest(
            records.list_adverse_events, db, actor, patient_id, limit=_DETAIL_LIMIT
        )
    return render(request, "patient.html", context)


async def _newest(lister: Any, db: Any, actor: Any, patient_id: int, *, limit: int) -> Any:
    """The newest ``limit`` rows of a use case that lists oldest first (count, then window)."""
    count = await call(lister, db, actor, patient_id, limit=1, offset=0)
    return await call(
        lister, db, actor, patient_id, limit=limit, offset=max(count.total - limit, 0)
    )


# --------------------------------------------------------------------------- vitals


def _vitals_context(page: Visit, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"user": page.user, "patient": page.patient, "values": values, "errors": errors}


add_patient_form(
    router,
    "/patients/{patient_id}/vitals/new",
    name="vitals",
    action="vitals.write",
    template="vitals_new.html",
    context=_vitals_context,
    schema=VitalCreate,
    payload=_forms.vitals_payload,
    use_case=records.add_vitals,
    then=lambda patient_id, _: f"/patients/{patient_id}#vitals",
)


# --------------------------------------------------------------------------- screening


def _screening_context(
    page: Visit, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": page.user,
        "patient": page.patient,
        "values": values,
        "errors": errors,
        "modalities": _forms.vocabulary_options("modality"),
        "sites": _forms.vocabulary_options("site"),
        "checks": _forms.SESSION_CHECKS,
        "today": datetime.now(UTC).date().isoformat(),
        "notice": NOTICE,
    }


# Registered before the result page: "new" must not be read as a screening id.
add_patient_form(
    router,
    "/patients/{patient_id}/screenings/new",
    name="screening",
    action="screenings.write",
    template="screening_new.html",
    context=_screening_context,
    schema=ScreeningRequest,
    payload=_forms.screening_payload,
    use_case=clinical.screen_patient,
    then=lambda patient_id, stored: f"/patients/{patient_id}/screenings/{stored.id}",
    unavailable="Screening",
)


@router.get("/patients/{patient_id}/screenings/{screening_id}", response_class=HTMLResponse)
async def screening_result(request: Request, patient_id: int, screening_id: int) -> Response:
    page = await visit(request, "screenings.read", patient_id=patient_id)
    screening = await call(
        clinical.get_screening, page.db, page.actor, patient_id, check_id(screening_id)
    )
    return render(
        request,
        "screening.html",
        {"user": page.user, "patient": page.patient, "screening": screening, "notice": NOTICE},
    )


# --------------------------------------------------------------------------- planning


def _plan_context(page: Visit, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The screening form's context and the indications (a plan screens first)."""
    context = _screening_context(page, values, errors)
    context["indications"] = _forms.vocabulary_options("indication")
    return context


add_patient_form(
    router,
    "/patients/{patient_id}/plans/new",
    name="plan",
    action="plans.write",
    template="plan_new.html",
    context=_plan_context,
    schema=PlanRequest,
    payload=_forms.plan_payload,
    use_case=clinical.plan_patient,
    then=lambda patient_id, stored: f"/patients/{patient_id}/plans/{stored.id}",
    unavailable="Planning",
)


@router.get("/patients/{patient_id}/plans/{plan_id}", response_class=HTMLResponse)
async def plan_result(request: Request, patient_id: int, plan_id: int) -> Response:
    page = await visit(request, "plans.read", patient_id=patient_id)
    plan = await call(clinical.get_plan, page.db, page.actor, patient_id, check_id(plan_id))
    context = {"user": page.user, "patient": page.patient, "plan": plan, "notice": NOTICE}
    return render(request, "plan.html", context)


# --------------------------------------------------------------------------- helpers


def _age(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - int((today.month, today.day) < (birth_date.month, birth_date.day))
    )
