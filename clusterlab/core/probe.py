"""`/ws/healthz/`: proves WebSocket fan-out across daphne replicas through the channel layer.

Every socket joins the `healthz` group; a `{"probe": "<nonce>"}` sent on any replica
is delivered to every socket on every replica, tagged with the replica that relayed
it. Operators (and the two-process test) use it to check the Redis layer end to end.
It carries no user data, so it needs no login; nonces are capped in size.
"""

from __future__ import annotations

import os
import socket

from channels.generic.websocket import AsyncJsonWebsocketConsumer

GROUP = "healthz"
REPLICA = f"{socket.gethostname()}:{os.getpid()}"


class ProbeConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "replica": REPLICA})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:  # type: ignore[no-untyped-def]
        nonce = content.get("probe") if isinstance(content, dict) else None
        if not isinstance(nonce, str) or not 0 < len(nonce) <= 64:
            await self.send_json({"type": "error",
                                  "error": "probe: expected a string of 1-64 characters"})
            return
        await self.channel_layer.group_send(
            GROUP, {"type": "probe.message", "probe": nonce, "relayed_by": REPLICA})

    async def probe_message(self, event: dict) -> None:
        await self.send_json({"type": "probe", "probe": event["probe"],
                              "relayed_by": event["relayed_by"], "delivered_by": REPLICA})

    async def decode_json(self, text_data):  # type: ignore[no-untyped-def]
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None
