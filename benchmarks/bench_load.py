"""Load benchmark of the record service: 50 clients against one ``cryotx serve`` process.

Each backend (SQLite, then PostgreSQL) gets a fresh database with a small clinic, one
server process on a free loopback port, and ``--clients`` concurrent clients (asyncio +
httpx; one login each, made before the clock starts) sending a mix of reads (patient,
vitals list, sessions list, patient list page; 75 %) and writes (vital signs, telemetry
batch of 10 readings; 25 %) for ``--seconds``: back to back (closed loop, the stress
case) or with a random pause of mean ``--think-s`` between requests (people at screens).
It prints throughput, p50/p95/p99 latency of reads and writes, the errors, and the
PostgreSQL/SQLite throughput ratio.  Target: zero errors and read p95 under 50 ms.

PostgreSQL: uses ``CRYOTX_TEST_POSTGRES_URL`` if set; otherwise the script re-runs itself
under ``scripts/with-postgres.sh``, which starts and removes a throw-away server.

    .venv/bin/python benchmarks/bench_load.py                 # 60 s per backend
    .venv/bin/python benchmarks/bench_load.py --seconds 10    # quick run
    .venv/bin/python benchmarks/bench_load.py --backend sqlite
    .venv/bin/python benchmarks/bench_load.py --think-s 1     # paced clients

The load generator runs on the same machine as the server, so both share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, make_url, text

from cryotx.services import auth, records
from cryotx.services._common import Actor
from cryotx.services.schemas import PatientCreate, VitalCreate
from cryotx.store.db import Database

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password, not for use"
SYSTEM = Actor(user_id=0, username="system:bench", role="admin")
N_PATIENTS = 40
READ_SHARE = 0.75


@dataclass
class Tally:
    """Latencies [s] per kind of request and the errors seen."""

    read_s: list[float] = field(default_factory=list)
    write_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(url: str) -> tuple[list[int], list[str]]:
    db = Database(url)
    db.upgrade()
    usernames = []
    for role in ("clinician", "operator"):
        name = f"bench-{role}"
        auth.create_user(db, SYSTEM, auth.UserCreate(username=name, password=PASSWORD, role=role))
        usernames.append(name)
    clinician = Actor(user_id=1, username="bench-clinician", role="clinician")
    patients = []
    for index in range(N_PATIENTS):
        patient = records.create_patient(
            db,
            clinician,
            PatientCreate(
                given_name=f"P{index}",
                family_name=f"Bench{index:03d}",
                sex="female",
                birth_date=date(1960 + index % 30, 1, 1),
                conditions=["knee_osteoarthritis"],
            ),
        )
        for k in range(5):
            records.add_vitals(db, clinician, patient.id, VitalCreate(heart_rate_bpm=60 + k))
        patients.append(patient.id)
    db.dispose()
    return patients, usernames


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRYOTX_DATABASE_URL": url}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cryotx.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start; see {log}")


def _login(base: str, username: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=60
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _next_request(
    client: httpx.AsyncClient, rng: random.Random, pid: int, session: tuple[int, int] | None
) -> tuple[bool, Any]:
    """(is_read, awaitable response) of one request drawn from the mix."""
    if rng.random() < READ_SHARE:
        path = rng.choice(
            [
                f"/api/patients/{pid}",
                f"/api/patients/{pid}/vitals?limit=20",
                f"/api/patients/{pid}/sessions",
                "/api/patients?limit=20",
            ]
        )
        return True, client.get(path)
    if session is not None and rng.random() < 0.5:
        samples = [
            {"elapsed_s": rng.uniform(0, 1200), "skin_temp_c": 20.0, "agent_temp_c": 0.5}
            for _ in range(10)
        ]
        url = f"/api/patients/{session[0]}/sessions/{session[1]}/telemetry"
        return False, client.post(url, json={"samples": samples})
    vitals = {"heart_rate_bpm": rng.randint(50, 100), "body_temp_c": 36.6}
    return False, client.post(f"/api/patients/{pid}/vitals", json=vitals)


async def _client(
    base: str,
    token: str,
    *,
    operator: bool,
    patients: list[int],
    until: float,
    tally: Tally,
    seed: int,
    think_s: float,
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    session: tuple[int, int] | None = None
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
        if operator:  # operators write telemetry into a session of their own
            pid = rng.choice(patients)
            started = await client.post(
                f"/api/patients/{pid}/sessions",
                json={"device": "bench", "modality": "ice_bag", "site": "knee"},
            )
            started.raise_for_status()
            session = (pid, started.json()["id"])
        while time.monotonic() < until:
            if think_s > 0:  # a person at a screen: random pause with mean think_s
                await asyncio.sleep(rng.expovariate(1.0 / think_s))
            is_read, request = _next_request(client, rng, rng.choice(patients), session)
            start = time.perf_counter()
            try:
                response = await request
            except httpx.HTTPError as error:
                tally.error(type(error).__name__)
                continue
            elapsed = time.perf_counter() - start
            if response.status_code >= 400:
                tally.error(str(response.status_code))
                continue
            (tally.read_s if is_read else tally.write_s).append(elapsed)


async def _load(
    base: str,
    usernames: list[str],
    patients: list[int],
    *,
    clients: int,
    seconds: float,
    think_s: float,
) -> tuple[Tally, float]:
    tally = Tally()
    # One login per client, one after the other (argon2 is slow on purpose): untimed.
    tokens = [_login(base, usernames[i % 2]) for i in range(clients)]
    until = time.monotonic() + seconds
    start = time.monotonic()
    await asyncio.gather(
        *[
            _client(
                base,
                tokens[i],
                operator=usernames[i % 2].endswith("operator"),
                patients=patients,
                until=until,
                tally=tally,
                seed=i,
                think_s=think_s,
            )
            for i in range(clients)
        ]
    )
    return tally, time.monotonic() - start


def _pct(values: list[float]) -> str:
    if not values:
        return "       -        -        -"
    p50, p95, p99 = np.percentile(np.asarray(values) * 1000, [50, 95, 99])
    return f"{p50:8.1f} {p95:8.1f} {p99:8.1f}"


def run_backend(
    name: str, url: str, *, clients: int, seconds: float, think_s: float, workdir: Path
) -> dict[str, float]:
    """Benchmark one backend; returns its summary figures."""
    patients, usernames = _prepare(url)
    port = _free_port()
    log = workdir / f"server-{name}.log"
    server = _serve(url, port, log)
    try:
        tally, wall_s = asyncio.run(
            _load(
                f"http://127.0.0.1:{port}",
                usernames,
                patients,
                clients=clients,
                seconds=seconds,
                think_s=think_s,
            )
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    done = len(tally.read_s) + len(tally.write_s)
    errors = sum(tally.errors.values())
    throughput = done / wall_s
    mode = f"think time {think_s:g} s" if think_s > 0 else "closed loop"
    print(
        f"\n{name}: {clients} clients ({mode}), {wall_s:.1f} s, {done} requests, "
        f"{throughput:.0f} req/s, errors: {errors} {tally.errors or ''}"
    )
    print(f"  {'latency [ms]':<14}{'p50':>8} {'p95':>8} {'p99':>8}   count")
    print(f"  {'reads':<14}{_pct(tally.read_s)}   {len(tally.read_s)}")
    print(f"  {'writes':<14}{_pct(tally.write_s)}   {len(tally.write_s)}")
    read_p95 = float(np.percentile(tally.read_s, 95) * 1000) if tally.read_s else float("nan")
    verdict = "met" if errors == 0 and read_p95 < 50 else "NOT met"
    print(f"  target (0 errors, read p95 < 50 ms): {verdict}")
    return {"throughput": throughput, "read_p95_ms": read_p95, "errors": errors}


def _postgres_database(base_url: str) -> str:
    name = f"cryotx_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration per backend")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--backend", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument(
        "--think-s",
        type=float,
        default=0.0,
        help="mean pause between a client's requests (0: closed loop)",
    )
    args = parser.parse_args()
    pg_url = os.environ.get("CRYOTX_TEST_POSTGRES_URL")
    if args.backend != "sqlite" and not pg_url:
        script = ROOT / "scripts" / "with-postgres.sh"
        os.execvp("bash", ["bash", str(script), sys.executable, *sys.argv])
    results = {}
    with tempfile.TemporaryDirectory(prefix="cryotx-bench-") as tmp:
        workdir = Path(tmp)
        if args.backend in ("both", "sqlite"):
            results["sqlite"] = run_backend(
                "SQLite",
                f"sqlite:///{workdir}/cryotx.sqlite3",
                clients=args.clients,
                seconds=args.seconds,
                think_s=args.think_s,
                workdir=workdir,
            )
        if args.backend in ("both", "postgres") and pg_url:
            results["postgres"] = run_backend(
                "PostgreSQL",
                _postgres_database(pg_url),
                clients=args.clients,
                seconds=args.seconds,
                think_s=args.think_s,
                workdir=workdir,
            )
    if len(results) == 2:
        ratio = results["postgres"]["throughput"] / results["sqlite"]["throughput"]
        print(f"\nthroughput ratio PostgreSQL / SQLite: {ratio:.2f}")


if __name__ == "__main__":
    main()
