"""NetworkPolicy verdicts, attribution and `kubectl describe networkpolicy`.

Truth tables follow the examples of kubernetes.io "Network Policies" (default policies,
to/from selector behaviour, ipBlock, endPort, SCTP) and the reference sections cited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network

import pytest

from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    IPBlock,
    LabelSelector,
    LabelSelectorRequirement,
    Namespace,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Pod,
)
from clusterlab.sim.policy import (
    PolicyIndex,
    describe_network_policy,
    format_go_time,
    format_label_selector,
    go_tabwriter,
)

IP = IPv4Address
NS_NAME = "kubernetes.io/metadata.name"


def ns(name: str, **labels: str) -> Namespace:
    return Namespace(name, {NS_NAME: name, **labels})


def sel(**labels: str) -> LabelSelector:
    return LabelSelector.of(labels)


def pod(key: str, ip: str, node: str = "node-1", ports: tuple[ContainerPort, ...] = (),
        host_network: bool = False, **labels: str) -> Pod:
    namespace, name = key.split("/")
    return Pod(namespace, name, labels, node_name=node, ip=IP(ip),
               containers=(Container("c", "img", ports),), host_network=host_network)


def ingress(namespace: str, name: str, selector: LabelSelector, *rules: NetworkPolicyRule,
            types: tuple[str, ...] = ("Ingress",)) -> NetworkPolicy:
    return NetworkPolicy(namespace, name, selector, types, ingress=tuple(rules))


def egress(namespace: str, name: str, selector: LabelSelector, *rules: NetworkPolicyRule,
           types: tuple[str, ...] = ("Egress",)) -> NetworkPolicy:
    return NetworkPolicy(namespace, name, selector, types, egress=tuple(rules))


def rule(*peers: NetworkPolicyPeer, ports: tuple[NetworkPolicyPort, ...] = ()) -> NetworkPolicyRule:
    return NetworkPolicyRule(tuple(peers), ports)


def peer(pods: LabelSelector | None = None, namespaces: LabelSelector | None = None,
         cidr: str | None = None, except_: tuple[str, ...] = ()) -> NetworkPolicyPeer:
    block = IPBlock(IPv4Network(cidr), tuple(IPv4Network(e) for e in except_)) if cidr else None
    return NetworkPolicyPeer(pods, namespaces, block)


def tcp(port: int | str | None, end: int | None = None) -> NetworkPolicyPort:
    return NetworkPolicyPort("TCP", port, end)


NODES = (Node("node-1", IP("192.168.56.11")), Node("node-2", IP("192.168.56.12")))


def cluster(pods: list[Pod], policies: list[NetworkPolicy],
            namespaces: list[Namespace] | None = None, cni: str = "calico") -> Cluster:
    names = sorted({p.namespace for p in pods} | {p.namespace for p in policies})
    return Cluster(ClusterConfig(cni_plugin=cni, cni_mode="vxlan" if cni != "calico" else "ipip"),
                   tuple(namespaces or [ns(n) for n in names]), NODES, tuple(pods),
                   network_policies=tuple(policies))


def allowed(c: Cluster, src: Pod | str, dst: Pod | str, port: int | str = 80,
            protocol: str = "TCP") -> bool:
    s = IP(src) if isinstance(src, str) else src
    d = IP(dst) if isinstance(dst, str) else dst
    return PolicyIndex.build(c).verdict(s, d, port, protocol).allowed


A = pod("x/a", "10.244.1.2", app="a")
B = pod("x/b", "10.244.1.3", app="b")
C = pod("y/c", "10.244.2.2", node="node-2", app="c")
EXTERNAL = "203.0.113.9"


# --------------------------------------------------------------------------- defaults


def test_no_policy_everything_allowed_and_not_isolated():
    c = cluster([A, B, C], [])
    v = PolicyIndex.build(c).verdict(A, C, 80, "TCP")
    assert v.allowed and v.enforced
    assert not v.egress.isolated and not v.ingress.isolated
    assert v.reason == "pod x/a is not isolated for egress; pod y/c is not isolated for ingress"


def test_default_deny_ingress_blocks_ingress_only():
    deny = ingress("x", "default-deny-ingress", LabelSelector())
    c = cluster([A, B, C], [deny])
    assert not allowed(c, C, A)          # into x: denied
    assert not allowed(c, B, A)          # even from the same namespace
    assert allowed(c, A, C)              # egress from x is untouched
    assert allowed(c, A, EXTERNAL)
    assert not allowed(c, EXTERNAL, A)
    v = PolicyIndex.build(c).verdict(C, A, 80, "TCP")
    assert v.ingress.isolated and v.ingress.isolated_by == ("x/default-deny-ingress",)
    assert v.reason == ("pod x/a is isolated for ingress by x/default-deny-ingress; "
                        "no rule admits y/c on TCP 80")


def test_default_allow_all_ingress_overrides_isolation():
    deny = ingress("x", "deny", LabelSelector())
    allow_all = ingress("x", "allow-all-ingress", LabelSelector(), rule())
    c = cluster([A, C], [deny, allow_all])
    v = PolicyIndex.build(c).verdict(C, A, 443, "TCP")
    assert v.allowed and v.ingress.isolated
    assert [r.text for r in v.ingress.allowed_by] == [
        "NetworkPolicy x/allow-all-ingress ingress rule 0"]
    assert v.ingress.allowed_by[0].peer is None and v.ingress.allowed_by[0].port is None
    assert allowed(c, EXTERNAL, A, 9999, "UDP")


def test_default_deny_egress_and_allow_all_egress():
    deny = egress("x", "default-deny-egress", LabelSelector())
    c = cluster([A, B, C], [deny])
    assert not allowed(c, A, C)
    assert not allowed(c, A, B)
    assert not allowed(c, A, EXTERNAL)
    assert allowed(c, C, A)              # ingress into x untouched
    v = PolicyIndex.build(c).verdict(A, C, 80, "TCP")
    assert v.reason == ("pod x/a is isolated for egress by x/default-deny-egress; "
                        "no rule admits y/c on TCP 80")
    c2 = cluster([A, C], [deny, egress("x", "allow-all-egress", LabelSelector(), rule())])
    assert allowed(c2, A, C) and allowed(c2, A, EXTERNAL)


def test_default_deny_all_both_directions():
    deny = NetworkPolicy("x", "default-deny-all", LabelSelector(), ("Ingress", "Egress"))
    c = cluster([A, B, C], [deny])
    for s, d in ((A, B), (A, C), (C, A), (B, A)):
        assert not allowed(c, s, d)
    assert allowed(c, C, C)


def test_both_directions_must_allow():
    out = egress("x", "a-out", sel(app="a"), rule(peer(namespaces=sel(**{NS_NAME: "y"}))))
    deny_y = ingress("y", "deny", LabelSelector())
    c = cluster([A, C], [out, deny_y])
    v = PolicyIndex.build(c).verdict(A, C, 80, "TCP")
    assert not v.allowed
    assert v.egress.allowed and not v.ingress.allowed
    assert v.reason == "pod y/c is isolated for ingress by y/deny; no rule admits x/a on TCP 80"
    both = cluster([A, C], [egress("x", "deny-out", LabelSelector()), deny_y])
    v = PolicyIndex.build(both).verdict(A, C, 80, "TCP")
    assert v.reason == ("pod x/a is isolated for egress by x/deny-out; no rule admits y/c on "
                        "TCP 80. pod y/c is isolated for ingress by y/deny; no rule admits "
                        "x/a on TCP 80")


def test_isolation_only_for_selected_pods():
    only_a = ingress("x", "only-a", sel(app="a"))
    c = cluster([A, B, C], [only_a])
    assert not allowed(c, C, A)
    assert allowed(c, C, B)              # b is not selected: still accepts everything
    idx = PolicyIndex.build(c)
    assert idx.selecting(A) == (("x/only-a",), ())
    assert idx.selecting(B) == ((), ())
    assert idx.selected_pods("x/only-a") == ("x/a",)


def test_policy_types_egress_only_ignores_ingress_rules():
    # policyTypes [Egress] with an ingress section: the ingress part does not isolate
    p = NetworkPolicy("x", "egress-only", sel(app="a"), ("Egress",),
                      ingress=(rule(peer(pods=sel(app="nobody"))),), egress=(rule(),))
    c = cluster([A, C], [p])
    assert allowed(c, C, A)
    idx = PolicyIndex.build(c)
    assert idx.selecting(A) == ((), ("x/egress-only",))
    assert not idx.verdict(C, A, 80, "TCP").ingress.isolated


def test_policies_are_additive():
    p1 = ingress("x", "from-b", sel(app="a"), rule(peer(pods=sel(app="b")), ports=(tcp(80),)))
    p2 = ingress("x", "from-y", sel(app="a"),
                 rule(peer(namespaces=sel(**{NS_NAME: "y"})), ports=(tcp(443),)))
    c = cluster([A, B, C], [p1, p2])
    assert allowed(c, B, A, 80) and not allowed(c, B, A, 443)
    assert allowed(c, C, A, 443) and not allowed(c, C, A, 80)


# --------------------------------------------------------------------------- selectors


def _alice_cluster(policy: NetworkPolicy) -> tuple[Cluster, dict[str, Pod]]:
    """The docs' `user: alice` / `role: client` example."""
    pods = {
        "alice-client": pod("alice/client", "10.244.1.10", role="client"),
        "alice-other": pod("alice/other", "10.244.1.11", role="server"),
        "bob-client": pod("bob/client", "10.244.1.12", role="client"),
        "local-client": pod("db/client", "10.244.1.13", role="client"),
        "local-other": pod("db/other", "10.244.1.14", role="server"),
        "db": pod("db/db", "10.244.1.15", role="db"),
    }
    namespaces = [ns("alice", user="alice"), ns("bob", user="bob"), ns("db")]
    return cluster(list(pods.values()), [policy], namespaces), pods


def test_namespace_and_pod_selector_in_one_peer_is_and():
    p = ingress("db", "and", sel(role="db"),
                rule(peer(pods=sel(role="client"), namespaces=sel(user="alice"))))
    c, pods = _alice_cluster(p)
    db = pods["db"]
    truth = {"alice-client": True, "alice-other": False, "bob-client": False,
             "local-client": False, "local-other": False}
    assert {k: allowed(c, pods[k], db) for k in truth} == truth


def test_separate_peers_are_or():
    p = ingress("db", "or", sel(role="db"),
                rule(peer(namespaces=sel(user="alice")), peer(pods=sel(role="client"))))
    c, pods = _alice_cluster(p)
    db = pods["db"]
    truth = {"alice-client": True, "alice-other": True, "bob-client": False,
             "local-client": True, "local-other": False}
    assert {k: allowed(c, pods[k], db) for k in truth} == truth
    v = PolicyIndex.build(c).verdict(pods["local-client"], db, 80, "TCP")
    assert v.ingress.allowed_by[0].peer == 1
    assert v.ingress.allowed_by[0].detail == "from[1] podSelector role=client; port <any>"


def test_empty_selectors_select_everything():
    everyone = ingress("x", "from-all-namespaces", sel(app="a"),
                       rule(peer(namespaces=LabelSelector())))
    c = cluster([A, B, C], [everyone])
    assert allowed(c, B, A) and allowed(c, C, A)
    assert not allowed(c, EXTERNAL, A)       # namespaceSelector {} = all pods, not all IPs
    same_ns = ingress("x", "same-namespace", LabelSelector(), rule(peer(pods=LabelSelector())))
    c = cluster([A, B, C], [same_ns])
    assert allowed(c, B, A) and not allowed(c, C, A)


def test_match_expressions_operators():
    pods = [pod("x/dev", "10.244.1.20", env="dev"), pod("x/prod", "10.244.1.21", env="prod"),
            pod("x/none", "10.244.1.22"), pod("x/qa", "10.244.1.23", env="qa")]
    target = pod("x/t", "10.244.1.30", app="t")

    def admitted(op: str, *values: str) -> set[str]:
        p = ingress("x", "p", sel(app="t"), rule(peer(pods=LabelSelector.of(
            {}, (LabelSelectorRequirement("env", op, values),)))))
        c = cluster([*pods, target], [p])
        idx = PolicyIndex.build(c)
        return {s.name for s in pods if idx.verdict(s, target, 80, "TCP").allowed}

    assert admitted("In", "dev", "qa") == {"dev", "qa"}
    assert admitted("NotIn", "dev") == {"prod", "none", "qa"}   # NotIn matches a missing key
    assert admitted("Exists") == {"dev", "prod", "qa"}
    assert admitted("DoesNotExist") == {"none"}


def test_namespace_selector_uses_namespace_labels():
    p = ingress("x", "from-prod", sel(app="a"), rule(peer(namespaces=LabelSelector.of(
        {}, (LabelSelectorRequirement("env", "In", ("prod",)),)))))
    prod_pod = pod("p/w", "10.244.1.40")
    dev_pod = pod("d/w", "10.244.1.41")
    c = cluster([A, prod_pod, dev_pod], [p], [ns("x"), ns("p", env="prod"), ns("d", env="dev")])
    assert allowed(c, prod_pod, A) and not allowed(c, dev_pod, A)


# --------------------------------------------------------------------------- ipBlock


def test_ipblock_except_docs_example():
    p = ingress("x", "office", sel(app="a"),
                rule(peer(cidr="172.17.0.0/16", except_=("172.17.1.0/24",)), ports=(tcp(6379),)))
    c = cluster([A], [p])
    assert allowed(c, "172.17.0.5", A, 6379)
    assert not allowed(c, "172.17.1.5", A, 6379)
    assert allowed(c, "172.17.2.5", A, 6379)
    assert not allowed(c, "172.18.0.1", A, 6379)
    assert not allowed(c, "172.17.0.5", A, 6380)


def test_ipblock_matches_pod_ips_like_calico():
    p = ingress("x", "from-node-2-pods", sel(app="a"), rule(peer(cidr="10.244.2.0/24")))
    c = cluster([A, B, C], [p])
    assert allowed(c, C, A)      # y/c is 10.244.2.2
    assert not allowed(c, B, A)  # x/b is 10.244.1.3


def test_egress_to_ipblock_and_external_only_checks_pod_side():
    p = egress("x", "internet", sel(app="a"),
               rule(peer(cidr="0.0.0.0/0", except_=("10.0.0.0/8", "192.168.0.0/16")),
                    ports=(tcp(443),)))
    c = cluster([A, C], [p])
    idx = PolicyIndex.build(c)
    v = idx.verdict(A, IP(EXTERNAL), 443, "TCP")
    assert v.allowed and not v.ingress.isolated
    assert v.ingress.to_dict() == {"isolated": False, "isolated_by": [], "allowed_by": []}
    assert v.reason == ("egress from x/a allowed by NetworkPolicy x/internet egress rule 0; "
                        "203.0.113.9 is not a pod")
    assert not idx.verdict(A, C, 443, "TCP").allowed   # 10.244.2.2 is in the except list


def test_end_port_range_docs_example():
    p = egress("default", "multi-port-egress", sel(role="db"),
               rule(peer(cidr="10.0.0.0/24"), ports=(tcp(32000, 32768),)))
    db = pod("default/db", "10.244.1.50", role="db")
    c = cluster([db], [p])
    assert allowed(c, db, "10.0.0.7", 32000)
    assert allowed(c, db, "10.0.0.7", 32768)
    assert not allowed(c, db, "10.0.0.7", 31999)
    assert not allowed(c, db, "10.0.0.7", 32769)
    assert not allowed(c, db, "10.0.1.7", 32000)
    v = PolicyIndex.build(c).verdict(db, IP("10.0.0.7"), 32100, "TCP")
    assert v.egress.allowed_by[0].detail == "to[0] ipBlock 10.0.0.0/24; ports[0] 32000-32768/TCP"


# --------------------------------------------------------------------------- ports


HTTP_8080 = (ContainerPort(8080, name="http"),)
HTTP_9090 = (ContainerPort(9090, name="http"),)


def test_named_port_resolves_on_each_destination_pod():
    w1 = pod("x/w1", "10.244.1.60", ports=HTTP_8080, app="w")
    w2 = pod("x/w2", "10.244.1.61", ports=HTTP_9090, app="w")
    p = ingress("x", "http", sel(app="w"), rule(ports=(tcp("http"),)))
    c = cluster([A, w1, w2], [p])
    assert allowed(c, A, w1, 8080) and not allowed(c, A, w1, 9090)
    assert allowed(c, A, w2, 9090) and not allowed(c, A, w2, 8080)
    idx = PolicyIndex.build(c)
    assert idx.verdict(A, w2, "http", "TCP").allowed          # traffic to the name: 9090
    v = idx.verdict(A, w1, 8080, "TCP")
    assert v.ingress.allowed_by[0].detail == "from <any>; ports[0] http/TCP (= 8080 on x/w1)"


def test_named_port_in_egress_resolves_on_the_peer_and_never_on_external():
    w2 = pod("x/w2", "10.244.1.61", ports=HTTP_9090, app="w")
    p = egress("x", "a-out", sel(app="a"), rule(ports=(tcp("http"),)))
    c = cluster([A, w2], [p])
    assert allowed(c, A, w2, 9090)
    assert not allowed(c, A, w2, 8080)
    assert not allowed(c, A, EXTERNAL, 9090)   # not a pod: a named port matches nothing
    v = PolicyIndex.build(c).verdict(A, IP(EXTERNAL), "http", "TCP")
    assert v.reason == ("pod x/a is isolated for egress by x/a-out; no rule admits 203.0.113.9 "
                        "on TCP http (no such named port on 203.0.113.9)")


def test_named_port_needs_matching_protocol():
    dns_pod = pod("x/dns", "10.244.1.62", ports=(ContainerPort(53, "UDP", "dns"),), app="dns")
    p = ingress("x", "dns", sel(app="dns"), rule(ports=(NetworkPolicyPort("UDP", "dns"),)))
    c = cluster([A, dns_pod], [p])
    assert allowed(c, A, dns_pod, 53, "UDP")
    assert not allowed(c, A, dns_pod, 53, "TCP")


def test_udp_and_sctp_protocols():
    p = ingress("x", "mixed", sel(app="a"),
                rule(ports=(NetworkPolicyPort("UDP", 53), NetworkPolicyPort("SCTP", 3868),
                            NetworkPolicyPort("TCP"))))
    c = cluster([A, C], [p])
    assert allowed(c, C, A, 53, "UDP") and not allowed(c, C, A, 54, "UDP")
    assert allowed(c, C, A, 3868, "SCTP") and not allowed(c, C, A, 3869, "SCTP")
    assert allowed(c, C, A, 12345, "TCP")   # port absent: all ports of TCP
    v = PolicyIndex.build(c).verdict(C, A, 3868, "SCTP")
    assert v.ingress.allowed_by[0].port == 1


def test_unknown_protocol_is_rejected():
    with pytest.raises(ValueError, match="not one of"):
        PolicyIndex.build(cluster([A], [])).verdict(A, A, 80, "ICMP")


def test_dns_egress_pattern_to_kube_dns():
    coredns = pod("kube-system/coredns-1", "10.244.2.10", node="node-2",
                  ports=(ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
                  **{"k8s-app": "kube-dns"})
    other = pod("kube-system/metrics", "10.244.2.11", node="node-2", **{"k8s-app": "metrics"})
    deny = NetworkPolicy("x", "default-deny-all", LabelSelector(), ("Ingress", "Egress"))
    dns = egress("x", "allow-dns", LabelSelector(), rule(
        peer(pods=sel(**{"k8s-app": "kube-dns"}), namespaces=sel(**{NS_NAME: "kube-system"})),
        ports=(NetworkPolicyPort("UDP", 53), NetworkPolicyPort("TCP", 53))))
    c = cluster([A, coredns, other], [deny, dns])
    idx = PolicyIndex.build(c)
    assert idx.verdict(A, coredns, 53, "UDP").allowed
    assert idx.verdict(A, coredns, 53, "TCP").allowed
    assert not idx.verdict(A, coredns, 9153, "TCP").allowed
    assert not idx.verdict(A, other, 53, "UDP").allowed
    assert not idx.verdict(A, IP("10.96.0.10"), 53, "UDP").allowed  # the Service IP (DNS-11)
    v = idx.verdict(A, coredns, 53, "TCP")
    assert v.egress.allowed_by[0].to_dict() == {
        "policy": "x/allow-dns", "direction": "egress", "rule": 0, "peer": 0, "port": 1,
        "text": "NetworkPolicy x/allow-dns egress rule 0",
        "detail": "to[0] namespaceSelector kubernetes.io/metadata.name=kube-system + "
                  "podSelector k8s-app=kube-dns; ports[1] 53/TCP"}
    assert c_without_dns_breaks(c)


def c_without_dns_breaks(c: Cluster) -> bool:
    idx = PolicyIndex.build(c).with_policy(None, "x/allow-dns")
    coredns = c.pod_by_key["kube-system/coredns-1"]
    return not idx.verdict(c.pod_by_key["x/a"], coredns, 53, "UDP").allowed


# --------------------------------------------------------------------------- exceptions


def test_a_pod_cannot_block_traffic_to_itself():
    deny = NetworkPolicy("x", "deny-all", LabelSelector(), ("Ingress", "Egress"))
    c = cluster([A], [deny])
    v = PolicyIndex.build(c).verdict(A, A, 80, "TCP")
    assert v.allowed and v.ingress.isolated and v.egress.isolated
    assert v.reason == "a pod cannot block traffic to itself (x/a)"


def test_host_network_pods_are_not_subject_and_are_seen_by_node_ip():
    exporter = pod("monitoring/node-exporter", "192.168.56.12", node="node-2",
                   host_network=True, app="node-exporter")
    deny_all = NetworkPolicy("monitoring", "deny-all", LabelSelector(), ("Ingress", "Egress"))
    from_all_pods = ingress("x", "from-all-pods", sel(app="a"),
                            rule(peer(namespaces=LabelSelector(), pods=LabelSelector())))
    c = cluster([A, exporter], [deny_all, from_all_pods], [ns("x"), ns("monitoring")])
    idx = PolicyIndex.build(c)
    v = idx.verdict(A, exporter, 9100, "TCP")
    assert v.allowed and not v.ingress.isolated                   # not subject: deny-all ignored
    assert idx.selecting(exporter) == ((), ())
    assert not idx.verdict(exporter, A, 80, "TCP").allowed        # selectors don't see it
    by_ip = ingress("x", "from-nodes", sel(app="a"), rule(peer(cidr="192.168.56.0/24")))
    c2 = cluster([A, exporter], [from_all_pods, by_ip], [ns("x"), ns("monitoring")])
    v = PolicyIndex.build(c2).verdict(exporter, A, 80, "TCP")
    assert v.allowed
    assert [r.text for r in v.ingress.allowed_by] == ["NetworkPolicy x/from-nodes ingress rule 0"]
    assert v.reason == ("monitoring/node-exporter uses the host network and is not subject to "
                        "NetworkPolicy; ingress to x/a allowed by NetworkPolicy x/from-nodes "
                        "ingress rule 0")


def test_traffic_between_a_pod_and_its_own_node_is_always_allowed():
    exporter = pod("monitoring/node-exporter", "192.168.56.11", node="node-1",
                   host_network=True, app="node-exporter")
    deny = NetworkPolicy("x", "deny-all", LabelSelector(), ("Ingress", "Egress"))
    c = cluster([A, exporter], [deny], [ns("x"), ns("monitoring")])
    idx = PolicyIndex.build(c)
    v = idx.verdict(exporter, A, 8080, "TCP")
    assert v.allowed and v.ingress.isolated
    assert v.reason.endswith("traffic from the node a pod runs on is always allowed "
                             "(monitoring/node-exporter (host network, seen as 192.168.56.11) "
                             "is node node-1)")
    assert idx.verdict(A, exporter, 9100, "TCP").allowed
    assert idx.verdict(IP("192.168.56.11"), A, 80, "TCP").allowed   # the kubelet's probes
    assert not idx.verdict(IP("192.168.56.12"), A, 80, "TCP").allowed  # another node


def test_pod_ip_endpoint_means_that_pod():
    deny = ingress("x", "deny", sel(app="a"))
    c = cluster([A, C], [deny])
    v = PolicyIndex.build(c).verdict(IP("10.244.2.2"), IP("10.244.1.2"), 80, "TCP")
    assert not v.allowed and v.reason.endswith("no rule admits y/c on TCP 80")


# --------------------------------------------------------------------------- enforcement


def test_flannel_does_not_enforce_but_verdict_says_what_policies_say():
    deny = ingress("x", "deny", LabelSelector())
    c = cluster([A, C], [deny], cni="flannel")
    v = PolicyIndex.build(c).verdict(C, A, 80, "TCP")
    assert not v.allowed and not v.enforced
    assert v.reason == ("pod x/a is isolated for ingress by x/deny; no rule admits y/c on TCP 80 "
                        "(not enforced: the flannel CNI does not implement NetworkPolicy, so "
                        "this traffic is not actually blocked)")
    canal = cluster([A, C], [deny], cni="canal")
    assert PolicyIndex.build(canal).verdict(C, A, 80, "TCP").enforced


def test_to_dict_shape():
    p = ingress("x", "allow-frontend", sel(app="a"), rule(peer(pods=sel(app="b")),
                                                          ports=(tcp(80),)))
    c = cluster([A, B], [p])
    d = PolicyIndex.build(c).verdict(B, A, 80, "TCP").to_dict()
    assert d == {
        "allowed": True, "enforced": True,
        "egress": {"isolated": False, "isolated_by": [], "allowed_by": []},
        "ingress": {"isolated": True, "isolated_by": ["x/allow-frontend"], "allowed_by": [{
            "policy": "x/allow-frontend", "direction": "ingress", "rule": 0, "peer": 0,
            "port": 0, "text": "NetworkPolicy x/allow-frontend ingress rule 0",
            "detail": "from[0] podSelector app=b; ports[0] 80/TCP"}]},
        "reason": "pod x/b is not isolated for egress; ingress to x/a allowed by "
                  "NetworkPolicy x/allow-frontend ingress rule 0"}


def test_every_admitting_rule_is_attributed_in_order():
    p1 = ingress("x", "p1", sel(app="a"), rule(peer(cidr="10.0.0.0/8")),
                 rule(peer(pods=sel(app="b")), ports=(tcp(81), tcp(80))))
    p2 = ingress("x", "p2", LabelSelector(), rule(peer(pods=LabelSelector())))
    c = cluster([A, B], [p1, p2])
    v = PolicyIndex.build(c).verdict(B, A, 80, "TCP")
    assert [(r.policy, r.rule, r.peer, r.port) for r in v.ingress.allowed_by] == [
        ("x/p1", 0, 0, None), ("x/p1", 1, 0, 1), ("x/p2", 0, 0, None)]
    assert v.ingress.isolated_by == ("x/p1", "x/p2")


def test_with_policy_add_replace_remove():
    deny = ingress("x", "deny", LabelSelector())
    c = cluster([A, B, C], [deny])
    idx = PolicyIndex.build(c)
    allow = ingress("x", "allow-b", sel(app="a"), rule(peer(pods=sel(app="b"))))
    idx2 = idx.with_policy(allow)
    assert idx2.verdict(B, A, 80, "TCP").allowed and not idx.verdict(B, A, 80, "TCP").allowed
    idx3 = idx2.with_policy(ingress("x", "allow-b", sel(app="a"), rule(peer(pods=sel(app="c")))))
    assert not idx3.verdict(B, A, 80, "TCP").allowed
    assert [p.key for p in idx3.cluster.network_policies] == ["x/deny", "x/allow-b"]
    idx4 = idx3.with_policy(None, "x/deny")
    assert idx4.verdict(B, B, 80, "TCP").allowed and not idx4.verdict(B, A, 80, "TCP").allowed
    assert idx4.selecting(B) == ((), ())
    assert idx.selecting(B) == (("x/deny",), ())   # the old index is untouched


# --------------------------------------------------------------------------- describe


CREATED = "2025-05-01 10:00:00 +0000 UTC"


def test_describe_kctl8_db_policy_byte_for_byte():
    policy = NetworkPolicy(
        "shop", "db-policy", sel(app="db"), ("Ingress", "Egress"),
        ingress=(rule(peer(pods=sel(app="api")),
                      peer(pods=sel(app="prometheus"),
                           namespaces=sel(**{NS_NAME: "monitoring"})),
                      ports=(tcp(5432),)),
                 rule(peer(cidr="10.0.0.0/8", except_=("10.96.0.0/12", "10.244.0.0/16")))),
        egress=(rule(peer(pods=sel(**{"k8s-app": "kube-dns"}),
                          namespaces=sel(**{NS_NAME: "kube-system"})),
                     ports=(NetworkPolicyPort("UDP", 53), NetworkPolicyPort("TCP", 53))),))
    assert describe_network_policy(policy, CREATED) == """\
Name:         db-policy
Namespace:    shop
Created on:   2025-05-01 10:00:00 +0000 UTC
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     app=db
  Allowing ingress traffic:
    To Port: 5432/TCP
    From:
      PodSelector: app=api
    From:
      NamespaceSelector: kubernetes.io/metadata.name=monitoring
      PodSelector: app=prometheus
    ----------
    To Port: <any> (traffic allowed to all ports)
    From:
      IPBlock:
        CIDR: 10.0.0.0/8
        Except: 10.96.0.0/12, 10.244.0.0/16
  Allowing egress traffic:
    To Port: 53/UDP
    To Port: 53/TCP
    To:
      NamespaceSelector: kubernetes.io/metadata.name=kube-system
      PodSelector: k8s-app=kube-dns
  Policy Types: Ingress, Egress
"""


def test_describe_kctl8_default_deny_byte_for_byte():
    policy = NetworkPolicy("shop", "default-deny", LabelSelector(), ("Ingress",))
    assert describe_network_policy(policy, CREATED) == """\
Name:         default-deny
Namespace:    shop
Created on:   2025-05-01 10:00:00 +0000 UTC
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)
  Allowing ingress traffic:
    <none> (Selected pods are isolated for ingress connectivity)
  Not affecting egress traffic
  Policy Types: Ingress
"""


def test_describe_egress_only_ranges_named_ports_and_any_peers():
    policy = NetworkPolicy(
        "shop", "egress", LabelSelector.of({"tier": "web", "app": "shop"}), ("Egress",),
        egress=(rule(ports=(tcp(8000, 9000), tcp("http"), NetworkPolicyPort("UDP"))),
                rule(peer(namespaces=LabelSelector()), peer(cidr="0.0.0.0/0"))),
        labels={"team": "shop", "app": "web"},
        annotations={"owner": "alice", "kubectl.kubernetes.io/last-applied-configuration": "{}"})
    assert describe_network_policy(policy, datetime(2025, 5, 1, 10, 0, tzinfo=UTC)) == """\
Name:         egress
Namespace:    shop
Created on:   2025-05-01 10:00:00 +0000 UTC
Labels:       app=web
              team=shop
Annotations:  owner: alice
Spec:
  PodSelector:     app=shop,tier=web
  Not affecting ingress traffic
  Allowing egress traffic:
    To Port Range: 8000-9000/TCP
    To Port: http/TCP
    To Port: <nil>/UDP
    To: <any> (traffic not restricted by destination)
    ----------
    To Port: <any> (traffic allowed to all ports)
    To:
      NamespaceSelector: <none>
    To:
      IPBlock:
        CIDR: 0.0.0.0/0
""" + "        Except: \n" + """\
  Policy Types: Egress
"""  # kubectl prints "Except: " with its trailing space when there are no exceptions


def test_describe_egress_isolation_without_rules():
    policy = NetworkPolicy("shop", "deny-egress", LabelSelector(), ("Egress",))
    text = describe_network_policy(policy)
    assert "Created on:   0001-01-01 00:00:00 +0000 UTC\n" in text
    assert text.endswith("  Not affecting ingress traffic\n  Allowing egress traffic:\n"
                         "    <none> (Selected pods are isolated for egress connectivity)\n"
                         "  Policy Types: Egress\n")


def test_format_label_selector_like_kubectl():
    assert format_label_selector(LabelSelector()) == "<none>"
    assert format_label_selector(LabelSelector.of(
        {"app": "db"}, (LabelSelectorRequirement("tier", "In", ("backend",)),))) == \
        "app=db,tier in (backend)"                                          # KCTL-5
    # requirements sorted by key, set values sorted (labels.Selector.String)
    assert format_label_selector(LabelSelector.of(
        {"zone": "a"}, (LabelSelectorRequirement("env", "NotIn", ("qa", "dev")),
                        LabelSelectorRequirement("beta", "Exists"),
                        LabelSelectorRequirement("gpu", "DoesNotExist")))) == \
        "beta,env notin (dev,qa),!gpu,zone=a"


def test_go_tabwriter_columns_blocks_and_trailing_cells():
    text = "a:\tx\nlonger key:\ty\n\tcontinued\nno tab\nb:\tz\n"
    # column width = longest cell + padding 2; a line without a tab ends the block
    assert go_tabwriter(text) == ("a:           x\nlonger key:  y\n             continued\n"
                                  "no tab\nb:  z\n")


def test_format_go_time():
    assert format_go_time(datetime(2025, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)) == \
        "2025-05-01 10:00:00.5 +0000 UTC"
