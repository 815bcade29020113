"""Pieces every CNI dataplane shares: devices, routes, encapsulation, packets and hops.

A route renders exactly as `ip route` prints it (iproute2 `print_route` order: type,
destination, `via`, `dev`, `proto`, `scope`, `src`, flags such as `onlink`, then metrics
such as `mtu`), so the text a trace hop quotes is a line of that node's table.
Encapsulation overheads and ports follow pod-network-and-cni.md NET-3.2 and the plugin
sections (NET-4.2 flannel VXLAN UDP 8472 VNI 1, NET-5.5 IPIP protocol 4, NET-5.6 Calico
VXLAN UDP 4789 VNI 4096, NET-6 Weave fastdp UDP 6784 / sleeve UDP 6783, NET-7 Cilium
VXLAN 8472 / Geneve 6081).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any

DEFAULT_TTL = 64  # Linux net.ipv4.ip_default_ttl (NET-3.1)
IP_HEADER = 20
UDP_HEADER = 8

# --------------------------------------------------------------------------- devices


@dataclass(frozen=True, slots=True)
class Device:
    """One network interface in a node's (or pod's) namespace, as `ip addr` shows it."""

    name: str
    kind: str  # loopback | ether | bridge | veth | vxlan | ipip | geneve | dummy | openvswitch
    mtu: int
    addrs: tuple[str, ...] = ()  # "10.244.1.1/24"
    mac: str = "00:00:00:00:00:00"
    state: str = "UP"  # UP | UNKNOWN | DOWN
    master: str = ""  # bridge or OVS datapath this port belongs to
    peer_index: int = 0  # veth: ifindex of the other end (`name@ifN`)
    link_netns: str = ""  # veth whose peer lives in a pod namespace
    flags: str = "BROADCAST,MULTICAST,UP,LOWER_UP"
    scope_link_addrs: tuple[str, ...] = ()  # addresses printed `scope link`
    brd: bool = True  # print `brd` for non-/32 addresses


def mac_for(*parts: str, local: bool = True) -> str:
    """A stable, locally administered unicast MAC for a (node, device) — real ones are random."""
    digest = hashlib.sha1("/".join(parts).encode()).digest()
    first = (digest[0] | 0x02) & 0xFE if local else digest[0] & 0xFC
    return ":".join(f"{b:02x}" for b in (first, *digest[1:6]))


def hex_name(prefix: str, text: str, length: int, algo: str = "sha1") -> str:
    return prefix + hashlib.new(algo, text.encode()).hexdigest()[:length]


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True, slots=True)
class Route:
    """One entry of the main routing table. `dst` None is `default`."""

    dst: IPv4Network | None
    dev: str = ""
    via: IPv4Address | None = None
    proto: str = ""  # kernel | bird | 80 | boot (not printed) | dhcp
    scope: str = ""  # link | host
    src: IPv4Address | None = None
    onlink: bool = False
    mtu: int | None = None
    type: str = ""  # "" (unicast) | blackhole | unreachable
    # not printed: who installed it and, for remote pod ranges, which node owns the range
    peer: str = ""

    @property
    def prefixlen(self) -> int:
        return 0 if self.dst is None else self.dst.prefixlen

    def render(self) -> str:
        """The line `ip route` prints (iproute2 `print_route`)."""
        out: list[str] = []
        if self.type:
            out.append(self.type)
        if self.dst is None:
            out.append("default")
        elif self.dst.prefixlen == 32:
            out.append(str(self.dst.network_address))
        else:
            out.append(str(self.dst))
        if self.via is not None:
            out += ["via", str(self.via)]
        if self.dev:
            out += ["dev", self.dev]
        if self.proto and self.proto != "boot":
            out += ["proto", self.proto]
        if self.scope:
            out += ["scope", self.scope]
        if self.src is not None:
            out += ["src", str(self.src)]
        if self.onlink:
            out.append("onlink")
        if self.mtu is not None:
            out += ["mtu", str(self.mtu)]
        return " ".join(out)

    def __str__(self) -> str:
        return self.render()


def route_sort_key(route: Route) -> tuple[int, int]:
    """The kernel's FIB trie walk: by destination address, shorter prefix first; default first."""
    if route.dst is None:
        return (-1, 0)
    return (int(route.dst.network_address), route.dst.prefixlen)


class RouteTable:
    """A node's main table with a longest-prefix-match index (the kernel's `ip route get`)."""

    __slots__ = ("_by_len", "_lens", "routes")

    def __init__(self, routes: list[Route]):
        self.routes = sorted(routes, key=route_sort_key)
        by_len: dict[int, dict[int, Route]] = {}
        for r in self.routes:
            plen = r.prefixlen
            key = 0 if r.dst is None else int(r.dst.network_address) >> (32 - plen) if plen else 0
            by_len.setdefault(plen, {}).setdefault(key, r)
        self._by_len = by_len
        self._lens = sorted(by_len, reverse=True)

    def lookup(self, ip: IPv4Address) -> Route | None:
        n = int(ip)
        for plen in self._lens:
            got = self._by_len[plen].get(n >> (32 - plen) if plen else 0)
            if got is not None:
                return got
        return None

    def render(self) -> str:
        return "".join(r.render() + "\n" for r in self.routes)


# --------------------------------------------------------------------------- encapsulation


@dataclass(frozen=True, slots=True)
class Encap:
    """How a plugin wraps a packet between nodes (NET-3.2)."""

    kind: str  # vxlan | geneve | ipip | sleeve | fastdp
    device: str
    overhead: int
    port: int | None = None  # UDP destination port; None for IPIP
    vni: int | None = None

    @property
    def outer_proto(self) -> str:
        return "IPIP" if self.kind == "ipip" else "UDP"

    def describe(self) -> str:
        if self.kind == "ipip":
            return "IP-in-IP (IP protocol 4)"
        if self.kind == "sleeve":
            return f"Weave sleeve encapsulation (UDP {self.port})"
        if self.kind == "fastdp":
            return f"VXLAN by Weave fastdp (UDP {self.port})"
        name = "Geneve" if self.kind == "geneve" else "VXLAN"
        vni = f", VNI {self.vni}" if self.vni is not None else ""
        return f"{name} (UDP {self.port}{vni})"


FLANNEL_VXLAN = Encap("vxlan", "flannel.1", 50, 8472, 1)
CALICO_IPIP = Encap("ipip", "tunl0", 20)
CALICO_VXLAN = Encap("vxlan", "vxlan.calico", 50, 4789, 4096)
WEAVE_FASTDP = Encap("fastdp", "datapath", 50, 6784)
WEAVE_SLEEVE = Encap("sleeve", "weave", 50, 6783)
CILIUM_VXLAN = Encap("vxlan", "cilium_vxlan", 50, 8472)
CILIUM_GENEVE = Encap("geneve", "cilium_geneve", 50, 6081)


# --------------------------------------------------------------------------- packets and hops


@dataclass(frozen=True, slots=True)
class Outer:
    """The outer header of an encapsulated packet."""

    src: str
    dst: str
    proto: str  # UDP | IPIP
    size: int
    dport: int | None = None
    sport: int | None = None
    vni: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"src": self.src, "dst": self.dst, "proto": self.proto}
        if self.sport is not None:
            out["sport"] = self.sport
        if self.dport is not None:
            out["dport"] = self.dport
        if self.vni is not None:
            out["vni"] = self.vni
        out["size"] = self.size
        return out


@dataclass(frozen=True, slots=True)
class Packet:
    """IP header fields the trace shows; `size` is the IP total length in bytes."""

    src: str
    dst: str
    proto: str
    sport: int | None
    dport: int | None
    ttl: int = DEFAULT_TTL
    size: int = 60
    outer: Outer | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"src": self.src, "dst": self.dst, "proto": self.proto,
                               "sport": self.sport, "dport": self.dport, "ttl": self.ttl,
                               "size": self.size}
        if self.outer is not None:
            out["outer"] = self.outer.to_dict()
        return out

    def with_(self, **changes: Any) -> Packet:
        return replace(self, **changes)

    def reversed(self) -> Packet:
        """The reply's headers: addresses and ports swapped, a fresh TTL."""
        return Packet(self.dst, self.src, self.proto, self.dport, self.sport, DEFAULT_TTL,
                      self.size)


@dataclass(frozen=True, slots=True)
class Place:
    kind: str  # pod | interface | node | service | tunnel | external | router | dns
    node: str | None
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "name": self.name}

    def label(self) -> str:
        return f"{self.node}/{self.name}" if self.node and self.node != self.name else self.name


ACTIONS = ("send", "veth", "bridge", "route", "dnat", "snat", "encapsulate", "underlay",
           "decapsulate", "policy-allow", "policy-deny", "deliver", "drop", "reject", "reply",
           "dns-query", "dns-answer")


@dataclass(frozen=True, slots=True)
class Hop:
    seq: int
    place: Place
    action: str
    packet_in: Packet | None
    packet_out: Packet | None
    rule: str
    explain: str
    routed: bool = field(default=False, compare=False)  # the kernel forwarded it (TTL − 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "place": self.place.to_dict(),
            "action": self.action,
            "packet_in": self.packet_in.to_dict() if self.packet_in is not None else None,
            "packet_out": self.packet_out.to_dict() if self.packet_out is not None else None,
            "rule": self.rule,
            "explain": self.explain,
        }


def encapsulate(packet: Packet, encap: Encap, src: IPv4Address, dst: IPv4Address,
                sport: int | None = None) -> Packet:
    """Wrap: the inner packet is unchanged, the outer one carries it between node IPs."""
    outer = Outer(str(src), str(dst), encap.outer_proto, packet.size + encap.overhead,
                  dport=encap.port, sport=sport if encap.port is not None else None,
                  vni=encap.vni)
    return replace(packet, outer=outer)


def vxlan_source_port(packet: Packet) -> int:
    """Linux picks the VXLAN UDP source port from a hash of the inner flow (`udp_flow_src_port`,
    range 32768–60999 for the default ip_local_port_range); any stable hash shows the idea."""
    key = f"{packet.src}|{packet.dst}|{packet.proto}|{packet.sport}|{packet.dport}"
    h = int.from_bytes(hashlib.blake2s(key.encode(), digest_size=4).digest(), "big")
    return 32768 + h % (60999 - 32768 + 1)
