# ruff: noqa: E501  (golden iptables-save lines are as long as iptables prints them)
"""kube-proxy semantics (SVC-3 … SVC-17), rule naming and the iptables/IPVS node views."""

from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim.kubeproxy import (
    KubeProxy,
    health_check,
    iptables_save_filter,
    iptables_save_nat,
    ipvsadm_ln,
)
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Faults,
    Node,
    Pod,
    Service,
    ServicePort,
)
from clusterlab.sim.proxyplan import iptables_probability, sep_chain, svc_chain


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


NODE1 = Node("node-1", IPv4Address("192.168.56.11"), IPv4Network("10.244.1.0/24"))
NODE2 = Node("node-2", IPv4Address("192.168.56.12"), IPv4Network("10.244.2.0/24"))
NODE3 = Node("node-3", IPv4Address("192.168.56.13"), IPv4Network("10.244.3.0/24"))
NODES = (NODE1, NODE2)
EXTERNAL = "198.51.100.7"


def pod(name: str, ip: str, node: str, app: str = "web", **kw) -> Pod:
    return Pod("default", name, labels={"app": app}, node_name=node, ip=IPv4Address(ip), **kw)


WEB_PODS = (pod("web-a", "10.244.1.10", "node-1"), pod("web-b", "10.244.1.9", "node-1"),
            pod("web-c", "10.244.2.7", "node-2"))
HTTP = ServicePort(80, name="http", target_port=8080)


def service(name: str, ip: str, **kw) -> Service:
    kw.setdefault("ports", (HTTP,))
    kw.setdefault("selector", {"app": "web"})
    return Service("default", name, cluster_ip=IPv4Address(ip), **kw)


WEB = service("web", "10.96.100.10")


def nodeport(name: str, ip: str, port: int, etp: str = "Cluster", **kw) -> Service:
    kw.setdefault("type", "NodePort")
    return service(name, ip, ports=(replace(HTTP, node_port=port),),
                   external_traffic_policy=etp, **kw)


def make(*services: Service, pods=WEB_PODS, nodes=NODES, **config) -> Cluster:
    return Cluster(config=ClusterConfig(**config), nodes=nodes, pods=tuple(pods),
                   services=tuple(services))


def connect(c: Cluster, dst: str, port: int, client: str, kind: str, node: str,
            proto: str = "TCP", sport: int = 40000, seed: int | None = None, **kw):
    kp = KubeProxy.for_cluster(c)
    m = kp.lookup(dst, port, proto, node)
    assert m is not None, f"{dst}:{port} not captured on {node}"
    return kp.decide(m, client, kind, node, (client, sport, dst, port, proto), seed, **kw)


def nat_lines(c: Cluster, node: str) -> set[str]:
    return set(iptables_save_nat(c, node).splitlines())


def filter_lines(c: Cluster, node: str) -> set[str]:
    return set(iptables_save_filter(c, node).splitlines())

GOLDEN_NAT_NODE1 = """\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-2RIJ5GIYXEFH6G4D - [0:0]
:KUBE-SEP-2Z4PPZBSTLK4A5ZT - [0:0]
:KUBE-SEP-GWQABTP5GBYXHJY5 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-2RIJ5GIYXEFH6G4D -s 10.244.2.7/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-2RIJ5GIYXEFH6G4D -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.7:8080
-A KUBE-SEP-2Z4PPZBSTLK4A5ZT -s 10.244.1.9/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-2Z4PPZBSTLK4A5ZT -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.9:8080
-A KUBE-SEP-GWQABTP5GBYXHJY5 -s 10.244.1.10/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-GWQABTP5GBYXHJY5 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.10:8080
-A KUBE-SERVICES -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.10:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-GWQABTP5GBYXHJY5
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.9:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-2Z4PPZBSTLK4A5ZT
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.7:8080" -j KUBE-SEP-2RIJ5GIYXEFH6G4D
COMMIT
"""

GOLDEN_NAT_NODE2 = """\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-EXT-2262UYG6EQJDKK3I - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-ENB3JG7XHA5W7YGJ - [0:0]
:KUBE-SEP-LQG4A4EIQFB4AGAG - [0:0]
:KUBE-SEP-NDY35SNJVZXASJGP - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-2262UYG6EQJDKK3I - [0:0]
:KUBE-SVL-2262UYG6EQJDKK3I - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-2262UYG6EQJDKK3I -s 10.244.0.0/16 -m comment --comment "pod traffic for default/web-np:http external destinations" -j KUBE-SVC-2262UYG6EQJDKK3I
-A KUBE-EXT-2262UYG6EQJDKK3I -m comment --comment "masquerade LOCAL traffic for default/web-np:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-2262UYG6EQJDKK3I -m comment --comment "route LOCAL traffic for default/web-np:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-2262UYG6EQJDKK3I
-A KUBE-EXT-2262UYG6EQJDKK3I -j KUBE-SVL-2262UYG6EQJDKK3I
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web-np:http" -m tcp --dport 30080 -j KUBE-EXT-2262UYG6EQJDKK3I
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-ENB3JG7XHA5W7YGJ -s 10.244.1.10/32 -m comment --comment "default/web-np:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-ENB3JG7XHA5W7YGJ -p tcp -m comment --comment "default/web-np:http" -m recent --set --name KUBE-SEP-ENB3JG7XHA5W7YGJ --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.10:8080
-A KUBE-SEP-LQG4A4EIQFB4AGAG -s 10.244.1.9/32 -m comment --comment "default/web-np:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-LQG4A4EIQFB4AGAG -p tcp -m comment --comment "default/web-np:http" -m recent --set --name KUBE-SEP-LQG4A4EIQFB4AGAG --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.9:8080
-A KUBE-SEP-NDY35SNJVZXASJGP -s 10.244.2.7/32 -m comment --comment "default/web-np:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-NDY35SNJVZXASJGP -p tcp -m comment --comment "default/web-np:http" -m recent --set --name KUBE-SEP-NDY35SNJVZXASJGP --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.2.7:8080
-A KUBE-SERVICES -d 10.96.100.20/32 -p tcp -m comment --comment "default/web-np:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-2262UYG6EQJDKK3I
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-2262UYG6EQJDKK3I ! -s 10.244.0.0/16 -d 10.96.100.20/32 -p tcp -m comment --comment "default/web-np:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.1.10:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-ENB3JG7XHA5W7YGJ --mask 255.255.255.255 --rsource -j KUBE-SEP-ENB3JG7XHA5W7YGJ
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.1.9:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-LQG4A4EIQFB4AGAG --mask 255.255.255.255 --rsource -j KUBE-SEP-LQG4A4EIQFB4AGAG
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.2.7:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-NDY35SNJVZXASJGP --mask 255.255.255.255 --rsource -j KUBE-SEP-NDY35SNJVZXASJGP
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.1.10:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-ENB3JG7XHA5W7YGJ
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.1.9:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-LQG4A4EIQFB4AGAG
-A KUBE-SVC-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.2.7:8080" -j KUBE-SEP-NDY35SNJVZXASJGP
-A KUBE-SVL-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.2.7:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-NDY35SNJVZXASJGP --mask 255.255.255.255 --rsource -j KUBE-SEP-NDY35SNJVZXASJGP
-A KUBE-SVL-2262UYG6EQJDKK3I -m comment --comment "default/web-np:http -> 10.244.2.7:8080" -j KUBE-SEP-NDY35SNJVZXASJGP
COMMIT
"""

GOLDEN_FILTER_NODE2 = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/nomatch:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30081 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.100.40/32 -p tcp -m comment --comment "default/nomatch:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
"""

PAD = ' ' * 9  # ipvsadm's %-10u leaves trailing spaces after InActConn
GOLDEN_IPVS_LINES = (
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  10.96.100.10:80 rr',
    '  -> 10.244.1.10:8080             Masq    1      0          0' + PAD,
    '  -> 10.244.1.9:8080              Masq    1      0          0' + PAD,
    '  -> 10.244.2.7:8080              Masq    1      0          0' + PAD,
    'TCP  10.96.100.20:80 rr persistent 10800',
    '  -> 10.244.1.10:8080             Masq    1      0          0' + PAD,
    '  -> 10.244.1.9:8080              Masq    1      0          0' + PAD,
    '  -> 10.244.2.7:8080              Masq    1      0          0' + PAD,
    'TCP  192.168.56.12:30080 rr persistent 10800',
    '  -> 10.244.2.7:8080              Masq    1      0          0' + PAD,
)


# --------------------------------------------------------------------------- naming (SVC-7)


@pytest.mark.parametrize(("name", "proto", "chain"), [
    ("default/kubernetes:https", "tcp", "KUBE-SVC-NPX46M4PTMTKRN6Y"),
    ("kube-system/kube-dns:dns", "udp", "KUBE-SVC-TCOU7JCQXEZGVUNU"),
    ("kube-system/kube-dns:dns-tcp", "tcp", "KUBE-SVC-ERIFXISQEP7F7OF4"),
    ("kube-system/kube-dns:metrics", "tcp", "KUBE-SVC-JD5MR3NA4I4DYORP"),
])
def test_service_chain_names_match_verified_examples(name, proto, chain):
    assert svc_chain(name, proto) == chain


def test_endpoint_chain_hashes_port_name_protocol_and_endpoint_concatenated():
    # proxier.go servicePortEndpointChainName: sha256(svcPortName + protocol + "ip:port")
    raw = hashlib.sha256(b"default/web:httptcp10.244.1.10:8080").digest()
    assert sep_chain("default/web:http", "tcp", "10.244.1.10:8080") == (
        "KUBE-SEP-" + base64.b32encode(raw).decode()[:16])
    assert sep_chain("default/web:http", "tcp", "10.244.1.10:8080") != sep_chain(
        "default/web:http", "udp", "10.244.1.10:8080")


def test_unnamed_single_port_uses_namespace_name_only():
    c = make(service("plain", "10.96.7.7", ports=(ServicePort(80, target_port=8080),)))
    assert f"-j {svc_chain('default/plain', 'tcp')}" in iptables_save_nat(c, "node-1")
    assert '--comment "default/plain cluster IP"' in iptables_save_nat(c, "node-1")


@pytest.mark.parametrize(("n", "text"), [
    (2, "0.50000000000"), (3, "0.33333333349"), (4, "0.25000000000"),
    (5, "0.20000000019"), (6, "0.16666666651"),
])
def test_probability_as_iptables_save_prints_it(n, text):
    assert iptables_probability(n) == text


# --------------------------------------------------------------------------- golden views


def test_iptables_save_nat_golden_clusterip_three_endpoints():
    """The SVC-7 example with the real hashes: endpoints sorted by the "ip:port" string."""
    assert iptables_save_nat(make(WEB), "node-1") == GOLDEN_NAT_NODE1


def test_golden_matches_reference_listing_modulo_hash_names():
    reference = """\
-A KUBE-SERVICES -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SVC-WEB ! -s 10.244.0.0/16 -d 10.96.100.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -m comment --comment "default/web:http -> 10.244.1.10:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A
-A KUBE-SVC-WEB -m comment --comment "default/web:http -> 10.244.1.9:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B
-A KUBE-SVC-WEB -m comment --comment "default/web:http -> 10.244.2.7:8080" -j KUBE-SEP-C
-A KUBE-SEP-A -s 10.244.1.10/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.10:8080"""
    names = {"KUBE-SVC-WEB": svc_chain("default/web:http", "tcp")}
    for letter, ep in zip("ABC", ("10.244.1.10:8080", "10.244.1.9:8080", "10.244.2.7:8080"),
                          strict=True):
        names[f"KUBE-SEP-{letter}"] = sep_chain("default/web:http", "tcp", ep)
    for line in reference.splitlines():
        for short, real in names.items():
            line = line.replace(short + " ", real + " ")
            if line.endswith(short):
                line = line[: -len(short)] + real
        assert line in GOLDEN_NAT_NODE1.splitlines()


def test_iptables_save_nat_golden_nodeport_local_with_affinity():
    c = make(nodeport("web-np", "10.96.100.20", 30080, "Local", session_affinity="ClientIP"),
             nodeport("nomatch", "10.96.100.40", 30081, selector={"app": "none"}))
    assert iptables_save_nat(c, "node-2") == GOLDEN_NAT_NODE2
    assert iptables_save_filter(c, "node-2") == GOLDEN_FILTER_NODE2


def test_ipvsadm_golden():
    c = make(WEB, nodeport("web-np", "10.96.100.20", 30080, "Local", session_affinity="ClientIP"))
    assert ipvsadm_ln(c, "node-2") == "\n".join(GOLDEN_IPVS_LINES) + "\n"


def test_ipvsadm_matches_reference_columns():
    """SVC-13's example line (the reference strips ipvsadm's trailing padding)."""
    svc = Service("default", "kubernetes", cluster_ip=IPv4Address("10.96.0.1"),
                  ports=(ServicePort(443, name="https", target_port=6443),))
    from clusterlab.sim.model import Endpoint, EndpointPort, EndpointSlice
    api = EndpointSlice("default", "kubernetes", "kubernetes",
                        endpoints=(Endpoint(("192.168.56.11",)),),
                        ports=(EndpointPort(6443, "TCP", "https"),))
    c = replace(make(svc, pods=()), endpoint_slices=(api,))
    lines = [line.rstrip() for line in ipvsadm_ln(c, "node-1").splitlines()]
    assert lines[3:] == ["TCP  10.96.0.1:443 rr",
                         "  -> 192.168.56.11:6443           Masq    1      0          0"]


# --------------------------------------------------------------------------- ClusterIP


def test_pod_to_cluster_ip_dnats_without_masquerade():
    d = connect(make(WEB), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", seed=7)
    assert d.verdict == "dnat"
    assert d.candidates == ("default/web-a:8080", "default/web-b:8080", "default/web-c:8080")
    assert d.backend.pod_key in {"default/web-a", "default/web-b", "default/web-c"}
    assert d.dnat == f"{d.backend.ip}:8080"
    assert not d.masquerade and not d.hairpin
    assert d.steps[0] == '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    assert d.steps[-1].endswith(f"-j DNAT --to-destination {d.dnat}")
    assert d.rule.startswith("KUBE-SVC-CDGGSHYLG3RE2FKL → KUBE-SEP-")


def test_host_to_cluster_ip_is_marked_m1_via_output():
    d = connect(make(WEB), "10.96.100.10", 80, "192.168.56.11", "host", "node-1")
    assert d.steps[0].startswith("-A OUTPUT ")
    assert [m for m, _ in d.marks] == ["M1"]
    assert d.marks[0][1].startswith("-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 ")


def test_external_host_routing_service_range_through_a_node_is_marked():
    d = connect(make(WEB), "10.96.100.10", 80, "192.168.56.77", "external", "node-2")
    assert d.verdict == "dnat" and [m for m, _ in d.marks] == ["M1"]


def test_cluster_ip_on_undefined_port_has_no_rule_in_iptables_mode():
    c = make(WEB)
    kp = KubeProxy.build(c)
    m = kp.lookup("10.96.100.10", 81, "TCP", "node-1")
    assert m.kind == "cluster-ip-unknown-port" and m.port is None
    d = kp.decide(m, "10.244.1.20", "pod", "node-1")
    assert d.verdict == "unmatched"
    assert "times out" in d.reason and "defines only 80/TCP" in d.reason
    icmp = kp.lookup("10.96.100.10", 0, "ICMP", "node-1")
    assert icmp.kind == "cluster-ip-unknown-port"


def test_cluster_ip_on_undefined_port_is_rejected_in_ipvs_mode():
    c = make(WEB, kube_proxy_mode="ipvs")
    kp = KubeProxy.build(c)
    d = kp.decide(kp.lookup("10.96.100.10", 81, "TCP", "node-1"), "10.244.1.20", "pod", "node-1")
    assert d.verdict == "reject"
    assert "KUBE-IPVS-FILTER" in d.rule and "KUBE-IPVS-FILTER" in d.reason


def test_unrelated_addresses_are_not_service_packets():
    kp = KubeProxy.build(make(WEB))
    assert kp.lookup("10.244.1.10", 8080, "TCP", "node-1") is None
    assert kp.lookup("10.96.100.11", 80, "TCP", "node-1") is None
    assert kp.lookup("10.96.100.10", 80, "UDP", "node-1").kind == "cluster-ip-unknown-port"


# --------------------------------------------------------------------------- no endpoints


def test_no_endpoints_rejects_with_filter_rule():
    empty = service("empty", "10.96.100.40", selector={"app": "none"})
    c = make(empty)
    d = connect(c, "10.96.100.40", 80, "10.244.1.20", "pod", "node-1")
    assert d.verdict == "reject" and d.candidates == ()
    assert d.rule == ('-A KUBE-SERVICES -d 10.96.100.40/32 -p tcp -m comment --comment '
                      '"default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT '
                      "--reject-with icmp-port-unreachable")
    assert d.filter_steps[0].startswith("-A FORWARD ")
    assert set(d.filter_steps) <= filter_lines(c, "node-1")
    assert "KUBE-SVC" not in iptables_save_nat(c, "node-1")


def test_no_ready_endpoints_rejects_too():
    c = make(WEB, pods=[replace(p, ready=False) for p in WEB_PODS])
    assert connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1").verdict == "reject"


def test_nodeport_without_endpoints_rejected_on_input():
    c = make(nodeport("np", "10.96.100.50", 30050, selector={"app": "none"}))
    d = connect(c, "192.168.56.11", 30050, EXTERNAL, "external", "node-1")
    assert d.verdict == "reject"
    assert d.filter_steps[0].startswith("-A INPUT ") and "KUBE-EXTERNAL-SERVICES" in d.rule


def test_ipvs_virtual_server_without_real_servers_rejects():
    c = make(service("empty", "10.96.100.40", selector={"app": "none"}), kube_proxy_mode="ipvs")
    d = connect(c, "10.96.100.40", 80, "10.244.1.20", "pod", "node-1")
    assert d.verdict == "reject" and "no real servers" in d.reason


# --------------------------------------------------------------------------- readiness


def test_not_ready_endpoints_are_not_candidates():
    pods = (*WEB_PODS[:2], replace(WEB_PODS[2], ready=False))
    d = connect(make(WEB, pods=pods), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    assert d.candidates == ("default/web-a:8080", "default/web-b:8080")
    assert "10.244.2.7" not in iptables_save_nat(make(WEB, pods=pods), "node-1")


def test_publish_not_ready_addresses_makes_them_candidates():
    pods = (*WEB_PODS[:2], replace(WEB_PODS[2], ready=False))
    svc = replace(WEB, publish_not_ready_addresses=True)
    d = connect(make(svc, pods=pods), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    assert len(d.candidates) == 3


def test_terminating_serving_endpoints_used_only_when_none_ready():
    term = (replace(WEB_PODS[0], terminating=True), replace(WEB_PODS[1], ready=False))
    d = connect(make(WEB, pods=term), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    assert d.candidates == ("default/web-a:8080",)
    mixed = (replace(WEB_PODS[0], terminating=True), WEB_PODS[2])
    d = connect(make(WEB, pods=mixed), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    assert d.candidates == ("default/web-c:8080",)


def test_node_down_removes_its_pods_from_candidates():
    c = make(WEB, faults=Faults(nodes_down=frozenset({"node-2"})))
    d = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    assert d.candidates == ("default/web-a:8080", "default/web-b:8080")


def test_named_target_port_resolved_per_pod_in_dnat():
    def named(p: Pod, number: int) -> Pod:
        return replace(p, containers=(Container("app", ports=(ContainerPort(number, name="web"),)),))
    pods = (named(WEB_PODS[0], 8080), named(WEB_PODS[2], 9090), replace(WEB_PODS[1], containers=()))
    svc = service("named", "10.96.100.60", ports=(ServicePort(80, name="http", target_port="web"),))
    c = make(svc, pods=pods)
    d = connect(c, "10.96.100.60", 80, "10.244.1.20", "pod", "node-1")
    assert d.candidates == ("default/web-a:8080", "default/web-c:9090")
    nat = iptables_save_nat(c, "node-1")
    assert "--to-destination 10.244.2.7:9090" in nat and "10.244.1.9" not in nat


# --------------------------------------------------------------------------- traffic policies


def test_itp_local_uses_only_client_node_endpoints():
    svc = replace(WEB, internal_traffic_policy="Local")
    c = make(svc)
    d = connect(c, "10.96.100.10", 80, "10.244.2.20", "pod", "node-2")
    assert d.candidates == ("default/web-c:8080",)
    assert "KUBE-SVL-" in d.steps[1]


def test_itp_local_without_local_endpoint_drops():
    svc = replace(WEB, internal_traffic_policy="Local")
    c = make(svc, nodes=(*NODES, NODE3))
    d = connect(c, "10.96.100.10", 80, "10.244.3.20", "pod", "node-3")
    assert d.verdict == "drop" and "times out" in d.reason
    assert d.rule.endswith('"default/web:http has no local endpoints" -m tcp --dport 80 -j DROP')
    assert d.rule in filter_lines(c, "node-3")


def test_nodeport_etp_cluster_masquerades_any_source_and_uses_all_endpoints():
    c = make(nodeport("np", "10.96.100.20", 30080), nodes=(*NODES, NODE3))
    for client, kind in ((EXTERNAL, "external"), ("10.244.3.20", "pod")):
        d = connect(c, "192.168.56.13", 30080, client, kind, "node-3")
        assert d.verdict == "dnat" and len(d.candidates) == 3
        assert [m for m, _ in d.marks] == ["M3"]
        assert '"masquerade traffic for default/np:http external destinations"' in d.marks[0][1]
        assert d.steps[1] == ipt_nodeports_last()


def ipt_nodeports_last() -> str:
    return ('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this '
            'must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')


def test_nodeport_etp_local_external_client_gets_local_endpoints_only_no_snat():
    c = make(nodeport("np", "10.96.100.20", 30080, "Local"))
    d = connect(c, "192.168.56.11", 30080, EXTERNAL, "external", "node-1")
    assert d.verdict == "dnat" and not d.masquerade
    assert d.candidates == ("default/web-a:8080", "default/web-b:8080")
    assert "KUBE-SVL-" in d.rule


def test_nodeport_etp_local_without_local_endpoint_drops_external():
    c = make(nodeport("np", "10.96.100.20", 30080, "Local"), nodes=(*NODES, NODE3))
    d = connect(c, "192.168.56.13", 30080, EXTERNAL, "external", "node-3")
    assert d.verdict == "drop"
    assert d.rule == ('-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment '
                      '"default/np:http has no local endpoints" -m addrtype --dst-type LOCAL '
                      "-m tcp --dport 30080 -j DROP")
    assert d.filter_steps[0].startswith("-A INPUT ")
    assert set(d.steps) <= nat_lines(c, "node-3")


def test_nodeport_etp_local_pod_source_short_circuits_to_cluster_chain():
    c = make(nodeport("np", "10.96.100.20", 30080, "Local"), nodes=(*NODES, NODE3))
    d = connect(c, "192.168.56.13", 30080, "10.244.3.20", "pod", "node-3")
    assert d.verdict == "dnat" and not d.masquerade and len(d.candidates) == 3
    assert '"pod traffic for default/np:http external destinations"' in d.steps[3]


def test_nodeport_etp_local_from_the_node_itself_is_masqueraded_m4():
    c = make(nodeport("np", "10.96.100.20", 30080, "Local"), nodes=(*NODES, NODE3))
    d = connect(c, "127.0.0.1", 30080, "127.0.0.1", "host", "node-3")
    assert d.verdict == "dnat" and [m for m, _ in d.marks] == ["M4"]
    assert len(d.candidates) == 3
    assert d.steps[0].startswith("-A OUTPUT ")


def test_localhost_nodeports_only_in_iptables_mode():
    np_ = nodeport("np", "10.96.100.20", 30080)
    assert KubeProxy.build(make(np_)).lookup("127.0.0.1", 30080, "TCP", "node-1") is not None
    ipvs = KubeProxy.build(make(np_, kube_proxy_mode="ipvs"))
    assert ipvs.lookup("127.0.0.1", 30080, "TCP", "node-1") is None
    assert ipvs.lookup("192.168.56.11", 30080, "TCP", "node-1").kind == "node-port"


def test_nodeport_only_on_receiving_node_address():
    kp = KubeProxy.build(make(nodeport("np", "10.96.100.20", 30080)))
    assert kp.lookup("192.168.56.12", 30080, "TCP", "node-1") is None
    assert kp.lookup("192.168.56.12", 30080, "TCP").receiving_node == "node-2"


# --------------------------------------------------------------------------- LB, externalIPs


def lb(name: str = "web-lb", **kw) -> Service:
    kw.setdefault("load_balancer_ingress", ("203.0.113.10",))
    etp = kw.pop("external_traffic_policy", "Cluster")
    return nodeport(name, "10.96.100.30", 31380, etp, type="LoadBalancer", **kw)


def test_load_balancer_vip_is_captured_and_proxy_mode_is_not():
    kp = KubeProxy.build(make(lb()))
    m = kp.lookup("203.0.113.10", 80, "TCP", "node-2")
    assert m.kind == "load-balancer"
    d = kp.decide(m, EXTERNAL, "external", "node-2")
    assert d.verdict == "dnat" and [x for x, _ in d.marks] == ["M3"]
    assert '"default/web-lb:http loadbalancer IP"' in d.steps[1]
    proxy = KubeProxy.build(make(lb(load_balancer_ip_mode="Proxy")))
    assert proxy.lookup("203.0.113.10", 80, "TCP", "node-2") is None
    assert proxy.proxy_mode_load_balancer("203.0.113.10", 80, "TCP")[0].name == "web-lb"
    assert "203.0.113.10" not in iptables_save_nat(make(lb(load_balancer_ip_mode="Proxy")), "node-1")


def test_load_balancer_hostname_ingress_is_not_captured():
    kp = KubeProxy.build(make(lb(load_balancer_ingress=("abc.elb.example.com",))))
    assert kp.lookup("203.0.113.10", 80, "TCP", "node-1") is None


def test_load_balancer_source_ranges():
    svc = lb(load_balancer_source_ranges=(IPv4Network("198.51.100.0/24"),))
    c = make(svc)
    ok = connect(c, "203.0.113.10", 80, EXTERNAL, "external", "node-1")
    assert ok.verdict == "dnat"
    assert ok.steps[2].startswith("-A KUBE-FW-") and "-s 198.51.100.0/24" in ok.steps[2]
    bad = connect(c, "203.0.113.10", 80, "192.0.2.9", "external", "node-1")
    assert bad.verdict == "drop" and "loadBalancerSourceRanges" in bad.reason
    assert bad.rule.startswith("-A KUBE-PROXY-FIREWALL -d 203.0.113.10/32 ")
    assert bad.rule.endswith("-j DROP") and bad.rule in filter_lines(c, "node-1")
    assert '"other traffic to default/web-lb:http will be dropped by KUBE-PROXY-FIREWALL"' in bad.steps[-1]
    # NodePorts are not restricted by source ranges (SVC-12)
    assert connect(c, "192.168.56.11", 31380, "192.0.2.9", "external", "node-1").verdict == "dnat"


def test_load_balancer_source_ranges_in_ipvs_mode():
    c = make(lb(load_balancer_source_ranges=(IPv4Network("198.51.100.0/24"),)),
             kube_proxy_mode="ipvs")
    assert connect(c, "203.0.113.10", 80, EXTERNAL, "external", "node-1").verdict == "dnat"
    assert connect(c, "203.0.113.10", 80, "192.0.2.9", "external", "node-1").verdict == "drop"


def test_load_balancer_etp_local_node_without_endpoint_drops():
    c = make(lb(external_traffic_policy="Local", health_check_node_port=32456),
             nodes=(*NODES, NODE3))
    d = connect(c, "203.0.113.10", 80, EXTERNAL, "external", "node-3")
    assert d.verdict == "drop" and d.filter_steps[0].startswith("-A FORWARD ")
    assert d.rule.startswith("-A KUBE-EXTERNAL-SERVICES -d 203.0.113.10/32 ")


def test_external_ips_are_captured_on_any_node():
    svc = replace(WEB, external_ips=(IPv4Address("192.168.56.200"),))
    c = make(svc)
    d = connect(c, "192.168.56.200", 80, EXTERNAL, "external", "node-2")
    assert d.match_kind == "external-ip" and [m for m, _ in d.marks] == ["M3"]
    assert '"default/web:http external IP"' in d.steps[1]
    assert KubeProxy.build(c).lookup("192.168.56.200", 81, "TCP", "node-2") is None


def test_headless_and_externalname_are_ignored():
    headless = Service("default", "db", selector={"app": "web"}, headless=True, ports=(HTTP,))
    ext = Service("default", "ext", type="ExternalName", external_name="db.example.com")
    c = make(headless, ext)
    nat = iptables_save_nat(c, "node-1")
    assert "KUBE-SVC-" not in nat and "default/db" not in nat
    assert ipvsadm_ln(c, "node-1").count("\n") == 3
    assert KubeProxy.build(c).lookup("10.244.1.10", 80, "TCP", "node-1") is None


# --------------------------------------------------------------------------- hairpin, affinity


def test_hairpin_pod_reaching_itself_is_masqueraded_m2():
    solo = service("solo", "10.96.100.70", selector={"app": "solo"})
    c = make(solo, pods=(pod("solo-0", "10.244.1.5", "node-1", app="solo"),))
    d = connect(c, "10.96.100.70", 80, "10.244.1.5", "pod", "node-1")
    assert d.hairpin and [m for m, _ in d.marks] == ["M2"]
    sep = sep_chain("default/solo:http", "tcp", "10.244.1.5:8080")
    assert d.marks[0][1] == (f'-A {sep} -s 10.244.1.5/32 -m comment --comment "default/solo:http" '
                             "-j KUBE-MARK-MASQ")
    assert d.marks[0][1] in d.steps
    other = connect(c, "10.96.100.70", 80, "10.244.1.6", "pod", "node-1")
    assert not other.hairpin and not other.masquerade


def test_session_affinity_sticks_per_node_and_client():
    svc = replace(WEB, session_affinity="ClientIP")
    c = make(svc)
    table: dict = {}
    first = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=1, affinity=table)
    assert not first.affinity_hit
    for sport in range(2, 60):
        d = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=sport,
                    affinity=table)
        assert d.backend == first.backend and d.affinity_hit
        assert "-m recent --rcheck --seconds 10800 --reap" in d.steps[2]
        assert d.rule.endswith("(session affinity)")
    # the other node keeps its own `recent` table, so the same client starts afresh there
    assert not connect(c, "10.96.100.10", 80, "10.244.1.20", "external", "node-2",
                       affinity=table).affinity_hit
    # different clients spread over the endpoints
    backends = {connect(c, "10.96.100.10", 80, f"10.244.1.{i}", "pod", "node-1",
                        affinity=table).backend.pod_key for i in range(30, 90)}
    assert len(backends) == 3


def test_session_affinity_forgets_an_endpoint_that_left():
    svc = replace(WEB, session_affinity="ClientIP")
    table: dict = {}
    first = connect(make(svc), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", affinity=table)
    gone = [p for p in WEB_PODS if p.key != first.backend.pod_key]
    d = connect(make(svc, pods=gone), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1",
                affinity=table)
    assert not d.affinity_hit and d.backend.pod_key != first.backend.pod_key


def test_without_affinity_state_every_connection_is_independent():
    svc = replace(WEB, session_affinity="ClientIP")
    seen = {connect(make(svc), "10.96.100.10", 80, "10.244.1.20", "pod", "node-1",
                    sport=s).backend.pod_key for s in range(50)}
    assert len(seen) == 3


# --------------------------------------------------------------------------- distribution


def test_same_flow_and_seed_pick_the_same_backend():
    c = make(WEB)
    a = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=555, seed=3)
    b = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=555, seed=3)
    assert a.backend == b.backend and a.steps == b.steps
    picks = {connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=555,
                     seed=s).backend for s in range(40)}
    assert len(picks) == 3


def test_iptables_distribution_is_uniform_over_6000_flows():
    pods = [pod(f"web-{i}", f"10.244.{1 + i % 2}.{10 + i}", f"node-{1 + i % 2}") for i in range(6)]
    c = make(WEB, pods=pods)
    counts = Counter(connect(c, "10.96.100.10", 80, f"10.244.1.{2 + i % 250}", "pod", "node-1",
                             sport=10000 + i, seed=1).backend.pod_key for i in range(6000))
    assert len(counts) == 6
    expected = 1000
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 20.5  # χ²(5 d.o.f.) at p = 0.001
    sd = math.sqrt(6000 * (1 / 6) * (5 / 6))
    assert all(abs(n - expected) < 4 * sd for n in counts.values())


def test_ipvs_round_robin_is_exact():
    c = make(WEB, kube_proxy_mode="ipvs")
    rr: dict = {}
    picks = [connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=i,
                     rr=rr).backend.pod_key for i in range(6000)]
    assert picks[:4] == ["default/web-a", "default/web-b", "default/web-c", "default/web-a"]
    assert Counter(picks) == {"default/web-a": 2000, "default/web-b": 2000, "default/web-c": 2000}
    assert rr == {("node-1", "TCP 10.96.100.10:80"): 6000}
    # each node's virtual server keeps its own pointer
    d = connect(c, "10.96.100.10", 80, "10.244.2.20", "pod", "node-2", rr=rr)
    assert d.backend.pod_key == "default/web-a"


def test_ipvs_persistence_overrides_round_robin():
    c = make(replace(WEB, session_affinity="ClientIP"), kube_proxy_mode="ipvs")
    rr: dict = {}
    aff: dict = {}
    picks = {connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1", sport=i, rr=rr,
                     affinity=aff).backend for i in range(10)}
    assert len(picks) == 1


def test_ipvs_etp_local_without_local_endpoint_falls_back_but_external_reply_is_lost():
    c = make(nodeport("np", "10.96.100.20", 30080, "Local"), nodes=(*NODES, NODE3),
             kube_proxy_mode="ipvs")
    ext = connect(c, "192.168.56.13", 30080, EXTERNAL, "external", "node-3")
    assert ext.verdict == "drop" and ext.backend is not None and "97081" in ext.reason
    pod_ = connect(c, "192.168.56.13", 30080, "10.244.3.20", "pod", "node-3")
    assert pod_.verdict == "dnat" and len(pod_.candidates) == 3
    local = connect(c, "192.168.56.12", 30080, EXTERNAL, "external", "node-2")
    assert local.candidates == ("default/web-c:8080",) and not local.masquerade


# --------------------------------------------------------------------------- steps vs view


FLOW_CASES = [
    ("10.96.100.10", 80, "pod", "10.244.1.20", "node-1"),
    ("10.96.100.10", 80, "host", "192.168.56.12", "node-2"),
    ("10.96.100.10", 80, "external", "192.168.56.77", "node-1"),
    ("192.168.56.11", 30080, "external", EXTERNAL, "node-1"),
    ("192.168.56.13", 30080, "external", EXTERNAL, "node-3"),
    ("192.168.56.13", 30080, "pod", "10.244.3.4", "node-3"),
    ("127.0.0.1", 30080, "host", "127.0.0.1", "node-2"),
    ("203.0.113.10", 80, "external", EXTERNAL, "node-2"),
    ("203.0.113.10", 80, "external", "192.0.2.1", "node-3"),
    ("10.96.100.30", 80, "pod", "10.244.1.10", "node-1"),
    ("192.168.56.200", 80, "external", EXTERNAL, "node-3"),
]
FLOW_CLUSTER = make(
    replace(WEB, external_ips=(IPv4Address("192.168.56.200"),)),
    nodeport("np", "10.96.100.20", 30080, "Local", session_affinity="ClientIP"),
    lb(load_balancer_source_ranges=(IPv4Network("198.51.100.0/24"),), internal_traffic_policy="Local"),
    nodes=(*NODES, NODE3))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FLOW_CASES), st.integers(1024, 65535), st.integers(0, 2**31))
def test_decision_steps_are_rules_of_the_node_view(case, sport, seed):
    dst, port, kind, client, node = case
    d = connect(FLOW_CLUSTER, dst, port, client, kind, node, sport=sport, seed=seed)
    assert d.steps, d
    assert set(d.steps) <= nat_lines(FLOW_CLUSTER, node), d.steps
    assert set(d.filter_steps) <= filter_lines(FLOW_CLUSTER, node)
    for _, rule in d.marks:
        assert rule in d.steps
    if d.verdict == "dnat":
        assert d.steps[-1].endswith(f"--to-destination {d.dnat}")
        assert d.backend.label in d.candidates


# --------------------------------------------------------------------------- health check


def lb_local() -> Cluster:
    svc = service("web-lb", "10.96.100.30", type="LoadBalancer",
                  load_balancer_ingress=("203.0.113.10",), external_traffic_policy="Local",
                  health_check_node_port=32456,
                  ports=(replace(HTTP, node_port=31380),
                         ServicePort(443, name="https", target_port=8443, node_port=31443)))
    return make(svc, nodes=(*NODES, NODE3))


def test_health_check_counts_local_ready_pods_once_across_ports():
    c = lb_local()
    ok = health_check(c, "default/web-lb", "node-1")
    assert ok["status"] == 200 and ok["localEndpoints"] == 2
    assert KubeProxy.build(c).health_check("default/web-lb", NODE1) == ok
    assert ok["headers"]["X-Load-Balancing-Endpoint-Weight"] == "2"
    assert ok["body"] == (
        '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "web-lb"\n\t},\n'
        '\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}')
    bad = health_check(c, "default/web-lb", "node-3")
    assert bad["status"] == 503 and bad["localEndpoints"] == 0
    assert '"localEndpoints": 0' in bad["body"]


def test_health_check_ignores_terminating_and_not_ready():
    c = lb_local()
    pods = (replace(WEB_PODS[0], terminating=True), replace(WEB_PODS[1], ready=False), WEB_PODS[2])
    assert health_check(replace(c, pods=pods), "default/web-lb", "node-1")["status"] == 503


def test_health_check_only_for_lb_with_local_policy():
    got = health_check(make(nodeport("np", "10.96.100.20", 30080, "Local")), "default/np", "node-1")
    assert got["status"] is None and "healthCheckNodePort" in got["error"]


def test_health_check_reports_stopped_kube_proxy_and_powered_off_node():
    c = lb_local()
    stopped = replace(c, config=replace(c.config, faults=Faults(kube_proxy_stopped=frozenset({"node-1"}))))
    got = health_check(stopped, "default/web-lb", stopped.node_by_name["node-1"])
    assert got["status"] is None and "connection refused" in got["error"]
    assert got["serviceProxyHealthy"] is False
    down = replace(c, config=replace(c.config, faults=Faults(nodes_down=frozenset({"node-1"}))))
    assert "powered off" in health_check(down, "default/web-lb", "node-1")["error"]


# --------------------------------------------------------------------------- faults, scale


def test_stopped_kube_proxy_keeps_stale_endpoints_of_a_dead_node():
    faults = Faults(nodes_down=frozenset({"node-2"}), kube_proxy_stopped=frozenset({"node-1"}))
    c = make(WEB, nodes=(*NODES, NODE3), faults=faults)
    stale = connect(c, "10.96.100.10", 80, "10.244.1.20", "pod", "node-1")
    fresh = connect(c, "10.96.100.10", 80, "10.244.3.20", "pod", "node-3")
    assert "default/web-c:8080" in stale.candidates and stale.stale_rules
    assert "default/web-c:8080" not in fresh.candidates and not fresh.stale_rules
    assert "10.244.2.7" in iptables_save_nat(c, "node-1")
    assert "10.244.2.7" not in iptables_save_nat(c, "node-3")


def test_large_cluster_mode_drops_endpoint_comments():
    pods = [pod(f"p{i}", f"10.244.{1 + i // 250}.{1 + i % 250}", "node-1") for i in range(1001)]
    c = make(WEB, pods=pods)
    nat = iptables_save_nat(c, "node-1")
    sep = sep_chain("default/web:http", "tcp", "10.244.1.1:8080")
    assert f"-A {sep} -s 10.244.1.1/32 -j KUBE-MARK-MASQ" in nat
    assert f"-A {sep} -p tcp -m tcp -j DNAT --to-destination 10.244.1.1:8080" in nat
    assert '"default/web:http -> ' not in nat
    assert '"default/web:http cluster IP"' in nat  # only per-endpoint comments go
    d = connect(c, "10.96.100.10", 80, "10.244.9.9", "pod", "node-1")
    assert set(d.steps) <= set(nat.splitlines())


def test_udp_and_tcp_ports_of_one_service_are_separate():
    dns = Service("kube-system", "kube-dns", selector={"k8s-app": "kube-dns"},
                  cluster_ip=IPv4Address("10.96.0.10"),
                  ports=(ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53)))
    core = Pod("kube-system", "coredns-0", labels={"k8s-app": "kube-dns"}, node_name="node-1",
               ip=IPv4Address("10.244.1.2"))
    c = make(dns, pods=(core,))
    udp = connect(c, "10.96.0.10", 53, "10.244.1.20", "pod", "node-1", proto="UDP")
    tcp = connect(c, "10.96.0.10", 53, "10.244.1.20", "pod", "node-1", proto="TCP")
    assert "KUBE-SVC-TCOU7JCQXEZGVUNU" in udp.rule and "KUBE-SVC-ERIFXISQEP7F7OF4" in tcp.rule
    assert "-p udp" in udp.steps[-1] and udp.dnat == "10.244.1.2:53"


def test_client_kind_is_validated():
    with pytest.raises(ValueError, match="client_kind"):
        connect(make(WEB), "10.96.100.10", 80, "10.244.1.20", "node", "node-1")
