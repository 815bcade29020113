"""CNI dataplanes: what each plugin installs on a node and how it moves packets.

`dataplane_for(cluster)` returns the `Dataplane` of the cluster's plugin and mode. The
trace (`sim/trace.py`) asks it for route lookups, encapsulation and the plugin's own
masquerade rules; the node views (`sim/netviews.py`) ask it for `ip addr`, `ip route`,
`ip neigh` and `bridge fdb`. Both read the same objects, so a route a trace hop quotes
is a line of that node's `ip route` (issue #4 "derived from the same model").

Route lookups are answered without materialising a node's whole table: a node's local
routes (its pods, bridge, tunnel, underlay) form a small table, and remote pod ranges
are found through one global index and turned into the route the node would have
installed for that peer (`peer_route`). `routes(node)` concatenates the same pieces, and
`lookup(node, ip)` equals the longest-prefix match over `routes(node)` (tested).
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.cni.addressing import Addressing
from clusterlab.sim.cni.base import (
    DEFAULT_TTL,
    Device,
    Encap,
    Route,
    RouteTable,
    hex_name,
    mac_for,
)
from clusterlab.sim.model import Cluster, Node, Pod
from clusterlab.sim.underlay import Underlay

__all__ = ["DEFAULT_TTL", "Dataplane", "Device", "Encap", "Masquerade", "Route", "RouteTable",
           "dataplane_for"]


class Masquerade:
    """A CNI-installed SNAT rule that matched (NET-4.5, NET-5.8, NET-6, NET-7)."""

    __slots__ = ("chain_rule", "explain")

    def __init__(self, chain_rule: str, explain: str):
        self.chain_rule = chain_rule
        self.explain = explain


class Dataplane:
    """Common behaviour; subclasses fill in devices, local routes and peer routes."""

    plugin = ""
    mode = ""
    bridged = False  # same-node pod→pod switched by a Linux bridge (TTL unchanged, NET-3.1)
    bridge_name = ""
    encap: Encap | None = None

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.config = cluster.config
        self.underlay = Underlay(cluster)
        self.addressing = Addressing(cluster)
        self._local_tables: dict[str, RouteTable] = {}
        self._tables: dict[str, RouteTable] = {}
        self._local_addrs: dict[str, frozenset[IPv4Address]] = {}
        self._vtep_macs: dict[str, str] = {}

    # ------------------------------------------------------------------ facts

    @property
    def name(self) -> str:
        return f"{self.plugin} {self.mode}" + (" (CrossSubnet)" if self.config.cross_subnet
                                               else "")

    @property
    def enforces_policy(self) -> bool:
        return self.config.enforces_network_policy

    @property
    def kube_proxy_replacement(self) -> bool:
        return False

    def node(self, name: str) -> Node:
        return self.cluster.node_by_name[name]

    def node_ip(self, name: str) -> IPv4Address:
        return self.cluster.node_by_name[name].internal_ip

    def pods_on(self, node_name: str) -> tuple[Pod, ...]:
        """Pods with their own network namespace on the node."""
        return tuple(p for p in self.cluster.pods_by_node.get(node_name, ())
                     if not p.host_network and p.ip is not None)

    def ranges(self, node_name: str) -> tuple[IPv4Network, ...]:
        """The pod address ranges the node owns under this plugin's IPAM."""
        return self.addressing.ranges(node_name)

    def owner_of(self, ip: IPv4Address) -> str | None:
        """The node whose pod range holds `ip` (None when no range does)."""
        return self.addressing.owner_of(ip)

    def is_pod_network(self, ip: IPv4Address) -> bool:
        return ip in self.config.cluster_cidr or self.owner_of(ip) is not None

    def pod_mtu(self, node_name: str) -> int:
        """MTU of the pods' eth0 and the tunnel device (NET-3.2), from the configured eth0 MTU."""
        overhead = self.encap.overhead if self.encap is not None else 0
        return self.underlay.configured_mtu(node_name) - overhead

    # ------------------------------------------------------------------ interfaces

    def pod_host_iface(self, pod: Pod) -> str:
        """Host end of the pod's veth (bridge plugin: `veth` + 8 hex, NET-3.1)."""
        return hex_name("veth", pod.key, 8)

    def pod_mac(self, pod: Pod) -> str:
        return mac_for(pod.key, "eth0")

    def pod_routes(self, pod: Pod) -> list[Route]:
        raise NotImplementedError

    def pod_default_route(self, pod: Pod) -> Route:
        return next(r for r in self.pod_routes(pod) if r.dst is None)

    def pod_route_for(self, pod: Pod, ip: IPv4Address) -> Route:
        """What the pod's own table picks (the `send` hop's rule): longest prefix match over
        its two or three routes."""
        best: Route | None = None
        for r in self.pod_routes(pod):
            if (r.dst is None or ip in r.dst) and (best is None or r.prefixlen > best.prefixlen):
                best = r
        return best if best is not None else self.pod_default_route(pod)

    def devices(self, node_name: str) -> list[Device]:
        raise NotImplementedError

    def eth0(self, node_name: str) -> Device:
        net = self.underlay.node_network(node_name)
        return Device("eth0", "ether", self.underlay.mtu(node_name),
                      (f"{self.node_ip(node_name)}/{net.prefixlen}",),
                      mac_for(node_name, "eth0", local=False))

    @staticmethod
    def loopback() -> Device:
        return Device("lo", "loopback", 65536, ("127.0.0.1/8",), "00:00:00:00:00:00",
                      state="UNKNOWN", flags="LOOPBACK,UP,LOWER_UP")

    def iface_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        """Primary IPv4 address of a node's interface (what MASQUERADE picks, SVC-9)."""
        if dev == "eth0":
            return self.node_ip(node_name)
        return self._device_addr(node_name, dev)

    def _device_addr(self, node_name: str, dev: str) -> IPv4Address | None:
        return None

    CNI_DEVICES = ("cni0", "flannel.1", "tunl0", "vxlan.calico", "weave", "cilium_host")

    def local_addresses(self, node_name: str) -> frozenset[IPv4Address]:
        """Every address the node owns (its `local` routing table): INPUT, not FORWARD."""
        got = self._local_addrs.get(node_name)
        if got is None:
            out = {self.node_ip(node_name)}
            for dev in self.CNI_DEVICES:
                addr = self._device_addr(node_name, dev)
                if addr is not None:
                    out.add(addr)
            got = self._local_addrs[node_name] = frozenset(out)
        return got

    def owner_range(self, ip: IPv4Address) -> IPv4Network | None:
        hit = self.addressing.range_of(ip)
        return hit[1] if hit is not None else None

    def source_for(self, node_name: str, route: Route) -> IPv4Address:
        """Kernel source address selection for a locally generated packet: the route's `src`,
        else the outgoing device's primary address, else the node's main address."""
        if route.src is not None:
            return route.src
        got = self.iface_addr(node_name, route.dev) if route.dev else None
        return got if got is not None else self.node_ip(node_name)

    # ------------------------------------------------------------------ routes

    def underlay_routes(self, node_name: str) -> list[Route]:
        net = self.underlay.node_network(node_name)
        out = [Route(net, dev="eth0", proto="kernel", scope="link", src=self.node_ip(node_name))]
        gw = self.underlay.gateway(node_name)
        if gw is not None:
            out.append(Route(None, dev="eth0", via=gw))
        return out

    def local_routes(self, node_name: str) -> list[Route]:
        """Every route of the node except the per-peer pod-range routes."""
        raise NotImplementedError

    def peer_route(self, node_name: str, peer: str, rng: IPv4Network) -> Route | None:
        """The route `node_name` installs for `peer`'s pod range `rng` (None: not installed)."""
        return None

    def local_table(self, node_name: str) -> RouteTable:
        got = self._local_tables.get(node_name)
        if got is None:
            got = self._local_tables[node_name] = RouteTable(self.local_routes(node_name))
        return got

    def routes(self, node_name: str) -> RouteTable:
        """The node's whole main table (what `ip route` prints)."""
        got = self._tables.get(node_name)
        if got is None:
            routes = list(self.local_table(node_name).routes)
            for peer, rng in self.addressing.all_ranges():
                if peer == node_name:
                    continue
                route = self.peer_route(node_name, peer, rng)
                if route is not None:
                    routes.append(route)
            got = self._tables[node_name] = RouteTable(routes)
        return got

    def lookup(self, node_name: str, ip: IPv4Address) -> Route | None:
        """`ip route get`: longest prefix match, without building the whole table."""
        best = self.local_table(node_name).lookup(ip)
        hit = self.addressing.range_of(ip)
        if hit is not None:
            peer, rng = hit
            if peer != node_name and (best is None or rng.prefixlen > best.prefixlen):
                route = self.peer_route(node_name, peer, rng)
                if route is not None:
                    return route
        return best

    # ------------------------------------------------------------------ forwarding

    def tunnel_peer(self, node_name: str, route: Route, dst: IPv4Address) -> \
            tuple[Encap, str] | None:
        """If sending out `route` encapsulates, the encapsulation and the remote node."""
        return None

    def neighbours(self, node_name: str) -> list[str]:
        return []

    def fdb(self, node_name: str) -> list[str]:
        return []

    def masquerade(self, node_name: str, src: IPv4Address, dst: IPv4Address,
                   out_dev: str) -> Masquerade | None:
        """The plugin's own POSTROUTING SNAT rule matching this packet, if any."""
        return None

    def vtep_mac(self, node_name: str) -> str:
        got = self._vtep_macs.get(node_name)
        if got is None:
            dev = self.encap.device if self.encap is not None else "vtep"
            got = self._vtep_macs[node_name] = mac_for(node_name, dev)
        return got

    @cached_property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.cluster.nodes)


def dataplane_for(cluster: Cluster) -> Dataplane:
    """The dataplane of `cluster.config.cni_plugin` / `cni_mode` (issue #3 ClusterConfig)."""
    plugin = cluster.config.cni_plugin
    if plugin in ("flannel", "canal"):
        from clusterlab.sim.cni.flannel import dataplane

        return dataplane(cluster)
    if plugin == "calico":
        from clusterlab.sim.cni.calico import CalicoDataplane

        return CalicoDataplane(cluster)
    if plugin == "weave":
        from clusterlab.sim.cni.weave import WeaveDataplane

        return WeaveDataplane(cluster)
    if plugin == "cilium":
        from clusterlab.sim.cni.cilium import CiliumDataplane

        return CiliumDataplane(cluster)
    raise ValueError(f"unknown CNI plugin {plugin!r}")
