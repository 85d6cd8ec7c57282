"""Durability: writes go on while ``cryotx serve`` is killed with SIGKILL, then it restarts.

Every write the API acknowledged (HTTP 201) must be there after the restart, unchanged, and
nothing half-written may be: each telemetry batch is all there or not at all, and every
stored row has the audit entry written in its transaction.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cryotx.services import auth, records
from cryotx.services._common import Actor
from cryotx.services.schemas import PatientCreate
from cryotx.store.db import Database

PASSWORD = "correct horse battery staple"
SYSTEM = Actor(user_id=0, username="system:test", role="admin")
BATCH = 40
WRITERS = 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"server did not start: {log.read_text()[-2000:]}")


def _token(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    for role in ("clinician", "operator"):
        auth.create_user(
            db,
            SYSTEM,
            auth.UserCreate(
                username=f"{role}1", password=PASSWORD, role=role, must_change_password=False
            ),
        )
    clinician = Actor(user_id=1, username="clinician1", role="clinician")
    patient = records.create_patient(
        db,
        clinician,
        PatientCreate(given_name="D", family_name="Durable", sex="female", birth_date="1970-01-01"),
    )
    db.dispose()
    port, log = _free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = _start(database_url, port, log)
    try:
        operator = _token(base, "operator1")
        pid = patient.id
        session_ids = [
            httpx.post(
                f"{base}/api/patients/{pid}/sessions",
                headers=operator,
                timeout=10,
                json={"device": "d", "modality": "ice_bag", "site": "knee"},
            ).json()["id"]
            for _ in range(WRITERS)
        ]
        acked_vitals: list[dict[str, object]] = []
        acked_batches: list[tuple[int, int]] = []
        lock = threading.Lock()
        stop = threading.Event()
        t0 = datetime(2026, 1, 1, tzinfo=UTC)

        def writer(index: int) -> None:
            with httpx.Client(base_url=base, headers=operator, timeout=5) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    stamp = (t0 + timedelta(seconds=index * 1_000_000 + n)).isoformat()
                    try:
                        if n % 2:
                            r = client.post(
                                f"/api/patients/{pid}/vitals",
                                json={
                                    "measured_at": stamp,
                                    "heart_rate_bpm": 40 + index,
                                    "body_temp_c": 36.0 + (n % 10) / 10,
                                },
                            )
                            if r.status_code == 201:
                                with lock:
                                    acked_vitals.append(r.json())
                        else:
                            sid = session_ids[index]
                            samples = [
                                {"elapsed_s": n * BATCH + k, "skin_temp_c": 20.0}
                                for k in range(BATCH)
                            ]
                            r = client.post(
                                f"/api/patients/{pid}/sessions/{sid}/telemetry",
                                json={"samples": samples},
                            )
                            if r.status_code == 201:
                                with lock:
                                    acked_batches.append((sid, n))
                    except httpx.TransportError:
                        return  # the server is gone: stop writing

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert acked_vitals and acked_batches, "no write was acknowledged before the kill"

        server = _start(database_url, port, log)
        clinician_h = _token(base, "clinician1")
        with httpx.Client(base_url=base, headers=clinician_h, timeout=30) as client:
            for vital in acked_vitals:
                stored = client.get(f"/api/patients/{pid}/vitals/{vital['id']}")
                assert stored.status_code == 200
                assert stored.json() == vital
            vitals_total = client.get(f"/api/patients/{pid}/vitals", params={"limit": 1}).json()[
                "total"
            ]
            audit_vitals = client.get(
                "/api/audit", params={"patient_id": pid, "entity": "vital_signs", "limit": 1}
            ).json()["total"]
            assert audit_vitals == vitals_total >= len(acked_vitals)
            audit_telemetry: list[dict[str, object]] = []
            while True:
                page = client.get(
                    "/api/audit",
                    params={
                        "patient_id": pid,
                        "entity": "telemetry_samples",
                        "limit": 200,
                        "offset": len(audit_telemetry),
                    },
                ).json()
                audit_telemetry += page["items"]
                if not page["items"]:
                    break
            for sid in session_ids:
                samples = client.get(
                    f"/api/patients/{pid}/sessions/{sid}/telemetry", params={"limit": 5000}
                ).json()["items"]
                batches: dict[int, int] = {}
                for sample in samples:
                    key = int(sample["elapsed_s"]) // BATCH
                    batches[key] = batches.get(key, 0) + 1
                assert all(count == BATCH for count in batches.values()), "half a batch stored"
                assert {n for s, n in acked_batches if s == sid} <= set(batches)
                # Every page of the audit (collected above): with fast writes there are
                # more than 200 batches across the sessions.
                assert sum(1 for e in audit_telemetry if e["entity_id"] == sid) == len(batches)
    finally:
        server.kill()
        server.wait(timeout=10)
