"""Manifests in and out: parsing, the API's checks and defaults, honoured values, implicit
kubeadm objects, workloads, scheduling, allocation, export (issue #3)."""

from __future__ import annotations

import os
import re
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import ipam, manifests
from clusterlab.sim.errors import ManifestError
from clusterlab.sim.manifests import export, load, load_documents, parse, to_documents

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
A = IPv4Address
N = IPv4Network
SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"
HASH = "[4-9bcdf]{6,10}"


def fixture(name: str) -> list[tuple[str, str]]:
    return [(name, (FIXTURES / name).read_text())]


def y(text: str, source: str = "app.yaml") -> list[tuple[str, str]]:
    return [(source, text)]


def problems(texts: list[tuple[str, str]]) -> list[str]:
    with pytest.raises(ManifestError) as err:
        load(texts)
    return [str(p) for p in err.value.problems]


NODES = """
apiVersion: v1
kind: Node
metadata:
  name: control-plane
  labels: {node-role.kubernetes.io/control-plane: ""}
---
apiVersion: v1
kind: Node
metadata: {name: node-1}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
"""


def pod(name: str, ns: str = "default", **spec: Any) -> dict[str, Any]:
    status = spec.pop("status", None)
    labels = spec.pop("labels", None)
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "namespace": ns},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}
    if labels:
        obj["metadata"]["labels"] = labels
    if status is not None:
        obj["status"] = status
    return obj


def node(name: str, ip: str | None = None, **spec: Any) -> dict[str, Any]:
    labels = spec.pop("labels", None)
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
    if labels is not None:
        obj["metadata"]["labels"] = labels
    if spec:
        obj["spec"] = spec
    if ip:
        obj["status"] = {"addresses": [{"type": "InternalIP", "address": ip}]}
    return obj


def svc(name: str, ns: str = "default", **spec: Any) -> dict[str, Any]:
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def config(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "clusterlab.io/v1alpha1", "kind": "ClusterConfig", "spec": spec}


def docs(*objs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"doc#{i}", o) for i, o in enumerate(objs, 1)]


# =========================================================================== parsing


def test_multi_document_yaml_skips_empty_documents_and_comments():
    text = "---\n# nothing\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n" \
           "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n...\n"
    got, bad = parse("ns.yaml", text)
    assert bad == []
    assert [label for label, _ in got] == ["ns.yaml#2", "ns.yaml#4"]
    cluster = load(y(text))
    assert [n.name for n in cluster.namespaces][-2:] == ["a", "b"]


def test_json_object_array_and_list():
    single = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}'
    array = '[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}]'
    cluster = load([("a.json", single), ("b.json", array), *fixture("calico.json")])
    assert {"a", "b"} <= {n.name for n in cluster.namespaces}
    assert cluster.config.cni_plugin == "calico"


def test_timestamps_stay_strings_as_in_sigs_k8s_io_yaml():
    got, _ = parse("t.yaml", "metadata: {creationTimestamp: 2025-05-01T10:00:00Z}\n")
    assert got[0][1]["metadata"]["creationTimestamp"] == "2025-05-01T10:00:00Z"


def test_yaml_syntax_error_says_where():
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   labels: x\n"
    assert problems(y(text, "bad.yaml")) == [
        "bad.yaml: error parsing YAML: line 5, column 10: mapping values are not allowed "
        "in this context"]


def test_billion_laughs_fails_fast_with_a_clear_error():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    got = problems(y("\n".join(lines), "bomb.yaml"))
    assert time.perf_counter() - start < 0.5
    assert got == ["bomb.yaml#1: error parsing YAML: document contains excessive aliasing "
                   "(28 nodes expand to 490329064)"]


def test_modest_anchors_are_fine():
    text = """
apiVersion: v1
kind: Pod
metadata: {name: a, labels: &l {app: web, tier: front}}
spec:
  containers:
  - &c {name: one, image: nginx}
  - {<<: *c, name: two}
"""
    cluster = load(y(text))
    pod_ = cluster.find_pod("a")
    assert dict(pod_.labels) == {"app": "web", "tier": "front"}
    assert [c.name for c in pod_.containers] == ["one", "two"]


def test_recursive_alias_and_deep_nesting_are_refused():
    assert problems(y("a: &a [*a]\n", "r.yaml")) == \
        ["r.yaml#1: error parsing YAML: document contains a recursive alias"]
    deep = "a: " + "[" * 150 + "]" * 150
    assert problems(y(deep, "d.yaml")) == \
        ["d.yaml#1: error parsing YAML: document nesting exceeds 100 levels"]
    assert problems([("d.json", '{"a":' * 150 + "1" + "}" * 150)]) == \
        ["d.json#1: error parsing YAML: document nesting exceeds 100 levels"]


def test_a_document_that_is_not_an_object():
    assert problems(y("- 1\n- 2\n", "x.yaml")) == [
        "x.yaml#1: Invalid value: a manifest document must be an object with apiVersion, kind "
        "and metadata"]


# =========================================================================== kinds


SUPPORTED = ("(ClusterLab simulates clusterlab.io/v1alpha1 ClusterConfig, v1 Namespace, v1 Node, "
             "v1 Pod, v1 Service, discovery.k8s.io/v1 EndpointSlice, networking.k8s.io/v1 "
             "NetworkPolicy, apps/v1 Deployment, apps/v1 ReplicaSet)")


def test_unknown_kinds_and_versions_are_named():
    text = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n---\n"
            "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d}\n---\n"
            "metadata: {name: y}\n")
    assert problems(y(text, "x.yaml")) == [
        f'kind: Unsupported value: "Ingress": no matches for kind "Ingress" in version '
        f'"networking.k8s.io/v1" {SUPPORTED} [Ingress x in x.yaml#1]',
        f'apiVersion: Unsupported value: "apps/v1beta1": no matches for kind "Deployment" in '
        f'version "apps/v1beta1" {SUPPORTED} [Deployment default/d in x.yaml#2]',
        "apiVersion: Required value: apiVersion not set [<unknown> y in x.yaml#3]",
        "kind: Required value: kind not set [<unknown> y in x.yaml#3]",
    ]


def test_generate_name_gets_a_deterministic_suffix():
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "job-"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    names = [[p.name for p in load_documents(docs(obj, obj)).pods] for _ in range(2)]
    assert names[0] == names[1] and len(set(names[0])) == 2
    assert all(re.fullmatch(f"job-{SUFFIX}", n) for n in names[0])


def test_typed_lists_are_flattened():
    obj = {"apiVersion": "v1", "kind": "PodList",
           "items": [pod("a"), pod("b")]}
    cluster = load_documents(docs(obj))
    assert {"default/a", "default/b"} <= set(cluster.pod_by_key)


# =========================================================================== API validation


def test_validation_errors_are_the_api_servers_with_their_location():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 0}]\n"
    with pytest.raises(ManifestError) as err:
        load(y(text, "svc.yaml"))
    assert err.value.cli_lines() == [
        "error: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive "
        "[Service default/web in svc.yaml#1]",
        "error: spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, "
        "inclusive [Service default/web in svc.yaml#1]"]
    problem = err.value.problems[0]
    assert (problem.ref.kind, problem.ref.namespace, problem.ref.name, problem.ref.source) == \
        ("Service", "default", "web", "svc.yaml#1")


def test_unknown_fields_are_rejected_alone_like_strict_decoding():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
            "spec:\n  prots: []\n  ports: [{port: 0}]\n")
    assert problems(y(text, "svc.yaml")) == [
        'spec.prots: strict decoding error: unknown field "spec.prots" '
        "[Service default/web in svc.yaml#1]"]


def test_every_problem_of_every_file_is_listed_and_nothing_is_loaded():
    got = problems([
        ("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Shop}\n"),
        ("b.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n---\n"
                   "{broken"),
    ])
    assert got[0].startswith('metadata.name: Invalid value: "Shop": a lowercase RFC 1123 label')
    assert got[1] == "spec.containers: Required value [Pod default/p in b.yaml#1]"
    assert got[2].startswith("b.yaml: error parsing YAML: line 7")


def test_cluster_config_is_validated():
    got = problems(y("apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\n"
                     "spec: {cni: {plugin: flanel}}\n", "c.yaml"))
    assert got == ['spec.cni.plugin: Unsupported value: "flanel": supported values: "flannel", '
                   '"canal", "calico", "weave", "cilium" [ClusterConfig cluster in c.yaml#1]']


def test_only_one_cluster_config():
    got = problems([("a.yaml", "apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\n"),
                    ("b.yaml", "apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\n")])
    assert got == ['kind: Duplicate value: "ClusterConfig": a cluster has one ClusterConfig '
                   "(first in a.yaml#1) [ClusterConfig cluster in b.yaml#1]"]


# =========================================================================== cross-object checks


def test_duplicate_objects_use_the_already_exists_wording():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    assert problems([("a.yaml", text), ("b.yaml", text)]) == [
        'metadata.name: Duplicate value: "web": services "web" already exists (first in '
        "a.yaml#1) [Service default/web in b.yaml#1]"]
    policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n" \
             "spec: {podSelector: {}}\n"
    assert problems([("a.yaml", policy + "---\n" + policy)])[0].endswith(
        'networkpolicies.networking.k8s.io "p" already exists (first in a.yaml#1) '
        "[NetworkPolicy default/p in a.yaml#2]")


def test_same_name_in_other_namespace_or_kind_is_no_duplicate():
    cluster = load_documents(docs(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        svc("web"), svc("web", "shop"), pod("web")))
    assert {"default/web", "shop/web"} <= set(cluster.service_by_key)


def test_namespace_must_exist_except_the_system_ones():
    assert problems([("p.yaml", yaml.safe_dump(pod("p", "shop")))]) == [
        'metadata.namespace: Not found: "shop": namespaces "shop" not found '
        "[Pod shop/p in p.yaml#1]"]
    cluster = load_documents(docs(*(pod("p", ns) for ns in manifests.SYSTEM_NAMESPACES)))
    assert len([p for p in cluster.pods if p.name == "p"]) == 4


def test_an_invalid_namespace_does_not_also_fail_its_objects():
    got = problems([("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
                               "  labels: {'-x': y}\n---\n" + yaml.safe_dump(pod("p", "shop")))])
    assert len(got) == 1 and got[0].startswith('metadata.labels: Invalid value: "-x"')


def test_pod_on_an_unknown_node():
    assert problems(y(yaml.safe_dump(pod("a", nodeName="node-9")), "p.yaml")) == [
        'spec.nodeName: Not found: "node-9": nodes "node-9" not found [Pod default/a in p.yaml#1]']


def test_pod_ip_outside_its_node_pod_cidr_flannel_only():
    objs = [node("node-1", podCIDR="10.244.1.0/24"),
            pod("b", nodeName="node-1", status={"podIP": "10.244.7.3"})]
    assert problems([("p.yaml", yaml.safe_dump_all(objs))]) == [
        'status.podIP: Invalid value: "10.244.7.3": not in the podCIDR 10.244.1.0/24 of node '
        '"node-1" [Pod default/b in p.yaml#2]']
    # Calico ignores node.spec.podCIDR (NET-2): the same pod loads.
    cluster = load_documents(docs(config(cni={"plugin": "calico"}, clusterCIDR="10.244.0.0/16"),
                                  *objs))
    assert cluster.find_pod("b").ip == A("10.244.7.3")


def test_duplicate_pod_ips_but_completed_pods_may_share():
    objs = [node("node-1"),
            pod("c", nodeName="node-1", status={"podIP": "10.244.0.5"}),
            pod("d", nodeName="node-1", status={"podIP": "10.244.0.5"})]
    assert problems([("p.yaml", yaml.safe_dump_all(objs))]) == [
        'status.podIP: Duplicate value: "10.244.0.5": already the IP of pod default/c '
        "[Pod default/d in p.yaml#3]"]
    objs[2]["status"]["phase"] = "Succeeded"  # its IP was released and given to c
    cluster = load_documents(docs(*objs))
    assert cluster.find_pod("c").ip == cluster.find_pod("d").ip == A("10.244.0.5")


def test_node_ip_and_pod_cidr_conflicts():
    objs = [node("node-1", "192.168.56.11", podCIDR="10.244.1.0/24"),
            node("node-2", "192.168.56.11", podCIDR="10.244.1.128/25")]
    assert problems([("n.yaml", yaml.safe_dump_all(objs))]) == [
        'status.addresses[0].address: Duplicate value: "192.168.56.11": already the InternalIP of '
        'node "node-1" [Node node-2 in n.yaml#2]',
        'spec.podCIDR: Invalid value: "10.244.1.128/25": overlaps the podCIDR 10.244.1.0/24 of '
        'node "node-1" [Node node-2 in n.yaml#2]']


def test_cluster_ip_allocation_errors_have_val9_texts():
    objs = [svc("a", clusterIP="1.1.1.1"), svc("b", clusterIP="10.96.0.10"),
            svc("c", clusterIP="10.104.0.5"),
            svc("d", clusterIP="10.104.0.5", clusterIPs=["10.104.0.5"])]
    assert problems([("s.yaml", yaml.safe_dump_all(objs))]) == [
        'spec.clusterIPs: Invalid value: ["1.1.1.1"]: failed to allocate IP 1.1.1.1: the provided '
        "IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12 "
        "[Service default/a in s.yaml#1]",
        'spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: '
        "provided IP is already allocated [Service default/b in s.yaml#2]",
        'spec.clusterIPs: Invalid value: ["10.104.0.5"]: failed to allocate IP 10.104.0.5: '
        "provided IP is already allocated [Service default/d in s.yaml#4]"]


def test_node_port_allocation_errors_have_val9_texts():
    objs = [svc("c", type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 8080},
                                              {"name": "b", "port": 81, "nodePort": 30080}]),
            svc("d", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]),
            svc("e", type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=30080)]
    assert problems([("s.yaml", yaml.safe_dump_all(objs))]) == [
        "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. "
        "The range of valid ports is 30000-32767 [Service default/c in s.yaml#1]",
        "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated "
        "[Service default/d in s.yaml#2]",
        "spec.healthCheckNodePort: Invalid value: 30080: failed to allocate requested "
        "HealthCheck NodePort 30080: provided port is already allocated "
        "[Service default/e in s.yaml#3]"]


def test_full_ranges():
    objs = [config(serviceCIDR="10.96.0.0/29"), *(svc(n) for n in "abcdef")]
    got = problems([("s.yaml", yaml.safe_dump_all(objs))])
    assert len(got) == 2
    assert got[0].startswith('spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate '
                             "IP 10.96.0.10: the provided IP (10.96.0.10) is not in the valid "
                             "range. The range of valid IPs is 10.96.0.0/29 [Service "
                             "kube-system/kube-dns]")
    assert got[-1] == ("spec.clusterIPs: Internal error occurred: failed to allocate a serviceIP: "
                       "range is full [Service default/f in s.yaml#7]")


def test_pod_cidr_and_pod_ip_exhaustion():
    objs = [config(clusterCIDR="10.244.0.0/24", nodeCIDRMaskSize=25),
            node("n1"), node("n2"), node("n3")]
    assert problems([("n.yaml", yaml.safe_dump_all(objs))])[-1] == (
        "spec.podCIDR: Required value: no free /25 left in clusterCIDR 10.244.0.0/24 "
        "(kube-controller-manager: CIDRNotAvailable) [Node n3 in n.yaml#4]")
    objs = [config(nodeCIDRMaskSize=30, faults={"corednsScaledToZero": True}), node("n1"),
            pod("a", nodeName="n1"), pod("b", nodeName="n1")]
    assert problems([("p.yaml", yaml.safe_dump_all(objs))]) == [
        "status.podIP: Failed to create pod sandbox: failed to allocate for range 0: no IP "
        "addresses available in range set: 10.244.0.1-10.244.0.2 [Pod default/b in p.yaml#4]"]


# =========================================================================== defaults


def test_service_defaults():
    cluster = load_documents(docs(
        svc("plain", ports=[{"port": 80}]),
        svc("np", type="NodePort"),
        svc("lb", type="LoadBalancer"),
        svc("aff", sessionAffinity="ClientIP"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
         "spec": {"type": "ExternalName", "externalName": "example.com"}},
        svc("empty-selector", selector={})))
    plain = cluster.service_by_key["default/plain"]
    assert (plain.type, plain.ports[0].protocol, plain.ports[0].target_port) == \
        ("ClusterIP", "TCP", 80)
    assert (plain.session_affinity, plain.session_affinity_timeout) == ("None", 10800)
    assert (plain.external_traffic_policy, plain.internal_traffic_policy) == ("", "Cluster")
    assert plain.selector is None
    assert cluster.service_by_key["default/np"].external_traffic_policy == "Cluster"
    lb = cluster.service_by_key["default/lb"]
    assert lb.external_traffic_policy == "Cluster" and lb.allocate_load_balancer_node_ports
    assert lb.ports[0].node_port is not None and lb.health_check_node_port is None
    assert lb.load_balancer_ingress == ()  # no cloud controller: EXTERNAL-IP <pending>
    assert cluster.service_by_key["default/aff"].session_affinity_timeout == 10800
    ext = cluster.service_by_key["default/ext"]
    assert ext.cluster_ip is None and not ext.headless
    assert cluster.service_by_key["default/empty-selector"].selector is None


def test_node_ports_shared_by_same_port_number_and_health_check_allocated():
    cluster = load_documents(docs(svc(
        "dns", type="LoadBalancer", externalTrafficPolicy="Local",
        ports=[{"name": "u", "port": 53, "protocol": "UDP"}, {"name": "t", "port": 53},
               {"name": "m", "port": 9153}])))
    s = cluster.service_by_key["default/dns"]
    assert s.ports[0].node_port == s.ports[1].node_port != s.ports[2].node_port
    assert 30086 <= s.health_check_node_port <= 32767
    assert s.health_check_node_port not in {p.node_port for p in s.ports}
    no_ports = load_documents(docs(svc("lb", type="LoadBalancer",
                                       allocateLoadBalancerNodePorts=False)))
    assert no_ports.service_by_key["default/lb"].ports[0].node_port is None


@pytest.mark.parametrize(("spec", "types"), [
    ({"podSelector": {}}, ("Ingress",)),
    ({"podSelector": {}, "egress": [{}]}, ("Ingress", "Egress")),
    ({"podSelector": {}, "egress": []}, ("Ingress",)),
    ({"podSelector": {}, "policyTypes": ["Egress"]}, ("Egress",)),
])
def test_network_policy_types_default(spec, types):
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "p"}, "spec": spec}
    assert load_documents(docs(obj)).policy_by_key["default/p"].policy_types == types


def test_network_policy_fields():
    cluster = load(fixture("shop.yaml"))
    p = cluster.policy_by_key["shop/api-from-frontend"]
    peer, block = p.ingress[0].peers
    assert str(peer.namespace_selector) == "team=web" and str(peer.pod_selector) == "tier in (edge)"
    assert block.ip_block.cidr == N("192.168.56.0/24")
    assert block.ip_block.except_ == (N("192.168.56.1/32"),)
    assert [(x.protocol, x.port, x.end_port) for x in p.ingress[0].ports] == \
        [("TCP", "http", None), ("TCP", 9000, 9100)]
    dns = cluster.policy_by_key["shop/allow-dns"]
    assert dns.policy_types == ("Ingress", "Egress") and dns.egress[0].ports[0].protocol == "UDP"


def test_network_policy_ip_block_is_parsed_leniently():
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"},
           "spec": {"podSelector": {},
                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]}}
    block = load_documents(docs(obj)).policy_by_key["default/p"].ingress[0].peers[0].ip_block
    assert block.cidr == N("10.0.0.0/8")


def test_pod_defaults_and_status():
    objs = [node("node-1"),
            pod("plain", nodeName="node-1"),
            pod("not-ready", nodeName="node-1",
                status={"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}),
            pod("pending", nodeName="node-1", status={"phase": "Pending"}),
            pod("host", nodeName="node-1", hostNetwork=True),
            pod("dns", nodeName="node-1", dnsPolicy="None",
                dnsConfig={"nameservers": ["1.1.1.1"], "searches": ["x.local"],
                           "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]})]
    cluster = load_documents(docs(*objs))
    plain = cluster.find_pod("plain")
    assert (plain.phase, plain.ready, plain.dns_policy, plain.ip) == \
        ("Running", True, "ClusterFirst", A("10.244.0.4"))  # .2/.3 are CoreDNS
    nr = cluster.find_pod("not-ready")
    assert (nr.phase, nr.ready, nr.ip) == ("Running", False, A("10.244.0.5"))
    pending = cluster.find_pod("pending")
    assert (pending.phase, pending.ready, pending.ip) == ("Pending", False, None)
    host = cluster.find_pod("host")
    assert host.ip == cluster.node_by_name["node-1"].internal_ip and host.host_network
    dns = cluster.find_pod("dns")
    assert dns.dns_config.options == (("ndots", "2"), ("edns0", None))


def test_namespace_and_node_labels_the_api_and_kubelet_add():
    cluster = load_documents(docs({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": "shop", "labels": {"team": "a"}}},
                                  node("n1")))
    assert dict(cluster.namespace_by_name["shop"].labels) == \
        {"team": "a", "kubernetes.io/metadata.name": "shop"}
    assert dict(cluster.node_by_name["n1"].labels) == {
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux"}


def test_node_addresses_are_given_from_the_first_subnet():
    cluster = load_documents(docs(
        config(subnets=[{"name": "lab", "cidr": "10.1.0.0/24", "gateway": "10.1.0.10"}]),
        node("a"), node("b", "10.1.0.11"), node("c")))
    assert [str(n.internal_ip) for n in cluster.nodes] == ["10.1.0.12", "10.1.0.11", "10.1.0.13"]
    default = load(y(NODES))
    assert [str(n.internal_ip) for n in default.nodes] == \
        ["192.168.56.10", "192.168.56.11", "192.168.56.12"]


def test_cluster_config_fields_and_plugin_default_ranges():
    cluster = load(fixture("shop.yaml"))
    cfg = cluster.config
    assert (cfg.cni_plugin, cfg.cni_mode, cfg.cluster_cidr) == \
        ("flannel", "vxlan", N("10.244.0.0/16"))
    assert cfg.dns_upstream["db.example.com"]["A"] == ("203.0.113.50",)
    assert cfg.dns_upstream["www.example.com"]["CNAME"] == ("edge.example.net",)
    assert cfg.node_nameservers == ("192.168.56.1",)
    assert cfg.external_hosts[0].routes[0].via == A("192.168.56.11")
    assert [s.name for s in cfg.subnets] == ["lab", "dmz"]
    for plugin, cidr, mode in (("calico", "192.168.0.0/16", "ipip"),
                               ("weave", "10.32.0.0/12", "fastdp"),
                               ("cilium", "10.0.0.0/8", "vxlan"),
                               ("canal", "10.244.0.0/16", "vxlan")):
        got = load_documents(docs(config(cni={"plugin": plugin}))).config
        assert (got.cluster_cidr, got.cni_mode) == (N(cidr), mode)
    faults = load_documents(docs(config(
        subnets=[{"name": "a", "cidr": "10.1.0.0/24"}, {"name": "b", "cidr": "10.2.0.0/24"}],
        faults={"nodesDown": ["n1"], "cutLinks": [["a", "b"]], "corednsScaledToZero": True,
                "nodeMTU": {"n1": 1400}}))).config.faults
    assert faults.nodes_down == {"n1"} and faults.cut_links == {frozenset({"a", "b"})}
    assert faults.coredns_scaled_to_zero and dict(faults.node_mtu) == {"n1": 1400}


# =========================================================================== honoured values


def test_a_kubectl_dump_loads_as_it_is():
    cluster = load(fixture("kubectl-dump.yaml"))
    nodes = cluster.node_by_name
    assert nodes["control-plane"].pod_cidr == N("10.244.0.0/24")
    assert nodes["node-1"].internal_ip == A("192.168.56.11")
    assert not nodes["node-2"].ready  # Ready condition "Unknown"
    ips = {p.key: str(p.ip) for p in cluster.pods}
    assert ips["shop/web-7c5d8b9f6-2xkqp"] == "10.244.1.5"
    assert ips["kube-system/etcd-control-plane"] == "192.168.56.10"  # hostNetwork
    assert cluster.find_pod("shop/web-7c5d8b9f6-h4vzt").ready is False
    assert cluster.find_pod("shop/backup-29101560-8fjw6").phase == "Succeeded"
    assert cluster.find_pod("shop/web-7c5d8b9f6-2xkqp").owner == "ReplicaSet/web-7c5d8b9f6"
    lb = cluster.service_by_key["shop/web-lb"]
    assert (str(lb.cluster_ip), lb.ports[0].node_port, lb.health_check_node_port) == \
        ("10.107.44.9", 31380, 32145)
    assert lb.load_balancer_ingress == ("192.168.56.240",) and lb.load_balancer_ip_mode == "VIP"
    # The dump has its own CoreDNS pods: kubeadm's are not added a second time.
    assert sorted(p.name for p in cluster.pods if p.labels.get("k8s-app") == "kube-dns") == \
        ["coredns-674b8bbfcf-6qx4m", "coredns-674b8bbfcf-wz8lr"]
    assert [n.name for n in cluster.namespaces] == \
        ["kube-node-lease", "kube-public", "default", "kube-flannel", "kube-system", "shop"]


def test_dual_stack_values_keep_the_ipv4_one():
    objs = [node("n1", podCIDRs=["fd00:10:244::/64", "10.244.3.0/24"]),
            pod("p", nodeName="n1", status={"podIPs": [{"ip": "fd00:10:244::5"},
                                                       {"ip": "10.244.3.7"}]}),
            svc("s", clusterIP="fd00::10", clusterIPs=["fd00::10", "10.96.7.7"])]
    cluster = load_documents(docs(*objs))
    assert cluster.node_by_name["n1"].pod_cidr == N("10.244.3.0/24")
    assert cluster.find_pod("p").ip == A("10.244.3.7")
    assert cluster.service_by_key["default/s"].cluster_ip == A("10.96.7.7")


def test_workloads_with_their_pods_in_the_input_are_not_expanded_again():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "web-1", "ownerReferences": [
              {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u",
               "controller": True}]},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    deploy = {**rs, "kind": "Deployment", "metadata": {"name": "web"}}
    owned = pod("web-1-abcde", labels={"app": "web"})
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                             "name": "web-1", "uid": "v", "controller": True}]
    cluster = load_documents(docs(node("n"), deploy, rs, owned))
    assert [p.name for p in cluster.pods if p.labels.get("app") == "web"] == ["web-1-abcde"]


# =========================================================================== implicit objects


def test_implicit_kubeadm_objects():
    cluster = load(y(NODES))
    assert [n.name for n in cluster.namespaces] == list(manifests.SYSTEM_NAMESPACES)
    assert all(dict(n.labels) == {"kubernetes.io/metadata.name": n.name}
               for n in cluster.namespaces)
    kubernetes = cluster.service_by_key["default/kubernetes"]
    assert (str(kubernetes.cluster_ip), kubernetes.selector) == ("10.96.0.1", None)
    assert [(p.name, p.port, p.protocol, p.target_port) for p in kubernetes.ports] == \
        [("https", 443, "TCP", 6443)]
    (api,) = cluster.endpoint_slices
    assert (api.name, api.service_name, api.managed) == ("kubernetes", "kubernetes", False)
    assert api.endpoints[0].addresses == ("192.168.56.10",)  # the control-plane node
    assert [(p.name, p.port) for p in api.ports] == [("https", 6443)]
    dns = cluster.service_by_key["kube-system/kube-dns"]
    assert str(dns.cluster_ip) == "10.96.0.10" and dict(dns.selector) == {"k8s-app": "kube-dns"}
    assert [(p.name, p.port, p.protocol) for p in dns.ports] == \
        [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    assert dict(dns.labels) == {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"}
    coredns = [p for p in cluster.pods if p.namespace == "kube-system"]
    assert len(coredns) == 2
    for p in coredns:
        assert re.fullmatch(f"coredns-{HASH}-{SUFFIX}", p.name)
        assert p.labels["k8s-app"] == "kube-dns"
        assert p.owner == f"ReplicaSet/coredns-{p.labels['pod-template-hash']}"
        assert (p.node_name, p.dns_policy) == ("control-plane", "Default")
        assert [(c.name, c.container_port, c.protocol) for c in p.containers[0].ports] == \
            [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    assert [str(p.ip) for p in coredns] == ["10.244.0.2", "10.244.0.3"]


def test_implicit_objects_follow_the_service_cidr_and_faults():
    cluster = load_documents(docs(config(serviceCIDR="10.0.0.0/16",
                                         faults={"corednsScaledToZero": True}), node("n1")))
    assert str(cluster.service_by_key["default/kubernetes"].cluster_ip) == "10.0.0.1"
    assert str(cluster.service_by_key["kube-system/kube-dns"].cluster_ip) == "10.0.0.10"
    assert cluster.pods == ()


def test_no_nodes_no_coredns_pods_and_no_api_endpoint():
    cluster = load_documents(docs(pod("p")))
    assert [p.key for p in cluster.pods] == ["default/p"]
    assert cluster.endpoint_slices == ()
    assert "kube-system/kube-dns" in cluster.service_by_key
    p = cluster.find_pod("p")
    assert (p.phase, p.ready, p.ip, p.node_name) == ("Pending", False, None, None)


def test_coredns_on_the_first_nodes_without_control_plane():
    cluster = load_documents(docs(node("b"), node("a")))
    assert [p.node_name for p in cluster.pods] == ["b", "a"]


def test_user_objects_replace_implicit_ones():
    own_dns = svc("kube-dns", "kube-system", selector={"k8s-app": "kube-dns"})
    cluster = load_documents(docs(own_dns))
    dns = cluster.service_by_key["kube-system/kube-dns"]
    assert str(dns.cluster_ip) == "10.96.0.10" and dns.labels == {}  # the user's, at kubeadm's IP
    assert [s.key for s in cluster.services].count("kube-system/kube-dns") == 1


# =========================================================================== workloads


def deployment(name: str, replicas: int | None = 3, image: str = "nginx:1.27",
               kind: str = "Deployment", ns: str = "default") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "c", "image": image,
                                              "ports": [{"containerPort": 80, "name": "http"}]}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def test_deployment_expands_into_pods_through_its_replicaset():
    cluster = load_documents(docs(node("n1"), deployment("web")))
    pods = [p for p in cluster.pods if p.labels.get("app") == "web"]
    assert len(pods) == 3
    template_hash = pods[0].labels["pod-template-hash"]
    assert re.fullmatch(HASH, template_hash)
    for p in pods:
        assert re.fullmatch(f"web-{template_hash}-{SUFFIX}", p.name)
        assert p.owner == f"ReplicaSet/web-{template_hash}"
        assert dict(p.labels) == {"app": "web", "pod-template-hash": template_hash}
        assert (p.phase, p.ready, p.node_name) == ("Running", True, "n1")
        assert p.find_port("http", "TCP") == 80
    assert len({p.name for p in pods}) == 3


def test_workload_names_are_deterministic_and_follow_the_template():
    first = load_documents(docs(deployment("web")))
    again = load_documents(docs(deployment("web")))
    changed = load_documents(docs(deployment("web", image="nginx:1.28")))
    names = [p.name for p in first.pods]
    assert names == [p.name for p in again.pods]
    assert {p.labels["pod-template-hash"] for p in first.pods} != \
        {p.labels["pod-template-hash"] for p in changed.pods}


def test_replicaset_pods_and_replica_defaults():
    cluster = load_documents(docs(deployment("echo", 2, kind="ReplicaSet"),
                                  deployment("one", None), deployment("none", 0)))
    echo = [p for p in cluster.pods if p.labels.get("app") == "echo"]
    assert all(re.fullmatch(f"echo-{SUFFIX}", p.name) and p.owner == "ReplicaSet/echo"
               and "pod-template-hash" not in p.labels for p in echo)
    assert len(echo) == 2
    assert len([p for p in cluster.pods if p.labels.get("app") == "one"]) == 1
    assert not [p for p in cluster.pods if p.labels.get("app") == "none"]


def test_invalid_deployment_reports_template_paths():
    bad = deployment("web")
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    got = problems([("d.yaml", yaml.safe_dump(bad))])
    assert got == ['spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does '
                   "not match template `labels` [Deployment default/web in d.yaml#1]"]


# =========================================================================== scheduling


def test_pods_are_spread_round_robin_over_schedulable_workers():
    objs = [*yaml.safe_load_all(NODES), node("node-3", unschedulable=True),
            node("node-4"), node("node-0")]
    objs[-1]["status"] = {"conditions": [{"type": "Ready", "status": "False"}]}
    objs.append(deployment("web", 6))
    cluster = load_documents(docs(*objs))
    placed = [p.node_name for p in cluster.pods if p.labels.get("app") == "web"]
    assert placed == ["node-1", "node-2", "node-4"] * 2


def test_node_selector_and_tolerations():
    objs = [*yaml.safe_load_all(NODES), node("edge", labels={"zone": "dmz"}),
            pod("sel", nodeSelector={"zone": "dmz"}),
            pod("tol", tolerations=[{"key": "node-role.kubernetes.io/control-plane",
                                     "operator": "Exists", "effect": "NoSchedule"}],
                nodeSelector={"node-role.kubernetes.io/control-plane": ""}),
            pod("nowhere", nodeSelector={"zone": "mars"})]
    cluster = load_documents(docs(*objs))
    assert cluster.find_pod("sel").node_name == "edge"
    assert cluster.find_pod("tol").node_name == "control-plane"
    nowhere = cluster.find_pod("nowhere")
    assert (nowhere.node_name, nowhere.phase, nowhere.ip) == (None, "Pending", None)


def test_only_a_tainted_control_plane_leaves_pods_pending_unless_untainted():
    tainted = load_documents(docs(node("cp", labels={"node-role.kubernetes.io/control-plane": ""}),
                                  pod("p")))
    assert tainted.find_pod("p").phase == "Pending"
    untainted = load_documents(docs(node("cp", labels={"node-role.kubernetes.io/control-plane": ""},
                                         taints=[]), pod("p")))
    assert untainted.find_pod("p").node_name == "cp"


def test_flannel_pod_with_a_given_ip_goes_to_the_node_owning_it():
    cluster = load_documents(docs(node("a"), node("b"), pod("p", status={"podIP": "10.244.1.9"})))
    assert cluster.find_pod("p").node_name == "b"


# =========================================================================== determinism


def test_same_input_same_addresses():
    texts = fixture("shop.yaml")
    assert export(load(texts), include_implicit=True) == export(load(texts), include_implicit=True)


def test_adding_a_service_does_not_move_the_others():
    before = load_documents(docs(svc("a"), svc("b")))
    after = load_documents(docs(svc("a"), svc("zzz"), svc("b")))
    for key in ("default/a", "default/b"):
        assert before.service_by_key[key].cluster_ip == after.service_by_key[key].cluster_ip


def _observed(cluster) -> list[dict[str, Any]]:
    """A workload's `status.pods` as the labs layer records it from the engine's view."""
    return [{"name": p.name, "nodeName": p.node_name, "podIP": str(p.ip)}
            for p in cluster.pods if p.owner.startswith("ReplicaSet/web-")]


def test_a_workloads_running_pods_stay_put_when_a_node_joins_or_a_replica_is_added():
    nodes = [node("node-a", "192.168.56.10"), node("node-b", "192.168.56.11")]
    before = load_documents(docs(*nodes, deployment("web", replicas=3)))
    grown = deployment("web", replicas=4)
    grown["status"] = {"pods": _observed(before)}
    after = load_documents(docs(*nodes, node("node-c", "192.168.56.12"), grown))
    kept = {p["name"]: (p["nodeName"], p["podIP"]) for p in _observed(before)}
    now = {p["name"]: (p["nodeName"], p["podIP"]) for p in _observed(after)}
    assert {name: now[name] for name in kept} == kept
    # the new replica goes to the least loaded node: the one that just joined
    (added,) = set(now) - set(kept)
    assert now[added][0] == "node-c"
    # without the record the scheduler spreads all four again (what used to happen)
    fresh = load_documents(docs(*nodes, node("node-c", "192.168.56.12"), deployment("web", 4)))
    assert {p["name"]: (p["nodeName"], p["podIP"]) for p in _observed(fresh)} != now


def test_a_recorded_pod_whose_node_or_address_no_longer_fits_is_placed_again():
    nodes = [node("node-a", "192.168.56.10"), node("node-b", "192.168.56.11")]
    web = deployment("web", replicas=2)
    first = load_documents(docs(*nodes, web))
    names = sorted(p["name"] for p in _observed(first))
    web["status"] = {"pods": [
        {"name": names[0], "nodeName": "node-gone", "podIP": "10.244.9.9"},
        {"name": names[1], "nodeName": "node-b", "podIP": "10.99.0.1"},  # not node-b's
        {"name": "web-stale-xxxxx", "nodeName": "node-a"},  # an older template's pod
        "garbage", {"name": 3}]}
    again = load_documents(docs(*nodes, web))  # no error: status is a record, not a request
    by_name = {p.name: p for p in again.pods if p.owner.startswith("ReplicaSet/web-")}
    assert sorted(by_name) == names
    assert by_name[names[0]].node_name in ("node-a", "node-b")
    assert by_name[names[1]].node_name == "node-b"
    assert by_name[names[1]].ip in again.node_by_name["node-b"].pod_cidr


def test_inputs_are_not_modified():
    objs = [deployment("web"), svc("web", type="NodePort")]
    snapshot = yaml.safe_dump_all(objs)
    load_documents(docs(*objs))
    assert yaml.safe_dump_all(objs) == snapshot


# =========================================================================== export


GOLDEN_CASES = [("shop.yaml", False), ("shop.yaml", True), ("kubectl-dump.yaml", False),
                ("calico.json", False)]


def golden_name(name: str, implicit: bool) -> str:
    return Path(name).stem + (".implicit" if implicit else "") + ".yaml"


@pytest.mark.parametrize(("name", "implicit"), GOLDEN_CASES)
def test_export_matches_golden_and_round_trips_byte_identical(name, implicit):
    out = export(load(fixture(name)), include_implicit=implicit)
    path = GOLDEN / golden_name(name, implicit)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out)
    assert out == path.read_text()
    again = export(load([(path.name, out)]), include_implicit=implicit)
    assert again == out


def test_round_trip_keeps_the_cluster():
    cluster = load(fixture("shop.yaml"))
    reloaded = load([("x.yaml", export(cluster))])
    assert reloaded.pods == cluster.pods
    assert reloaded.services == cluster.services
    assert reloaded.nodes == cluster.nodes
    assert reloaded.network_policies == cluster.network_policies
    assert reloaded.endpoint_slices == cluster.endpoint_slices
    assert reloaded.config == cluster.config
    assert ipam.node_addressing(reloaded) == ipam.node_addressing(cluster)


def test_export_leaves_out_what_the_loader_adds_back():
    cluster = load(y(NODES))
    kinds = [d["kind"] for d in to_documents(cluster)]
    assert kinds == ["ClusterConfig", "Node", "Node", "Node"]
    full = [(d["kind"], d["metadata"]["name"])
            for d in to_documents(cluster, include_implicit=True)]
    assert ("Service", "kube-dns") in full and ("EndpointSlice", "kubernetes") in full
    assert len([k for k, _ in full if k == "Pod"]) == 2


@pytest.mark.parametrize("name", ["shop.yaml", "kubectl-dump.yaml", "calico.json"])
def test_export_is_accepted_by_kubernetes_validate(name):
    for doc in to_documents(load(fixture(name)), include_implicit=True):
        if doc["kind"] != "ClusterConfig":
            kubernetes_validate.validate(doc, "1.33", strict=True)


def test_export_writes_what_kubectl_would_show():
    docs_ = to_documents(load(fixture("shop.yaml")))
    api = next(d for d in docs_ if d["kind"] == "Pod" and d["metadata"]["name"].startswith("api-"))
    assert api["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert api["status"]["podIP"] == api["status"]["podIPs"][0]["ip"]
    headless = next(d for d in docs_ if d["kind"] == "Service" and d["metadata"]["name"] == "db")
    assert headless["spec"]["clusterIP"] == "None"
    lb = next(d for d in docs_ if d["kind"] == "Service" and d["metadata"]["name"] == "frontend")
    assert lb["status"]["loadBalancer"]["ingress"] == [{"ip": "192.168.56.240", "ipMode": "VIP"}]
    assert lb["spec"]["healthCheckNodePort"] >= 30086


# =========================================================================== properties


@st.composite
def small_clusters(draw: Any) -> list[dict[str, Any]]:
    plugin = draw(st.sampled_from(["flannel", "canal", "calico", "weave", "cilium"]))
    node_count = draw(st.integers(0, 4))
    objs: list[dict[str, Any]] = [config(cni={"plugin": plugin})]
    for i in range(node_count):
        labels = {"node-role.kubernetes.io/control-plane": ""} if i == 0 and draw(st.booleans()) \
            else None
        objs.append(node(f"node-{i}", labels=labels))
    for i in range(draw(st.integers(0, 12))):
        spec: dict[str, Any] = {}
        if node_count and draw(st.booleans()):
            spec["nodeName"] = f"node-{draw(st.integers(0, node_count - 1))}"
            spec["hostNetwork"] = draw(st.booleans()) and draw(st.booleans())
        objs.append(pod(f"p{i}", **spec))
    for i in range(draw(st.integers(0, 3))):
        objs.append(deployment(f"d{i}", draw(st.integers(0, 4))))
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"]))
        extra = {"externalTrafficPolicy": "Local"} if kind == "LoadBalancer" and \
            draw(st.booleans()) else {}
        objs.append(svc(f"s{i}", type=kind, **extra))
    return objs


@settings(max_examples=60, deadline=None)
@given(small_clusters())
def test_random_clusters_have_unique_addresses_in_their_ranges(objs):
    cluster = load_documents(docs(*objs))
    cfg = cluster.config
    own_ips = [p.ip for p in cluster.pods if p.ip is not None and not p.host_network]
    assert len(own_ips) == len(set(own_ips))
    assert all(ip in cfg.cluster_cidr for ip in own_ips)
    addressing = ipam.node_addressing(cluster)
    devices = {i.ip for a in addressing.values() for i in a.devices.values()}
    assert devices.isdisjoint(own_ips)
    for p in cluster.pods:
        if p.ip is not None and not p.host_network:
            assert any(p.ip in block for block in addressing[p.node_name].blocks)
            if cfg.cni_plugin in ("flannel", "canal"):
                assert p.ip in cluster.node_by_name[p.node_name].pod_cidr
        if p.host_network and p.node_name:
            assert p.ip == cluster.node_by_name[p.node_name].internal_ip
    cluster_ips = [s.cluster_ip for s in cluster.services if s.cluster_ip is not None]
    assert len(cluster_ips) == len(set(cluster_ips))
    assert all(ip in cfg.service_cidr for ip in cluster_ips)
    node_ports = [p.node_port for s in cluster.services for p in s.ports if p.node_port] + \
        [s.health_check_node_port for s in cluster.services if s.health_check_node_port]
    assert len(node_ports) == len(set(node_ports))
    assert all(30000 <= p <= 32767 for p in node_ports)
    out = export(cluster)
    assert export(load([("x.yaml", out)])) == out
