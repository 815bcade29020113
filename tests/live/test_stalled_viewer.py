"""A viewer that stops reading is dropped, so its frames cannot pile up on the server.

daphne writes through Twisted, which buffers whatever a socket does not take, without
limit. What bounds it is daphne's keepalive: a socket silent for `--ping-interval`
(20 s by default) is pinged, and one that does not answer within `--ping-timeout` (30 s)
is aborted (autobahn's `dropConnection(abort=True)`), which discards the buffer. A
stalled viewer therefore costs at most ~50 s of frames. This runs daphne as `make run`
does, with both options shortened, and a viewer that never reads after its handshake.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time

import pytest
from websockets.asyncio.client import connect

from tests.e2e.conftest import Server

pytestmark = pytest.mark.slow

PING_INTERVAL_S, PING_TIMEOUT_S = 1, 2


@pytest.fixture(scope="module")
def daphne():
    server = Server("--ping-interval", str(PING_INTERVAL_S),
                    "--ping-timeout", str(PING_TIMEOUT_S))
    server.start()
    yield server.port
    server.stop()


def stalled_viewer(port: int) -> socket.socket:
    """A WebSocket client that completes its handshake and never reads again."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws/healthz/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: http://127.0.0.1:{port}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)  # byte by byte: leave every frame after the headers unread
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


TCP_ESTABLISHED = 1  # tcpi_state, the first byte of Linux's struct tcp_info


def was_dropped(s: socket.socket) -> bool:
    """The connection left ESTABLISHED (the server's abort arrived), read without
    reading the socket: its unread frames stay in the buffer, so the viewer stays stalled."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_ESTABLISHED


async def test_a_viewer_that_stops_reading_is_dropped_and_the_others_keep_receiving(daphne):
    port = daphne
    stalled = stalled_viewer(port)
    origin = f"http://127.0.0.1:{port}"
    async with connect(f"ws://127.0.0.1:{port}/ws/healthz/", origin=origin) as viewer:
        assert json.loads(await viewer.recv())["type"] == "hello"
        started, delivered, dropped_after = time.monotonic(), 0, None
        while time.monotonic() - started < (PING_INTERVAL_S + PING_TIMEOUT_S) * 4:
            # each probe goes to every socket of the group, the stalled one included
            await viewer.send(json.dumps({"probe": "p" * 64}))
            while json.loads(await viewer.recv())["type"] != "probe":
                pass
            delivered += 1
            if delivered % 50 == 0 and was_dropped(stalled):
                dropped_after = time.monotonic() - started
                break
        assert dropped_after is not None, "the stalled viewer was never dropped"
        assert dropped_after < PING_INTERVAL_S + PING_TIMEOUT_S + 3
        # the reader that keeps up is untouched
        await viewer.send(json.dumps({"probe": "after"}))
        while (message := json.loads(await viewer.recv()))["type"] != "probe":
            pass
        assert message["probe"] == "after"
    stalled.close()
