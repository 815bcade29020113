"""IPAM: the addresses each component of a real cluster hands out (NET-2, NET-4..7, SVC-2/3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import ipam
from clusterlab.sim.ipam import (
    AllocationError,
    NodePortAllocator,
    ServiceIPAllocator,
    allocate_node_cidrs,
    node_addressing,
    pod_network,
)
from clusterlab.sim.model import ClusterConfig, Node

A = IPv4Address
N = IPv4Network


def nodes(*names: str, **annotations: dict[str, str]) -> list[Node]:
    return [Node(name, A(f"192.168.56.{11 + i}"),
                 annotations=annotations.get(name.replace("-", "_"), {}))
            for i, name in enumerate(names)]


def with_cidrs(ns: list[Node], cfg: ClusterConfig) -> list[Node]:
    cidrs = allocate_node_cidrs(cfg.cluster_cidr, cfg.node_cidr_mask_size,
                                [n.pod_cidr for n in ns])
    return [Node(n.name, n.internal_ip, c, annotations=n.annotations)
            for n, c in zip(ns, cidrs, strict=True)]


# --------------------------------------------------------------------------- node podCIDRs (NET-2)


def test_node_cidrs_in_node_order_from_the_cluster_cidr():
    got = allocate_node_cidrs(N("10.244.0.0/16"), 24, [None, None, None])
    assert got == [N("10.244.0.0/24"), N("10.244.1.0/24"), N("10.244.2.0/24")]


def test_node_cidrs_keep_given_ones_and_skip_what_they_take():
    got = allocate_node_cidrs(N("10.244.0.0/16"), 24,
                              [None, N("10.244.0.0/23"), None, N("10.244.3.0/24")])
    assert got == [N("10.244.2.0/24"), N("10.244.0.0/23"), N("10.244.4.0/24"), N("10.244.3.0/24")]


def test_node_cidrs_exhausted_gives_none():
    assert allocate_node_cidrs(N("10.244.0.0/23"), 24, [None, None, None]) == \
        [N("10.244.0.0/24"), N("10.244.1.0/24"), None]


def test_node_cidr_given_outside_the_cluster_cidr_is_kept():
    assert allocate_node_cidrs(N("10.244.0.0/16"), 24, [N("172.16.0.0/24"), None]) == \
        [N("172.16.0.0/24"), N("10.244.0.0/24")]


# ------------------------------------------------------------------ ClusterIPs (SVC-2, VAL-9)


def test_service_range_well_known_addresses_and_static_band():
    ips = ServiceIPAllocator(N("10.96.0.0/12"))
    assert ips.nth(1) == A("10.96.0.1") and ips.nth(10) == A("10.96.0.10")
    assert ips.static_band == (A("10.96.0.1"), A("10.96.1.0"))
    assert ServiceIPAllocator(N("10.0.0.0/28")).static_band is None  # ≤ 16 addresses
    assert ServiceIPAllocator(N("10.0.0.0/24")).static_band == (A("10.0.0.1"), A("10.0.0.16"))


def test_cluster_ips_come_from_the_dynamic_band_deterministically():
    got = []
    for _ in range(2):
        ips = ServiceIPAllocator(N("10.96.0.0/12"))
        got.append([ips.allocate_next(f"ns/svc-{i}") for i in range(200)])
    assert got[0] == got[1]
    assert len(set(got[0])) == 200
    assert all(A("10.96.1.1") <= ip <= A("10.111.255.254") for ip in got[0])


def test_cluster_ip_seeded_by_name_not_by_order():
    a = ServiceIPAllocator(N("10.96.0.0/12"))
    a.allocate_next("shop/other")
    b = ServiceIPAllocator(N("10.96.0.0/12"))
    assert a.allocate_next("shop/web") == b.allocate_next("shop/web")


def test_cluster_ip_errors_are_the_api_servers():
    ips = ServiceIPAllocator(N("10.96.0.0/12"))
    with pytest.raises(AllocationError) as err:
        ips.allocate(A("1.1.1.1"))
    assert str(err.value) == ("the provided IP (1.1.1.1) is not in the valid range. "
                              "The range of valid IPs is 10.96.0.0/12")
    ips.allocate(A("10.96.0.10"))
    with pytest.raises(AllocationError, match=r"^provided IP is already allocated$"):
        ips.allocate(A("10.96.0.10"))
    for edge in ("10.96.0.0", "10.111.255.255"):  # network and broadcast are never handed out
        with pytest.raises(AllocationError, match="not in the valid range"):
            ips.allocate(A(edge))


def test_cluster_ip_falls_back_to_the_static_band_then_is_full():
    ips = ServiceIPAllocator(N("10.0.0.0/27"))  # 30 usable, static band 16
    got = [ips.allocate_next(f"s{i}") for i in range(30)]
    first_dynamic = [int(ip) - int(A("10.0.0.1")) for ip in got[:14]]
    assert all(16 <= n < 30 for n in first_dynamic)
    assert all(int(ip) - int(A("10.0.0.1")) < 16 for ip in got[14:])
    with pytest.raises(AllocationError, match=r"^range is full$"):
        ips.allocate_next("one-more")


# ------------------------------------------------------------------- NodePorts (SVC-3, VAL-9)


def test_node_ports_prefer_the_dynamic_band():
    ports = NodePortAllocator((30000, 32767))
    got = {ports.allocate_next(f"ns/svc:{i}") for i in range(500)}
    assert len(got) == 500 and min(got) >= 30086 and max(got) <= 32767


def test_node_port_errors_are_the_api_servers():
    ports = NodePortAllocator((30000, 32767))
    with pytest.raises(AllocationError) as err:
        ports.allocate(8080)
    assert str(err.value) == ("provided port is not in the valid range. "
                              "The range of valid ports is 30000-32767")
    ports.allocate(30080)
    with pytest.raises(AllocationError, match=r"^provided port is already allocated$"):
        ports.allocate(30080)


def test_small_node_port_range_fills_up():
    ports = NodePortAllocator((30000, 30009))
    assert sorted(ports.allocate_next(str(i)) for i in range(10)) == list(range(30000, 30010))
    with pytest.raises(AllocationError, match="range is full"):
        ports.allocate_next("x")


# --------------------------------------------------------------------------- Flannel / Canal


def test_flannel_host_local_gateway_and_pods_in_order():
    cfg = ClusterConfig()
    ns = with_cidrs(nodes("node-1", "node-2"), cfg)
    net = pod_network(cfg, ns)
    net.setup()
    assert [str(net.allocate("node-1", f"p{i}")) for i in range(3)] == \
        ["10.244.0.2", "10.244.0.3", "10.244.0.4"]
    assert str(net.allocate("node-2", "q")) == "10.244.1.2"
    info = net.addressing()["node-2"]
    assert info.devices == {"cni0": IPv4Interface("10.244.1.1/24"),
                            "flannel.1": IPv4Interface("10.244.1.0/32")}
    assert info.pod_gateway == A("10.244.1.1") and info.blocks == (N("10.244.1.0/24"),)


def test_flannel_host_gw_has_no_vxlan_device_and_canal_no_bridge():
    ns = with_cidrs(nodes("node-1"), ClusterConfig())
    hostgw = pod_network(ClusterConfig(cni_mode="host-gw"), ns)
    assert dict(hostgw.addressing()["node-1"].devices) == {"cni0": IPv4Interface("10.244.0.1/24")}
    canal = pod_network(ClusterConfig(cni_plugin="canal"), ns)
    info = canal.addressing()["node-1"]
    assert dict(info.devices) == {"flannel.1": IPv4Interface("10.244.0.0/32")}
    assert info.pod_gateway == A("169.254.1.1")  # Calico's CNI plugin (NET-5.3)
    assert str(canal.allocate("node-1", "p")) == "10.244.0.2"


def test_flannel_skips_reserved_addresses_and_reports_exhaustion():
    cfg = ClusterConfig(node_cidr_mask_size=29)
    ns = with_cidrs(nodes("node-1"), cfg)
    net = pod_network(cfg, ns)
    net.reserve("node-1", A("10.244.0.3"))
    net.setup()
    assert [str(net.allocate("node-1", str(i))) for i in range(4)] == \
        ["10.244.0.2", "10.244.0.4", "10.244.0.5", "10.244.0.6"]
    with pytest.raises(AllocationError) as err:
        net.allocate("node-1", "x")
    assert str(err.value) == ("failed to allocate for range 0: no IP addresses available in "
                              "range set: 10.244.0.1-10.244.0.6")
    assert net.check("node-1", A("10.244.1.5")) == \
        'not in the podCIDR 10.244.0.0/29 of node "node-1"'


# --------------------------------------------------------------------------- Calico


def calico(mode: str = "ipip", cidr: str = "192.168.0.0/16") -> ClusterConfig:
    return ClusterConfig(cni_plugin="calico", cni_mode=mode, cluster_cidr=N(cidr))


def test_calico_blocks_are_26s_seeded_by_node_name_with_the_tunnel_first():
    cfg = calico()
    runs = []
    for _ in range(2):
        net = pod_network(cfg, nodes("node-1", "node-2"))
        net.setup()
        pods = [net.allocate("node-1", "a"), net.allocate("node-1", "b")]
        runs.append((net.addressing(), pods))
    assert runs[0] == runs[1]
    info, pods = runs[0]
    block = info["node-1"].blocks[0]
    assert block.prefixlen == 26 and block.subnet_of(N("192.168.0.0/16"))
    assert info["node-1"].pod_cidr is None
    assert info["node-1"].devices == {"tunl0": IPv4Interface(f"{block.network_address}/32")}
    assert pods == [block.network_address + 1, block.network_address + 2]
    assert info["node-1"].blocks != info["node-2"].blocks
    assert info["node-1"].pod_gateway == A("169.254.1.1")


def test_calico_vxlan_device_and_bgp_without_tunnel_address():
    vx = pod_network(calico("vxlan"), nodes("node-1"))
    vx.setup()
    assert list(vx.addressing()["node-1"].devices) == ["vxlan.calico"]
    bgp = pod_network(calico("bgp"), nodes("node-1"))
    bgp.setup()
    assert bgp.addressing()["node-1"] == \
        ipam.NodeAddressing("node-1", None, (), {}, A("169.254.1.1"))
    first = bgp.allocate("node-1", "p")  # the block is claimed with the first pod
    assert bgp.addressing()["node-1"].blocks[0].network_address == first


def test_calico_claims_another_block_when_full_and_honours_known_ips():
    net = pod_network(calico(), nodes("node-1", "node-2"))
    net.reserve("node-2", A("192.168.5.70"))  # a dumped pod: its block belongs to node-2
    net.setup()
    info = net.addressing()
    assert info["node-2"].blocks == (N("192.168.5.64/26"),)
    assert info["node-2"].devices["tunl0"] == IPv4Interface("192.168.5.64/32")
    for i in range(63):
        net.allocate("node-1", str(i))
    assert len(net.addressing()["node-1"].blocks) == 1
    net.allocate("node-1", "64th pod")
    assert len(net.addressing()["node-1"].blocks) == 2


def test_calico_tunnel_annotation_is_read():
    ns = [Node("node-1", A("192.168.56.11"),
               annotations={"projectcalico.org/IPv4IPIPTunnelAddr": "192.168.104.192"})]
    net = pod_network(calico(), ns)
    net.setup()
    info = net.addressing()["node-1"]
    assert info.device_ip("tunl0") == A("192.168.104.192")
    assert info.blocks == (N("192.168.104.192/26"),)
    assert net.allocate("node-1", "p") == A("192.168.104.193")


def test_calico_pool_exhausted():
    net = pod_network(calico("bgp", "192.168.0.0/26"), nodes("node-1", "node-2"))
    net.setup()
    net.allocate("node-1", "p")
    with pytest.raises(AllocationError,
                       match=r"no more free affine blocks in IP pool 192\.168\.0\.0/26"):
        net.allocate("node-2", "q")


# --------------------------------------------------------------------------- Weave


def test_weave_splits_the_range_between_peers():
    cfg = ClusterConfig(cni_plugin="weave", cni_mode="fastdp", cluster_cidr=N("10.32.0.0/12"))
    net = pod_network(cfg, nodes("n1", "n2", "n3", "n4"))
    net.setup()
    info = net.addressing()
    assert [str(info[n].device_ip("weave")) for n in ("n1", "n2", "n3", "n4")] == \
        ["10.32.0.1", "10.40.0.0", "10.36.0.0", "10.44.0.0"]
    assert info["n1"].devices["weave"] == IPv4Interface("10.32.0.1/12")
    assert info["n2"].pod_cidr == N("10.40.0.0/14")
    assert [str(net.allocate("n1", str(i))) for i in range(2)] == ["10.32.0.2", "10.32.0.3"]
    assert str(net.allocate("n2", "x")) == "10.40.0.1"


# --------------------------------------------------------------------------- Cilium


def test_cilium_cluster_pool_node_cidrs_and_router_first():
    cfg = ClusterConfig(cni_plugin="cilium", cni_mode="vxlan", cluster_cidr=N("10.0.0.0/8"))
    net = pod_network(cfg, nodes("n1", "n2"))
    net.setup()
    info = net.addressing()
    assert info["n1"].pod_cidr == N("10.0.0.0/24") and info["n2"].pod_cidr == N("10.0.1.0/24")
    router = info["n1"].device_ip("cilium_host")
    assert router in N("10.0.0.0/24") and router not in (A("10.0.0.0"), A("10.0.0.255"))
    assert info["n1"].pod_gateway == router
    pods = [net.allocate("n1", f"default/p{i}") for i in range(50)]
    assert len(set(pods)) == 50 and router not in pods
    assert all(p in N("10.0.0.0/24") for p in pods)


def test_cilium_reads_annotations_and_infers_from_known_pods():
    ns = [Node("n1", A("192.168.56.11"), annotations={
        "network.cilium.io/ipv4-pod-cidr": "10.0.7.0/24",
        "network.cilium.io/ipv4-cilium-host": "10.0.7.42"}),
        Node("n2", A("192.168.56.12")), Node("n3", A("192.168.56.13"))]
    cfg = ClusterConfig(cni_plugin="cilium", cluster_cidr=N("10.0.0.0/8"))
    net = pod_network(cfg, ns)
    net.reserve("n2", A("10.0.3.17"))
    net.setup()
    info = net.addressing()
    assert info["n1"].devices["cilium_host"] == IPv4Interface("10.0.7.42/32")
    assert info["n2"].pod_cidr == N("10.0.3.0/24")
    assert info["n3"].pod_cidr == N("10.0.0.0/24")


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(plugin=st.sampled_from(["flannel", "canal", "calico", "weave", "cilium"]),
       node_count=st.integers(1, 6), pods=st.lists(st.integers(0, 5), max_size=60))
def test_pod_addresses_are_unique_and_never_a_device_address(plugin, node_count, pods):
    cfg = ClusterConfig(cni_plugin=plugin, cni_mode={"weave": "fastdp"}.get(plugin, "vxlan"),
                        cluster_cidr=ipam.default_cluster_cidr(plugin))
    ns = with_cidrs(nodes(*(f"node-{i}" for i in range(node_count))), cfg)
    net = pod_network(cfg, ns)
    net.setup()
    got = [net.allocate(f"node-{i % node_count}", f"default/p{k}") for k, i in enumerate(pods)]
    assert len(set(got)) == len(got)
    info = net.addressing()
    devices = {iface.ip for a in info.values() for iface in a.devices.values()}
    assert devices.isdisjoint(got)
    assert all(ip in cfg.cluster_cidr for ip in got)
    for k, i in enumerate(pods):  # every pod is inside one of its node's ranges
        assert any(got[k] in block for block in info[f"node-{i % node_count}"].blocks)


def test_node_addressing_of_an_empty_cluster():
    from clusterlab.sim.model import Cluster
    assert node_addressing(Cluster()) == {}
