"""The engine over HTTP: connect, dns, policy, healthcheck, matrix, matrix diff, node tables."""

from __future__ import annotations

import pytest

from clusterlab.labs import snapshot
from tests.labs.helpers import DEMO_YAML, create_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(api):
    cluster = create_cluster(api, yaml_text=DEMO_YAML)
    base = f"/api/clusters/{cluster['id']}/"
    pods = api.get(base + "?include=objects").json()["objects"]["pods"]
    cluster["web"] = next(p["name"] for p in pods if p["name"].startswith("web-"))
    cluster["base"] = base
    return cluster


def test_connect_through_a_service_name(api, demo):
    response = api.post(demo["base"] + "connect", {"from": "monitoring/prometheus",
                                                   "to": "api.shop", "port": 9100},
                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "delivered"
    assert body["backend"].startswith("shop/api-")
    assert body["resolved_ip"] == api.get(demo["base"] + "services/shop/api/").json()[
        "cluster_ip"]
    assert body["resource_version"] == demo["resource_version"]
    assert response["ETag"] == f'"{demo["resource_version"]}"'


def test_connect_dropped_by_policy_names_the_policy(api, demo):
    body = api.post(demo["base"] + "connect", {"from": f"shop/{demo['web']}",
                                               "to": "db.shop.svc.cluster.local",
                                               "port": 5432}, format="json").json()
    assert body["verdict"] == "dropped"
    assert "shop/default-deny" in body["reason"]


def test_a_list_of_queries_gets_a_list_of_answers(api, demo):
    response = api.post(demo["base"] + "policy", [
        {"from": f"shop/{demo['web']}", "to": "shop/db-0", "port": 5432},
        {"from": "monitoring/prometheus", "to": "shop/db-0", "port": 5432},
    ], format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["allowed"] for r in results] == [False, False]
    assert all(r["enforced"] for r in results)


def test_dns_and_healthcheck(api, demo):
    dns = api.post(demo["base"] + "dns", {"from": f"shop/{demo['web']}", "name": "api"},
                   format="json").json()
    assert dns["rcode"] == "NOERROR"
    assert dns["answers"] == [api.get(demo["base"] + "services/shop/api/").json()["cluster_ip"]]
    health = api.post(demo["base"] + "healthcheck", {"service": "shop/web", "node": "worker-1"},
                      format="json")
    assert health.status_code == 200


def test_bad_queries_name_the_field(api, demo):
    response = api.post(demo["base"] + "connect", {"from": "shop/nope", "to": "api",
                                                   "port": 80}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "from"
    assert response.json()["detail"] == 'from: pods "nope" not found in namespace "shop"'
    response = api.post(demo["base"] + "connect", [{"from": "monitoring/prometheus",
                                                    "to": "api.shop", "port": 70000}],
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "[0].port"
    assert api.post(demo["base"] + "dns", "nonsense", format="json").status_code == 400


def test_matrix_for_a_port_and_a_namespace(api, demo):
    body = api.post(demo["base"] + "matrix", {"port": 5432}, format="json").json()
    assert body["enforced"] is True
    pods = body["pods"]
    db = pods.index("shop/db-0")
    api_pods = [i for i, p in enumerate(pods) if p.startswith("shop/api-")]
    web_pods = [i for i, p in enumerate(pods) if p.startswith("shop/web-")]
    assert all(body["allowed"][i][db] is True for i in api_pods)
    assert all(body["allowed"][i][db] is False for i in web_pods)
    assert body["grouped"] is False
    assert body["summary"]["allowed"] == sum(map(sum, body["allowed"]))
    assert body["summary"]["total"] == len(pods) ** 2
    assert "pod pairs allowed on TCP/5432" in body["summary"]["text"]
    shop = api.post(demo["base"] + "matrix", {"port": "http", "namespace": "shop"},
                    format="json").json()
    assert all(p.startswith("shop/") for p in shop["pods"])
    assert len(shop["allowed"]) == len(shop["pods"]) == 5
    assert [n["from"] for n in shop["summary"]["namespaces"]] == ["shop"]
    assert api.post(demo["base"] + "matrix", {"port": 0}, format="json").status_code == 400
    assert api.post(demo["base"] + "matrix", {"port": 80, "protocol": "ICMP"},
                    format="json").status_code == 400


def test_matrix_groups_for_big_clusters_agree_with_pods():
    from clusterlab.labs.api.engine import matrix_payload

    engine_dict = {"port": 80, "protocol": "TCP", "enforced": False, "allowed": 5, "total": 9,
                   "groups": [["a/x", "b/y"], ["a/z"]], "group_matrix": ["10", "11"],
                   "namespaces": [{"from": "a", "to": "a", "allowed": 2, "total": 4}]}
    whole = matrix_payload(engine_dict, None)
    assert whole["grouped"] is True and whole["allowed"] == [[True, False], [True, True]]
    assert (whole["summary"]["allowed"], whole["summary"]["total"]) == (5, 9)
    assert "not enforced" in whole["summary"]["text"]
    only_a = matrix_payload(engine_dict, "a")
    assert only_a["groups"] == [["a/x"], ["a/z"]]
    assert (only_a["summary"]["allowed"], only_a["summary"]["total"]) == (3, 4)


def test_matrix_diff_of_a_proposed_manifest_saves_nothing(api, demo):
    proposal = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-api-to-db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: []
"""
    response = api.post(demo["base"] + "matrix/diff", {"port": 5432, "manifests": proposal},
                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count_cut"] == 2 and body["count_opened"] == 0
    assert all(dst == "shop/db-0" and src.startswith("shop/api-") for src, dst in body["cut"])
    assert body["summary"] == "this change cuts 2 flows and opens 0"
    assert body["resource_version"] == demo["resource_version"]
    assert api.get(demo["base"] + "networkpolicies/shop/allow-api-to-db/").json()[
        "manifest"]["spec"]["ingress"]  # unchanged


def test_matrix_diff_against_a_revision(api, demo):
    api.delete(demo["base"] + "networkpolicies/shop/allow-api-to-db/")
    body = api.post(demo["base"] + "matrix/diff", {"port": 5432, "revision": 2},
                    format="json").json()
    assert body["count_opened"] == 2 and body["against"] == "revision 2"
    missing = api.post(demo["base"] + "matrix/diff", {"port": 5432}, format="json")
    assert missing.status_code == 400
    invalid = api.post(demo["base"] + "matrix/diff",
                       {"port": 5432, "manifests": "kind: Service\nmetadata: {name: x}\n"
                                                   "spec: {ports: [{port: 0}]}\n"},
                       format="json")
    assert invalid.status_code == 400


def test_node_tables(api, demo):
    response = api.get(demo["base"] + "nodes/worker-1/tables")
    assert response.status_code == 200
    tables = response.json()["tables"]
    assert set(tables) == {"routes", "addr", "neigh", "iptables"}
    assert "tunl0" in tables["routes"]  # calico ipip
    assert "KUBE-SERVICES" in tables["iptables"]
    one = api.get(demo["base"] + "nodes/worker-1/tables?show=routes").json()
    assert set(one["tables"]) == {"routes"}
    ipvs = api.get(demo["base"] + "nodes/worker-1/tables?show=ipvs")
    assert ipvs.status_code == 400 and ipvs.json()["errors"][0]["field"] == "show"
    assert api.get(demo["base"] + "nodes/nope/tables").status_code == 404
    assert api.get(demo["base"] + "nodes/worker-1/tables?show=arp").status_code == 400


def test_node_tables_say_what_the_engine_lacks(api, demo, monkeypatch):
    from clusterlab.labs.api import engine as engine_api

    monkeypatch.setattr(engine_api, "_node_view_function", lambda: None)
    response = api.get(demo["base"] + "nodes/worker-1/tables?show=routes")
    assert response.status_code == 501
    assert "routes" in response.json()["detail"]
    partial = api.get(demo["base"] + "nodes/worker-1/tables").json()
    assert set(partial["tables"]) == {"iptables"} and "routes" in partial["missing"]


def test_engine_failures_are_422_not_500(api, demo, monkeypatch):
    from clusterlab.sim import query

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(query, "run_query", boom)
    response = api.post(demo["base"] + "policy", {"from": "shop/db-0", "to": "shop/db-0",
                                                  "port": 1}, format="json")
    assert response.status_code == 422
    assert "simulated bug" in response.json()["detail"]


def test_queries_reuse_the_cached_snapshot(api, demo):
    before = dict(snapshot.stats)
    for _ in range(3):
        api.post(demo["base"] + "policy", {"from": "shop/db-0", "to": "monitoring/prometheus",
                                           "port": 9090}, format="json")
    assert snapshot.stats["builds"] == before["builds"]
    assert snapshot.stats["hits"] >= before["hits"] + 3
