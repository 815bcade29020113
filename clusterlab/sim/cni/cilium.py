"""Cilium: eBPF datapath with cilium_host/cilium_net, lxc* pod veths, tunnel or native routing.

NET-7: each node owns a CIDR from the cluster pool (`CiliumNode`); `cilium_host` holds the
node's router IP, which is every pod's gateway (`default via <router IP>`). Tunnel mode
(VXLAN UDP 8472 or Geneve UDP 6081, overhead 50 → MTU 1450) routes every pod CIDR,
local and remote, `via <router IP> dev cilium_host proto kernel src <router IP>`, the
remote ones with `mtu 1450`; the eBPF program then encapsulates to the owning node's IP.
Native routing with auto-direct-node-routes installs `<peer CIDR> via <peer IP> dev eth0
proto kernel` for peers on the same L2 network only. Local pods are reached by an eBPF
redirect to their lxc device (no bridge). With kube-proxy replacement, Services are
translated at the socket (pod clients) or at tc on the node's device (NodePort) — no
KUBE-* chains exist. Masquerading of pod traffic leaving the pod CIDRs is Cilium's
(`enable-ipv4-masquerade`, default on).

TTL: NET-3.1 leaves Cilium open; this model decrements it once per node that forwards
the packet (like the routed plugins), which `ipv4_l3()` in the eBPF datapath does for
local delivery. The VXLAN VNI carries the source's security identity in Cilium; we
derive a stable identity from the pod's labels **[derived]**.
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.cni import Dataplane, Masquerade
from clusterlab.sim.cni.base import (
    CILIUM_GENEVE,
    CILIUM_VXLAN,
    Device,
    Encap,
    Route,
    hex_name,
    mac_for,
)
from clusterlab.sim.model import Cluster, Pod

WORLD_IDENTITY = 2  # reserved:world
HOST_IDENTITY = 1  # reserved:host


class CiliumDataplane(Dataplane):
    plugin = "cilium"
    bridged = False

    def __init__(self, cluster: Cluster):
        super().__init__(cluster)
        self.mode = cluster.config.cni_mode
        self.encap: Encap | None = {"vxlan": CILIUM_VXLAN, "geneve": CILIUM_GENEVE}.get(self.mode)

    @property
    def kube_proxy_replacement(self) -> bool:
        return self.config.kube_proxy_replacement

    def router_ip(self, node_name: str) -> IPv4Address | None:
        return self.addressing.router_ip(node_name)

    def _device_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        return self.router_ip(node_name) if dev == "cilium_host" else None

    def pod_host_iface(self, pod: Pod) -> str:
        return hex_name("lxc", pod.key, 12, "sha256")

    def pod_routes(self, pod: Pod) -> list[Route]:
        gw = self.router_ip(pod.node_name or "")
        if gw is None:
            return [Route(None, dev="eth0")]
        return [Route(None, dev="eth0", via=gw, mtu=self.pod_mtu(pod.node_name or "")
                      if self.encap else None),
                Route(IPv4Network(f"{gw}/32"), dev="eth0", scope="link")]

    def identity(self, pod: Pod | None) -> int:
        """A stable per-label-set security identity (cluster-local range starts at 256)."""
        if pod is None:
            return WORLD_IDENTITY
        text = pod.namespace + "|" + ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items()))
        return 256 + int.from_bytes(hashlib.sha256(text.encode()).digest()[:2], "big") % 65000

    def devices(self, node_name: str) -> list[Device]:
        out = [self.loopback(), self.eth0(node_name)]
        mtu = self.underlay.configured_mtu(node_name)
        rip = self.router_ip(node_name)
        out.append(Device("cilium_net", "veth", mtu, (), mac_for(node_name, "cilium_net"),
                          peer_index=len(out) + 2))
        out.append(Device("cilium_host", "veth", mtu, (f"{rip}/32",) if rip else (),
                          mac_for(node_name, "cilium_host"), peer_index=len(out),
                          scope_link_addrs=()))
        if self.encap is not None:
            out.append(Device(self.encap.device, self.encap.kind, mtu, (),
                              mac_for(node_name, self.encap.device), state="UNKNOWN"))
        for pod in self.pods_on(node_name):
            out.append(Device(self.pod_host_iface(pod), "veth", self.pod_mtu(node_name), (),
                              mac_for(node_name, pod.key), peer_index=2,
                              link_netns=f"cni-{hex_name('', pod.key, 8)}"))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        out = self.underlay_routes(node_name)
        rip = self.router_ip(node_name)
        if rip is None:
            return out
        for rng in self.ranges(node_name):
            out.append(Route(rng, dev="cilium_host", via=rip, proto="kernel", src=rip))
        out.append(Route(IPv4Network(f"{rip}/32"), dev="cilium_host", proto="kernel",
                         scope="link"))
        return out

    def peer_route(self, node_name: str, peer: str, rng: IPv4Network) -> Route | None:
        rip = self.router_ip(node_name)
        if self.encap is not None:
            if rip is None:
                return None
            return Route(rng, dev="cilium_host", via=rip, proto="kernel", src=rip,
                         mtu=self.pod_mtu(node_name), peer=peer)
        if self.underlay.same_l2(node_name, peer):  # auto-direct-node-routes
            return Route(rng, dev="eth0", via=self.node_ip(peer), proto="kernel", peer=peer)
        return None

    def tunnel_peer(self, node_name: str, route: Route, dst: IPv4Address) -> \
            tuple[Encap, str] | None:
        if self.encap is None or route.dev != "cilium_host":
            return None
        peer = self.owner_of(dst)
        if peer is None or peer == node_name:
            return None
        return self.encap, peer

    def masquerade(self, node_name: str, src: IPv4Address, dst: IPv4Address,
                   out_dev: str) -> Masquerade | None:
        """Pod traffic to destinations outside the pod CIDRs leaves with the node IP."""
        rngs = self.ranges(node_name)
        if out_dev != "eth0" or not any(src in r for r in rngs):
            return None
        if self.is_pod_network(dst):
            return None
        native = self.config.cluster_cidr
        return Masquerade(
            f"-A CILIUM_POST_nat -s {rngs[0]} ! -d {native} ! -o cilium_+ -m comment "
            f'--comment "cilium masquerade non-cluster" -j MASQUERADE',
            "Cilium masquerades pod traffic leaving the cluster (enable-ipv4-masquerade)")
