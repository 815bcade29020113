"""One trace receiver per daphne process, not one per socket.

With every viewer's consumer in the cluster group, a trace crosses Redis once per
viewer and wakes each consumer's receive machinery (~0.5 ms of CPU per socket,
docs/performance.md). Instead each process adds ONE channel of its own to the
cluster's trace group; its receiver task gets the trace once, encodes it once, and
writes the frame to every local socket of that cluster.

State is kept per event loop (a daphne process has one; tests start a loop per test).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from clusterlab.live.groups import trace_group

log = logging.getLogger(__name__)


class ProcessFanout:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.sockets: dict[str, set[Any]] = {}

    async def join(self, group: str, consumer: Any) -> None:
        if self.channel is None:
            # The default prefix: channels-redis serves all of a process's "specific"
            # channels from one receive loop; another prefix would wait behind it.
            self.channel = await self.layer.new_channel()
            self.task = asyncio.ensure_future(self._run())
        self.sockets.setdefault(group, set()).add(consumer)
        # Re-adding refreshes the membership's expiry in the Redis layer; it is idempotent.
        await self.layer.group_add(trace_group(group), self.channel)

    async def leave(self, group: str, consumer: Any) -> None:
        members = self.sockets.get(group)
        if members is None:
            return
        members.discard(consumer)
        if not members:
            del self.sockets[group]
            await self.layer.group_discard(trace_group(group), self.channel)
        if not self.sockets and self.task is not None:
            # Nobody watches any cluster here: stop receiving (a pending receive would
            # otherwise keep the channel layer's receive lock for nothing).
            self.task.cancel()
            self.task = None
            self.channel = None

    async def _run(self) -> None:
        from clusterlab.live.consumers import trace_frame

        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis hiccup: keep the receiver alive, try again
                log.exception("trace fan-out receive failed")
                await asyncio.sleep(1)
                continue
            sockets = list(self.sockets.get(message.get("group", ""), ()))
            if not sockets:
                continue
            frame = trace_frame(message)
            for consumer in sockets:
                try:
                    await consumer.send(text_data=frame)
                except Exception:  # a socket closing mid-send must not stop the others
                    log.debug("dropping a trace frame for a closing socket", exc_info=True)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessFanout] = \
    weakref.WeakKeyDictionary()


def fanout_for(layer: Any) -> ProcessFanout:
    loop = asyncio.get_running_loop()
    fanout = _per_loop.get(loop)
    if fanout is None or fanout.layer is not layer:
        fanout = _per_loop[loop] = ProcessFanout(layer)
    return fanout
