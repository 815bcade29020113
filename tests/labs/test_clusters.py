"""Clusters: CRUD, visibility, clone, share/unshare, `?include=objects`."""

from __future__ import annotations

import pytest

from clusterlab.labs.models import Cluster, Pod, Revision
from tests.labs.helpers import DEMO_YAML, create_cluster

pytestmark = pytest.mark.django_db


def test_create_returns_the_documented_shape_with_version_and_etag(api):
    response = api.post("/api/clusters/", {"name": "lab", "description": "d",
                                           "config": {"cni": {"plugin": "calico",
                                                              "mode": "ipip"}}},
                        format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "description", "owner", "visibility", "config",
                         "resource_version", "created", "updated", "can_write"}
    assert body["owner"] == "alice"
    assert body["visibility"] == "private"
    assert body["resource_version"] == 1
    assert body["can_write"] is True
    assert response["ETag"] == '"1"'
    assert Revision.objects.get(cluster_id=body["id"]).number == 1


def test_create_with_an_invalid_config_is_a_field_error_and_creates_nothing(api):
    response = api.post("/api/clusters/", {"name": "lab",
                                           "config": {"cni": {"plugin": "flannel",
                                                              "mode": "ipip"}}},
                        format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "spec.cni.mode"
    assert 'Unsupported value: "ipip"' in body["errors"][0]["message"]
    assert not Cluster.objects.exists()


def test_list_shows_own_shared_and_templates_only_paginated(api, bob_api, alice, bob,
                                                             make_user):
    mine = create_cluster(api, "mine", yaml_text=None)
    theirs = create_cluster(bob_api, "theirs", yaml_text=None)
    template = create_cluster(bob_api, "template", yaml_text=None, visibility="template")
    shared = create_cluster(bob_api, "shared", yaml_text=None)
    assert bob_api.post(f"/api/clusters/{shared['id']}/share/",
                        {"username": "alice"}, format="json").status_code == 200
    listing = api.get("/api/clusters/").json()
    assert listing["count"] == 3
    names = {c["name"]: c for c in listing["results"]}
    assert set(names) == {"mine", "template", "shared"}
    assert names["mine"]["can_write"] is True
    assert names["shared"]["can_write"] is False
    assert names["template"]["can_write"] is False
    assert theirs["id"] not in {c["id"] for c in listing["results"]}
    assert mine["id"] in {c["id"] for c in listing["results"]}
    assert template["id"] in {c["id"] for c in listing["results"]}
    page = api.get("/api/clusters/?page_size=1").json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next"]
    assert api.get("/api/clusters/?visibility=template").json()["count"] == 1


def test_update_and_partial_update_bump_the_version(api):
    cluster = create_cluster(api, yaml_text=None)
    url = f"/api/clusters/{cluster['id']}/"
    patched = api.patch(url, {"description": "new words"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["description"] == "new words"
    assert patched.json()["resource_version"] == 2
    assert patched["ETag"] == '"2"'
    put = api.put(url, {"name": "renamed", "config": {"kubeProxyMode": "ipvs"}},
                  format="json")
    assert put.status_code == 200, put.content
    assert put.json()["config"] == {"kubeProxyMode": "ipvs"}
    assert put.json()["resource_version"] == 3
    same = api.patch(url, {"name": "renamed"}, format="json")
    assert same.json()["resource_version"] == 3  # nothing changed, nothing bumped


def test_config_change_is_validated_against_the_whole_cluster(api):
    cluster = create_cluster(api)
    response = api.patch(f"/api/clusters/{cluster['id']}/",
                         {"config": {"kubeProxyMode": "nftables"}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "spec.kubeProxyMode"
    assert Cluster.objects.get(pk=cluster["id"]).config == {}


def test_delete_is_for_the_owner_only(api, bob_api):
    cluster = create_cluster(api, yaml_text=None)
    api.post(f"/api/clusters/{cluster['id']}/share/", {"username": "bob", "can_write": True},
             format="json")
    assert bob_api.delete(f"/api/clusters/{cluster['id']}/").status_code == 403
    assert api.delete(f"/api/clusters/{cluster['id']}/").status_code == 204
    assert not Cluster.objects.filter(pk=cluster["id"]).exists()


def test_retrieve_include_objects_has_engine_addresses(api):
    cluster = create_cluster(api, yaml_text=DEMO_YAML)
    response = api.get(f"/api/clusters/{cluster['id']}/?include=objects")
    assert response.status_code == 200
    objects = response.json()["objects"]
    assert set(objects) >= {"namespaces", "nodes", "pods", "services", "networkpolicies",
                            "endpointslices"}
    nodes = {n["name"]: n for n in objects["nodes"]}
    assert set(nodes) == {"control-plane", "worker-1", "worker-2"}
    assert nodes["worker-1"]["status"]["internalIP"] == "192.168.56.11"
    assert nodes["worker-1"]["internal_ip"] == "192.168.56.11"
    pods = {(p["namespace"], p["name"]): p for p in objects["pods"]}
    db = pods[("shop", "db-0")]
    assert db["stored"] is True and db["status"]["nodeName"] == "worker-2"
    assert db["status"]["podIP"] and db["ip"] == db["status"]["podIP"]
    web_pods = [p for (ns, name), p in pods.items() if name.startswith("web-")]
    assert len(web_pods) == 2 and all(p["stored"] is False and p["status"]["podIP"]
                                      for p in web_pods)
    services = {(s["namespace"], s["name"]): s for s in objects["services"]}
    assert services[("shop", "web")]["status"]["type"] == "NodePort"
    assert 30000 <= services[("shop", "web")]["status"]["ports"][0]["nodePort"] <= 32767
    assert services[("shop", "db")]["status"]["clusterIP"] == "None"
    assert services[("kube-system", "kube-dns")]["status"]["clusterIP"] == "10.96.0.10"
    deployments = {d["name"]: d for d in objects["deployments"]}
    assert len(deployments["web"]["status"]["pods"]) == 2


def test_clone_is_a_deep_copy_owned_by_the_caller(api, bob_api):
    source = create_cluster(api, yaml_text=DEMO_YAML, visibility="template")
    response = bob_api.post(f"/api/clusters/{source['id']}/clone/", {}, format="json")
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["owner"] == "bob" and copy["visibility"] == "private"
    assert copy["name"] == "lab (copy)"
    assert copy["config"] == Cluster.objects.get(pk=source["id"]).config
    a = api.get(f"/api/clusters/{source['id']}/manifests").content
    b = bob_api.get(f"/api/clusters/{copy['id']}/manifests").content
    assert a == b
    assert Pod.objects.filter(cluster_id=copy["id"]).count() == \
        Pod.objects.filter(cluster_id=source["id"]).count()
    # the copy is independent
    bob_api.delete(f"/api/clusters/{copy['id']}/pods/shop/db-0/")
    assert Pod.objects.filter(cluster_id=source["id"], name="db-0").exists()


def test_share_and_unshare(api, bob_api, bob):
    cluster = create_cluster(api)
    url = f"/api/clusters/{cluster['id']}/"
    assert bob_api.get(url).status_code == 404
    shared = api.post(url + "share/", {"username": "bob"}, format="json")
    assert shared.status_code == 200
    assert shared.json()["shares"] == [{"username": "bob", "can_write": False}]
    assert shared.json()["visibility"] == "shared"
    assert bob_api.get(url).status_code == 200
    assert bob_api.post(url + "pods/", {"manifest": {"kind": "Pod"}}, format="json"
                        ).status_code == 403
    api.post(url + "share/", {"username": "bob", "can_write": True}, format="json")
    assert bob_api.get(url).json()["can_write"] is True
    assert bob_api.post(url + "share/", {"username": "alice"}, format="json").status_code == 403
    assert api.post(url + "share/", {"username": "nobody"}, format="json").status_code == 400
    assert api.post(url + "share/", {"username": "alice"}, format="json").status_code == 400
    unshared = api.post(url + "unshare/", {"username": "bob"}, format="json")
    assert unshared.status_code == 200 and unshared.json()["visibility"] == "private"
    assert bob_api.get(url).status_code == 404
    assert api.post(url + "unshare/", {"username": "bob"}, format="json").status_code == 404


def test_visibility_changes_are_for_the_owner(api, bob_api):
    cluster = create_cluster(api, yaml_text=None)
    url = f"/api/clusters/{cluster['id']}/"
    api.post(url + "share/", {"username": "bob", "can_write": True}, format="json")
    assert bob_api.patch(url, {"visibility": "template"}, format="json").status_code == 403
    assert bob_api.patch(url, {"description": "ok"}, format="json").status_code == 200
    assert api.patch(url, {"visibility": "template"}, format="json").json()["visibility"] == \
        "template"


def test_anonymous_is_refused(client):
    assert client.get("/api/clusters/").status_code in (401, 403)
    assert client.post("/api/clusters/", {"name": "x"}).status_code in (401, 403)
