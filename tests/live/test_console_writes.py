"""Console writes over the WebSocket: kubectl's answers, what-if first, then apply/discard."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from clusterlab.labs.models import Cluster, ClusterShare, NetworkPolicy, Service
from tests.live.wsclient import connect, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]

DENY = """kubectl apply -f - <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-web
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
EOF"""


async def version(cluster_id: int) -> int:
    return (await Cluster.objects.aget(pk=cluster_id)).resource_version


async def receive_all(comm, types: set[str], timeout: float = 30) -> dict[str, dict]:
    """The first message of each type, in whatever order they arrive."""
    got: dict[str, dict] = {}
    while set(got) != types:
        data = await comm.receive_json_from(timeout=timeout)
        for msg in data if isinstance(data, list) else [data]:
            if msg["type"] in types:
                got.setdefault(msg["type"], msg)
    return got


async def console(comm, command: str, **extra) -> dict:
    await comm.send_json_to({"type": "console", "command": command, "port": 8080, **extra})
    return await receive_until(comm, "console.output", timeout=30)


async def test_a_write_that_cuts_flows_waits_for_apply_and_everyone_sees_it(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    await receive_until(alice, "presence")
    before = await version(cluster.id)
    out = await console(alice, DENY)
    # The what-if comes first: client → web on 8080 would be cut; nothing is written yet.
    assert out["pending"] and out["stdout"] == "" and out["exit_code"] == 0
    assert out["whatif"]["count_cut"] >= 1
    assert ["default/client", "default/web"] in out["whatif"]["cut"]
    assert "Nothing is written yet" in out["note"]
    assert await version(cluster.id) == before
    assert not await NetworkPolicy.objects.filter(cluster=cluster, name="deny-web").aexists()

    await alice.send_json_to({"type": "console.apply", "token": out["pending"]})
    got = await receive_all(alice, {"console.output", "cluster.changed"})
    done = got["console.output"]
    assert done["stdout"] == "networkpolicy.networking.k8s.io/deny-web created\n"
    assert done["exit_code"] == 0 and done["resolved"] == out["pending"]
    assert await version(cluster.id) == before + 1
    # every viewer's store hears of it, as of any other write
    assert got["cluster.changed"]["by"] == "alice"
    assert got["cluster.changed"]["changes"][0]["name"] == "deny-web"
    # the token is spent
    await alice.send_json_to({"type": "console.apply", "token": out["pending"]})
    err = await receive_until(alice, "error")
    assert err["field"] == "token"
    # applying the same again changes nothing: kubectl says unchanged, at once
    again = await console(alice, DENY)
    assert again["stdout"] == "networkpolicy.networking.k8s.io/deny-web unchanged\n"
    assert "pending" not in again
    await alice.disconnect()


async def test_a_write_that_moves_no_flow_is_written_at_once(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    before = await version(cluster.id)
    out = await console(alice, "kubectl label pod web tier=front")
    assert out["stdout"] == "pod/web labeled\n" and out["exit_code"] == 0
    assert out["note"] == "what-if: no flow changes on TCP/8080"
    assert "pending" not in out
    assert await version(cluster.id) == before + 1
    await alice.disconnect()


async def test_discard_writes_nothing(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    before = await version(cluster.id)
    out = await console(alice, "kubectl delete pod web")
    assert out["pending"] and out["whatif"]["removed_pods"] == ["default/web"]
    await alice.send_json_to({"type": "console.discard", "token": out["pending"]})
    done = await receive_until(alice, "console.output")
    assert done["note"] == "discarded: kubectl delete pod web — nothing was written"
    assert await version(cluster.id) == before
    await alice.disconnect()


async def test_a_preview_made_stale_by_another_write_is_not_applied(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    out = await console(alice, "kubectl delete pod web")

    def someone_else_writes():
        from clusterlab.labs.apply import apply, parse_text

        apply(cluster, users["alice"], parse_text(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n"))

    await sync_to_async(someone_else_writes)()
    before = await version(cluster.id)
    await alice.send_json_to({"type": "console.apply", "token": out["pending"]})
    done = await receive_until(alice, "console.output")
    assert done["exit_code"] == 1
    assert "the cluster changed since this preview" in done["stderr"]
    assert await version(cluster.id) == before
    await alice.disconnect()


async def test_a_reader_gets_rbac_forbidden_and_nothing_changes(users, cluster):
    await sync_to_async(ClusterShare.objects.create)(cluster=cluster, user=users["carol"])
    carol, _ = await connect(users["carol"], cluster.id)
    before = await version(cluster.id)
    out = await console(carol, "kubectl delete pod web")
    assert out["exit_code"] == 1
    assert out["stderr"] == (
        'Error from server (Forbidden): pods "web" is forbidden: User "carol" cannot delete '
        'resource "pods" in API group "" in the namespace "default"\n')
    assert await version(cluster.id) == before
    await carol.disconnect()


async def test_server_dry_run_reports_and_previews_but_writes_nothing(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    before = await version(cluster.id)
    out = await console(alice, DENY.replace("apply -f -", "apply --dry-run=server -f -"))
    assert out["stdout"] == "networkpolicy.networking.k8s.io/deny-web created (server dry run)\n"
    assert out["whatif"]["count_cut"] >= 1 and "pending" not in out
    assert await version(cluster.id) == before
    await alice.disconnect()


async def test_an_invalid_object_gets_the_api_servers_words(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    out = await console(alice, "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\n"
                               "metadata: {name: bad}\nspec:\n  ports: [{port: 0}]\nEOF")
    assert out["exit_code"] == 1
    # targetPort defaults to port: two errors, printed as kubectl lists several (VAL-1)
    assert out["stderr"] == (
        'The Service "bad" is invalid: \n'
        "* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n"
        "* spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, "
        "inclusive\n")
    await alice.send_json_to({"type": "console", "command": "kubectl get pods", "port": 0})
    err = await receive_until(alice, "error")
    assert err["field"] == "port"
    await alice.disconnect()


async def test_an_allocated_cluster_ip_may_not_change_once_set(users, cluster):
    allocated = await sync_to_async(
        lambda: Service.objects.get(cluster=cluster, name="web").cluster_ip)()
    other = "10.96.0.77" if allocated != "10.96.0.77" else "10.96.0.78"
    alice, _ = await connect(users["alice"], cluster.id)
    out = await console(alice, "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\n"
                               "metadata: {name: web}\n"
                               f"spec: {{clusterIP: {other}, selector: {{app: web}}, "
                               "ports: [{port: 80, targetPort: http}]}\nEOF")
    assert out["exit_code"] == 1
    assert out["stderr"] == (f'The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: '
                             f'["{other}"]: may not change once set\n')
    await alice.disconnect()


async def test_an_object_in_a_missing_namespace_is_not_found(users, cluster):
    alice, _ = await connect(users["alice"], cluster.id)
    out = await console(alice, "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod\n"
                               "metadata: {name: x, namespace: nope}\n"
                               "spec: {containers: [{name: c, image: busybox}]}\nEOF")
    assert out["exit_code"] == 1
    # VAL-1: the API server's NotFound, with the source kubectl read the object from
    assert out["stderr"] == ('Error from server (NotFound): error when creating "STDIN": '
                             'namespaces "nope" not found\n')
    await alice.disconnect()
