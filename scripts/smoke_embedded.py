"""Smoke run of the embedded default: daphne + SQLite + in-memory channel layer.

Starts the app as `make run` does (on a scratch database and a free port), then
checks /healthz, /readyz, the home page, a static file and a WebSocket round trip.
Exits non-zero with the reason when anything is off.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


async def ws_round_trip(port: int) -> dict:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/healthz/",
                                  origin=f"http://127.0.0.1:{port}") as ws:
        json.loads(await ws.recv())  # hello
        await ws.send(json.dumps({"probe": "smoke"}))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    tmp = tempfile.mkdtemp(prefix="clusterlab-smoke-")
    env.update(DEBUG="1", SQLITE_PATH=os.path.join(tmp, "db.sqlite3"))
    for cmd in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run([PY, "manage.py", *cmd], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen([PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "clusterlab.asgi:application"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            print("smoke: daphne did not answer /healthz", file=sys.stderr)
            return 1
        status, body = get(base + "/readyz")
        ready = json.loads(body)
        print("smoke: /readyz", status, json.dumps(ready["checks"]))
        checks = ready["checks"]
        assert status == 200, "readyz is not 200"
        assert checks["database"]["vendor"] == "sqlite", "expected the embedded SQLite database"
        assert checks["channel_layer"]["backend"] == "InMemoryChannelLayer"
        status, body = get(base + "/")
        assert status == 200 and b"ClusterLab" in body, f"home page answered {status}"
        status, _ = get(base + "/static/css/site.css")
        assert status == 200, f"static file answered {status}"
        echoed = asyncio.run(ws_round_trip(port))
        assert echoed.get("probe") == "smoke", f"websocket answered {echoed}"
        print("smoke: embedded default OK (home page, static, readyz, websocket)")
        return 0
    except AssertionError as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
