"""Clinician pages through the real application (create_app) on a temporary SQLite file."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from web_client import CLINICIAN, PASSWORD, SYSTEM, csrf_of, log_in, main_text, make_patient

from cryotx.services import auth, records
from cryotx.services._common import Actor
from cryotx.services.schemas import InstrumentCreate, PatientCreate
from cryotx.store.db import Database


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/patients", "/patients/new", "/patients/1", "/patients/1/vitals/new"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_login_wrong_password_and_login_csrf(client: TestClient) -> None:
    form = client.get("/login")
    token = csrf_of(form.text)
    wrong = client.post(
        "/login", data={"username": "clinician1", "password": "nope-nope-nope", "csrf_token": token}
    )
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text
    no_token = client.post("/login", data={"username": "clinician1", "password": PASSWORD})
    assert no_token.status_code == 403
    assert auth.SESSION_COOKIE not in client.cookies


def test_login_rate_limit_shows_a_page(client: TestClient) -> None:
    for _ in range(3):
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login", data={"username": "operator1", "password": "x" * 12, "csrf_token": token}
        )
    token = csrf_of(client.get("/login").text)
    blocked = client.post(
        "/login", data={"username": "operator1", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "too many failed logins" in blocked.text


def test_open_redirect_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "clinician1",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/patients"


def test_new_patient_vitals_and_screening_flow(client: TestClient) -> None:
    csrf = log_in(client, "clinician1")
    created = client.post(
        "/patients/new",
        data={
            "csrf_token": csrf,
            "given_name": "Ana",
            "family_name": "Novak",
            "sex": "female",
            "birth_date": "1968-03-01",
            "height_cm": "164",
            "mass_kg": "71",
            "fat_site": "knee",
            "fat_mm": "11",
            "conditions": ["knee_osteoarthritis", "hypertension"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    patient_url = created.headers["location"]
    vitals = client.post(
        f"{patient_url}/vitals/new",
        data={
            "csrf_token": csrf,
            "systolic_mmhg": "148",
            "diastolic_mmhg": "88",
            "heart_rate_bpm": "74",
            "body_temp_c": "36,7",
        },
        follow_redirects=False,
    )
    assert vitals.status_code == 303
    record = main_text(client.get(patient_url).text)
    assert "164 cm" in record and "Knee 11 mm" in record
    assert "148/88" in record and "36.7" in record
    screened = client.post(
        f"{patient_url}/screenings/new",
        data={
            "csrf_token": csrf,
            "modality": "wbc_chamber",
            "check_skin_dry": "yes",
            "check_consent_signed": "yes",
        },
        follow_redirects=False,
    )
    assert screened.status_code == 303
    result = client.get(screened.headers["location"])
    text = main_text(result.text)
    assert "Decision support for trained staff" in text
    decision = re.search(r'class="decision decision-([a-z_]+)"', result.text)
    assert decision is not None
    assert decision.group(1) in {"eligible", "eligible_with_precautions", "refer", "excluded"}
    # Hypertension is on the record: the reasons say so and name a source.
    assert "Hypertension" in text
    assert re.search(r'<td class="source">.*?https?://', result.text, re.S)
    # The screening is listed on the record with its decision.
    assert decision.group(1).replace("_", " ") in main_text(client.get(patient_url).text)


def test_form_post_without_csrf_token_is_refused(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db)
    log_in(client, "operator1")
    response = client.post(f"/patients/{patient_id}/vitals/new", data={"heart_rate_bpm": "70"})
    assert response.status_code == 403
    assert "security token" in response.text
    forged = client.post(
        f"/patients/{patient_id}/vitals/new", data={"heart_rate_bpm": "70", "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403
    listed = records.list_vitals(
        db, Actor(2, "clinician1", "clinician"), patient_id, limit=5, offset=0
    )
    assert listed.total == 0


def test_bad_input_is_shown_next_to_the_field(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    csrf = log_in(client, "clinician1")
    ana = {"csrf_token": csrf, "given_name": "Ana", "family_name": "Novak", "sex": "female"}
    response = client.post("/patients/new", data={**ana, "birth_date": "1968-02-31"})
    assert response.status_code == 400
    assert 'id="e-birth_date"' in response.text
    assert 'value="Novak"' in response.text  # the form keeps what was typed
    assert records.list_patients(db, Actor(2, "c", "clinician"), limit=5, offset=0).total == 0
    fat = client.post("/patients/new", data={**ana, "birth_date": "1968-02-01", "fat_mm": "12"})
    assert fat.status_code == 400
    assert 'id="e-fat_site"' in fat.text
    for percent in ("1", "85"):
        body_fat = client.post(
            "/patients/new", data={**ana, "birth_date": "1968-02-01", "body_fat_percent": percent}
        )
        assert body_fat.status_code == 400
        assert 'id="e-body_fat_percent"' in body_fat.text
        assert f'value="{percent}"' in body_fat.text  # kept for correction
    assert records.list_patients(db, Actor(2, "c", "clinician"), limit=5, offset=0).total == 0
    patient_id = make_patient(db)
    vitals = client.post(
        f"/patients/{patient_id}/vitals/new",
        data={"csrf_token": csrf, "systolic_mmhg": "400", "diastolic_mmhg": "80"},
    )
    assert vitals.status_code == 400
    assert 'id="e-systolic_mmhg"' in vitals.text


def test_operator_sees_no_screening_or_planning_form(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db)
    log_in(client, "operator1")
    record = client.get(f"/patients/{patient_id}")
    assert record.status_code == 200
    assert "Record vital signs" in record.text
    assert "/screenings/new" not in record.text
    assert "/plans/new" not in record.text
    assert 'id="screenings"' not in record.text  # operators do not read screenings
    for path in ("screenings/new", "plans/new"):
        assert client.get(f"/patients/{patient_id}/{path}").status_code == 403
    assert client.get("/patients/new").status_code == 403


def test_admin_sees_no_clinical_data(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db, "Hidden")
    log_in(client, "admin1")
    listing = client.get("/patients")
    assert "Hidden" not in listing.text
    assert "Administrators manage accounts" in listing.text
    assert client.get(f"/patients/{patient_id}").status_code == 403


def test_patient_list_search_and_pagination(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    for index in range(23):
        make_patient(db, f"Family{index:02d}")
    make_patient(db, "Zeta")
    log_in(client, "clinician1")
    first = client.get("/patients")
    assert "24 patients" in first.text and "Page 1 of 2" in first.text
    second = client.get("/patients?page=2")
    assert second.text.count('<th scope="row">') == 4
    past_the_end = client.get("/patients?page=99")
    assert "Page 2 of 2" in past_the_end.text
    assert past_the_end.text.count('<th scope="row">') == 4
    found = client.get("/patients?q=zet")
    assert "1 patient " in main_text(found.text) and "Zeta" in found.text
    assert "Family00" not in found.text


def test_missing_patient_is_a_404_page(client: TestClient) -> None:
    log_in(client, "clinician1")
    response = client.get("/patients/999")
    assert response.status_code == 404
    assert "Not found" in response.text


def test_names_are_escaped(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db, "<script>alert(1)</script>")
    log_in(client, "clinician1")
    page = client.get(f"/patients/{patient_id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_pain_trend_plot_on_the_record(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db)
    clinician = CLINICIAN
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for day, score in enumerate([7, 6, 6, 4, 3]):
        records.add_instrument_response(
            db,
            clinician,
            patient_id,
            InstrumentCreate(
                instrument="pain_nrs", score=score, measured_at=start + timedelta(days=day)
            ),
        )
    log_in(client, "clinician1")
    page = client.get(f"/patients/{patient_id}").text
    match = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert match, "the record shows the pain plot"
    png = base64.b64decode(match.group(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "Pain trend (5 ratings)" in page


def test_logout_ends_the_session(client: TestClient) -> None:
    csrf = log_in(client, "clinician1")
    assert client.post("/logout", data={}).status_code == 403  # no token: refused
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_security_headers_on_pages(client: TestClient) -> None:
    page = client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    css = client.get("/static/cryotx.css")
    assert css.status_code == 200 and "--accent" in css.text


def test_planning_form_and_plan_page(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db)
    csrf = log_in(client, "clinician1")
    planned = client.post(
        f"/patients/{patient_id}/plans/new",
        data={
            "csrf_token": csrf,
            "condition": "knee_osteoarthritis",
            "site": "knee",
            "check_skin_dry": "yes",
        },
        follow_redirects=False,
    )
    assert planned.status_code == 303, planned.text
    plan_page = main_text(client.get(planned.headers["location"]).text)
    assert "Decision support for trained staff" in plan_page
    assert "Protocol" in plan_page and "Dose" in plan_page
    assert "Knee osteoarthritis" in plan_page
    bad = client.post(
        f"/patients/{patient_id}/plans/new",
        data={"csrf_token": csrf, "condition": "knee_osteoarthritis", "site": "moon"},
    )
    assert bad.status_code == 400
    assert 'id="e-site"' in bad.text
    # Operators read plans (to deliver them) but get no planning form.
    client.cookies.clear()
    log_in(client, "operator1")
    assert client.get(planned.headers["location"]).status_code == 200
    assert client.get(f"/patients/{patient_id}/plans/new").status_code == 403


def test_fhir_export_link_for_clinicians(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    patient_id = make_patient(db)
    log_in(client, "clinician1")
    page = client.get(f"/patients/{patient_id}").text
    link = f"/fhir/Patient/{patient_id}/$everything"
    assert link in page
    bundle = client.get(link)
    assert bundle.status_code == 200
    assert bundle.json()["resourceType"] == "Bundle"
    client.cookies.clear()
    log_in(client, "operator1")
    assert link not in client.get(f"/patients/{patient_id}").text


@pytest.mark.parametrize(
    "query", ["page=0", "page=-3", "page=abc", "page=99999999", "q=" + "x" * 300]
)
def test_hand_edited_list_addresses_still_give_a_page(client: TestClient, query: str) -> None:
    log_in(client, "clinician1")
    response = client.get(f"/patients?{query}")
    assert response.status_code == 200
    assert "<h1>Patients</h1>" in response.text
    assert "Page 0" not in response.text and "Page 100000" not in response.text


def test_clinician_edits_a_patient(app_db: tuple[TestClient, Database]) -> None:
    client, db = app_db
    clinician = CLINICIAN
    patient = records.create_patient(
        db,
        clinician,
        PatientCreate(
            given_name="Ana",
            family_name="Novak",
            sex="female",
            birth_date=date(1968, 3, 1),
            height_m=1.64,
            mass_kg=71,
            body_fat_percent=33.0,
            fat_mm={"knee": 11.0, "lumbar": 18.0},
            conditions=["knee_osteoarthritis", "hypertension"],
            events=[{"kind": "stroke", "date": date(2020, 5, 1)}],
        ),  # type: ignore[list-item]
    )
    csrf = log_in(client, "clinician1")
    assert "33.0 % (measured)" in main_text(client.get(f"/patients/{patient.id}").text)
    form = client.get(f"/patients/{patient.id}/edit")
    assert form.status_code == 200
    assert 'value="164"' in form.text and 'name="fat_mm__lumbar"' in form.text
    assert re.search(r'id="f-body_fat_percent"[^>]*value="33"[^>]*min="2" max="70"', form.text)
    assert "Body fat [%] (measured; leave empty if not measured)" in form.text
    saved = client.post(
        f"/patients/{patient.id}/edit",
        data={
            "csrf_token": csrf,
            "given_name": "Ana",
            "family_name": "Novak-Horvat",
            "sex": "female",
            "birth_date": "1968-03-01",
            "height_cm": "",
            "mass_kg": "69.5",
            "body_fat_percent": "31,5",
            "fat_mm__knee": "10.5",
            "fat_mm__lumbar": "",
            "fat_site": "calf",
            "fat_mm": "8",
            "conditions": ["knee_osteoarthritis"],
            "medications": ["antihypertensive"],
            "event_kind": "myocardial_infarction",
            "event_date": "2026-06-02",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    stored = records.get_patient(db, clinician, patient.id)
    assert stored.family_name == "Novak-Horvat"
    assert stored.height_m is None and stored.mass_kg == 69.5
    assert stored.body_fat_percent == 31.5
    assert "31.5 % (measured)" in main_text(client.get(f"/patients/{patient.id}").text)
    assert stored.fat_mm == {"knee": 10.5, "calf": 8.0}
    assert stored.conditions == ["knee_osteoarthritis"]
    assert stored.medications == ["antihypertensive"]
    assert [e["kind"] for e in stored.events] == ["myocardial_infarction"]  # stroke not kept
    refused = client.post(
        f"/patients/{patient.id}/edit",
        data={
            "csrf_token": csrf,
            "given_name": "",
            "family_name": "X",
            "sex": "female",
            "birth_date": "1968-03-01",
        },
    )
    assert refused.status_code == 400 and 'id="e-given_name"' in refused.text
    assert records.get_patient(db, clinician, patient.id).family_name == "Novak-Horvat"
    edit = {
        "csrf_token": csrf,
        "given_name": "Ana",
        "family_name": "Novak-Horvat",
        "sex": "female",
        "birth_date": "1968-03-01",
        "mass_kg": "69.5",
    }
    too_much = client.post(f"/patients/{patient.id}/edit", data={**edit, "body_fat_percent": "85"})
    assert too_much.status_code == 400 and 'id="e-body_fat_percent"' in too_much.text
    assert records.get_patient(db, clinician, patient.id).body_fat_percent == 31.5
    emptied = client.post(
        f"/patients/{patient.id}/edit",
        data={**edit, "body_fat_percent": ""},
        follow_redirects=False,
    )
    assert emptied.status_code == 303
    assert records.get_patient(db, clinician, patient.id).body_fat_percent is None
    record = main_text(client.get(f"/patients/{patient.id}").text)
    assert "not measured (estimated from BMI, age and sex)" in record
    client.cookies.clear()
    log_in(client, "operator1")
    assert client.get(f"/patients/{patient.id}/edit").status_code == 403


def test_import_a_fhir_patient(app_db: tuple[TestClient, Database]) -> None:
    import json

    client, db = app_db
    csrf = log_in(client, "clinician1")
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:1.3.6.1.4.1.99999.1", "value": "A-77"}],
        "name": [{"use": "official", "family": "Kovac", "given": ["Eva"]}],
        "gender": "female",
        "birthDate": "1975-06-30",
    }
    done = client.post(
        "/patients/import",
        data={"csrf_token": csrf, "resource": json.dumps(resource)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"]).text
    assert "Kovac, Eva" in page and "1975-06-30" in page
    for text, expected in (
        ("{not json", "not valid JSON"),
        (json.dumps({**resource, "gender": "robot"}), "gender"),
        (json.dumps({**resource, "resourceType": "Observation"}), "resourceType"),
    ):
        refused = client.post("/patients/import", data={"csrf_token": csrf, "resource": text})
        assert refused.status_code == 400
        message = re.search(r'<p class="error" id="e-resource"[^>]*>(.*?)</p>', refused.text, re.S)
        assert message, "the error is shown next to the field"
        assert expected in message.group(1)
    assert records.list_patients(db, Actor(2, "c", "clinician"), limit=9, offset=0).total == 1
    client.cookies.clear()
    log_in(client, "operator1")
    assert client.get("/patients/import").status_code == 403


def test_odd_tokens_and_passwords_are_refused_not_crashed(
    app_db: tuple[TestClient, Database],
) -> None:
    client, db = app_db
    spaced = "  spaces around it  "
    auth.create_user(
        db,
        SYSTEM,
        auth.UserCreate(
            username="spacey", password=spaced, role="clinician", must_change_password=False
        ),
    )
    token = csrf_of(client.get("/login").text)
    odd_login = client.post(
        "/login", data={"username": "clinician1", "password": PASSWORD, "csrf_token": "é" * 20}
    )
    assert odd_login.status_code == 403
    token = csrf_of(client.get("/login").text)
    huge = client.post(
        "/login", data={"username": "clinician1", "password": "x" * 100_000, "csrf_token": token}
    )
    assert huge.status_code == 401
    log_in(client, "spacey", spaced)  # the password is taken as typed, not stripped
    patient_id = make_patient(db)
    odd_form = client.post(
        f"/patients/{patient_id}/vitals/new", data={"heart_rate_bpm": "70", "csrf_token": "ü" * 64}
    )
    assert odd_form.status_code == 403


def test_missing_clinical_function_is_a_503_page(
    app_db: tuple[TestClient, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cryotx.clinical

    client, db = app_db
    patient_id = make_patient(db)
    csrf = log_in(client, "clinician1")
    monkeypatch.delattr(cryotx.clinical, "plan")
    response = client.post(
        f"/patients/{patient_id}/plans/new",
        data={"csrf_token": csrf, "condition": "knee_osteoarthritis", "site": "knee"},
    )
    assert response.status_code == 503
    assert "Planning is not available on this server" in response.text
