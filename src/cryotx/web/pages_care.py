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
    Visit,
    add_patient_form,
    call,
    call_write,
    check_id,
    field_errors,
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


async def _sessions(page: Visit) -> list[tuple[str, str]]:
    """The patient's sessions as select options (newest first)."""
    if not page.user.can("sessions.read"):
        return []
    found = await call(
        records.list_sessions, page.db, page.actor, page.patient.id, limit=50, offset=0
    )
    return [
        (str(s.id), f"{s.started_at:%Y-%m-%d %H:%M} · {s.modality.replace('_', ' ')} · {s.site}")
        for s in found.items
    ]


# --------------------------------------------------------------------------- sessions


async def _session_context(
    page: Visit, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    plans: list[tuple[str, str]] = []
    if page.user.can("plans.read"):
        found = await call(
            clinical.list_plans, page.db, page.actor, page.patient.id, limit=50, offset=0
        )
        plans = [
            (str(p.id), f"{p.created_at:%Y-%m-%d} · {p.condition.replace('_', ' ')} · {p.site}")
            for p in found.items
        ]
    return {
        "user": page.user,
        "patient": page.patient,
        "values": values,
        "errors": errors,
        "plans": plans,
        "modalities": _forms.vocabulary_options("modality"),
        "sites": _forms.vocabulary_options("site"),
    }


add_patient_form(
    router,
    "/patients/{patient_id}/sessions/new",
    name="session",
    action="sessions.write",
    template="session_new.html",
    context=_session_context,
    schema=SessionCreate,
    payload=_forms.session_payload,
    use_case=records.start_session,
    then=lambda patient_id, _: f"/patients/{patient_id}#sessions",
)


@router.post("/patients/{patient_id}/sessions/{session_id}/end", response_class=HTMLResponse)
async def session_end(request: Request, patient_id: int, session_id: int) -> Response:
    page = await visit(request, "sessions.write", posted=True)
    assert page.form is not None
    try:
        data = SessionEnd.model_validate({"end_reason": _forms.text(page.form, "end_reason")})
        await call_write(
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
    page: Visit, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": page.user,
        "patient": page.patient,
        "values": values,
        "errors": errors,
        "instruments": _INSTRUMENTS,
        "sessions": await _sessions(page),
    }


add_patient_form(
    router,
    "/patients/{patient_id}/outcomes/new",
    name="outcome",
    action="instruments.write",
    template="outcome_new.html",
    context=_outcome_context,
    schema=InstrumentCreate,
    payload=_forms.outcome_payload,
    use_case=records.add_instrument_response,
    then=lambda patient_id, _: f"/patients/{patient_id}#outcomes",
)


# --------------------------------------------------------------------------- adverse events


async def _event_context(
    page: Visit, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "user": page.user,
        "patient": page.patient,
        "values": values,
        "errors": errors,
        "kinds": _AE_KINDS,
        "severities": _SEVERITIES,
        "outcomes": _AE_OUTCOMES,
        "sessions": await _sessions(page),
        "now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
    }


add_patient_form(
    router,
    "/patients/{patient_id}/adverse-events/new",
    name="adverse_event",
    action="adverse_events.write",
    template="adverse_event_new.html",
    context=_event_context,
    schema=AdverseEventCreate,
    payload=_forms.adverse_event_payload,
    use_case=records.add_adverse_event,
    then=lambda patient_id, _: f"/patients/{patient_id}#adverse-events",
)
