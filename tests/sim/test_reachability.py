"""Reachability matrix: agrees with single verdicts and with a from-the-spec oracle on
random clusters, updates incrementally to what a rebuild gives, diffs count flows."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from clusterlab.sim.policy import PolicyIndex
from clusterlab.sim.reachability import Matrix, diff, format_matrix, matrix_to_dict

IP = IPv4Address
NS_NAME = "kubernetes.io/metadata.name"
NODES = (Node("node-1", IP("192.168.56.11")), Node("node-2", IP("192.168.56.12")))


# --------------------------------------------------------------------------- the oracle


def oracle(c: Cluster, src: Pod, dst: Pod, port: int | str, protocol: str) -> bool:
    """networking.k8s.io/v1 read literally, pod by pod, without any index."""
    if src is dst:
        return True  # a pod cannot block traffic to itself
    if src.host_network != dst.host_network and src.node_name == dst.node_name:
        return True  # traffic to/from the pod's own node
    ns_labels = {n.name: n.labels for n in c.namespaces}
    node_ip = {n.name: n.internal_ip for n in c.nodes}
    number = port if isinstance(port, int) else dst.find_port(port, protocol)

    def seen_as(p: Pod) -> IPv4Address | None:
        return node_ip[p.node_name] if p.host_network else p.ip

    def peer_ok(policy: NetworkPolicy, peer: NetworkPolicyPeer, other: Pod) -> bool:
        if peer.ip_block is not None:
            return seen_as(other) is not None and peer.ip_block.contains(seen_as(other))
        if other.host_network or (peer.pod_selector is None and peer.namespace_selector is None):
            return False
        if peer.namespace_selector is None:
            if other.namespace != policy.namespace:
                return False
        elif not peer.namespace_selector.matches(ns_labels[other.namespace]):
            return False
        return peer.pod_selector is None or peer.pod_selector.matches(other.labels)

    def ports_ok(rule: NetworkPolicyRule) -> bool:
        if not rule.ports:
            return True
        for p in rule.ports:
            if p.protocol != protocol:
                continue
            if p.port is None:
                return True
            if number is None:
                continue
            if isinstance(p.port, int):
                if p.port <= number <= (p.end_port or p.port):
                    return True
            elif not dst.host_network and any(
                    cp.name == p.port and cp.protocol == protocol and cp.container_port == number
                    for ct in dst.containers for cp in ct.ports):
                return True
        return False

    def side(pod: Pod, policy_type: str, other: Pod) -> bool:
        if pod.host_network:
            return True
        policies = [p for p in c.network_policies if p.namespace == pod.namespace
                    and policy_type in p.policy_types and p.pod_selector.matches(pod.labels)]
        if not policies:
            return True
        return any(ports_ok(r) and (not r.peers or any(peer_ok(p, x, other) for x in r.peers))
                   for p in policies
                   for r in (p.egress if policy_type == "Egress" else p.ingress))

    return side(src, "Egress", dst) and side(dst, "Ingress", src)


# --------------------------------------------------------------------------- strategies

LABEL_KEYS = ("app", "tier")
LABEL_VALUES = ("a", "b", "c")
NAMED = (ContainerPort(80, "TCP", "http"), ContainerPort(8080, "TCP", "http"),
         ContainerPort(53, "UDP", "dns"), ContainerPort(8080, "TCP", "alt"))
BLOCKS = (IPBlock(IPv4Network("10.244.1.0/24")),
          IPBlock(IPv4Network("10.244.0.0/16"), (IPv4Network("10.244.1.0/26"),)),
          IPBlock(IPv4Network("192.168.56.0/24")),
          IPBlock(IPv4Network("0.0.0.0/0"), (IPv4Network("10.244.0.0/16"),)))


def _requirement(key: str, op: str, values: list[str]) -> LabelSelectorRequirement:
    return LabelSelectorRequirement(key, op, tuple(values) if op in ("In", "NotIn") else ())


# strategies are built once (building them per draw dominates the run time)
SELECTORS = st.builds(
    LabelSelector.of,
    st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=1),
    st.lists(st.builds(_requirement, st.sampled_from(LABEL_KEYS),
                       st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
                       st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2,
                                unique=True)), max_size=1).map(tuple))
NS_SELECTORS = st.sampled_from((
    LabelSelector(), LabelSelector.of({"team": "red"}), LabelSelector.of({NS_NAME: "y"}),
    LabelSelector.of({}, (LabelSelectorRequirement("team", "NotIn", ("blue",)),))))
PEERS = st.one_of(
    st.builds(NetworkPolicyPeer, pod_selector=SELECTORS),
    st.builds(NetworkPolicyPeer, namespace_selector=NS_SELECTORS),
    st.builds(NetworkPolicyPeer, pod_selector=SELECTORS, namespace_selector=NS_SELECTORS),
    st.builds(NetworkPolicyPeer, ip_block=st.sampled_from(BLOCKS)))
PORTS = st.sampled_from((
    NetworkPolicyPort("TCP", 80), NetworkPolicyPort("TCP", 8080), NetworkPolicyPort("TCP"),
    NetworkPolicyPort("TCP", 79, 81), NetworkPolicyPort("TCP", "http"),
    NetworkPolicyPort("UDP", "dns"), NetworkPolicyPort("UDP", 53),
    NetworkPolicyPort("TCP", "alt"), NetworkPolicyPort("SCTP", 80)))
RULES = st.builds(NetworkPolicyRule, st.lists(PEERS, max_size=2).map(tuple),
                  st.lists(PORTS, max_size=2).map(tuple))
TYPES = st.sampled_from((("Ingress",), ("Egress",), ("Ingress", "Egress")))
POLICIES = st.builds(NetworkPolicy, st.sampled_from(("x", "y", "z")), st.just("np"), SELECTORS,
                     TYPES, st.lists(RULES, max_size=2).map(tuple),
                     st.lists(RULES, max_size=2).map(tuple))
POD_SPECS = st.tuples(
    st.sampled_from(("x", "y", "z")), st.sampled_from(NODES),
    st.integers(0, 7).map(lambda k: k == 0),  # hostNetwork, 1 in 8
    st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2),
    st.lists(st.sampled_from(NAMED), max_size=2, unique_by=lambda p: (p.name, p.protocol)))
NAMESPACES = (Namespace("x", {NS_NAME: "x", "team": "red"}),
              Namespace("y", {NS_NAME: "y", "team": "blue"}),
              Namespace("z", {NS_NAME: "z"}))


def policies(name: str) -> st.SearchStrategy[NetworkPolicy]:
    return POLICIES.map(lambda p: replace(p, name=name))


@st.composite
def clusters(draw: st.DrawFn, max_pods: int = 7, max_policies: int = 4) -> Cluster:
    pods = []
    for i, (namespace, node, host, labels, ports) in enumerate(
            draw(st.lists(POD_SPECS, min_size=1, max_size=max_pods))):
        subnet = 1 if node.name == "node-1" else 2
        ip = node.internal_ip if host else IP(f"10.244.{subnet}.{10 + i}")
        pods.append(Pod(namespace, f"p{i}", labels, node_name=node.name, ip=ip,
                        host_network=host, containers=(Container("c", "img", tuple(ports)),)))
    pols = [replace(p, name=f"np{i}")
            for i, p in enumerate(draw(st.lists(POLICIES, max_size=max_policies)))]
    return Cluster(ClusterConfig(cni_plugin="calico", cni_mode="ipip"), NAMESPACES, NODES,
                   tuple(pods), network_policies=tuple(pols))


QUERIES = st.sampled_from(((80, "TCP"), (8080, "TCP"), (53, "UDP"), ("http", "TCP"),
                           (80, "SCTP")))
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def dense_by_oracle(c: Cluster, port: int | str, protocol: str) -> np.ndarray:
    return np.array([[oracle(c, s, d, port, protocol) for d in c.pods] for s in c.pods])


def assert_same(m: Matrix, expected: np.ndarray) -> None:
    got = m.to_dense()
    if not (got == expected).all():
        bad = [(m.pod_keys[i], m.pod_keys[j], bool(expected[i, j]))
               for i, j in zip(*np.nonzero(got != expected), strict=True)]
        raise AssertionError(f"matrix differs from the oracle at {bad[:5]}")


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(clusters(), QUERIES)
def test_matrix_and_verdicts_agree_with_the_oracle(c: Cluster, query: tuple) -> None:
    port, protocol = query
    idx = PolicyIndex.build(c)
    expected = dense_by_oracle(c, port, protocol)
    m = idx.matrix(port, protocol)
    assert_same(m, expected)
    for i, s in enumerate(c.pods):
        for j, d in enumerate(c.pods):
            assert idx.verdict(s, d, port, protocol).allowed == expected[i, j], (s.key, d.key)
    assert m.count_allowed() == int(expected.sum())
    packed = np.unpackbits(m.to_packed(), axis=1, count=len(c.pods)).astype(bool)
    assert (packed == expected).all()
    summary = m.namespace_summary()
    assert sum(v[0] for v in summary.values()) == int(expected.sum())
    assert sum(v[1] for v in summary.values()) == len(c.pods) ** 2


@SETTINGS
@given(clusters(max_policies=3), st.data())
def test_adding_an_allow_rule_never_removes_a_flow(c: Cluster, data: st.DataObject) -> None:
    if not c.network_policies:
        return
    policy = data.draw(st.sampled_from(c.network_policies))
    extra = data.draw(RULES)
    grown = NetworkPolicy(policy.namespace, policy.name, policy.pod_selector,
                          policy.policy_types,
                          policy.ingress + ((extra,) if data.draw(st.booleans()) else ()),
                          (*policy.egress, extra))
    port, protocol = data.draw(QUERIES)
    idx = PolicyIndex.build(c)
    before = idx.matrix(port, protocol).to_dense()
    after = idx.with_policy(grown).matrix(port, protocol).to_dense()
    assert not (before & ~after).any()


@SETTINGS
@given(clusters(max_policies=3), st.data())
def test_a_policy_selecting_no_pods_changes_nothing(c: Cluster, data: st.DataObject) -> None:
    nothing = data.draw(policies("selects-nothing"))
    if data.draw(st.booleans()):
        nothing = NetworkPolicy(nothing.namespace, nothing.name,
                                LabelSelector.of({"no-pod-has": "this"}), nothing.policy_types,
                                nothing.ingress, nothing.egress)
    else:
        nothing = NetworkPolicy("empty-ns", nothing.name, LabelSelector(), nothing.policy_types,
                                nothing.ingress, nothing.egress)
    port, protocol = data.draw(QUERIES)
    idx = PolicyIndex.build(c)
    before = idx.matrix(port, protocol)
    after = Matrix.compute(PolicyIndex.build(Cluster(
        c.config, c.namespaces, c.nodes, c.pods,
        network_policies=(*c.network_policies, nothing))), port, protocol)
    assert (before.to_dense() == after.to_dense()).all()
    assert diff(before, after).sentence == "this change neither cuts nor opens any flow"


@SETTINGS
@given(clusters(max_policies=4), st.data())
def test_incremental_update_equals_full_rebuild(c: Cluster, data: st.DataObject) -> None:
    port, protocol = data.draw(QUERIES)
    idx = PolicyIndex.build(c)
    m = idx.matrix(port, protocol)
    keys = [p.key for p in c.network_policies]
    for step in range(3):
        action = data.draw(st.sampled_from(("add", "replace", "remove", "add+remove")))
        changed, removed = None, None
        if action == "add+remove" and keys:
            changed = data.draw(policies(f"new{step}"))
            removed = data.draw(st.sampled_from(keys))
        elif action in ("add", "add+remove") or not keys:
            changed = data.draw(policies(f"new{step}"))
        elif action == "replace":
            old = idx.cluster.policy_by_key[data.draw(st.sampled_from(keys))]
            changed = data.draw(policies(old.name))
            changed = NetworkPolicy(old.namespace, old.name, changed.pod_selector,
                                    changed.policy_types, changed.ingress, changed.egress)
        else:
            removed = data.draw(st.sampled_from(keys))
        idx = idx.with_policy(changed, removed)
        keys = [p.key for p in idx.cluster.network_policies]
        m = m.update(idx)
        full = Matrix.compute(PolicyIndex.build(idx.cluster), port, protocol)
        assert (m.to_dense() == full.to_dense()).all()
        expected = dense_by_oracle(idx.cluster, port, protocol)
        assert_same(m, expected)
        rebuilt = PolicyIndex.build(idx.cluster)
        for s in c.pods[:3]:
            for d in c.pods:
                assert idx.verdict(s, d, port, protocol).to_dict() == \
                    rebuilt.verdict(s, d, port, protocol).to_dict()


@SETTINGS
@given(clusters(max_policies=3), clusters(max_policies=3), QUERIES)
def test_diff_counts_and_lists_the_changed_flows(a: Cluster, b: Cluster, query: tuple) -> None:
    # same pods, other policies: b's policies applied to a's pods
    b = Cluster(a.config, a.namespaces, a.nodes, a.pods, network_policies=b.network_policies)
    port, protocol = query
    ma = PolicyIndex.build(a).matrix(port, protocol)
    mb = PolicyIndex.build(b).matrix(port, protocol)
    da, db = ma.to_dense(), mb.to_dense()
    d = diff(ma, mb)
    keys = ma.pod_keys
    expect_open = {(keys[i], keys[j]) for i, j in zip(*np.nonzero(db & ~da), strict=True)}
    expect_cut = {(keys[i], keys[j]) for i, j in zip(*np.nonzero(da & ~db), strict=True)}
    assert set(d.opened) == expect_open and len(d.opened) == len(expect_open)
    assert set(d.cut) == expect_cut and len(d.cut) == len(expect_cut)
    assert (d.count_opened, d.count_cut) == (len(expect_open), len(expect_cut))


# --------------------------------------------------------------------------- examples


def _pod(key: str, ip: str, node: str = "node-1", host: bool = False, **labels: str) -> Pod:
    namespace, name = key.split("/")
    return Pod(namespace, name, labels, node_name=node, ip=IP(ip), host_network=host,
               containers=(Container("c", "img", (ContainerPort(8080, name="http"),)),))


def _cluster(pods: list[Pod], policies: list[NetworkPolicy], cni: str = "calico") -> Cluster:
    names = sorted({p.namespace for p in pods})
    return Cluster(ClusterConfig(cni_plugin=cni), tuple(Namespace(n, {NS_NAME: n}) for n in names),
                   NODES, tuple(pods), network_policies=tuple(policies))


WEB = [_pod(f"shop/web-{i}", f"10.244.1.{10 + i}", app="web") for i in range(3)]
DB = [_pod(f"shop/db-{i}", f"10.244.2.{10 + i}", node="node-2", app="db") for i in range(2)]
CLIENTS = [_pod(f"edge/client-{i}", f"10.244.1.{20 + i}", app="client") for i in range(4)]
DB_POLICY = NetworkPolicy("shop", "db", LabelSelector.of({"app": "db"}), ("Ingress",), ingress=(
    NetworkPolicyRule((NetworkPolicyPeer(LabelSelector.of({"app": "web"})),)),))


def test_groups_collapse_equivalent_pods_and_answer_per_pod():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    assert len(m.groups) == 3  # web, db, clients: policies see no difference inside each
    assert m.allowed("shop/web-0", "shop/db-1") and not m.allowed("edge/client-0", "shop/db-1")
    assert m.allowed("shop/db-0", "shop/db-0")
    assert m.count_allowed() == 81 - 4 * 2 - 2 * 1  # clients and the other db pod cut
    assert m.namespace_summary()[("edge", "shop")] == (12, 20)


def test_diff_sentence_and_lists_after_a_policy_edit():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    idx = PolicyIndex.build(c)
    m = idx.matrix(8080, "TCP")
    edited = NetworkPolicy("shop", "db", LabelSelector.of({"app": "db"}), ("Ingress",), ingress=(
        NetworkPolicyRule((NetworkPolicyPeer(LabelSelector.of({"app": "web"})),
                           NetworkPolicyPeer(namespace_selector=LabelSelector.of(
                               {NS_NAME: "edge"}))),),))
    m2 = m.update(idx.with_policy(edited))
    d = diff(m, m2)
    assert d.sentence == "this change cuts 0 flows and opens 8"
    assert sorted(d.opened)[:2] == [("edge/client-0", "shop/db-0"), ("edge/client-0", "shop/db-1")]
    deny_web = NetworkPolicy("shop", "web-deny", LabelSelector.of({"app": "web"}), ("Ingress",))
    m3 = m2.update(m2.index.with_policy(deny_web))
    d = diff(m2, m3)
    # into the 3 web pods: from 4 clients, 2 db pods and the 2 other web pods
    assert d.sentence == "this change cuts 24 flows and opens 0"
    assert ("shop/web-0", "shop/web-1") in d.cut and ("shop/web-0", "shop/web-0") not in d.cut
    assert diff(m3, m2).sentence == "this change cuts 0 flows and opens 24"


def test_update_after_a_refining_edit_and_named_ports():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    idx = PolicyIndex.build(c)
    m = idx.matrix(8080, "TCP")
    # a selector on a label value no policy looked at before: groups must split
    only_client_0 = NetworkPolicy("edge", "c0", LabelSelector.of({"app": "client"}), ("Egress",),
                                  egress=(NetworkPolicyRule(ports=(NetworkPolicyPort(
                                      "TCP", "http"),)),))
    idx2 = idx.with_policy(only_client_0)
    m2 = m.update(idx2)
    full = Matrix.compute(PolicyIndex.build(idx2.cluster), 8080, "TCP")
    assert (m2.to_dense() == full.to_dense()).all()
    assert m2.allowed("edge/client-0", "shop/web-0")
    assert not m2.index.matrix(9090, "TCP").allowed("edge/client-0", "shop/web-0")
    named = idx2.matrix("http", "TCP")
    assert named.allowed("edge/client-0", "shop/web-0")


def test_incremental_update_from_the_parent_index_cache():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    idx = PolicyIndex.build(c)
    m = idx.matrix(8080, "TCP")
    idx2 = idx.with_policy(None, "shop/db")
    m2 = idx2.matrix(8080, "TCP")
    assert m2.index is idx2 and m2.count_allowed() == 81
    assert m.count_allowed() == 71


def test_host_network_exceptions_in_the_matrix():
    exporter = _pod("monitoring/exporter", "192.168.56.11", host=True, app="exporter")
    deny = NetworkPolicy("shop", "deny", LabelSelector(), ("Ingress", "Egress"))
    c = _cluster(WEB + DB + [exporter], [deny])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    assert m.allowed("monitoring/exporter", "shop/web-0")      # same node (node-1)
    assert m.allowed("shop/web-0", "monitoring/exporter")
    assert not m.allowed("monitoring/exporter", "shop/db-0")   # db runs on node-2
    assert m.to_dense()[m.pod_keys.index("monitoring/exporter"),
                        m.pod_keys.index("shop/web-1")]


def test_flannel_matrix_says_not_enforced():
    c = _cluster(WEB + DB, [DB_POLICY], cni="flannel")
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    assert not m.enforced
    text = format_matrix(m)
    assert text.splitlines()[0] == ("reachability TCP/8080: 23 of 25 pod pairs allowed "
                                    "(NetworkPolicy not enforced by flannel: this is what the "
                                    "policies say)")


def test_matrix_to_dict_and_table():
    c = _cluster(WEB[:1] + DB[:1] + CLIENTS[:1], [DB_POLICY])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    d = matrix_to_dict(m)
    assert d["pods"] == ["shop/web-0", "shop/db-0", "edge/client-0"]
    assert d["matrix"] == ["111", "111", "101"]
    assert d["allowed"] == 8 and d["total"] == 9 and d["enforced"] is True
    assert d["namespaces"] == [
        {"from": "edge", "to": "edge", "allowed": 1, "total": 1},
        {"from": "edge", "to": "shop", "allowed": 1, "total": 2},
        {"from": "shop", "to": "edge", "allowed": 2, "total": 2},
        {"from": "shop", "to": "shop", "allowed": 4, "total": 4}]
    assert format_matrix(m).splitlines() == [
        "reachability TCP/8080: 8 of 9 pod pairs allowed",
        "                1 2 3",
        "1 shop/web-0    . . .",
        "2 shop/db-0     . . .",
        "3 edge/client-0 . X .",
        ". allowed   X denied (source row → destination column)"]


def test_to_dense_refuses_huge_clusters(monkeypatch):
    from clusterlab.sim import reachability

    c = _cluster(WEB + DB, [DB_POLICY])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    monkeypatch.setattr(reachability, "DENSE_LIMIT", 3)
    with pytest.raises(ValueError, match="5 pods"):
        m.to_dense()


def test_an_edit_that_splits_a_group_keeps_older_policies_right():
    clients = [_pod(f"edge/client-{i}", f"10.244.1.{20 + i}", app="client",
                    role="canary" if i == 0 else "stable") for i in range(4)]
    from_clients = NetworkPolicy("shop", "db", LabelSelector.of({"app": "db"}), ("Ingress",),
                                 ingress=(NetworkPolicyRule((NetworkPolicyPeer(
                                     LabelSelector.of({"app": "client"}),
                                     LabelSelector.of({NS_NAME: "edge"})),)),))
    c = _cluster(WEB + DB + clients, [from_clients])
    idx = PolicyIndex.build(c)
    m = idx.matrix(8080, "TCP")
    assert len({idx.group_of(p.key) for p in clients}) == 1
    canary_out = NetworkPolicy("edge", "canary-egress", LabelSelector.of({"role": "canary"}),
                               ("Egress",), egress=(NetworkPolicyRule(ports=(
                                   NetworkPolicyPort("TCP", 5432),)),))
    idx2 = idx.with_policy(canary_out)
    assert len({idx2.group_of(p.key) for p in clients}) == 2  # the canary split off
    m2 = m.update(idx2)
    assert (m2.to_dense() == dense_by_oracle(idx2.cluster, 8080, "TCP")).all()
    assert not m2.allowed("edge/client-0", "shop/db-0") and m2.allowed("edge/client-1",
                                                                          "shop/db-0")
    assert idx2.verdict(clients[0], DB[0], 5432, "TCP").allowed  # older policy still admits
    assert idx2.verdict(clients[1], DB[0], 8080, "TCP").allowed
    # on 8080 the canary now reaches nothing but itself
    assert sorted(diff(m, m2).cut) == sorted(("edge/client-0", k) for k in m.pod_keys
                                             if k != "edge/client-0")


def test_diff_between_snapshots_with_different_pods():
    before = _cluster(WEB + DB + CLIENTS[:2], [DB_POLICY])
    after = _cluster(WEB[1:] + DB + CLIENTS[:2] + [CLIENTS[3]], [])  # web-0 gone, client-3 new
    d = diff(PolicyIndex.build(before).matrix(8080, "TCP"),
             PolicyIndex.build(after).matrix(8080, "TCP"))
    # over the 6 pods both have: db-0/db-1 now accept the 2 clients and each other
    assert sorted(d.opened) == [("edge/client-0", "shop/db-0"), ("edge/client-0", "shop/db-1"),
                                ("edge/client-1", "shop/db-0"), ("edge/client-1", "shop/db-1"),
                                ("shop/db-0", "shop/db-1"), ("shop/db-1", "shop/db-0")]
    assert d.cut == [] and d.added_pods == ("edge/client-3",)
    assert d.removed_pods == ("shop/web-0",)
    assert str(d) == "this change cuts 0 flows and opens 6 (1 pod added, 1 pod removed)"
    assert d.to_dict()["summary"] == str(d)


def test_split_and_removal_in_one_chain_of_edits():
    clients = [_pod(f"edge/client-{i}", f"10.244.1.{20 + i}", app="client",
                    role="canary" if i == 0 else "stable") for i in range(3)]
    to_db = NetworkPolicy("shop", "db", LabelSelector.of({"app": "db"}), ("Ingress",),
                          ingress=(NetworkPolicyRule((NetworkPolicyPeer(
                              LabelSelector.of({"app": "client"}),
                              LabelSelector.of({NS_NAME: "edge"})),)),))
    deny_db = NetworkPolicy("shop", "deny-db", LabelSelector.of({"app": "db"}), ("Ingress",))
    c = _cluster(WEB + DB + clients, [to_db, deny_db])
    idx = PolicyIndex.build(c)
    m = idx.matrix(8080, "TCP")
    # one step: a policy that splits the clients' group, and the db policy removed
    canary = NetworkPolicy("edge", "canary", LabelSelector.of({"role": "canary"}), ("Egress",),
                           egress=(NetworkPolicyRule(),))
    idx2 = idx.with_policy(canary, "shop/db")
    m2 = m.update(idx2)
    assert (m2.to_dense() == dense_by_oracle(idx2.cluster, 8080, "TCP")).all()
    assert not m2.allowed("edge/client-1", "shop/db-0")
    idx3 = idx2.with_policy(to_db)
    m3 = m2.update(idx3)
    assert (m3.to_dense() == dense_by_oracle(idx3.cluster, 8080, "TCP")).all()
    assert (m.to_dense() == dense_by_oracle(c, 8080, "TCP")).all()  # the first stays valid
