"""Sessions, outcome scores and adverse events through the pages."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from web_client import CLINICIAN, log_in, make_patient, post_form

from cryotx.services import records
from cryotx.store.db import Database


def new_patient(db: Database) -> int:
    return make_patient(
        db,
        "Berg",
        given_name="Ola",
        sex="male",
        birth_date=date(1970, 1, 2),
        conditions=("low_back_pain",),
    )


def test_operator_starts_and_ends_a_session(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = new_patient(db)
    csrf = log_in(client, "operator1")
    record = client.get(f"/patients/{patient_id}").text
    assert f"/patients/{patient_id}/sessions/new" in record
    assert "/outcomes/new" not in record  # operators do not record outcome scores
    started = post_form(
        client,
        f"/patients/{patient_id}/sessions/new",
        csrf,
        device="Cold-air unit 2",
        modality="cold_air",
        site="lumbar",
        agent_temp_c="-30",
        exposure_s="240",
    )
    assert started.status_code == 303, started.text
    (session,) = records.list_sessions(db, CLINICIAN, patient_id, limit=5, offset=0).items
    assert session.settings == {"agent_temp_c": -30.0, "exposure_s": 240.0}
    assert session.ended_at is None
    record = client.get(f"/patients/{patient_id}").text
    assert f"/sessions/{session.id}/end" in record and "running" in record
    ended = post_form(
        client,
        f"/patients/{patient_id}/sessions/{session.id}/end",
        csrf,
        end_reason="patient_request",
    )
    assert ended.status_code == 303
    (session,) = records.list_sessions(db, CLINICIAN, patient_id, limit=5, offset=0).items
    assert session.end_reason == "patient_request"
    again = client.post(
        f"/patients/{patient_id}/sessions/{session.id}/end",
        data={"csrf_token": csrf, "end_reason": "completed"},
    )
    assert again.status_code == 400 and "already ended" in again.text


def test_session_form_refuses_bad_input(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = new_patient(db)
    csrf = log_in(client, "operator1")
    response = client.post(
        f"/patients/{patient_id}/sessions/new",
        data={
            "csrf_token": csrf,
            "device": "",
            "modality": "cold_air",
            "site": "lumbar",
            "agent_temp_c": "cold",
        },
    )
    assert response.status_code == 400
    assert 'id="e-agent_temp_c"' in response.text
    assert records.list_sessions(db, CLINICIAN, patient_id, limit=5, offset=0).total == 0
    no_token = client.post(
        f"/patients/{patient_id}/sessions/new",
        data={"device": "x", "modality": "cold_air", "site": "lumbar"},
    )
    assert no_token.status_code == 403


def test_clinician_records_pain_and_it_is_plotted(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = new_patient(db)
    csrf = log_in(client, "clinician1")
    for day, score in ((1, "7"), (8, "5"), (15, "3")):
        response = post_form(
            client,
            f"/patients/{patient_id}/outcomes/new",
            csrf,
            instrument="pain_nrs",
            score=score,
            measured_at=f"2026-11-{day:02d}T09:00",
        )
        assert response.status_code == 303, response.text
    out_of_range = client.post(
        f"/patients/{patient_id}/outcomes/new",
        data={"csrf_token": csrf, "instrument": "pain_nrs", "score": "11"},
    )
    assert out_of_range.status_code == 400
    assert 'id="e-score"' in out_of_range.text
    record = client.get(f"/patients/{patient_id}").text
    assert "Pain trend (3 ratings)" in record
    assert 'src="data:image/png;base64,' in record


def test_operator_reports_an_adverse_event(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = new_patient(db)
    csrf = log_in(client, "operator1")
    assert client.get(f"/patients/{patient_id}/outcomes/new").status_code == 403
    response = post_form(
        client,
        f"/patients/{patient_id}/adverse-events/new",
        csrf,
        kind="numbness",
        severity="mild",
        onset_at="2026-11-20T10:20",
        description="numb lower back for 15 min",
        outcome="resolved",
    )
    assert response.status_code == 303, response.text
    (event,) = records.list_adverse_events(db, CLINICIAN, patient_id, limit=5, offset=0).items
    assert (event.kind, event.severity, event.serious) == ("numbness", "mild", False)
    assert "numb lower back for 15 min" in client.get(f"/patients/{patient_id}").text
    bad = client.post(
        f"/patients/{patient_id}/adverse-events/new",
        data={"csrf_token": csrf, "kind": "explosion", "severity": "mild"},
    )
    assert bad.status_code == 400 and 'id="e-kind"' in bad.text


def test_record_shows_the_newest_adverse_events(app_db: tuple[TestClient, Database]) -> None:
    from datetime import UTC, datetime, timedelta

    from cryotx.services.schemas import AdverseEventCreate

    client, db = app_db
    patient_id = new_patient(db)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(55):
        records.add_adverse_event(
            db,
            CLINICIAN,
            patient_id,
            AdverseEventCreate(
                kind="soreness",
                severity="mild",
                description=f"note-{day:02d}",
                onset_at=start + timedelta(days=day),
            ),
        )
    log_in(client, "clinician1")
    page = client.get(f"/patients/{patient_id}").text
    assert "note-54" in page and "note-05" in page
    assert "note-04" not in page  # the five oldest are left out
    assert "Newest 50 of 55." in page
