"""The FastAPI record service: routers, dependencies, problem details, security headers.

:func:`install` adds everything to an application; ``cryotx.asgi.create_app`` builds the
application (database, settings, web pages) and calls it.
"""

from __future__ import annotations

from fastapi import FastAPI

from cryotx.api import routes_admin, routes_auth, routes_clinical, routes_fhir, routes_records
from cryotx.api.problems import install_problem_handlers
from cryotx.api.security import SecurityHeaders

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the API routers, the problem-details handlers and the security headers."""
    for module in (routes_auth, routes_admin, routes_records, routes_clinical, routes_fhir):
        app.include_router(module.router)
    install_problem_handlers(app)
    app.add_middleware(SecurityHeaders)
