"""Screening and planning store what the clinical core returns, with its input and version."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cryotx.services import clinical, records
from cryotx.services._common import Actor, NotFound, PermissionDenied
from cryotx.services.schemas import (
    PatientPublic,
    PatientUpdate,
    PlanRequest,
    ScreeningRequest,
    VitalCreate,
)
from cryotx.store.db import Database


def test_screening_builds_the_patient_and_stores_the_decision(
    db: Database, staff: dict[str, Actor], patient: PatientPublic, fake_core: list[dict[str, Any]]
) -> None:
    records.add_vitals(
        db,
        staff["operator"],
        patient.id,
        VitalCreate(systolic_mmhg=186, diastolic_mmhg=104, heart_rate_bpm=80),
    )
    stored = clinical.screen_patient(
        db,
        staff["clinician"],
        patient.id,
        ScreeningRequest(
            modality="wbc_chamber", session_checks={"skin_dry": True}, assessed_on=date(2026, 2, 28)
        ),
    )
    sent = fake_core[0]["patient"]
    assert sent["age_y"] == 57  # born 1968-03-01, birthday not yet reached on 2026-02-28
    assert sent["vitals"] == {
        "systolic_mmhg": 186.0,
        "diastolic_mmhg": 104.0,
        "heart_rate_bpm": 80.0,
    }
    assert sent["conditions"] == ["knee_osteoarthritis", "hypertension"]
    assert (stored.decision, stored.rules_version) == ("refer", "test-1")
    assert stored.reasons[0]["code"] == "hypertension"
    assert stored.input == sent
    again = clinical.get_screening(db, staff["clinician"], patient.id, stored.id)
    assert again == stored
    audit = records.list_audit(db, staff["clinician"], limit=50, offset=0, entity="screenings")
    assert audit.total == 1 and audit.items[0].after is not None
    assert audit.items[0].after["decision"] == "refer"


def test_plan_is_stored_as_returned(
    db: Database, staff: dict[str, Actor], patient: PatientPublic, fake_core: list[dict[str, Any]]
) -> None:
    stored = clinical.plan_patient(
        db,
        staff["clinician"],
        patient.id,
        PlanRequest(condition="knee_osteoarthritis", site="knee"),
    )
    assert stored.modality == "ice_bag" and stored.decision == "refer"
    assert stored.plan["protocol"]["sessions_total"] == 9
    listed = clinical.list_plans(db, staff["operator"], patient.id, limit=5, offset=0)
    assert [p.id for p in listed.items] == [stored.id]
    with pytest.raises(PermissionDenied):
        clinical.plan_patient(
            db,
            staff["operator"],
            patient.id,
            PlanRequest(condition="knee_osteoarthritis", site="knee"),
        )


def test_measured_body_fat_reaches_the_clinical_core(
    db: Database, staff: dict[str, Actor], patient: PatientPublic, fake_core: list[dict[str, Any]]
) -> None:
    request = PlanRequest(condition="knee_osteoarthritis", site="knee")
    clinical.plan_patient(db, staff["clinician"], patient.id, request)
    assert "body_fat_percent" not in fake_core[-1]["patient"]  # not measured: not sent
    records.update_patient(db, staff["clinician"], patient.id, PatientUpdate(body_fat_percent=29.0))
    clinical.plan_patient(db, staff["clinician"], patient.id, request)
    assert fake_core[-1]["patient"]["body_fat_percent"] == 29.0


def test_age_in_completed_years() -> None:
    assert clinical.age_years(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert clinical.age_years(date(2000, 2, 29), date(2026, 3, 1)) == 26


def test_real_core_decision_is_stored(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    stored = clinical.screen_patient(
        db, staff["clinician"], patient.id, ScreeningRequest(modality="ice_bag", site="knee")
    )
    assert stored.decision in {"eligible", "eligible_with_precautions", "refer", "excluded"}
    assert stored.rules_version != "unknown"


def test_screenings_and_plans_are_listed_newest_first_with_filters(
    db: Database, staff: dict[str, Actor], patient: PatientPublic, fake_core: list[dict[str, Any]]
) -> None:
    clinician = staff["clinician"]
    made = [
        clinical.screen_patient(db, clinician, patient.id, ScreeningRequest(modality=modality))
        for modality in ("ice_bag", "wbc_chamber", "ice_bag")
    ]

    def screenings(**filters: str) -> list[int]:
        page = clinical.list_screenings(db, clinician, patient.id, limit=9, offset=0, **filters)  # type: ignore[arg-type]
        return [s.id for s in page.items]

    assert screenings() == [s.id for s in reversed(made)]
    assert screenings(modality="ice_bag") == [made[2].id, made[0].id]
    assert screenings(decision="refer") == [s.id for s in reversed(made)]  # the fake refers
    assert screenings(decision="eligible") == []
    assert clinical.get_screening(db, clinician, patient.id, made[1].id).modality == "wbc_chamber"
    plans = [
        clinical.plan_patient(db, clinician, patient.id, PlanRequest(condition=c, site="knee"))
        for c in ("knee_osteoarthritis", "low_back_pain")
    ]
    found = clinical.list_plans(
        db, clinician, patient.id, limit=9, offset=0, condition="low_back_pain"
    )
    assert [p.id for p in found.items] == [plans[1].id]
    with pytest.raises(NotFound):
        clinical.get_plan(db, clinician, patient.id + 1, plans[0].id)
    with pytest.raises(PermissionDenied):
        clinical.list_screenings(db, staff["operator"], patient.id, limit=9, offset=0)
