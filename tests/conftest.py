"""Shared fixtures: a migrated database on SQLite and, under ``make test``, on PostgreSQL.

``database_url`` is parametrised over both backends.  The PostgreSQL case needs
``CRYOTX_TEST_POSTGRES_URL`` (exported by ``scripts/with-postgres.sh``); each test gets its
own database copied from a migrated template, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from cryotx.store.db import Database

PG_ENV = "CRYOTX_TEST_POSTGRES_URL"


def _admin_engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """Name of a migrated template database on the test PostgreSQL server."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests run under scripts/with-postgres.sh")
    name = f"cryotx_tmpl_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    template = Database(make_url(url).set(database=name).render_as_string(hide_password=False))
    template.upgrade()
    template.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def fresh_database(kind: str, directory: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Create an empty, migrated database (``sqlite`` or ``postgres``); drop it afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{directory}/cryotx.sqlite3"
        Database(url).upgrade()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    base = os.environ[PG_ENV]
    name = f"cryotx_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(base)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated CryoTx database (one per test)."""
    with fresh_database(request.param, tmp_path, request) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A :class:`Database` on ``database_url``."""
    database = Database(database_url)
    yield database
    database.dispose()


def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters (the production defaults cost ~0.1 s a hash)."""
    from argon2 import PasswordHasher

    from cryotx.services import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_password_hashing(monkeypatch)


class _CoreResult:
    """Stands in for the clinical core's result models: DESIGN.md's JSON via model_dump()."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return self.payload


def install_fake_core(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``cryotx.clinical.screen``/``plan`` by recorders returning DESIGN.md's shapes."""
    import cryotx.clinical

    seen: list[dict[str, Any]] = []
    screening = {
        "decision": "refer",
        "reasons": [
            {
                "code": "hypertension",
                "severity": "refer",
                "message": "BP above threshold",
                "source": "clinical-evidence.md 1.2",
            }
        ],
        "rules_version": "test-1",
    }

    def screen(patient: Any, *, modality: str, site: str | None = None) -> _CoreResult:
        seen.append({"patient": patient, "modality": modality, "site": site})
        return _CoreResult(screening)

    def plan(
        patient: Any, *, condition: str, site: str, modality: str | None = None
    ) -> _CoreResult:
        seen.append({"patient": patient, "condition": condition, "site": site})
        return _CoreResult(
            {
                "screening": screening,
                "protocol": {
                    "modality": "ice_bag",
                    "agent_temp_c": 0.0,
                    "sessions_per_week": 3,
                    "sessions_total": 9,
                    "evidence": [],
                },
                "dose": None,
                "instructions": {"preparation": [], "aftercare": [], "warning_signs": []},
                "warnings": [],
            }
        )

    monkeypatch.setattr(cryotx.clinical, "screen", screen, raising=False)
    monkeypatch.setattr(cryotx.clinical, "plan", plan, raising=False)
    monkeypatch.setattr(cryotx.clinical, "parse_patient", lambda data: data, raising=False)
    return seen


@pytest.fixture
def fake_core(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The fake clinical core (see :func:`install_fake_core`); returns the calls it saw."""
    return install_fake_core(monkeypatch)


@pytest.fixture(scope="session")
def testkit() -> SimpleNamespace:
    """The helpers above, for fixtures of wider scope in other conftest files."""
    return SimpleNamespace(
        fresh_database=fresh_database,
        install_fake_core=install_fake_core,
        fast_password_hashing=fast_password_hashing,
    )
