"""One receiver per daphne process writes a cluster's broadcast frames to its sockets.

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
import weakref
from typing import Any, Protocol

from clusterlab.live.groups import frames_group

log = logging.getLogger(__name__)
FRAME = "fanout.frame"


class Socket(Protocol):
    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None: ...


def frame_event(cluster_id: int, message: Any) -> dict[str, Any]:
    """The group message that carries `message` (a dict, or JSON text) to every viewer."""
    text = message if isinstance(message, str) else json.dumps(message)
    return {"type": FRAME, "cluster": cluster_id, "frame": text}


class ProcessFanout:
    """This loop's sockets per cluster and the one channel that receives their frames."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.sockets: dict[int, set[Socket]] = {}
        self._lock = asyncio.Lock()

    async def join(self, cluster_id: int, socket: Socket) -> None:
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("fanout.")
                self.task = asyncio.ensure_future(self._receive(self.channel))
            members = self.sockets.setdefault(cluster_id, set())
            members.add(socket)
            if len(members) == 1:
                await self.layer.group_add(frames_group(cluster_id), self.channel)

    async def leave(self, cluster_id: int, socket: Socket) -> None:
        async with self._lock:
            members = self.sockets.get(cluster_id)
            if members is None or socket not in members:
                return
            members.discard(socket)
            if not members:
                del self.sockets[cluster_id]
                await self.layer.group_discard(frames_group(cluster_id), self.channel)
            if not self.sockets and self.task is not None:
                # Nobody here watches any cluster: cancelling the receive also drops the
                # channel (the pub/sub layer unsubscribes it on cancellation).
                self.task.cancel()
                self.task = None
                self.channel = None

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
            if message.get("type") == FRAME:
                await self.deliver(message["cluster"], message["frame"])

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
