"""Page handlers for the course of care: sessions, outcome scores and adverse events.

An operator starts and ends sessions and records the adverse events they witness; a
clinician records outcome scores (pain, disability, flexibility) and adverse events. The
forms post to the same use cases as the REST API (:mod:`cryotx.services.records`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cryotx.services import clinical, records
from cryotx.services.schemas import (
    AdverseEventCreate,
    EndReason,
    Instrument,
    InstrumentCreate,
    SessionCreate,
    SessionEnd,
)
from cryotx.web import _forms
from cryotx.web._common import (
    REFUSALS,
    PageError,
    PageUser,
    call,
    check_id,
    field_errors,
    render,
    submit,
    visit,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_END_REASONS = [(code, code.replace("_", " ")) for code in get_args(EndReason)]
_INSTRUMENTS = [(code, code.replace("_", " ")) for code in get_args(Instrument)]
_AE_KINDS = [
    (code, code.replace("_", " "))
    for code in get_args(AdverseEventCreate.model_fields["kind"].annotation)
]
_SEVERITIES = [("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")]
_AE_OUTCOMES = [
    ("resolved", "Resolved"),
    ("resolving", "Resolving"),
    ("not_resolved", "Not resolved"),
    ("unknown", "Unknown"),
]


async def _sessions(request: Request, user: PageUser, patient_id: int) -> list[tuple[str, str]]:
    """The patient's sessions as select options (newest first)."""
    if not user.can("sessions.read"):
        return []
    page = await call(
        records.list_sessions, request.app.state.db, user.actor, patient_id, limit=50, offset=0
    )
    return [
        (str(s.id), f"{s.started_at:%Y-%m-%d %H:%M} · {s.modality.replace('_', ' ')} · {s.site}")
        for s in page.items
    ]


# --------------------------------------------------------------------------- sessions


async def _session_context(
    request: Request, user: PageUser, patient: Any, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    plans: list[tuple[str, str]] = []
    if user.can("plans.read"):
        page = await call(
            clinical.list_plans, request.app.state.db, user.actor, patient.id, limit=50, offset=0
        )
        plans = [
            (str(p.id), f"{p.created_at:%Y-%m-%d} · {p.condition.replace('_', ' ')} · {p.site}")
            for p in page.items
        ]
    return {
        "user": user,
        "patient": patient,
        "values": values,
        "errors": errors,
        "plans": plans,
        "modalities": _forms.vocabulary_options("modality"),
        "sites": _forms.vocabulary_options("site"),
    }


@router.get("/patients/{patient_id}/sessions/new", response_class=HTMLResponse)
async def session_form(request: Request, patient_id: int) -> Response:
    page = await visit(request, "sessions.write", patient_id=patient_id)
    context = await _session_context(request, page.user, page.patient, {}, {})
    return render(request, "session_new.html", context)


@router.post("/patients/{patient_id}/sessions/new", response_class=HTMLResponse)
async def session_submit(request: Request, patient_id: int) -> Response:
    page = await visit(request, "sessions.write", patient_id=patient_id, posted=True)
    return await submit(
        page,
        page.storing(SessionCreate, _forms.session_payload, records.start_session),
        template="session_new.html",
        context=lambda values, errors: _session_context(
            request, page.user, page.patient, values, errors
        ),
        then=lambda _: f"/patients/{patient_id}#sessions",
    )


@router.post("/patients/{patient_id}/sessions/{session_id}/end", response_class=HTMLResponse)
async def session_end(request: Request, patient_id: int, session_id: int) -> Response:
    page = await visit(request, "sessions.write", posted=True)
    assert page.form is not None
    try:
        data = SessionEnd.model_validate({"end_reason": _forms.text(page.form, "end_reason")})
        await call(
            records.end_session,
            page.db,
            page.actor,
            check_id(patient_id),
            check_id(session_id),
            data,
        )
    except REFUSALS as error:
        message = "; ".join(field_errors(error).values())
        raise PageError(400, f"The session was not ended: {message}") from None
    return RedirectResponse(f"/patients/{patient_id}#sessions", status_code=303)


def end_reasons() -> list[tuple[str, str]]:
    """Options of the end-of-session form on the record page."""
    return _END_REASONS


# --------------------------------------------------------------------------- outcomes


async def _outcome_context(
    request: Request, user: PageUser, patient: Any, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": user,
        "patient": patient,
        "values": values,
        "errors": errors,
        "instruments": _INSTRUMENTS,
        "sessions": await _sessions(request, user, patient.id),
    }


@router.get("/patients/{patient_id}/outcomes/new", response_class=HTMLResponse)
async def outcome_form(request: Request, patient_id: int) -> Response:
    page = await visit(request, "instruments.write", patient_id=patient_id)
    context = await _outcome_context(request, page.user, page.patient, {}, {})
    return render(request, "outcome_new.html", context)


@router.post("/patients/{patient_id}/outcomes/new", response_class=HTMLResponse)
async def outcome_submit(request: Request, patient_id: int) -> Response:
    page = await visit(request, "instruments.write", patient_id=patient_id, posted=True)
    return await submit(
        page,
        page.storing(InstrumentCreate, _forms.outcome_payload, records.add_instrument_response),
        template="outcome_new.html",
        context=lambda values, errors: _outcome_context(
            request, page.user, page.patient, values, errors
        ),
        then=lambda _: f"/patients/{patient_id}#outcomes",
    )


# --------------------------------------------------------------------------- adverse events


async def _event_context(
    request: Request, user: PageUser, patient: Any, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": user,
        "patient": patient,
        "values": values,
        "errors": errors,
        "kinds": _AE_KINDS,
        "severities": _SEVERITIES,
        "outcomes": _AE_OUTCOMES,
        "sessions": await _sessions(request, user, patient.id),
        "now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
    }


@router.get("/patients/{patient_id}/adverse-events/new", response_class=HTMLResponse)
async def adverse_event_form(request: Request, patient_id: int) -> Response:
    page = await visit(request, "adverse_events.write", patient_id=patient_id)
    context = await _event_context(request, page.user, page.patient, {}, {})
    return render(request, "adverse_event_new.html", context)


@router.post("/patients/{patient_id}/adverse-events/new", response_class=HTMLResponse)
async def adverse_event_submit(request: Request, patient_id: int) -> Response:
    page = await visit(request, "adverse_events.write", patient_id=patient_id, posted=True)
    return await submit(
        page,
        page.storing(AdverseEventCreate, _forms.adverse_event_payload, records.add_adverse_event),
        template="adverse_event_new.html",
        context=lambda values, errors: _event_context(
            request, page.user, page.patient, values, errors
        ),
        then=lambda _: f"/patients/{patient_id}#adverse-events",
    )
