"""What-if flow changes: the same flows as `reachability.diff`, split per namespace pair,
listed up to a limit without expanding the rest, and readable under a non-enforcing CNI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.model import Cluster, LabelSelector, NetworkPolicy
from clusterlab.sim.policy import PolicyIndex
from clusterlab.sim.reachability import diff
from clusterlab.sim.whatif import flow_changes
from tests.sim.test_reachability import (
    CLIENTS,
    DB,
    DB_POLICY,
    QUERIES,
    SETTINGS,
    WEB,
    _cluster,
    _pod,
    clusters,
    dense_by_oracle,
)


@SETTINGS
@given(clusters(max_policies=3), clusters(max_policies=3), QUERIES, st.integers(0, 6))
def test_flow_changes_agree_with_the_oracle_and_the_matrix_diff(a: Cluster, b: Cluster,
                                                               query: tuple, limit: int) -> None:
    b = Cluster(a.config, a.namespaces, a.nodes, a.pods, network_policies=b.network_policies)
    port, protocol = query
    ma = PolicyIndex.build(a).matrix(port, protocol)
    mb = PolicyIndex.build(b).matrix(port, protocol)
    da, db = dense_by_oracle(a, port, protocol), dense_by_oracle(b, port, protocol)
    keys = ma.pod_keys
    expect_open = {(keys[i], keys[j]) for i, j in zip(*np.nonzero(db & ~da), strict=True)}
    expect_cut = {(keys[i], keys[j]) for i, j in zip(*np.nonzero(da & ~db), strict=True)}
    got = flow_changes(ma, mb, limit=limit)
    assert (got.count_opened, got.count_cut) == (len(expect_open), len(expect_cut))
    official = diff(ma, mb)
    assert (got.count_opened, got.count_cut) == (official.count_opened, official.count_cut)
    assert got.sentence == official.sentence
    assert set(got.opened) <= expect_open and len(got.opened) == min(limit, len(expect_open))
    assert set(got.cut) <= expect_cut and len(got.cut) == min(limit, len(expect_cut))
    assert len(set(got.opened)) == len(got.opened)
    per_ns: dict[tuple[str, str], list[int]] = {}
    for flag, pairs in ((0, expect_open), (1, expect_cut)):
        for s, d in pairs:
            per_ns.setdefault((s.split("/")[0], d.split("/")[0]), [0, 0])[flag] += 1
    assert {(r["from"], r["to"]): [r["opened"], r["cut"]] for r in got.by_namespace} == per_ns


def test_a_default_deny_lists_what_it_cuts_per_namespace():
    c = _cluster(WEB + DB + CLIENTS, [])
    deny = NetworkPolicy("shop", "default-deny", LabelSelector(), ("Ingress",))
    before = PolicyIndex.build(c).matrix(8080, "TCP")
    after = PolicyIndex.build(replace(c, network_policies=(deny,))).matrix(8080, "TCP")
    got = flow_changes(before, after, limit=3)
    # every pod of shop (5) loses every other source (8 others): 5 × 8
    assert (got.count_cut, got.count_opened) == (40, 0)
    assert got.sentence == "this change cuts 40 flows and opens 0"
    assert got.by_namespace == [{"from": "edge", "to": "shop", "opened": 0, "cut": 20},
                                {"from": "shop", "to": "shop", "opened": 0, "cut": 20}]
    assert len(got.cut) == 3 and got.truncated
    out = got.to_dict()
    assert out["truncated"] and out["limit"] == 3 and out["count_cut"] == 40


def test_under_flannel_the_notes_say_nothing_is_enforced():
    c = _cluster(WEB + DB + CLIENTS, [], cni="flannel")
    deny = NetworkPolicy("shop", "default-deny", LabelSelector(), ("Ingress",))
    before = PolicyIndex.build(c).matrix(8080, "TCP")
    after = PolicyIndex.build(replace(c, network_policies=(deny,))).matrix(8080, "TCP")
    said = flow_changes(before, after)
    assert said.count_cut == 40
    assert any("flannel does not enforce NetworkPolicy" in n for n in said.notes)
    done = flow_changes(before, after, effective=True)
    assert (done.count_cut, done.count_opened) == (0, 0)


def test_effective_comparison_across_plugins_counts_what_enforcement_cuts():
    flannel = _cluster(WEB + DB + CLIENTS, [DB_POLICY], cni="flannel")
    calico = replace(flannel, config=replace(flannel.config, cni_plugin="calico"))
    mf = PolicyIndex.build(flannel).matrix(8080, "TCP")
    mc = PolicyIndex.build(calico).matrix(8080, "TCP")
    got = flow_changes(mf, mc, effective=True)
    # db pods admit only web: 4 clients × 2 db + the other db pod (2 × 1)
    assert (got.count_cut, got.count_opened) == (10, 0)
    assert ("edge/client-0", "shop/db-0") in got.cut


def test_moving_a_pod_next_to_a_host_network_pod_opens_the_node_exception():
    host = _pod("infra/exporter", "192.168.56.12", node="node-2", host=True)
    web = _pod("shop/web-0", "10.244.1.10", app="web")
    deny = NetworkPolicy("shop", "default-deny", LabelSelector(), ("Ingress", "Egress"))
    before = _cluster([host, web], [deny])
    moved = replace(web, node_name="node-2", ip=_pod("x/y", "10.244.2.10").ip)
    after = replace(before, pods=(host, moved))
    mb = PolicyIndex.build(before).matrix(8080, "TCP")
    ma = PolicyIndex.build(after).matrix(8080, "TCP")
    got = flow_changes(mb, ma)
    assert got.count_opened == 2 == diff(mb, ma).count_opened
    assert set(got.opened) == {("infra/exporter", "shop/web-0"), ("shop/web-0", "infra/exporter")}
