"""Writers queue on the event loop (SQLite) instead of in worker threads."""

from __future__ import annotations

import asyncio
import threading
import time

import anyio.to_thread

from cryotx.api.deps import in_thread, in_write
from cryotx.store.db import Database


def test_sqlite_writers_run_one_at_a_time_and_hold_no_thread_while_waiting(db: Database) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def write(_: Database, pause_s: float) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(pause_s)
        with lock:
            running -= 1
        return 1

    def read(_: Database) -> float:
        return time.perf_counter()

    async def scenario() -> tuple[int, int, float, float]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        started = time.perf_counter()
        writers = [asyncio.create_task(in_write(write, db, 0.02)) for _ in range(12)]
        await asyncio.sleep(0.005)
        borrowed = limiter.borrowed_tokens
        # A read issued behind twelve queued writes does not wait for them.
        read_at = await in_thread(read, db)
        done = sum(await asyncio.gather(*writers))
        return done, borrowed, read_at - started, time.perf_counter() - started

    done, borrowed, read_after_s, all_after_s = asyncio.run(scenario())
    assert done == 12
    if db.is_sqlite:
        assert most == 1
        assert borrowed <= 1  # one thread writes; the other eleven wait on the loop
        assert all_after_s >= 12 * 0.02
        assert read_after_s < 6 * 0.02
    else:  # PostgreSQL writers are not serialised by the process
        assert most > 1
