"""`ws/clusters/<id>/`: one cluster's live channel.

Who may connect is decided exactly as the REST API decides (labs permissions): the
session user must be able to read the cluster, else the socket is closed with 4404
(4401 when not logged in) after an `error` message saying why. Every viewer joins
the cluster's group and receives:

* `cluster.changed` after every committed write (labs/changes.py → live/broadcast.py);
* `presence` whenever someone joins or leaves (kept by the consumers themselves: a
  join is announced to the group and answered by each member, so it works across
  daphne processes with no shared store);
* `trace.started`, one `trace.hop` per hop, `trace.finished` for every trace anyone
  sends. The whole timeline goes out at once with `at_ms` offsets: the browser
  animates it with its own clock, so network jitter never stutters an animation,
  late joiners can replay it, and one group message per trace (not one per hop)
  crosses Redis — the difference between 1 and 22 fan-outs per trace at 1,000 viewers.

The engine runs in a worker thread (sync_to_async, not thread-sensitive), never on the
event loop that serves the sockets. Malformed messages get an `error` reply; the
socket stays open.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from clusterlab.live import access
from clusterlab.live.console import run_console
from clusterlab.live.groups import cluster_group
from clusterlab.live.tracing import TraceRequestError, parse_request, run_request

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
MAX_MESSAGE_BYTES = 16 * 1024
_trace_ids = itertools.count(1)


class ClusterConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.cluster_id = int(self.scope["url_route"]["kwargs"]["cluster_id"])
        self.viewers: dict[str, str] = {}
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self._refuse("log in to watch this cluster", CLOSE_UNAUTHENTICATED)
            return
        self.level = await sync_to_async(access.level)(user, self.cluster_id)
        if self.level is None:
            # Same answer for "does not exist" and "not yours": ids cannot be probed.
            await self._refuse("cluster not found", CLOSE_NOT_FOUND)
            return
        self.username = user.get_username()
        self.group = cluster_group(self.cluster_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.viewers[self.channel_name] = self.username
        await self.send_json({"type": "welcome", "cluster": self.cluster_id,
                              "can_write": self.level == access.WRITE, "you": self.username})
        await self.channel_layer.group_send(self.group, {
            "type": "presence.join", "channel": self.channel_name, "username": self.username})

    async def _refuse(self, reason: str, code: int) -> None:
        self.group = None
        await self.send_json({"type": "error", "error": reason})
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_send(group, {
                "type": "presence.leave", "channel": self.channel_name})
            await self.channel_layer.group_discard(group, self.channel_name)

    # ------------------------------------------------------------------ client → server

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not getattr(self, "group", None):
            return
        if text_data is None:
            await self.send_json({"type": "error", "error": "messages must be JSON text"})
            return
        if len(text_data) > MAX_MESSAGE_BYTES:
            await self.send_json({"type": "error",
                                  "error": f"message too large (limit {MAX_MESSAGE_BYTES} bytes)"})
            return
        await super().receive(text_data=text_data)

    async def decode_json(self, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return _MALFORMED

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if content is _MALFORMED or not isinstance(content, dict):
            await self.send_json({"type": "error", "error": "messages must be JSON objects"})
            return
        kind = content.get("type")
        handler = {"trace": self.on_trace, "ping": self.on_trace, "curl": self.on_trace,
                   "nslookup": self.on_trace, "console": self.on_console,
                   "subscribe": self.on_subscribe}.get(kind)
        if handler is None:
            await self.send_json({
                "type": "error", "field": "type",
                "error": f"type: Unsupported value: {kind!r}: supported values: "
                         '"trace", "ping", "curl", "nslookup", "console", "subscribe"'})
            return
        await handler(content)

    async def on_console(self, content: dict) -> None:
        """A console line is personal: the answer goes to this socket only."""
        command = content.get("command")
        namespace = content.get("namespace", "default")
        if not isinstance(command, str) or not command.strip():
            await self.send_json({"type": "error", "field": "command", "error":
                                  "command: Required value", "request_id": content.get("id")})
            return
        if not isinstance(namespace, str):
            await self.send_json({"type": "error", "field": "namespace", "error":
                                  "namespace: must be a string", "request_id": content.get("id")})
            return
        output = await sync_to_async(run_console, thread_sensitive=False)(
            self.cluster_id, command, namespace or "default")
        await self.send_json({"type": "console.output", "request_id": content.get("id"),
                              "command": command, **output})

    async def on_subscribe(self, content: dict) -> None:
        await self.send_json({"type": "presence", "viewers": self._viewer_list()})

    async def on_trace(self, content: dict) -> None:
        try:
            request = parse_request(content)
        except TraceRequestError as exc:
            await self.send_json({"type": "error", "field": exc.field, "error": str(exc),
                                  "request_id": content.get("id")})
            return
        try:
            result = await sync_to_async(run_request, thread_sensitive=False)(
                self.cluster_id, request)
        except TraceRequestError as exc:
            await self.send_json({"type": "error", "field": exc.field, "error": str(exc),
                                  "request_id": content.get("id")})
            return
        trace_id = f"{uuid.uuid4().hex[:8]}-{next(_trace_ids)}"
        await self.channel_layer.group_send(self.group, {
            "type": "trace.bundle", "trace_id": trace_id, "by": self.username,
            "request": request, "request_id": content.get("id"),
            "sent_at": time.time(), "result": result})

    # ------------------------------------------------------------------ group → client

    async def trace_bundle(self, event: dict) -> None:
        result = event["result"]
        hops = result.get("hops", [])
        await self.send_json({"type": "trace.started", "trace_id": event["trace_id"],
                              "by": event["by"], "request": event["request"],
                              "request_id": event.get("request_id"), "hop_count": len(hops),
                              "sent_at": event["sent_at"]})
        at = 0
        for hop in hops:
            await self.send_json({"type": "trace.hop", "trace_id": event["trace_id"],
                                  "at_ms": at, "hop": hop})
            at += 500
        summary = {k: v for k, v in result.items() if k != "hops"}
        await self.send_json({"type": "trace.finished", "trace_id": event["trace_id"],
                              **summary})

    async def cluster_changed(self, event: dict) -> None:
        await self.send_json(event)

    async def presence_join(self, event: dict) -> None:
        self.viewers[event["channel"]] = event["username"]
        if event["channel"] != self.channel_name:
            await self.channel_layer.send(event["channel"], {
                "type": "presence.here", "channel": self.channel_name,
                "username": self.username})
        await self.send_json({"type": "presence", "viewers": self._viewer_list()})

    async def presence_here(self, event: dict) -> None:
        self.viewers[event["channel"]] = event["username"]
        await self.send_json({"type": "presence", "viewers": self._viewer_list()})

    async def presence_leave(self, event: dict) -> None:
        if self.viewers.pop(event["channel"], None) is not None:
            await self.send_json({"type": "presence", "viewers": self._viewer_list()})

    def _viewer_list(self) -> list[dict[str, str]]:
        return [{"username": u, "id": c[-8:]} for c, u in sorted(self.viewers.items())]


_MALFORMED = object()
