"""`ws/clusters/<id>/`: one cluster's live channel.

Who may connect is decided exactly as the REST API decides (labs permissions): the
session user must be able to read the cluster, else the socket is closed with 4404
(4401 when not logged in) after an `error` message saying why. Every viewer is
registered with its process's fan-out (live/fanout.py) and receives:

* `cluster.changed` after every committed write (labs/changes.py → live/broadcast.py);
  like traces it is encoded once and written to each process's sockets by that
  process's one receiver (live/fanout.py);
* `presence` when someone joins or leaves, at most every 0.5 s, with at most 50 names
  and the `count` (live/presence.py: one roster per process, kept by its fan-out, so a
  class joining costs O(viewers x processes) deliveries, not O(viewers²));
* `trace.started`, one `trace.hop` per hop, `trace.finished` for every trace anyone
  sends. The whole timeline goes out at once with `at_ms` offsets, as ONE WebSocket
  frame holding a JSON array of those messages: the browser
  animates with its own clock, so network jitter never stutters an animation, and one
  group message and one frame per viewer (not one per hop) carry a trace. The frame is
  JSON-encoded once by the consumer that ran the trace and crosses the channel layer
  once per daphne process, whose receiver writes it to its local sockets
  (live/fanout.py, docs/performance.md).

The engine runs in a worker thread (sync_to_async, not thread-sensitive), never on the
event loop that serves the sockets. Malformed messages get an `error` reply; the
socket stays open.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from clusterlab.labs.api.reachability import port_of, protocol_of
from clusterlab.labs.errors import Invalid
from clusterlab.live import access
from clusterlab.live.console import Pending, confirm, run_console
from clusterlab.live.fanout import fanout_for, frame_event
from clusterlab.live.groups import frames_group
from clusterlab.live.tracing import TraceRequestError, parse_request, run_request, warm_engine

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
# A console here-document carries manifests; kubectl's own limit per request is 3 MiB.
MAX_MESSAGE_BYTES = 256 * 1024
_trace_ids = itertools.count(1)

# Clusters whose engine this process already warmed (live/tracing.warm_engine).
_warmed: set[int] = set()


def trace_frame(trace_id: str, by: str, request: dict, request_id: Any, sent_at: float,
                result: dict) -> str:
    """The trace's messages as one JSON array (started, each hop with `at_ms`, finished)."""
    hops = result.get("hops", [])
    messages: list[dict[str, Any]] = [{
        "type": "trace.started", "trace_id": trace_id, "by": by, "request": request,
        "request_id": request_id, "hop_count": len(hops), "sent_at": sent_at}]
    messages += [{"type": "trace.hop", "trace_id": trace_id, "at_ms": i * 500, "hop": hop}
                 for i, hop in enumerate(hops)]
    messages.append({"type": "trace.finished", "trace_id": trace_id,
                     **{k: v for k, v in result.items() if k != "hops"}})
    return json.dumps(messages)


class ClusterConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.cluster_id = int(self.scope["url_route"]["kwargs"]["cluster_id"])
        self.joined = False
        self.pending: tuple[str, Pending] | None = None  # a previewed console write
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
        await self.send_json({"type": "welcome", "cluster": self.cluster_id,
                              "can_write": self.level == access.WRITE, "you": self.username})
        # Traces, cluster changes and presence come from the process's fan-out
        # (live/fanout.py, live/presence.py), not through this consumer's channel.
        await fanout_for(self.channel_layer).join(self.cluster_id, self, self.channel_name,
                                                  self.username)
        self.joined = True
        # Build the snapshot's engine in a worker thread when the first viewer of this
        # cluster connects to this process, so the first trace is warm (once, not per
        # viewer: 1,000 viewers would queue 1,000 database round trips).
        if self.cluster_id not in _warmed:
            _warmed.add(self.cluster_id)
            self._warming = asyncio.ensure_future(
                sync_to_async(warm_engine, thread_sensitive=False)(self.cluster_id))

    async def revoke(self, reason: str) -> None:
        """Access withdrawn while watching (live/fanout.py re-checks): say why, close."""
        if not self.joined:
            return
        await self.send_json({"type": "error", "error": reason})
        await self.close(code=CLOSE_NOT_FOUND)

    async def access(self, level: str) -> None:
        """The user's access changed but still allows watching: say whether they may write."""
        if self.joined and level != self.level:
            self.level = level
            await self.send_json({"type": "access", "can_write": level == access.WRITE})

    async def _refuse(self, reason: str, code: int) -> None:
        await self.send_json({"type": "error", "error": reason})
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "joined", False):
            self.joined = False
            await fanout_for(self.channel_layer).leave(self.cluster_id, self)

    # ------------------------------------------------------------------ client → server

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not getattr(self, "joined", False):
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
        handlers = {"trace": self.on_trace, "ping": self.on_trace, "curl": self.on_trace,
                    "nslookup": self.on_trace, "console": self.on_console,
                    "console.apply": self.on_console_decision,
                    "console.discard": self.on_console_decision,
                    "subscribe": self.on_subscribe}
        handler = handlers.get(kind)
        if handler is None:
            await self.send_json({
                "type": "error", "field": "type",
                "error": f"type: Unsupported value: {kind!r}: supported values: "
                         + ", ".join(f'"{k}"' for k in handlers)})
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
        try:
            port = port_of(content.get("port", 80))
            protocol = protocol_of(content.get("protocol"))
        except Invalid as exc:
            field = exc.extra["errors"][0]["field"]
            await self.send_json({"type": "error", "field": field, "error": exc.detail,
                                  "request_id": content.get("id")})
            return
        output = await sync_to_async(run_console, thread_sensitive=False)(
            self.cluster_id, command, namespace or "default", user=self.scope["user"],
            port=port, protocol=protocol)
        pending = output.pop("pending", None)
        if pending is not None:
            # One preview per socket: a newer write command replaces an undecided one.
            self.pending = (uuid.uuid4().hex, pending)
            output["pending"] = self.pending[0]
        await self.send_json({"type": "console.output", "request_id": content.get("id"),
                              "command": command, **output})

    async def on_console_decision(self, content: dict) -> None:
        """`console.apply` writes the previewed plan; `console.discard` drops it."""
        token = content.get("token")
        current = self.pending
        if current is None or not isinstance(token, str) or token != current[0]:
            await self.send_json({"type": "error", "field": "token", "request_id":
                                  content.get("id"), "error": "token: Not found: no pending "
                                  "console change with this token (applied, discarded or "
                                  "replaced by a newer command)"})
            return
        self.pending = None
        pending = current[1]
        if content["type"] == "console.discard":
            output = {"stdout": "", "stderr": "", "exit_code": 0,
                      "note": f"discarded: {pending.command.splitlines()[0]} — nothing "
                              "was written"}
        else:
            output = await sync_to_async(confirm, thread_sensitive=False)(
                self.cluster_id, pending, self.scope["user"])
        await self.send_json({"type": "console.output", "request_id": content.get("id"),
                              "command": pending.command, "resolved": token, **output})

    async def on_subscribe(self, content: dict) -> None:
        await self.send(text_data=fanout_for(self.channel_layer).presence_frame(self.cluster_id))

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
        # Encoded once, here: the group message carries the finished frame as one string,
        # which every process and socket passes on as it is (no per-viewer JSON work).
        frame = trace_frame(trace_id, self.username, request, content.get("id"),
                            time.time(), result)
        await self.channel_layer.group_send(frames_group(self.cluster_id),
                                            frame_event(self.cluster_id, frame))

_MALFORMED = object()
