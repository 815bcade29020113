"""EndpointSlice controller semantics (SVC-4, SVC-5, SVC-16) and kube-proxy's endpoint view."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.endpoints import (
    LABEL_HEADLESS,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    EndpointIndex,
    slice_labels,
    slices_for,
)
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Faults,
    Node,
    Pod,
    Service,
    ServicePort,
)


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


NODES = (
    Node("node-1", IPv4Address("192.168.56.11"), IPv4Network("10.244.1.0/24")),
    Node("node-2", IPv4Address("192.168.56.12"), IPv4Network("10.244.2.0/24")),
)


def pod(name: str, ip: str, node: str = "node-1", ns: str = "default", **kw) -> Pod:
    labels = kw.pop("labels", {"app": "web"})
    return Pod(ns, name, labels=labels, node_name=node, ip=IPv4Address(ip), **kw)


def web_service(**kw) -> Service:
    kw.setdefault("ports", (ServicePort(80, name="http", target_port=8080),))
    kw.setdefault("cluster_ip", IPv4Address("10.96.100.10"))
    return Service("default", "web", selector={"app": "web"}, **kw)


def cluster(*pods: Pod, services=(), slices=(), faults: Faults | None = None,
            nodes=NODES) -> Cluster:
    return Cluster(config=ClusterConfig(faults=faults or Faults()), nodes=nodes, pods=pods,
                   services=tuple(services), endpoint_slices=tuple(slices))


def all_eps(slices) -> list[Endpoint]:
    return [ep for s in slices for ep in s.endpoints]


def test_selector_picks_matching_pods_in_same_namespace_only():
    svc = web_service()
    c = cluster(pod("a", "10.244.1.5"), pod("b", "10.244.2.7", "node-2"),
                pod("other-ns", "10.244.1.6", ns="prod"),
                pod("db", "10.244.1.8", labels={"app": "db"}),
                pod("noip", "10.244.1.9").__class__("default", "noip", labels={"app": "web"}),
                pod("done", "10.244.1.10", phase="Succeeded"),
                pod("failed", "10.244.1.11", phase="Failed"))
    slices = slices_for(c, svc)
    assert [ep.target_pod for ep in all_eps(slices)] == ["default/a", "default/b"]
    (s,) = slices
    assert s.ports == (EndpointPort(8080, "TCP", "http"),)
    assert s.service_name == "web" and s.managed and s.address_type == "IPv4"
    assert s.endpoints[1].node_name == "node-2"
    assert s.endpoints[0].addresses == ("10.244.1.5",)


def test_conditions_ready_serving_terminating():
    svc = web_service()
    c = cluster(pod("ok", "10.244.1.5"), pod("unready", "10.244.1.6", ready=False),
                pod("term", "10.244.1.7", terminating=True),
                pod("term-unready", "10.244.1.8", terminating=True, ready=False))
    eps = {ep.target_pod: (ep.ready, ep.serving, ep.terminating)
           for ep in all_eps(slices_for(c, svc))}
    assert eps == {
        "default/ok": (True, True, False),
        "default/unready": (False, False, False),
        "default/term": (False, True, True),
        "default/term-unready": (False, False, True),
    }


def test_publish_not_ready_addresses_makes_every_endpoint_ready():
    svc = web_service(publish_not_ready_addresses=True)
    c = cluster(pod("unready", "10.244.1.6", ready=False),
                pod("term", "10.244.1.7", terminating=True))
    eps = all_eps(slices_for(c, svc))
    assert [(e.ready, e.serving, e.terminating) for e in eps] == [
        (True, False, False), (True, True, True)]


def test_hostname_only_when_subdomain_equals_service_name():
    svc = web_service()
    c = cluster(pod("a", "10.244.1.5", hostname="a0", subdomain="web"),
                pod("b", "10.244.1.6", hostname="b0", subdomain="other"),
                pod("c", "10.244.1.7", subdomain="web"))
    assert [e.hostname for e in all_eps(slices_for(c, svc))] == ["a0", "", ""]


def named_pod(name: str, ip: str, number: int | None, proto: str = "TCP") -> Pod:
    ports = (ContainerPort(number, proto, "http"),) if number else ()
    return pod(name, ip, containers=(Container("app", ports=ports),))


def test_named_target_port_resolved_per_pod_and_grouped_into_slices():
    svc = web_service(ports=(ServicePort(80, name="http", target_port="http"),
                             ServicePort(9090, name="metrics", target_port=9090)))
    c = cluster(named_pod("old", "10.244.1.5", 8080), named_pod("new", "10.244.1.6", 8081),
                named_pod("none", "10.244.1.7", None),
                named_pod("udp", "10.244.1.8", 8080, proto="UDP"))
    slices = slices_for(c, svc)
    by_ports = {s.ports: [e.target_pod for e in s.endpoints] for s in slices}
    http = lambda n: EndpointPort(n, "TCP", "http")  # noqa: E731
    metrics = EndpointPort(9090, "TCP", "metrics")
    assert by_ports == {
        (http(8080), metrics): ["default/old"],
        (http(8081), metrics): ["default/new"],
        (metrics,): ["default/none", "default/udp"],  # no TCP port named http
    }
    idx = EndpointIndex.build(replace(c, services=(svc,)))
    assert [b.endpoint for b in idx.ready_endpoints(svc, svc.ports[0])] == [
        "10.244.1.5:8080", "10.244.1.6:8081"]
    assert len(idx.ready_endpoints(svc, svc.ports[1])) == 4


def test_numeric_target_port_needs_no_container_port_and_defaults_to_port():
    svc = web_service(ports=(ServicePort(80, target_port=0),))
    (s,) = slices_for(cluster(pod("a", "10.244.1.5")), svc)
    assert s.ports == (EndpointPort(80, "TCP", ""),)


def test_at_most_100_endpoints_per_slice_with_stable_names():
    pods = [pod(f"p{i}", f"10.244.{1 + i // 200}.{1 + i % 200}") for i in range(250)]
    svc = web_service()
    slices = slices_for(cluster(*pods), svc)
    assert [len(s.endpoints) for s in slices] == [100, 100, 50]
    names = [s.name for s in slices]
    assert len(set(names)) == 3
    assert all(n.startswith("web-") and len(n) == len("web-") + 5 for n in names)
    assert all(ch in "bcdfghjklmnpqrstvwxz2456789" for n in names for ch in n[4:])
    assert names == [s.name for s in slices_for(cluster(*pods), svc)]


def test_long_service_name_is_cut_like_generate_name():
    svc = replace(web_service(), name="x" * 63)
    (s,) = slices_for(cluster(), svc)
    # generateName "<svc>-" is cut to 58 characters first, so the dash is lost
    assert len(s.name) == 63 and s.name.startswith("x" * 58) and "-" not in s.name


def test_selector_matching_nothing_gets_an_empty_placeholder_slice():
    (s,) = slices_for(cluster(), web_service())
    assert s.endpoints == () and s.ports == ()


def test_headless_gets_slices_and_label_externalname_gets_none():
    headless = web_service(headless=True, cluster_ip=None)
    assert len(all_eps(slices_for(cluster(pod("a", "10.244.1.5")), headless))) == 1
    assert slice_labels(headless) == {
        LABEL_MANAGED_BY: "endpointslice-controller.k8s.io",
        LABEL_SERVICE_NAME: "web",
        LABEL_HEADLESS: "",
    }
    ext = Service("default", "ext", type="ExternalName", external_name="db.example.com")
    assert slices_for(cluster(pod("a", "10.244.1.5")), ext) == ()


def test_slice_labels_copy_service_labels():
    svc = web_service(labels={"team": "a", LABEL_SERVICE_NAME: "spoof"})
    assert slice_labels(svc) == {
        LABEL_MANAGED_BY: "endpointslice-controller.k8s.io",
        LABEL_SERVICE_NAME: "web",
        "team": "a",
    }


def test_selectorless_service_uses_user_slices():
    svc = Service("default", "ext-db", ports=(ServicePort(5432, name="pg"),),
                  cluster_ip=IPv4Address("10.96.50.5"))
    user = EndpointSlice("default", "ext-db-1", "ext-db",
                         endpoints=(Endpoint(("192.168.56.77",)),),
                         ports=(EndpointPort(5432, "TCP", "pg"),))
    other = replace(user, name="x", service_name="other")
    c = cluster(pod("a", "10.244.1.5"), services=[svc], slices=[user, other])
    assert slices_for(c, svc) == (user,)
    (b,) = EndpointIndex.build(c).ready_endpoints(svc, svc.ports[0])
    assert (b.label, b.pod_key, b.node_name) == ("192.168.56.77:5432", "", None)
    assert slices_for(c, replace(svc, selector={})) == (user,)


def test_managed_user_slices_are_replaced_by_the_controller():
    svc = web_service()
    stale = EndpointSlice("default", "web-old", "web", endpoints=(Endpoint(("10.244.9.9",)),),
                          ports=(EndpointPort(8080, "TCP", "http"),), managed=True)
    c = cluster(pod("a", "10.244.1.5"), services=[svc], slices=[stale])
    assert [e.addresses for e in all_eps(slices_for(c, svc))] == [("10.244.1.5",)]


def test_node_down_or_not_ready_marks_its_pods_endpoints_not_ready():
    svc = web_service()
    pods = (pod("a", "10.244.1.5"), pod("b", "10.244.2.7", "node-2"))
    down = cluster(*pods, services=[svc], faults=Faults(nodes_down=frozenset({"node-2"})))
    notready_nodes = (NODES[0], replace(NODES[1], ready=False))
    notready = cluster(*pods, services=[svc], nodes=notready_nodes)
    for c in (down, notready):
        eps = all_eps(slices_for(c, svc))
        assert [(e.target_pod, e.ready, e.serving) for e in eps] == [
            ("default/a", True, True), ("default/b", False, False)]
        assert [b.pod_key for b in EndpointIndex.build(c).ready_endpoints(svc, svc.ports[0])] == [
            "default/a"]


def test_ready_endpoints_sorted_by_ip_port_string():
    svc = web_service()
    c = cluster(pod("a", "10.244.1.9"), pod("b", "10.244.2.7", "node-2"), pod("c", "10.244.1.10"),
                services=[svc])
    got = EndpointIndex.build(c).ready_endpoints(svc, svc.ports[0])
    assert [b.endpoint for b in got] == ["10.244.1.10:8080", "10.244.1.9:8080", "10.244.2.7:8080"]
    assert [b.label for b in got] == ["default/c:8080", "default/a:8080", "default/b:8080"]


def test_terminating_fallback_only_when_nothing_is_ready():
    svc = web_service()
    term = pod("t", "10.244.1.7", terminating=True)
    term_unready = pod("tu", "10.244.1.8", terminating=True, ready=False)
    idx = EndpointIndex.build(cluster(term, term_unready, services=[svc]))
    assert [b.pod_key for b in idx.ready_endpoints(svc, svc.ports[0])] == ["default/t"]
    idx = EndpointIndex.build(cluster(term, pod("ok", "10.244.1.5"), services=[svc]))
    assert [b.pod_key for b in idx.ready_endpoints(svc, svc.ports[0])] == ["default/ok"]


def test_local_endpoints_fall_back_per_node():
    svc = web_service()
    c = cluster(pod("ready2", "10.244.2.5", "node-2"), pod("term1", "10.244.1.7", terminating=True),
                services=[svc])
    idx = EndpointIndex.build(c)
    local = idx.local_endpoints(svc, svc.ports[0], "node-1")
    assert [b.pod_key for b in local] == ["default/term1"]
    assert [b.pod_key for b in idx.ready_endpoints(svc, svc.ports[0])] == ["default/ready2"]


def test_port_matched_by_name_and_protocol():
    svc = Service("kube-system", "kube-dns", selector={"k8s-app": "kube-dns"},
                  cluster_ip=IPv4Address("10.96.0.10"),
                  ports=(ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53)))
    dns = pod("coredns-1", "10.244.1.2", ns="kube-system", labels={"k8s-app": "kube-dns"})
    idx = EndpointIndex.build(cluster(dns, services=[svc]))
    for sp in svc.ports:
        (b,) = idx.ready_endpoints(svc, sp)
        assert b.endpoint == "10.244.1.2:53"


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.sampled_from(["node-1", "node-2"])),
                max_size=12),
       st.booleans())
def test_ready_endpoints_property(states, publish):
    """Ready set = pods whose endpoint is ready; fallback only when it is empty."""
    pods = [pod(f"p{i}", f"10.244.{1 if n == 'node-1' else 2}.{10 + i}", n, ready=r, terminating=t)
            for i, (r, t, n) in enumerate(states)]
    svc = web_service(publish_not_ready_addresses=publish)
    got = {b.pod_key for b in EndpointIndex.build(cluster(*pods, services=[svc])).ready_endpoints(
        svc, svc.ports[0])}
    ready = {p.key for p in pods if publish or (p.ready and not p.terminating)}
    fallback = {p.key for p in pods if p.ready and p.terminating}
    assert got == (ready or fallback)
