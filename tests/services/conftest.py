"""Staff accounts for the use-case tests."""

from __future__ import annotations

from datetime import date

import pytest

from cryotx.services import auth, records
from cryotx.services._common import Actor
from cryotx.services.schemas import PatientCreate, PatientPublic
from cryotx.store.db import Database

SYSTEM = Actor(user_id=0, username="system:test", role="admin")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db: Database) -> dict[str, Actor]:
    """One actor per role, backed by real accounts."""
    actors = {}
    for role in auth.ROLES:
        user = auth.create_user(
            db,
            SYSTEM,
            auth.UserCreate(
                username=f"{role}1", password=PASSWORD, role=role, must_change_password=False
            ),
        )
        actors[role] = Actor(user_id=user.id, username=user.username, role=user.role)
    return actors


@pytest.fixture
def patient(db: Database, staff: dict[str, Actor]) -> PatientPublic:
    """A stored patient."""
    return records.create_patient(
        db,
        staff["clinician"],
        PatientCreate(
            given_name="Ann",
            family_name="Lee",
            sex="female",
            birth_date=date(1968, 3, 1),
            height_m=1.64,
            mass_kg=71,
            fat_mm={"knee": 11.0},
            conditions=["knee_osteoarthritis", "hypertension"],
            medications=["antihypertensive"],
        ),
    )
