"""Calico: routed pod interfaces and /26 blocks, with IPIP, VXLAN or plain BGP between nodes.

NET-5.3: each pod's host-side veth is `cali` + sha1("<ns>.<pod>")[:11], MAC
ee:ee:ee:ee:ee:ee with proxy ARP; the pod routes everything to 169.254.1.1; the host has
one `/32 dev caliX scope link` route per local pod, so even same-node traffic is routed
(TTL 63, NET-3.1). NET-5.2: every owned block is a blackhole route on its node.

Between nodes (NET-5.4 … NET-5.7):

* ipip: `<block> via <peer IP> dev tunl0 proto bird onlink`; IP protocol 4, overhead 20.
* vxlan: `<block> via <peer tunnel IP> dev vxlan.calico onlink` (protocol boot, not
  printed); UDP 4789, VNI 4096, overhead 50.
* bgp (Never): `<block> via <peer IP> dev eth0 proto bird`; across subnets BIRD resolves
  the next hop recursively, so the route points at the gateway, which has no pod routes.
* CrossSubnet: same-subnet peers get the plain route (`proto bird`, or `proto 80 onlink`
  with Felix VXLAN routes), the others the tunnel route.

BIRD's generated config uses `gateway recursive`, which is why a non-on-link BGP next hop
is installed via the local gateway instead of being refused **[derived]**.
Felix enforces NetworkPolicy; `natOutgoing: true` masquerades pod traffic to
destinations outside every IP pool (NET-5.8).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.cni import Dataplane, Masquerade
from clusterlab.sim.cni.base import CALICO_IPIP, CALICO_VXLAN, Device, Encap, Route, hex_name
from clusterlab.sim.cni.flannel import CALI_MAC, CALICO_GW, cali_name
from clusterlab.sim.model import Cluster, Pod


class CalicoDataplane(Dataplane):
    plugin = "calico"
    bridged = False

    def __init__(self, cluster: Cluster):
        super().__init__(cluster)
        self.mode = cluster.config.cni_mode
        self.cross_subnet = cluster.config.cross_subnet
        self.encap: Encap | None = {"ipip": CALICO_IPIP, "vxlan": CALICO_VXLAN}.get(self.mode)
        # Felix programs VXLAN-mode routes itself (blackhole and same-subnet routes with
        # protocol 80, tunnel routes with the default boot); BIRD programs the others
        self.proto = "80" if self.mode == "vxlan" else "bird"

    @property
    def name(self) -> str:
        return f"calico {self.mode}" + (" CrossSubnet" if self.cross_subnet and self.encap
                                        else "")

    def pod_host_iface(self, pod: Pod) -> str:
        return cali_name(pod)

    def pod_routes(self, pod: Pod) -> list[Route]:
        return [Route(None, dev="eth0", via=CALICO_GW),
                Route(IPv4Network(f"{CALICO_GW}/32"), dev="eth0", scope="link")]

    def tunnel_ip(self, node_name: str) -> IPv4Address | None:
        return self.addressing.tunnel_ip(node_name) if self.encap is not None else None

    def _device_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        if dev in ("tunl0", "vxlan.calico"):
            return self.tunnel_ip(node_name)
        return None

    def encapsulates_to(self, node_name: str, peer: str) -> bool:
        if self.encap is None:
            return False
        return not (self.cross_subnet and self.underlay.same_l2(node_name, peer))

    # ------------------------------------------------------------------ node

    def devices(self, node_name: str) -> list[Device]:
        out = [self.loopback(), self.eth0(node_name)]
        mtu = self.pod_mtu(node_name)
        tip = self.tunnel_ip(node_name)
        if self.mode == "ipip":
            out.append(Device("tunl0", "ipip", mtu, (f"{tip}/32",) if tip else (),
                              "00:00:00:00", state="UNKNOWN", flags="NOARP,UP,LOWER_UP"))
        elif self.mode == "vxlan":
            out.append(Device("vxlan.calico", "vxlan", mtu, (f"{tip}/32",) if tip else (),
                              self.vtep_mac(node_name), state="UNKNOWN"))
        for pod in self.pods_on(node_name):
            out.append(Device(cali_name(pod), "veth", mtu, (), CALI_MAC, peer_index=2,
                              link_netns=f"cni-{hex_name('', pod.key, 8)}"))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        out = self.underlay_routes(node_name)
        for blk in self.ranges(node_name):
            out.append(Route(blk, type="blackhole", proto=self.proto))
        for pod in self.pods_on(node_name):
            out.append(Route(IPv4Network(f"{pod.ip}/32"), dev=cali_name(pod), scope="link"))
        return out

    def peer_route(self, node_name: str, peer: str, rng: IPv4Network) -> Route | None:
        peer_ip = self.node_ip(peer)
        if self.encapsulates_to(node_name, peer):
            if self.mode == "ipip":
                return Route(rng, dev="tunl0", via=peer_ip, proto="bird", onlink=True, peer=peer)
            # Felix's tunnel routes carry DeviceRouteProtocol (default 3, RTPROT_BOOT, which
            # `ip route` does not print); only its same-subnet and blackhole routes get 80
            # (felix calculateRouteProtocol; NET-5.6's listing).
            return Route(rng, dev="vxlan.calico", via=self.tunnel_ip(peer), proto="boot",
                         onlink=True, peer=peer)
        if self.mode == "vxlan":  # CrossSubnet, same subnet: Felix route via the node IP
            return Route(rng, dev="eth0", via=peer_ip, proto="80", onlink=True, peer=peer)
        if self.underlay.same_l2(node_name, peer):
            return Route(rng, dev="eth0", via=peer_ip, proto="bird", peer=peer)
        gw = self.underlay.gateway(node_name)  # `gateway recursive` (module docstring)
        return Route(rng, dev="eth0", via=gw, proto="bird", peer=peer) if gw else None

    def tunnel_peer(self, node_name: str, route: Route, dst: IPv4Address) -> \
            tuple[Encap, str] | None:
        if route.dev in ("tunl0", "vxlan.calico") and route.peer and self.encap is not None:
            return self.encap, route.peer
        return None

    def neighbours(self, node_name: str) -> list[str]:
        if self.mode != "vxlan":
            return []
        return [f"{self.tunnel_ip(peer)} dev vxlan.calico lladdr {self.vtep_mac(peer)} PERMANENT"
                for peer in self.node_names
                if peer != node_name and self.tunnel_ip(peer) is not None]

    def fdb(self, node_name: str) -> list[str]:
        if self.mode != "vxlan":
            return []
        return [f"{self.vtep_mac(peer)} dev vxlan.calico dst {self.node_ip(peer)} self permanent"
                for peer in self.node_names
                if peer != node_name and self.tunnel_ip(peer) is not None]

    def masquerade(self, node_name: str, src: IPv4Address, dst: IPv4Address,
                   out_dev: str) -> Masquerade | None:
        """natOutgoing (NET-5.8): pool source, destination in no pool → MASQUERADE."""
        pool = self.config.cluster_cidr
        if src in pool and dst not in pool:
            return Masquerade(
                "-A cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src "
                "-m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully",
                f"Calico's IP pool {pool} has natOutgoing: true (NET-5.8)")
        return None
