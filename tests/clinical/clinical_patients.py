"""Patients shared by the clinical tests (importable, unlike conftest)."""

from __future__ import annotations

from typing import Any

HEALTHY: dict[str, Any] = {
    "id": "healthy",
    "sex": "female",
    "age_y": 40,
    "height_m": 1.68,
    "mass_kg": 66,
    "conditions": [],
    "medications": [],
    "events": [],
    "vitals": {
        "systolic_mmhg": 122,
        "diastolic_mmhg": 78,
        "heart_rate_bpm": 70,
        "body_temp_c": 36.7,
        "spo2_pct": 98,
    },
    "session_checks": {
        "skin_dry": True,
        "consent_signed": True,
        "operator_present": True,
        "jewellery_removed": True,
        "oxygen_monitor_ok": True,
        "room_oxygen_pct": 20.9,
    },
    "previous_sessions": 2,
    "assessed_on": "2026-11-20",
}
