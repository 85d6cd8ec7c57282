"""Record use cases: every change audited in its own transaction; roles; nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cryotx.errors import InputError
from cryotx.services import _common, records
from cryotx.services._common import Actor, Conflict, NotFound, PermissionDenied
from cryotx.services.schemas import (
    AdverseEventCreate,
    InstrumentCreate,
    PatientCreate,
    PatientPublic,
    PatientUpdate,
    SessionCreate,
    SessionEnd,
    TelemetryBatch,
    TelemetrySampleIn,
    VitalCreate,
)
from cryotx.store.db import Database


def _audit(db: Database, staff: dict[str, Actor], patient_id: int) -> list[tuple[str, str]]:
    page = records.list_audit(db, staff["clinician"], limit=200, offset=0, patient_id=patient_id)
    return [(entry.action, entry.entity) for entry in page.items]


def test_every_change_to_a_record_is_audited(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician, operator = staff["clinician"], staff["operator"]
    pid = patient.id
    records.update_patient(db, clinician, pid, PatientUpdate(mass_kg=69.5))
    records.add_vitals(db, operator, pid, VitalCreate(systolic_mmhg=150, diastolic_mmhg=90))
    started = records.start_session(
        db,
        operator,
        pid,
        SessionCreate(device="pack", modality="ice_bag", site="knee", settings={"agent_temp_c": 0}),
    )
    records.add_telemetry(
        db,
        operator,
        pid,
        started.id,
        TelemetryBatch(samples=[TelemetrySampleIn(elapsed_s=0, skin_temp_c=31.5)]),
    )
    records.end_session(db, operator, pid, started.id, SessionEnd(end_reason="completed"))
    records.add_instrument_response(
        db, clinician, pid, InstrumentCreate(instrument="pain_nrs", score=4, session_id=started.id)
    )
    records.add_adverse_event(
        db, operator, pid, AdverseEventCreate(kind="numbness", severity="mild")
    )
    assert _audit(db, staff, pid) == [
        ("create", "patients"),
        ("update", "patients"),
        ("create", "vital_signs"),
        ("create", "treatment_sessions"),
        ("create", "telemetry_samples"),
        ("update", "treatment_sessions"),
        ("create", "instrument_responses"),
        ("create", "adverse_events"),
    ]
    entries = records.list_audit(db, clinician, limit=10, offset=1, patient_id=pid).items
    update = entries[0]
    assert update.username == clinician.username
    assert update.before is not None and update.after is not None
    assert (update.before["mass_kg"], update.after["mass_kg"]) == (71.0, 69.5)


def test_measured_body_fat_is_stored_changed_cleared_and_audited(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician, pid = staff["clinician"], patient.id
    assert patient.body_fat_percent is None  # not measured
    measured = records.update_patient(db, clinician, pid, PatientUpdate(body_fat_percent=31.5))
    assert measured.body_fat_percent == 31.5
    untouched = records.update_patient(db, clinician, pid, PatientUpdate(mass_kg=70.0))
    assert untouched.body_fat_percent == 31.5  # only the fields sent are changed
    cleared = records.update_patient(
        db, clinician, pid, PatientUpdate.model_validate({"body_fat_percent": None})
    )
    assert cleared.body_fat_percent is None
    assert records.get_patient(db, clinician, pid).body_fat_percent is None
    entries = records.list_audit(db, clinician, limit=10, offset=0, patient_id=pid).items
    trail = [
        (e.before["body_fat_percent"], e.after["body_fat_percent"])
        for e in entries
        if e.action == "update" and e.before is not None and e.after is not None
    ]
    assert trail == [(None, 31.5), (31.5, 31.5), (31.5, None)]
    created = records.create_patient(
        db,
        clinician,
        PatientCreate(
            given_name="Bo",
            family_name="Ek",
            sex="male",
            birth_date=datetime(1970, 1, 2, tzinfo=UTC).date(),
            body_fat_percent=18.2,
        ),
    )
    assert records.get_patient(db, clinician, created.id).body_fat_percent == 18.2


@pytest.mark.parametrize("percent", [1.0, 85.0])
def test_body_fat_outside_2_to_70_percent_is_refused(percent: float) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        PatientUpdate(body_fat_percent=percent)
    assert error.value.errors()[0]["loc"] == ("body_fat_percent",)


def test_a_failed_audit_write_leaves_nothing_half_written(
    db: Database, staff: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # creation is audited by the shared helper in services._common
    monkeypatch.setattr(_common, "audit", broken_audit)
    data = PatientCreate(given_name="X", family_name="Y", sex="male", birth_date="1970-01-01")
    with pytest.raises(RuntimeError):
        records.create_patient(db, staff["clinician"], data)
    assert records.list_patients(db, staff["clinician"], limit=10, offset=0).total == 0


def test_roles_are_enforced_by_the_use_cases(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    data = PatientCreate(given_name="X", family_name="Y", sex="male", birth_date="1970-01-01")
    with pytest.raises(PermissionDenied):
        records.create_patient(db, staff["operator"], data)
    with pytest.raises(PermissionDenied):
        records.get_patient(db, staff["admin"], patient.id)
    with pytest.raises(PermissionDenied):
        records.list_audit(db, staff["operator"], limit=1, offset=0)
    with pytest.raises(PermissionDenied):
        records.start_session(
            db,
            staff["clinician"],
            patient.id,
            SessionCreate(device="pack", modality="ice_bag", site="knee"),
        )


def test_sessions_end_once_and_take_no_readings_after(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    operator = staff["operator"]
    started = records.start_session(
        db, operator, patient.id, SessionCreate(device="pack", modality="ice_bag", site="knee")
    )
    with pytest.raises(InputError) as refused:
        records.end_session(
            db,
            operator,
            patient.id,
            started.id,
            SessionEnd(end_reason="completed", ended_at=started.started_at - timedelta(seconds=1)),
        )
    assert refused.value.field == "ended_at"
    records.end_session(db, operator, patient.id, started.id, SessionEnd(end_reason="sensor_lost"))
    with pytest.raises(Conflict):
        records.end_session(
            db, operator, patient.id, started.id, SessionEnd(end_reason="completed")
        )
    with pytest.raises(Conflict):
        records.add_telemetry(
            db,
            operator,
            patient.id,
            started.id,
            TelemetryBatch(samples=[TelemetrySampleIn(elapsed_s=5)]),
        )


def test_lists_page_and_filter(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician = staff["clinician"]
    for index, name in enumerate(["Lemon", "Lee_x", "Park", "lee%"]):
        records.create_patient(
            db,
            clinician,
            PatientCreate(
                given_name="G",
                family_name=name,
                sex="male",
                birth_date="1970-01-01",
                conditions=["low_back_pain"] if index % 2 else [],
            ),
        )
    page = records.list_patients(db, clinician, limit=2, offset=0, family_name="le")
    assert page.total == 4 and len(page.items) == 2
    assert [p.family_name for p in page.items] == ["Lee", "Lemon"]
    # LIKE wildcards in the filter are taken literally.
    assert records.list_patients(db, clinician, limit=9, offset=0, family_name="lee%").total == 1
    assert records.list_patients(db, clinician, limit=9, offset=0, family_name="lee_").total == 1
    by_condition = records.list_patients(
        db, clinician, limit=9, offset=0, condition="low_back_pain"
    )
    assert sorted(p.family_name for p in by_condition.items) == ["Lee_x", "lee%"]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for hour in range(5):
        records.add_vitals(
            db,
            clinician,
            patient.id,
            VitalCreate(measured_at=t0 + timedelta(hours=hour), heart_rate_bpm=60 + hour),
        )
    window = records.list_vitals(
        db,
        clinician,
        patient.id,
        limit=10,
        offset=0,
        since=t0 + timedelta(hours=1),
        until=t0 + timedelta(hours=3),
    )
    assert [v.heart_rate_bpm for v in window.items] == [63, 62, 61]


def test_missing_records_and_foreign_links_are_refused(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician = staff["clinician"]
    with pytest.raises(NotFound):
        records.get_patient(db, clinician, 999)
    other = records.create_patient(
        db,
        clinician,
        PatientCreate(given_name="O", family_name="Other", sex="male", birth_date="1970-01-01"),
    )
    started = records.start_session(
        db, staff["operator"], other.id, SessionCreate(device="d", modality="ice_bag", site="knee")
    )
    with pytest.raises(InputError) as refused:
        records.add_instrument_response(
            db,
            clinician,
            patient.id,
            InstrumentCreate(instrument="pain_nrs", score=3, session_id=started.id),
        )
    assert refused.value.field == "session_id"
    with pytest.raises(NotFound):
        records.get_session(db, clinician, patient.id, started.id)


def test_audit_entry_names_the_actor_and_time(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    entry = records.list_audit(
        db, staff["clinician"], limit=1, offset=0, patient_id=patient.id
    ).items[0]
    assert entry.user_id == staff["clinician"].user_id
    assert abs((_common.utc(entry.at) - _common.utcnow()).total_seconds()) < 60
    assert entry.before is None and entry.after is not None
    assert entry.after["family_name"] == "Lee"


def test_list_filters_and_orders(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    clinician, operator = staff["clinician"], staff["operator"]
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    opened = []
    for hour, modality in enumerate(("ice_bag", "cold_air", "ice_bag")):
        opened.append(
            records.start_session(
                db,
                operator,
                patient.id,
                SessionCreate(
                    device="d",
                    modality=modality,
                    site="knee",
                    started_at=t0 + timedelta(hours=hour),
                ),
            )
        )
    records.end_session(db, operator, patient.id, opened[0].id, SessionEnd(end_reason="completed"))

    def sessions(**filters: object) -> list[int]:
        page = records.list_sessions(db, clinician, patient.id, limit=9, offset=0, **filters)  # type: ignore[arg-type]
        return [s.id for s in page.items]

    newest_first = [s.id for s in reversed(opened)]
    assert sessions() == newest_first
    assert sessions(modality="ice_bag") == [opened[2].id, opened[0].id]
    assert sessions(modality="") == newest_first  # an empty filter is no filter
    assert sessions(open_only=True) == [opened[2].id, opened[1].id]
    assert sessions(open_only=False) == [opened[0].id]
    assert sessions(modality="ice_bag", open_only=True) == [opened[2].id]

    for day, (instrument, score) in enumerate((("pain_nrs", 6), ("oswestry", 30), ("pain_nrs", 4))):
        records.add_instrument_response(
            db,
            clinician,
            patient.id,
            InstrumentCreate(
                instrument=instrument, score=score, measured_at=t0 + timedelta(days=day)
            ),
        )
    pain = records.list_instrument_responses(
        db, clinician, patient.id, limit=9, offset=0, instrument="pain_nrs"
    )
    assert [r.score for r in pain.items] == [6, 4] and pain.total == 2  # oldest first

    for day, severity in enumerate(("moderate", "mild", "moderate")):
        records.add_adverse_event(
            db,
            operator,
            patient.id,
            AdverseEventCreate(
                kind="numbness",
                severity=severity,
                description=f"day {day}",
                onset_at=t0 + timedelta(days=day),
            ),
        )
    moderate = records.list_adverse_events(
        db, clinician, patient.id, limit=9, offset=0, severity="moderate"
    )
    assert [e.description for e in moderate.items] == ["day 0", "day 2"]
    with pytest.raises(NotFound):
        records.list_adverse_events(db, clinician, 999, limit=9, offset=0, severity="mild")
    with pytest.raises(PermissionDenied):
        records.list_instrument_responses(db, operator, patient.id, limit=9, offset=0)
