"""Heatmap views of the matrix: pod cells and namespace totals over any pod subset agree
with the full pod×pod table (itself checked against the spec oracle in test_reachability)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.model import Cluster, LabelSelector, NetworkPolicy
from clusterlab.sim.policy import PolicyIndex
from clusterlab.sim.truthtable import cells, namespace_totals, pack_cells, select_pods
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
@given(clusters(max_pods=8), QUERIES, st.data())
def test_cells_and_totals_of_any_subset_match_the_oracle(c: Cluster, query: tuple,
                                                         data: st.DataObject) -> None:
    port, protocol = query
    m = PolicyIndex.build(c).matrix(port, protocol)
    expected = dense_by_oracle(c, port, protocol)
    n = len(c.pods)
    rows = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    cols = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    got = cells(m, rows, cols)
    assert got.shape == (len(rows), len(cols))
    assert (got == expected[np.ix_(rows, cols)]).all()
    totals = namespace_totals(m, rows, cols)
    for i, a in enumerate(totals.rows):
        for j, b in enumerate(totals.cols):
            r = [x for x in rows if c.pods[x].namespace == a]
            k = [y for y in cols if c.pods[y].namespace == b]
            assert totals.allowed[i, j] == expected[np.ix_(r, k)].sum(), (a, b)
            assert totals.total[i, j] == len(r) * len(k)


@SETTINGS
@given(clusters(max_pods=8), QUERIES)
def test_totals_over_every_pod_equal_the_matrix_namespace_summary(c: Cluster, query: tuple
                                                                  ) -> None:
    m = PolicyIndex.build(c).matrix(*query)
    everyone = select_pods(m)
    assert namespace_totals(m, everyone, everyone).as_dict() == m.namespace_summary()


def test_selection_orders_by_namespace_then_name_and_filters():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    keys = [m.pod_keys[i] for i in select_pods(m)]
    assert keys == sorted(keys, key=lambda k: tuple(k.split("/")))
    assert keys[0].startswith("edge/")
    shop = [m.pod_keys[i] for i in select_pods(m, namespaces={"shop"})]
    assert shop == ["shop/db-0", "shop/db-1", "shop/web-0", "shop/web-1", "shop/web-2"]
    web = [m.pod_keys[i] for i in select_pods(m, keep=lambda p: p.labels.get("app") == "web")]
    assert web == ["shop/web-0", "shop/web-1", "shop/web-2"]


def test_cells_pack_most_significant_bit_first():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    order = select_pods(m)
    table = cells(m, order, order)
    packed = pack_cells(table)
    width = (len(order) + 7) // 8
    assert len(packed) == len(order) * width
    back = np.unpackbits(np.frombuffer(packed, dtype=np.uint8).reshape(len(order), width),
                         axis=1, count=len(order)).astype(bool)
    assert (back == table).all()
    client0 = [m.pod_keys[i] for i in order].index("edge/client-0")
    db0 = [m.pod_keys[i] for i in order].index("shop/db-0")
    assert not table[client0, db0] and table[db0, db0]


def test_effective_reading_under_flannel_lets_everything_through():
    c = _cluster(WEB + DB + CLIENTS, [DB_POLICY], cni="flannel")
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    order = select_pods(m)
    assert not cells(m, order, order).all(), "the policies still say deny"
    assert cells(m, order, order, effective=True).all(), "but nothing is enforced"
    eff = namespace_totals(m, order, order, effective=True)
    assert (eff.allowed == eff.total).all()


def test_host_network_exception_is_a_cell_too():
    host = _pod("infra/exporter", "192.168.56.11", host=True)
    deny = NetworkPolicy("shop", "deny-all", LabelSelector(), ("Ingress",))
    same_node = _pod("shop/web-0", "10.244.1.10", app="web")
    other_node = _pod("shop/db-0", "10.244.2.10", node="node-2", app="db")
    c = _cluster([host, same_node, other_node], [deny])
    m = PolicyIndex.build(c).matrix(8080, "TCP")
    keys = m.pod_keys
    rows = [keys.index("infra/exporter")]
    cols = [keys.index("shop/web-0"), keys.index("shop/db-0")]
    assert cells(m, rows, cols).tolist() == [[True, False]]
    totals = namespace_totals(m, rows, cols)
    assert totals.as_dict() == {("infra", "shop"): (1, 2)}
