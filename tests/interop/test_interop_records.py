"""The PatientRecord snapshot: coercions the record service relies on, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from cryotx.interop.records import AdverseEventRecord, PatientRecord, SessionRecord, VitalSigns


def test_integer_ids_and_plain_condition_codes_are_accepted() -> None:
    record = PatientRecord(patient_id=7, sex="male", conditions=["raynaud"])  # type: ignore[arg-type,list-item]
    assert record.patient_id == "7"
    assert record.conditions[0].code == "raynaud"


def test_naive_timestamps_are_utc_and_aware_ones_converted() -> None:
    naive = VitalSigns(recorded_at=datetime(2026, 11, 20, 9, 0), heart_rate_bpm=70)
    assert naive.recorded_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    cet = timezone(timedelta(hours=1))
    aware = VitalSigns(recorded_at=datetime(2026, 11, 20, 10, 0, tzinfo=cet), heart_rate_bpm=70)
    assert aware.recorded_at == naive.recorded_at
    assert aware.recorded_at.utcoffset() == timedelta(0)


def test_adverse_event_keeps_a_date_or_a_timestamp() -> None:
    on_day = AdverseEventRecord(kind="burn", severity="moderate", occurred_at="2026-11-20")  # type: ignore[arg-type]
    assert on_day.occurred_at == date(2026, 11, 20)
    at_time = AdverseEventRecord(
        kind="burn", severity="moderate", occurred_at="2026-11-20T10:05:00"
    )  # type: ignore[arg-type]
    assert at_time.occurred_at == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "data", "where"),
    [
        (VitalSigns, {"recorded_at": "2026-11-20T09:00", "systolic_mmhg": 120}, "diastolic"),
        (
            VitalSigns,
            {"recorded_at": "2026-11-20T09:00", "systolic_mmhg": 80, "diastolic_mmhg": 90},
            "below systolic",
        ),
        (VitalSigns, {"recorded_at": "2026-11-20T09:00", "body_temp_c": 60}, "body_temp_c"),
        (
            SessionRecord,
            {
                "modality": "ice_bag",
                "site": "knee",
                "started_at": "2026-11-20T10:00",
                "ended_at": "2026-11-20T09:00",
            },
            "before started_at",
        ),
        (
            SessionRecord,
            {
                "modality": "ice_bag",
                "site": "knee",
                "started_at": "2026-11-20T10:00",
                "duration_s": -1,
            },
            "duration_s",
        ),
        (
            SessionRecord,
            {"modality": "ln2 vapour!", "site": "knee", "started_at": "2026-11-20T10:00"},
            "modality",
        ),
        (
            AdverseEventRecord,
            {"kind": "burn", "severity": "awful", "occurred_at": "2026-11-20"},
            "severity",
        ),
        (PatientRecord, {"patient_id": "p", "sex": "male", "height_m": 17.8}, "height_m"),
        (PatientRecord, {"patient_id": "p", "sex": "male", "fat_mm": {"knee": -1}}, "fat_mm"),
        (PatientRecord, {"patient_id": "p", "sex": "male", "colour": "blue"}, "colour"),
        (
            PatientRecord,
            {
                "patient_id": "p",
                "sex": "male",
                "instruments": [
                    {
                        "instrument": "nrs_pain",
                        "score": 3,
                        "recorded_at": "2026-11-20T10:00",
                        "session_id": 5,
                    }
                ],
            },
            "names no session",
        ),
    ],
)
def test_inconsistent_snapshots_are_refused(model: Any, data: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError, match=where):
        model.model_validate(data)


def test_snapshot_is_frozen() -> None:
    record = PatientRecord(patient_id="p", sex="female")
    with pytest.raises(ValidationError):
        record.sex = "male"  # type: ignore[misc]
