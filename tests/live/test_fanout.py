"""The per-process fan-out: one receiver writes a cluster's frames to all local sockets."""

from __future__ import annotations

import asyncio
import json

from channels.layers import get_channel_layer

from clusterlab.live.fanout import fanout_for, frame_event
from clusterlab.live.groups import frames_group


class Socket:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None:
        if self.fail:
            raise RuntimeError("socket closed")
        self.sent.append(text_data)


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_one_receiver_writes_each_frame_once_to_every_socket_of_its_cluster():
    layer = get_channel_layer()
    fanout = fanout_for(layer)
    a, b, other, broken = Socket(), Socket(), Socket(), Socket(fail=True)
    for cluster, socket in ((901, a), (901, broken), (901, b), (902, other)):
        await fanout.join(cluster, socket)
    assert fanout_for(layer) is fanout  # one per loop: one channel in each group
    await layer.group_send(frames_group(901), frame_event(901, {"type": "trace.hop"}))
    await until(lambda: a.sent and b.sent)
    await asyncio.sleep(0.05)
    # the same text for both, once each; a failing socket does not starve the others
    assert a.sent == b.sent == ['{"type": "trace.hop"}']
    assert other.sent == []
    await layer.group_send(frames_group(902), frame_event(902, '["already", "json"]'))
    await until(lambda: other.sent)
    assert other.sent == ['["already", "json"]']


async def test_the_receiver_stops_when_the_last_socket_leaves():
    layer = get_channel_layer()
    fanout = fanout_for(layer)
    a, b = Socket(), Socket()
    await fanout.join(903, a)
    await fanout.join(904, b)
    task = fanout.task
    await fanout.leave(903, a)
    assert fanout.task is task and not task.done()  # 904 is still watched
    await fanout.leave(903, a)  # leaving twice is harmless
    await fanout.leave(904, b)
    assert fanout.channel is None and fanout.task is None
    await until(task.done)
    assert task.cancelled()
    # a socket that comes later gets a fresh receiver
    c = Socket()
    await fanout.join(903, c)
    await layer.group_send(frames_group(903), frame_event(903, {"n": 1}))
    await until(lambda: c.sent)
    assert c.sent == ['{"n": 1}']
    await fanout.leave(903, c)


async def test_a_change_frame_warms_the_new_engine_beside_the_delivery(monkeypatch):
    from clusterlab.live import tracing

    warmed: list[int] = []
    monkeypatch.setattr(tracing, "warm_engine", warmed.append)
    layer = get_channel_layer()
    fanout = fanout_for(layer)
    viewer = Socket()
    await fanout.join(907, viewer)
    await layer.group_send(frames_group(907), frame_event(907, {"type": "trace.hop"}))
    await layer.group_send(frames_group(907), frame_event(
        907, {"type": "cluster.changed"}, warm=True))
    await until(lambda: len(viewer.sent) == 2 and warmed)
    await asyncio.sleep(0.05)  # a warm-up the trace frame wrongly started would land now
    assert warmed == [907]  # the change only, not the trace frame
    await fanout.leave(907, viewer)


async def test_presence_spans_processes_and_is_written_once_per_process():
    """Two fan-outs on one layer stand for two daphne processes."""
    from clusterlab.live.fanout import ProcessFanout
    from clusterlab.live.presence import PRESENCE_DELAY_S

    layer = get_channel_layer()
    a, b = ProcessFanout(layer), ProcessFanout(layer)
    alice, bob, carol = Socket(), Socket(), Socket()
    await a.join(905, alice, "viewer-alice-0001", "alice")
    await b.join(905, bob, "viewer-bob-00002", "bob")
    await b.join(905, carol, "viewer-carol-003", "carol")

    def last(socket: Socket) -> dict:
        frames = [json.loads(f) for f in socket.sent]
        return [f for f in frames if f["type"] == "presence"][-1]

    def names(socket: Socket) -> list[str]:
        return sorted(v["username"] for v in last(socket)["viewers"]) if socket.sent else []

    # a joined first and learns of b's viewers from b's joins; b learns of alice from
    # a's answer to b's first join
    await until(lambda: names(alice) == names(bob) == names(carol)
                == ["alice", "bob", "carol"], timeout=5)
    assert last(alice)["count"] == 3
    sent_before = len(alice.sent)
    await asyncio.sleep(PRESENCE_DELAY_S * 2)
    assert len(alice.sent) == sent_before, "quiet when nobody comes or goes"
    await b.leave(905, carol)
    await until(lambda: names(alice) == ["alice", "bob"])
    await until(lambda: names(bob) == ["alice", "bob"])
    assert carol.sent and names(carol) != ["alice", "bob"], "a socket that left hears no more"
    await a.leave(905, alice)
    await until(lambda: names(bob) == ["bob"])
    await b.leave(905, bob)


async def test_the_viewers_of_a_process_that_died_leave_everyone_elses_list():
    """A crashed daphne sends no `leave`: its heartbeats stop, and the others drop its
    viewers after MISSED_HEARTBEATS silent intervals (not while it is alive)."""
    from clusterlab.live.fanout import ProcessFanout
    from clusterlab.live.presence import MISSED_HEARTBEATS

    beat = 0.05
    layer = get_channel_layer()
    a, b = ProcessFanout(layer, heartbeat_s=beat), ProcessFanout(layer, heartbeat_s=beat)
    alice, bob = Socket(), Socket()
    await a.join(906, alice, "viewer-alice-0001", "alice")
    await b.join(906, bob, "viewer-bob-00002", "bob")

    def names(socket: Socket) -> list[str]:
        frames = [json.loads(f) for f in socket.sent]
        presence = [f for f in frames if f["type"] == "presence"]
        return sorted(v["username"] for v in presence[-1]["viewers"]) if presence else []

    await until(lambda: names(alice) == names(bob) == ["alice", "bob"])
    await asyncio.sleep(beat * MISSED_HEARTBEATS * 3)
    assert names(alice) == ["alice", "bob"], "a process that keeps beating keeps its viewers"
    b.task.cancel()  # b dies: no leave, no more heartbeats
    b.heartbeat.cancel()
    await until(lambda: names(alice) == ["alice"], timeout=3)
    await a.leave(906, alice)
    await b.leave(906, bob)


def test_a_heartbeat_replaces_a_process_members_and_silence_drops_them():
    from clusterlab.live.presence import Roster

    roster = Roster(local={"me-0001": "teacher"})
    roster.heard_from("process-b", {"b-0001": "ann", "b-0002": "ben"}, now=10.0)
    # b's leave for ben was lost; its heartbeat says who is really there
    assert roster.alive("process-b", {"b-0001": "ann"}, now=25.0)
    assert not roster.alive("process-b", {"b-0001": "ann"}, now=40.0)  # nothing changed
    roster.heard_from("process-c", {"c-0001": "cat"}, now=41.0)
    assert sorted(roster.everyone().values()) == ["ann", "cat", "teacher"]
    assert not roster.expire(silent_since=39.0)
    assert roster.expire(silent_since=40.5)  # b silent since 40.0: gone; c stays
    assert sorted(roster.everyone().values()) == ["cat", "teacher"]
    assert roster.alive("process-c", {}, now=50.0)  # c's last viewer left
    assert roster.everyone() == {"me-0001": "teacher"}


def test_roster_lists_at_most_fifty_names_and_counts_everyone():
    from clusterlab.live.presence import Roster

    roster = Roster(local={f"local-{i:04d}": "teacher" for i in range(3)})
    assert roster.heard_from("process-b", {f"b-{i:04d}": f"student{i}" for i in range(60)})
    assert not roster.heard_from("process-b", {"b-9999": "late"})
    message = json.loads(roster.frame())
    assert message["type"] == "presence" and message["count"] == 64
    assert len(message["viewers"]) == 50
    assert message["viewers"][0] == {"username": "student0", "id": "b-0000"}
    assert roster.forget("process-b", "b-9999") and not roster.forget("process-b", "b-9999")
    assert not roster.forget("process-c", "x")
