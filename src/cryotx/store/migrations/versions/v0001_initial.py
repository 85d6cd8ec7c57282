"""Initial clinical record schema, with the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION cryotx_audit_log_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION cryotx_audit_log_refuse()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION cryotx_audit_log_refuse()""",
]


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _patient() -> sa.Column[int]:
    return sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False)


def _user(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "auth_tokens",
        _id(),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "patients",
        _id(),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("height_m", sa.Float),
        sa.Column("mass_kg", sa.Float),
        sa.Column("fat_mm", sa.JSON, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("medications", sa.JSON, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_patients_family_name", "patients", ["family_name"])
    op.create_table(
        "vital_signs",
        _id(),
        _patient(),
        sa.Column("measured_at", TS, nullable=False),
        sa.Column("systolic_mmhg", sa.Float),
        sa.Column("diastolic_mmhg", sa.Float),
        sa.Column("heart_rate_bpm", sa.Float),
        sa.Column("body_temp_c", sa.Float),
        sa.Column("respiratory_rate_per_min", sa.Float),
        sa.Column("spo2_pct", sa.Float),
        _user("recorded_by"),
    )
    op.create_index("ix_vital_signs_patient_id", "vital_signs", ["patient_id"])
    op.create_table(
        "screenings",
        _id(),
        _patient(),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("site", sa.String(32)),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("input", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _user("created_by"),
    )
    op.create_index("ix_screenings_patient_id", "screenings", ["patient_id"])
    op.create_table(
        "plans",
        _id(),
        _patient(),
        sa.Column("condition", sa.String(48), nullable=False),
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("modality", sa.String(32)),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _user("created_by"),
    )
    op.create_index("ix_plans_patient_id", "plans", ["patient_id"])
    op.create_table(
        "treatment_sessions",
        _id(),
        _patient(),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id")),
        sa.Column("device", sa.String(100), nullable=False),
        sa.Column("modality", sa.String(32), nullable=False),
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("end_reason", sa.String(32)),
        sa.Column("notes", sa.Text, nullable=False),
        _user("operator_id"),
    )
    op.create_index("ix_treatment_sessions_patient_id", "treatment_sessions", ["patient_id"])
    op.create_table(
        "telemetry_samples",
        _id(),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("treatment_sessions.id"), nullable=False),
        sa.Column("elapsed_s", sa.Float, nullable=False),
        sa.Column("agent_temp_c", sa.Float),
        sa.Column("skin_temp_c", sa.Float),
        sa.Column("oxygen_pct", sa.Float),
    )
    op.create_index(
        "ix_telemetry_session_elapsed", "telemetry_samples", ["session_id", "elapsed_s"]
    )
    op.create_table(
        "instrument_responses",
        _id(),
        _patient(),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("treatment_sessions.id")),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("subscale", sa.String(32)),
        sa.Column("version", sa.String(32)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("items", sa.JSON),
        sa.Column("measured_at", TS, nullable=False),
        _user("recorded_by"),
    )
    op.create_index("ix_instrument_responses_patient_id", "instrument_responses", ["patient_id"])
    op.create_table(
        "adverse_events",
        _id(),
        _patient(),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("treatment_sessions.id")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("serious", sa.Boolean, nullable=False),
        sa.Column("onset_at", TS, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(32)),
        _user("recorded_by"),
    )
    op.create_index("ix_adverse_events_patient_id", "adverse_events", ["patient_id"])
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("at", TS, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Integer),
        sa.Column("patient_id", sa.Integer),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_audit_log_patient_id", "audit_log", ["patient_id"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the clinical record is not downgraded: restore a backup instead")
