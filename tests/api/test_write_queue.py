"""Writers queue on the event loop, one at a time, instead of in worker threads."""

from __future__ import annotations

import asyncio
import threading
import time

from cryotx.api.deps import in_thread, in_write
from cryotx.services.dispatch import writer_slot
from cryotx.store.db import Database


def test_writers_run_one_at_a_time_and_hold_no_thread_while_waiting(db: Database) -> None:
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
        started = time.perf_counter()
        writers = [asyncio.create_task(in_write(write, db, 0.02)) for _ in range(12)]
        await asyncio.sleep(0.005)
        # the writers' slot: one writing in a thread, eleven waiting on the event loop
        waiting = writer_slot().statistics().tasks_waiting
        # A read issued behind twelve queued writes does not wait for them.
        read_at = await in_thread(read, db)
        done = sum(await asyncio.gather(*writers))
        return done, waiting, read_at - started, time.perf_counter() - started

    done, waiting, read_after_s, all_after_s = asyncio.run(scenario())
    assert done == 12
    assert most == 1
    assert waiting == 11
    assert all_after_s >= 12 * 0.02
    assert read_after_s < all_after_s / 2  # the read did not wait for the queued writes
