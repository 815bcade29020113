"""Load generator: many WebSocket viewers of one cluster in one asyncio process.

Started by bench_ws_fanout.py (one or two of these processes), driven over stdin/stdout
with one JSON object per line, so the clients' own CPU stays out of the daphne
processes and out of the orchestrator:

    argv[1]   a JSON file: {"targets": [{"url", "origin", "cookie"}], "concurrency": 25,
              "client": "websockets" | "aiohttp"}
    stdout    {"event": "connected", ...} once every socket got its `welcome`
    stdin     {"cmd": "stats"}                       → {"event": "stats", ...}
              {"cmd": "wait", "finished": n, "timeout": s}
                  → {"event": "waited", "complete": k, ...} when every socket has
                    received n `trace.finished` (or at the timeout)
              {"cmd": "load_all"}                     → every viewer GETs the cluster at once
                                                        (aiohttp) → {"event": "loaded", ...}
              {"cmd": "dump", "path": p}             → trace messages written to p
              {"cmd": "quit"}

A message is timestamped (time.time(), the clock the server's `sent_at` uses) when its
socket's reader task gets it from the websockets library. Presence messages are only
counted (at 1,000 viewers they are most of the bytes); trace messages are kept raw and
parsed at dump time, so parsing costs nothing during the measurement. A frame that is a
JSON array is taken as several messages received at once (batching prototypes).
A `cluster.changed` with `refetch: true` makes the viewer reload the cluster over HTTP
150 ms later, as the browser does (aiohttp clients; counted in `stats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PRESENCE = '{"type": "presence"'
CHANGED = '{"type": "cluster.changed"'
REFETCH_DELAY_S = 0.15  # main.js: a `refetch: true` change reloads the cluster after 150 ms
FINISHED = '{"type": "trace.finished"'
FINISHED_IN = '"type": "trace.finished"'


@dataclass
class Viewer:
    index: int
    url: str
    origin: str
    cookie: str
    ws: ClientConnection | None = None
    error: str = ""
    presence: int = 0
    presence_bytes: int = 0
    finished: int = 0
    refetches: int = 0
    closed: str = ""
    last_at: float = 0.0
    records: list[tuple[float, str]] = field(default_factory=list)

    @property
    def listing_url(self) -> str:
        """ws(s)://host/ws/clusters/<id>/ → http(s)://host/api/clusters/<id>/?include=objects"""
        return ("http" + self.url.removeprefix("ws")).replace(
            "/ws/clusters/", "/api/clusters/", 1) + "?include=objects"


class LoadGen:
    def __init__(self, targets: list[dict], concurrency: int,
                 client: str = "websockets") -> None:
        self.viewers = [Viewer(i, t["url"], t["origin"], t["cookie"])
                        for i, t in enumerate(targets)]
        self.concurrency = concurrency
        # `websockets` parses frames in pure Python (~0.1 ms per 19 KB frame here);
        # aiohttp's reader is compiled: the viewers' own CPU, which shares the two cores
        # with the servers, then weighs less on what is measured.
        self.client = client
        self.session = None
        self.progress = asyncio.Event()
        self.readers: list[asyncio.Task] = []
        self.messages = 0
        self.refetch_tasks: set[asyncio.Task] = set()
        self.refetch_ms: list[float] = []
        self.refetch_bytes = 0
        self.refetch_errors = 0

    async def open(self, v: Viewer, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                if self.client == "aiohttp":
                    v.ws = await self._open_aiohttp(v)
                    first = json.loads((await v.ws.receive(timeout=120)).data)
                else:
                    v.ws = await connect(v.url, origin=v.origin,
                                         additional_headers={"Cookie": v.cookie},
                                         compression=None, ping_interval=None, max_size=None,
                                         open_timeout=120, close_timeout=2, max_queue=None)
                    first = json.loads(await asyncio.wait_for(v.ws.recv(), 120))
                if first.get("type") != "welcome":
                    v.error = f"first message {first!r}"
            except (OSError, ConnectionClosed, TimeoutError, TypeError,
                    websockets.exceptions.InvalidStatus, ValueError) as exc:
                v.error = f"{type(exc).__name__}: {exc}"
                return
        self.readers.append(asyncio.create_task(
            self.read_aiohttp(v) if self.client == "aiohttp" else self.read(v)))

    async def _open_aiohttp(self, v: Viewer):  # type: ignore[no-untyped-def]
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=None, connect=120))
        return await self.session.ws_connect(
            v.url, origin=v.origin, headers={"Cookie": v.cookie}, autoping=False,
            autoclose=True, max_msg_size=0, compress=0)

    def _record(self, v: Viewer, message: str) -> None:
        now = time.time()
        self.messages += 1
        v.last_at = now
        if message.startswith(PRESENCE):
            v.presence += 1
            v.presence_bytes += len(message)
            return
        if message.startswith(CHANGED):
            # As the browser does: a change that asks for it reloads the whole cluster.
            if json.loads(message).get("refetch") and self.client == "aiohttp":
                task = asyncio.get_running_loop().create_task(self.refetch(v))
                self.refetch_tasks.add(task)
                task.add_done_callback(self.refetch_tasks.discard)
            return
        v.records.append((now, message))
        if message.startswith(FINISHED) or (
                message.startswith("[") and FINISHED_IN in message):
            v.finished += 1
            self.progress.set()

    async def load_all(self) -> dict:
        """Every viewer loads the cluster at the same moment (a class opening it)."""
        before = len(self.refetch_ms), self.refetch_errors, self.refetch_bytes
        started = time.monotonic()
        await asyncio.gather(*(self.refetch(v, delay=0) for v in self.viewers if v.ws))
        times = sorted(self.refetch_ms[before[0]:])
        return {"event": "loaded", "ok": len(times), "errors": self.refetch_errors - before[1],
                "mb": round((self.refetch_bytes - before[2]) / 1e6, 1), "ms": times,
                "seconds": round(time.monotonic() - started, 2), "cpu_s": round(_cpu(), 3)}

    async def refetch(self, v: Viewer, delay: float = REFETCH_DELAY_S) -> None:
        """GET the cluster with its objects, as main.js `load()` does."""
        import aiohttp

        await asyncio.sleep(delay)
        started = time.monotonic()
        try:
            async with self.session.get(v.listing_url,
                                        headers={"Cookie": v.cookie}) as response:
                body = await response.read()
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
        except (TimeoutError, OSError, aiohttp.ClientError):
            self.refetch_errors += 1
            return
        v.refetches += 1
        self.refetch_bytes += len(body)
        self.refetch_ms.append((time.monotonic() - started) * 1000)

    async def read(self, v: Viewer) -> None:
        assert v.ws is not None
        try:
            async for message in v.ws:
                self._record(v, message)
        except ConnectionClosed as exc:
            v.closed = f"{exc.rcvd.code if exc.rcvd else 'no close frame'}"
            self.progress.set()

    async def read_aiohttp(self, v: Viewer) -> None:
        import aiohttp

        assert v.ws is not None
        async for msg in v.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._record(v, msg.data)
        v.closed = str(v.ws.close_code or "no close frame")
        self.progress.set()

    async def connect_all(self) -> dict:
        started = time.time()
        gate = asyncio.Semaphore(self.concurrency)
        await asyncio.gather(*(self.open(v, gate) for v in self.viewers))
        failed = [f"{v.index}: {v.error}" for v in self.viewers if v.error]
        return {"event": "connected", "ok": len(self.viewers) - len(failed),
                "failed": failed[:10], "failed_count": len(failed),
                "seconds": round(time.time() - started, 3)}

    def stats(self) -> dict:
        now = time.time()
        last = max((v.last_at for v in self.viewers), default=0.0)
        return {"event": "stats", "messages": self.messages,
                "presence": sum(v.presence for v in self.viewers),
                "presence_bytes": sum(v.presence_bytes for v in self.viewers),
                "idle_s": round(now - last, 3) if last else None,
                "closed": sum(1 for v in self.viewers if v.closed),
                "refetches": sum(v.refetches for v in self.viewers),
                "refetch_errors": self.refetch_errors,
                "refetch_mb": round(self.refetch_bytes / 1e6, 1),
                "refetch_ms": sorted(self.refetch_ms),
                "refetching": len(self.refetch_tasks),
                "cpu_s": round(_cpu(), 3)}

    async def wait(self, finished: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        live = [v for v in self.viewers if v.ws is not None and not v.error]
        while True:
            done = sum(1 for v in live if v.finished >= finished)
            # a socket the server closed will never receive it: do not wait for it
            if done == sum(1 for v in live if not v.closed or v.finished >= finished) \
                    or time.monotonic() >= deadline:
                break
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), deadline - time.monotonic())
        return {"event": "waited", "complete": done, "viewers": len(live),
                "closed": sum(1 for v in live if v.closed), "cpu_s": round(_cpu(), 3)}

    def dump(self, path: str) -> dict:
        out = []
        for v in self.viewers:
            out.append({"index": v.index, "url": v.url, "error": v.error, "closed": v.closed,
                        "presence": v.presence,
                        "messages": [[t, one] for t, m in v.records
                                     for one in _messages(json.loads(m))]})
        with open(path, "w") as f:
            json.dump(out, f)
        return {"event": "dumped", "path": path}

    async def close(self) -> None:
        await asyncio.gather(*(v.ws.close() for v in self.viewers if v.ws is not None),
                             return_exceptions=True)
        for task in self.readers:
            task.cancel()
        if self.session is not None:
            await self.session.close()


def _messages(decoded: object) -> list:
    """A frame holds one message, or (a batching prototype) a JSON array of them."""
    return decoded if isinstance(decoded, list) else [decoded]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main(config_path: str) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(config_path) as f:
        config = json.load(f)
    gen = LoadGen(config["targets"], config.get("concurrency", 25),
                  config.get("client", "websockets"))
    emit(await gen.connect_all())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["cmd"] == "stats":
            emit(gen.stats())
        elif cmd["cmd"] == "wait":
            emit(await gen.wait(cmd["finished"], cmd.get("timeout", 30)))
        elif cmd["cmd"] == "load_all":
            emit(await gen.load_all())
        elif cmd["cmd"] == "dump":
            emit(gen.dump(cmd["path"]))
        elif cmd["cmd"] == "quit":
            break
    await gen.close()
    emit({"event": "bye"})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
