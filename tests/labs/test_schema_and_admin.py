"""The OpenAPI schema, the offline docs page, the admin pages and the demo loader."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from clusterlab.labs.models import Cluster, Pod, Revision, Workload

pytestmark = pytest.mark.django_db


def test_schema_documents_every_endpoint(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in ("/api/clusters/", "/api/clusters/{id}/", "/api/clusters/{id}/clone/",
                 "/api/clusters/{id}/share/", "/api/clusters/{id}/unshare/",
                 "/api/clusters/{cluster_id}/pods/",
                 "/api/clusters/{cluster_id}/pods/{namespace}/{name}/",
                 "/api/clusters/{cluster_id}/pods/{namespace}/{name}/position/",
                 "/api/clusters/{cluster_id}/nodes/{name}/",
                 "/api/clusters/{cluster_id}/manifests", "/api/clusters/{cluster_id}/connect",
                 "/api/clusters/{cluster_id}/matrix/diff",
                 "/api/clusters/{cluster_id}/nodes/{name}/tables",
                 "/api/clusters/{cluster_id}/revisions/{a}/diff/{b}/",
                 "/api/clusters/{cluster_id}/revisions/{number}/restore/",
                 "/api/auth/token/"):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/clusters/{cluster_id}/pods/"]["get"]["parameters"]}
    assert {"namespace", "labelSelector", "page"} <= params
    manifests = paths["/api/clusters/{cluster_id}/manifests"]
    assert "text/yaml" in manifests["get"]["responses"]["200"]["content"]
    assert {p["name"] for p in manifests["post"]["parameters"]} >= {"dryRun", "prune"}


def test_schema_generation_has_no_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_swagger_ui_is_served_offline(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content and b"unpkg.com" not in response.content


def test_admin_lists_every_model(admin_client, api):
    from tests.labs.helpers import DEMO_YAML, create_cluster

    cluster = create_cluster(api, yaml_text=DEMO_YAML)
    for model in ("cluster", "clustershare", "namespace", "node", "pod", "service",
                  "networkpolicy", "endpointslice", "workload", "revision"):
        response = admin_client.get(f"/admin/labs/{model}/")
        assert response.status_code == 200, model
    assert admin_client.get(f"/admin/labs/cluster/{cluster['id']}/change/").status_code == 200


def test_load_demo_is_idempotent():
    call_command("load_demo")
    call_command("load_demo")
    cluster = Cluster.objects.get(owner__username="demo")
    assert cluster.config["cni"] == {"plugin": "calico", "mode": "ipip"}
    assert Workload.objects.filter(cluster=cluster).count() == 2
    assert Pod.objects.filter(cluster=cluster).count() == 2
    assert Revision.objects.filter(cluster=cluster).count() == 2
