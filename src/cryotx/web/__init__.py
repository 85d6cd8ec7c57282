"""Server-rendered clinician pages (Jinja2 templates, one CSS file, no JavaScript).

:func:`mount` adds the pages and their static files to the service's FastAPI application;
``cryotx.asgi.create_app()`` calls it. The pages use the use cases in
:mod:`cryotx.services` and the login, role and CSRF helpers of
:mod:`cryotx.services.auth`, exactly as the REST API does; they never touch the database
directly. The application must provide ``app.state.db``, ``app.state.settings`` and
``app.state.login_limiter``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cryotx.web._common import STATIC_DIR, install_error_pages
from cryotx.web.pages import router
from cryotx.web.pages_account import router as account_router
from cryotx.web.pages_admin import router as admin_router
from cryotx.web.pages_care import router as care_router

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the pages (``/``, ``/login``, ``/patients/...``, ``/admin/...``,
    ``/account/password``) and ``/static``."""
    app.include_router(router)
    app.include_router(care_router)
    app.include_router(admin_router)
    app.include_router(account_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)
