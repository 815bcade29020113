"""Weave Net: one flat L2 segment (the `weave` bridge on every node) stretched over the mesh.

NET-6: IPALLOC_RANGE (default 10.32.0.0/12) is one subnet; every node's `weave` bridge
holds an address of it (the pods' default gateway) and the route `<range> dev weave
proto kernel scope link src <bridge IP>`. The bridge is joined to the Open vSwitch
`datapath` through `vethwe-bridge`/`vethwe-datapath`. Between nodes frames are carried by
fastdp (kernel ODP, VXLAN on UDP 6784) or sleeve (user-space, UDP 6783); either way the
packet is switched, not routed, so pod → pod keeps TTL 64 even across nodes (NET-3.1).
MTU `WEAVE_MTU` 1376. NAT (net/expose.go): `-s range ! -d range -j MASQUERADE` and
`! -s range -d range -j MASQUERADE`; with NO_MASQ_LOCAL (default) the second one only
applies to traffic leaving towards other peers, keeping client IPs for local pods.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.cni import Dataplane, Masquerade
from clusterlab.sim.cni.base import (
    WEAVE_FASTDP,
    WEAVE_SLEEVE,
    Device,
    Encap,
    Route,
    hex_name,
    mac_for,
)
from clusterlab.sim.model import Cluster, Pod

WEAVE_MTU = 1376
MULTICAST = IPv4Network("224.0.0.0/4")


class WeaveDataplane(Dataplane):
    plugin = "weave"
    bridged = True
    bridge_name = "weave"

    def __init__(self, cluster: Cluster):
        super().__init__(cluster)
        self.mode = cluster.config.cni_mode
        self.encap: Encap | None = WEAVE_SLEEVE if self.mode == "sleeve" else WEAVE_FASTDP
        self.range = cluster.config.cluster_cidr

    def pod_mtu(self, node_name: str) -> int:
        return WEAVE_MTU

    def bridge_ip(self, node_name: str) -> IPv4Address | None:
        return self.addressing.weave_bridge_ip(node_name)

    @cached_property
    def _bridge_owner(self) -> dict[IPv4Address, str]:
        out = {}
        for name in self.node_names:
            ip = self.bridge_ip(name)
            if ip is not None:
                out[ip] = name
        return out

    def owner_of(self, ip: IPv4Address) -> str | None:
        pod = self.cluster.pod_by_ip.get(ip)
        if pod is not None:
            return pod.node_name
        return self._bridge_owner.get(ip)

    def pod_host_iface(self, pod: Pod) -> str:
        """weave's CNI plugin names the host end `vethwepl` + part of the container id."""
        return hex_name("vethwepl", pod.key, 7)

    def pod_routes(self, pod: Pod) -> list[Route]:
        gw = self.bridge_ip(pod.node_name or "")
        return [Route(None, dev="eth0", via=gw),
                Route(self.range, dev="eth0", proto="kernel", scope="link", src=pod.ip)]

    def _device_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        return self.bridge_ip(node_name) if dev == "weave" else None

    def devices(self, node_name: str) -> list[Device]:
        out = [self.loopback(), self.eth0(node_name)]
        out.append(Device("datapath", "openvswitch", WEAVE_MTU, (),
                          mac_for(node_name, "datapath"), state="UNKNOWN"))
        out.append(Device("weave", "bridge", WEAVE_MTU,
                          (f"{self.bridge_ip(node_name)}/{self.range.prefixlen}",),
                          mac_for(node_name, "weave")))
        out.append(Device("vethwe-datapath", "veth", WEAVE_MTU, (),
                          mac_for(node_name, "vethwe-datapath"), master="datapath"))
        out.append(Device("vethwe-bridge", "veth", WEAVE_MTU, (),
                          mac_for(node_name, "vethwe-bridge"), master="weave"))
        if self.mode == "fastdp":
            out.append(Device("vxlan-6784", "vxlan", 65535, (), mac_for(node_name, "vxlan-6784"),
                              state="UNKNOWN", master="datapath"))
        for pod in self.pods_on(node_name):
            out.append(Device(self.pod_host_iface(pod), "veth", WEAVE_MTU, (),
                              mac_for(node_name, pod.key), master="weave", peer_index=2,
                              link_netns=f"cni-{hex_name('', pod.key, 8)}"))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        out = self.underlay_routes(node_name)
        out.append(Route(self.range, dev="weave", proto="kernel", scope="link",
                         src=self.bridge_ip(node_name)))
        return out

    def bridge_peer(self, node_name: str, dst: IPv4Address) -> str | None:
        """Where the weave bridge/datapath sends a frame for `dst`: the node owning it."""
        return self.owner_of(dst)

    def tunnel_peer(self, node_name: str, route: Route, dst: IPv4Address) -> \
            tuple[Encap, str] | None:
        if route.dev != "weave" or self.encap is None:
            return None
        peer = self.owner_of(dst)
        if peer is None or peer == node_name:
            return None
        return self.encap, peer

    def masquerade(self, node_name: str, src: IPv4Address, dst: IPv4Address,
                   out_dev: str) -> Masquerade | None:
        rng = self.range
        if src in rng and dst in MULTICAST:
            return None
        if src in rng and dst not in rng:
            return Masquerade(f"-A WEAVE -s {rng} ! -d {rng} -j MASQUERADE",
                              "Weave masquerades traffic leaving the weave network (NET-6)")
        if src not in rng and dst in rng:
            peer = self.owner_of(dst)
            if peer is not None and peer != node_name:
                return Masquerade(
                    f"-A WEAVE ! -s {rng} -d {rng} -m physdev --physdev-out vethwe-bridge "
                    "-j MASQUERADE",
                    "Weave masquerades non-weave sources entering the weave network towards "
                    "another peer (NO_MASQ_LOCAL keeps them only for local pods, NET-6)")
        return None
