"""Running the blocking use cases from the event loop of the API and the pages.

A use case is plain blocking code (SQLAlchemy sessions).  The API and the web pages run it
in a worker thread with :func:`run_read` or, when it writes, :func:`run_write`.

The service admits one write transaction at a time per process, on both databases:
waiting writes queue on the event loop (a capacity limiter of one slot per loop) and hold
no worker thread.

- SQLite takes one writer at a time anyway.  Writers used to queue on the database's lock
  inside worker threads: under load most of the pool's 40 threads sat blocked there, and
  reads waited for a free thread.
- Under overload this favours reads (a clinician opening a record) over writes, which are
  acknowledged only once committed: with 50 clients sending back to back, reads keep a
  p95 of about 20-40 ms and writes wait about 0.4-1 s, on SQLite and PostgreSQL alike,
  with the same throughput as concurrent writers (``benchmarks/bench_load.py``,
  docs/service.md).  With people at screens writes rarely meet and the queue is empty.
- No two writes of this process interleave, so they cannot deadlock on each other's rows.
  Several server processes still write concurrently (PostgreSQL) or queue on SQLite's lock
  (``Database.write``, with its busy timeout).
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from cryotx.store.db import Database

__all__ = ["run_read", "run_write", "writer_slot"]

P = ParamSpec("P")
T = TypeVar("T")

_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def writer_slot() -> CapacityLimiter:
    """The one write slot of the running event loop."""
    loop = asyncio.get_running_loop()
    limiter = _WRITERS.get(loop)
    if limiter is None:
        limiter = _WRITERS[loop] = CapacityLimiter(1)
    return limiter


async def run_read(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a use case that only reads in a worker thread and await its result."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


async def run_write(
    func: Callable[Concatenate[Database, P], T], db: Database, /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a use case that writes to ``db`` in a worker thread, one writer at a time."""
    call = functools.partial(func, db, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=writer_slot())
