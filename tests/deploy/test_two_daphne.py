"""The compose topology started natively: two daphne replicas, one PostgreSQL, one Redis.

What `docker compose up --scale web=2` runs, minus Docker and the proxy: each replica
is started through deploy/entrypoint.sh (so both migrate the same fresh database at
the same moment, as replicas do) and then execs daphne exactly as the image's CMD does.
The test proves that a WebSocket group message sent through one process reaches a
client of the other, which only the Redis channel layer can carry, and that a
foreign Origin is refused.

Needs PostgreSQL (trust auth for `postgres`) and Redis on 127.0.0.1, as CI starts them;
skipped, with the reason, only when one of them is not listening. Uses a scratch
database (created and dropped here) and a random Redis database number, so it neither
touches the test database nor sees another run's messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import websockets
from psycopg import sql
from websockets.exceptions import InvalidStatus

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
HOST = "127.0.0.1"
PG_PORT, REDIS_PORT = 5432, 6379
# Any existing database of the server will do to run CREATE/DROP DATABASE from.
PG_ADMIN_URL = os.environ.get("CLUSTERLAB_PG_ADMIN_URL",
                              f"postgresql://postgres@{HOST}:{PG_PORT}/test")
START_TIMEOUT_S = 60.0  # generous: CI machines may be busy; a healthy start takes ~3 s
RECEIVE_TIMEOUT_S = 5.0


def listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def replica_id(self) -> str:
        """What clusterlab.core.probe reports: hostname:pid of the daphne process.

        The entrypoint execs daphne, so daphne keeps the pid this test started.
        """
        return f"{socket.gethostname()}:{self.process.pid}"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/healthz/"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def services() -> None:
    down = [name for name, port in (("PostgreSQL", PG_PORT), ("Redis", REDIS_PORT))
            if not listening(port)]
    if down:
        pytest.skip(f"{' and '.join(down)} not reachable on {HOST} "
                    f"(start them as .ci/run does to run the two-daphne test)")


@pytest.fixture(scope="module")
def scratch_database(services: None) -> Iterator[str]:
    name = f"clusterlab_two_daphne_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://postgres@{HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            # FORCE: the replicas' pooled connections (CONN_MAX_AGE) may outlive them briefly.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(name)))


def stop(process: subprocess.Popen) -> None:
    """End the replica's process group (the entrypoint's shell and python, or daphne)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def replicas(scratch_database: str, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Replica, Replica]]:
    tmp = tmp_path_factory.mktemp("two-daphne")
    (tmp / "staticfiles").mkdir()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        # Production mode, as in the image: DEBUG unset, a real key, no test settings.
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": scratch_database,
        # A database number and a prefix of their own: Redis pub/sub ignores the database
        # number, so the prefix keeps other runs' groups apart.
        "REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/{secrets.choice(range(1, 16))}",
        "CHANNEL_LAYER_PREFIX": f"deploy{secrets.token_hex(4)}",
        "STATIC_ROOT": str(tmp / "staticfiles"),
        "LOG_LEVEL": "WARNING",
    }
    started: list[Replica] = []
    try:
        for name in ("A", "B"):
            port = free_port()
            log = tmp / f"replica-{name}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [str(ENTRYPOINT), "daphne", "--bind", HOST, "--port", str(port),
                     "--proxy-headers", "clusterlab.asgi:application"],
                    cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                    start_new_session=True)
            started.append(Replica(name, port, process, log))
        deadline = time.monotonic() + START_TIMEOUT_S
        for replica in started:
            while True:
                assert replica.process.poll() is None, (
                    f"replica {replica.name} exited with {replica.process.returncode}:\n"
                    + replica.output())
                try:
                    if get_json(replica.base + "/readyz")[0] == 200:
                        break
                except (OSError, ValueError):
                    pass
                assert time.monotonic() < deadline, (
                    f"replica {replica.name} not ready in {START_TIMEOUT_S:.0f} s:\n"
                    + replica.output())
                time.sleep(0.1)
        yield started[0], started[1]
    finally:
        for replica in started:
            stop(replica.process)


def test_both_replicas_are_ready_on_postgresql_and_redis(replicas):
    for replica in replicas:
        status, body = get_json(replica.base + "/readyz")
        assert status == 200, body
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["database"]["vendor"] == "postgresql"
        assert body["checks"]["channel_layer"] == {
            **body["checks"]["channel_layer"], "ok": True, "backend": "RedisPubSubChannelLayer"}


def test_replicas_starting_together_migrate_once(replicas, scratch_database):
    """Both entrypoints ran migrate at once; the advisory lock let one apply everything."""
    logs = [replica.output() for replica in replicas]
    assert all("waiting for the migration lock" in log for log in logs)
    appliers = [log for log in logs if "Applying contenttypes.0001_initial... OK" in log]
    assert len(appliers) == 1, logs
    assert sum("No migrations to apply." in log for log in logs) == 1, logs
    with psycopg.connect(scratch_database) as db:
        duplicates = db.execute("SELECT app, name FROM django_migrations "
                                "GROUP BY app, name HAVING count(*) > 1").fetchall()
        applied = db.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    assert duplicates == []
    assert applied > 10


async def next_probe(ws: websockets.ClientConnection, nonce: str) -> dict:
    """The probe carrying `nonce`, skipping anything else on the socket."""
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "probe" and message.get("probe") == nonce:
                return message


async def test_probe_sent_through_b_reaches_a_client_of_a(replicas):
    a, b = replicas
    async with (websockets.connect(a.ws_url, origin=f"http://{HOST}:{a.port}") as on_a,
                websockets.connect(b.ws_url, origin=f"http://localhost:{b.port}") as on_b):
        # The consumer joins the group before it accepts, so after `hello` it is a member.
        hello_a = json.loads(await asyncio.wait_for(on_a.recv(), RECEIVE_TIMEOUT_S))
        hello_b = json.loads(await asyncio.wait_for(on_b.recv(), RECEIVE_TIMEOUT_S))
        assert hello_a == {"type": "hello", "replica": a.replica_id}
        assert hello_b == {"type": "hello", "replica": b.replica_id}
        assert a.replica_id != b.replica_id

        nonce = secrets.token_hex(8)
        await on_b.send(json.dumps({"probe": nonce}))
        assert await next_probe(on_a, nonce) == {
            "type": "probe", "probe": nonce,
            "relayed_by": b.replica_id, "delivered_by": a.replica_id}
        # The sender's own socket is in the group too.
        assert await next_probe(on_b, nonce) == {
            "type": "probe", "probe": nonce,
            "relayed_by": b.replica_id, "delivered_by": b.replica_id}


async def test_websocket_from_a_foreign_origin_is_refused(replicas):
    a, _ = replicas
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(a.ws_url, origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    # The same socket with the site's own origin is accepted (the refusal is the Origin's).
    async with websockets.connect(a.ws_url, origin=f"http://{HOST}:{a.port}") as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT_S))["type"] == "hello"
