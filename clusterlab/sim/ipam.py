"""Address management the way the components of a real cluster hand addresses out.

* node podCIDRs: kube-controller-manager's range allocator (NET-2);
* pod IPs and the addresses the CNI gives its own devices, per plugin: host-local on the
  node podCIDR (Flannel, Canal; NET-2, NET-4.1), Calico IPAM blocks (NET-5.1, NET-5.2),
  Weave's split range (NET-6), Cilium cluster-pool (NET-7);
* ClusterIPs and NodePorts: the API server's allocators with their static and dynamic
  bands (SVC-2, SVC-3) and their exact refusal texts (VAL-9).

Everything is deterministic. Where the real component picks at random (Calico's block,
Cilium's scan start, the API server's ClusterIP and NodePort), the choice is seeded by
the identity of the object — the node name, `ns/name` — never by global state, so the
same cluster always gets the same addresses and adding one object rarely moves others.
Addresses are plain ints internally; `ipaddress` objects are made only for results.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from types import MappingProxyType

from clusterlab.sim.model import Cluster, ClusterConfig, Node

# The pod range each plugin installs with when nobody sets one (the ClusterConfig left
# `clusterCIDR` out).
DEFAULT_CLUSTER_CIDRS: Mapping[str, IPv4Network] = MappingProxyType({
    "flannel": IPv4Network("10.244.0.0/16"),  # kube-flannel.yml net-conf.json (NET-4.1)
    "canal": IPv4Network("10.244.0.0/16"),    # canal.yaml ships Flannel's net-conf
    "calico": IPv4Network("192.168.0.0/16"),  # DEFAULT_IPV4_POOL_CIDR (NET-5.1)
    "weave": IPv4Network("10.32.0.0/12"),     # IPALLOC_RANGE (NET-6)
    "cilium": IPv4Network("10.0.0.0/8"),      # clusterPoolIPv4PodCIDRList (NET-7)
})

_NO_DEVICES: Mapping[str, IPv4Interface] = MappingProxyType({})

CALICO_BLOCK_PREFIX = 26  # DEFAULT_IPV4_POOL_BLOCK_SIZE (NET-5.1)
CALICO_POD_GATEWAY = IPv4Address("169.254.1.1")  # answered by proxy ARP (NET-5.3)

# Node annotations the CNI agents write; read when present (a dump of a real cluster).
CALICO_TUNNEL_ANNOTATIONS = {
    "ipip": "projectcalico.org/IPv4IPIPTunnelAddr",
    "vxlan": "projectcalico.org/IPv4VXLANTunnelAddr",
}
CILIUM_HOST_ANNOTATIONS = ("network.cilium.io/ipv4-cilium-host",
                           "io.cilium.network.ipv4-cilium-host")
CILIUM_CIDR_ANNOTATIONS = ("network.cilium.io/ipv4-pod-cidr", "io.cilium.network.ipv4-pod-cidr")


def default_cluster_cidr(plugin: str) -> IPv4Network:
    """The pod range `plugin` uses when the cluster config does not name one."""
    return DEFAULT_CLUSTER_CIDRS.get(plugin, DEFAULT_CLUSTER_CIDRS["flannel"])


def seed_int(seed: str) -> int:
    """A stable 64-bit number for `seed` (independent of PYTHONHASHSEED and of the run)."""
    return int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")


class AllocationError(Exception):
    """An allocator refused; `str()` is the component's own message."""


def _range_offset(size: int, low: int, high: int, step: int) -> int:
    """`calculateRangeOffset` of the ipallocator/portallocator: the static band is
    `min(max(low, size/step), high)` items, none when the range has ≤ `low` items (SVC-2/3)."""
    if size <= low:
        return 0
    return min(max(low, size // step), high)


def _random_scan(used: set[int] | frozenset[int], lo: int, hi: int, seed: str) -> int | None:
    """First free item of `[lo, hi)` scanning forward (with wrap) from a seeded start —
    the allocators' `randomScanStrategy` with the random start replaced by a seed."""
    span = hi - lo
    if span <= 0:
        return None
    start = seed_int(seed) % span
    for i in range(span):
        at = lo + (start + i) % span
        if at not in used:
            return at
    return None


# --------------------------------------------------------------------------- node podCIDR


def allocate_node_cidrs(cluster_cidr: IPv4Network, mask_size: int,
                        given: Sequence[IPv4Network | None]) -> list[IPv4Network | None]:
    """kube-controller-manager's range allocator (NET-2).

    `given[i]` is node i's `spec.podCIDR` (None when unset), in node order. Set podCIDRs
    are kept and the ranges they overlap are taken; every other node gets the lowest free
    `/mask_size` of `cluster_cidr` in order, so the first node gets `10.244.0.0/24`.
    None where the cluster range is exhausted (the controller's `CIDRNotAvailable`).
    """
    base = int(cluster_cidr.network_address)
    step = 1 << (32 - mask_size)
    count = 1 << (mask_size - cluster_cidr.prefixlen) if mask_size >= cluster_cidr.prefixlen else 0
    end = base + count * step - 1
    used: set[int] = set()
    for net in given:
        if net is None:
            continue
        first, last = max(int(net.network_address), base), min(int(net.broadcast_address), end)
        if first <= last:
            used.update(range((first - base) // step, (last - base) // step + 1))
    out: list[IPv4Network | None] = []
    cursor = 0
    for net in given:
        if net is not None:
            out.append(net)
            continue
        while cursor < count and cursor in used:
            cursor += 1
        if cursor >= count:
            out.append(None)
            continue
        out.append(IPv4Network((base + cursor * step, mask_size)))
        cursor += 1
    return out


# --------------------------------------------------------------------------- Services


class ServiceIPAllocator:
    """The API server's ClusterIP allocator for one service range (SVC-2, VAL-9).

    The network address and the broadcast address are never handed out; `.1` is
    `default/kubernetes`. Automatic allocation picks a free address of the upper
    (dynamic) band, starting at a point seeded by the Service's `ns/name`, and falls back
    to the lower (static) band only when the upper one is full — as
    `randomScanStrategyWithOffset` does.
    """

    def __init__(self, cidr: IPv4Network):
        self.cidr = cidr
        self._base = int(cidr.network_address) + 1
        self._max = max(0, cidr.num_addresses - 2)
        self._offset = _range_offset(cidr.num_addresses, 16, 256, 16)
        self._used: set[int] = set()

    @property
    def static_band(self) -> tuple[IPv4Address, IPv4Address] | None:
        """First and last address of the static band (10.96.0.1 – 10.96.1.0 for a /12)."""
        if not self._offset:
            return None
        return IPv4Address(self._base), IPv4Address(self._base + self._offset - 1)

    def nth(self, n: int) -> IPv4Address:
        """The n-th address of the range: `nth(1)` is kubernetes' 10.96.0.1, `nth(10)` kube-dns'."""
        return IPv4Address(int(self.cidr.network_address) + n)

    def allocate(self, ip: IPv4Address) -> None:
        """Reserve a requested address (a `spec.clusterIP` the user set)."""
        n = int(ip) - self._base
        if not 0 <= n < self._max:
            raise AllocationError(f"the provided IP ({ip}) is not in the valid range. "
                                  f"The range of valid IPs is {self.cidr}")
        if n in self._used:
            raise AllocationError("provided IP is already allocated")
        self._used.add(n)

    def allocate_next(self, seed: str) -> IPv4Address:
        n = _random_scan(self._used, self._offset, self._max, seed)
        if n is None:
            n = _random_scan(self._used, 0, self._offset, seed)
        if n is None:
            raise AllocationError("range is full")
        self._used.add(n)
        return IPv4Address(self._base + n)


class NodePortAllocator:
    """The API server's NodePort allocator (SVC-3, VAL-9): static band
    `min(max(16, size/32), 128)` ports at the bottom (30000-30085 by default), automatic
    allocation from the dynamic band above it first, seeded per Service port."""

    def __init__(self, port_range: tuple[int, int]):
        self.low, self.high = port_range
        self._size = max(0, self.high - self.low + 1)
        self._offset = _range_offset(self._size, 16, 128, 32)
        self._used: set[int] = set()

    @property
    def range_text(self) -> str:
        return f"{self.low}-{self.high}"

    def allocate(self, port: int) -> None:
        n = port - self.low
        if not 0 <= n < self._size:
            raise AllocationError("provided port is not in the valid range. "
                                  f"The range of valid ports is {self.range_text}")
        if n in self._used:
            raise AllocationError("provided port is already allocated")
        self._used.add(n)

    def allocate_next(self, seed: str) -> int:
        n = _random_scan(self._used, self._offset, self._size, seed)
        if n is None:
            n = _random_scan(self._used, 0, self._offset, seed)
        if n is None:
            raise AllocationError("range is full")
        self._used.add(n)
        return self.low + n


# --------------------------------------------------------------------------- pod networks


@dataclass(frozen=True, slots=True)
class NodeAddressing:
    """What the CNI gives one node (NET-4 … NET-7), for the dataplane code.

    * `pod_cidr`: the one range this node's pods come from (Flannel/Canal: the node's
      podCIDR; Weave: the node's share of the range; Cilium: the CiliumNode CIDR); None
      for Calico, whose pods come from `blocks`.
    * `blocks`: every range local to the node — Calico's affine /26 blocks (blackhole
      routes, NET-5.2), else `(pod_cidr,)`.
    * `devices`: the CNI's own devices that carry an address, with prefix:
      `cni0` (10.244.1.1/24) and `flannel.1` (10.244.1.0/32), `tunl0` / `vxlan.calico`
      (the tunnel address /32), `weave` (10.32.0.1/12), `cilium_host` (router IP /32).
      Flannel's `cni0` is listed even before the first pod (the real bridge appears
      with it).
    * `pod_gateway`: the next hop in a pod's default route (cni0 / weave / cilium_host,
      169.254.1.1 for Calico's CNI, which Canal also uses).
    """

    node: str
    pod_cidr: IPv4Network | None
    blocks: tuple[IPv4Network, ...] = ()
    devices: Mapping[str, IPv4Interface] = field(default_factory=lambda: _NO_DEVICES)
    pod_gateway: IPv4Address | None = None

    def device_ip(self, name: str) -> IPv4Address | None:
        iface = self.devices.get(name)
        return iface.ip if iface is not None else None


class PodNetwork:
    """Pod address allocation of one CNI plugin over a set of nodes.

    Use in this order, as a real cluster does: `reserve()` every pod IP already known
    (honoured values), `setup()` the CNI's own addresses (its agents start before the
    pods), then `allocate()` one address per new pod, in creation order.
    """

    plugin = ""

    def __init__(self, config: ClusterConfig, nodes: Sequence[Node]):
        self.config = config
        self.nodes = tuple(nodes)
        self.used: set[int] = set()

    def reserve(self, node: str | None, ip: IPv4Address) -> None:
        self.used.add(int(ip))

    def check(self, node: str, ip: IPv4Address) -> str | None:
        """Why `ip` cannot be a pod IP on `node` (host-local only checks this), or None."""
        return None

    def setup(self) -> None:
        """Give the CNI's devices their addresses (after known pod IPs are reserved)."""

    def allocate(self, node: str, seed: str) -> IPv4Address:
        raise NotImplementedError

    def addressing(self) -> dict[str, NodeAddressing]:
        raise NotImplementedError


class HostLocalNetwork(PodNetwork):
    """Flannel and Canal: host-local IPAM on the node's podCIDR (NET-2, NET-4.1).

    The gateway `.1` is never handed out (it is `cni0`'s address with Flannel's bridge
    plugin; Canal runs Calico's CNI with host-local and has no bridge), pods get `.2`,
    `.3`, … in order. Flannel's VXLAN device `flannel.1` holds the podCIDR's network
    address as /32 (NET-4.2).
    """

    def __init__(self, config: ClusterConfig, nodes: Sequence[Node]):
        super().__init__(config, nodes)
        self.plugin = config.cni_plugin
        self._cidr = {n.name: n.pod_cidr for n in nodes}
        self._cursor: dict[str, int] = {}

    def check(self, node: str, ip: IPv4Address) -> str | None:
        cidr = self._cidr.get(node)
        if cidr is None:
            return f'node "{node}" has no podCIDR'
        if ip not in cidr:
            return f'not in the podCIDR {cidr} of node "{node}"'
        return None

    def allocate(self, node: str, seed: str) -> IPv4Address:
        cidr = self._cidr.get(node)
        if cidr is None:
            raise AllocationError(f'node "{node}" has no podCIDR, so host-local IPAM has no range')
        net = int(cidr.network_address)
        last = int(cidr.broadcast_address) - 1
        cursor = self._cursor.get(node, net + 2)
        used = self.used
        while cursor <= last and cursor in used:
            cursor += 1
        if cursor > last:
            raise AllocationError(
                "failed to allocate for range 0: no IP addresses available in range set: "
                f"{IPv4Address(net + 1)}-{IPv4Address(max(net + 1, last))}")
        used.add(cursor)
        self._cursor[node] = cursor + 1
        return IPv4Address(cursor)

    def addressing(self) -> dict[str, NodeAddressing]:
        out = {}
        vxlan = self.config.cni_mode == "vxlan"
        for name, cidr in self._cidr.items():
            if cidr is None:
                out[name] = NodeAddressing(name, None)
                continue
            net = int(cidr.network_address)
            devices: dict[str, IPv4Interface] = {}
            if self.plugin == "flannel":
                devices["cni0"] = IPv4Interface((net + 1, cidr.prefixlen))
            if vxlan:
                devices["flannel.1"] = IPv4Interface((net, 32))
            gateway = IPv4Address(net + 1) if self.plugin == "flannel" else CALICO_POD_GATEWAY
            out[name] = NodeAddressing(name, cidr, (cidr,), MappingProxyType(devices), gateway)
        return out


class CalicoNetwork(PodNetwork):
    """Calico IPAM (NET-5.1, NET-5.2): the pool is the cluster CIDR, cut into /26 blocks.

    A node claims a block the first time it needs an address, walking the pool's
    blocks from a start seeded by its name (Calico seeds with the hostname too) and
    taking the first unclaimed one; inside its blocks addresses go from the lowest free
    ordinal (block network address included). In IPIP and VXLAN mode calico-node takes
    the node's tunnel address (`tunl0` / `vxlan.calico`) before any pod, so it is the
    block's first address. Known pod IPs claim their block for their node. The seeded
    walk is ClusterLab's: Calico's own uses Go's math/rand, so the blocks differ from a
    real cluster's, but look alike (192.168.104.192/26).
    """

    plugin = "calico"

    def __init__(self, config: ClusterConfig, nodes: Sequence[Node]):
        super().__init__(config, nodes)
        pool = config.cluster_cidr
        self._pool_base = int(pool.network_address)
        self._prefix = max(CALICO_BLOCK_PREFIX, pool.prefixlen)
        self._shift = 32 - self._prefix
        self._nblocks = 1 << (self._prefix - pool.prefixlen)
        self._owner: dict[int, str] = {}
        self._blocks: dict[str, list[int]] = {n.name: [] for n in nodes}
        self._walked: dict[str, int] = {}
        self._cursor: dict[int, int] = {}
        self._tunnel: dict[str, int] = {}

    def _block_of(self, ip: int) -> int | None:
        idx = (ip - self._pool_base) >> self._shift
        return idx if ip - self._pool_base >= 0 and idx < self._nblocks else None

    def _own(self, idx: int, node: str) -> None:
        self._owner[idx] = node
        self._blocks.setdefault(node, []).append(idx)
        self._blocks[node].sort()

    def reserve(self, node: str | None, ip: IPv4Address) -> None:
        n = int(ip)
        self.used.add(n)
        idx = self._block_of(n)
        if node is not None and idx is not None and idx not in self._owner:
            self._own(idx, node)

    def setup(self) -> None:
        annotation = CALICO_TUNNEL_ANNOTATIONS.get(self.config.cni_mode)
        if annotation is None:  # BGP only: no tunnel device address
            return
        for node in self.nodes:
            value = node.annotations.get(annotation)
            if value:
                try:
                    ip = IPv4Address(value.split("/")[0])
                except ValueError:
                    ip = None
                if ip is not None:
                    self.reserve(node.name, ip)
                    self._tunnel[node.name] = int(ip)
                    continue
            with contextlib.suppress(AllocationError):  # pool full: calico-node retries
                self._tunnel[node.name] = int(self.allocate(node.name, ""))

    def _claim(self, node: str) -> int | None:
        start = seed_int("calico-block:" + node) % self._nblocks
        walked = self._walked.get(node, 0)
        while walked < self._nblocks:
            idx = (start + walked) % self._nblocks
            walked += 1
            if idx not in self._owner:
                self._walked[node] = walked
                self._own(idx, node)
                return idx
        self._walked[node] = walked
        return None

    def _take_in(self, idx: int) -> int | None:
        base = self._pool_base + (idx << self._shift)
        end = base + (1 << self._shift)
        cursor = self._cursor.get(idx, base)
        used = self.used
        while cursor < end and cursor in used:
            cursor += 1
        self._cursor[idx] = cursor
        if cursor >= end:
            return None
        used.add(cursor)
        self._cursor[idx] = cursor + 1
        return cursor

    def allocate(self, node: str, seed: str) -> IPv4Address:
        for idx in self._blocks.get(node, ()):
            got = self._take_in(idx)
            if got is not None:
                return IPv4Address(got)
        while (idx := self._claim(node)) is not None:
            got = self._take_in(idx)
            if got is not None:
                return IPv4Address(got)
        raise AllocationError(f"no more free affine blocks in IP pool {self.config.cluster_cidr}")

    def addressing(self) -> dict[str, NodeAddressing]:
        device = {"ipip": "tunl0", "vxlan": "vxlan.calico"}.get(self.config.cni_mode)
        out = {}
        for node in self.nodes:
            blocks = tuple(IPv4Network((self._pool_base + (i << self._shift), self._prefix))
                           for i in self._blocks.get(node.name, ()))
            devices = {}
            tunnel = self._tunnel.get(node.name)
            if device and tunnel is not None:
                devices[device] = IPv4Interface((tunnel, 32))
            out[node.name] = NodeAddressing(node.name, None, blocks, MappingProxyType(devices),
                                            CALICO_POD_GATEWAY)
        return out


class WeaveNetwork(PodNetwork):
    """Weave Net IPAM (NET-6): one flat range (IPALLOC_RANGE) split between the peers.

    The first peer owns the whole range; each peer that joins (node order) takes the
    upper half of the largest share (lowest address on ties), which yields the
    familiar 10.32.0.1 / 10.40.0.0 / 10.36.0.0 … bridge addresses. The `weave` bridge
    takes the first address of the node's share (the range's network address is never
    used), pods follow in order. All pods share the range's prefix (/12): one L2 segment.
    """

    plugin = "weave"

    def __init__(self, config: ClusterConfig, nodes: Sequence[Node]):
        super().__init__(config, nodes)
        rng = config.cluster_cidr
        self._net = int(rng.network_address)
        self._bcast = int(rng.broadcast_address)
        self._shares: dict[str, tuple[int, int]] = {}
        heap: list[tuple[int, int, str]] = []
        for node in nodes:
            if not heap:
                self._shares[node.name] = (self._net, rng.num_addresses)
                heap.append((-rng.num_addresses, self._net, node.name))
                continue
            neg, start, owner = heapq.heappop(heap)
            half = -neg // 2
            if half < 2:
                heapq.heappush(heap, (neg, start, owner))
                continue  # range too small to split: this peer gets no space
            self._shares[owner] = (start, half)
            self._shares[node.name] = (start + half, half)
            heapq.heappush(heap, (-half, start, owner))
            heapq.heappush(heap, (-half, start + half, node.name))
        self._bridge: dict[str, int] = {}
        self._cursor: dict[str, int] = {}

    def _first(self, start: int) -> int:
        return start + 1 if start == self._net else start

    def setup(self) -> None:
        for name, (start, _size) in self._shares.items():
            bridge = self._first(start)
            self._bridge[name] = bridge
            self.used.add(bridge)

    def allocate(self, node: str, seed: str) -> IPv4Address:
        share = self._shares.get(node)
        if share is None:
            raise AllocationError(f'node "{node}" has no share of the weave range '
                                  f"{self.config.cluster_cidr}")
        start, size = share
        end = min(start + size, self._bcast)
        cursor = self._cursor.get(node, self._first(start))
        used = self.used
        while cursor < end and cursor in used:
            cursor += 1
        if cursor >= end:
            raise AllocationError(f"no free address in this peer's share {_share_cidr(start, size)}"
                                  f" of the weave range {self.config.cluster_cidr}")
        used.add(cursor)
        self._cursor[node] = cursor + 1
        return IPv4Address(cursor)

    def addressing(self) -> dict[str, NodeAddressing]:
        prefix = self.config.cluster_cidr.prefixlen
        out = {}
        for node in self.nodes:
            share = self._shares.get(node.name)
            if share is None:
                out[node.name] = NodeAddressing(node.name, None)
                continue
            cidr = _share_cidr(*share)
            bridge = self._bridge.get(node.name, self._first(share[0]))
            out[node.name] = NodeAddressing(
                node.name, cidr, (cidr,),
                MappingProxyType({"weave": IPv4Interface((bridge, prefix))}), IPv4Address(bridge))
        return out


def _share_cidr(start: int, size: int) -> IPv4Network:
    return IPv4Network((start, 32 - (size.bit_length() - 1)))


class CiliumNetwork(PodNetwork):
    """Cilium `ipam: cluster-pool` (NET-7): the operator gives each node a /mask of the
    cluster pool (CiliumNode, independent of `node.spec.podCIDR`), in node order; the
    agent takes the router IP (`cilium_host`) first, then one address per pod. Cilium's
    host-scope allocator scans from a random start, so addresses look scattered
    (10.0.1.42); here the start is seeded by the node name (router) or `ns/pod`.
    A node's range is read from its Cilium annotations when present, else inferred from
    its known pod IPs, else allocated.
    """

    plugin = "cilium"

    def __init__(self, config: ClusterConfig, nodes: Sequence[Node]):
        super().__init__(config, nodes)
        self._mask = config.node_cidr_mask_size
        self._cidr: dict[str, IPv4Network | None] = {}
        self._router: dict[str, int] = {}
        for node in nodes:
            cidr = _annotation_net(node, CILIUM_CIDR_ANNOTATIONS)
            if cidr is not None:
                self._cidr[node.name] = cidr

    def reserve(self, node: str | None, ip: IPv4Address) -> None:
        self.used.add(int(ip))
        if node is not None and node not in self._cidr and ip in self.config.cluster_cidr \
                and self._mask >= self.config.cluster_cidr.prefixlen:
            self._cidr[node] = IPv4Network((ip, self._mask), strict=False)

    def setup(self) -> None:
        order = [n.name for n in self.nodes]
        cidrs = allocate_node_cidrs(self.config.cluster_cidr, self._mask,
                                    [self._cidr.get(name) for name in order])
        self._cidr = dict(zip(order, cidrs, strict=True))
        for node in self.nodes:
            ip = _annotation_ip(node, CILIUM_HOST_ANNOTATIONS)
            if ip is not None:
                self.used.add(int(ip))
                self._router[node.name] = int(ip)
                continue
            with contextlib.suppress(AllocationError):  # range full: no router IP
                self._router[node.name] = int(self.allocate(node.name, "router:" + node.name))

    def allocate(self, node: str, seed: str) -> IPv4Address:
        cidr = self._cidr.get(node)
        if cidr is None:
            raise AllocationError(f'node "{node}" has no pod CIDR from the cluster pool '
                                  f"{self.config.cluster_cidr}")
        net = int(cidr.network_address)
        n = _random_scan(self.used, net + 1, int(cidr.broadcast_address), seed)
        if n is None:
            raise AllocationError(f"range is full: no free address in {cidr}")
        self.used.add(n)
        return IPv4Address(n)

    def addressing(self) -> dict[str, NodeAddressing]:
        out = {}
        for node in self.nodes:
            cidr = self._cidr.get(node.name)
            router = self._router.get(node.name)
            devices = {"cilium_host": IPv4Interface((router, 32))} if router is not None else {}
            out[node.name] = NodeAddressing(
                node.name, cidr, (cidr,) if cidr is not None else (), MappingProxyType(devices),
                IPv4Address(router) if router is not None else None)
        return out


def _annotation_ip(node: Node, keys: Iterable[str]) -> IPv4Address | None:
    for key in keys:
        value = node.annotations.get(key)
        if value:
            try:
                return IPv4Address(value.split("/")[0])
            except ValueError:
                return None
    return None


def _annotation_net(node: Node, keys: Iterable[str]) -> IPv4Network | None:
    for key in keys:
        value = node.annotations.get(key)
        if value:
            try:
                return IPv4Network(value, strict=False)
            except ValueError:
                return None
    return None


_NETWORKS: dict[str, type[PodNetwork]] = {
    "flannel": HostLocalNetwork,
    "canal": HostLocalNetwork,
    "calico": CalicoNetwork,
    "weave": WeaveNetwork,
    "cilium": CiliumNetwork,
}


def pod_network(config: ClusterConfig, nodes: Sequence[Node]) -> PodNetwork:
    """The allocator of `config`'s CNI plugin over `nodes` (in node order)."""
    return _NETWORKS.get(config.cni_plugin, HostLocalNetwork)(config, nodes)


TERMINATED_PHASES = frozenset({"Succeeded", "Failed"})


def node_addressing(cluster: Cluster) -> dict[str, NodeAddressing]:
    """Per node, the CNI's ranges and device addresses for a loaded cluster.

    Recomputed from the snapshot the way the loader allocated it (known pod IPs, then
    the CNI's own addresses), so it agrees with the pod IPs `manifests.load` gave out.
    Callers that ask often should keep the result per snapshot.
    """
    network = pod_network(cluster.config, cluster.nodes)
    for pod in cluster.pods:
        if pod.ip is not None and pod.node_name and not pod.host_network \
                and pod.phase not in TERMINATED_PHASES:
            network.reserve(pod.node_name, pod.ip)
    network.setup()
    return network.addressing()
