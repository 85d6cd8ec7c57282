"""The migrated schema: matches the models, SQLite durability settings, append-only audit."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cryotx.store.db import MIGRATIONS_DIR, Database, upgrade
from cryotx.store.models import Base


def _add_nurse(connection: Any) -> None:
    """An operator account (id 3) for rows that name who recorded them."""
    connection.execute(
        text(
            "INSERT INTO users (id, username, password_hash, role, active, created_at) "
            "VALUES (3, 'nurse', 'x', 'operator', :yes, CURRENT_TIMESTAMP)"
        ),
        {"yes": True},
    )


def _add_vital_sign(connection: Any) -> None:
    """A heart rate of patient 7, recorded by account 3."""
    connection.execute(
        text(
            "INSERT INTO vital_signs (patient_id, measured_at, heart_rate_bpm, recorded_by) "
            "VALUES (7, CURRENT_TIMESTAMP, 72, 3)"
        )
    )


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrations_build_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    db.upgrade()
    assert "audit_log" in db.schema_tables()
    with db.read() as session:
        versions = session.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(_head(),)]


def test_accounts_of_the_first_schema_keep_their_passwords_permanent(db: Database) -> None:
    """0001 -> 0002: an existing account is not suddenly asked for a new password."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('old.admin', 'x', 'admin', :yes, CURRENT_TIMESTAMP)"
            ),
            {"yes": True},
        )
    upgrade(db.engine)
    with db.read() as session:
        row = session.execute(text("SELECT username, must_change_password FROM users")).one()
    assert row[0] == "old.admin" and not row[1]


def _migrate(db: Database, revision: str) -> None:
    """Downgrade to ``revision`` with foreign keys off on SQLite, as ``upgrade`` runs."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as connection:
        if sqlite:  # outside any transaction, or SQLite ignores it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _columns(db: Database, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_patients_of_0002_keep_their_rows_and_get_no_body_fat(db: Database) -> None:
    """0002 -> 0003: patients and their rows stay; body fat is NULL (not measured)."""
    _migrate(db, "0002")
    assert "body_fat_percent" not in _columns(db, "patients")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO patients (id, given_name, family_name, sex, birth_date, height_m, "
                "mass_kg, fat_mm, conditions, medications, events, created_at, updated_at) "
                "VALUES (7, 'Ann', 'Lee', 'female', '1968-03-01', 1.64, 71.0, "
                "'{\"knee\": 11.0}', '[\"knee_osteoarthritis\"]', '[]', '[]', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        _add_nurse(connection)
        _add_vital_sign(connection)
    upgrade(db.engine)
    with db.read() as session:
        patient = session.execute(
            text("SELECT id, family_name, mass_kg, fat_mm, body_fat_percent FROM patients")
        ).one()
        vitals = session.execute(text("SELECT patient_id, heart_rate_bpm FROM vital_signs")).all()
    assert patient[:3] == (7, "Lee", 71.0)
    assert "knee" in str(patient[3])
    assert patient[4] is None
    assert vitals == [(7, 72.0)]
    with db.write() as session:
        session.execute(text("UPDATE patients SET body_fat_percent = 31.5 WHERE id = 7"))
    _migrate(db, "0002")
    assert "body_fat_percent" not in _columns(db, "patients")
    with db.read() as session:
        kept = session.execute(text("SELECT id, mass_kg FROM patients")).all()
        vitals = session.execute(text("SELECT patient_id FROM vital_signs")).all()
    assert kept == [(7, 71.0)] and vitals == [(7,)]


def test_a_used_first_schema_database_upgrades_keeping_every_row(db: Database) -> None:
    """0001 -> head with accounts that rows point at: 0002 rebuilds ``users`` on SQLite,
    which must neither fail on the references nor cascade to the logins."""
    _migrate(db, "0001")
    with db.engine.begin() as connection:
        _add_nurse(connection)
        connection.execute(
            text(
                "INSERT INTO auth_tokens (token_sha256, user_id, created_at, expires_at) "
                "VALUES ('abc', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO patients (id, given_name, family_name, sex, birth_date, fat_mm, "
                "conditions, medications, events, created_at, updated_at) VALUES (7, 'Ann', "
                "'Lee', 'female', '1968-03-01', '{}', '[]', '[]', '[]', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
        _add_vital_sign(connection)
    upgrade(db.engine)
    with db.read() as session:
        user = session.execute(text("SELECT id, must_change_password FROM users")).one()
        tokens = session.execute(text("SELECT user_id FROM auth_tokens")).all()
        vitals = session.execute(text("SELECT patient_id, recorded_by FROM vital_signs")).all()
    assert (user[0], bool(user[1])) == (3, False)
    assert tokens == [(3,)] and vitals == [(7, 3)]
    if db.engine.dialect.name == "sqlite":  # foreign keys are back on after the migration
        with db.read() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    with db.read() as session:
        journal = session.execute(text("PRAGMA journal_mode")).scalar()
        synchronous = session.execute(text("PRAGMA synchronous")).scalar()
        foreign_keys = session.execute(text("PRAGMA foreign_keys")).scalar()
    db.dispose()
    assert (journal, synchronous, foreign_keys) == ("wal", 2, 1)  # 2 = FULL


def _insert_audit(db: Database) -> None:
    with db.write() as session:
        session.execute(
            text(
                "INSERT INTO audit_log (at, username, action, entity) "
                "VALUES (CURRENT_TIMESTAMP, 'tester', 'create', 'patients')"
            )
        )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET username = 'mallory'", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_audit_log_refuses_update_and_delete(db: Database, statement: str) -> None:
    _insert_audit(db)
    with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
        session.execute(text(statement))
    with db.read() as session:
        rows = session.execute(text("SELECT username FROM audit_log")).all()
    assert rows == [("tester",)]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_audit_log_refuses_truncate_on_postgres(db: Database) -> None:
    _insert_audit(db)
    with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
        session.execute(text("TRUNCATE audit_log"))


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as session:
        session.execute(
            text(
                "INSERT INTO vital_signs (patient_id, measured_at, recorded_by) "
                "VALUES (424242, CURRENT_TIMESTAMP, 424242)"
            )
        )
