"""Load benchmark of the record service: 50 clients against one ``cryotx serve`` process.

Each backend (SQLite, then PostgreSQL) gets a fresh database with a small clinic, one
server process on a free loopback port, and ``--clients`` concurrent clients (one
keep-alive HTTP/1.1 connection each on asyncio streams, answers parsed by httptools; one
login each and the operators' sessions started before the clock) sending a mix of reads (patient,
vitals list, sessions list, patient list page; 75 %) and writes (vital signs, telemetry
batch of 10 readings; 25 %) for ``--seconds``: back to back (closed loop, the stress
case) or with a random pause of mean ``--think-s`` between requests (people at screens).
After ``--warmup-s`` of unrecorded load it prints throughput, p50/p95/p99 latency per
kind of request, the errors per kind and cause, the CPU the server process, the load
generator and the whole machine used during the window (from /proc), and the
PostgreSQL/SQLite throughput ratio.  Target: zero errors and read p95 under 50 ms.

PostgreSQL: uses ``CRYOTX_TEST_POSTGRES_URL`` if set; otherwise the script re-runs itself
under ``scripts/with-postgres.sh``, which starts and removes a throw-away server.

    .venv/bin/python benchmarks/bench_load.py                 # 60 s per backend
    .venv/bin/python benchmarks/bench_load.py --seconds 10    # quick run
    .venv/bin/python benchmarks/bench_load.py --backend sqlite
    .venv/bin/python benchmarks/bench_load.py --think-s 1     # paced clients
    .venv/bin/python benchmarks/bench_load.py --baseline b33e265  # old and new, side by side

The load generator runs on the same machine as the server, so both share its cores; it
is a separate process from the server and costs a few percent of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

import httptools
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
READS = ("patient", "vitals list", "sessions list", "patient list")
WRITES = ("add vitals", "add telemetry")
KINDS = READS + WRITES


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
        auth.create_user(
            db,
            SYSTEM,
            auth.UserCreate(
                username=name, password=PASSWORD, role=role, must_change_password=False
            ),
        )
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


def _serve(url: str, port: int, log: Path, *, src: Path | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRYOTX_DATABASE_URL": url}
    if src is not None:  # serve another version of the package (the baseline)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        # The database was migrated by this tree; an older server does not know the newer
        # revisions (the columns it does not use have defaults).
        env["CRYOTX_MIGRATE_ON_START"] = "0"
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


class _Response:
    """httptools parser callbacks: collect one response's body and its keep-alive flag."""

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        # httptools answers should_keep_alive() only until the message is complete (it
        # says False afterwards), so read it here.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _ClosedUnanswered(ConnectionResetError):
    """The server closed the connection before any byte of an answer."""


class Connection:
    """One HTTP/1.1 keep-alive connection of one client (asyncio streams + httptools).

    httpx costs about a millisecond of CPU per request, which on a 2-core machine is CPU
    taken from the server it measures; this client writes the request bytes itself and
    parses the answer with httptools (the parser uvicorn uses), a few tens of microseconds.
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self._head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.opened = 0

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """Send one request; (status, body).

        A kept-alive connection the server closed while it was idle (uvicorn closes them
        after 5 s) is reopened and the request sent again, as browsers and HTTP libraries
        do: the server answered nothing on it, so nothing was done twice.
        """
        reused = self._streams is not None
        try:
            return await self._send(method, path, body)
        except _ClosedUnanswered:
            if not reused:
                raise
            return await self._send(method, path, body)

    async def _send(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        reader, writer = self._streams
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._head
        if body:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        response = _Response()
        parser = response.parser
        answered = False
        try:
            writer.write(head + b"\r\n" + body)
            while not response.complete:
                try:
                    data = await reader.read(65536)
                except ConnectionResetError as error:
                    if answered:
                        raise
                    raise _ClosedUnanswered(str(error)) from error
                if not data:
                    if answered:
                        raise ConnectionResetError("server closed the connection mid-answer")
                    raise _ClosedUnanswered("server closed the connection")
                answered = True
                parser.feed_data(data)
        except BaseException:
            self.close()
            raise
        if not response.keep_alive:
            self.close()
        return parser.get_status_code(), b"".join(response.body)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


@dataclass
class Tally:
    """Latencies [s] per kind of request and the errors seen (per kind and cause)."""

    recording: bool = False
    latency_s: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, int] = field(default_factory=dict)
    connections_opened: int = 0  # TCP connections the clients opened while recording

    def error(self, kind: str, what: str) -> None:
        if self.recording:
            key = f"{kind}: {what}"
            self.errors[key] = self.errors.get(key, 0) + 1


def _next_request(
    rng: random.Random, pid: int, session: tuple[int, int] | None
) -> tuple[str, str, str, bytes]:
    """(kind, method, path, body) of one request drawn from the mix."""
    if rng.random() < READ_SHARE:
        kind = rng.choice(READS)
        path = {
            "patient": f"/api/patients/{pid}",
            "vitals list": f"/api/patients/{pid}/vitals?limit=20",
            "sessions list": f"/api/patients/{pid}/sessions",
            "patient list": "/api/patients?limit=20",
        }[kind]
        return kind, "GET", path, b""
    if session is not None and rng.random() < 0.5:
        samples = [
            {"elapsed_s": rng.uniform(0, 1200), "skin_temp_c": 20.0, "agent_temp_c": 0.5}
            for _ in range(10)
        ]
        url = f"/api/patients/{session[0]}/sessions/{session[1]}/telemetry"
        return "add telemetry", "POST", url, json.dumps({"samples": samples}).encode()
    vitals = {"heart_rate_bpm": rng.randint(50, 100), "body_temp_c": 36.6}
    return "add vitals", "POST", f"/api/patients/{pid}/vitals", json.dumps(vitals).encode()


async def _start_session(connection: Connection, pid: int) -> tuple[int, int]:
    body = json.dumps({"device": "bench", "modality": "ice_bag", "site": "knee"}).encode()
    status, answer = await connection.request("POST", f"/api/patients/{pid}/sessions", body)
    if status != 201:
        raise RuntimeError(f"could not start a session: {status} {answer[:200]!r}")
    return pid, int(json.loads(answer)["id"])


async def _client(
    connection: Connection,
    rng: random.Random,
    *,
    session: tuple[int, int] | None,
    patients: list[int],
    until: float,
    tally: Tally,
    think_s: float,
) -> None:
    while time.monotonic() < until:
        if think_s > 0:  # a person at a screen: random pause with mean think_s
            await asyncio.sleep(rng.expovariate(1.0 / think_s))
        kind, method, path, body = _next_request(rng, rng.choice(patients), session)
        start = time.perf_counter()
        try:
            status, answer = await connection.request(method, path, body)
            json.loads(answer)  # a 2xx must carry a JSON document, not just a status
        except (OSError, ValueError) as error:
            tally.error(kind, type(error).__name__)
            continue
        elapsed = time.perf_counter() - start
        if status >= 400:
            tally.error(kind, str(status))
        elif tally.recording:
            tally.latency_s[kind].append(elapsed)


def _cpu_s(pid: int) -> float:
    """CPU time (user + system) of a process so far [s], from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU time all processes of the machine used so far [s], from /proc/stat (Linux)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuShare:
    """CPU used during the measured window, in cores (1.0 = one core busy all the time)."""

    server: float = float("nan")
    generator: float = float("nan")
    machine: float = float("nan")


async def _load(
    host: str,
    port: int,
    tokens: list[str],
    operators: list[bool],
    patients: list[int],
    *,
    seconds: float,
    warmup_s: float,
    think_s: float,
    server_pid: int,
) -> tuple[Tally, float, CpuShare]:
    tally = Tally()
    connections = [Connection(host, port, token) for token in tokens]
    rngs = [random.Random(i) for i in range(len(tokens))]
    # Operators write telemetry into a session of their own, started before the clock.
    sessions = [
        await _start_session(c, rng.choice(patients)) if is_operator else None
        for c, rng, is_operator in zip(connections, rngs, operators, strict=True)
    ]
    loop = asyncio.get_running_loop()
    until = time.monotonic() + warmup_s + seconds
    clients = asyncio.gather(
        *[
            _client(c, rng, session=s, patients=patients, until=until, tally=tally, think_s=think_s)
            for c, rng, s in zip(connections, rngs, sessions, strict=True)
        ]
    )
    await asyncio.sleep(warmup_s)  # connections opened, caches warm: start counting
    tally.recording = True
    opened0 = sum(c.opened for c in connections)
    start, server0, machine0 = time.monotonic(), _cpu_s(server_pid), _machine_busy_s()
    generator0 = time.process_time()
    done = loop.create_future()
    loop.call_later(seconds, done.set_result, None)
    await done
    tally.recording = False
    tally.connections_opened = sum(c.opened for c in connections) - opened0
    wall_s = time.monotonic() - start
    cpu = CpuShare(
        server=(_cpu_s(server_pid) - server0) / wall_s,
        generator=(time.process_time() - generator0) / wall_s,
        machine=(_machine_busy_s() - machine0) / wall_s,
    )
    await clients
    for connection in connections:
        connection.close()
    return tally, wall_s, cpu


def _pct(values: list[float]) -> str:
    if not values:
        return "       -        -        -"
    p50, p95, p99 = np.percentile(np.asarray(values) * 1000, [50, 95, 99])
    return f"{p50:8.1f} {p95:8.1f} {p99:8.1f}"


def _run_loop(coroutine: Any) -> Any:
    """Run on uvloop when installed (a cheaper event loop for the generator too)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def run_backend(
    name: str,
    url: str,
    *,
    clients: int,
    seconds: float,
    warmup_s: float,
    think_s: float,
    workdir: Path,
    src: Path | None = None,
) -> dict[str, float]:
    """Benchmark one backend; returns its summary figures.

    ``src``: a ``src`` directory of another CryoTx version to serve instead of this one.
    """
    patients, usernames = _prepare(url)
    port = _free_port()
    log = workdir / f"server-{name}.log"
    server = _serve(url, port, log, src=src)
    try:
        # One login per client, one after the other (argon2 is slow on purpose): untimed.
        base = f"http://127.0.0.1:{port}"
        tokens = [_login(base, usernames[i % 2]) for i in range(clients)]
        operators = [usernames[i % 2].endswith("operator") for i in range(clients)]
        load_before = os.getloadavg()[0]
        tally, wall_s, cpu = _run_loop(
            _load(
                "127.0.0.1",
                port,
                tokens,
                operators,
                patients,
                seconds=seconds,
                warmup_s=warmup_s,
                think_s=think_s,
                server_pid=server.pid,
            )
        )
        load_after = os.getloadavg()[0]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    reads = [x for kind in READS for x in tally.latency_s[kind]]
    writes = [x for kind in WRITES for x in tally.latency_s[kind]]
    done = len(reads) + len(writes)
    errors = sum(tally.errors.values())
    throughput = done / wall_s
    mode = f"think time {think_s:g} s" if think_s > 0 else "closed loop"
    print(
        f"\n{name}: {clients} clients ({mode}), {wall_s:.1f} s measured after {warmup_s:g} s "
        f"warm-up, {done} requests, {throughput:.0f} req/s, errors: {errors} "
        f"{tally.errors or ''}"
    )
    print(
        f"  CPU [cores]: server {cpu.server:.2f}, load generator {cpu.generator:.2f}, "
        f"whole machine {cpu.machine:.2f} of {os.cpu_count()}; "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(
        f"  connections opened while measuring: {tally.connections_opened} "
        "(keep-alive; reopened only after the server closed one idle for 5 s)"
    )
    if done:
        print(f"  server CPU per request: {1000 * cpu.server / throughput:.2f} ms")
    print(f"  {'latency [ms]':<16}{'p50':>8} {'p95':>8} {'p99':>8}   count")
    for label, values in [
        ("reads", reads),
        *[(f"  {kind}", tally.latency_s[kind]) for kind in READS],
        ("writes", writes),
        *[(f"  {kind}", tally.latency_s[kind]) for kind in WRITES],
    ]:
        print(f"  {label:<16}{_pct(values)}   {len(values)}")
    read_p95 = float(np.percentile(reads, 95) * 1000) if reads else float("nan")
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
    parser.add_argument(
        "--warmup-s", type=float, default=3.0, help="unrecorded load before the clock starts"
    )
    parser.add_argument("--backend", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also serve this git revision, before this tree, and print the ratios",
    )
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
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cryotx-bench-") as tmp:
        workdir = Path(tmp)
        baseline = _baseline_src(args.baseline, workdir) if args.baseline else None
        runs: list[tuple[str, Path | None]] = [("", None)]
        if baseline is not None:  # old and new in turn, in the same conditions
            runs = [(f" [baseline {args.baseline}]", baseline), (" [this tree]", None)]
        for key, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            if args.backend not in ("both", key) or (key == "postgres" and not pg_url):
                continue
            for index, (label, src) in enumerate(runs):
                if key == "sqlite":
                    url = f"sqlite:///{workdir}/cryotx-{index}.sqlite3"
                else:
                    url = _postgres_database(str(pg_url))
                results[key + label] = run_backend(
                    name + label,
                    url,
                    clients=args.clients,
                    seconds=args.seconds,
                    warmup_s=args.warmup_s,
                    think_s=args.think_s,
                    workdir=workdir,
                    src=src,
                )
            if baseline is not None:
                old, new = results[key + runs[0][0]], results[key + runs[1][0]]
                speedup = new["throughput"] / old["throughput"]
                p95_ratio = new["read_p95_ms"] / old["read_p95_ms"]
                print(f"\n{name}: this tree / baseline: throughput x{speedup:.2f}, ", end="")
                print(f"read p95 x{p95_ratio:.2f}")
    if not args.baseline and len(results) == 2:
        ratio = results["postgres"]["throughput"] / results["sqlite"]["throughput"]
        print(f"\nthroughput ratio PostgreSQL / SQLite: {ratio:.2f}")


def _baseline_src(revision: str, workdir: Path) -> Path:
    """``src`` of ``revision`` of this repository, exported under ``workdir``."""
    target = workdir / "baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


if __name__ == "__main__":
    main()
