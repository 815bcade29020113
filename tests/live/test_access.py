"""A viewer who loses access while watching is disconnected, as the REST API would 404."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from clusterlab.labs.models import ClusterShare
from tests.live.wsclient import connect, owner_and_reader, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]


async def closed_with_reason(comm, timeout: float = 5) -> tuple[str, int]:
    """The error text and close code the server ends the socket with."""
    reason = None
    while True:
        out = await comm.receive_output(timeout=timeout)
        if out["type"] == "websocket.close":
            return reason, out["code"]
        text = out.get("text", "")
        if '"type": "error"' in text:
            reason = text


def rest(user, method: str, path: str, body: dict | None = None) -> int:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return getattr(client, method)(path, body or {}, content_type="application/json").status_code


async def test_unsharing_closes_the_readers_socket_and_leaves_the_owners(users, cluster):
    alice, carol = await owner_and_reader(users, cluster)
    status = await sync_to_async(rest)(users["alice"], "post",
                                       f"/api/clusters/{cluster.id}/unshare/",
                                       {"username": "carol"})
    assert status == 200
    reason, code = await closed_with_reason(carol)
    assert code == 4404 and "access to this cluster was withdrawn" in reason
    await carol.disconnect()  # the browser completes the close handshake
    # the owner keeps watching, and sees carol leave
    presence = await receive_until(alice, "presence")
    assert [v["username"] for v in presence["viewers"]] == ["alice"]
    await alice.disconnect()


async def test_a_reader_made_a_writer_is_told_so_and_keeps_watching(users, cluster):
    await sync_to_async(ClusterShare.objects.create)(cluster=cluster, user=users["carol"])
    carol, _ = await connect(users["carol"], cluster.id)
    await receive_until(carol, "presence")
    status = await sync_to_async(rest)(users["alice"], "post",
                                       f"/api/clusters/{cluster.id}/share/",
                                       {"username": "carol", "can_write": True})
    assert status == 200
    assert await receive_until(carol, "access") == {"type": "access", "can_write": True}
    await carol.send_json_to({"type": "console", "command": "kubectl label pod web x=y"})
    out = await receive_until(carol, "console.output", timeout=20)
    assert out["stdout"] == "pod/web labeled\n", "write access is asked for at each command"
    await carol.disconnect()


async def test_deleting_the_cluster_closes_every_socket(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    await receive_until(alice, "presence")
    status = await sync_to_async(rest)(users["alice"], "delete", f"/api/clusters/{cluster.id}/")
    assert status == 204
    reason, code = await closed_with_reason(alice)
    assert code == 4404 and "withdrawn" in reason
