"""Revisions: every write is one; diffs between any two; restore as a new revision."""

from __future__ import annotations

import pytest

from clusterlab.labs.models import Cluster, Pod
from tests.labs.helpers import SMALL_YAML, create_cluster, pod

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(api):
    """v1 created, v2 SMALL_YAML, v3 +pod extra, v4 web-1 relabelled, v5 db-1 deleted,
    v6 node-1 moved, v7 config changed."""
    cluster = create_cluster(api)
    base = f"/api/clusters/{cluster['id']}/"
    assert api.post(base + "pods/", pod("extra", node="node-1"), format="json"
                    ).status_code == 201
    assert api.patch(base + "pods/shop/web-1/", {"metadata": {"labels": {"env": "qa"}}},
                     format="json").status_code == 200
    assert api.delete(base + "pods/shop/db-1/").status_code == 200
    assert api.patch(base + "nodes/node-1/position/", {"x": 1, "y": 2},
                     format="json").status_code == 200
    assert api.patch(base, {"config": {"kubeProxyMode": "ipvs"}}, format="json"
                     ).status_code == 200
    return cluster, base


def test_list_and_detail(api, history):
    _cluster, base = history
    listing = api.get(base + "revisions/").json()
    assert [r["number"] for r in listing["results"]] == [7, 6, 5, 4, 3, 2, 1]
    assert listing["resource_version"] == 7
    assert listing["results"][0]["author"] == "alice"
    assert listing["results"][2]["summary"] == {"deleted": 1}
    detail = api.get(base + "revisions/5/").json()
    assert detail["changes"][0]["action"] == "deleted"
    assert detail["changes"][0]["before"]["metadata"]["name"] == "db-1"
    assert api.get(base + "revisions/99/").status_code == 404


def test_diff_between_two_revisions(api, history):
    _cluster, base = history
    diff = api.get(base + "revisions/2/diff/7/").json()
    changes = {(c["kind"], c["name"], c["action"]) for c in diff["changes"]}
    assert changes == {("ClusterConfig", "", "updated"), ("Pod", "extra", "created"),
                       ("Pod", "web-1", "updated"), ("Pod", "db-1", "deleted"),
                       ("Node", "node-1", "moved")}
    backwards = api.get(base + "revisions/7/diff/2/").json()
    assert ("Pod", "db-1", "created") in {(c["kind"], c["name"], c["action"])
                                          for c in backwards["changes"]}
    assert api.get(base + "revisions/3/diff/3/").json()["changes"] == []
    assert api.get(base + "revisions/0/diff/3/").status_code == 404


def test_restore_brings_back_an_earlier_state_as_a_new_revision(api, history):
    cluster, base = history
    before_restore = api.get(f"/api/clusters/{cluster['id']}/manifests").content
    response = api.post(base + "revisions/2/restore/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revision"] == 8 and body["resource_version"] == 8 and body["restored"] == 2
    assert Pod.objects.filter(cluster_id=cluster["id"], name="db-1").exists()
    assert not Pod.objects.filter(cluster_id=cluster["id"], name="extra").exists()
    assert Pod.objects.get(cluster_id=cluster["id"], name="web-1").labels["env"] == "prod"
    assert Cluster.objects.get(pk=cluster["id"]).config == {}
    node = api.get(base + "nodes/node-1/").json()
    assert (node["x"], node["y"]) == (None, None)
    # the state just replaced is itself recoverable
    again = api.post(base + "revisions/7/restore/", {}, format="json")
    assert again.status_code == 200
    assert api.get(f"/api/clusters/{cluster['id']}/manifests").content == before_restore


def test_restore_to_the_current_revision_changes_nothing(api, history):
    _cluster, base = history
    response = api.post(base + "revisions/7/restore/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["revision"] is None
    assert response.json()["resource_version"] == 7


def test_restore_honours_if_match(api, history):
    _cluster, base = history
    assert api.post(base + "revisions/2/restore/", {}, format="json",
                    HTTP_IF_MATCH='"6"').status_code == 409


def test_restore_of_the_empty_first_revision(api):
    cluster = create_cluster(api, yaml_text=SMALL_YAML)
    base = f"/api/clusters/{cluster['id']}/"
    response = api.post(base + "revisions/1/restore/", {}, format="json")
    assert response.status_code == 200
    assert api.get(base + "pods/").json()["count"] == 0
