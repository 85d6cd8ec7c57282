"""FastAPI dependencies: the database, the current user, role checks, paging parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from cryotx.services._common import Actor
from cryotx.services.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    authenticate_request,
    authenticate_request_cached,
    require,
)
from cryotx.services.dispatch import run_read, run_write
from cryotx.store.db import Database

__all__ = [
    "ActorDep",
    "DbDep",
    "Id",
    "Limit",
    "Offset",
    "current_actor",
    "get_db",
    "in_thread",
    "in_write",
    "permit",
]

MAX_ID = 2**31 - 1
P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking use case (database work) in a worker thread and await its result.

    Endpoints are ``async`` and send only the use case to a thread: FastAPI runs a sync
    endpoint in a thread and then validates its response in a second thread hop, and
    each hop costs a thread switch and a turn at the GIL.
    """
    return await run_read(func, *args, **kwargs)


async def in_write(
    func: Callable[Concatenate[Database, P], T], db: Database, /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a use case that writes to ``db`` in a worker thread, one writer at a time.

    Writes queue on the event loop, one write transaction per process at a time (see
    :mod:`cryotx.services.dispatch`, shared with the web pages).
    """
    return await run_write(func, db, *args, **kwargs)


async def get_db(request: Request) -> Database:
    """The application's database (``app.state.db``, set by ``cryotx.asgi``).

    Cheap dependencies are ``async`` so that FastAPI does not send each of them through
    the thread pool; the blocking ones (database work) stay sync.
    """
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


async def current_actor(request: Request) -> Actor:
    """The logged-in user (bearer token, or session cookie plus CSRF header).

    A token this process verified moments ago is answered on the event loop; otherwise
    the database lookup runs in a worker thread.
    """
    db: Database = request.app.state.db
    method = request.method
    authorization = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    csrf_token = request.headers.get(CSRF_HEADER)
    found = authenticate_request_cached(
        db, method=method, authorization=authorization, cookie=cookie, csrf_token=csrf_token
    )
    if found is None:
        found = await run_in_threadpool(
            authenticate_request,
            db,
            method=method,
            authorization=authorization,
            cookie=cookie,
            csrf_token=csrf_token,
        )
    actor, token = found
    request.state.actor = actor
    request.state.session_token = token
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def permit(action: str) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency that lets the request through only if the user's role may ``action``.

    It calls :func:`current_actor` itself rather than depending on it:
    each level of FastAPI's dependency resolution costs CPU on every request, and under
    load the event loop's CPU is what the latency is made of.
    """

    async def _check(request: Request) -> Actor:
        actor = await current_actor(request)
        require(actor, action)
        return actor

    _check.__name__ = f"permit_{action.replace('.', '_')}"
    return _check


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
