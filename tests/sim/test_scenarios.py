"""End-to-end fidelity review on a kubeadm-style cluster (tests/sim/scenarios/kubeadm.yaml).

Driven the way a Kubernetes engineer would test a simulator: through the public surfaces
only — `clusterlab.sim.query.run_query` for most facts, the command line
(`python -m clusterlab.sim …`) for a few — and checked against what a real cluster with
the reference's example topology shows (node-1 192.168.56.11, node-2 192.168.56.12,
node-3 192.168.57.13 in another L3 subnet, Flannel podCIDRs 10.244.x.0/24). Each test
names the reference section it reproduces.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from clusterlab.sim import manifests
from clusterlab.sim.engine import Engine
from clusterlab.sim.query import run_query


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


SCENARIOS = Path(__file__).parent / "scenarios"
CLUSTER = SCENARIOS / "kubeadm.yaml"
POLICIES = SCENARIOS / "kubeadm-policies.yaml"
BASE = CLUSTER.read_text()
POLICY_TEXT = POLICIES.read_text()
CNI_LINE = "cni: {plugin: flannel, mode: vxlan}"
REPO = Path(__file__).resolve().parents[2]

MODES = {
    "flannel-vxlan": "cni: {plugin: flannel, mode: vxlan}",
    "flannel-host-gw": "cni: {plugin: flannel, mode: host-gw}",
    "canal-vxlan": "cni: {plugin: canal, mode: vxlan}",
    "calico-ipip": "cni: {plugin: calico, mode: ipip}",
    "calico-ipip-crosssubnet": "cni: {plugin: calico, mode: ipip, crossSubnet: true}",
    "calico-vxlan": "cni: {plugin: calico, mode: vxlan}",
    "calico-vxlan-crosssubnet": "cni: {plugin: calico, mode: vxlan, crossSubnet: true}",
    "calico-bgp": "cni: {plugin: calico, mode: bgp}",
    "weave-fastdp": "cni: {plugin: weave, mode: fastdp}",
    "weave-sleeve": "cni: {plugin: weave, mode: sleeve}",
    "cilium-vxlan": "cni: {plugin: cilium, mode: vxlan}",
    "cilium-geneve": "cni: {plugin: cilium, mode: geneve}",
    "cilium-native": "cni: {plugin: cilium, mode: native}",
}
EXT = {"ip": "203.0.113.9"}  # the laptop outside the cluster


def scenario_text(mode: str = "flannel-vxlan", *, proxy: str = "iptables", extra: str = "",
                  without_cp: bool = False) -> str:
    text = BASE.replace(CNI_LINE, MODES[mode] + extra)
    text = text.replace("kubeProxyMode: iptables", f"kubeProxyMode: {proxy}")
    if without_cp:  # NET-4.3's listing is for the three workers only
        docs = text.split("\n---\n")
        text = "\n---\n".join(d for d in docs if "name: cp\n" not in d)
    return text


@lru_cache(maxsize=64)
def engine(mode: str = "flannel-vxlan", *, policies: bool = False, proxy: str = "iptables",
           extra: str = "", without_cp: bool = False) -> Engine:
    docs = [("kubeadm.yaml", scenario_text(mode, proxy=proxy, extra=extra,
                                           without_cp=without_cp))]
    if policies:
        docs.append(("kubeadm-policies.yaml", POLICY_TEXT))
    return Engine(manifests.load(docs))


def connect(e: Engine, src: Any, to: str, port: int | str, **kw: Any) -> dict[str, Any]:
    return run_query(e, {"kind": "connect", "from": src, "to": to, "port": port, **kw})


def to_backend(e: Engine, backend: str, src: Any, to: str, port: int | str,
               **kw: Any) -> dict[str, Any]:
    """The connection whose endpoint choice (a flow hash + seed, SVC-8) lands on `backend`."""
    for seed in range(64):
        r = connect(e, src, to, port, seed=seed, **kw)
        if r["backend"] == backend:
            return r
    raise AssertionError(f"no seed in 0..63 sends {src} → {to}:{port} to {backend}")


def dns(e: Engine, src: str, name: str, qtype: str = "A") -> dict[str, Any]:
    return run_query(e, {"kind": "dns", "from": src, "name": name, "type": qtype})


def policy(e: Engine, src: Any, dst: Any, port: int | str, protocol: str = "TCP"
           ) -> dict[str, Any]:
    return run_query(e, {"kind": "policy", "from": src, "to": dst, "port": port,
                         "protocol": protocol})


def forward(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for h in r["hops"] if h["action"] != "reply"]


def delivered_ttl(r: dict[str, Any]) -> int:
    hop = next(h for h in forward(r) if h["action"] == "deliver")
    return hop["packet_in"]["ttl"]


def outer(r: dict[str, Any]) -> dict[str, Any] | None:
    hop = next((h for h in forward(r) if h["action"] == "encapsulate"), None)
    return hop["packet_out"]["outer"] if hop else None


def cluster_ip(e: Engine, key: str) -> str:
    return str(e.cluster.service_by_key[key].cluster_ip)


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clusterlab.sim", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def iface_addr(e: Engine, node: str, dev: str) -> str:
    """The address `ip addr` shows on `dev` (what MASQUERADE picks when leaving by it)."""
    from clusterlab.sim.netviews import node_view

    m = re.search(rf"inet (\S+)/\d+ (?:brd \S+ )?scope global {re.escape(dev)}\n",
                  node_view(e, node, "addr"))
    assert m, f"{dev} has no address on {node}"
    return m.group(1)


# =========================================================================== topology


def test_kubeadm_addressing_matches_the_reference_topology() -> None:
    """NET-2 (podCIDR per node, host-local from .2), SVC-1 (10.96.0.1 / 10.96.0.10),
    SVC-2 (other ClusterIPs from the dynamic band), SVC-3 (NodePorts kept / allocated)."""
    c = engine().cluster
    assert {n.name: (str(n.internal_ip), str(n.pod_cidr)) for n in c.nodes} == {
        "cp": ("192.168.56.10", "10.244.0.0/24"),
        "node-1": ("192.168.56.11", "10.244.1.0/24"),
        "node-2": ("192.168.56.12", "10.244.2.0/24"),
        "node-3": ("192.168.57.13", "10.244.3.0/24")}
    assert str(c.find_pod("shop/client").ip) == "10.244.1.2"  # cni0 holds .1
    assert cluster_ip(engine(), "default/kubernetes") == "10.96.0.1"
    assert cluster_ip(engine(), "kube-system/kube-dns") == "10.96.0.10"
    static_band_end = IPv4Address("10.96.1.0")
    for svc in c.services:
        if svc.namespace == "shop" and svc.cluster_ip is not None:
            assert svc.cluster_ip in IPv4Network("10.96.0.0/12")
            assert svc.cluster_ip > static_band_end, svc.key
    lb = c.service_by_key["shop/web-lb"]
    assert lb.ports[0].node_port == 30081
    assert 30086 <= lb.health_check_node_port <= 32767  # dynamic NodePort band
    # CoreDNS: two replicas on the control plane (DNS-1), in kube-dns's slice
    dns_pods = [p for p in c.pods if p.labels.get("k8s-app") == "kube-dns"]
    assert len(dns_pods) == 2 and {p.node_name for p in dns_pods} == {"cp"}


def test_named_target_port_resolves_per_pod_and_unready_pods_are_left_out() -> None:
    """SVC-4 (named targetPort per pod), SVC-5 (ready endpoints only)."""
    r = connect(engine(), "shop/client", "web", 80, seed=0)
    assert sorted(r["candidates"]) == ["shop/web-a:8080", "shop/web-b:8080", "shop/web-c:9090"]
    r = to_backend(engine(), "shop/web-c", "shop/client", "web", 80)
    assert r["backend_port"] == 9090
    # the not-ready pod stays reachable by its own IP
    r = connect(engine(), "shop/client", "shop/web-unready", 8080)
    assert r["verdict"] == "delivered"


# =========================================================================== routes


NET_4_2_NODE_1 = """\
default via 192.168.56.1 dev eth0
10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1
10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink
192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11
"""

NET_4_3_NODE_1 = """\
default via 192.168.56.1 dev eth0
10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1
10.244.2.0/24 via 192.168.56.12 dev eth0
192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11
"""


def test_cli_ip_route_of_node_1_is_net_4_2_for_vxlan() -> None:
    """NET-4.2: one onlink route per remote node via its flannel.1 address."""
    out = cli("node", "node-1", str(CLUSTER), "--show", "routes")
    assert out.returncode == 0, out.stderr
    assert out.stdout == NET_4_2_NODE_1


def test_ip_route_of_node_1_is_net_4_3_for_host_gw(tmp_path: Path) -> None:
    """NET-4.3: no route to node-3's podCIDR (not on-link, 'Nexthop has invalid gateway')."""
    path = tmp_path / "host-gw.yaml"
    path.write_text(scenario_text("flannel-host-gw", without_cp=True))
    out = cli("node", "node-1", str(path), "--show", "routes")
    assert out.returncode == 0, out.stderr
    assert out.stdout == NET_4_3_NODE_1


def test_cli_neighbour_and_fdb_entries_print_like_iproute2_with_a_dev_filter() -> None:
    """NET-4.2: one permanent ARP and one FDB entry per remote node; with `dev flannel.1`
    given, iproute2 prints no `dev` token in the entries."""
    out = cli("node", "node-1", str(CLUSTER), "--show", "neigh")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "$ ip neigh show dev flannel.1"
    mac = r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}"
    assert [re.sub(mac, "MAC", x) for x in lines[1:4]] == [
        "10.244.0.0 lladdr MAC PERMANENT", "10.244.2.0 lladdr MAC PERMANENT",
        "10.244.3.0 lladdr MAC PERMANENT"]
    assert lines[5] == "$ bridge fdb show dev flannel.1"
    assert [re.sub(mac, "MAC", x) for x in lines[6:]] == [
        "MAC dst 192.168.56.10 self permanent", "MAC dst 192.168.56.12 self permanent",
        "MAC dst 192.168.57.13 self permanent"]


def test_calico_vxlan_routes_look_like_net_5_6() -> None:
    """NET-5.6: `<block> via <peer VTEP> dev vxlan.calico onlink` (Felix programs tunnel
    routes with DeviceRouteProtocol 3 = boot, which `ip route` hides) and
    `blackhole <own block> proto 80`; CrossSubnet same-subnet peers `via <node IP> dev eth0
    proto 80 onlink` (felix calculateRouteProtocol)."""
    from clusterlab.sim.netviews import node_view

    e = engine("calico-vxlan")
    routes = node_view(e, "node-1", "routes").splitlines()
    b2 = e.dataplane.ranges("node-2")[0]
    vtep2 = iface_addr(e, "node-2", "vxlan.calico")
    assert f"{b2} via {vtep2} dev vxlan.calico onlink" in routes
    assert f"blackhole {e.dataplane.ranges('node-1')[0]} proto 80" in routes
    e = engine("calico-vxlan-crosssubnet")
    routes = node_view(e, "node-1", "routes").splitlines()
    assert f"{e.dataplane.ranges('node-2')[0]} via 192.168.56.12 dev eth0 proto 80 onlink" in routes
    b3, vtep3 = e.dataplane.ranges("node-3")[0], iface_addr(e, "node-3", "vxlan.calico")
    assert f"{b3} via {vtep3} dev vxlan.calico onlink" in routes


# =========================================================================== TTL (ping)

# (same node, other node in the same subnet, node-3 across the router); None = no delivery
TTLS = {
    "flannel-vxlan": (64, 62, 62),      # NET-3.1: bridged same node, routed once per node
    "flannel-host-gw": (64, 62, None),  # NET-4.3: node-3 unreachable
    "canal-vxlan": (63, 62, 62),        # Canal plugs pods with cali* veths (routed)
    "calico-ipip": (63, 62, 62),        # NET-5.3: routed even on one node
    "calico-vxlan": (63, 62, 62),
    "calico-ipip-crosssubnet": (63, 62, 62),
    "calico-bgp": (63, 62, None),       # NET-5.7: the router knows no pod routes
    "weave-fastdp": (64, 64, 64),       # NET-3.1/NET-6: one L2 segment over the overlay
    "weave-sleeve": (64, 64, 64),
    "cilium-native": (63, 62, None),    # auto-direct-node-routes: same L2 only
}


@pytest.mark.parametrize("mode", sorted(TTLS))
def test_ttl_seen_by_the_receiver(mode: str) -> None:
    """NET-3.1: the TTL ping shows — 64 bridged, 63 routed on one node, 62 across nodes."""
    e = engine(mode)
    got = []
    for dst in ("shop/web-a", "shop/web-b", "shop/web-c"):
        port = 9090 if dst == "shop/web-c" else 8080
        r = connect(e, "tools/debug", dst, port)
        got.append(delivered_ttl(r) if r["verdict"] == "delivered" else None)
    assert tuple(got) == TTLS[mode]


def test_host_gw_across_subnets_is_unreachable_and_says_why() -> None:
    """NET-4.3, NET-8.1: dropped at the router, which has no route for pod CIDRs."""
    r = connect(engine("flannel-host-gw"), "shop/client", "shop/web-c", 9090)
    assert r["verdict"] == "dropped"
    assert "router 192.168.56.1 has no route to the pod address 10.244.3.2" in r["reason"]
    assert "host-gw needs every node on one L2 network" in r["reason"]


# =========================================================================== encapsulation


@pytest.mark.parametrize(("mode", "proto", "dport", "vni"), [
    ("flannel-vxlan", "UDP", 8472, 1),       # NET-4.2
    ("calico-vxlan", "UDP", 4789, 4096),     # NET-5.6
    ("calico-ipip", "IPIP", None, None),     # NET-5.5: IP protocol 4, not UDP
    ("cilium-vxlan", "UDP", 8472, None),     # NET-7
    ("cilium-geneve", "UDP", 6081, None),    # NET-7
    ("weave-fastdp", "UDP", 6784, None),     # NET-6
    ("weave-sleeve", "UDP", 6783, None),     # NET-6
])
def test_encapsulation_on_the_wire(mode: str, proto: str, dport: int | None,
                                   vni: int | None) -> None:
    r = connect(engine(mode), "shop/client", "shop/web-b", 8080)
    o = outer(r)
    assert o is not None and o["proto"] == proto
    assert (o["src"], o["dst"]) == ("192.168.56.11", "192.168.56.12")
    if dport is not None:
        assert o["dport"] == dport
    if vni is not None:
        assert o["vni"] == vni
    if proto == "UDP" and mode != "weave-sleeve":
        assert o["size"] == 60 + 50  # NET-3.2: VXLAN/Geneve add 50 bytes to a 60-byte SYN


@pytest.mark.parametrize("mode", ["calico-ipip-crosssubnet", "calico-vxlan-crosssubnet"])
def test_calico_cross_subnet_encapsulates_only_across_subnets(mode: str) -> None:
    """NET-5.7: node-1 → node-2 plain, node-1 → node-3 (other subnet) tunnelled."""
    e = engine(mode)
    assert outer(connect(e, "shop/client", "shop/web-b", 8080)) is None
    assert outer(connect(e, "shop/client", "shop/web-c", 9090)) is not None


@pytest.mark.parametrize(("mode", "device", "mtu"), [
    ("flannel-vxlan", "flannel.1", 1450),    # NET-4.2
    ("calico-ipip", "tunl0@NONE", 1480),     # NET-5.5
    ("calico-vxlan", "vxlan.calico", 1450),  # NET-5.6
    ("weave-fastdp", "weave", 1376),         # NET-6
])
def test_tunnel_device_mtu_in_ip_addr(mode: str, device: str, mtu: int) -> None:
    from clusterlab.sim.netviews import node_view

    text = node_view(engine(mode), "node-1", "addr")
    assert re.search(rf"^\d+: {re.escape(device)}: <[^>]*> mtu {mtu} ", text, re.M), text


def test_packet_larger_than_the_pod_mtu_is_refused_with_fragmentation_needed() -> None:
    """NET-3.2: a 1460-byte DF packet fits Calico IPIP's 1480 but not Flannel VXLAN's 1450."""
    from clusterlab.sim.trace import trace_connect

    t = trace_connect(engine("flannel-vxlan"), "shop/client", "shop/web-b", 8080, size=1460)
    assert t.verdict == "dropped" and "mtu 1450" in t.reason
    t = trace_connect(engine("calico-ipip"), "shop/client", "shop/web-b", 8080, size=1460)
    assert t.verdict == "delivered"


# =========================================================================== SVC-9 source IPs


def test_svc_9_flannel_vxlan_nodeport_cluster_masquerades_to_cni0_or_flannel_1() -> None:
    """Marked (M3), Flannel vxlan: the DNAT node's cni0 (10.244.1.1) for a local backend,
    its flannel.1 (10.244.1.0) for one on another node."""
    e = engine("flannel-vxlan")
    local = to_backend(e, "shop/web-a", EXT, "192.168.56.11", 30080)
    remote = to_backend(e, "shop/web-b", EXT, "192.168.56.11", 30080)
    assert local["source_ip_at_backend"] == "10.244.1.1"
    assert remote["source_ip_at_backend"] == "10.244.1.0"


def test_svc_9_flannel_host_gw_masquerades_to_cni0_or_the_node_ip() -> None:
    e = engine("flannel-host-gw")
    assert to_backend(e, "shop/web-a", EXT, "192.168.56.11",
                      30080)["source_ip_at_backend"] == "10.244.1.1"
    assert to_backend(e, "shop/web-b", EXT, "192.168.56.11",
                      30080)["source_ip_at_backend"] == "192.168.56.11"


@pytest.mark.parametrize(("mode", "device"), [("calico-ipip", "tunl0"),
                                              ("calico-vxlan", "vxlan.calico")])
def test_svc_9_calico_encapsulated_masquerades_to_the_tunnel_address(mode: str,
                                                                     device: str) -> None:
    e = engine(mode)
    r = to_backend(e, "shop/web-b", EXT, "192.168.56.11", 30080)
    assert r["source_ip_at_backend"] == iface_addr(e, "node-1", device)


def test_svc_9_calico_bgp_masquerades_to_the_node_ip() -> None:
    r = to_backend(engine("calico-bgp"), "shop/web-b", EXT, "192.168.56.11", 30080)
    assert r["source_ip_at_backend"] == "192.168.56.11"


def test_svc_9_not_marked_keeps_the_client_ip() -> None:
    """Pod → ClusterIP → another pod: no SNAT (SVC-9 'not marked')."""
    r = to_backend(engine(), "shop/web-b", "shop/client", "web", 80)
    assert r["source_ip_at_backend"] == "10.244.1.2"


def test_svc_15_hairpin_is_seen_from_the_bridge_address() -> None:
    """SVC-15 / M2: a pod reaching itself through its Service sees 10.244.1.1."""
    r = to_backend(engine(), "shop/web-a", "shop/web-a", "web", 80)
    assert r["source_ip_at_backend"] == "10.244.1.1"
    # the reply comes back up through the host (bridge IP = bridge MAC) and is routed: TTL 63
    last = r["hops"][-1]
    assert last["action"] == "reply" and last["place"] == {
        "kind": "pod", "node": "node-1", "name": "shop/web-a"}
    assert last["packet_in"]["src"] == cluster_ip(engine(), "shop/web") and \
        last["packet_in"]["ttl"] == 63


def test_svc_9_m1_external_client_to_a_cluster_ip_through_a_node() -> None:
    """M1: source outside the cluster CIDR → marked → flannel.1 address for a remote pod."""
    r = to_backend(engine(), "shop/web-b", EXT, cluster_ip(engine(), "shop/web"), 80,
                   via_node="node-1")
    assert r["source_ip_at_backend"] == "10.244.1.0"


def test_svc_9_m4_host_to_its_own_etp_local_nodeport_is_masqueraded() -> None:
    """M4: `curl <own node IP>:<nodePort>` on node-2 (no local cache pod) is masqueraded and
    sent to the cluster-wide chain: cache-0 on node-1 sees node-2's flannel.1 address."""
    r = connect(engine(), {"node": "node-2"}, "192.168.56.12", 30379)
    assert r["backend"] == "shop/cache-0" and r["source_ip_at_backend"] == "10.244.2.0"


def test_pod_to_another_nodes_nodeport_is_masqueraded_again_by_that_node() -> None:
    """A pod's packet to node-2's NodePort (ETP Cluster) leaves node-1 masqueraded by
    flanneld (NET-4.5 rule 5: pod → outside the pod network), then node-2's kube-proxy
    marks it (M3) and node-2's KUBE-POSTROUTING masquerades it once more: a backend on
    node-2 sees node-2's cni0 address, not node-1's IP. Each node's nat table acts on its
    own (conntrack is per node)."""
    e = engine()
    r = to_backend(e, "shop/web-b", "shop/client", "192.168.56.12", 30080)
    assert r["source_ip_at_backend"] == "10.244.2.1"
    snats = [(h["place"]["node"], h["packet_out"]["src"]) for h in forward(r)
             if h["action"] == "snat"]
    assert snats == [("node-1", "192.168.56.11"), ("node-2", "10.244.2.1")]
    # both NATs are undone on the way back: the client sees node-2's NodePort as its peer
    last = r["hops"][-1]
    assert last["place"]["name"] == "shop/client"
    assert (last["packet_in"]["src"], last["packet_in"]["sport"]) == ("192.168.56.12", 30080)


def test_masquerade_happens_once_on_the_dnat_node_not_again_downstream() -> None:
    """The 0x4000 mark lives in one node's skb: the receiving node of a forwarded NodePort
    packet does not masquerade it a second time (calico-bgp: cp's IP, not node-1's)."""
    e = engine("calico-bgp")
    r = to_backend(e, "shop/web-a", EXT, "192.168.56.10", 30080)
    assert r["source_ip_at_backend"] == "192.168.56.10"
    assert [h["place"]["node"] for h in forward(r) if h["action"] == "snat"] == ["cp"]


def test_reply_to_a_masqueraded_same_node_connection_reaches_the_client() -> None:
    """External → NodePort → pod on the same node (source 10.244.1.1): the pod's reply is
    for the bridge's own address, goes up to node-1's stack, is un-NATed by conntrack and
    routed back out of eth0 to the client (it is not an ARP on cni0 for 203.0.113.9)."""
    r = to_backend(engine(), "shop/web-a", EXT, "192.168.56.11", 30080)
    last = r["hops"][-1]
    assert last["action"] == "reply" and last["place"] == {
        "kind": "external", "node": None, "name": "203.0.113.9"}
    assert (last["packet_in"]["src"], last["packet_in"]["sport"]) == ("192.168.56.11", 30080)


# =========================================================================== traffic policies


def test_etp_local_keeps_the_client_ip_and_drops_on_nodes_without_endpoints() -> None:
    """SVC-10, SVC-12: the LB sends to a node with a local endpoint; the client IP is kept.
    A NodePort (ETP Local) on node-2 without a local cache pod drops external packets."""
    e = engine()
    r = connect(e, EXT, "203.0.113.10", 80, via_node="node-2")
    assert r["verdict"] == "delivered" and r["backend"] == "shop/web-b"
    assert r["candidates"] == ["shop/web-b:8080"]
    assert r["source_ip_at_backend"] == "203.0.113.9"
    r = connect(e, EXT, "192.168.56.12", 30379)
    assert r["verdict"] == "dropped"
    assert "externalTrafficPolicy Local and no ready endpoint on node-2" in r["reason"]
    r = connect(e, EXT, "192.168.56.11", 30379)
    assert r["verdict"] == "delivered" and r["source_ip_at_backend"] == "203.0.113.9"


def test_etp_local_from_a_pod_uses_every_endpoint_without_snat() -> None:
    """SVC-10: pod → NodePort/LB IP of an ETP Local Service short-circuits to the
    cluster-wide endpoints, no masquerade."""
    r = connect(engine(), "shop/client-2", "192.168.56.12", 30379)
    assert r["verdict"] == "delivered" and r["backend"] == "shop/cache-0"
    assert r["source_ip_at_backend"] == "10.244.2.2"


def test_healthcheck_node_port_answers_200_only_with_local_endpoints() -> None:
    """SVC-10: kube-proxy's healthCheckNodePort; the not-ready web pod does not count."""
    e = engine()
    got = {n: run_query(e, {"kind": "healthcheck", "service": "shop/web-lb", "node": n})
           for n in ("cp", "node-1", "node-2")}
    assert (got["cp"]["status"], got["cp"]["localEndpoints"]) == (503, 0)
    assert (got["node-2"]["status"], got["node-2"]["localEndpoints"]) == (200, 1)
    assert json.loads(got["node-1"]["body"]) == {
        "service": {"namespace": "shop", "name": "web-lb"}, "localEndpoints": 1,
        "serviceProxyHealthy": True}


def test_itp_local_drops_when_the_clients_node_has_no_endpoint() -> None:
    """SVC-10/SVC-11: internalTrafficPolicy Local → DROP (timeout), not REJECT."""
    e = engine()
    r = connect(e, "shop/client-2", "cache-itp", 6379)
    assert r["verdict"] == "dropped" and r["candidates"] == []
    assert "internalTrafficPolicy Local and no ready endpoint on node-2" in r["reason"]
    r = connect(e, "shop/client", "cache-itp", 6379)
    assert r["verdict"] == "delivered" and r["candidates"] == ["shop/cache-0:6379"]


# =========================================================================== SVC-11


def test_cluster_ip_without_ready_endpoints_is_rejected_but_still_resolves() -> None:
    """SVC-11 REJECT → 'Connection refused'; DNS-3: the name still has its A record."""
    e = engine()
    r = connect(e, "shop/client", "nobody", 80)
    assert r["verdict"] == "rejected" and r["resolved_ip"] == cluster_ip(e, "shop/nobody")
    assert dns(e, "shop/client", "nobody")["answers"] == [cluster_ip(e, "shop/nobody")]


def test_unknown_port_on_a_cluster_ip_is_dropped_in_iptables_mode() -> None:
    """SVC-11: no rule matches, the packet follows the default route and is lost."""
    e = engine()
    for port, proto in ((8080, "TCP"), (80, "UDP")):
        r = connect(e, "shop/client", cluster_ip(e, "shop/web"), port, protocol=proto)
        assert r["verdict"] == "dropped", (port, proto)
        assert "has no route to the Service address" in r["reason"]


def test_unknown_port_on_a_cluster_ip_is_rejected_in_ipvs_mode() -> None:
    """SVC-11: the VIP is local on kube-ipvs0 and KUBE-IPVS-FILTER rejects it."""
    e = engine(proxy="ipvs")
    r = connect(e, "shop/client", cluster_ip(e, "shop/web"), 8080)
    assert r["verdict"] == "rejected" and "KUBE-IPVS-FILTER" in r["reason"]


# ================================================================ selector-less, ExternalName


def test_selector_less_service_uses_the_hand_made_endpoint_slice() -> None:
    """SVC-16; NET-4.5 rule 5: leaving the pod network, the pod is masqueraded to the node."""
    r = connect(engine(), "shop/client", "legacy-pg", 5432)
    assert r["candidates"] == ["192.168.56.77:5432"]
    assert (r["verdict"], r["backend"]) == ("delivered", "192.168.56.77")
    assert r["source_ip_at_backend"] == "192.168.56.11"


def test_external_name_is_a_cname_with_no_port_remapping() -> None:
    """DNS-6, SVC-16."""
    e = engine()
    got = dns(e, "shop/client", "ext-db", "CNAME")
    assert (got["rcode"], got["answers"]) == ("NOERROR", ["db.example.com."])
    got = dns(e, "shop/client", "ext-db")
    assert got["answers"] == ["203.0.113.50"] and got["cname"] == "db.example.com"
    r = connect(e, "shop/client", "ext-db", 5432)
    assert (r["backend"], r["backend_port"]) == ("203.0.113.50", 5432)


def test_kubernetes_default_reaches_the_api_server_from_the_node_ip() -> None:
    """DNS-10 'kubernetes.default' → 10.96.0.1; SVC-1 backend 192.168.56.10:6443; NET-4.5:
    the API server sees the client's node IP."""
    r = connect(engine(), "shop/client", "kubernetes.default", 443)
    assert r["resolved_ip"] == "10.96.0.1"
    assert r["candidates"] == ["192.168.56.10:6443"] and r["backend_port"] == 6443
    assert r["source_ip_at_backend"] == "192.168.56.11"


# =========================================================================== DNS

SHOP_SUFFIXES = ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"]


@pytest.mark.parametrize(("typed", "tried", "answers"), [
    # DNS-10's worked walks, from a pod in namespace `shop`
    ("web", ["web.shop.svc.cluster.local"], "web"),
    ("kubernetes", [f"kubernetes.{s}" for s in SHOP_SUFFIXES] + ["kubernetes"], None),
    ("web.shop", ["web.shop.shop.svc.cluster.local", "web.shop.svc.cluster.local"], "web"),
    ("web.shop.svc", ["web.shop.svc.shop.svc.cluster.local", "web.shop.svc.svc.cluster.local",
                      "web.shop.svc.cluster.local"], "web"),
    ("web.shop.svc.cluster.local", [f"web.shop.svc.cluster.local.{s}" for s in SHOP_SUFFIXES]
     + ["web.shop.svc.cluster.local"], "web"),
    ("web.shop.svc.cluster.local.", ["web.shop.svc.cluster.local"], "web"),
    ("kubernetes.default", ["kubernetes.default.shop.svc.cluster.local",
                            "kubernetes.default.svc.cluster.local"], ["10.96.0.1"]),
    ("example.com", [f"example.com.{s}" for s in SHOP_SUFFIXES] + ["example.com"],
     ["93.184.215.14"]),
])
def test_dns_10_search_walks(typed: str, tried: list[str], answers: Any) -> None:
    e = engine()
    got = dns(e, "shop/client", typed)
    assert got["tried"] == tried
    if answers is None:
        assert (got["rcode"], got["answers"]) == ("NXDOMAIN", [])
    else:
        want = [cluster_ip(e, "shop/web")] if answers == "web" else answers
        assert (got["rcode"], got["answers"]) == ("NOERROR", want)


def test_short_names_only_find_services_of_the_clients_namespace() -> None:
    """DNS-10 key fact: `web` from namespace tools is NXDOMAIN; `web.shop` works."""
    e = engine()
    assert dns(e, "tools/debug", "web")["rcode"] == "NXDOMAIN"
    assert dns(e, "tools/debug", "web.shop")["answers"] == [cluster_ip(e, "shop/web")]


@pytest.mark.parametrize(("name", "qtype", "rcode"), [
    # DNS-8
    ("web.shop.svc.cluster.local.", "AAAA", "NODATA"),   # IPv4-only Service
    ("web.shop.svc.cluster.local.", "TXT", "NODATA"),
    ("shop.svc.cluster.local.", "A", "NODATA"),           # existing namespace
    ("cluster.local.", "A", "NODATA"),                    # zone apex
    ("nosuchns.svc.cluster.local.", "A", "NXDOMAIN"),
    ("nope.shop.svc.cluster.local.", "A", "NXDOMAIN"),
    ("foo.cluster.local.", "A", "NXDOMAIN"),              # not svc/pod
    ("a.b.web.shop.svc.cluster.local.", "A", "NXDOMAIN"),  # too many labels
    ("standby.shop.svc.cluster.local.", "A", "NXDOMAIN"),  # headless, none ready
    ("_http._udp.web.shop.svc.cluster.local.", "SRV", "NXDOMAIN"),
    ("1-2-3-4.nosuchns.pod.cluster.local.", "A", "NXDOMAIN"),  # DNS-7
])
def test_dns_8_nxdomain_versus_nodata(name: str, qtype: str, rcode: str) -> None:
    got = dns(engine(), "shop/client", name, qtype)
    if rcode == "NODATA":
        assert (got["rcode"], got["answers"]) == ("NOERROR", [])
    else:
        assert got["rcode"] == rcode


def test_glibc_walk_goes_on_after_nodata() -> None:
    """DNS-10 rule 4: AAAA for `web` is NODATA at each step; the walk tries all four."""
    got = dns(engine(), "shop/client", "web", "AAAA")
    assert (got["rcode"], got["answers"]) == ("NOERROR", [])
    assert len(got["tried"]) == 4


def test_headless_a_records_are_the_ready_endpoints_only() -> None:
    """DNS-4, SVC-5: db-2 is not ready; publishNotReadyAddresses publishes it."""
    e = engine()
    ip = {p.name: str(p.ip) for p in e.cluster.pods if p.namespace == "shop"}
    assert sorted(dns(e, "shop/client", "db")["answers"]) == sorted([ip["db-0"], ip["db-1"]])
    assert dns(e, "shop/client", "standby-all")["answers"] == [ip["db-2"]]
    # hostname + subdomain (StatefulSet pattern), only while ready
    assert dns(e, "shop/client", "db-0.db")["answers"] == [ip["db-0"]]
    assert dns(e, "shop/client", "db-2.db")["rcode"] == "NXDOMAIN"
    # an endpoint with a hostname is not reachable by its dashed IP
    dashed = ip["db-0"].replace(".", "-")
    assert dns(e, "shop/client", f"{dashed}.db")["rcode"] == "NXDOMAIN"


def test_srv_records() -> None:
    """DNS-5: `<priority> <weight> <port> <target>.`; ClusterIP → the Service port and name;
    headless → one per ready endpoint, weight 100/n, the endpoint's own (resolved) port."""
    e = engine()
    assert dns(e, "shop/client", "_http._tcp.web", "SRV")["answers"] == [
        "0 100 80 web.shop.svc.cluster.local."]
    assert sorted(dns(e, "shop/client", "_pg._tcp.db", "SRV")["answers"]) == [
        "0 50 5432 db-0.db.shop.svc.cluster.local.",
        "0 50 5432 db-1.db.shop.svc.cluster.local."]
    ip = {p.name: str(p.ip).replace(".", "-") for p in e.cluster.pods}
    assert sorted(dns(e, "shop/client", "_http._tcp.web-headless", "SRV")["answers"]) == sorted([
        f"0 33 8080 {ip['web-a']}.web-headless.shop.svc.cluster.local.",
        f"0 33 8080 {ip['web-b']}.web-headless.shop.svc.cluster.local.",
        f"0 33 9090 {ip['web-c']}.web-headless.shop.svc.cluster.local."])
    assert dns(e, "shop/client", "_dns._udp.kube-dns.kube-system", "SRV")["answers"] == [
        "0 100 53 kube-dns.kube-system.svc.cluster.local."]


def test_pod_a_records_in_insecure_mode() -> None:
    """DNS-7: `pods insecure` answers the encoded IP without checking a pod has it."""
    e = engine()
    assert dns(e, "shop/client", "10-244-1-2.shop.pod.cluster.local.")["answers"] == [
        "10.244.1.2"]
    assert dns(e, "shop/client", "1-2-3-4.shop.pod.cluster.local.")["answers"] == ["1.2.3.4"]


def test_dns_through_default_deny_with_the_dns_egress_allowance() -> None:
    """DNS-11: shop's default-deny plus allow-dns (kube-system/k8s-app=kube-dns, UDP+TCP 53)."""
    e = engine("calico-ipip", policies=True)
    assert dns(e, "shop/client", "web")["answers"] == [cluster_ip(e, "shop/web")]
    r = connect(e, "shop/client", "web", 80, seed=1)
    assert r["verdict"] == "delivered"


DENY_TOOLS_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: tools}
spec:
  podSelector: {}
  policyTypes: [Egress]
"""


def test_dns_query_blocked_by_egress_policy_times_out() -> None:
    """DNS-11/DNS-12: the `dns` query is ordinary UDP 53 traffic; an egress default-deny
    without a DNS allowance means no answer at all, not CoreDNS's answer."""
    e = Engine(manifests.load([("k", scenario_text("calico-ipip")), ("p", DENY_TOOLS_EGRESS)]))
    got = dns(e, "tools/debug", "web.shop")
    assert (got["rcode"], got["answers"]) == ("TIMEOUT", [])
    assert got["tried"] == ["web.shop.tools.svc.cluster.local"]
    r = connect(e, "tools/debug", "web.shop", 80)
    assert r["verdict"] == "dropped" and "timed out" in r["reason"]
    # Flannel enforces nothing: the same policy does not stop DNS (NET-4.6)
    e = Engine(manifests.load([("k", scenario_text()), ("p", DENY_TOOLS_EGRESS)]))
    assert dns(e, "tools/debug", "web.shop")["rcode"] == "NOERROR"


def test_dns_query_with_coredns_scaled_to_zero_is_refused() -> None:
    """DNS-11: kube-dns without endpoints → REJECT → 'connection refused'."""
    e = engine(extra="\n  faults: {corednsScaledToZero: true}")
    got = dns(e, "shop/client", "web")
    assert got["rcode"] == "REFUSED" and got["answers"] == []


# =========================================================================== NetworkPolicy


def test_flannel_does_not_enforce_policies() -> None:
    """NET-4.6: the verdict is computed but `enforced` is false and traffic flows."""
    e = engine("flannel-vxlan", policies=True)
    v = policy(e, "tools/debug", "shop/db-0", 5432)
    assert (v["allowed"], v["enforced"]) == (False, False)
    r = connect(e, "tools/debug", "shop/db-0", 5432)
    assert r["verdict"] == "delivered"
    assert "flannel does not enforce NetworkPolicy" in r["reason"]
    # an allowing policy hop is marked informational too: nothing on the node evaluated it
    hops = [h for h in connect(e, "shop/client", "shop/web-b", 8080)["hops"]
            if h["action"] == "policy-allow"]
    assert hops and all("(not enforced by flannel)" in h["rule"] for h in hops)


def test_canal_enforces_and_names_the_isolating_policies() -> None:
    """Canal = Flannel routing + Calico policy (issue #3); attribution text (DESIGN)."""
    e = engine("canal-vxlan", policies=True)
    v = policy(e, "tools/debug", "shop/db-0", 5432)
    assert (v["allowed"], v["enforced"]) == (False, True)
    assert v["ingress"]["isolated_by"] == ["shop/default-deny", "shop/backends-from-clients"]
    assert v["reason"] == ("pod shop/db-0 is isolated for ingress by shop/default-deny, "
                           "shop/backends-from-clients; no rule admits tools/debug on TCP 5432")
    r = connect(e, "tools/debug", "shop/db-0", 5432)
    assert r["verdict"] == "dropped"
    assert [h["action"] for h in r["hops"]][-1] == "policy-deny"


def test_policy_allow_attribution_resolves_named_ports_on_the_destination() -> None:
    """Named port `http` in an egress and an ingress rule: 8080 on web-b, 9090 on web-c."""
    e = engine("calico-ipip", policies=True)
    v = policy(e, "shop/client", "shop/web-b", "http")
    assert v["allowed"] and v["enforced"]
    assert [(a["text"], a["detail"]) for a in v["egress"]["allowed_by"]] == [
        ("NetworkPolicy shop/allow-client-egress egress rule 0",
         "to[0] podSelector app=web; ports[0] http/TCP (= 8080 on shop/web-b)")]
    assert v["ingress"]["allowed_by"][0]["text"] == "NetworkPolicy shop/web-ingress ingress rule 0"
    assert policy(e, "shop/client", "shop/web-c", 9090)["allowed"]
    assert not policy(e, "shop/client", "shop/web-c", 8080)["allowed"]
    # namespaceSelector team=tools admits tools/debug on the named port only
    assert policy(e, "tools/debug", "shop/web-c", 9090)["allowed"]
    assert not policy(e, "tools/debug", "shop/web-c", 8080)["allowed"]


def test_ip_block_except_sees_the_masqueraded_source() -> None:
    """web-ingress rule 1 admits 0.0.0.0/0 except 10.244.0.0/16. An external client kept
    by ETP Local passes; the same client through an ETP Cluster NodePort is masqueraded to
    node-1's tunl0 address — inside the pool — and Calico drops it at web-b (SVC-9)."""
    e = engine("calico-ipip", policies=True)
    r = connect(e, EXT, "203.0.113.10", 80, via_node="node-2")
    assert r["verdict"] == "delivered" and r["source_ip_at_backend"] == "203.0.113.9"
    drops = [connect(e, EXT, "192.168.56.11", 30080, seed=s) for s in range(16)]
    remote = [d for d in drops if d["verdict"] == "dropped"]
    assert remote, "some flows pick a backend on another node"
    tunl0 = iface_addr(e, "node-1", "tunl0")
    assert all(f"no rule admits {tunl0} on TCP" in d["reason"] for d in remote)


# =========================================================================== iptables-save


def test_iptables_save_names_chains_like_kube_proxy() -> None:
    """SVC-7: verified chain hashes, 11-decimal probabilities, endpoints by 'ip:port' string."""
    from clusterlab.sim.netviews import node_view

    text = node_view(engine(), "node-1", "iptables")
    for chain in ("KUBE-SVC-NPX46M4PTMTKRN6Y", "KUBE-SVC-TCOU7JCQXEZGVUNU",
                  "KUBE-SVC-ERIFXISQEP7F7OF4", "KUBE-SVC-JD5MR3NA4I4DYORP"):
        assert f"\n:{chain} - [0:0]\n" in text
    assert ('-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment '
            '"kube-system/kube-dns:dns cluster IP" -m udp --dport 53 '
            '-j KUBE-SVC-TCOU7JCQXEZGVUNU\n') in text
    web = [line for line in text.splitlines()
           if line.startswith("-A KUBE-SVC-") and '"shop/web:http -> ' in line]
    assert [re.search(r"-> (\S+)\"", w).group(1) for w in web] == [  # type: ignore[union-attr]
        "10.244.1.3:8080", "10.244.2.3:8080", "10.244.3.2:9090"]
    assert "--probability 0.33333333349" in web[0] and "--probability 0.50000000000" in web[1]
    assert "--probability" not in web[2]
    assert text.endswith("COMMIT\n")


def test_iptables_save_groups_each_chains_rules_like_iptables_save() -> None:
    """iptables-save prints user chains sorted by name and every chain's rules together:
    FLANNEL-POSTRTG sorts before KUBE-*, and flanneld's `-A POSTROUTING` jump sits with the
    other built-in POSTROUTING rules, not after the last KUBE- rule."""
    from clusterlab.sim.netviews import node_view

    lines = node_view(engine(), "node-1", "iptables").splitlines()
    decls = [line[1:].split()[0] for line in lines if line.startswith(":")]
    assert decls[:4] == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
    assert decls[4:] == sorted(decls[4:])
    rule_chains = [line.split()[1] for line in lines if line.startswith("-A ")]
    order = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", *decls[4:]]
    seen = list(dict.fromkeys(rule_chains))
    assert seen == sorted(seen, key=order.index)  # grouped, in declaration order
    post = [line for line in lines if line.startswith("-A POSTROUTING ")]
    assert post == [
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG']


def test_itp_and_etp_local_chains() -> None:
    """SVC-7/SVC-10: KUBE-SVL for ITP Local with the masquerade rule, KUBE-EXT for ETP Local
    with the pod short-circuit and the LOCAL masquerade."""
    from clusterlab.sim.netviews import node_view

    text = node_view(engine(), "node-1", "iptables")
    assert re.search(r'-A KUBE-SERVICES -d \S+ -p tcp -m comment --comment '
                     r'"shop/cache-itp:redis cluster IP" -m tcp --dport 6379 -j KUBE-SVL-', text)
    ext = [line for line in text.splitlines()
           if line.startswith("-A KUBE-EXT-") and "shop/cache-np-local:redis" in line]
    assert [re.sub(r"KUBE-(EXT|SVC)-\w+", r"KUBE-\1", x) for x in ext] == [
        '-A KUBE-EXT -s 10.244.0.0/16 -m comment --comment "pod traffic for '
        'shop/cache-np-local:redis external destinations" -j KUBE-SVC',
        '-A KUBE-EXT -m comment --comment "masquerade LOCAL traffic for '
        'shop/cache-np-local:redis external destinations" -m addrtype --src-type LOCAL '
        '-j KUBE-MARK-MASQ',
        '-A KUBE-EXT -m comment --comment "route LOCAL traffic for '
        'shop/cache-np-local:redis external destinations" -m addrtype --src-type LOCAL '
        '-j KUBE-SVC']


# =========================================================================== command line


def test_cli_check_answers_queries_in_order(tmp_path: Path) -> None:
    queries = [
        {"kind": "connect", "from": "shop/client", "to": "nobody", "port": 80},
        {"kind": "dns", "from": "shop/client", "name": "kubernetes.default"},
        {"kind": "policy", "from": "tools/debug", "to": "shop/db-0", "port": 5432},
        {"kind": "healthcheck", "service": "shop/web-lb", "node": "cp"},
    ]
    qfile = tmp_path / "q.json"
    qfile.write_text(json.dumps(queries))
    out = cli("check", str(CLUSTER), str(POLICIES), "--queries", str(qfile))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got[0]["verdict"] == "rejected"
    assert got[1]["answers"] == ["10.96.0.1"]
    assert (got[2]["allowed"], got[2]["enforced"]) == (False, False)
    assert got[3]["status"] == 503


def test_cli_trace_prints_the_hops_and_exits_by_verdict() -> None:
    out = cli("trace", str(CLUSTER), "--from", "shop/client", "--to", "shop/web-c",
              "--port", "9090")
    assert out.returncode == 0, out.stderr
    assert "route 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink" in out.stdout
    assert "UDP 192.168.56.11 → 192.168.57.13:8472 vni 1" in out.stdout
    out = cli("trace", str(CLUSTER), "--from", "shop/client", "--to", "nobody", "--port", "80")
    assert out.returncode == 1 and out.stdout.startswith("verdict: rejected")


def test_cli_export_is_accepted_by_kubernetes_validate(tmp_path: Path) -> None:
    out = cli("export", str(CLUSTER), str(POLICIES))
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "Node", "Pod", "Service", "EndpointSlice", "NetworkPolicy"} <= kinds
    for doc in docs:
        if doc["kind"] != "ClusterConfig":  # ClusterLab's own kind
            kubernetes_validate.validate(doc, "1.33", strict=True)
    # and it loads back to the same answers
    path = tmp_path / "export.yaml"
    path.write_text(out.stdout)
    again = Engine(manifests.load([("export.yaml", out.stdout)]))
    assert connect(again, "shop/client", "web", 80, seed=3)["backend"] == \
        connect(engine(policies=True), "shop/client", "web", 80, seed=3)["backend"]
    assert dns(again, "shop/client", "_pg._tcp.db", "SRV") == \
        dns(engine(policies=True), "shop/client", "_pg._tcp.db", "SRV")


@pytest.mark.xfail(reason="manifests.py: export drops Node spec.taints (model.Node has no "
                          "taints); the control plane's NoSchedule taint is lost on round trip",
                   strict=True)
def test_export_keeps_the_control_plane_taint() -> None:
    out = manifests.export(engine().cluster)
    cp = next(d for d in yaml.safe_load_all(out)
              if d and d["kind"] == "Node" and d["metadata"]["name"] == "cp")
    assert cp["spec"].get("taints") == [
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]


LB_10250 = """\
apiVersion: v1
kind: Service
metadata: {name: kubelet-lb, namespace: default}
spec:
  type: LoadBalancer
  ports: [{name: x, port: 10250}]
"""


def test_load_balancer_may_expose_port_10250_since_kubernetes_1_33() -> None:
    """VAL-8 still lists `may not expose port 10250 externally since it is used by kubelet`;
    kubernetes/kubernetes#129174 (merged Dec 2024, v1.33) removed that check, and the
    simulated API server is v1.34 (validation.py): the Service is accepted."""
    c = manifests.load([("lb.yaml", LB_10250)])
    assert c.service_by_key["default/kubelet-lb"].ports[0].port == 10250


NODEPORT_AND_NAMES = """\
apiVersion: v1
kind: Service
metadata: {name: c, namespace: default}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 8080}, {port: 81}]
"""


@pytest.mark.xfail(reason="manifests.py: the API server allocates ClusterIPs/NodePorts in the "
                          "Service store's BeginCreate, before validation (apiserver "
                          "registry Store.create), so an out-of-range nodePort is the only "
                          "error kubectl shows; the loader reports the missing port names "
                          "instead and never the nodePort error", strict=True)
def test_nodeport_allocation_error_is_reported_before_validation(tmp_path: Path) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(NODEPORT_AND_NAMES)
    out = cli("export", str(path))
    assert out.returncode == 2
    assert [line.split(" [")[0] for line in out.stderr.splitlines()] == [
        "error: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the "
        "valid range. The range of valid ports is 30000-32767"]


BROKEN = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: 1web, namespace: shop}
spec:
  ports: [{port: 70000, protocol: tcp}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: in, values: [a]}]}
"""


def test_cli_broken_manifest_exits_2_with_field_errors(tmp_path: Path) -> None:
    """VAL-1/VAL-2/VAL-4/VAL-5 texts, one `error: <field path>: <message>` line each."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    out = cli("export", str(path))
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines and all(re.match(r"^error: [\w.\[\]]+: \S", line) for line in lines), lines
    text = out.stderr
    assert ('error: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of '
            "lower case alphanumeric characters or '-', start with an alphabetic character, "
            "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex "
            "used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')") in text
    assert ("error: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, "
            "inclusive") in text
    assert ('error: spec.ports[0].protocol: Unsupported value: "tcp": supported values: '
            '"SCTP", "TCP", "UDP"') in text
    assert ('error: spec.podSelector.matchExpressions[0].operator: Invalid value: "in": not a '
            "valid selector operator") in text
