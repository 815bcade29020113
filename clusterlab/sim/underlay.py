"""The physical network under the nodes: subnets, their router, MTUs and injected faults.

Issue #4 model: `config.subnets` lists the underlay L2 networks; a node belongs to the
subnet containing its InternalIP. Nodes in one subnet are on-link to each other. Subnets
reach each other only through their gateways — one router that knows every node address
but no pod CIDR (pod-network-and-cni.md NET-4.3, NET-5.7: "dropped at the first
router"). Without `subnets` every node shares one L2 network. Faults: `cut_links`
(a pair of subnet names the router no longer forwards between), `nodes_down` (powered
off: nothing is delivered to or forwarded by it), `node_mtu` (eth0 MTU lowered on a
node after the CNI computed its own MTUs from `Node.mtu`).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.model import Cluster, Node, Subnet

OUTSIDE = "outside"  # the name used for addresses beyond the router (internet, clients)


@dataclass(frozen=True, slots=True)
class Path:
    """Whether the underlay carries a packet from one address to another, and how."""

    ok: bool
    via_router: IPv4Address | None = None  # the gateway crossed, if any
    reason: str = ""  # why not (names the fault)
    fault: bool = False


class Underlay:
    """Subnet membership, gateways and MTUs for one snapshot (built once)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        cfg = cluster.config
        self.faults = cfg.faults
        self.subnets: tuple[Subnet, ...] = cfg.subnets
        self._subnet_of_node: dict[str, Subnet | None] = {}
        for node in cluster.nodes:
            self._subnet_of_node[node.name] = cluster.subnet_of(node)
        self._flat = self._flat_network(cluster.nodes)

    # ------------------------------------------------------------------ membership

    @staticmethod
    def _flat_network(nodes: tuple[Node, ...]) -> IPv4Network:
        """Without `subnets`: the smallest network, at most a /24, holding every node IP."""
        if not nodes:
            return IPv4Network("192.168.56.0/24")
        ips = [int(n.internal_ip) for n in nodes]
        plen = 24
        while plen > 0 and len({ip >> (32 - plen) for ip in ips}) > 1:
            plen -= 1
        net = IPv4Network((min(ips) >> (32 - plen) << (32 - plen), plen))
        return net

    def subnet_of(self, node_name: str) -> Subnet | None:
        return self._subnet_of_node.get(node_name)

    def subnet_of_ip(self, ip: IPv4Address) -> Subnet | None:
        for subnet in self.subnets:
            if ip in subnet.cidr:
                return subnet
        return None

    def subnet_name(self, node_name: str) -> str:
        subnet = self.subnet_of(node_name)
        return subnet.name if subnet is not None else ("" if not self.subnets else OUTSIDE)

    def node_network(self, node_name: str) -> IPv4Network:
        """The prefix of the node's eth0 (its connected route)."""
        subnet = self.subnet_of(node_name)
        if subnet is not None:
            return subnet.cidr
        if self.subnets:
            ip = self.cluster.node_by_name[node_name].internal_ip
            return IPv4Network((int(ip) >> 8 << 8, 24))
        return self._flat

    def gateway(self, node_name: str) -> IPv4Address | None:
        """The default gateway of a node: its subnet's gateway, else the first host address."""
        subnet = self.subnet_of(node_name)
        if subnet is not None:
            return subnet.gateway
        net = self.node_network(node_name)
        return net.network_address + 1

    def same_l2(self, a: str, b: str) -> bool:
        """On-link to each other: the gateway of a route to the other is valid (NET-4.3)."""
        if not self.subnets:
            return True
        sa, sb = self.subnet_of(a), self.subnet_of(b)
        return sa is not None and sa == sb

    def on_link(self, node_name: str, ip: IPv4Address) -> bool:
        if not self.subnets:
            return ip in self._flat
        subnet = self.subnet_of(node_name)
        return subnet is not None and ip in subnet.cidr

    # ------------------------------------------------------------------ health and MTU

    def is_down(self, node_name: str) -> bool:
        return node_name in self.faults.nodes_down

    def configured_mtu(self, node_name: str) -> int:
        """The eth0 MTU the CNI saw when it started (`Node.mtu`); CNI MTUs derive from it."""
        node = self.cluster.node_by_name.get(node_name)
        return node.mtu if node is not None else 1500

    def mtu(self, node_name: str) -> int:
        """eth0 MTU now, after a `faults.node_mtu` change."""
        got = self.faults.node_mtu.get(node_name)
        return int(got) if got is not None else self.configured_mtu(node_name)

    def mtu_lowered(self, node_name: str) -> bool:
        return node_name in self.faults.node_mtu and \
            self.mtu(node_name) < self.configured_mtu(node_name)

    # ------------------------------------------------------------------ paths

    def _area(self, ip: IPv4Address) -> str:
        if not self.subnets:
            return "" if ip in self._flat else OUTSIDE
        subnet = self.subnet_of_ip(ip)
        return subnet.name if subnet is not None else OUTSIDE

    def link_cut(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.faults.cut_links

    def path(self, src: IPv4Address, dst: IPv4Address) -> Path:
        """Can the underlay carry a packet between two underlay addresses (node or external)?"""
        sa, sb = self._area(src), self._area(dst)
        if sa == sb and sa != OUTSIDE:
            return Path(True)
        if sa == sb == OUTSIDE:
            return Path(True)
        if self.link_cut(sa, sb):
            return Path(False, reason=f"the underlay link between subnets {sa} and {sb} is cut "
                        "(fault)", fault=True)
        gw = self._gateway_for_ip(src) or self._gateway_for_ip(dst)
        return Path(True, via_router=gw)

    def _gateway_for_ip(self, ip: IPv4Address) -> IPv4Address | None:
        if not self.subnets:
            return self._flat.network_address + 1 if ip in self._flat else None
        subnet = self.subnet_of_ip(ip)
        return subnet.gateway if subnet is not None else None

    def knows(self, ip: IPv4Address) -> bool:
        """The router forwards only to node subnets and the outside, never to pod CIDRs or
        Service ranges (NET-4.3, NET-5.7, SVC-11 "upstream router has no route")."""
        cfg = self.cluster.config
        return ip not in cfg.cluster_cidr and ip not in cfg.service_cidr
