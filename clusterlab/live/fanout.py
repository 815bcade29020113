"""One receiver per daphne process writes a cluster's broadcast frames to its sockets,
and keeps who is viewing (live/presence.py).

A trace watched by 1,000 viewers used to reach each viewer's consumer through the
channel layer: 1,000 deliveries, each waking a consumer to decode and dispatch it (most
of the CPU of a fan-out, docs/performance.md). Here each process adds ONE channel of its
own to the cluster's `frames` group while it serves a socket of that cluster; its task
receives the frame once (already JSON, encoded once by whoever broadcast it) and writes
that text to every local socket of the cluster.

State is per event loop: a daphne process has one loop; the test suite starts one per
test, and a receiver must never outlive its loop (a layer's receive is bound to the loop
that started it). The receiver stops, and its channel leaves the group, when the last
local socket of the last cluster disconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from typing import Any, Protocol

from asgiref.sync import sync_to_async

from clusterlab.live.groups import frames_group
from clusterlab.live.presence import (
    ALIVE,
    HEARTBEAT_S,
    HERE,
    JOIN,
    LEAVE,
    MISSED_HEARTBEATS,
    PRESENCE_DELAY_S,
    Roster,
)

log = logging.getLogger(__name__)
FRAME = "fanout.frame"
ACCESS = "fanout.access"  # who may read the cluster changed: re-check local viewers


class Socket(Protocol):
    scope: dict[str, Any]

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None: ...

    async def revoke(self, reason: str) -> None: ...

    async def access(self, level: str) -> None: ...


def frame_event(cluster_id: int, message: Any, warm: bool = False) -> dict[str, Any]:
    """The group message that carries `message` (a dict, or JSON text) to every viewer.

    `warm`: the cluster changed, so each process builds the new version's engine now, in a
    worker thread, rather than in front of the next trace (at 1,000 pods the first trace
    after an edit spent 21-38 ms in the engine instead of 5-9; docs/performance.md)."""
    text = message if isinstance(message, str) else json.dumps(message)
    event: dict[str, Any] = {"type": FRAME, "cluster": cluster_id, "frame": text}
    if warm:
        event["warm"] = True
    return event


class ProcessFanout:
    """This loop's sockets per cluster, their presence rosters, and the one channel that
    receives the clusters' frames and presence events."""

    def __init__(self, layer: Any, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.layer = layer
        self.heartbeat_s = heartbeat_s
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.heartbeat: asyncio.Task | None = None
        self.sockets: dict[int, dict[Socket, str]] = {}  # socket → its viewer id
        self.rosters: dict[int, Roster] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()

    async def join(self, cluster_id: int, socket: Socket, viewer: str = "",
                   username: str = "") -> None:
        """Start writing the cluster's frames to `socket`; with a `username`, it also
        counts as a viewer in everyone's presence."""
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("fanout.")
                self.task = asyncio.ensure_future(self._receive(self.channel))
                self.heartbeat = asyncio.ensure_future(self._beat(self.channel))
            members = self.sockets.setdefault(cluster_id, {})
            members[socket] = viewer
            roster = self.rosters.setdefault(cluster_id, Roster())
            if len(members) == 1:
                await self.layer.group_add(frames_group(cluster_id), self.channel)
            if username:
                roster.local[viewer] = username
                await self.layer.group_send(frames_group(cluster_id), {
                    "type": JOIN, "cluster": cluster_id, "process": self.channel,
                    "viewer": viewer, "username": username})
                self._presence_changed(cluster_id)

    async def leave(self, cluster_id: int, socket: Socket) -> None:
        async with self._lock:
            members = self.sockets.get(cluster_id)
            if members is None or socket not in members:
                return
            viewer = members.pop(socket)
            roster = self.rosters[cluster_id]
            if roster.local.pop(viewer, None) is not None:
                await self.layer.group_send(frames_group(cluster_id), {
                    "type": LEAVE, "cluster": cluster_id, "process": self.channel,
                    "viewer": viewer})
                self._presence_changed(cluster_id)
            if not members:
                del self.sockets[cluster_id]
                del self.rosters[cluster_id]
                timer = self._timers.pop(cluster_id, None)
                if timer is not None:
                    timer.cancel()
                await self.layer.group_discard(frames_group(cluster_id), self.channel)
            if not self.sockets and self.task is not None:
                # Nobody here watches any cluster: cancelling the receive also drops the
                # channel (the pub/sub layer unsubscribes it on cancellation).
                self.task.cancel()
                if self.heartbeat is not None:
                    self.heartbeat.cancel()
                self.task = self.heartbeat = None
                self.channel = None

    def presence_frame(self, cluster_id: int) -> str:
        return self.rosters.get(cluster_id, Roster()).frame()

    async def _receive(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end delivery for this process
                log.exception("fan-out receive failed; retrying")
                await asyncio.sleep(0.5)
                continue
            try:
                await self._handle(channel, message)
            except Exception:  # one bad message must not end delivery either
                log.exception("fan-out could not handle a %r message", message.get("type"))

    async def _handle(self, channel: str, message: dict[str, Any]) -> None:
        kind, cluster_id = message.get("type"), message.get("cluster")
        if kind == FRAME:
            await self.deliver(cluster_id, message["frame"])
            if message.get("warm"):
                self._background(self._warm(cluster_id))
            return
        if kind == ACCESS:
            # Database work: beside the receiver, so frames behind it are not held up.
            self._background(self.recheck(cluster_id))
            return
        roster = self.rosters.get(cluster_id)
        process = message.get("process")
        if roster is None or process == channel:  # not watched here, or our own event
            return
        if kind == JOIN:
            if roster.heard_from(process, {message["viewer"]: message["username"]}):
                # A process new to us: tell it who watches from here (once).
                await self.layer.send(process, {"type": HERE, "cluster": cluster_id,
                                                "process": channel,
                                                "members": dict(roster.local)})
            self._presence_changed(cluster_id)
        elif kind == HERE:
            roster.heard_from(process, message["members"])
            self._presence_changed(cluster_id)
        elif ((kind == LEAVE and roster.forget(process, message["viewer"]))
              or (kind == ALIVE and roster.alive(process, message["members"]))):
            self._presence_changed(cluster_id)

    async def _beat(self, channel: str) -> None:
        """Every heartbeat: tell the other processes who watches from here, and drop
        the viewers of processes that stopped saying so (live/presence.py)."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            silent_since = time.monotonic() - self.heartbeat_s * MISSED_HEARTBEATS
            for cluster_id, roster in list(self.rosters.items()):
                try:
                    if roster.local:
                        await self.layer.group_send(frames_group(cluster_id), {
                            "type": ALIVE, "cluster": cluster_id, "process": channel,
                            "members": dict(roster.local)})
                except Exception:  # a Redis hiccup: the next beat tries again
                    log.exception("presence heartbeat for cluster %s failed", cluster_id)
                if roster.expire(silent_since):
                    self._presence_changed(cluster_id)

    def _presence_changed(self, cluster_id: int) -> None:
        """One `presence` message per PRESENCE_DELAY_S per process, whatever the churn."""
        if cluster_id not in self._timers:
            self._timers[cluster_id] = asyncio.get_running_loop().call_later(
                PRESENCE_DELAY_S, self._send_presence, cluster_id)

    def _send_presence(self, cluster_id: int) -> None:
        self._timers.pop(cluster_id, None)
        if cluster_id in self.rosters:
            self._background(self.deliver(cluster_id, self.presence_frame(cluster_id)))

    async def _warm(self, cluster_id: int) -> None:
        from clusterlab.live.tracing import warm_engine

        await sync_to_async(warm_engine, thread_sensitive=False)(cluster_id)

    def _background(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def recheck(self, cluster_id: int) -> None:
        """Tell each local socket its user's access now: closed when they may no longer
        read the cluster, told when writing became allowed or not (one access query per
        distinct user, in a worker thread)."""
        from clusterlab.live.access import levels

        sockets = list(self.sockets.get(cluster_id, ()))
        users = {s.scope["user"].pk: s.scope["user"] for s in sockets}
        if not users:
            return
        now = await sync_to_async(levels, thread_sensitive=False)(list(users.values()),
                                                                   cluster_id)
        for socket in sockets:
            level = now.get(socket.scope["user"].pk)
            if level is None:
                await socket.revoke("your access to this cluster was withdrawn")
            else:
                await socket.access(level)

    async def deliver(self, cluster_id: int, frame: str) -> None:
        for socket in list(self.sockets.get(cluster_id, ())):
            try:
                await socket.send(text_data=frame)
            except Exception:  # a socket closing mid-send must not starve the others
                log.debug("frame dropped for a closing socket", exc_info=True)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessFanout] = \
    weakref.WeakKeyDictionary()


def fanout_for(layer: Any) -> ProcessFanout:
    """The running loop's fan-out over `layer` (created on first use)."""
    loop = asyncio.get_running_loop()
    fanout = _per_loop.get(loop)
    if fanout is None or fanout.layer is not layer:
        fanout = _per_loop[loop] = ProcessFanout(layer)
    return fanout
