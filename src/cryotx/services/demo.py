"""A small demo clinic, created through the same use cases as real records.

Used by ``make run``: three logins (admin, clinician, operator) with passwords generated
now and shown once, and a few patients with vitals, screenings, sessions with telemetry,
outcome scores and an adverse event.  The clinical values are illustrative, not data.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from cryotx.errors import CryoTxError
from cryotx.services import auth, clinical, records
from cryotx.services._common import Actor, utcnow
from cryotx.services.schemas import (
    AdverseEventCreate,
    InstrumentCreate,
    PatientCreate,
    ScreeningRequest,
    SessionCreate,
    SessionEnd,
    TelemetryBatch,
    TelemetrySampleIn,
    VitalCreate,
)
from cryotx.store.db import Database
from cryotx.store.models import Patient, User

__all__ = ["DemoLogin", "create_demo_clinic"]

SYSTEM = Actor(user_id=0, username="system:demo", role="admin")


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and the password generated for it."""

    username: str
    role: str
    password: str


def _login(db: Database, username: str, role: str) -> tuple[DemoLogin, Actor]:
    password = secrets.token_urlsafe(12)
    with db.read() as session:
        existing = session.scalars(select(User).where(User.username == username)).first()
    if existing is None:
        user = auth.create_user(
            db,
            SYSTEM,
            auth.UserCreate(
                username=username, password=password, role=role, must_change_password=False
            ),
        )
    else:
        user = auth.update_user(
            db, SYSTEM, existing.id, auth.UserUpdate(password=password, role=role, active=True)
        )
    actor = Actor(user_id=user.id, username=user.username, role=user.role)
    return DemoLogin(username=username, role=role, password=password), actor


_PATIENTS = [
    PatientCreate(
        given_name="Anna",
        family_name="Demo-Keller",
        sex="female",
        birth_date=date(1968, 3, 1),
        height_m=1.64,
        mass_kg=71,
        fat_mm={"knee": 11.0},
        conditions=["knee_osteoarthritis", "hypertension"],
        medications=["antihypertensive"],
    ),
    PatientCreate(
        given_name="Ben",
        family_name="Demo-Okafor",
        sex="male",
        birth_date=date(1979, 7, 15),
        height_m=1.80,
        mass_kg=84,
        fat_mm={"lumbar": 16.0},
        body_fat_percent=22.0,  # demo value, as a bioimpedance scale would give it
        conditions=["low_back_pain"],
    ),
    PatientCreate(
        given_name="Carla",
        family_name="Demo-Rossi",
        sex="female",
        birth_date=date(1985, 11, 2),
        height_m=1.70,
        mass_kg=62,
        conditions=["ankylosing_spondylitis", "raynaud"],
    ),
]


def create_demo_clinic(db: Database) -> list[DemoLogin]:
    """Create (or re-key) the demo logins; add the demo patients once."""
    logins = []
    actors = {}
    for username, role in (
        ("demo-admin", "admin"),
        ("demo-clinician", "clinician"),
        ("demo-operator", "operator"),
    ):
        login, actor = _login(db, username, role)
        logins.append(login)
        actors[role] = actor
    with db.read() as session:
        have_patients = session.scalar(select(func.count()).select_from(Patient)) or 0
    if have_patients:
        return logins
    clinician, operator = actors["clinician"], actors["operator"]
    now = utcnow()
    for index, data in enumerate(_PATIENTS):
        patient = records.create_patient(db, clinician, data)
        records.add_vitals(
            db,
            operator,
            patient.id,
            VitalCreate(
                measured_at=now - timedelta(minutes=30),
                systolic_mmhg=132 + 6 * index,
                diastolic_mmhg=82,
                heart_rate_bpm=70 + index,
                body_temp_c=36.7,
            ),
        )
        modality = "wbc_chamber" if index == 2 else "ice_bag"
        # Without the clinical core (or if it refuses) the demo goes on unscreened.
        with contextlib.suppress(CryoTxError, ValueError):
            clinical.screen_patient(
                db,
                clinician,
                patient.id,
                ScreeningRequest(
                    modality=modality, session_checks={"skin_dry": True, "consent_signed": True}
                ),
            )
        if index == 2:
            continue
        site = "knee" if index == 0 else "lumbar"
        for day in range(3):
            start = now - timedelta(days=6 - 2 * day)
            treatment = records.start_session(
                db,
                operator,
                patient.id,
                SessionCreate(
                    device="Demo cold pack",
                    modality="ice_bag",
                    site=site,
                    settings={"agent_temp_c": 0.0, "exposure_s": 1200, "barrier": "wet_towel"},
                    started_at=start,
                ),
            )
            samples = [
                TelemetrySampleIn(
                    elapsed_s=t, agent_temp_c=0.5, skin_temp_c=32.0 - 18.0 * (1 - 0.9 ** (t / 60))
                )
                for t in range(0, 1201, 60)
            ]
            records.add_telemetry(
                db, operator, patient.id, treatment.id, TelemetryBatch(samples=samples)
            )
            records.end_session(
                db,
                operator,
                patient.id,
                treatment.id,
                SessionEnd(
                    end_reason="completed",
                    ended_at=start + timedelta(seconds=1200),
                ),
            )
            records.add_instrument_response(
                db,
                clinician,
                patient.id,
                InstrumentCreate(
                    instrument="pain_nrs",
                    score=7 - 2 * day,
                    measured_at=start + timedelta(minutes=25),
                    session_id=treatment.id,
                ),
            )
        if index == 1:
            records.add_instrument_response(
                db,
                clinician,
                patient.id,
                InstrumentCreate(
                    instrument="roland_morris",
                    score=12,
                    measured_at=now - timedelta(days=6),
                ),
            )
            records.add_adverse_event(
                db,
                operator,
                patient.id,
                AdverseEventCreate(
                    kind="skin_reaction",
                    severity="mild",
                    onset_at=now - timedelta(days=2),
                    description="Transient erythema under the pack, resolved within 30 min.",
                    outcome="resolved",
                ),
            )
    return logins
