"""Policy attribution: the policies selecting a pod, their targets and admitted peers."""

from __future__ import annotations

import pytest

from clusterlab.sim import manifests
from clusterlab.sim.attribution import peer_text, pod_attribution, policy_attribution
from clusterlab.sim.model import IPBlock, LabelSelector, NetworkPolicyPeer
from clusterlab.sim.policy import PolicyIndex

YAML = """\
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {addresses: [{type: InternalIP, address: 192.168.56.11}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {team: ops}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: node-1, containers: [{name: c, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: prom, namespace: monitoring, labels: {app: prometheus}}
spec: {nodeName: node-1, containers: [{name: c, image: prom}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
"""


@pytest.fixture(scope="module")
def index() -> PolicyIndex:
    return PolicyIndex.build(manifests.load([("t", YAML)]))


def test_a_pod_sees_its_policies_and_the_peers_they_admit(index):
    got = pod_attribution(index, "shop/db")
    assert got["ingress"] == {"policies": ["shop/db"], "isolated": True,
                              "peers": ["monitoring/prom", "shop/web"], "any_address": False}
    # egress: shop/db admits nothing, allow-all-egress admits everyone (rules are additive)
    assert got["egress"]["policies"] == ["shop/db", "shop/allow-all-egress"]
    assert got["egress"]["any_address"] is True
    assert set(got["egress"]["peers"]) == set(index.pod_keys())  # CoreDNS pods too
    web = pod_attribution(index, "shop/web")
    assert web["ingress"] == {"policies": [], "isolated": False, "peers": [],
                              "any_address": False}


def test_a_policy_shows_targets_rules_and_peers(index):
    got = policy_attribution(index, "shop/db")
    assert got["targets"] == ["shop/db"]
    assert got["ingress_peers"] == ["monitoring/prom", "shop/web"]
    assert got["egress_peers"] == [] and not got["egress_any_address"]
    first, second = got["rules"][:2]
    assert first["peers"] == ["From: PodSelector: app=web"] and first["ports"] == ["5432/TCP"]
    assert second["peers"] == ["From: NamespaceSelector: team=ops"]
    assert second["ports"] == ["<any>"]
    assert got["enforced"] is False  # the default CNI is Flannel (NET-4.6)


def test_unknown_pods_name_the_field(index):
    with pytest.raises(ValueError, match="pod: "):
        pod_attribution(index, "shop/nope")


def test_peer_texts():
    assert peer_text(None, "egress") == "To: <any> (traffic not restricted by destination)"
    both = NetworkPolicyPeer(LabelSelector.of({"app": "x"}), LabelSelector())
    assert peer_text(both, "ingress") == "From: NamespaceSelector: <none> AND PodSelector: app=x"
    from ipaddress import IPv4Network
    block = NetworkPolicyPeer(ip_block=IPBlock(IPv4Network("10.0.0.0/8"),
                                               (IPv4Network("10.1.0.0/16"),)))
    assert peer_text(block, "ingress") == "From: IPBlock 10.0.0.0/8 except 10.1.0.0/16"
