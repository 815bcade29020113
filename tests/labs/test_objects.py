"""Objects of a cluster per kind: CRUD, filters, positions, Kubernetes-style errors."""

from __future__ import annotations

import pytest

from clusterlab.labs.models import Pod, Revision, Service
from tests.labs.helpers import create_cluster, pod, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(api):
    return create_cluster(api)


def url(lab, rest=""):
    return f"/api/clusters/{lab['id']}/{rest}"


def test_create_a_pod_from_a_bare_manifest(api, lab):
    response = api.post(url(lab, "pods/"), pod("cache-1", node="node-1", app="cache"),
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "Pod" and body["namespace"] == "shop" and body["name"] == "cache-1"
    assert body["labels"] == {"app": "cache"}
    assert body["node_name"] == "node-1"
    assert body["ip"].startswith("10.244.") and body["status"]["podIP"] == body["ip"]
    assert body["resource_version"] == lab["resource_version"] + 1
    assert response["ETag"] == f'"{lab["resource_version"] + 1}"'


def test_create_with_wrapper_sets_the_canvas_position(api, lab):
    response = api.post(url(lab, "services/"),
                        {"manifest": service("cache", port=6379), "x": 10.5, "y": -3},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["x"], body["y"]) == (10.5, -3.0)
    assert body["type"] == "ClusterIP" and body["cluster_ip"].startswith("10.")


def test_namespace_defaults_to_default(api, lab):
    manifest = pod("loner")
    del manifest["metadata"]["namespace"]
    response = api.post(url(lab, "pods/"), manifest, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["namespace"] == "default"


def test_retrieve_and_404_wording(api, lab):
    assert api.get(url(lab, "pods/shop/web-1/")).json()["name"] == "web-1"
    missing = api.get(url(lab, "pods/shop/nope/"))
    assert missing.status_code == 404
    assert missing.json()["detail"] == 'pods "nope" not found'
    assert api.get(url(lab, "nodes/node-1/")).json()["internal_ip"] == "192.168.56.11"
    assert api.get(url(lab, "namespaces/shop/")).json()["kind"] == "Namespace"


def test_create_existing_is_already_exists(api, lab):
    response = api.post(url(lab, "pods/"), pod("web-1", node="node-1"), format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == 'pods "web-1" already exists'


def test_invalid_object_gets_api_server_message_and_field_path(api, lab):
    bad = service("broken", port=0)
    bad["spec"]["ports"][0]["targetPort"] = 8080
    response = api.post(url(lab, "services/"), bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == ('Service "broken" is invalid: spec.ports[0].port: Invalid value: '
                              "0: must be between 1 and 65535, inclusive")
    assert body["errors"][0]["field"] == "spec.ports[0].port"
    assert body["errors"][0]["type"] == "Invalid value"
    assert body["errors"][0]["message"] == ("spec.ports[0].port: Invalid value: 0: must be "
                                            "between 1 and 65535, inclusive")
    assert not Service.objects.filter(name="broken").exists()


def test_several_errors_are_listed_each_with_its_path(api, lab):
    bad = service("broken", port=70000)
    bad["spec"]["ports"][0]["protocol"] = "HTTP"
    body = api.post(url(lab, "services/"), bad, format="json").json()
    fields = [e["field"] for e in body["errors"]]
    assert "spec.ports[0].port" in fields and "spec.ports[0].protocol" in fields
    assert body["detail"].startswith('Service "broken" is invalid: [')


def test_cross_object_error_from_the_whole_cluster_load(api, lab):
    response = api.post(url(lab, "pods/"), pod("stray", namespace="nowhere"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert "namespaces \"nowhere\" not found" in body["detail"]
    assert body["errors"][0]["object"]["name"] == "stray"


def test_kind_mismatch_and_missing_name(api, lab):
    wrong = api.post(url(lab, "pods/"), service("svc"), format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "kind"
    nameless = pod("x")
    del nameless["metadata"]["name"]
    response = api.post(url(lab, "pods/"), nameless, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == \
        "metadata.name: Required value: name or generateName is required"


def test_update_replaces_the_manifest_and_records_before_after(api, lab):
    manifest = pod("web-1", node="node-1", app="web", tier="frontend", env="qa")
    response = api.put(url(lab, "pods/shop/web-1/"), manifest, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["labels"]["env"] == "qa"
    revision = Revision.objects.filter(cluster_id=lab["id"]).order_by("-number").first()
    change = revision.changes[0]
    assert change["action"] == "updated"
    assert change["before"]["metadata"]["labels"]["env"] == "prod"
    assert change["after"]["metadata"]["labels"]["env"] == "qa"


def test_update_name_must_match_the_url(api, lab):
    response = api.put(url(lab, "pods/shop/web-1/"), pod("web-2", node="node-1"),
                       format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "metadata.name"
    assert "does not match the name on the URL" in response.json()["detail"]


def test_update_missing_is_404(api, lab):
    response = api.put(url(lab, "pods/shop/ghost/"), pod("ghost"), format="json")
    assert response.status_code == 404


def test_patch_is_a_merge_patch(api, lab):
    response = api.patch(url(lab, "pods/shop/web-1/"),
                         {"metadata": {"labels": {"env": None, "team": "a"}}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["labels"] == {"app": "web", "tier": "frontend", "team": "a"}


def test_unchanged_update_does_not_bump(api, lab):
    current = api.get(url(lab, "pods/shop/web-1/")).json()
    response = api.put(url(lab, "pods/shop/web-1/"), current["manifest"], format="json")
    assert response.status_code == 200
    assert response.json()["resource_version"] == lab["resource_version"]


def test_delete(api, lab):
    response = api.delete(url(lab, "pods/shop/db-1/"))
    assert response.status_code == 200
    assert response.json() == {"kind": "Pod", "namespace": "shop", "name": "db-1",
                               "deleted": True,
                               "resource_version": lab["resource_version"] + 1}
    assert api.delete(url(lab, "pods/shop/db-1/")).status_code == 404


def test_position_bumps_version_with_a_compact_revision(api, lab):
    response = api.patch(url(lab, "nodes/node-2/position/"), {"x": 100, "y": 50},
                         format="json")
    assert response.status_code == 200
    assert (response.json()["x"], response.json()["y"]) == (100.0, 50.0)
    assert response.json()["resource_version"] == lab["resource_version"] + 1
    revision = Revision.objects.get(cluster_id=lab["id"],
                                    number=lab["resource_version"] + 1)
    assert revision.changes == [{"kind": "Node", "namespace": "", "name": "node-2",
                                 "action": "moved", "before": {"x": None, "y": None},
                                 "after": {"x": 100.0, "y": 50.0}}]
    bad = api.patch(url(lab, "nodes/node-2/position/"), {"x": "left", "y": 1}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "x"


@pytest.mark.parametrize(("selector", "expected"), [
    ("app=web", {"web-1"}),
    ("app==web", {"web-1"}),
    ("tier!=db", {"web-1", "api-1"}),
    ("env in (prod,staging)", {"web-1", "api-1"}),
    ("env notin (prod)", {"api-1", "db-1"}),
    ("env", {"web-1", "api-1"}),
    ("!env", {"db-1"}),
    ("app in (web,api),env!=staging", {"web-1"}),
    ("", {"web-1", "api-1", "db-1"}),
])
def test_label_selector_filter(api, lab, selector, expected):
    response = api.get(url(lab, "pods/"), {"labelSelector": selector})
    assert response.status_code == 200
    assert {p["name"] for p in response.json()["results"]} == expected
    assert response.json()["resource_version"] == lab["resource_version"]


def test_bad_label_selector_is_a_400_naming_the_parameter(api, lab):
    response = api.get(url(lab, "pods/"), {"labelSelector": "app in web"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "labelSelector"


def test_namespace_and_node_filters(api, lab):
    api.post(url(lab, "pods/"), pod("other", namespace="default", node="node-1"),
             format="json")
    assert {p["name"] for p in api.get(url(lab, "pods/?namespace=default")).json()["results"]} \
        == {"other"}
    assert {p["name"] for p in api.get(url(lab, "pods/?node=node-2")).json()["results"]} == \
        {"api-1", "db-1"}


def test_allocations_stay_put_when_other_objects_change(api, lab):
    before = {p.name: p.ip for p in Pod.objects.filter(cluster_id=lab["id"])}
    svc_before = Service.objects.get(cluster_id=lab["id"], name="web").cluster_ip
    for i in range(3):
        assert api.post(url(lab, "pods/"), pod(f"extra-{i}", node="node-1"),
                        format="json").status_code == 201
    api.post(url(lab, "services/"), service("aaa-first"), format="json")
    api.delete(url(lab, "pods/shop/web-1/"))
    after = {p.name: p.ip for p in Pod.objects.filter(cluster_id=lab["id"])}
    assert all(after[name] == ip for name, ip in before.items() if name != "web-1")
    assert Service.objects.get(cluster_id=lab["id"], name="web").cluster_ip == svc_before
    assert len(set(after.values())) == len(after)  # no address handed out twice


def test_an_allocated_cluster_ip_may_not_change_once_set(api, lab):
    """ValidateServiceUpdate: leaving clusterIP out keeps it; another one is refused."""
    web = api.get(url(lab, "services/shop/web/")).json()
    allocated = web["status"]["clusterIP"]
    manifest = web["manifest"]
    assert "clusterIP" not in manifest["spec"]
    manifest["metadata"]["labels"] = {"tier": "frontend"}
    assert api.put(url(lab, "services/shop/web/"), manifest, format="json").status_code == 200
    same = {**manifest, "spec": {**manifest["spec"], "clusterIP": allocated}}
    assert api.put(url(lab, "services/shop/web/"), same, format="json").status_code == 200
    other = {**manifest, "spec": {**manifest["spec"], "clusterIP": "10.96.0.77"}}
    response = api.put(url(lab, "services/shop/web/"), other, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == ('Service "web" is invalid: spec.clusterIPs[0]: '
                                         'Invalid value: ["10.96.0.77"]: may not change once set')
    # the new object's own errors follow, as the API server lists them
    both = {**other, "spec": {**other["spec"], "sessionAffinity": "client"}}
    fields = [e["field"] for e in api.put(url(lab, "services/shop/web/"), both,
                                          format="json").json()["errors"]]
    assert fields == ["spec.clusterIPs[0]", "spec.sessionAffinity"]
    assert api.get(url(lab, "services/shop/web/")).json()["status"]["clusterIP"] == allocated
    # to and from ExternalName the address may go (the API server allows it)
    external = {**manifest, "spec": {"type": "ExternalName", "externalName": "db.example.com"}}
    assert api.put(url(lab, "services/shop/web/"), external, format="json").status_code == 200


def test_a_nodes_pod_cidr_may_not_change_once_set(api, lab):
    node = api.get(url(lab, "nodes/node-1/")).json()
    cidr = node["status"]["podCIDR"]
    manifest = node["manifest"]
    keep = {**manifest, "spec": {"podCIDR": cidr}}
    assert api.put(url(lab, "nodes/node-1/"), keep, format="json").status_code == 200
    move = {**manifest, "spec": {"podCIDR": "10.244.99.0/24"}}
    response = api.put(url(lab, "nodes/node-1/"), move, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == ('Node "node-1" is invalid: spec.podCIDRs: Forbidden: '
                                         'node updates may not change podCIDR except from "" '
                                         "to valid")


def test_deleting_a_node_reschedules_its_pods_instead_of_failing(api, lab):
    unpinned = pod("floating")  # no nodeName: the scheduler picks one
    api.post(url(lab, "pods/"), unpinned, format="json")
    node = Pod.objects.get(cluster_id=lab["id"], name="floating").node_name
    other = "node-1" if node == "node-2" else "node-2"
    # move the explicitly pinned pods away from `node` first
    for row in Pod.objects.filter(cluster_id=lab["id"], node_name=node).exclude(
            name="floating"):
        manifest = row.manifest
        manifest["spec"]["nodeName"] = other
        api.delete(url(lab, f"pods/shop/{row.name}/"))
        api.post(url(lab, "pods/"), manifest, format="json")
    response = api.delete(url(lab, f"nodes/{node}/"))
    assert response.status_code == 200, response.content
    assert Pod.objects.get(cluster_id=lab["id"], name="floating").node_name == other


def test_deleting_a_namespace_deletes_what_it_contains_and_restore_brings_it_back(api, lab):
    response = api.delete(url(lab, "namespaces/shop/"))
    assert response.status_code == 200, response.content
    assert not Pod.objects.filter(cluster_id=lab["id"]).exists()
    revision = Revision.objects.get(cluster_id=lab["id"], number=response.json()[
        "resource_version"])
    assert {(c["kind"], c["name"]) for c in revision.changes} == {
        ("Namespace", "shop"), ("Pod", "web-1"), ("Pod", "api-1"), ("Pod", "db-1"),
        ("Service", "web"), ("NetworkPolicy", "default-deny")}
    restored = api.post(url(lab, f"revisions/{lab['resource_version']}/restore/"), {},
                        format="json")
    assert restored.status_code == 200
    assert Pod.objects.filter(cluster_id=lab["id"]).count() == 3


def test_dry_run_writes_answer_as_if_written_and_save_nothing(api, lab):
    created = api.post(url(lab, "pods/?dryRun=All"), pod("ghost", node="node-2", app="g"),
                       format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dry_run"] is True and body["node_name"] == "node-2"
    assert body["ip"].startswith("10.244.") and body["labels"] == {"app": "g"}
    assert body["resource_version"] == lab["resource_version"]
    assert not Pod.objects.filter(cluster_id=lab["id"], name="ghost").exists()
    patched = api.patch(url(lab, "pods/shop/web-1/?dryRun=All"),
                        {"metadata": {"labels": {"env": "dry"}}}, format="json")
    assert patched.json()["labels"]["env"] == "dry"
    assert Pod.objects.get(cluster_id=lab["id"], name="web-1").labels["env"] == "prod"
    deleted = api.delete(url(lab, "pods/shop/web-1/?dryRun=All"))
    assert deleted.json()["dry_run"] is True
    assert Pod.objects.filter(cluster_id=lab["id"], name="web-1").exists()
    invalid = api.post(url(lab, "services/?dryRun=All"), service("bad", port=0), format="json")
    assert invalid.status_code == 400
    assert Revision.objects.filter(cluster_id=lab["id"]).count() == lab["resource_version"]
