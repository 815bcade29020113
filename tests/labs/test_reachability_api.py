"""Reachability over HTTP (issue #7): heatmap data with summary and drill-down, what-if on
dry runs, policy describe and attribution, CNI comparison; strangers get 404 everywhere."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from rest_framework.test import APIClient

from clusterlab.labs.api import reachability
from clusterlab.labs.models import Cluster, Revision
from tests.labs.helpers import DEMO_YAML, create_cluster

pytestmark = pytest.mark.django_db

DENY_KUBE_SYSTEM = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: kube-system}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
ALLOW_WEB_FROM_API = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-api-to-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
"""


@pytest.fixture
def small(api):
    cluster = create_cluster(api, config={"cni": {"plugin": "calico", "mode": "ipip"}})
    cluster["base"] = f"/api/clusters/{cluster['id']}/"
    return cluster


@pytest.fixture
def flannel(api):
    cluster = create_cluster(api, "flannel-lab")
    cluster["base"] = f"/api/clusters/{cluster['id']}/"
    return cluster


def decode(body: dict) -> np.ndarray:
    rows, cols = len(body["rows"]), len(body["columns"])
    width = (cols + 7) // 8
    raw = np.frombuffer(base64.b64decode(body["cells"]), dtype=np.uint8)
    assert raw.size == rows * width
    return np.unpackbits(raw.reshape(rows, width), axis=1, count=cols).astype(bool)


def verdict(api, base: str, src: str, dst: str, port: int = 80) -> bool:
    response = api.post(base + "policy", {"from": src, "to": dst, "port": port}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["allowed"]


# --------------------------------------------------------------------------- heatmap


def test_pod_cells_agree_with_single_verdicts(api, small):
    response = api.post(small["base"] + "reachability", {"port": 80}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["level"] == "pod" and body["enforced"] is True and "warning" not in body
    assert body["rows"] == body["columns"] == sorted(body["rows"],
                                                     key=lambda k: tuple(k.split("/")))
    assert {"shop/web-1", "shop/api-1", "shop/db-1"} <= set(body["rows"])
    table = decode(body)
    for i, src in enumerate(body["rows"]):
        for j, dst in enumerate(body["columns"]):
            assert table[i, j] == verdict(api, small["base"], src, dst), (src, dst)
    assert body["allowed"] == int(table.sum()) and body["total"] == table.size
    names = [n["name"] for n in body["namespaces"]["rows"]]
    assert names == sorted(names) and "shop" in names
    shop = names.index("shop")
    assert body["summary"]["allowed"][shop][shop] == 3  # default-deny: each pod to itself
    assert body["summary"]["total"][shop][shop] == 9
    assert body["resource_version"] == small["resource_version"]


def test_namespace_summary_first_then_drill_down(api, small, monkeypatch):
    monkeypatch.setattr(reachability, "MAX_CELLS", 4)
    body = api.post(small["base"] + "reachability", {"port": 80}, format="json").json()
    assert body["level"] == "namespace" and "cells" not in body
    full = api.post(small["base"] + "reachability", {"port": 80, "level": "namespace"},
                    format="json").json()
    assert full["summary"] == body["summary"]
    # drill into kube-system → shop: a rectangle of pods, same totals as the summary cell
    rows = [n["name"] for n in body["namespaces"]["rows"]]
    cols = [n["name"] for n in body["namespaces"]["columns"]]
    cell = body["summary"]["allowed"][rows.index("kube-system")][cols.index("shop")]
    monkeypatch.setattr(reachability, "MAX_CELLS", 10_000)
    drill = api.post(small["base"] + "reachability",
                     {"port": 80, "from": {"namespaces": ["kube-system"]},
                      "to": {"namespaces": ["shop"]}}, format="json").json()
    assert drill["level"] == "pod"
    assert all(k.startswith("kube-system/") for k in drill["rows"])
    assert drill["columns"] == ["shop/api-1", "shop/db-1", "shop/web-1"]
    assert int(decode(drill).sum()) == cell == 0  # shop isolates every pod for ingress
    monkeypatch.setattr(reachability, "MAX_CELLS", 4)
    too_big = api.post(small["base"] + "reachability", {"port": 80, "level": "pod"},
                       format="json")
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0]["field"] == "level"


def test_filters_by_namespace_label_selector_and_verdict(api, small):
    base = small["base"] + "reachability"
    shop = api.post(base, {"port": 80, "namespaces": ["shop"]}, format="json").json()
    assert shop["rows"] == shop["columns"] == ["shop/api-1", "shop/db-1", "shop/web-1"]
    tiers = api.post(base, {"port": 80, "labelSelector": "tier in (frontend,backend)"},
                     format="json").json()
    assert tiers["rows"] == ["shop/api-1", "shop/web-1"]
    one_way = api.post(base, {"port": 80, "from": {"labelSelector": "app=web"},
                              "to": {"labelSelector": "!app"}}, format="json").json()
    assert one_way["rows"] == ["shop/web-1"]
    assert all(k.startswith("kube-system/") for k in one_way["columns"])
    denied = api.post(base, {"port": 80, "verdict": "denied"}, format="json").json()
    assert set(denied["columns"]) == {"shop/api-1", "shop/db-1", "shop/web-1"}
    assert (~decode(denied)).any(axis=1).all(), "every row kept has a denied cell"
    bad = api.post(base, {"port": 80, "labelSelector": "app in ("}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "labelSelector"
    bad = api.post(base, {"port": 80, "to": {"labelSelector": 7}}, format="json")
    assert bad.json()["errors"][0]["field"] == "to.labelSelector"
    for wrong in ({"port": 0}, {"port": 80, "protocol": "ICMP"}, {"port": 80, "verdict": "x"},
                  {"port": 80, "level": "rack"}, {"port": 80, "namespaces": [1]}):
        assert api.post(base, wrong, format="json").status_code == 400, wrong


def test_flannel_says_loudly_that_nothing_is_enforced(api, flannel):
    body = api.post(flannel["base"] + "reachability", {"port": 80}, format="json").json()
    assert body["enforced"] is False
    assert body["warning"].startswith("flannel does not enforce NetworkPolicy")
    assert "(flannel does not enforce NetworkPolicy" in body["summary_text"]
    said = decode(body)
    assert not said.all(), "the policies' verdicts are still shown"
    done = api.post(flannel["base"] + "reachability", {"port": 80, "effective": True},
                    format="json").json()
    assert decode(done).all(), "what packets do under Flannel: everything gets through"


# --------------------------------------------------------------------------- what-if


def test_dry_run_lists_the_flows_a_change_would_cut_and_saves_nothing(api, small):
    before = Cluster.objects.get(pk=small["id"]).resource_version
    response = api.post(small["base"] + "manifests?dryRun=All&port=53&protocol=UDP",
                        DENY_KUBE_SYSTEM, content_type="application/yaml")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["created"][0]["name"] == "default-deny"
    diff = body["matrix_diff"]
    assert (diff["port"], diff["protocol"]) == (53, "UDP")
    # every pod but the two CoreDNS pods loses both of them; each CoreDNS pod the other
    pods = len(api.post(small["base"] + "reachability", {"port": 53, "protocol": "UDP"},
                        format="json").json()["rows"])
    assert diff["count_cut"] == (pods - 2) * 2 + 2 and diff["count_opened"] == 0
    assert any(s == "shop/web-1" and d.startswith("kube-system/coredns-")
               for s, d in diff["cut"])
    assert diff["by_namespace"] == [
        {"from": "kube-system", "to": "kube-system", "opened": 0, "cut": 2},
        {"from": "shop", "to": "kube-system", "opened": 0, "cut": (pods - 2) * 2}]
    assert diff["summary"] == f"this change cuts {diff['count_cut']} flows and opens 0"
    # the same numbers as the existing matrix/diff endpoint for scripts
    other = api.post(small["base"] + "matrix/diff", {"port": 53, "protocol": "UDP",
                                                     "manifests": DENY_KUBE_SYSTEM},
                     format="json").json()
    assert (other["count_cut"], other["count_opened"]) == (diff["count_cut"], 0)
    assert Cluster.objects.get(pk=small["id"]).resource_version == before
    assert Revision.objects.filter(cluster_id=small["id"]).count() == before


def test_dry_run_lists_opened_flows_and_limits_the_list(api, small):
    body = api.post(small["base"] + "manifests?dryRun=All&limit=0", ALLOW_WEB_FROM_API,
                    content_type="application/yaml").json()
    diff = body["matrix_diff"]
    assert (diff["count_opened"], diff["count_cut"]) == (1, 0)  # api-1 → web-1 on TCP/80
    assert diff["opened"] == [] and diff["truncated"] is True
    listed = api.post(small["base"] + "manifests?dryRun=All", {"yaml": ALLOW_WEB_FROM_API},
                      format="json").json()["matrix_diff"]
    assert listed["opened"] == [["shop/api-1", "shop/web-1"]] and not listed["truncated"]
    bad = api.post(small["base"] + "manifests?dryRun=All&limit=-1", ALLOW_WEB_FROM_API,
                   content_type="application/yaml")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "limit"


def test_a_real_apply_still_saves_and_answers_as_before(api, small):
    response = api.post(small["base"] + "manifests", ALLOW_WEB_FROM_API,
                        content_type="application/yaml")
    assert response.status_code == 200, response.content
    assert "matrix_diff" not in response.json()
    assert response.json()["resource_version"] == small["resource_version"] + 1


def test_dry_run_under_flannel_notes_nothing_is_enforced(api, flannel):
    diff = api.post(flannel["base"] + "manifests?dryRun=All&port=53&protocol=UDP",
                    DENY_KUBE_SYSTEM, content_type="application/yaml").json()["matrix_diff"]
    assert diff["count_cut"] > 0 and diff["enforced_after"] is False
    assert "no packet is actually dropped" in diff["notes"][0]


def test_dry_run_of_a_cni_switch_counts_what_packets_will_do(api, small):
    switch = ("apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\nmetadata: {name: c}\n"
              "spec:\n  cni: {plugin: flannel, mode: vxlan}\n")
    diff = api.post(small["base"] + "manifests?dryRun=All", switch,
                    content_type="application/yaml").json()["matrix_diff"]
    denied = api.post(small["base"] + "reachability", {"port": 80}, format="json").json()
    assert diff["effective"] is True and diff["enforced_after"] is False
    assert diff["count_opened"] == denied["total"] - denied["allowed"] > 0
    assert diff["count_cut"] == 0
    assert diff["notes"][0].startswith("the CNI changes from calico to flannel: NetworkPolicy "
                                       "enforcement is turned off")


# --------------------------------------------------------------------------- attribution

DESCRIBE_DEFAULT_DENY = """\
Name:         default-deny
Namespace:    shop
Created on:   {created}
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)
  Allowing ingress traffic:
    <none> (Selected pods are isolated for ingress connectivity)
  Not affecting egress traffic
  Policy Types: Ingress
"""


def test_policy_describe_is_kubectls_text_with_targets_and_peers(api, small):
    from clusterlab.labs.models import NetworkPolicy
    from clusterlab.sim.policy import format_go_time

    response = api.get(small["base"] + "networkpolicies/shop/default-deny/describe")
    assert response.status_code == 200, response.content
    body = response.json()
    created = NetworkPolicy.objects.get(cluster_id=small["id"], name="default-deny").created
    assert body["describe"] == DESCRIBE_DEFAULT_DENY.format(created=format_go_time(created))
    assert body["targets"] == ["shop/api-1", "shop/db-1", "shop/web-1"]
    assert body["ingress_peers"] == [] and body["rules"] == []
    assert body["enforced"] is True and "warning" not in body
    missing = api.get(small["base"] + "networkpolicies/shop/nope/describe")
    assert missing.status_code == 404
    assert missing.json()["detail"] == 'networkpolicies.networking.k8s.io "nope" not found'


def test_pod_policies_per_direction(api, small):
    api.post(small["base"] + "manifests", ALLOW_WEB_FROM_API, content_type="application/yaml")
    body = api.get(small["base"] + "pods/shop/web-1/policies").json()
    assert body["ingress"] == {"policies": ["shop/default-deny", "shop/allow-api-to-web"],
                               "isolated": True, "peers": ["shop/api-1"],
                               "any_address": False}
    assert body["egress"]["isolated"] is False
    assert api.get(small["base"] + "pods/shop/nope/policies").status_code == 404


# --------------------------------------------------------------------------- compare


def test_compare_one_packet_under_flannel_saves_nothing(api, small):
    before = api.get(small["base"]).json()
    response = api.post(small["base"] + "compare", {
        "plugin": "flannel", "mode": "vxlan",
        "flow": {"from": "shop/api-1", "to": "shop/web-1", "port": 8080}}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    cur, alt = body["current"], body["alternative"]
    assert (cur["label"], alt["label"]) == ("calico ipip", "flannel vxlan")
    assert (cur["verdict"], alt["verdict"]) == ("dropped", "delivered")
    assert cur["last_hop"]["action"] == "policy-deny"
    assert alt["warning"].startswith("flannel does not enforce NetworkPolicy")
    assert set(cur["pod_mtu"].values()) == {1480} and set(alt["pod_mtu"].values()) == {1450}
    assert cur["outer"]["proto"] == "IPIP" and alt["outer"]["dport"] == 8472
    assert any(d.startswith("flannel does not enforce NetworkPolicy (NET-4.6): "
                            "shop/default-deny would drop this packet")
               for d in body["differences"])
    assert body["saved"] is False and "addresses" in body["note"]
    after = api.get(small["base"]).json()
    assert (after["config"], after["resource_version"]) == (before["config"],
                                                            before["resource_version"])


def test_compare_the_matrix(api, small):
    body = api.post(small["base"] + "compare", {"plugin": "flannel",
                                                "matrix": {"port": 80}}, format="json").json()
    cur, alt = body["current"], body["alternative"]
    assert alt["delivered"] == alt["total"] and cur["delivered"] == cur["allowed_by_policy"]
    cut = body["delivered_changes"]
    assert cut["count_opened"] == cur["total"] - cur["allowed_by_policy"]
    assert cut["count_cut"] == 0


def test_compare_within_one_ipam_keeps_the_addresses(api):
    cluster = create_cluster(api, yaml_text=DEMO_YAML)  # calico ipip
    base = f"/api/clusters/{cluster['id']}/"
    body = api.post(base + "compare", {"plugin": "calico", "mode": "vxlan", "flow": {
        "from": "monitoring/prometheus", "to": "shop/db-0", "port": 9187}},
        format="json").json()
    cur, alt = body["current"], body["alternative"]
    assert cur["destination_ip"] == alt["destination_ip"]
    assert alt["outer"]["dport"] == 4789 and alt["outer"]["vni"] == 4096  # NET-5.6
    assert body["note"] == "nothing was saved"


@pytest.mark.parametrize(("body", "field"), [
    ({"plugin": "ovn", "flow": {}}, "plugin"),
    ({"plugin": "calico", "mode": "vxlan-ish", "matrix": {"port": 80}}, "mode"),
    ({"plugin": "calico", "crossSubnet": "yes", "matrix": {"port": 80}}, "crossSubnet"),
    ({"plugin": "calico"}, "flow"),
    ({"plugin": "calico", "flow": {"from": "shop/web-1"}, "matrix": {}}, "flow"),
    ({"plugin": "calico", "flow": {"from": "shop/web-1", "port": 80}}, "flow.to"),
    ({"plugin": "calico", "matrix": {"port": 99999}}, "port"),
])
def test_compare_errors_name_the_field(api, small, body, field):
    response = api.post(small["base"] + "compare", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


# --------------------------------------------------------------------------- permissions

NEW_ENDPOINTS = [("post", "reachability", {"port": 80}),
                 ("post", "compare", {"plugin": "flannel", "matrix": {"port": 80}}),
                 ("post", "manifests?dryRun=All", {"yaml": DENY_KUBE_SYSTEM}),
                 ("get", "networkpolicies/shop/default-deny/describe", None),
                 ("get", "pods/shop/web-1/policies", None)]


@pytest.mark.parametrize(("method", "path", "data"), NEW_ENDPOINTS,
                         ids=[p for _, p, _ in NEW_ENDPOINTS])
def test_strangers_get_404_and_owners_200(api, small, make_user, method, path, data):
    stranger = APIClient()
    stranger.force_authenticate(make_user("mallory"))
    url = small["base"] + path
    response = getattr(stranger, method)(url, data, format="json")
    assert response.status_code == 404
    assert b"lab" not in response.content and "ETag" not in response
    missing = getattr(api, method)(url.replace(f"/{small['id']}/", f"/{small['id'] + 999}/"),
                                   data, format="json")
    assert missing.status_code == 404
    assert getattr(api, method)(url, data, format="json").status_code == 200


def test_the_permission_matrix_enumerates_the_new_routes():
    from tests.labs.test_permissions import CLUSTER_ROUTES

    names = {n for n, _ in CLUSTER_ROUTES}
    assert {"cluster-reachability", "cluster-compare", "networkpolicies-describe",
            "pods-policies", "cluster-manifests"} <= names
