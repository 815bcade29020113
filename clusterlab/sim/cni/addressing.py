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

Ranges are read from the pods the snapshot places on each node, so addresses loaded
from a real cluster's dump keep their real ranges; nodes without pods get ranges the
way the allocator would hand them out (next free, or Calico's hostname-seeded choice).
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.model import Cluster

CALICO_BLOCK = 26  # NET-5.1 default blockSize


class Addressing:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        cfg = cluster.config
        self.plugin = cfg.cni_plugin
        self.pool = cfg.cluster_cidr
        self._ranges: dict[str, tuple[IPv4Network, ...]] = {}
        self._by_len: dict[int, dict[int, tuple[str, IPv4Network]]] = {}
        self._pod_ips: dict[str, list[IPv4Address]] = {}
        for node in cluster.nodes:
            self._pod_ips[node.name] = sorted(
                p.ip for p in cluster.pods_by_node.get(node.name, ())
                if p.ip is not None and not p.host_network)
        if self.plugin in ("flannel", "canal"):
            self._per_node_cidr(use_spec=True)
        elif self.plugin == "calico":
            self._calico_blocks()
        elif self.plugin == "cilium":
            self._per_node_cidr(use_spec=False)
        else:  # weave: one flat range, no per-node routing
            for node in cluster.nodes:
                self._ranges[node.name] = ()
        for name, rngs in self._ranges.items():
            for rng in rngs:
                self._by_len.setdefault(rng.prefixlen, {})[
                    int(rng.network_address) >> (32 - rng.prefixlen)] = (name, rng)
        self._lens = sorted(self._by_len, reverse=True)
        self._all = [(name, r) for name, rngs in self._ranges.items() for r in rngs]

    # ------------------------------------------------------------------ allocation

    def _per_node_cidr(self, use_spec: bool) -> None:
        """Flannel/Canal: node.spec.podCIDR (NET-2). Cilium cluster-pool: the /mask holding the
        node's pods, else the next free range of the pool (the operator hands them out in order)."""
        mask = self.cluster.config.node_cidr_mask_size
        taken: set[IPv4Network] = set()
        pending = []
        for node in self.cluster.nodes:
            rng = node.pod_cidr if use_spec else None
            if rng is None and self._pod_ips[node.name]:
                first = self._pod_ips[node.name][0]
                rng = IPv4Network((int(first) >> (32 - mask) << (32 - mask), mask))
            if rng is None:
                pending.append(node.name)
            else:
                self._ranges[node.name] = (rng,)
                taken.add(rng)
        if pending:
            free = (s for s in self.pool.subnets(new_prefix=mask) if s not in taken) \
                if mask >= self.pool.prefixlen else iter(())
            for name in pending:
                rng = next(free, None)
                self._ranges[name] = (rng,) if rng is not None else ()

    def _calico_blocks(self) -> None:
        """NET-5.2: a node owns every /26 its pods' IPs fall in; a node with no pod (but a
        tunnel address in ipip/vxlan mode) claims a hostname-seeded free block."""
        blocks: dict[str, list[IPv4Network]] = {}
        taken: set[IPv4Network] = set()
        for node in self.cluster.nodes:
            got = sorted({IPv4Network((int(ip) >> (32 - CALICO_BLOCK) << (32 - CALICO_BLOCK),
                                       CALICO_BLOCK)) for ip in self._pod_ips[node.name]})
            blocks[node.name] = got
            taken.update(got)
        needs_tunnel = self.cluster.config.cni_mode in ("ipip", "vxlan")
        if needs_tunnel and self.pool.prefixlen <= CALICO_BLOCK:
            count = 1 << (CALICO_BLOCK - self.pool.prefixlen)
            for node in self.cluster.nodes:
                if blocks[node.name]:
                    continue
                seed = int.from_bytes(hashlib.sha256(node.name.encode()).digest()[:8], "big")
                for i in range(count):
                    idx = (seed + i) % count
                    base = int(self.pool.network_address) + (idx << (32 - CALICO_BLOCK))
                    blk = IPv4Network((base, CALICO_BLOCK))
                    if blk not in taken:
                        taken.add(blk)
                        blocks[node.name] = [blk]
                        break
        for name, got in blocks.items():
            self._ranges[name] = tuple(got)

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

    def _lowest_free(self, rng: IPv4Network, start: int, node_name: str) -> IPv4Address:
        used = set(self._pod_ips.get(node_name, ()))
        base = int(rng.network_address)
        for off in range(start, rng.num_addresses):
            ip = IPv4Address(base + off)
            if ip not in used:
                return ip
        return IPv4Address(base + start)

    def gateway(self, node_name: str) -> IPv4Address | None:
        """Flannel `cni0` (.1 of the podCIDR) or the Weave bridge address."""
        if self.plugin == "weave":
            return self.weave_bridge_ip(node_name)
        rngs = self.ranges(node_name)
        return rngs[0].network_address + 1 if rngs else None

    def tunnel_ip(self, node_name: str) -> IPv4Address | None:
        """`flannel.1` = podCIDR network address; Calico `tunl0`/`vxlan.calico` = ordinal 0 of
        the node's first block (or the lowest address its pods leave free)."""
        rngs = self.ranges(node_name)
        if not rngs:
            return None
        if self.plugin in ("flannel", "canal"):
            return rngs[0].network_address
        if self.plugin == "calico":
            return self._lowest_free(rngs[0], 0, node_name)
        return None

    def router_ip(self, node_name: str) -> IPv4Address | None:
        """Cilium `cilium_host`: the lowest free host address of the node CIDR."""
        rngs = self.ranges(node_name)
        return self._lowest_free(rngs[0], 1, node_name) if rngs else None

    def weave_bridge_ip(self, node_name: str) -> IPv4Address:
        """Weave IPAM splits the range between peers; each bridge takes the first address of
        its peer's share (node 0 → 10.32.0.1 in the default 10.32.0.0/12, NET-6)."""
        names = [n.name for n in self.cluster.nodes]
        index = names.index(node_name) if node_name in names else 0
        share = max(1, len(names)).bit_length()
        size = self.pool.num_addresses >> share if self.pool.prefixlen + share <= 30 else 4
        ip = IPv4Address(int(self.pool.network_address) + index * size + 1)
        used = set(self._pod_ips.get(node_name, ()))
        while ip in used:
            ip += 1
        return ip
