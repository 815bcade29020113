"""`cluster.changed` carries everything a write changed: a viewer's state stays
"initial `?include=objects` + events", without reloading the cluster.

Each write below is committed through the one write path; the event built from its
signal is applied the way the browser's store applies it (store.js `applyChange`), and
the result must equal a fresh `?include=objects` listing, entry for entry: allocations,
a workload's pods (scaled, renamed by a new template, deleted), positions, a built-in
namespace. Only a config change asks viewers to reload.
"""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.labs.apply import apply, parse_text
from clusterlab.labs.changes import Change, commit_change
from clusterlab.labs.listing import objects_payload
from clusterlab.labs.models import Cluster
from clusterlab.labs.signals import cluster_changed
from clusterlab.live.broadcast import change_event

pytestmark = pytest.mark.django_db

Key = tuple[str, str, str]

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop-web, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: shop}}}}
  template:
    metadata: {{labels: {{app: shop}}}}
    spec: {{containers: [{{name: web, image: "{image}", ports: [{{containerPort: 80}}]}}]}}
"""


def listing(cluster: Cluster) -> dict[Key, dict[str, Any]]:
    out = {}
    for entries in objects_payload(cluster).values():
        for entry in entries:
            out[(entry["kind"], entry["namespace"], entry["name"])] = entry
    return out


class Viewer:
    """What the browser holds: the first listing, then every event applied to it."""

    def __init__(self, cluster: Cluster) -> None:
        self.objects = listing(cluster)
        self.version = cluster.resource_version

    def apply(self, event: dict[str, Any]) -> None:
        assert event["previous_version"] == self.version, "an event was missed"
        for change in event["changes"]:
            key = (change["kind"], change["namespace"], change["name"])
            if change["action"] == "deleted":
                self.objects.pop(key, None)
            else:
                self.objects[key] = change["object"]
        self.version = event["resource_version"]


@pytest.fixture
def written(django_capture_on_commit_callbacks):
    """Commit a write and return the `cluster.changed` event its signal gives viewers."""
    def write(cluster: Cluster, user: Any, do) -> tuple[Cluster, dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        def receiver(sender, cluster, revision, **kwargs):
            sent.append({"cluster": cluster, "revision": revision, **kwargs})

        cluster_changed.connect(receiver, dispatch_uid="test-broadcast")
        try:
            with django_capture_on_commit_callbacks(execute=True):
                do(cluster, user)
        finally:
            cluster_changed.disconnect(dispatch_uid="test-broadcast")
        assert len(sent) == 1
        signal = sent[0]
        event = change_event(signal["cluster"], signal["revision"], signal["derived"])
        return Cluster.objects.get(pk=cluster.pk), event

    return write


def yaml_write(text: str):
    return lambda cluster, user: apply(cluster, user, parse_text(text))


def test_a_viewer_follows_every_kind_of_write_from_the_events_alone(users, cluster, written):
    alice = users["alice"]
    viewer = Viewer(cluster)
    steps = [
        ("a Deployment's pods appear", yaml_write(DEPLOYMENT.format(replicas=2, image="nginx"))),
        ("scaled up", yaml_write(DEPLOYMENT.format(replicas=3, image="nginx"))),
        ("a new template renames every pod", yaml_write(
            DEPLOYMENT.format(replicas=3, image="nginx:1.27"))),
        ("a LoadBalancer gets its address and nodePort", yaml_write(
            "apiVersion: v1\nkind: Service\nmetadata: {name: shop-lb, namespace: default}\n"
            "spec: {type: LoadBalancer, selector: {app: shop}, ports: [{port: 80}]}\n")),
        ("a pod relabelled", yaml_write(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: default, "
            "labels: {app: client, role: tester}}\n"
            "spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}\n")),
        ("moved on the canvas", lambda c, u: commit_change(
            c, u, [Change("Pod", "default", "web", position=(120.0, 80.0))])),
        ("a node joins", yaml_write(
            "apiVersion: v1\nkind: Node\nmetadata: {name: node-3}\n"
            "status: {addresses: [{type: InternalIP, address: 192.168.56.12}]}\n")),
        ("the Deployment goes, its pods with it", lambda c, u: commit_change(
            c, u, [Change("Deployment", "default", "shop-web", delete=True)])),
        ("a built-in namespace stored with labels", lambda c, u: commit_change(
            c, u, [Change("Namespace", "", "kube-public", manifest={
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "kube-public", "labels": {"team": "x"}}})])),
        ("…deleted again: the engine still lists its own", lambda c, u: commit_change(
            c, u, [Change("Namespace", "", "kube-public", delete=True)])),
    ]
    for what, do in steps:
        cluster, event = written(cluster, alice, do)
        assert event["refetch"] is False, what
        viewer.apply(event)
        assert viewer.objects == listing(cluster), what


def test_a_config_change_asks_viewers_to_reload(users, cluster, written):
    _cluster, event = written(cluster, users["alice"], lambda c, u: commit_change(
        c, u, [], config={**(c.config or {}), "cni": {"plugin": "calico", "mode": "vxlan"}}))
    assert event["refetch"] is True


def test_a_renamed_cluster_reaches_open_editors(users, cluster, written):
    _cluster, event = written(cluster, users["alice"], lambda c, u: commit_change(
        c, u, [], fields={"name": "lab 2", "description": "after the break"}))
    assert event["cluster"] == {"name": "lab 2", "description": "after the break"}
    assert event["changes"] == [] and event["refetch"] is False
