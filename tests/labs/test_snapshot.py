"""Snapshot loading: a bounded number of queries, cached per (cluster, resource_version)."""

from __future__ import annotations

import pytest

from clusterlab.labs import snapshot
from clusterlab.labs.changes import Change, commit_change
from clusterlab.labs.models import Cluster
from clusterlab.labs.signals import cluster_changed
from tests.labs.helpers import create_cluster

pytestmark = pytest.mark.django_db

# 7 tables (namespaces, nodes, workloads, pods, services, endpointslices, policies)
# + 1 re-read of the version before caching. Independent of the number of objects.
SNAPSHOT_QUERIES = 8


def big_cluster_yaml(pods: int, nodes: int = 10, namespaces: int = 10) -> str:
    docs = []
    for n in range(nodes):
        address = f"192.168.56.{20 + n}"
        docs.append(f"apiVersion: v1\nkind: Node\nmetadata: {{name: node-{n}}}\n"
                    f"status: {{addresses: [{{type: InternalIP, address: {address}}}]}}\n")
    for n in range(namespaces):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{n}}}\n")
    for i in range(pods):
        docs.append(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, namespace: "
                    f"ns-{i % namespaces}, labels: {{app: app-{i % 20}}}}}\n"
                    f"spec: {{nodeName: node-{i % nodes}, containers: [{{name: c, image: x}}]}}\n")
    for n in range(20):
        docs.append(f"apiVersion: v1\nkind: Service\nmetadata: {{name: svc-{n}, namespace: "
                    f"ns-{n % namespaces}}}\nspec: {{selector: {{app: app-{n}}}, "
                    "ports: [{port: 80}]}\n")
    return "---\n".join(docs)


@pytest.mark.parametrize("pods", [10, 1000])
def test_snapshot_of_a_cluster_costs_a_fixed_number_of_queries(api, pods,
                                                               django_assert_num_queries):
    created = create_cluster(api, yaml_text=big_cluster_yaml(pods))
    cluster = Cluster.objects.get(pk=created["id"])
    snapshot.clear_cache()
    with django_assert_num_queries(SNAPSHOT_QUERIES):
        engine = snapshot.get_engine(cluster)
    assert len([p for p in engine.cluster.pods if p.namespace.startswith("ns-")]) == pods
    with django_assert_num_queries(0):  # same version: served from the cache
        assert snapshot.get_engine(cluster) is engine


def test_include_objects_of_a_1000_pod_cluster_is_bounded(api, django_assert_max_num_queries):
    created = create_cluster(api, yaml_text=big_cluster_yaml(1000))
    snapshot.clear_cache()
    with django_assert_max_num_queries(SNAPSHOT_QUERIES + 7 + 4):
        response = api.get(f"/api/clusters/{created['id']}/?include=objects")
    assert len(response.json()["objects"]["pods"]) >= 1000


def test_a_write_hands_its_snapshot_to_the_cache_and_signals_after_commit(
        api, alice, django_capture_on_commit_callbacks):
    created = create_cluster(api)
    cluster = Cluster.objects.get(pk=created["id"])
    received = []

    def receiver(sender, cluster, revision, **kwargs):
        received.append((cluster.resource_version, revision.number))

    cluster_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            result = commit_change(cluster, alice, [Change(
                "Namespace", "", "extra",
                manifest={"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": "extra"}})])
            assert received == []  # not before the commit
        assert len(callbacks) == 1
        version = result.cluster.resource_version
        assert received == [(version, version)]
        builds = snapshot.stats["builds"]
        engine = snapshot.get_engine(result.cluster)
        assert snapshot.stats["builds"] == builds  # no rebuild: the write's snapshot
        assert "extra" in engine.cluster.namespace_by_name
        # a refused write sends nothing
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(Exception, match="is invalid"):
                commit_change(result.cluster, alice, [Change(
                    "Service", "shop", "bad",
                    manifest={"apiVersion": "v1", "kind": "Service",
                              "metadata": {"name": "bad", "namespace": "shop"},
                              "spec": {"ports": [{"port": 0, "targetPort": 1}]}})])
        assert callbacks == [] and len(received) == 1
    finally:
        cluster_changed.disconnect(receiver)


def test_a_moved_version_is_not_cached_under_the_old_number(api, monkeypatch):
    created = create_cluster(api)
    cluster = Cluster.objects.get(pk=created["id"])
    stale = Cluster.objects.get(pk=created["id"])
    snapshot.clear_cache()
    real_load_rows = snapshot.load_rows

    def racing_load_rows(cluster_id):
        rows = real_load_rows(cluster_id)
        Cluster.objects.filter(pk=cluster_id).update(resource_version=stale.resource_version + 1)
        return rows

    monkeypatch.setattr(snapshot, "load_rows", racing_load_rows)
    snapshot.get_engine(cluster)
    assert snapshot.cached(cluster.pk, stale.resource_version) is None


def test_position_only_change_reuses_the_engine(api, django_capture_on_commit_callbacks):
    created = create_cluster(api)
    cluster = Cluster.objects.get(pk=created["id"])
    engine = snapshot.get_engine(cluster)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/clusters/{cluster.pk}/nodes/node-1/position/",
                             {"x": 5, "y": 6}, format="json")
    version = response.json()["resource_version"]
    assert snapshot.cached(cluster.pk, version) is engine


def test_the_cache_keeps_the_newest_version_of_each_cluster_only():
    a, b, c = object(), object(), object()
    snapshot.remember(1, 5, a)
    snapshot.remember(2, 5, b)
    snapshot.remember(1, 6, c)
    assert snapshot.cached(1, 5) is None and snapshot.cached(1, 6) is c
    assert snapshot.cached(2, 5) is b
    snapshot.remember(1, 5, a)  # a late reader of an older version does not evict the newer
    assert snapshot.cached(1, 5) is None and snapshot.cached(1, 6) is c
