"""Optimistic concurrency: stale writers get 409 with the current version; nothing is lost."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from clusterlab.labs.models import Cluster, Pod, Revision
from tests.labs.helpers import create_cluster, pod

pytestmark = pytest.mark.django_db


def test_two_clients_same_version_one_wins_one_gets_409(api, bob_api):
    cluster = create_cluster(api)
    api.post(f"/api/clusters/{cluster['id']}/share/", {"username": "bob", "can_write": True},
             format="json")
    base = f"/api/clusters/{cluster['id']}/pods/shop/web-1/"
    seen_a = api.get(base)
    seen_b = bob_api.get(base)
    version = seen_a.json()["resource_version"]
    assert seen_a["ETag"] == seen_b["ETag"] == f'"{version}"'

    manifest_a = seen_a.json()["manifest"]
    manifest_a["metadata"]["labels"]["edited-by"] = "alice"
    manifest_b = seen_b.json()["manifest"]
    manifest_b["metadata"]["labels"]["edited-by"] = "bob"

    first = api.put(base, manifest_a, format="json", HTTP_IF_MATCH=f'"{version}"')
    second = bob_api.put(base, manifest_b, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["resource_version"] == version + 1
    assert "the object has been modified" in second.json()["detail"]
    assert second["ETag"] == f'"{version + 1}"'

    # Bob retries on the new version; both edits are in the history.
    retry = bob_api.put(base, manifest_b, format="json",
                        HTTP_IF_MATCH=second["ETag"])
    assert retry.status_code == 200
    history = Revision.objects.filter(cluster_id=cluster["id"], number__gt=version)
    authors = {r.number: r.author.username for r in history}
    assert authors == {version + 1: "alice", version + 2: "bob"}
    alice_rev = history.get(number=version + 1).changes[0]
    assert alice_rev["after"]["metadata"]["labels"]["edited-by"] == "alice"


def test_resource_version_in_body_or_query_works_like_if_match(api):
    cluster = create_cluster(api)
    base = f"/api/clusters/{cluster['id']}/"
    stale = cluster["resource_version"] - 1
    body = {"manifest": pod("x1", node="node-1"), "resourceVersion": stale}
    assert api.post(base + "pods/", body, format="json").status_code == 409
    body["resourceVersion"] = cluster["resource_version"]
    assert api.post(base + "pods/", body, format="json").status_code == 201
    response = api.post(base + f"manifests?resourceVersion={cluster['resource_version']}",
                        "apiVersion: v1\nkind: Namespace\nmetadata: {name: q}\n",
                        content_type="application/yaml")
    assert response.status_code == 409
    assert api.patch(base, {"description": "x", "resourceVersion": 1}, format="json"
                     ).status_code == 409
    assert api.delete(base, HTTP_IF_MATCH='"1"').status_code == 409
    assert api.post(base + "pods/", pod("x2"), format="json",
                    HTTP_IF_MATCH="nonsense").status_code == 400


def test_write_without_version_is_last_writer_wins(api):
    cluster = create_cluster(api)
    base = f"/api/clusters/{cluster['id']}/pods/"
    assert api.post(base, pod("x1", node="node-1"), format="json").status_code == 201
    assert api.post(base, pod("x2", node="node-1"), format="json").status_code == 201
    assert api.post(base, pod("x3", node="node-1"), format="json",
                    HTTP_IF_MATCH="*").status_code == 201


def test_every_response_of_a_cluster_carries_the_version(api):
    cluster = create_cluster(api)
    base = f"/api/clusters/{cluster['id']}/"
    version = cluster["resource_version"]
    for path in ("", "pods/", "pods/shop/web-1/", "nodes/node-1/", "revisions/",
                 "revisions/1/", "manifests"):
        response = api.get(base + path)
        assert response["ETag"] == f'"{version}"', path
        if path != "manifests":
            assert response.json()["resource_version"] == version, path


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_threads_on_postgres_serialise_on_the_cluster_row(alice, bob):
    if not _is_postgres() or not os.environ.get("DATABASE_URL"):
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    owner = APIClient()
    owner.force_authenticate(alice)
    cluster = create_cluster(owner)
    owner.post(f"/api/clusters/{cluster['id']}/share/", {"username": "bob", "can_write": True},
               format="json")
    version = cluster["resource_version"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def write(user, name):
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        try:
            response = client.post(f"/api/clusters/{cluster['id']}/pods/",
                                   pod(name, node="node-1"), format="json",
                                   HTTP_IF_MATCH=f'"{version}"')
            results[name] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(alice, "from-alice")),
               threading.Thread(target=write, args=(bob, "from-bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == [201, 409]
    assert Cluster.objects.get(pk=cluster["id"]).resource_version == version + 1
    assert Pod.objects.filter(cluster_id=cluster["id"], name__startswith="from-").count() == 1

    # without versions both land, one after the other, each a revision
    results.clear()
    barrier.reset()
    version = None  # type: ignore[assignment]

    def write_blind(user, name):
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        try:
            results[name] = client.post(f"/api/clusters/{cluster['id']}/pods/",
                                        pod(name, node="node-2"), format="json").status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write_blind, args=(alice, "blind-a")),
               threading.Thread(target=write_blind, args=(bob, "blind-b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == [201, 201]
    numbers = list(Revision.objects.filter(cluster_id=cluster["id"]).order_by("number")
                   .values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps, no duplicates
