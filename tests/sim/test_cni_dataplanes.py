"""CNI dataplanes: node tables as `ip route` / `ip addr` / `ip neigh` print them (NET-3 … NET-7),
route lookups that agree with those tables, and the underlay model."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import manifests
from clusterlab.sim.cni.base import Route, RouteTable
from clusterlab.sim.engine import Engine
from clusterlab.sim.netviews import node_view


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


BASE = (Path(__file__).parent / "golden" / "traces" / "cluster.yaml").read_text()
MODES = {
    "flannel-vxlan": "cni: {plugin: flannel, mode: vxlan}",
    "flannel-host-gw": "cni: {plugin: flannel, mode: host-gw}",
    "canal-vxlan": "cni: {plugin: canal, mode: vxlan}",
    "calico-ipip": "cni: {plugin: calico, mode: ipip}",
    "calico-ipip-cs": "cni: {plugin: calico, mode: ipip, crossSubnet: true}",
    "calico-vxlan": "cni: {plugin: calico, mode: vxlan}",
    "calico-vxlan-cs": "cni: {plugin: calico, mode: vxlan, crossSubnet: true}",
    "calico-bgp": "cni: {plugin: calico, mode: bgp}",
    "weave-fastdp": "cni: {plugin: weave, mode: fastdp}",
    "weave-sleeve": "cni: {plugin: weave, mode: sleeve}",
    "cilium-vxlan": "cni: {plugin: cilium, mode: vxlan}",
    "cilium-geneve": "cni: {plugin: cilium, mode: geneve}",
    "cilium-native": "cni: {plugin: cilium, mode: native}",
}


@lru_cache(maxsize=32)
def engine(mode: str, extra: str = "") -> Engine:
    text = BASE.replace("cni: {plugin: flannel, mode: vxlan}", MODES[mode] + extra)
    return Engine(manifests.load([(mode, text)]))


def pod_ip(e: Engine, key: str) -> str:
    return str(e.cluster.pod_by_key[key].ip)


def test_flannel_vxlan_route_table_is_net_4_2() -> None:
    assert node_view(engine("flannel-vxlan"), "node-1", "routes") == (
        "default via 192.168.56.1 dev eth0\n"
        "10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink\n"
        "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1\n"
        "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink\n"
        "10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink\n"
        "192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11\n")


def test_flannel_vxlan_neighbours_and_fdb_one_per_remote_node() -> None:
    e = engine("flannel-vxlan")
    text = node_view(e, "node-1", "neigh")
    dp = e.dataplane
    # NET-4.2's listing: `ip neigh show dev flannel.1` prints no `dev` token per entry
    assert f"10.244.2.0 lladdr {dp.vtep_mac('node-2')} PERMANENT\n" in text
    assert f"{dp.vtep_mac('node-3')} dst 192.168.57.13 self permanent\n" in text
    assert " dev flannel.1 " not in text
    assert text.count("PERMANENT") == 3 and text.count("self permanent") == 3


def test_flannel_host_gw_installs_routes_only_for_on_link_peers() -> None:
    assert node_view(engine("flannel-host-gw"), "node-1", "routes") == (
        "default via 192.168.56.1 dev eth0\n"
        "10.244.0.0/24 via 192.168.56.10 dev eth0\n"
        "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1\n"
        "10.244.2.0/24 via 192.168.56.12 dev eth0\n"
        "192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11\n")
    assert "# flannel host-gw: no VXLAN device" in node_view(engine("flannel-host-gw"),
                                                              "node-1", "neigh")


def test_flannel_ip_addr_devices() -> None:
    text = node_view(engine("flannel-vxlan"), "node-1", "addr")
    assert "flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450" in text
    assert "    inet 10.244.1.0/32 scope global flannel.1\n" in text
    assert "    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\n" in text
    assert "    inet 192.168.56.11/24 brd 192.168.56.255 scope global eth0\n" in text
    assert " master cni0 state UP" in text  # pod veths are ports of the bridge


def test_cni0_exists_only_with_a_pod() -> None:
    e = engine("flannel-vxlan", "\n  faults: {corednsScaledToZero: true}")
    routes = node_view(e, "cp", "routes")  # cp's only pods were CoreDNS
    assert "dev cni0" not in routes and "cni0" not in node_view(e, "cp", "addr")


def cali(ns: str, name: str) -> str:
    return "cali" + hashlib.sha1(f"{ns}.{name}".encode()).hexdigest()[:11]


def test_calico_ipip_routes_net_5_5() -> None:
    e = engine("calico-ipip")
    dp = e.dataplane
    routes = node_view(e, "node-1", "routes").splitlines()
    blocks = dp.ranges("node-1")
    assert f"blackhole {blocks[0]} proto bird" in routes
    assert f"{pod_ip(e, 'default/client')} dev {cali('default', 'client')} scope link" in routes
    b2 = dp.ranges("node-2")[0]
    b3 = dp.ranges("node-3")[0]
    assert f"{b2} via 192.168.56.12 dev tunl0 proto bird onlink" in routes
    assert f"{b3} via 192.168.57.13 dev tunl0 proto bird onlink" in routes
    assert all(str(b.prefixlen) == "26" for b in blocks)
    assert "tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480" in node_view(e, "node-1", "addr")


def test_calico_vxlan_and_crosssubnet_routes() -> None:
    e = engine("calico-vxlan")
    dp = e.dataplane
    routes = node_view(e, "node-1", "routes").splitlines()
    b2 = dp.ranges("node-2")[0]
    # NET-5.6 listing / felix calculateRouteProtocol: tunnel routes have protocol boot (not
    # printed); blackhole and same-subnet routes protocol 80
    assert f"{b2} via {dp.tunnel_ip('node-2')} dev vxlan.calico onlink" in routes
    assert f"blackhole {dp.ranges('node-1')[0]} proto 80" in routes
    assert f"\n{dp.tunnel_ip('node-2')} lladdr " in node_view(e, "node-1", "neigh")
    cs = engine("calico-vxlan-cs")
    routes = node_view(cs, "node-1", "routes").splitlines()
    dp = cs.dataplane
    assert f"{dp.ranges('node-2')[0]} via 192.168.56.12 dev eth0 proto 80 onlink" in routes
    assert any(r.startswith(str(dp.ranges("node-3")[0])) and "vxlan.calico" in r for r in routes)


def test_calico_bgp_cross_subnet_route_points_at_the_gateway() -> None:
    e = engine("calico-bgp")
    dp = e.dataplane
    routes = node_view(e, "node-1", "routes").splitlines()
    assert f"{dp.ranges('node-2')[0]} via 192.168.56.12 dev eth0 proto bird" in routes
    assert f"{dp.ranges('node-3')[0]} via 192.168.56.1 dev eth0 proto bird" in routes


def test_weave_flat_route() -> None:
    e = engine("weave-fastdp")
    bridge = e.dataplane.bridge_ip("node-1")
    assert f"10.32.0.0/12 dev weave proto kernel scope link src {bridge}" in \
        node_view(e, "node-1", "routes")
    addr = node_view(e, "node-1", "addr")
    assert "weave: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1376" in addr
    assert "vethwe-bridge@vethwe-datapath" in addr and "master weave" in addr


def test_cilium_tunnel_routes_net_7() -> None:
    e = engine("cilium-vxlan")
    dp = e.dataplane
    rip = dp.router_ip("node-1")
    routes = node_view(e, "node-1", "routes").splitlines()
    own = dp.ranges("node-1")[0]
    other = dp.ranges("node-2")[0]
    assert f"{own} via {rip} dev cilium_host proto kernel src {rip}" in routes
    assert f"{other} via {rip} dev cilium_host proto kernel src {rip} mtu 1450" in routes
    assert f"{rip} dev cilium_host proto kernel scope link" in routes
    native = engine("cilium-native")
    routes = node_view(native, "node-1", "routes").splitlines()
    dp = native.dataplane
    assert f"{dp.ranges('node-2')[0]} via 192.168.56.12 dev eth0 proto kernel" in routes
    assert not any(r.startswith(str(dp.ranges("node-3")[0])) for r in routes)


@pytest.mark.parametrize(("mode", "mtu"), [
    ("flannel-vxlan", 1450), ("flannel-host-gw", 1500), ("calico-ipip", 1480),
    ("calico-vxlan", 1450), ("calico-bgp", 1500), ("weave-fastdp", 1376),
    ("cilium-vxlan", 1450), ("cilium-geneve", 1450), ("cilium-native", 1500),
])
def test_pod_mtu_net_3_2(mode: str, mtu: int) -> None:
    assert engine(mode).dataplane.pod_mtu("node-1") == mtu


def test_route_render_order() -> None:
    r = Route(IPv4Network("10.0.2.0/24"), dev="cilium_host", via=IPv4Address("10.0.1.42"),
              proto="kernel", src=IPv4Address("10.0.1.42"), mtu=1450)
    assert r.render() == "10.0.2.0/24 via 10.0.1.42 dev cilium_host proto kernel src 10.0.1.42 " \
                         "mtu 1450"
    r = Route(IPv4Network("192.168.66.128/26"), dev="tunl0", via=IPv4Address("10.0.0.12"),
              proto="bird", onlink=True)
    assert r.render() == "192.168.66.128/26 via 10.0.0.12 dev tunl0 proto bird onlink"
    assert Route(IPv4Network("192.168.104.192/26"), type="blackhole", proto="bird").render() == \
        "blackhole 192.168.104.192/26 proto bird"
    assert Route(IPv4Network("10.1.2.3/32"), dev="cali1", scope="link").render() == \
        "10.1.2.3 dev cali1 scope link"


def test_iptables_view_merges_flannel_masquerade_rules() -> None:
    text = node_view(engine("flannel-vxlan"), "node-1", "iptables")
    assert ":FLANNEL-POSTRTG - [0:0]" in text and text.rstrip().endswith("COMMIT")
    assert ('-A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment '
            '"flanneld masq" -j RETURN') in text
    assert "-A KUBE-SERVICES" in text


def test_underlay_paths_and_faults() -> None:
    faults = "\n  faults: {cutLinks: [[rack-a, rack-b]], nodeMTU: {node-2: 1400}}"
    e = engine("flannel-vxlan", faults)
    ul = e.dataplane.underlay
    assert ul.same_l2("node-1", "node-2") and not ul.same_l2("node-1", "node-3")
    assert ul.path(IPv4Address("192.168.56.11"), IPv4Address("192.168.56.12")).ok
    cut = ul.path(IPv4Address("192.168.56.11"), IPv4Address("192.168.57.13"))
    assert not cut.ok and "cut" in cut.reason
    ok = engine("flannel-vxlan").dataplane.underlay.path(IPv4Address("192.168.56.11"),
                                                        IPv4Address("192.168.57.13"))
    assert ok.ok and ok.via_router == IPv4Address("192.168.56.1")
    assert ul.mtu("node-2") == 1400 and ul.configured_mtu("node-2") == 1500
    assert "mtu 1400" in node_view(e, "node-2", "addr")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MODES)), st.sampled_from(["cp", "node-1", "node-2", "node-3"]),
       st.data())
def test_lookup_equals_longest_prefix_match_over_ip_route(mode: str, node: str, data) -> None:
    e = engine(mode)
    dp = e.dataplane
    pool = [p.ip for p in e.cluster.pods if p.ip is not None]
    pool += [n.internal_ip for n in e.cluster.nodes]
    for _, rng in dp.addressing.all_ranges():
        pool += [rng.network_address, rng.network_address + 1, rng.broadcast_address]
    ip = data.draw(st.one_of(st.sampled_from(pool),
                             st.integers(0, 2**32 - 1).map(IPv4Address)))
    full = dp.routes(node)
    assert dp.lookup(node, ip) == full.lookup(ip)
    # the table's own LPM agrees with a naive scan
    matches = [r for r in full.routes if r.dst is None or ip in r.dst]
    best = max(matches, key=lambda r: r.prefixlen, default=None)
    assert (best.prefixlen if best else None) == (full.lookup(ip).prefixlen
                                                  if full.lookup(ip) else None)


def test_route_table_lookup_prefers_longest() -> None:
    table = RouteTable([Route(None, dev="eth0"), Route(IPv4Network("10.0.0.0/8"), dev="a"),
                        Route(IPv4Network("10.1.0.0/16"), dev="b")])
    assert table.lookup(IPv4Address("10.1.2.3")).dev == "b"
    assert table.lookup(IPv4Address("10.2.2.3")).dev == "a"
    assert table.lookup(IPv4Address("8.8.8.8")).dev == "eth0"
