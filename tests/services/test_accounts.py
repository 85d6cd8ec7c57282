"""The administrators' audit trail (who, what, when; field names only for patient records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cryotx.services import accounts, auth, records
from cryotx.services._common import Actor, PermissionDenied
from cryotx.services.schemas import PatientPublic, PatientUpdate
from cryotx.store.db import Database


def trail(db: Database, admin: Actor, **where: object) -> list[accounts.AuditSummary]:
    page = accounts.audit_trail(
        db, admin, accounts.AuditFilter.model_validate(where), limit=100, offset=0
    )
    assert page.total == len(page.items)
    return page.items


def test_trail_hides_clinical_values_and_keeps_account_changes(
    db: Database, staff: dict[str, Actor], patient: PatientPublic
) -> None:
    admin = staff["admin"]
    records.update_patient(
        db, staff["clinician"], patient.id, PatientUpdate(family_name="Hidden", mass_kg=80)
    )
    auth.update_user(db, admin, staff["operator"].user_id, auth.UserUpdate(role="clinician"))
    newest, update, created = trail(db, admin)[:3]
    assert (newest.entity, newest.action) == ("users", "update")
    assert [(c.field, c.before, c.after) for c in newest.changes] == [
        ("role", "operator", "clinician")
    ]
    assert (update.entity, update.patient_id) == ("patients", patient.id)
    assert [c.field for c in update.changes] == ["family_name", "mass_kg"]  # no updated_at
    assert all(c.before is None and c.after is None for c in update.changes)
    assert "Hidden" not in update.model_dump_json() and "Lee" not in update.model_dump_json()
    assert (created.action, created.changes) == ("create", [])
    # Newest first, and the filters narrow it.
    everything = trail(db, admin)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert {e.patient_id for e in trail(db, admin, patient_id=patient.id)} == {patient.id}
    assert {e.username for e in trail(db, admin, username="clinician1")} == {"clinician1"}
    assert trail(db, admin, username="nobody") == []


def test_trail_by_day_in_utc(db: Database, staff: dict[str, Actor], patient: PatientPublic) -> None:
    admin = staff["admin"]
    today = datetime.now(UTC).date()
    everything = trail(db, admin)
    assert trail(db, admin, since=today, until=today) == everything
    assert trail(db, admin, since=today + timedelta(days=1)) == []
    assert trail(db, admin, until=today - timedelta(days=1)) == []


def test_only_admins_read_the_trail(db: Database, staff: dict[str, Actor]) -> None:
    for role in ("clinician", "operator"):
        with pytest.raises(PermissionDenied):
            accounts.audit_trail(db, staff[role], accounts.AuditFilter(), limit=5, offset=0)


def test_filter_refusals_name_the_field() -> None:
    cases = {
        "until": {"since": "2026-02-02", "until": "2026-02-01"},
        "patient_id": {"patient_id": 0},
        "username": {"username": "Robert'); DROP"},
        "since": {"since": "2026-02-30"},
    }
    for field, where in cases.items():
        with pytest.raises(ValidationError) as refused:
            accounts.AuditFilter.model_validate(where)
        assert refused.value.errors()[0]["loc"] == (field,)


def test_generated_passwords_pass_the_rules_and_differ() -> None:
    made = {accounts.generate_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        auth.UserCreate(
            username="someone", password=password, role="operator", must_change_password=False
        )
