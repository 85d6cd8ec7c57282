"""Composition root: build the ASGI application from settings.

``create_app`` opens the database (running the migrations unless told not to), holds the
login rate limiter, installs the API and mounts the web pages when ``cryotx.web.mount``
exists.  Page handlers reach the database as ``request.app.state.db`` and authenticate
with :func:`cryotx.services.auth.authenticate_request` (see docs/service.md).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cryotx import __version__, api
from cryotx.config import Settings, get_settings
from cryotx.services.auth import LoginRateLimiter, configure_token_cache
from cryotx.store.db import Database

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, web: bool = True) -> FastAPI:
    """The CryoTx web application (API and, unless ``web=False``, the pages)."""
    settings = settings or get_settings()
    db = Database(settings.resolved_database_url())
    if settings.migrate_on_start:
        db.upgrade()
    configure_token_cache(db, ttl_s=settings.token_cache_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="CryoTx record service",
        version=__version__,
        description="Clinical record of cryotherapy: patients, screening, plans, sessions, "
        "outcomes, adverse events, audit trail and FHIR R4 export. Decision support for "
        "trained staff, not a medical device.",
        openapi_url=None,  # served by cryotx.api to logged-in users only
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # No OpenTelemetry: the service sends nothing over the network, and with it on
        # FastAPI checks for configured providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.login_limiter = LoginRateLimiter(
        max_failures=settings.login_max_failures, window_s=settings.login_window_s
    )
    api.install(app)
    if web:
        mount = getattr(importlib.import_module("cryotx.web"), "mount", None)
        if callable(mount):
            mount(app)
    return app
