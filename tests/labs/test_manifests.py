"""Manifests: apply like `kubectl apply` (all-or-nothing, dry run, prune), export, limits."""

from __future__ import annotations

import json
import time

import pytest

from clusterlab.labs.models import Cluster, NetworkPolicy, Pod, Revision, Service, Workload
from tests.labs.helpers import DEMO_YAML, SMALL_YAML, create_cluster

pytestmark = pytest.mark.django_db


def manifests_url(cluster, query=""):
    return f"/api/clusters/{cluster['id']}/manifests{query}"


def post_yaml(client, cluster, text, query=""):
    return client.post(manifests_url(cluster, query), text, content_type="application/yaml")


def keys(items):
    return {(i["kind"], i["namespace"], i["name"]) for i in items}


def test_apply_a_real_multi_document_manifest(api):
    cluster = create_cluster(api, yaml_text=None)
    response = post_yaml(api, cluster, DEMO_YAML)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["created"]) == 17
    assert ("Deployment", "shop", "web") in keys(body["created"])
    assert ("Node", "", "control-plane") in keys(body["created"])
    assert body["config_changed"] is True
    assert body["resource_version"] == 2 and body["revision"] == 2
    assert body["dry_run"] is False
    row = Cluster.objects.get(pk=cluster["id"])
    assert row.config["cni"] == {"plugin": "calico", "mode": "ipip"}
    assert Workload.objects.filter(cluster=row).count() == 2
    assert NetworkPolicy.objects.filter(cluster=row).count() == 4
    assert Service.objects.get(cluster=row, name="web").type == "NodePort"
    assert Service.objects.get(cluster=row, name="db").cluster_ip is None


def test_reapply_is_unchanged_and_does_not_bump(api):
    cluster = create_cluster(api, yaml_text=DEMO_YAML)
    body = post_yaml(api, cluster, DEMO_YAML).json()
    assert body["created"] == body["updated"] == body["deleted"] == []
    assert len(body["unchanged"]) == 17
    assert body["resource_version"] == cluster["resource_version"]
    assert body["revision"] is None


def test_json_bodies_are_accepted_too(api):
    cluster = create_cluster(api, yaml_text=None)
    wrapped = api.post(manifests_url(cluster), {"yaml": SMALL_YAML}, format="json")
    assert wrapped.status_code == 200 and len(wrapped.json()["created"]) == 8
    listed = api.post(manifests_url(cluster), {
        "apiVersion": "v1", "kind": "List",
        "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "extra"}}]},
        format="json")
    assert listed.status_code == 200, listed.content
    assert keys(listed.json()["created"]) == {("Namespace", "", "extra")}


def test_apply_is_all_or_nothing(api):
    cluster = create_cluster(api)
    text = SMALL_YAML.replace("port: 80, targetPort: http", "port: 0, targetPort: http") + """\
---
apiVersion: v1
kind: Namespace
metadata: {name: never-created}
"""
    response = post_yaml(api, cluster, text)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "spec.ports[0].port"
    assert body["errors"][0]["object"]["kind"] == "Service"
    assert body["detail"].startswith('Service "web" is invalid: spec.ports[0].port')
    assert not Cluster.objects.get(pk=cluster["id"]).namespace_objects.filter(
        name="never-created").exists()
    assert Cluster.objects.get(pk=cluster["id"]).resource_version == cluster["resource_version"]


def test_dry_run_reports_without_writing(api):
    cluster = create_cluster(api)
    text = SMALL_YAML.replace("env: prod", "env: canary") + """\
---
apiVersion: v1
kind: Pod
metadata: {name: new-one, namespace: shop}
spec: {containers: [{name: c, image: busybox}]}
"""
    response = post_yaml(api, cluster, text, "?dryRun=All&prune=true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert keys(body["created"]) == {("Pod", "shop", "new-one")}
    assert keys(body["updated"]) == {("Pod", "shop", "web-1")}
    assert body["deleted"] == []
    assert len(body["unchanged"]) == 7
    assert body["resource_version"] == cluster["resource_version"]
    assert not Pod.objects.filter(name="new-one").exists()
    assert Pod.objects.get(name="web-1").labels["env"] == "prod"
    invalid = post_yaml(api, cluster, text.replace("port: 80,", "port: 0,"), "?dryRun=All")
    assert invalid.status_code == 400  # a dry run validates like the real thing


def test_prune_deletes_what_the_yaml_does_not_name(api):
    cluster = create_cluster(api)
    docs = SMALL_YAML.split("---\n")
    kept = "---\n".join(d for d in docs if "db-1" not in d and "default-deny" not in d)
    plain = post_yaml(api, cluster, kept)
    assert plain.json()["deleted"] == []
    pruned = post_yaml(api, cluster, kept, "?prune=true")
    assert pruned.status_code == 200, pruned.content
    assert keys(pruned.json()["deleted"]) == {("Pod", "shop", "db-1"),
                                              ("NetworkPolicy", "shop", "default-deny")}
    assert not Pod.objects.filter(name="db-1").exists()
    restored = Revision.objects.get(cluster_id=cluster["id"],
                                    number=pruned.json()["resource_version"])
    assert {c["name"] for c in restored.changes if c["action"] == "deleted"} == \
        {"db-1", "default-deny"}


def test_export_is_yaml_with_version_headers(api):
    cluster = create_cluster(api)
    response = api.get(manifests_url(cluster))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/yaml")
    assert response["ETag"] == f'"{cluster["resource_version"]}"'
    assert response["X-Resource-Version"] == str(cluster["resource_version"])
    text = response.content.decode()
    assert "kind: ClusterConfig" in text and "name: web-1" in text


def test_round_trip_export_import_export_is_identical(api):
    source = create_cluster(api, "source", yaml_text=DEMO_YAML)
    first = api.get(manifests_url(source)).content.decode()
    target = create_cluster(api, "target", yaml_text=None)
    applied = post_yaml(api, target, first)
    assert applied.status_code == 200, applied.content
    second = api.get(manifests_url(target)).content.decode()
    assert second == first
    # and a third generation stays put
    third_cluster = create_cluster(api, "third", yaml_text=second)
    assert api.get(manifests_url(third_cluster)).content.decode() == first


def test_body_over_two_mebibytes_is_413(api):
    cluster = create_cluster(api, yaml_text=None)
    big = "# padding\n" * (2 * 1024 * 1024 // 10 + 10)
    response = post_yaml(api, cluster, big)
    assert response.status_code == 413
    assert "limit is 2097152 bytes (2 MiB)" in response.json()["detail"]
    as_json = api.post(manifests_url(cluster), json.dumps({"yaml": big}),
                       content_type="application/json")
    assert as_json.status_code == 413


BILLION_LAUGHS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_fast(api):
    cluster = create_cluster(api, yaml_text=None)
    started = time.perf_counter()
    response = post_yaml(api, cluster, BILLION_LAUGHS)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert "aliasing" in response.json()["detail"]
    assert elapsed < 2.0


def test_deep_nesting_is_refused(api):
    cluster = create_cluster(api, yaml_text=None)
    deep_yaml = "a: " + "[" * 150 + "]" * 150
    response = post_yaml(api, cluster, deep_yaml)
    assert response.status_code == 400
    assert "nesting" in response.json()["detail"]
    deep_json = '{"yaml": "x", "n": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api.post(manifests_url(cluster), deep_json, content_type="application/json")
    assert response.status_code == 400
    deep_object = '{"kind": "Pod", "x": ' + "[" * 150 + "]" * 150 + "}"
    response = api.post(f"/api/clusters/{cluster['id']}/pods/", deep_object,
                        content_type="application/json")
    assert response.status_code == 400


def test_broken_yaml_says_where(api):
    cluster = create_cluster(api, yaml_text=None)
    response = post_yaml(api, cluster, "kind: Pod\nmetadata: {name: [x\n")
    assert response.status_code == 400
    assert "line" in response.json()["detail"]


def test_unsupported_kind_and_duplicates(api):
    cluster = create_cluster(api, yaml_text=None)
    response = post_yaml(api, cluster, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kind"
    assert 'Unsupported value: "ConfigMap"' in response.json()["errors"][0]["message"]
    twice = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" * 2
    response = post_yaml(api, cluster, twice)
    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "Duplicate value"


def test_too_many_objects(api, monkeypatch):
    from clusterlab.labs import changes

    monkeypatch.setattr(changes, "MAX_OBJECTS", 5)
    cluster = create_cluster(api, yaml_text=None)
    response = post_yaml(api, cluster, SMALL_YAML)
    assert response.status_code == 400
    assert "at most 5" in response.json()["detail"]
    assert response.json()["errors"][0]["type"] == "Too many"


def test_empty_body_is_a_400(api):
    cluster = create_cluster(api, yaml_text=None)
    response = api.post(manifests_url(cluster), {}, format="json")
    assert response.status_code == 400


def test_deployment_replicas_count_towards_the_object_limit(api, monkeypatch):
    from clusterlab.labs import changes

    monkeypatch.setattr(changes, "MAX_OBJECTS", 50)
    cluster = create_cluster(api, yaml_text=None)
    huge = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: swarm, namespace: default}
spec:
  replicas: 100000
  selector: {matchLabels: {app: swarm}}
  template:
    metadata: {labels: {app: swarm}}
    spec: {containers: [{name: c, image: busybox}]}
"""
    started = time.perf_counter()
    response = post_yaml(api, cluster, huge)
    assert response.status_code == 400
    assert "too many objects: 100000" in response.json()["detail"]
    assert time.perf_counter() - started < 2.0


def test_prune_keeps_namespaces_the_documents_still_use(api):
    cluster = create_cluster(api)
    only_pod = """\
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
"""
    response = post_yaml(api, cluster, only_pod, "?prune=true")
    assert response.status_code == 200, response.content
    deleted = keys(response.json()["deleted"])
    assert ("Namespace", "", "shop") not in deleted
    assert ("Node", "", "node-1") in deleted and ("Pod", "shop", "db-1") in deleted
    assert Pod.objects.filter(cluster_id=cluster["id"]).count() == 1


def test_one_write_that_creates_then_deletes_records_the_net_effect(api, alice):
    from clusterlab.labs.changes import Change, commit_change

    cluster = create_cluster(api)
    row = Cluster.objects.get(pk=cluster["id"])
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}}
    result = commit_change(row, alice, [Change("Namespace", "", "tmp", manifest=manifest),
                                        Change("Namespace", "", "tmp", delete=True),
                                        Change("Pod", "shop", "db-1", delete=True)])
    assert result.created == [] and result.deleted == [("Pod", "shop", "db-1")]
    assert [c["name"] for c in result.revision.changes] == ["db-1"]
