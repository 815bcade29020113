"""Flannel (vxlan, host-gw) and Canal (Calico's cali* pod interfaces on Flannel routing).

Flannel, NET-4: pods hang on the `cni0` bridge (gateway `.1` of the node podCIDR, created
with the first pod), remote podCIDRs are reached through `flannel.1` (VXLAN VNI 1, UDP
8472, MTU underlay − 50, address = podCIDR network as /32, one route + one permanent ARP
entry + one FDB entry per peer: NET-4.2) or, in host-gw mode, by a plain route via the
peer's node IP — installed only for peers on the same L2 network (NET-4.3). `--ip-masq`
adds the FLANNEL-POSTRTG rules of NET-4.5. Flannel does not enforce NetworkPolicy (NET-4.6).

Canal: Calico's CNI plugin wires pods with `cali*` veths (no bridge, proxy ARP, /32 host
routes, NET-5.3) on host-local IPAM over the node podCIDR, Flannel carries traffic between
nodes, and Felix enforces policy.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.cni import Dataplane, Masquerade
from clusterlab.sim.cni.base import FLANNEL_VXLAN, Device, Encap, Route, hex_name, mac_for
from clusterlab.sim.model import Cluster, Pod

MULTICAST = IPv4Network("224.0.0.0/4")
CALICO_GW = IPv4Address("169.254.1.1")  # NET-5.3
CALI_MAC = "ee:ee:ee:ee:ee:ee"


def cali_name(pod: Pod) -> str:
    """`cali` + first 11 hex characters of sha1("<namespace>.<pod>") (NET-5.3)."""
    return hex_name("cali", f"{pod.namespace}.{pod.name}", 11)


class FlannelDataplane(Dataplane):
    plugin = "flannel"
    bridged = True
    bridge_name = "cni0"

    def __init__(self, cluster: Cluster):
        super().__init__(cluster)
        self.mode = cluster.config.cni_mode
        self.plugin = cluster.config.cni_plugin
        self.encap: Encap | None = FLANNEL_VXLAN if self.mode == "vxlan" else None

    # ------------------------------------------------------------------ addresses

    def cni0_ip(self, node_name: str) -> IPv4Address | None:
        return self.addressing.gateway(node_name)

    def has_cni0(self, node_name: str) -> bool:
        """The bridge plugin creates cni0 with the first pod on the node (NET-4.1)."""
        return bool(self.pods_on(node_name)) and bool(self.ranges(node_name))

    def _device_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        if dev == "cni0":
            return self.cni0_ip(node_name)
        if dev == "flannel.1":
            return self.addressing.tunnel_ip(node_name)
        return None

    # ------------------------------------------------------------------ pods

    def pod_routes(self, pod: Pod) -> list[Route]:
        """NET-4.1 pod table: default and the flannel network via cni0's address."""
        rngs = self.ranges(pod.node_name or "")
        if not rngs or pod.ip is None:
            return [Route(None, dev="eth0")]
        gw = rngs[0].network_address + 1
        return [
            Route(None, dev="eth0", via=gw),
            Route(self.config.cluster_cidr, dev="eth0", via=gw),
            Route(rngs[0], dev="eth0", proto="kernel", scope="link", src=pod.ip),
        ]

    # ------------------------------------------------------------------ node

    def devices(self, node_name: str) -> list[Device]:
        out = [self.loopback(), self.eth0(node_name)]
        mtu = self.pod_mtu(node_name)
        if self.mode == "vxlan" and self.ranges(node_name):
            out.append(Device("flannel.1", "vxlan", mtu,
                              (f"{self.addressing.tunnel_ip(node_name)}/32",),
                              self.vtep_mac(node_name), state="UNKNOWN"))
        if self.has_cni0(node_name):
            rng = self.ranges(node_name)[0]
            addr = f"{self.cni0_ip(node_name)}/{rng.prefixlen}"
            out.append(Device("cni0", "bridge", mtu, (addr,),
                              mac_for(node_name, "cni0")))
            for pod in self.pods_on(node_name):
                out.append(Device(self.pod_host_iface(pod), "veth", mtu, (),
                                  mac_for(node_name, pod.key), master="cni0", peer_index=2,
                                  link_netns=f"cni-{hex_name('', pod.key, 8)}"))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        out = self.underlay_routes(node_name)
        if self.has_cni0(node_name):
            rng = self.ranges(node_name)[0]
            out.append(Route(rng, dev="cni0", proto="kernel", scope="link",
                             src=self.cni0_ip(node_name)))
        return out

    def peer_route(self, node_name: str, peer: str, rng: IPv4Network) -> Route | None:
        if self.mode == "vxlan":
            # vxlan_network.go: Gw = remote subnet's network IP, RTNH_F_ONLINK (NET-4.2)
            return Route(rng, dev="flannel.1", via=rng.network_address, onlink=True, peer=peer)
        if self.underlay.same_l2(node_name, peer):
            return Route(rng, dev="eth0", via=self.node_ip(peer), peer=peer)
        return None  # "Nexthop has invalid gateway": never installed (NET-4.3)

    def tunnel_peer(self, node_name: str, route: Route, dst: IPv4Address) -> \
            tuple[Encap, str] | None:
        if route.dev == "flannel.1" and route.peer and self.encap is not None:
            return self.encap, route.peer
        return None

    def neighbours(self, node_name: str) -> list[str]:
        if self.mode != "vxlan":
            return []
        return [f"{rng.network_address} dev flannel.1 lladdr {self.vtep_mac(peer)} PERMANENT"
                for peer, rng in self.addressing.all_ranges() if peer != node_name]

    def fdb(self, node_name: str) -> list[str]:
        if self.mode != "vxlan":
            return []
        return [f"{self.vtep_mac(peer)} dev flannel.1 dst {self.node_ip(peer)} self permanent"
                for peer, _ in self.addressing.all_ranges() if peer != node_name]

    # ------------------------------------------------------------------ NAT

    def masquerade(self, node_name: str, src: IPv4Address, dst: IPv4Address,
                   out_dev: str) -> Masquerade | None:
        """FLANNEL-POSTRTG (NET-4.5), rules 2–6 in order; rule 1 (kube-proxy mark) is the
        caller's: marked packets are masqueraded by KUBE-POSTROUTING instead."""
        net = self.config.cluster_cidr
        rngs = self.ranges(node_name)
        local = rngs[0] if rngs else None
        if local is not None and src in local and dst in net:
            return None
        if local is not None and src in net and dst in local:
            return None
        if local is not None and src not in net and dst in local:
            return None
        if src in net and dst not in MULTICAST:
            return Masquerade(
                f'-A FLANNEL-POSTRTG -s {net} ! -d 224.0.0.0/4 -m comment --comment '
                f'"flanneld masq" -j MASQUERADE --random-fully',
                "flanneld masquerades pod traffic leaving the flannel network (NET-4.5)")
        if src not in net and dst in net:
            return Masquerade(
                f'-A FLANNEL-POSTRTG ! -s {net} -d {net} -m comment --comment '
                f'"flanneld masq" -j MASQUERADE --random-fully',
                "flanneld masquerades outside traffic to pods on other nodes (NET-4.5)")
        return None


class CanalDataplane(FlannelDataplane):
    """Calico pod wiring (cali*, /32 routes, proxy ARP) on Flannel's inter-node routes."""

    bridged = False
    bridge_name = ""

    def pod_host_iface(self, pod: Pod) -> str:
        return cali_name(pod)

    def pod_routes(self, pod: Pod) -> list[Route]:
        return [Route(None, dev="eth0", via=CALICO_GW),
                Route(IPv4Network(f"{CALICO_GW}/32"), dev="eth0", scope="link")]

    def has_cni0(self, node_name: str) -> bool:
        return False

    def devices(self, node_name: str) -> list[Device]:
        out = super().devices(node_name)
        for pod in self.pods_on(node_name):
            out.append(Device(cali_name(pod), "veth", self.pod_mtu(node_name), (), CALI_MAC,
                              peer_index=2, link_netns=f"cni-{hex_name('', pod.key, 8)}"))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        out = self.underlay_routes(node_name)
        for pod in self.pods_on(node_name):
            out.append(Route(IPv4Network(f"{pod.ip}/32"), dev=cali_name(pod), scope="link"))
        return out


def dataplane(cluster: Cluster) -> FlannelDataplane:
    if cluster.config.cni_plugin == "canal":
        return CanalDataplane(cluster)
    return FlannelDataplane(cluster)
