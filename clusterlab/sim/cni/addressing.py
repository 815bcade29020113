"""Which pod ranges and device addresses each node has under the cluster's plugin.

The pods' own IPs come allocated in the snapshot (manifests/ipam). What the dataplane
needs on top is per node: the pod ranges it owns (NET-2 podCIDR for Flannel/Canal,
NET-5.2 /26 blocks for Calico, NET-7 CiliumNode CIDR for Cilium; Weave has one flat
range, NET-6) and the device addresses derived from them:

| plugin | address | rule |
|---|---|---|
| Flannel | `cni0` | first usable address of the podCIDR (`.1`, NET-2 / NET-4.1) |
| Flannel vxlan | `flannel.1` | network address of the podCIDR as /32 (NET-4.2) |
| Calico ipip/vxlan | `tunl0` / `vxlan.calico` | first address allocated on the node: |
|  |  | ordinal 0 of its first block (NET-5.2) |
| Weave | `weave` bridge | first address of the node's share of the range (NET-6) |
| Cilium | `cilium_host` | the router IP, allocated from the node CIDR (NET-7) |

The allocation itself is `sim/ipam.py`'s; this module indexes it for the dataplane
(which node owns an address, in a few dict probes).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.ipam import node_addressing
from clusterlab.sim.model import Cluster


class Addressing:
    """Per-node ranges and device addresses, from `ipam.node_addressing` (the allocator the
    loader used, so it agrees with the snapshot's pod IPs), indexed for lookups."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        cfg = cluster.config
        self.plugin = cfg.cni_plugin
        self.pool = cfg.cluster_cidr
        self._nodes = node_addressing(cluster)
        self._ranges: dict[str, tuple[IPv4Network, ...]] = {}
        self._by_len: dict[int, dict[int, tuple[str, IPv4Network]]] = {}
        for node in cluster.nodes:
            got = self._nodes.get(node.name)
            # Weave is one flat L2 range: no per-node routing (NET-6)
            self._ranges[node.name] = () if self.plugin == "weave" or got is None \
                else tuple(got.blocks)
        for name, rngs in self._ranges.items():
            for rng in rngs:
                self._by_len.setdefault(rng.prefixlen, {})[
                    int(rng.network_address) >> (32 - rng.prefixlen)] = (name, rng)
        self._lens = sorted(self._by_len, reverse=True)
        self._all = [(name, r) for name, rngs in self._ranges.items() for r in rngs]

    def device_ip(self, node_name: str, device: str) -> IPv4Address | None:
        got = self._nodes.get(node_name)
        return got.device_ip(device) if got is not None else None

    # ------------------------------------------------------------------ queries

    def ranges(self, node_name: str) -> tuple[IPv4Network, ...]:
        return self._ranges.get(node_name, ())

    def all_ranges(self) -> list[tuple[str, IPv4Network]]:
        return self._all

    def range_of(self, ip: IPv4Address) -> tuple[str, IPv4Network] | None:
        n = int(ip)
        for plen in self._lens:
            got = self._by_len[plen].get(n >> (32 - plen))
            if got is not None:
                return got
        return None

    def owner_of(self, ip: IPv4Address) -> str | None:
        hit = self.range_of(ip)
        if hit is not None:
            return hit[0]
        pod = self.cluster.pod_by_ip.get(ip)
        return pod.node_name if pod is not None else None

    def gateway(self, node_name: str) -> IPv4Address | None:
        """Flannel `cni0` (.1 of the podCIDR) or the Weave bridge address."""
        if self.plugin == "weave":
            return self.device_ip(node_name, "weave")
        return self.device_ip(node_name, "cni0")

    def tunnel_ip(self, node_name: str) -> IPv4Address | None:
        """`flannel.1` = podCIDR network address; Calico `tunl0`/`vxlan.calico` = the first
        address calico-node allocated on the node (NET-5.2)."""
        for dev in ("flannel.1", "tunl0", "vxlan.calico"):
            got = self.device_ip(node_name, dev)
            if got is not None:
                return got
        return None

    def router_ip(self, node_name: str) -> IPv4Address | None:
        """Cilium `cilium_host`, the node's router IP (NET-7)."""
        return self.device_ip(node_name, "cilium_host")

    def weave_bridge_ip(self, node_name: str) -> IPv4Address | None:
        return self.device_ip(node_name, "weave")
