"""CoreDNS answers (dns.md DNS-1 … DNS-8): records, rcodes, TTLs, CNAME chase, PTR."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import dns
from clusterlab.sim.dns import NOERROR, NXDOMAIN, CoreDNS, Upstream, address_from_reverse
from clusterlab.sim.endpoints import EndpointIndex
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Namespace,
    Node,
    Pod,
    Service,
    ServicePort,
)


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


IP = IPv4Address
NODE = Node("node-1", IP("192.168.56.11"), IPv4Network("10.244.1.0/24"))
UPSTREAM = {
    "db.example.com": {"A": ("203.0.113.50",)},
    "alias.example.com": {"CNAME": ("db.example.com",)},
    "example.com": {"A": ("93.184.216.34",), "TTL": ("10",)},
}


def pod(ns: str, name: str, ip: str, labels: dict | None = None, **kw) -> Pod:
    return Pod(ns, name, labels=labels or {}, node_name="node-1", ip=IP(ip), **kw)


HTTP = (ServicePort(80, "TCP", "http", 8080),)


def svc(ns: str, name: str, ip: str | None, selector: dict | None = None,
        ports=HTTP, **kw) -> Service:
    if ip is None and kw.get("type") != "ExternalName":
        kw.setdefault("headless", True)
    return Service(ns, name, selector=selector, ports=ports,
                   cluster_ip=IP(ip) if ip else None, **kw)


def world(pods_mode: str = "insecure", extra_pods=(), extra_services=(),
          **config) -> Cluster:
    """default: web (ClusterIP) and db (headless, 2 ready + 1 not ready); prod: api;
    shop: StatefulSet-style headless `web` with web-0/web-1; kube-system: kube-dns."""
    services = (
        svc("default", "kubernetes", "10.96.0.1", None, (ServicePort(443, "TCP", "https", 6443),)),
        svc("kube-system", "kube-dns", "10.96.0.10", {"k8s-app": "kube-dns"},
            (ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53),
             ServicePort(9153, "TCP", "metrics", 9153))),
        svc("default", "web", "10.96.100.10", {"app": "web"}),
        svc("default", "db", None, {"app": "db"}, (ServicePort(5432, "TCP", "postgres", 5432),)),
        svc("prod", "api", "10.96.100.20", {"app": "api"}),
        svc("shop", "web", None, {"app": "shop-web"}, (ServicePort(80, "TCP", "http", 8080),)),
        svc("default", "empty", None, {"app": "nothing-ready"}),
        svc("default", "ext-db", None, type="ExternalName", external_name="db.example.com",
            ports=()),
        *extra_services,
    )
    pods = (
        pod("kube-system", "coredns-1", "10.244.1.2", {"k8s-app": "kube-dns"}),
        pod("default", "client", "10.244.1.9"),
        pod("default", "web-1", "10.244.1.5", {"app": "web"}),
        pod("default", "db-0", "10.244.1.20", {"app": "db"}),
        pod("default", "db-1", "10.244.1.21", {"app": "db"}),
        pod("default", "db-2", "10.244.1.22", {"app": "db"}, ready=False),
        pod("default", "lazy", "10.244.1.30", {"app": "nothing-ready"}, ready=False),
        pod("prod", "api-1", "10.244.1.40", {"app": "api"}),
        pod("shop", "web-0", "10.244.1.50", {"app": "shop-web"}, hostname="web-0",
            subdomain="web"),
        pod("shop", "web-1", "10.244.1.51", {"app": "shop-web"}, hostname="web-1",
            subdomain="web"),
        *extra_pods,
    )
    namespaces = tuple(Namespace(n) for n in ("default", "kube-system", "kube-public",
                                              "prod", "shop", "empty-ns"))
    cfg = ClusterConfig(dns_pods_mode=pods_mode, dns_upstream=UPSTREAM, **config)
    return Cluster(config=cfg, namespaces=namespaces, nodes=(NODE,), pods=pods,
                   services=services)


@pytest.fixture(scope="module")
def coredns() -> CoreDNS:
    return CoreDNS.build(world())


def ask(coredns: CoreDNS, name: str, qtype: str = "A") -> tuple[str, list[str]]:
    a = coredns.answer(name, qtype)
    return a.rcode, sorted(a.values(qtype))


# --------------------------------------------------------------------------- DNS-3


def test_clusterip_a_record_exact_record(coredns):
    a = coredns.answer("web.default.svc.cluster.local", "A")
    assert [str(r) for r in a.answers] == ["web.default.svc.cluster.local. 30 IN A 10.96.100.10"]
    assert a.authoritative


def test_clusterip_without_ready_endpoints_still_resolves():
    """DNS-3: the ClusterIP answers even with zero endpoints ("DNS works, curl refused")."""
    c = world(extra_services=(svc("default", "idle", "10.96.100.99", {"app": "none"}),))
    assert ask(CoreDNS.build(c), "idle.default.svc.cluster.local") == (NOERROR, ["10.96.100.99"])


def test_kubernetes_and_kube_dns_services(coredns):
    assert ask(coredns, "kubernetes.default.svc.cluster.local") == (NOERROR, ["10.96.0.1"])
    assert ask(coredns, "kube-dns.kube-system.svc.cluster.local") == (NOERROR, ["10.96.0.10"])


# --------------------------------------------------------------------------- DNS-4


def test_headless_answers_ready_endpoint_ips_only(coredns):
    assert ask(coredns, "db.default.svc.cluster.local") == (NOERROR, ["10.244.1.20",
                                                                       "10.244.1.21"])


def test_headless_publish_not_ready_addresses():
    c = world(extra_services=(svc("default", "db-peers", None, {"app": "db"},
                                  (ServicePort(5432, "TCP", "postgres", 5432),),
                                  publish_not_ready_addresses=True),))
    rcode, ips = ask(CoreDNS.build(c), "db-peers.default.svc.cluster.local")
    assert (rcode, ips) == (NOERROR, ["10.244.1.20", "10.244.1.21", "10.244.1.22"])


def test_headless_without_ready_endpoints_is_nxdomain(coredns):
    assert ask(coredns, "empty.default.svc.cluster.local") == (NXDOMAIN, [])


def test_endpoint_dashed_ip_name(coredns):
    assert ask(coredns, "10-244-1-20.db.default.svc.cluster.local") == (NOERROR, ["10.244.1.20"])
    # not ready → not in CoreDNS's endpoints at all
    assert ask(coredns, "10-244-1-22.db.default.svc.cluster.local") == (NXDOMAIN, [])


def test_endpoint_names_under_clusterip_service_too(coredns):
    """DNS-4: CoreDNS answers `<endpoint>.<svc>…` for ClusterIP Services as well."""
    assert ask(coredns, "10-244-1-5.web.default.svc.cluster.local") == (NOERROR, ["10.244.1.5"])


def test_hostname_subdomain_record(coredns):
    assert ask(coredns, "web-0.web.shop.svc.cluster.local") == (NOERROR, ["10.244.1.50"])
    assert ask(coredns, "WEB-1.Web.Shop.svc.cluster.local") == (NOERROR, ["10.244.1.51"])


def test_endpoint_with_hostname_only_reachable_by_hostname(coredns):
    assert ask(coredns, "10-244-1-50.web.shop.svc.cluster.local") == (NXDOMAIN, [])


@pytest.mark.parametrize("case", ["no-service", "other-subdomain", "not-selected", "not-ready",
                                  "no-hostname"])
def test_hostname_subdomain_needs_matching_service_selecting_ready_pod(case):
    """DNS-4: `<hostname>.<subdomain>` exists only when a Service named like the subdomain
    selects the pod and the pod is ready; a subdomain alone gives no own record."""
    p = pod("shop", "cache-0", "10.244.1.60", {"app": "cache"}, hostname="cache-0",
            subdomain="cache")
    services = (svc("shop", "cache", None, {"app": "cache"}),)
    if case == "no-service":
        services = ()
    elif case == "other-subdomain":
        p = replace(p, subdomain="elsewhere")
    elif case == "not-selected":
        services = (svc("shop", "cache", None, {"app": "other"}),)
    elif case == "not-ready":
        p = replace(p, ready=False)
    elif case == "no-hostname":
        p = replace(p, hostname="")
    c = world(extra_pods=(p,), extra_services=services)
    d = CoreDNS.build(c)
    assert ask(d, "cache-0.cache.shop.svc.cluster.local") == (NXDOMAIN, [])
    if case in ("other-subdomain", "no-hostname"):  # still an endpoint: by dashed IP
        assert ask(d, "10-244-1-60.cache.shop.svc.cluster.local") == (NOERROR, ["10.244.1.60"])


def test_hostname_subdomain_positive_control():
    p = pod("shop", "cache-0", "10.244.1.60", {"app": "cache"}, hostname="cache-0",
            subdomain="cache")
    c = world(extra_pods=(p,), extra_services=(svc("shop", "cache", None, {"app": "cache"}),))
    assert ask(CoreDNS.build(c), "cache-0.cache.shop.svc.cluster.local") == (NOERROR,
                                                                             ["10.244.1.60"])


def test_pod_names_never_create_records(coredns):
    assert ask(coredns, "web-1.default.svc.cluster.local") == (NXDOMAIN, [])
    assert ask(coredns, "db-0.db.default.svc.cluster.local") == (NXDOMAIN, [])


def test_selectorless_service_uses_user_slices():
    s = svc("default", "legacy", None, None, (ServicePort(5432, "TCP", "pg", 5432),))
    es = EndpointSlice("default", "legacy-1", "legacy",
                       endpoints=(Endpoint(("192.168.56.77",)),
                                  Endpoint(("192.168.56.78",), ready=False)),
                       ports=(EndpointPort(5432, "TCP", "pg"),))
    c = replace(world(extra_services=(s,)), endpoint_slices=(es,))
    assert ask(CoreDNS.build(c), "legacy.default.svc.cluster.local") == (NOERROR,
                                                                         ["192.168.56.77"])


def test_build_with_endpoint_index_gives_same_answers():
    c = world()
    a, b = CoreDNS.build(c), CoreDNS.build(c, EndpointIndex.build(c))
    for name in ("db.default.svc.cluster.local", "web-0.web.shop.svc.cluster.local",
                 "20.1.244.10.in-addr.arpa"):
        qtype = "PTR" if name.endswith("arpa") else "A"
        assert a.answer(name, qtype) == b.answer(name, qtype)


# --------------------------------------------------------------------------- DNS-5


def test_srv_clusterip_named_port(coredns):
    a = coredns.answer("_http._tcp.web.default.svc.cluster.local", "SRV")
    assert [str(r) for r in a.answers] == [
        "_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 "
        "web.default.svc.cluster.local."]
    assert [str(r) for r in a.additional] == [
        "web.default.svc.cluster.local. 30 IN A 10.96.100.10"]


def test_srv_headless_one_per_ready_endpoint_with_endpoint_port(coredns):
    a = coredns.answer("_http._tcp.web.shop.svc.cluster.local", "SRV")
    assert sorted(a.values()) == [
        "0 50 8080 web-0.web.shop.svc.cluster.local.",
        "0 50 8080 web-1.web.shop.svc.cluster.local."]  # targetPort 8080, not port 80
    assert sorted(r.data for r in a.additional) == ["10.244.1.50", "10.244.1.51"]


@pytest.mark.parametrize(("n", "weight"), [(1, 100), (2, 50), (3, 33), (7, 14)])
def test_srv_weights(n, weight):
    """DNS-5: priority 0, weight ⌊100/n⌋."""
    pods = tuple(pod("default", f"q-{i}", f"10.244.1.{100 + i}", {"app": "q"})
                 for i in range(n))
    c = world(extra_pods=pods, extra_services=(
        svc("default", "q", None, {"app": "q"}, (ServicePort(5672, "TCP", "amqp", 5672),)),))
    values = CoreDNS.build(c).answer("_amqp._tcp.q.default.svc.cluster.local", "SRV").values()
    assert len(values) == n
    assert {v.split()[:3] == ["0", str(weight), "5672"] for v in values} == {True}


def test_srv_without_port_labels_lists_every_port(coredns):
    values = coredns.answer("kube-dns.kube-system.svc.cluster.local", "SRV").values()
    # dns/UDP and dns-tcp/TCP share target and port: one record survives; weight counts 3
    assert sorted(values) == ["0 33 53 kube-dns.kube-system.svc.cluster.local.",
                              "0 33 9153 kube-dns.kube-system.svc.cluster.local."]


@pytest.mark.parametrize("name", [
    "_https._tcp.web.default.svc.cluster.local",  # no such port name
    "_http._udp.web.default.svc.cluster.local",  # protocol mismatch
    "_postgres._tcp.ext-db.default.svc.cluster.local",  # ExternalName (DNS-6)
])
def test_srv_unknown_port_or_protocol_is_nxdomain(coredns, name):
    assert coredns.answer(name, "SRV").rcode == NXDOMAIN


def test_srv_protocol_is_case_insensitive(coredns):
    assert coredns.answer("_HTTP._TCP.web.default.svc.cluster.local", "SRV").values() == [
        "0 100 80 web.default.svc.cluster.local."]


# --------------------------------------------------------------------------- DNS-6


def test_externalname_cname_query(coredns):
    a = coredns.answer("ext-db.default.svc.cluster.local", "CNAME")
    assert [str(r) for r in a.answers] == [
        "ext-db.default.svc.cluster.local. 30 IN CNAME db.example.com."]


def test_externalname_a_is_chased_through_upstream(coredns):
    a = coredns.answer("ext-db.default.svc.cluster.local", "A")
    assert [str(r) for r in a.answers] == [
        "ext-db.default.svc.cluster.local. 30 IN CNAME db.example.com.",
        "db.example.com. 30 IN A 203.0.113.50"]
    assert a.authoritative and a.cname == ("db.example.com",)


def test_externalname_upstream_cname_chain():
    c = world(extra_services=(svc("default", "alias", None, type="ExternalName",
                                  external_name="alias.example.com", ports=()),))
    a = CoreDNS.build(c).answer("alias.default.svc.cluster.local", "A")
    assert a.cname == ("alias.example.com", "db.example.com")
    assert a.values() == ["203.0.113.50"]


def test_externalname_in_zone_target_chased_from_own_data():
    c = world(extra_services=(svc("default", "front", None, type="ExternalName",
                                  external_name="api.prod.svc.cluster.local", ports=()),))
    a = CoreDNS.build(c).answer("front.default.svc.cluster.local", "A")
    assert [str(r) for r in a.answers] == [
        "front.default.svc.cluster.local. 30 IN CNAME api.prod.svc.cluster.local.",
        "api.prod.svc.cluster.local. 30 IN A 10.96.100.20"]


def test_externalname_to_missing_in_zone_target_is_nodata():
    """backend_lookup.go adds the CNAME only when the in-zone chase found records."""
    c = world(extra_services=(svc("default", "gone", None, type="ExternalName",
                                  external_name="nope.prod.svc.cluster.local", ports=()),))
    a = CoreDNS.build(c).answer("gone.default.svc.cluster.local", "A")
    assert (a.rcode, a.answers, a.nodata) == (NOERROR, (), True)


def test_externalname_to_unknown_external_host_keeps_cname_only():
    c = world(extra_services=(svc("default", "dangling", None, type="ExternalName",
                                  external_name="gone.example.net", ports=()),))
    a = CoreDNS.build(c).answer("dangling.default.svc.cluster.local", "A")
    assert a.rcode == NOERROR and a.cname == ("gone.example.net",) and a.values() == []


def test_externalname_ip_value_has_no_record():
    c = world(extra_services=(svc("default", "by-ip", None, type="ExternalName",
                                  external_name="203.0.113.9", ports=()),))
    assert ask(CoreDNS.build(c), "by-ip.default.svc.cluster.local") == (NXDOMAIN, [])


def test_externalname_loop_terminates():
    c = world(extra_services=(
        svc("default", "ping", None, type="ExternalName",
            external_name="pong.default.svc.cluster.local", ports=()),
        svc("default", "pong", None, type="ExternalName",
            external_name="ping.default.svc.cluster.local", ports=()),))
    a = CoreDNS.build(c).answer("ping.default.svc.cluster.local", "A")
    assert a.rcode == NOERROR and a.values() == []


# --------------------------------------------------------------------------- DNS-7


def test_pods_insecure_answers_any_ip_in_existing_namespace(coredns):
    assert ask(coredns, "1-2-3-4.default.pod.cluster.local") == (NOERROR, ["1.2.3.4"])
    assert ask(coredns, "10-244-1-9.default.pod.cluster.local") == (NOERROR, ["10.244.1.9"])


def test_pods_insecure_missing_namespace_or_not_an_ip(coredns):
    assert ask(coredns, "1-2-3-4.nosuchns.pod.cluster.local") == (NXDOMAIN, [])
    assert ask(coredns, "client.default.pod.cluster.local") == (NXDOMAIN, [])
    assert ask(coredns, "1-2-3-400.default.pod.cluster.local") == (NXDOMAIN, [])


def test_pods_verified_needs_pod_with_that_ip_in_that_namespace():
    d = CoreDNS.build(world("verified"))
    assert ask(d, "10-244-1-9.default.pod.cluster.local") == (NOERROR, ["10.244.1.9"])
    assert ask(d, "1-2-3-4.default.pod.cluster.local") == (NXDOMAIN, [])
    assert ask(d, "10-244-1-9.prod.pod.cluster.local") == (NXDOMAIN, [])


def test_pods_disabled():
    d = CoreDNS.build(world("disabled"))
    assert ask(d, "10-244-1-9.default.pod.cluster.local") == (NXDOMAIN, [])


# --------------------------------------------------------------------------- DNS-8


@pytest.mark.parametrize(("name", "qtype", "rcode", "has_answers"), [
    ("web.default.svc.cluster.local", "A", NOERROR, True),  # existing Service
    ("web.default.svc.cluster.local", "AAAA", NOERROR, False),  # other type: NODATA
    ("web.default.svc.cluster.local", "TXT", NOERROR, False),
    ("cluster.local", "A", NOERROR, False),  # apex
    ("svc.cluster.local", "A", NOERROR, False),
    ("pod.cluster.local", "A", NOERROR, False),
    ("default.svc.cluster.local", "A", NOERROR, False),  # existing namespace
    ("empty-ns.svc.cluster.local", "A", NOERROR, False),
    ("nosuchns.svc.cluster.local", "A", NXDOMAIN, False),  # namespace does not exist
    ("web.nosuchns.svc.cluster.local", "A", NXDOMAIN, False),
    ("nope.default.svc.cluster.local", "A", NXDOMAIN, False),  # Service does not exist
    ("empty.default.svc.cluster.local", "A", NXDOMAIN, False),  # headless, none ready
    ("foo.cluster.local", "A", NXDOMAIN, False),  # last label not svc/pod
    ("a.b.c.web.default.svc.cluster.local", "A", NXDOMAIN, False),  # too many labels
    ("_nope._tcp.web.default.svc.cluster.local", "SRV", NXDOMAIN, False),
    ("example.com", "A", NOERROR, True),  # outside the zone: the upstream
    ("nope.example.com", "A", NXDOMAIN, False),
])
def test_dns8_rcode_table(coredns, name, qtype, rcode, has_answers):
    a = coredns.answer(name, qtype)
    assert (a.rcode, bool(a.answers)) == (rcode, has_answers)
    assert a.nodata == (rcode == NOERROR and not has_answers)


def test_authoritative_inside_zone_only(coredns):
    assert coredns.answer("nope.default.svc.cluster.local").authoritative
    assert not coredns.answer("example.com").authoritative
    assert not coredns.answer("nope.example.com").authoritative


def test_srv_form_name_answers_a_query_too(coredns):
    """CoreDNS parses `_port._proto.svc…` for every type; an A query gets the ClusterIP."""
    assert ask(coredns, "_http._tcp.web.default.svc.cluster.local") == (NOERROR,
                                                                        ["10.96.100.10"])


def test_txt_quirks(coredns):
    """TXT: dns-version answers; apex and `<ns>.svc` are NXDOMAIN (no records of any type)."""
    assert coredns.answer("cluster.local", "TXT").rcode == NXDOMAIN
    assert coredns.answer("default.svc.cluster.local", "TXT").rcode == NXDOMAIN
    assert coredns.answer("nope.default.svc.cluster.local", "TXT").rcode == NXDOMAIN


def test_other_types_tell_nxdomain_from_nodata(coredns):
    assert coredns.answer("web.default.svc.cluster.local", "MX").nodata
    assert coredns.answer("nope.default.svc.cluster.local", "MX").rcode == NXDOMAIN


def test_cname_query_on_clusterip_service_is_nodata(coredns):
    assert coredns.answer("web.default.svc.cluster.local", "CNAME").nodata


# --------------------------------------------------------------------------- TXT, TTL, PTR


def test_dns_version_txt_ttl_capped_by_cache(coredns):
    a = coredns.answer("dns-version.cluster.local", "TXT")
    assert [str(r) for r in a.answers] == ['dns-version.cluster.local. 30 IN TXT "1.1.0"']


def test_dns_version_a_query_is_nxdomain(coredns):
    assert coredns.answer("dns-version.cluster.local", "A").rcode == NXDOMAIN


def test_upstream_ttls_capped_at_30_by_coredns_cache(coredns):
    assert [r.ttl for r in coredns.answer("db.example.com").answers] == [30]  # 300 upstream
    assert [r.ttl for r in coredns.answer("example.com").answers] == [10]  # own TTL 10
    assert [r.ttl for r in coredns.upstream.answer("db.example.com").answers] == [300]


def test_ptr_clusterip(coredns):
    a = coredns.answer("10.0.96.10.in-addr.arpa", "PTR")
    assert [str(r) for r in a.answers] == [
        "10.0.96.10.in-addr.arpa. 30 IN PTR kube-dns.kube-system.svc.cluster.local."]


def test_ptr_endpoint_ips(coredns):
    assert coredns.answer("20.1.244.10.in-addr.arpa", "PTR").values() == [
        "10-244-1-20.db.default.svc.cluster.local."]
    assert coredns.answer("50.1.244.10.in-addr.arpa", "PTR").values() == [
        "web-0.web.shop.svc.cluster.local."]
    assert coredns.answer("5.1.244.10.in-addr.arpa", "PTR").values() == [
        "10-244-1-5.web.default.svc.cluster.local."]


def test_ptr_unknown_or_not_ready_falls_through_to_upstream(coredns):
    for name in ("9.1.244.10.in-addr.arpa", "22.1.244.10.in-addr.arpa"):
        a = coredns.answer(name, "PTR")
        assert (a.rcode, a.authoritative) == (NXDOMAIN, False)


def test_ns_dns_name_is_the_dns_service(coredns):
    assert ask(coredns, "ns.dns.cluster.local") == (NOERROR, ["10.96.0.10"])


def test_reverse_name_round_trip():
    assert dns.reverse_name("10.96.0.10") == "10.0.96.10.in-addr.arpa"
    assert address_from_reverse("10.0.96.10.in-addr.arpa.") == "10.96.0.10"
    assert address_from_reverse("0.96.10.in-addr.arpa") == ""


# --------------------------------------------------------------------------- zone, upstream


def test_custom_cluster_domain():
    d = CoreDNS.build(world(cluster_domain="corp.example"))
    assert ask(d, "web.default.svc.corp.example") == (NOERROR, ["10.96.100.10"])
    assert d.answer("web.default.svc.cluster.local").authoritative is False


def test_answer_keeps_query_case_in_owner_and_srv_target(coredns):
    a = coredns.answer("_http._tcp.Web.Default.svc.Cluster.Local.", "SRV")
    assert [str(r) for r in a.answers] == [
        "_http._tcp.Web.Default.svc.Cluster.Local. 30 IN SRV 0 100 80 "
        "web.default.svc.Cluster.Local."]


def test_upstream_table_semantics():
    up = Upstream({"A.Example.": {"cname": "b.example"}, "b.example": {"A": ["1.1.1.1"],
                                                                      "TXT": ["hi"]}})
    a = up.answer("a.EXAMPLE", "A")
    assert [str(r) for r in a.answers] == ["a.EXAMPLE. 300 IN CNAME b.example.",
                                           "b.example. 300 IN A 1.1.1.1"]
    assert up.answer("b.example", "TXT").values() == ['"hi"']
    assert up.answer("b.example", "AAAA").nodata
    assert up.answer("c.example").rcode == NXDOMAIN


def test_upstream_cname_to_nowhere_is_nxdomain_with_chain():
    up = Upstream({"a.example": {"CNAME": ("gone.example",)}})
    a = up.answer("a.example")
    assert a.rcode == NXDOMAIN and a.cname == ("gone.example",)


def test_cluster_dns_ip_and_servers(coredns):
    assert coredns.cluster_dns_ip == "10.96.0.10"
    assert coredns.serves("10.96.0.10") and coredns.serves("10.244.1.2")
    assert not coredns.serves("192.168.56.1")


def test_cluster_dns_ip_fallback_is_tenth_service_address():
    c = world(service_cidr=IPv4Network("10.100.0.0/16"))
    c = replace(c, services=tuple(s for s in c.services if s.name != "kube-dns"))
    assert CoreDNS.build(c).cluster_dns_ip == "10.100.0.10"


def test_named_target_port_resolved_per_pod_in_srv():
    ports = (ServicePort(80, "TCP", "http", "web-port"),)
    p1 = pod("default", "n-1", "10.244.1.70", {"app": "n"},
             containers=(Container("c", ports=(ContainerPort(8080, name="web-port"),)),))
    p2 = pod("default", "n-2", "10.244.1.71", {"app": "n"},
             containers=(Container("c", ports=(ContainerPort(9090, name="web-port"),)),))
    c = world(extra_pods=(p1, p2), extra_services=(svc("default", "n", None, {"app": "n"},
                                                       ports),))
    assert sorted(CoreDNS.build(c).answer("_http._tcp.n.default.svc.cluster.local",
                                          "SRV").values()) == [
        "0 50 8080 10-244-1-70.n.default.svc.cluster.local.",
        "0 50 9090 10-244-1-71.n.default.svc.cluster.local."]


# --------------------------------------------------------------------------- properties

NAMES = [
    ("web.default.svc.cluster.local", "A"), ("db.default.svc.cluster.local", "A"),
    ("web-0.web.shop.svc.cluster.local", "A"), ("_http._tcp.web.shop.svc.cluster.local", "SRV"),
    ("ext-db.default.svc.cluster.local", "A"), ("1-2-3-4.default.pod.cluster.local", "A"),
    ("nope.default.svc.cluster.local", "A"), ("default.svc.cluster.local", "A"),
    ("10.0.96.10.in-addr.arpa", "PTR"), ("example.com", "A"), ("dns-version.cluster.local", "TXT"),
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_names_are_case_insensitive(coredns, case, data):
    name, qtype = case
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    mixed = "".join(c.upper() if f else c for c, f in zip(name, flips, strict=True))
    plain, other = coredns.answer(name, qtype), coredns.answer(mixed, qtype)
    assert other.rcode == plain.rcode
    assert sorted(v.lower() for v in other.values()) == sorted(v.lower() for v in plain.values())
    assert other.authoritative == plain.authoritative
    if not plain.cname:  # owner names echo the question as asked
        assert {r.name for r in other.answers} <= {mixed.rstrip(".") + "."}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=8))
def test_headless_a_answers_exactly_the_ready_pods(readiness):
    pods = tuple(pod("default", f"h-{i}", f"10.244.1.{150 + i}", {"app": "h"}, ready=r)
                 for i, r in enumerate(readiness))
    c = world(extra_pods=pods, extra_services=(svc("default", "h", None, {"app": "h"}),))
    rcode, ips = ask(CoreDNS.build(c), "h.default.svc.cluster.local")
    want = sorted(str(p.ip) for p in pods if p.ready)
    assert (rcode, ips) == ((NOERROR, want) if want else (NXDOMAIN, []))


def test_upstream_overlong_cname_chain_is_servfail():
    table = {f"c{i}.example": {"CNAME": (f"c{i + 1}.example",)} for i in range(12)}
    assert Upstream(table).answer("c0.example").rcode == dns.SERVFAIL
