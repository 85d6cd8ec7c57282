"""The real application (``create_app``) on a temporary SQLite file, one account per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_client import PASSWORD, SYSTEM

from cryotx.asgi import create_app
from cryotx.config import Settings
from cryotx.services import auth
from cryotx.store.db import Database


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[tuple[TestClient, Database]]:
    """A client of the application and its database; accounts ``admin1``, ``clinician1``,
    ``operator1`` (ids 1, 2, 3) with :data:`web_client.PASSWORD`; three failed logins block."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/web.sqlite3", data_dir=tmp_path, login_max_failures=3
    )
    app = create_app(settings)
    db: Database = app.state.db
    for role in auth.ROLES:
        auth.create_user(
            db,
            SYSTEM,
            auth.UserCreate(
                username=f"{role}1", password=PASSWORD, role=role, must_change_password=False
            ),
        )
    with TestClient(app) as client:
        yield client, db


@pytest.fixture
def client(app_db: tuple[TestClient, Database]) -> TestClient:
    return app_db[0]
