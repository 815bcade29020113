"""The cluster WebSocket: who may connect, what a bad message gets, what viewers see."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from clusterlab.labs.models import ClusterShare
from tests.live.wsclient import connect, owner_and_reader, pending, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_owner_connects_and_sees_presence(users, cluster):
    comm, ok = await connect(users["alice"], cluster.id)
    assert ok
    welcome = await comm.receive_json_from()
    assert welcome == {"type": "welcome", "cluster": cluster.id, "can_write": True, "you": "alice"}
    presence = await receive_until(comm, "presence")
    assert [v["username"] for v in presence["viewers"]] == ["alice"]
    await comm.disconnect()


async def test_stranger_gets_not_found_and_the_socket_closes(users, cluster):
    comm, ok = await connect(users["bob"], cluster.id)
    assert ok  # accepted so the reason can be sent, then closed
    assert await comm.receive_json_from() == {"type": "error", "error": "cluster not found"}
    closed = await comm.receive_output()
    assert closed == {"type": "websocket.close", "code": 4404}


async def test_unknown_cluster_id_looks_the_same_as_a_foreign_one(users, cluster):
    comm, _ = await connect(users["bob"], cluster.id + 999)
    assert await comm.receive_json_from() == {"type": "error", "error": "cluster not found"}


async def test_anonymous_is_refused(users, cluster):
    comm, _ = await connect(None, cluster.id)
    assert (await comm.receive_json_from())["error"] == "log in to watch this cluster"
    assert (await comm.receive_output())["code"] == 4401


async def test_foreign_origin_is_refused_before_anything_else(users, cluster):
    _comm, ok = await connect(users["alice"], cluster.id, origin=b"http://evil.example")
    assert not ok


async def test_shared_read_only_viewer_may_watch(users, cluster):
    await sync_to_async(ClusterShare.objects.create)(cluster=cluster, user=users["carol"])
    comm, _ok = await connect(users["carol"], cluster.id)
    assert (await comm.receive_json_from())["can_write"] is False
    await comm.disconnect()


async def test_malformed_messages_get_an_error_and_the_socket_stays(users, cluster):
    comm, _ = await connect(users["alice"], cluster.id)
    await receive_until(comm, "presence")
    await comm.send_to(text_data="{not json")
    assert (await receive_until(comm, "error"))["error"] == "messages must be JSON objects"
    await comm.send_json_to({"type": "teleport"})
    err = await receive_until(comm, "error")
    assert err["field"] == "type" and "Unsupported value" in err["error"]
    await comm.send_json_to({"type": "trace", "source": "default/client", "target": "web"})
    err = await receive_until(comm, "error")
    assert err["field"] == "port"
    await comm.send_json_to({"type": "trace", "source": "default/nope", "target": "web",
                             "port": 80})
    err = await receive_until(comm, "error")
    assert err["field"] == "from" and "not found" in err["error"]
    await comm.send_json_to({"type": "subscribe"})
    presence = await receive_until(comm, "presence")
    assert presence["viewers"] and presence["count"] == 1
    await comm.disconnect()


async def test_a_trace_reaches_every_viewer_with_all_hops(users, cluster):
    alice, carol = await owner_and_reader(users, cluster)
    await alice.send_json_to({"type": "trace", "source": "default/client", "target": "web",
                              "port": 80, "protocol": "TCP", "id": "t1"})
    for comm in (alice, carol):
        frame = await comm.receive_json_from(timeout=20)
        while not isinstance(frame, list):  # presence updates may come first
            frame = await comm.receive_json_from(timeout=20)
        assert frame[0]["type"] == "trace.started", "one frame holds the whole trace"
        pending(comm).extend(frame)
        started = await receive_until(comm, "trace.started", timeout=20)
        assert started["by"] == "alice"
        hops = [await receive_until(comm, "trace.hop") for _ in range(started["hop_count"])]
        finished = await receive_until(comm, "trace.finished")
        assert finished["trace_id"] == started["trace_id"]
        assert finished["verdict"] == "delivered"
        assert finished["backend"] == "default/web"
        assert [h["at_ms"] for h in hops] == sorted(h["at_ms"] for h in hops)
    await alice.disconnect()
    await carol.disconnect()


async def test_rest_write_is_broadcast_as_cluster_changed(users, cluster):
    comm, _ = await connect(users["alice"], cluster.id)
    await receive_until(comm, "presence")

    def write():
        from clusterlab.labs.apply import apply, parse_text

        apply(cluster, users["alice"], parse_text(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"))

    await sync_to_async(write)()
    event = await receive_until(comm, "cluster.changed")
    assert event["resource_version"] == cluster.resource_version + 1
    assert event["by"] == "alice"
    change = next(c for c in event["changes"] if c["kind"] == "Namespace")
    assert change["name"] == "shop" and change["action"] == "created"
    await comm.disconnect()


async def test_presence_follows_joins_and_leaves(users, cluster):
    await sync_to_async(ClusterShare.objects.create)(cluster=cluster, user=users["carol"])
    alice, _ = await connect(users["alice"], cluster.id)
    await receive_until(alice, "presence")
    carol, _ = await connect(users["carol"], cluster.id)
    joined = await receive_until(alice, "presence")
    assert sorted(v["username"] for v in joined["viewers"]) == ["alice", "carol"]
    await carol.disconnect()
    left = await receive_until(alice, "presence")
    assert [v["username"] for v in left["viewers"]] == ["alice"]
    await alice.disconnect()
    await asyncio.sleep(0)


async def test_console_answers_like_kubectl_to_the_asker_only(users, cluster):
    alice, carol = await owner_and_reader(users, cluster)
    await carol.send_json_to({"type": "console", "command": "kubectl get pods -o wide",
                              "id": "c1"})
    out = await receive_until(carol, "console.output", timeout=20)
    assert out["request_id"] == "c1" and out["exit_code"] == 0
    header, *rows = out["stdout"].splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                              "NOMINATED", "NODE", "READINESS", "GATES"]
    assert {r.split()[0] for r in rows} == {"client", "web"}
    await carol.send_json_to({"type": "console", "command": "kubectl get podz"})
    err = await receive_until(carol, "console.output")
    assert err["exit_code"] == 1
    assert 'the server doesn\'t have a resource type "podz"' in err["stderr"]
    await carol.send_json_to({"type": "console", "command": "kubectl exec client -- nslookup web"})
    ns = await receive_until(carol, "console.output")
    assert "Name:\tweb.default.svc.cluster.local" in ns["stdout"]
    seen = []
    while not await alice.receive_nothing(timeout=0.5):
        seen.append((await alice.receive_json_from())["type"])
    assert "console.output" not in seen, "the console answer is personal"
    await alice.disconnect()
    await carol.disconnect()
