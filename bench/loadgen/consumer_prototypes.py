"""Prototypes of the cluster consumer, measured by bench_ws_fanout.py (docs/performance.md).

Not used by the app: subclasses of clusterlab.live.consumers.ClusterConsumer that each
change one thing, served through bench/loadgen/proto_asgi.py.

P0  presence without the N^2 handshake: one responder per process answers a join with
    the process's whole member list (one message), every viewer's `presence` message is
    debounced (at most one per 0.5 s) and capped at 50 names plus a count. Trace path
    unchanged (the consumer as it is).
P1  P0 + each trace's frames JSON-encoded once per process (not once per socket).
P2  P1 + frames written through base_send directly (not measured in the note).
P3  P1 + no close_old_connections thread hop for channel-layer events.
P4  P3 + the trace's messages as one JSON array in one WebSocket frame.
"""
import asyncio
import json
import os
from collections import OrderedDict

from clusterlab.live.consumers import ClusterConsumer

_LOCAL: dict[str, dict[str, str]] = {}      # group -> {channel: username} on this process
_ENCODED: OrderedDict = OrderedDict()        # trace_id -> [frame text]
MAX_NAMES = 50


PRESENCE_EVENTS = {"presence.join", "presence.here", "presence.leave"}


class P0(ClusterConsumer):
    async def dispatch(self, message):
        # presence handlers do no DB work: skip channels' per-message close_old_connections
        # thread hop for them (trace.bundle keeps it, so the trace path stays as is)
        if message["type"] in PRESENCE_EVENTS:
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)

    async def connect(self):
        await super().connect()
        if getattr(self, "group", None):
            _LOCAL.setdefault(self.group, {})[self.channel_name] = self.username

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            _LOCAL.get(group, {}).pop(self.channel_name, None)
        await super().disconnect(code)

    def _responder(self) -> bool:
        local = _LOCAL.get(self.group) or {}
        return next(iter(local), None) == self.channel_name

    async def presence_join(self, event):
        self.viewers[event["channel"]] = event["username"]
        if self._responder():
            await self.channel_layer.send(event["channel"], {
                "type": "presence.here", "members": dict(_LOCAL.get(self.group, {}))})
        self._schedule()

    async def presence_here(self, event):
        self.viewers.update(event["members"])
        self._schedule()

    async def presence_leave(self, event):
        if self.viewers.pop(event["channel"], None) is not None:
            self._schedule()

    def _schedule(self):
        if not getattr(self, "_flush", None):
            self._flush = asyncio.get_running_loop().call_later(0.5, self._fire)

    def _fire(self):
        self._flush = None
        self._flushing = asyncio.ensure_future(self.send_json({
            "type": "presence", "count": len(self.viewers),
            "viewers": self._viewer_list()[:MAX_NAMES]}))


def encoded_frames(event: dict) -> list[str]:
    frames = _ENCODED.get(event["trace_id"])
    if frames is None:
        result = event["result"]
        hops = result.get("hops", [])
        frames = [json.dumps({"type": "trace.started", "trace_id": event["trace_id"],
                              "by": event["by"], "request": event["request"],
                              "request_id": event.get("request_id"), "hop_count": len(hops),
                              "sent_at": event["sent_at"]})]
        at = 0
        for hop in hops:
            frames.append(json.dumps({"type": "trace.hop", "trace_id": event["trace_id"],
                                      "at_ms": at, "hop": hop}))
            at += 500
        summary = {k: v for k, v in result.items() if k != "hops"}
        frames.append(json.dumps({"type": "trace.finished", "trace_id": event["trace_id"],
                                  **summary}))
        _ENCODED[event["trace_id"]] = frames
        while len(_ENCODED) > 16:
            _ENCODED.popitem(last=False)
    return frames


class P1(P0):
    async def trace_bundle(self, event):
        for frame in encoded_frames(event):
            await self.send(text_data=frame)


class P2(P0):
    async def trace_bundle(self, event):
        send = self.base_send
        for frame in encoded_frames(event):
            await send({"type": "websocket.send", "text": frame})


if os.environ.get("PROTO_PROFILE"):
    import atexit
    import cProfile
    import signal

    _prof = cProfile.Profile()
    _prof.enable()
    # PROTO_PROFILE=/tmp/prof (bench --env): cProfile of each daphne's main thread,
    # written at exit (or on SIGUSR1) to /tmp/prof.<pid>
    path = f"{os.environ['PROTO_PROFILE']}.{os.getpid()}"

    def _dump(*_):
        _prof.dump_stats(path)

    atexit.register(_dump)
    signal.signal(signal.SIGUSR1, _dump)


LAYER_EVENTS = {"trace.bundle", "presence.join", "presence.here", "presence.leave",
                "cluster.changed"}


class P3(P1):
    """P1 + no close_old_connections thread hop for channel-layer events (they do no DB
    work): channels 4.2+ runs aclose_old_connections() -- a sync_to_async call on the one
    thread-sensitive thread -- before EVERY handler, so 500 consumers receiving one trace
    queue 500 thread round trips."""

    async def dispatch(self, message):
        if message["type"] in LAYER_EVENTS:
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)


class P4(P3):
    """P3 + the whole trace in one WebSocket frame: a JSON array of the same messages
    (trace.started, trace.hop x N, trace.finished), encoded once per process."""

    async def trace_bundle(self, event):
        text = _ARRAYS.get(event["trace_id"])
        if text is None:
            text = "[" + ", ".join(encoded_frames(event)) + "]"
            _ARRAYS[event["trace_id"]] = text
            while len(_ARRAYS) > 16:
                _ARRAYS.popitem(last=False)
        await self.send(text_data=text)


_ARRAYS: OrderedDict = OrderedDict()
