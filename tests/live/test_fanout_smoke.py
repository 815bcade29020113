"""The fan-out benchmark in small: 20 viewers on two daphne processes joined by Redis.

bench/bench_ws_fanout.py measures 1,000 viewers; this runs the same machinery (the
compose topology started natively, sessions made by Django's session engine, the
`websockets` load generator) at a size CI affords, and asserts what the benchmark can
only print: every viewer, on either process, receives `trace.started`, every one of
the trace's hops in order, and `trace.finished`.

Needs PostgreSQL and Redis on 127.0.0.1 (as .ci/run starts them); skipped, saying
which is down, otherwise.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from bench.loadgen.cluster import TRACE, parse_setup, setup_script
from bench.loadgen.servers import TwoDaphne, services_down
from bench.loadgen.viewers import LoadGen, _messages

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

VIEWERS = 20


@pytest.fixture(scope="module")
def services() -> None:
    down = services_down()
    if down:
        pytest.skip(f"{' and '.join(down)} not reachable on 127.0.0.1")


def started_cluster(redis_socket_timeout: float | None) -> tuple[TwoDaphne, dict]:
    cluster = TwoDaphne(redis_socket_timeout=redis_socket_timeout).__enter__()
    try:
        setup = parse_setup(cluster.shell(setup_script(
            "smoke-owner", "smoke-owner-pw-1", viewers=VIEWERS, nodes=4, pods_per_node=10,
            name="smoke")))
    except BaseException:
        cluster.__exit__(None, None, None)
        raise
    return cluster, setup


def viewer_targets(cluster: TwoDaphne, setup: dict) -> list[dict]:
    path = f"/ws/clusters/{setup['cluster']}/"
    return [{"url": cluster.servers[i % 2].ws(path), "origin": cluster.servers[i % 2].origin,
             "cookie": f"sessionid={key}"} for i, key in enumerate(setup["viewer_sessions"])]


@pytest.fixture(scope="module")
def two_daphne(services: None):
    cluster, setup = started_cluster(redis_socket_timeout=None)  # the settings' own
    yield cluster, setup
    cluster.__exit__(None, None, None)


async def test_every_viewer_on_both_processes_receives_every_hop(two_daphne):
    cluster, setup = two_daphne
    a = cluster.servers[0]
    gen = LoadGen(viewer_targets(cluster, setup), concurrency=10)
    connected = await gen.connect_all()
    assert connected["ok"] == VIEWERS, connected
    try:
        async with connect(a.ws(f"/ws/clusters/{setup['cluster']}/"), origin=a.origin,
                           additional_headers={"Cookie": f"sessionid={setup['owner_session']}"},
                           ping_interval=None) as sender:
            assert json.loads(await asyncio.wait_for(sender.recv(), 10))["type"] == "welcome"
            sent = time.time()
            await sender.send(json.dumps({**TRACE, "id": "smoke"}))
            waited = await gen.wait(finished=1, timeout=60)
        assert waited["complete"] == VIEWERS, waited
        for v in gen.viewers:
            messages = [m for _, frame in v.records for m in _messages(json.loads(frame))]
            started = [m for m in messages if m["type"] == "trace.started"]
            assert len(started) == 1 and started[0]["request_id"] == "smoke", (v.url, started)
            trace_id, count = started[0]["trace_id"], started[0]["hop_count"]
            assert count >= 10, started[0]  # the cross-node Service path, not a short cut
            assert sent - 1 < started[0]["sent_at"] < time.time()
            hops = [m for m in messages if m["type"] == "trace.hop"]
            assert [h["trace_id"] for h in hops] == [trace_id] * count
            assert [h["hop"]["seq"] for h in hops] == sorted(h["hop"]["seq"] for h in hops)
            assert [h["at_ms"] for h in hops] == sorted(h["at_ms"] for h in hops)
            finished = [m for m in messages if m["type"] == "trace.finished"]
            assert len(finished) == 1 and finished[0]["trace_id"] == trace_id
            assert finished[0]["verdict"] == "delivered", finished[0]
        # Viewers were spread over both processes: Redis carried the trace to half of them.
        assert {v.url.split("/ws/")[0] for v in gen.viewers} == {
            s.ws("") for s in cluster.servers}
    finally:
        await gen.close()


async def test_presence_lists_the_viewers_of_both_processes(two_daphne):
    """Each process keeps a roster; a process new to another is answered with its
    members, so a viewer on A sees the viewers on B and the other way round."""
    cluster, setup = two_daphne
    targets = viewer_targets(cluster, setup)[:4]  # two on A, two on B
    sockets = [await connect(t["url"], origin=t["origin"], ping_interval=None,
                             additional_headers={"Cookie": t["cookie"]}) for t in targets]
    try:
        async def last_count(ws) -> int:
            count = 0
            deadline = time.monotonic() + 10
            while count != len(sockets) and time.monotonic() < deadline:
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except TimeoutError:
                    continue
                if isinstance(msg, dict) and msg.get("type") == "presence":
                    count = msg["count"]
            return count

        assert await asyncio.gather(*(last_count(ws) for ws in sockets)) == [4, 4, 4, 4]
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_class_loading_the_cluster_at_once_gets_it_every_time(two_daphne):
    """150 simultaneous `?include=objects` loads, more than PostgreSQL's 100 connections:
    each process pools its connections (settings.py) and builds the listing once per
    version (labs/listing.py). With per-thread persistent connections most of such a burst
    failed with "too many clients" (docs/performance.md)."""
    import aiohttp

    cluster, setup = two_daphne
    sessions = setup["viewer_sessions"]
    async with aiohttp.ClientSession() as http:
        async def load(i: int) -> tuple[int, int]:
            server = cluster.servers[i % 2]
            async with http.get(f"{server.base}/api/clusters/{setup['cluster']}/"
                                "?include=objects",
                                headers={"Cookie": f"sessionid={sessions[i % len(sessions)]}"},
                                timeout=aiohttp.ClientTimeout(total=60)) as response:
                body = await response.json() if response.status == 200 else {}
                return response.status, len(body.get("objects", {}).get("pods", ()))

        results = await asyncio.gather(*(load(i) for i in range(150)))
    assert [status for status, _ in results] == [200] * 150
    assert {pods for _, pods in results} == {42}  # 4 nodes x 10 pods + 2 CoreDNS, every time


async def test_idle_viewers_keep_their_sockets_with_the_settings_as_they_are(services):
    """redis-py 8 reads with socket_timeout=5 s by default, the same 5 s channels-redis
    blocks in BZPOPMIN: without settings' longer socket_timeout an idle consumer's
    receive() raised TimeoutError and its socket was closed with 1011 every ~5 s
    (django/channels_redis#422)."""
    cluster, setup = started_cluster(redis_socket_timeout=None)
    try:
        gen = LoadGen(viewer_targets(cluster, setup)[:6], concurrency=6)
        assert (await gen.connect_all())["ok"] == 6
        await asyncio.sleep(12)  # a quiet cluster: nobody edits, nobody traces
        closed = [v.closed for v in gen.viewers if v.closed]
        await gen.close()
        assert closed == [], f"{len(closed)} of 6 idle sockets closed by the server: {closed}"
    finally:
        cluster.__exit__(None, None, None)
