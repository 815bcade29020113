"""Resolution from a pod: resolv.conf (DNS-9), search walk (DNS-10), glibc vs nslookup,
unreachable DNS (DNS-11) and the console text of nslookup (KCTL-9)."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import dns
from clusterlab.sim.dns import NOERROR, NXDOMAIN, CoreDNS
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Namespace,
    Node,
    Pod,
    PodDNSConfig,
    Service,
    ServicePort,
)
from clusterlab.sim.resolver import (
    REFUSED,
    TIMEOUT,
    ResolvConf,
    dns_unreachable_result,
    format_nslookup,
    gai_error,
    render_resolv_conf,
    resolv_conf,
    resolve,
    search_order,
)


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


IP = IPv4Address
HTTP = (ServicePort(80, "TCP", "http", 8080),)


def _svc(ns: str, name: str, ip: str | None, selector=None, ports=HTTP, **kw) -> Service:
    return Service(ns, name, selector=selector, ports=ports,
                   cluster_ip=IP(ip) if ip else None, headless=ip is None and
                   kw.get("type") != "ExternalName", **kw)


def _pod(ns: str, name: str, ip: str, labels=None, **kw) -> Pod:
    return Pod(ns, name, labels=labels or {}, node_name="node-1", ip=IP(ip), **kw)


def world(**config) -> Cluster:
    """DNS-10's cluster: `web` in default, `api` in prod, plus kubernetes/kube-dns, a headless
    `db` and ExternalNames `ext-db` (→ db.example.com) and `gone` (→ a missing Service)."""
    services = (
        _svc("default", "kubernetes", "10.96.0.1", ports=(ServicePort(443, "TCP", "https", 6443),)),
        _svc("kube-system", "kube-dns", "10.96.0.10", {"k8s-app": "kube-dns"},
             (ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53))),
        _svc("default", "web", "10.96.100.10", {"app": "web"}),
        _svc("prod", "api", "10.96.100.20", {"app": "api"}),
        _svc("default", "db", None, {"app": "db"}, (ServicePort(5432, "TCP", "postgres", 5432),)),
        _svc("default", "ext-db", None, type="ExternalName", external_name="db.example.com",
             ports=()),
        _svc("default", "gone", None, type="ExternalName",
             external_name="nope.prod.svc.cluster.local", ports=()),
    )
    pods = (
        _pod("kube-system", "coredns-1", "10.244.1.2", {"k8s-app": "kube-dns"},
             dns_policy="Default"),
        _pod("default", "client", "10.244.1.9"),
        _pod("default", "web-1", "10.244.1.5", {"app": "web"}),
        _pod("default", "db-0", "10.244.1.20", {"app": "db"}),
        _pod("default", "db-1", "10.244.1.21", {"app": "db"}),
        _pod("shop", "shopper", "10.244.1.30"),
        _pod("default", "hostnet", "192.168.56.11", host_network=True),
        _pod("default", "hostnet-cf", "192.168.56.11", host_network=True,
             dns_policy="ClusterFirstWithHostNet"),
        _pod("default", "plain", "10.244.1.40", dns_policy="Default"),
    )
    config.setdefault("dns_upstream", {
        "db.example.com": {"A": ("203.0.113.50",)},
        "example.com": {"A": ("93.184.216.34",)},
        "dual.example.com": {"A": ("203.0.113.7",), "AAAA": ("2001:db8::7",)},
    })
    config.setdefault("node_nameservers", ("192.168.56.1",))
    return Cluster(
        config=ClusterConfig(**config),
        namespaces=tuple(Namespace(n) for n in ("default", "kube-system", "prod", "shop")),
        nodes=(Node("node-1", IP("192.168.56.11"), IPv4Network("10.244.1.0/24")),),
        pods=pods, services=services)


CLUSTER = world()
COREDNS = CoreDNS.build(CLUSTER)
CLIENT = CLUSTER.find_pod("default/client")


def walk(name: str, qtype: str = "A", client: str = "glibc", pod: Pod = CLIENT,
         cluster: Cluster = CLUSTER, coredns: CoreDNS = COREDNS):
    return resolve(cluster, coredns, pod, name, qtype, client)


# --------------------------------------------------------------------------- DNS-9


def test_cluster_first_resolv_conf_text():
    shopper = CLUSTER.find_pod("shop/shopper")
    assert render_resolv_conf(CLUSTER, shopper) == (
        "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5\n")


def test_cluster_first_appends_node_search_domains_deduplicated():
    c = world(node_search=("lab.example", "cluster.local"))
    conf = resolv_conf(c, c.find_pod("shop/shopper"))
    assert conf.search == ("shop.svc.cluster.local", "svc.cluster.local", "cluster.local",
                           "lab.example")
    assert conf.nameservers == ("10.96.0.10",) and conf.ndots == 5


def test_host_network_with_cluster_first_behaves_like_default():
    c = world(node_search=("lab.example",))
    assert render_resolv_conf(c, c.find_pod("default/hostnet")) == (
        "search lab.example\n"
        "nameserver 192.168.56.1\n")


def test_cluster_first_with_host_net():
    assert render_resolv_conf(CLUSTER, CLUSTER.find_pod("default/hostnet-cf")) == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5\n")


def test_default_policy_copies_the_node():
    assert render_resolv_conf(CLUSTER, CLUSTER.find_pod("default/plain")) == (
        "nameserver 192.168.56.1\n")


def test_none_policy_uses_dns_config_only():
    """The dns-pod-service.md example, in containerd's line order."""
    p = replace(CLIENT, dns_policy="None", dns_config=PodDNSConfig(
        nameservers=("192.0.2.1",),
        searches=("ns1.svc.cluster-domain.example", "my.dns.search.suffix"),
        options=(("ndots", "2"), ("edns0", None))))
    assert render_resolv_conf(resolv_conf(CLUSTER, p)) == (
        "search ns1.svc.cluster-domain.example my.dns.search.suffix\n"
        "nameserver 192.0.2.1\n"
        "options ndots:2 edns0\n")


def test_cluster_first_merges_dns_config():
    p = replace(CLIENT, dns_config=PodDNSConfig(
        nameservers=("192.0.2.1", "10.96.0.10"), searches=("corp.example",),
        options=(("ndots", "2"), ("timeout", "1"))))
    conf = resolv_conf(CLUSTER, p)
    assert conf.nameservers == ("10.96.0.10", "192.0.2.1")
    assert conf.search == ("default.svc.cluster.local", "svc.cluster.local", "cluster.local",
                           "corp.example")
    assert conf.options == ("ndots:2", "timeout:1") and conf.ndots == 2


def test_limits_nameservers_and_search():
    p = replace(CLIENT, dns_policy="None", dns_config=PodDNSConfig(
        nameservers=("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"),
        searches=tuple(f"d{i}.example" for i in range(40))))
    conf = resolv_conf(CLUSTER, p)
    assert conf.nameservers == ("192.0.2.1", "192.0.2.2", "192.0.2.3")
    assert len(conf.search) == 32 and conf.search[-1] == "d31.example"


def test_search_line_cut_to_2048_characters():
    long = tuple(("x" * 60) + f".d{i:02d}.example" for i in range(31))
    p = replace(CLIENT, dns_policy="None", dns_config=PodDNSConfig(
        nameservers=("192.0.2.1",), searches=long))
    conf = resolv_conf(CLUSTER, p)
    assert len(" ".join(conf.search)) <= 2048
    assert conf.search == long[: len(conf.search)] and len(conf.search) < 31


def test_cluster_dns_fallback_when_kube_dns_missing():
    c = world(service_cidr=IPv4Network("10.100.0.0/16"))
    c = replace(c, services=tuple(s for s in c.services if s.name != "kube-dns"))
    assert resolv_conf(c, CLIENT).nameservers == ("10.100.0.10",)


def test_ndots_parsing():
    assert ResolvConf().ndots == 1
    assert ResolvConf(options=("ndots:5", "ndots:3")).ndots == 3
    assert ResolvConf(options=("ndots:99",)).ndots == 15


# --------------------------------------------------------------------------- DNS-10 walks

SEARCH = ("default.svc.cluster.local", "svc.cluster.local", "cluster.local")


@pytest.mark.parametrize(("typed", "tried", "rcode", "answers"), [
    ("web", ["web.default.svc.cluster.local"], NOERROR, ["10.96.100.10"]),
    ("api", ["api.default.svc.cluster.local", "api.svc.cluster.local", "api.cluster.local",
             "api"], NXDOMAIN, []),
    ("api.prod", ["api.prod.default.svc.cluster.local", "api.prod.svc.cluster.local"],
     NOERROR, ["10.96.100.20"]),
    ("api.prod.svc", ["api.prod.svc.default.svc.cluster.local", "api.prod.svc.svc.cluster.local",
                      "api.prod.svc.cluster.local"], NOERROR, ["10.96.100.20"]),
    ("api.prod.svc.cluster.local", [
        "api.prod.svc.cluster.local.default.svc.cluster.local",
        "api.prod.svc.cluster.local.svc.cluster.local",
        "api.prod.svc.cluster.local.cluster.local", "api.prod.svc.cluster.local"],
     NOERROR, ["10.96.100.20"]),
    ("api.prod.svc.cluster.local.", ["api.prod.svc.cluster.local"], NOERROR, ["10.96.100.20"]),
    ("kubernetes.default", ["kubernetes.default.default.svc.cluster.local",
                            "kubernetes.default.svc.cluster.local"], NOERROR, ["10.96.0.1"]),
    ("example.com", ["example.com.default.svc.cluster.local", "example.com.svc.cluster.local",
                     "example.com.cluster.local", "example.com"], NOERROR, ["93.184.216.34"]),
])
@pytest.mark.parametrize("client", ["glibc", "nslookup"])
def test_dns10_worked_walks(typed, tried, rcode, answers, client):
    r = walk(typed, client=client)
    assert r.to_dict() == {"rcode": rcode, "answers": answers, "cname": None, "tried": tried}
    assert r.server == "10.96.0.10"


def test_headless_and_externalname_through_the_walk():
    r = walk("db")
    assert (r.rcode, sorted(r.answers)) == (NOERROR, ["10.244.1.20", "10.244.1.21"])
    r = walk("ext-db")
    assert r.to_dict() == {"rcode": NOERROR, "answers": ["203.0.113.50"],
                           "cname": "db.example.com", "tried": ["ext-db.default.svc.cluster.local"]}
    assert r.canonical_name == "db.example.com"
    assert walk("web").canonical_name == "web.default.svc.cluster.local"


def test_srv_and_cname_answers_as_strings():
    assert walk("_http._tcp.web", "SRV").answers == ("0 100 80 web.default.svc.cluster.local.",)
    assert walk("ext-db", "CNAME").answers == ("db.example.com.",)


def test_glibc_continues_after_nodata_nslookup_stops():
    g, n = walk("web", "TXT"), walk("web", "TXT", "nslookup")
    assert g.to_dict() == {"rcode": NOERROR, "answers": [], "cname": None, "tried": [
        "web.default.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"]}
    assert g.nodata  # nothing answered, one step was NODATA → "no data", not NXDOMAIN
    assert n.to_dict() == {"rcode": NOERROR, "answers": [], "cname": None,
                           "tried": ["web.default.svc.cluster.local"]}


def test_a_nodata_from_externalname_to_missing_service():
    assert walk("gone").tried == ("gone.default.svc.cluster.local", "gone.svc.cluster.local",
                                  "gone.cluster.local", "gone")
    assert walk("gone").nodata
    assert walk("gone", client="nslookup").tried == ("gone.default.svc.cluster.local",)


def test_many_dots_go_as_is_first_glibc_then_search_nslookup_not():
    name = "a.b.c.d.e.f"  # 5 dots ≥ ndots:5
    g = walk(name)
    assert g.tried == (name, *(f"{name}.{d}" for d in SEARCH)) and g.rcode == NXDOMAIN
    assert walk(name, client="nslookup").tried == (name,)


def test_as_is_first_nodata_is_the_result():
    """glibc returns the as-is query's status when that went first (saved_herrno)."""
    r = walk("_http._tcp.web.default.svc.cluster.local", "TXT")
    assert r.rcode == NOERROR and r.nodata and len(r.tried) == 4


def test_ndots_from_dns_config_changes_the_order():
    p = replace(CLIENT, dns_config=PodDNSConfig(options=(("ndots", "1"),)))
    r = walk("api.prod", pod=p)
    assert r.tried == ("api.prod", "api.prod.default.svc.cluster.local",
                       "api.prod.svc.cluster.local")
    assert r.answers == ("10.96.100.20",)


def test_default_policy_pod_asks_the_node_resolver_only():
    plain = CLUSTER.find_pod("default/plain")
    r = walk("web.default.svc.cluster.local", pod=plain)
    assert (r.rcode, r.server, r.tried) == (NXDOMAIN, "192.168.56.1",
                                            ("web.default.svc.cluster.local",))
    r = walk("example.com", pod=plain)
    assert r.answers == ("93.184.216.34",) and r.response.answers[0].ttl == 300


def test_ip_literal_needs_no_dns_for_glibc_and_is_ptr_for_nslookup():
    r = walk("10.96.100.10")
    assert r.to_dict() == {"rcode": NOERROR, "answers": ["10.96.100.10"], "cname": None,
                           "tried": []}
    r = walk("10.96.0.10", client="nslookup")
    assert r.qtype == "PTR" and r.tried == ("10.0.96.10.in-addr.arpa",)
    assert r.answers == ("kube-dns.kube-system.svc.cluster.local.",)
    assert walk("10.244.1.20", "PTR").to_dict() == {
        "rcode": NOERROR, "answers": ["10-244-1-20.db.default.svc.cluster.local."],
        "cname": None, "tried": ["20.1.244.10.in-addr.arpa"]}


def test_case_of_typed_name_is_kept_in_tried():
    r = walk("Web")
    assert r.tried == ("Web.default.svc.cluster.local",) and r.answers == ("10.96.100.10",)


# --------------------------------------------------------------------------- search_order


def test_search_order_basics():
    assert search_order("web", SEARCH, 5) == [
        "web.default.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"]
    assert search_order("web.", SEARCH, 5) == ["web"]
    assert search_order("a.b", SEARCH, 1) == ["a.b", *(f"a.b.{d}" for d in SEARCH)]
    assert search_order("web", (), 5) == ["web"]
    assert search_order("web", ("corp.example.", "."), 5) == ["web.corp.example", "web"]


LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=7).map(".".join),
       st.lists(DOMAIN, max_size=6), st.integers(min_value=0, max_value=15), st.booleans())
def test_search_order_property(name, search, ndots, absolute):
    typed = name + "." if absolute else name
    order = search_order(typed, search, ndots)
    if absolute:
        assert order == [name]
        return
    expanded = [f"{name}.{d}" for d in search]
    if name.count(".") >= ndots:
        assert order == [name, *expanded]
    else:
        assert order == [*expanded, name]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["web", "api", "api.prod", "db", "ext-db", "gone", "kubernetes.default",
                        "example.com", "nope.example.com", "x.y.z.q.w.e"]),
       st.sampled_from(["A", "SRV", "TXT", "AAAA"]), st.sampled_from(["glibc", "nslookup"]))
def test_tried_is_a_prefix_of_the_walk(name, qtype, client):
    r = walk(name, qtype, client)
    order = search_order(name, SEARCH, 5)
    assert list(r.tried) == order[: len(r.tried)]
    if r.answers:
        assert COREDNS.answer(r.tried[-1], qtype).answers
    if client == "glibc" and not r.answers and r.rcode == NXDOMAIN:
        assert list(r.tried) == order


# --------------------------------------------------------------------------- DNS-11


def test_unreachable_shapes():
    t = dns_unreachable_result("timeout", name="web", server="10.96.0.10",
                               tried=["web.default.svc.cluster.local"])
    assert t.to_dict() == {"rcode": TIMEOUT, "answers": [], "cname": None,
                           "tried": ["web.default.svc.cluster.local"]}
    r = dns_unreachable_result("refused", name="web", server="10.96.0.10")
    assert r.rcode == REFUSED and not r.ok
    with pytest.raises(ValueError):
        dns_unreachable_result("lost")


def test_gai_error_texts():
    assert gai_error(walk("web")) is None
    assert gai_error(walk("nope")) == "Name or service not known"
    assert gai_error(walk("gone")) == "No address associated with hostname"
    assert gai_error(dns_unreachable_result("timeout")) == "Temporary failure in name resolution"
    assert gai_error(dns_unreachable_result("refused")) == "Temporary failure in name resolution"


# --------------------------------------------------------------------------- KCTL-9 nslookup


def nslookup(name: str, qtype: str = "A", **kw) -> tuple[str, int]:
    r = walk(name, qtype, "nslookup")
    return format_nslookup(r, "10.96.0.10", qtype, **kw)


def test_nslookup_success_exact():
    assert nslookup("web") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "Name:\tweb.default.svc.cluster.local\n"
        "Address: 10.96.100.10\n"
        "\n", 0)


def test_nslookup_nxdomain_exact():
    assert nslookup("nope") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "** server can't find nope: NXDOMAIN\n"
        "\n", 1)


def test_nslookup_headless_one_pair_per_ip():
    out, code = nslookup("db")
    head, body = out.split("\n\n", 1)
    assert (head, code) == ("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53", 0)
    lines = body.rstrip("\n").split("\n")
    pairs = {(lines[i], lines[i + 1]) for i in range(0, len(lines), 2)}
    assert len(lines) == 4 and pairs == {  # order: CoreDNS `loadbalance` shuffles it
        ("Name:\tdb.default.svc.cluster.local", "Address: 10.244.1.20"),
        ("Name:\tdb.default.svc.cluster.local", "Address: 10.244.1.21")}


def test_nslookup_external_name_is_non_authoritative():
    assert nslookup("example.com") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "Non-authoritative answer:\n"
        "Name:\texample.com\n"
        "Address: 93.184.216.34\n"
        "\n", 0)


def test_nslookup_aaaa_followup_printed_for_dual_stack_upstream():
    out, code = nslookup("dual.example.com")
    assert code == 0 and out.endswith("Non-authoritative answer:\n"
                        "Name:\tdual.example.com\nAddress: 203.0.113.7\n"
                        "Name:\tdual.example.com\nAddress: 2001:db8::7\n\n")


def test_nslookup_cname_exact():
    assert nslookup("ext-db") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "ext-db.default.svc.cluster.local\tcanonical name = db.example.com.\n"
        "Name:\tdb.example.com\n"
        "Address: 203.0.113.50\n"
        "\n", 0)


def test_nslookup_srv_exact():
    assert nslookup("_http._tcp.web.default.svc.cluster.local", "SRV") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "_http._tcp.web.default.svc.cluster.local\tservice = 0 100 80 "
        "web.default.svc.cluster.local.\n"
        "\n", 0)


def test_nslookup_no_answer_exact():
    assert nslookup("web", "AAAA", default_lookups=False) == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "*** Can't find web: No answer\n"
        "\n", 0)


def test_nslookup_default_lookup_without_address_names_the_full_name():
    assert nslookup("gone") == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10#53\n"
        "\n"
        "*** Can't find gone.default.svc.cluster.local: No answer\n"
        "\n", 0)


def test_nslookup_reverse_lookup():
    out, code = nslookup("10.96.0.10")
    assert (out, code) == (
        "10.0.96.10.in-addr.arpa\tname = kube-dns.kube-system.svc.cluster.local.\n\n", 0)


def test_nslookup_timeout_exact():
    r = dns_unreachable_result("timeout", name="web", server="10.96.0.10")
    assert format_nslookup(r, "10.96.0.10", "A") == (
        ";; communications error to 10.96.0.10#53: timed out\n"
        ";; communications error to 10.96.0.10#53: timed out\n"
        ";; communications error to 10.96.0.10#53: timed out\n"
        ";; no servers could be reached\n"
        "\n", 1)


def test_nslookup_refused_exact():
    r = dns_unreachable_result("refused", name="web", server="10.96.0.10")
    assert format_nslookup(r) == (
        ";; communications error to 10.96.0.10#53: connection refused\n"
        ";; no servers could be reached\n"
        "\n", 1)


def test_nslookup_from_default_policy_pod_shows_node_server():
    plain = CLUSTER.find_pod("default/plain")
    out, code = format_nslookup(walk("web.default.svc.cluster.local", client="nslookup",
                                     pod=plain))
    assert out == ("Server:\t\t192.168.56.1\n"
                   "Address:\t192.168.56.1#53\n"
                   "\n"
                   "** server can't find web.default.svc.cluster.local: NXDOMAIN\n"
                   "\n") and code == 1


def test_dns_module_reexports_resolver_api():
    assert dns.resolve is resolve and dns.format_nslookup is format_nslookup
    with pytest.raises(AttributeError):
        _ = dns.no_such_name


def test_glibc_walks_on_after_servfail_nslookup_stops():
    table = {f"c{i}.example": {"CNAME": (f"c{i + 1}.example",)} for i in range(12)}
    c = world(dns_upstream=table, node_search=("example",))
    d = CoreDNS.build(c)
    g = resolve(c, d, CLIENT, "c0", "A", "glibc")
    assert g.rcode == dns.SERVFAIL and g.tried[-1] == "c0" and len(g.tried) == 5
    n = resolve(c, d, CLIENT, "c0", "A", "nslookup")
    assert n.tried == ("c0.default.svc.cluster.local", "c0.svc.cluster.local",
                       "c0.cluster.local", "c0.example")
    assert format_nslookup(n)[0].endswith("** server can't find c0.example: SERVFAIL\n\n")
