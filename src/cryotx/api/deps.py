"""FastAPI dependencies: the database, the current user, role checks, paging parameters."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
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
    return await run_in_threadpool(func, *args, **kwargs)


# One writer at a time per event loop: see in_write.
_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _writer_slot() -> CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _WRITERS.get(loop)
    if limiter is None:
        limiter = _WRITERS[loop] = CapacityLimiter(1)
    return limiter


async def in_write(
    func: Callable[Concatenate[Database, P], T], db: Database, /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a use case that writes to ``db`` in a worker thread, one writer at a time.

    The service admits one write transaction at a time per process, on both databases;
    waiting writes queue here, on the event loop, and hold no worker thread.

    - SQLite takes one writer at a time anyway.  Writers used to queue on the database's
      lock inside worker threads: under load most of the pool's 40 threads sat blocked
      there and reads waited for a free thread.
    - Under overload this favours reads (a clinician opening a record) over writes,
      which are acknowledged only once committed: with 50 clients sending back to back,
      reads stay at a p95 of about 20-30 ms and writes wait about 0.4-0.9 s, on SQLite
      and PostgreSQL alike, with the same throughput as concurrent writers (measured in
      ``benchmarks/bench_load.py``, docs/service.md).  With people at screens writes
      rarely meet and the queue is empty.
    - No two writes of this process interleave, so they cannot deadlock on each other's
      rows.  More than one server process still write concurrently (PostgreSQL), or
      queue on SQLite's lock (``Database.write``, busy timeout).
    """
    call = functools.partial(func, db, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=_writer_slot())


async def get_db(request: Request) -> Database:
    """The application's database (``app.state.db``, set by ``cryotx.asgi``).

    Cheap dependencies are ``async`` so that FastAPI does not send each of them through
    the thread pool; the blocking ones (database work) stay sync.
    """
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


async def _authenticated(request: Request) -> Actor:
    """Authenticate the request (bearer token, or session cookie plus CSRF header).

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


async def current_actor(request: Request) -> Actor:
    """The logged-in user (bearer token, or session cookie plus CSRF header)."""
    return await _authenticated(request)


ActorDep = Annotated[Actor, Depends(current_actor)]


def permit(action: str) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency that lets the request through only if the user's role may ``action``.

    It authenticates the request itself rather than depending on :func:`current_actor`:
    each level of FastAPI's dependency resolution costs CPU on every request, and under
    load the event loop's CPU is what the latency is made of.
    """

    async def _check(request: Request) -> Actor:
        actor = await _authenticated(request)
        require(actor, action)
        return actor

    _check.__name__ = f"permit_{action.replace('.', '_')}"
    return _check


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
