"""CNI comparison: the same manifests under two plugins, side by side (NET-3.2, NET-4.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterlab.sim import manifests
from clusterlab.sim.compare import compare_flow, compare_matrix, dataplane_facts
from clusterlab.sim.engine import Engine
from clusterlab.sim.query import QueryError

OBJECTS = (Path(__file__).parent / "fixtures" / "shop-two-nodes.yaml").read_text() + """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def engine(plugin: str, mode: str) -> Engine:
    config = (f"apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\nmetadata: {{name: c}}\n"
              f"spec:\n  cni: {{plugin: {plugin}, mode: {mode}}}\n---\n")
    return Engine(manifests.load([("test", config + OBJECTS)]))


FLOW = {"from": "shop/api", "to": "shop/web", "port": 8080}


def test_flannel_against_calico_says_who_enforces_and_what_the_tunnel_costs():
    got = compare_flow(engine("flannel", "vxlan"), engine("calico", "ipip"), FLOW)
    a, b = got["current"], got["alternative"]
    assert (a["verdict"], b["verdict"]) == ("delivered", "dropped")
    assert not a["enforces_network_policy"] and b["enforces_network_policy"]
    assert "does not enforce NetworkPolicy" in a["warning"] and "warning" not in b
    assert a["outer"]["proto"] == "UDP" and a["outer"]["dport"] == 8472  # NET-4.2
    assert b["outer"]["proto"] == "IPIP"
    assert set(a["pod_mtu"].values()) == {1450} and set(b["pod_mtu"].values()) == {1480}
    assert "flannel.1" in a["devices"] and "tunl0" in b["devices"]
    assert b["last_hop"]["action"] == "policy-deny"
    assert "shop/default-deny" in b["last_hop"]["rule"]
    text = "\n".join(got["differences"])
    assert "verdict: delivered under flannel vxlan, dropped under calico ipip" in text
    assert ("flannel does not enforce NetworkPolicy (NET-4.6): shop/default-deny would drop "
            "this packet; under calico ipip it is dropped") in text
    assert "encapsulation: VXLAN (UDP 8472, VNI 1) (+50 bytes) vs IP-in-IP (IP protocol 4) " \
           "(+20 bytes)" in text
    assert "pod MTU: 1450 vs 1480" in text
    assert a["source_ip"].startswith("10.244.") and b["source_ip"].startswith("192.168.")


def test_host_gw_routes_without_a_tunnel():
    got = compare_flow(engine("flannel", "vxlan"), engine("flannel", "host-gw"), FLOW)
    assert got["alternative"]["encapsulated"] is False
    assert set(got["alternative"]["pod_mtu"].values()) == {1500}
    assert "encapsulation: VXLAN (UDP 8472, VNI 1) (+50 bytes) vs not encapsulated" in \
        got["differences"]
    assert not any("enforce" in d for d in got["differences"])


def test_matrix_comparison_counts_what_enforcement_cuts():
    got = compare_matrix(engine("flannel", "vxlan"), engine("cilium", "vxlan"), 8080)
    a, b = got["current"], got["alternative"]
    n = a["total"]
    assert a["delivered"] == n and b["delivered"] == b["allowed_by_policy"] < n
    cut = got["delivered_changes"]["count_cut"]
    assert cut == n - b["allowed_by_policy"] > 0
    assert got["policy_changes"]["count_cut"] == got["policy_changes"]["count_opened"] == 0
    assert any(d.startswith("flannel does not enforce NetworkPolicy (NET-4.6)")
               for d in got["differences"])


def test_same_plugin_same_answers():
    got = compare_matrix(engine("calico", "ipip"), engine("calico", "vxlan"), 8080)
    assert got["delivered_changes"]["count_cut"] == 0
    assert got["differences"] == ["the same pod pairs get through on TCP/8080 under both"]


def test_bad_flows_name_the_field():
    with pytest.raises(QueryError, match=r"^to:"):
        compare_flow(engine("flannel", "vxlan"), engine("calico", "ipip"),
                     {"from": "shop/api", "port": 80})


def test_dataplane_facts_per_plugin():
    facts = dataplane_facts(engine("weave", "sleeve"), ["node-1", "nowhere"])
    assert facts["encapsulation"]["kind"] == "sleeve"
    assert facts["pod_mtu"] == {"node-1": 1376}  # WEAVE_MTU default; unknown nodes left out
    assert facts["enforces_network_policy"]
