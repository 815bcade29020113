"""A WebSocket client for the live tests: log in, connect, read messages by type."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.test import Client

from clusterlab.routing import websocket_urlpatterns


def application():
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"origin", b"http://testserver"), (b"host", b"testserver"),
            (b"cookie", f"sessionid={cookie}".encode())]


async def connect(user, cluster_id, origin=b"http://testserver"):
    headers = await sync_to_async(session_headers)(user) if user else [(b"host", b"testserver")]
    headers = [(k, origin if k == b"origin" else v) for k, v in headers]
    if user is None:
        headers.append((b"origin", origin))
    comm = WebsocketCommunicator(application(), f"/ws/clusters/{cluster_id}/", headers=headers)
    connected, _ = await comm.connect()
    return comm, connected


async def owner_and_reader(users, cluster):
    """alice (the owner) and carol (shared read-only) watching the cluster, both past
    their first presence message."""
    from clusterlab.labs.models import ClusterShare

    await sync_to_async(ClusterShare.objects.create)(cluster=cluster, user=users["carol"])
    alice, _ = await connect(users["alice"], cluster.id)
    carol, _ = await connect(users["carol"], cluster.id)
    await receive_until(alice, "presence")
    await receive_until(carol, "presence")
    return alice, carol


_pending: dict[int, list[dict]] = {}


def pending(comm) -> list[dict]:
    """Messages read from `comm` but not yet asked for."""
    return _pending.setdefault(id(comm), [])


async def receive_until(comm, msg_type, timeout=5):
    """The next message of a type; a trace frame (a JSON array) counts message by message."""
    queue = pending(comm)
    while True:
        while queue:
            msg = queue.pop(0)
            if msg["type"] == msg_type:
                return msg
        data = await comm.receive_json_from(timeout=timeout)
        queue.extend(data if isinstance(data, list) else [data])
