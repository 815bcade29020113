"""`?include=objects` is built once per cluster version, whoever asks and however many at once."""

from __future__ import annotations

import threading

import pytest

from clusterlab.labs import listing
from clusterlab.labs.models import Cluster, ClusterShare
from tests.labs.helpers import SMALL_YAML, create_cluster

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def builds(monkeypatch):
    calls = []
    real = listing.objects_payload

    def counted(cluster):
        calls.append(cluster.resource_version)
        return real(cluster)

    monkeypatch.setattr(listing, "objects_payload", counted)
    return calls


def test_every_reader_of_a_version_gets_one_listing_and_a_write_makes_a_new_one(
        api, bob_api, bob, builds):
    created = create_cluster(api, yaml_text=SMALL_YAML)
    ClusterShare.objects.create(cluster_id=created["id"], user=bob)
    url = f"/api/clusters/{created['id']}/?include=objects"
    mine, theirs = api.get(url), bob_api.get(url)
    assert mine.status_code == theirs.status_code == 200
    assert builds == [created["resource_version"]]
    assert mine.json()["objects"] == theirs.json()["objects"]
    # the reader's own fields stay theirs
    assert mine.json()["can_write"] is True and theirs.json()["can_write"] is False
    assert mine["ETag"] == f'"{created["resource_version"]}"'
    api.post(f"/api/clusters/{created['id']}/namespaces/", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "extra"}}, format="json")
    after = bob_api.get(url).json()
    assert after["resource_version"] == created["resource_version"] + 1
    assert "extra" in {n["name"] for n in after["objects"]["namespaces"]}
    assert builds == [created["resource_version"], created["resource_version"] + 1]


def test_readers_arriving_together_wait_for_one_build(api, builds):
    created = create_cluster(api, yaml_text=SMALL_YAML)
    cluster_id = created["id"]
    start = threading.Barrier(8)
    bodies: list[bytes] = []

    def read() -> None:
        from django.db import connection

        start.wait()
        try:
            bodies.append(listing.listing_json(Cluster.objects.get(pk=cluster_id)))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert builds == [created["resource_version"]]
