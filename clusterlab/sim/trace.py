"""The packet walk: one connection, hop by hop, through pods, nodes, NAT and the underlay.

`trace_connect` answers issue #3's `connect` query with issue #4's hops. Order of
operations (SVC-17, DNS-11, NET-3 … NET-7):

1. a name is resolved from the source pod's point of view first (DNS-12); the DNS query
   is itself walked (UDP 53 to kube-dns: kube-proxy, egress policy, CoreDNS endpoints),
   and shows as `dns-query` / `dns-answer` hops;
2. the source sends (pod: its own route table; host: source address selection);
3. Service translation at the first node the packet enters — kube-proxy in PREROUTING
   (pods, other nodes, outside) or OUTPUT (the node's own processes), or Cilium's eBPF
   at the socket (kube-proxy replacement, NET-7); the rules are kube-proxy's own
   (`kubeproxy.decide`, the same builders that print `iptables-save`);
4. egress NetworkPolicy, evaluated after DNAT on the backend's IP and port (DNS-11);
5. routing on the node (`ip route` of that node, `cni.Dataplane.lookup`), TTL − 1 when
   the node forwards (NET-3.1);
6. SNAT in POSTROUTING: kube-proxy's 0x4000 mark → MASQUERADE to the outgoing
   interface's address (SVC-9), else the plugin's own rules (Flannel NET-4.5, Calico
   natOutgoing, Weave, Cilium);
7. encapsulation (VXLAN/Geneve/IPIP/Weave) and the underlay (subnets, router, faults),
   decapsulation and routing on the next node;
8. ingress NetworkPolicy at the destination pod, then delivery.

Policies drop only where the plugin enforces them (`ClusterConfig.enforces_network_policy`);
with plain Flannel the hop says the policy *would* deny. A packet larger than the path
MTU with DF set is dropped with ICMP "fragmentation needed" naming the MTU (NET-3.2).
The reply path (`trace_reply`, also appended to `hops` as `reply` hops) undoes the NAT
through conntrack on the node(s) that did it, so the client sees the Service IP and port.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Any
from weakref import WeakKeyDictionary

from clusterlab.sim import iptables as ipt
from clusterlab.sim.cni import Dataplane, Route
from clusterlab.sim.cni.base import (
    DEFAULT_TTL,
    Encap,
    Hop,
    Packet,
    Place,
    encapsulate,
    vxlan_source_port,
)
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Pod, Service, ServicePort

__all__ = ["Hop", "Packet", "Place", "Trace", "format_trace_table", "node_view",
           "trace_connect", "trace_reply"]

LOOPBACK = IPv4Network("127.0.0.0/8")
DNS_PORT = 53
KUBE_DNS = "kube-system/kube-dns"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
KUBE_POSTROUTING_MASQ = ipt.POSTROUTING_RULES[-1]
DEFAULT_SIZE = {"TCP": 60, "UDP": 60, "SCTP": 60}  # a TCP SYN with options: 20 + 40 bytes


# --------------------------------------------------------------------------- result


@dataclass
class Trace:
    """One connection's outcome and path (issue #3 `connect` result + issue #4 hops)."""

    verdict: str  # delivered | dropped | rejected
    reason: str
    resolved_ip: str | None = None
    candidates: list[str] = field(default_factory=list)
    backend: str | None = None
    backend_port: int | None = None
    source_ip_at_backend: str | None = None
    policies: list[dict[str, Any]] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    reply_hops: list[Hop] = field(default_factory=list)
    dns: dict[str, Any] | None = None

    @property
    def all_hops(self) -> list[Hop]:
        return self.hops + self.reply_hops

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "resolved_ip": self.resolved_ip,
            "candidates": list(self.candidates),
            "backend": self.backend,
            "backend_port": self.backend_port,
            "source_ip_at_backend": self.source_ip_at_backend,
            "policies": list(self.policies),
            "hops": [h.to_dict() for h in self.all_hops],
        }


class _Stop(Exception):
    """The walk ended (delivered, dropped or rejected)."""


@dataclass
class _Nat:
    node: str | None  # None: Cilium's socket LB in the client pod
    kind: str  # dnat | snat
    before: Packet
    after: Packet
    where: str = ""  # the pod key for socket-level translation


def _ephemeral_port(seed: int | None, *parts: object) -> int:
    """A client source port from Linux's default ip_local_port_range 32768–60999."""
    text = f"{seed or 0}|" + "|".join(str(p) for p in parts)
    h = int.from_bytes(hashlib.blake2s(text.encode(), digest_size=4).digest(), "big")
    return 32768 + h % (60999 - 32768 + 1)


def _seeded_index(seed: int | None, n: int, *parts: object) -> int:
    text = f"{seed or 0}|" + "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2s(text.encode(), digest_size=4).digest(), "big") % n


def _pk(p: Packet, **kw: Any) -> Packet:
    """`dataclasses.replace` for packets, without its per-call field introspection (hot path)."""
    return Packet(kw.get("src", p.src), kw.get("dst", p.dst), p.proto,
                  kw.get("sport", p.sport), kw.get("dport", p.dport), kw.get("ttl", p.ttl),
                  p.size, kw.get("outer", p.outer))


@lru_cache(maxsize=65536)
def _addr(text: str) -> IPv4Address:
    return IPv4Address(text)


def _ip(text: str) -> IPv4Address | None:
    try:
        got = ip_address(text)
    except ValueError:
        return None
    return got if isinstance(got, IPv4Address) else None


# --------------------------------------------------------------------------- walker


class _Walker:
    """One forward walk (or one reply walk) and the state it carries between hops."""

    def __init__(self, engine: Engine, protocol: str, seed: int | None, df: bool,
                 affinity: MutableMapping[tuple[str, ...], str] | None,
                 reply_of: _Walker | None = None):
        self.engine = engine
        self.cluster = engine.cluster
        self.dp: Dataplane = engine.dataplane
        self.ul = self.dp.underlay
        self.protocol = protocol
        self.seed = seed
        self.df = df
        self.affinity = affinity
        self.reply_of = reply_of
        self.hops: list[Hop] = []
        self.seq0 = 0  # hops before this walk (DNS hops, the forward path)
        self.verdict = ""
        self.reason = ""
        self.nats: list[_Nat] = []
        self.translated = False  # a Service translation happened (once per connection)
        # kube-proxy's 0x4000 mark lives in the skb of one node: set by KUBE-MARK-MASQ there,
        # consumed by that node's KUBE-POSTROUTING, never carried over the wire.
        self.marked_on: str | None = None
        self.mark_rule = ""
        # Nodes whose nat POSTROUTING already rewrote this connection's source: conntrack
        # NATs a connection once per node, but every node on the path has its own table
        # (a pod's packet masqueraded by flanneld on node-1 is masqueraded again by
        # KUBE-POSTROUTING on node-2 when kube-proxy there marked it, SVC-9).
        self.snat_nodes: set[str] = set()
        self.policy_checked_egress = False
        self.policies: list[dict[str, Any]] = []
        self.decision: Any = None
        self.src_pod: Pod | None = None
        self.delivered_to: str | None = None  # pod key, "node:<name>" or external ip
        self.delivered_pkt: Packet | None = None
        self.notes: list[str] = []
        self.unmatched_reason = ""
        self.kpr_snat_on: str | None = None  # node whose bpf NodePort SNATs (KPR)

    # ------------------------------------------------------------------ hop helpers

    def add(self, place: Place, action: str, pin: Packet | None, pout: Packet | None,
            rule: str, explain: str, routed: bool = False) -> None:
        if self.reply_of is not None:  # the reply path: trailing `reply` hops (issue #4)
            action, explain = "reply", f"reply ({action}): {explain}"
        self.hops.append(Hop(self.seq0 + len(self.hops) + 1, place, action, pin, pout, rule,
                             explain, routed))

    def stop(self, verdict: str, place: Place, pkt: Packet | None, rule: str, explain: str,
             reason: str | None = None, action: str | None = None) -> None:
        action = action or {"dropped": "drop", "rejected": "reject"}.get(verdict, "drop")
        self.add(place, action, pkt, None, rule, explain)
        self.verdict = verdict
        self.reason = reason or explain
        raise _Stop

    def drop(self, place: Place, pkt: Packet | None, rule: str, explain: str,
             reason: str | None = None) -> None:
        self.stop("dropped", place, pkt, rule, explain, reason)

    # ------------------------------------------------------------------ places

    @staticmethod
    def p_pod(pod: Pod) -> Place:
        return Place("pod", pod.node_name, pod.key)

    @staticmethod
    def p_if(node: str, name: str) -> Place:
        return Place("interface", node, name)

    @staticmethod
    def p_host(node: str) -> Place:
        return Place("node", node, node)

    @staticmethod
    def p_ext(name: str) -> Place:
        return Place("external", None, name)

    # ------------------------------------------------------------------ facts

    def pod_at(self, ip: str) -> Pod | None:
        got = _ip(ip)
        return self.cluster.pod_by_ip.get(got) if got is not None else None

    def local_addrs(self, node: str) -> frozenset[IPv4Address]:
        return self.dp.local_addresses(node)

    def mtu_fault(self, node: str) -> str:
        if self.ul.mtu_lowered(node):
            return f" (fault: eth0 MTU on {node} lowered to {self.ul.mtu(node)})"
        return ""

    # ------------------------------------------------------------------ sources

    def from_pod(self, pod: Pod, pkt: Packet) -> None:
        node = pod.node_name or ""
        dp = self.dp
        if self.ul.is_down(node):
            self.drop(self.p_pod(pod), pkt, "node powered off",
                      f"{node} is powered off (fault): {pod.key} cannot send anything")
        dst = _addr(pkt.dst)
        route = dp.pod_route_for(pod, dst)
        if self.reply_of is None or not self.hops:
            self.add(self.p_pod(pod), "send", None, pkt, f"route {route.render()}",
                     f"{pod.key} sends {pkt.proto} {pkt.src}:{pkt.sport} → {pkt.dst}:{pkt.dport} "
                     f"out of its eth0 (pod route table)")
        mtu = dp.pod_mtu(node)
        if pkt.size > mtu and self.df:
            self.drop(self.p_pod(pod), pkt, f"eth0 mtu {mtu}",
                      f"the packet ({pkt.size} bytes, DF set) is larger than the pod's eth0 MTU "
                      f"{mtu}: the sender's kernel refuses it (EMSGSIZE, fragmentation needed, "
                      f"mtu {mtu})")
        if dp.kube_proxy_replacement and not self.translated and self.reply_of is None:
            pkt = self.cilium_socket_lb(pod, pkt)
        host_if = dp.pod_host_iface(pod)
        onlink = route.via is None and route.dst is not None
        if dp.bridged and onlink:
            out = pkt
            self.add(self.p_if(node, host_if), "veth", pkt, out,
                     f"veth pair eth0@{pod.name} ↔ {host_if}",
                     f"the frame leaves {pod.key} through its veth; the host end {host_if} "
                     f"is a port of the {dp.bridge_name} bridge")
            self.bridge_switch(node, pkt, pod)
            return
        self.add(self.p_if(node, host_if), "veth", pkt, pkt,
                 f"veth pair eth0@{pod.name} ↔ {host_if}",
                 self.veth_explain(pod, route))
        if dp.bridged:
            self.add(self.p_if(node, dp.bridge_name), "bridge", pkt, pkt,
                     f"{dp.bridge_name}: destination MAC is the bridge's own",
                     f"the frame is addressed to the gateway {route.via}, the {dp.bridge_name} "
                     f"bridge itself, so the bridge hands it to {node}'s IP stack")
        self.host(node, pkt, "pod")

    def veth_explain(self, pod: Pod, route: Route) -> str:
        plugin = self.dp.plugin
        if plugin in ("calico", "canal"):
            return (f"{pod.key} sends everything to 169.254.1.1; the host end "
                    f"{self.dp.pod_host_iface(pod)} answers that ARP by proxy ARP "
                    f"(ee:ee:ee:ee:ee:ee), so the packet enters {pod.node_name}'s IP stack "
                    "(NET-5.3)")
        if plugin == "cilium":
            return (f"the packet leaves {pod.key} on its lxc veth, where Cilium's eBPF "
                    "program (from-container) takes it (NET-7)")
        return f"the packet leaves {pod.key} towards its gateway {route.via}"

    def from_host(self, node: str, pkt: Packet, label: str) -> None:
        if self.ul.is_down(node):
            self.drop(self.p_host(node), pkt, "node powered off", f"{node} is powered off "
                      "(fault)")
        if self.reply_of is None:
            route = self.dp.lookup(node, _addr(pkt.dst))
            rule = f"route {route.render()}" if route is not None else "no route"
            self.add(self.p_host(node), "send", None, pkt, rule,
                     f"{label} on {node} sends {pkt.proto} {pkt.src}:{pkt.sport} → "
                     f"{pkt.dst}:{pkt.dport} (source address chosen by the route)")
            if self.dp.kube_proxy_replacement and not self.translated:
                pkt = self.cilium_socket_lb(None, pkt, node)
        self.host(node, pkt, "local")

    def from_external(self, ext: IPv4Address, pkt: Packet, entry: str | None,
                      via_text: str = "") -> None:
        place = self.p_ext(str(ext))
        if self.reply_of is None:
            self.add(place, "send", None, pkt, via_text or "client",
                     f"the external host {ext} sends {pkt.proto} to {pkt.dst}:{pkt.dport}")
        dst = _addr(pkt.dst)
        if entry is None:
            target_node = self.cluster.node_by_ip.get(dst)
            if target_node is None:
                self.drop(place, pkt, "no route",
                          f"{ext} has no route to {dst}: pod and Service addresses are not "
                          "routed outside the cluster (give via_node, or a route in "
                          "externalHosts[].routes)")
            entry = target_node.name
        out = self.underlay(None, entry, pkt, src_ip=ext, dst_ip=self.dp.node_ip(entry),
                            src_place=place)
        self.host(entry, out, "wire")

    # ------------------------------------------------------------------ Cilium socket LB

    def cilium_socket_lb(self, pod: Pod | None, pkt: Packet, node: str | None = None) -> Packet:
        """kube-proxy replacement: connect() is translated to the backend before the packet
        exists (NET-7); no KUBE-* chain is involved."""
        node = node or (pod.node_name if pod else None)
        kp = self.engine.kubeproxy
        match = kp.lookup(_addr(pkt.dst), pkt.dport or 0, pkt.proto, node)
        if match is None or match.port is None:
            return pkt
        dec = self.decide(match, pkt, "pod" if pod else "host", node)
        place = self.p_pod(pod) if pod else self.p_host(node or "")
        svc = match.service.key
        if dec.verdict in ("reject", "drop"):
            self.translated = True
            verdict = "rejected" if dec.verdict == "reject" else "dropped"
            self.stop(verdict, place, pkt, f"cilium lb4 service {pkt.dst}:{pkt.dport}: "
                      "no backends", dec.reason.replace("kube-proxy", "Cilium"))
        if dec.verdict != "dnat" or dec.backend is None:
            return pkt
        b = dec.backend
        out = _pk(pkt, dst=str(b.ip), dport=b.port)
        self.add(place, "dnat", pkt, out,
                 f"cilium socket LB (connect): {svc} {pkt.dst}:{pkt.dport} → {b.endpoint}",
                 f"Cilium's eBPF program at the socket rewrites the connection to backend "
                 f"{b.label} before the packet is built (kube-proxy replacement, NET-7)")
        self.nats.append(_Nat(None, "dnat", pkt, out, pod.key if pod else f"node:{node}"))
        self.translated = True
        return out

    # ------------------------------------------------------------------ kube-proxy

    def decide(self, match: Any, pkt: Packet, kind: str, node: str | None) -> Any:
        kp = self.engine.kubeproxy
        flow = (_addr(pkt.src), pkt.sport, _addr(pkt.dst), pkt.dport, pkt.proto)
        dec = kp.decide(match, pkt.src, kind, node, flow=flow, seed=self.seed,
                        affinity=self.affinity)
        if match.service.key == KUBE_DNS and self.cluster.config.faults.coredns_scaled_to_zero \
                and dec.verdict == "dnat":
            dec = self.coredns_gone(match, dec)
        self.decision = dec
        return dec

    def coredns_gone(self, match: Any, dec: Any) -> Any:
        """Fault "CoreDNS scaled to zero": kube-dns keeps its ClusterIP but has no endpoints,
        so kube-proxy REJECTs DNS (SVC-11, DNS-11 'connection refused')."""
        name = match.svc_port_name
        proto = match.protocol.lower()
        rule = (f"-A KUBE-SERVICES -d {match.dst_ip}/32 -p {proto} -m comment --comment "
                f'"{name} has no endpoints" -m {proto} --dport {match.dst_port} '
                f"-j {ipt.REJECT}")
        return replace(dec, verdict="reject", rule=rule, filter_steps=(rule,), candidates=(),
                       candidate_backends=(), backend=None, dnat=None, marks=(),
                       reason=f"{name} has no endpoints: CoreDNS is scaled to zero (fault), so "
                              "kube-proxy rejects the query with ICMP port unreachable (SVC-11)")

    def service_step(self, node: str, pkt: Packet, origin: str) -> Packet:
        """kube-proxy in PREROUTING (origin pod/wire) or OUTPUT (local) on `node`."""
        dp = self.dp
        if self.translated or self.reply_of is not None:
            return pkt
        if dp.kube_proxy_replacement:
            if origin == "wire":
                return self.cilium_nodeport(node, pkt)
            return pkt
        if node in self.cluster.config.faults.kube_proxy_stopped:
            self.notes.append(f"kube-proxy is stopped on {node} (fault): its rules are stale")
        kp = self.engine.kubeproxy
        match = kp.lookup(_addr(pkt.dst), pkt.dport or 0, pkt.proto, node)
        if match is None:
            return pkt
        kind = {"pod": "pod", "local": "host", "wire": "external"}[origin]
        dec = self.decide(match, pkt, kind, node)
        place = Place("service", node, match.service.key)
        if dec.verdict == "unmatched":
            self.unmatched_reason = dec.reason
            return pkt
        self.translated = True
        if dec.verdict in ("reject", "drop"):
            rule = dec.filter_steps[-1] if dec.filter_steps else dec.rule
            self.stop("rejected" if dec.verdict == "reject" else "dropped", place, pkt, rule,
                      dec.reason)
        b = dec.backend
        out = _pk(pkt, dst=str(b.ip), dport=b.port)
        chain = "OUTPUT" if origin == "local" else "PREROUTING"
        self.add(place, "dnat", pkt, out, dec.rule,
                 f"kube-proxy ({dec.mode}) on {node}, {chain}: {dec.reason}")
        self.nats.append(_Nat(node, "dnat", pkt, out))
        if dec.marks:
            self.marked_on = node
            self.mark_rule = dec.marks[0][1]
        return out

    def cilium_nodeport(self, node: str, pkt: Packet) -> Packet:
        """kube-proxy replacement at tc on the node's device: NodePort/LB/externalIP (NET-7).
        Cilium keeps the client IP for a local backend and SNATs to the node IP for a remote
        one (SNAT mode), whatever the traffic policy."""
        kp = self.engine.kubeproxy
        match = kp.lookup(_addr(pkt.dst), pkt.dport or 0, pkt.proto, node)
        if match is None or match.port is None or match.kind == "cluster-ip":
            return pkt
        dec = self.decide(match, pkt, "external", node)
        place = Place("service", node, match.service.key)
        self.translated = True
        if dec.verdict in ("reject", "drop"):
            self.stop("rejected" if dec.verdict == "reject" else "dropped", place, pkt,
                      f"cilium lb4 service {pkt.dst}:{pkt.dport}: no usable backend",
                      dec.reason.replace("kube-proxy", "Cilium"))
        if dec.verdict != "dnat":
            return pkt
        b = dec.backend
        out = _pk(pkt, dst=str(b.ip), dport=b.port)
        self.add(place, "dnat", pkt, out,
                 f"cilium bpf_host nodeport: {match.service.key} {pkt.dst}:{pkt.dport} → "
                 f"{b.endpoint}",
                 f"Cilium's eBPF program on {node}'s eth0 translates the {match.kind} to backend "
                 f"{b.label} (kube-proxy replacement, no KUBE-* chains)")
        self.nats.append(_Nat(node, "dnat", pkt, out))
        if b.node_name != node:
            self.kpr_snat_on = node
        return out

    # ------------------------------------------------------------------ policy

    def policy(self, direction: str, src: Pod | IPv4Address, dst: Pod | IPv4Address,
               pkt: Packet, place: Place) -> None:
        v = self.engine.policy.verdict(src, dst, pkt.dport or 0, pkt.proto)
        d = v.egress if direction == "egress" else v.ingress
        entry = {"direction": direction,
                 "pod": (src.key if isinstance(src, Pod) else None) if direction == "egress"
                 else (dst.key if isinstance(dst, Pod) else None),
                 "isolated": d.isolated, "isolated_by": list(d.isolated_by),
                 "allowed": d.allowed, "enforced": v.enforced,
                 "allowed_by": [r.to_dict() for r in d.allowed_by],
                 "explanation": d.explanation}
        if not d.isolated and d.allowed:
            return
        self.policies.append(entry)
        enforcer = {"calico": "Felix", "canal": "Felix", "weave": "weave-npc",
                    "cilium": "Cilium's eBPF"}.get(self.dp.plugin, self.dp.plugin)
        if d.allowed:
            rule = ", ".join(r.text for r in d.allowed_by) or d.explanation
            explain = d.explanation
            if not v.enforced:  # nothing on the node evaluated it (NET-4.6)
                rule += f" (not enforced by {self.dp.plugin})"
                explain += (f" — informational only: {self.dp.plugin} does not enforce "
                            "NetworkPolicy (NET-4.6)")
            self.add(place, "policy-allow", pkt, pkt, rule, explain)
            return
        isolated = ", ".join(f"NetworkPolicy {k}" for k in d.isolated_by)
        if not v.enforced:
            text = (f"{d.explanation} — {isolated} would deny this, but "
                    f"{self.dp.plugin} does not enforce NetworkPolicy (NET-4.6)")
            self.add(place, "policy-allow", pkt, pkt,
                     f"{isolated} (not enforced by {self.dp.plugin})", text)
            self.notes.append(text)
            return
        self.add(place, "policy-deny", pkt, None, f"{isolated} {direction}",
                 f"{enforcer} drops the packet: {d.explanation}")
        self.verdict = "dropped"
        self.reason = f"{direction} NetworkPolicy: {d.explanation}"
        raise _Stop

    def egress_policy(self, pkt: Packet, place: Place) -> None:
        if self.reply_of is not None or self.policy_checked_egress or self.src_pod is None:
            return
        self.policy_checked_egress = True
        if self.src_pod.host_network:
            return
        self.policy("egress", self.src_pod, _addr(pkt.dst), pkt, place)

    def ingress_policy(self, pod: Pod, pkt: Packet, place: Place) -> None:
        if self.reply_of is not None:
            return
        self.policy("ingress", _addr(pkt.src), pod, pkt, place)

    # ------------------------------------------------------------------ node IP stack

    def host(self, node: str, pkt: Packet, origin: str) -> None:
        """`pkt` enters `node`'s IP stack from a local pod, its own process or the wire."""
        dp = self.dp
        pkt = self.conntrack_reply(node, pkt)
        pkt = self.service_step(node, pkt, origin)
        first_place = self.p_if(node, "eth0") if origin == "wire" else Place(
            "node", node, node)
        self.egress_policy(pkt, first_place)
        dst = _addr(pkt.dst)
        if dst in self.local_addrs(node) or dst in LOOPBACK:
            self.deliver_host(node, pkt)
        route = dp.lookup(node, dst)
        if route is None:
            self.drop(self.p_host(node), pkt, "no route",
                      f"{node} has no route to {dst} (no default route)")
        forwarded = origin != "local"
        out = _pk(pkt, ttl=pkt.ttl - 1) if forwarded else pkt
        rule = f"route {route.render()}"
        dev = route.dev or "eth0"
        if route.type == "blackhole":
            self.add(self.p_if(node, "blackhole"), "route", pkt, out, rule,
                     f"{dst} is in {route.dst}, a block {node} owns, but no pod has it: Calico's "
                     "blackhole route discards it (NET-5.2)", routed=forwarded)
            self.drop(self.p_host(node), out, rule, f"dropped by the blackhole route on {node}")
        if out.ttl <= 0:
            self.drop(self.p_host(node), pkt, "TTL exceeded", "TTL reached 0")
        self.add(self.p_if(node, dev), "route", pkt, out, rule,
                 self.route_explain(node, route, dst, forwarded), routed=forwarded)
        pkt = out
        limit = route.mtu
        if limit is not None and pkt.size > limit and self.df:
            self.frag_needed(node, pkt, limit, f"route mtu {limit}")
        pkt = self.postrouting(node, pkt, dev, route)
        tunnel = dp.tunnel_peer(node, route, dst)
        if tunnel is not None:
            self.tunnel(node, pkt, tunnel[0], tunnel[1])
            return
        self.egress_dev(node, pkt, route)

    def route_explain(self, node: str, route: Route, dst: IPv4Address, forwarded: bool) -> str:
        verb = "forwards" if forwarded else "sends"
        ttl = " (TTL − 1)" if forwarded else ""
        if route.dst is None:
            return f"{node} {verb} the packet by its default route via {route.via}{ttl}"
        via = f" via {route.via}" if route.via else ""
        return f"{node} {verb} the packet for {dst} out of {route.dev}{via}{ttl}"

    def postrouting(self, node: str, pkt: Packet, dev: str, route: Route) -> Packet:
        if self.reply_of is not None or node in self.snat_nodes:
            return pkt
        src = _addr(pkt.src)
        dst = _addr(pkt.dst)
        if self.kpr_snat_on == node:
            new = self.dp.node_ip(node) if dev == "eth0" else (
                self.dp.iface_addr(node, dev) or self.dp.node_ip(node))
            return self.snat(node, pkt, new, dev, "cilium bpf_host nodeport SNAT",
                             "Cilium SNATs NodePort traffic forwarded to a backend on another "
                             "node to the node's address (kube-proxy replacement, SNAT mode)")
        if self.marked_on == node:
            new = self.dp.iface_addr(node, dev) or self.dp.node_ip(node)
            return self.snat(node, pkt, new, dev, KUBE_POSTROUTING_MASQ,
                             f"KUBE-POSTROUTING masquerades the 0x4000-marked packet to the "
                             f"address of the outgoing interface {dev} (SVC-9)")
        masq = self.dp.masquerade(node, src, dst, dev)
        if masq is not None:
            new = self.dp.iface_addr(node, dev) or self.dp.node_ip(node)
            return self.snat(node, pkt, new, dev, masq.chain_rule, masq.explain)
        return pkt

    def snat(self, node: str, pkt: Packet, new: IPv4Address, dev: str, rule: str,
             explain: str) -> Packet:
        self.snat_nodes.add(node)
        if str(new) == pkt.src:
            return pkt
        out = _pk(pkt, src=str(new))
        self.add(self.p_if(node, dev), "snat", pkt, out, rule,
                 f"{explain}: source {pkt.src} → {new}")
        self.nats.append(_Nat(node, "snat", pkt, out))
        return out

    def frag_needed(self, node: str, pkt: Packet, mtu: int, rule: str) -> None:
        fault = self.mtu_fault(node)
        self.drop(self.p_host(node), pkt, f"ICMP fragmentation needed (type 3 code 4), mtu {mtu}",
                  f"the packet ({pkt.size} bytes, DF set) does not fit the path MTU {mtu} at "
                  f"{node} ({rule}){fault}; {node} drops it and sends ICMP 'fragmentation "
                  f"needed, mtu {mtu}' to {pkt.src} (NET-3.2)",
                  reason=f"packet larger than the path MTU: {pkt.size} > {mtu} at {node}{fault};"
                  f" dropped with ICMP fragmentation needed (mtu {mtu})")

    # ------------------------------------------------------------------ leaving a node

    def egress_dev(self, node: str, pkt: Packet, route: Route) -> None:
        dev = route.dev or "eth0"
        dst = _addr(pkt.dst)
        if dev != "eth0":
            pod = self.cluster.pod_by_ip.get(dst)
            if pod is None or pod.node_name != node:
                self.drop(self.p_if(node, dev), pkt, f"route {route.render()}",
                          f"no pod on {node} has {dst}: nothing answers ARP on {dev}")
            self.to_local_pod(node, pod, pkt)
            return
        nexthop = route.via or dst
        peer = self.cluster.node_by_ip.get(nexthop)
        if peer is not None:
            out = self.underlay(node, peer.name, pkt)
            self.host(peer.name, out, "wire")
            return
        if route.via is not None and not self.dp_is_node(nexthop):
            self.via_router(node, pkt, nexthop)
            return
        # on-link destination that is not a node: an external host in the node's subnet
        self.to_external(node, pkt, None)

    def dp_is_node(self, ip: IPv4Address) -> bool:
        return ip in self.cluster.node_by_ip

    def underlay(self, src_node: str | None, dst_node: str, pkt: Packet,
                 src_ip: IPv4Address | None = None, dst_ip: IPv4Address | None = None,
                 src_place: Place | None = None, encap: Encap | None = None) -> Packet:
        """Carry `pkt` (its outer header if encapsulated) between two underlay addresses."""
        ul = self.ul
        a = src_ip or self.dp.node_ip(src_node or "")
        b = dst_ip or self.dp.node_ip(dst_node)
        place = src_place or self.p_if(src_node or "", "eth0")
        path = ul.path(a, b)
        wire = pkt.outer.size if pkt.outer is not None else pkt.size
        if not path.ok:
            self.add(place, "underlay", pkt, pkt, "underlay path", f"{a} → {b}")
            self.drop(Place("external", None, "router"), pkt, "link cut", path.reason)
        if src_node is not None:
            sender = ul.mtu(src_node)
            if wire > sender:
                inner_limit = sender - (encap.overhead if encap else 0)
                if self.df:
                    self.frag_needed(src_node, pkt, inner_limit, f"eth0 mtu {sender}")
        out = pkt
        routed = path.via_router is not None and pkt.outer is None
        if routed:
            out = _pk(pkt, ttl=pkt.ttl - 1)
        via = f" through the router {path.via_router}" if path.via_router else " on the same L2 " \
            "network"
        sub_a = ul.subnet_of_ip(a)
        sub_b = ul.subnet_of_ip(b)
        where = f" ({sub_a.name} → {sub_b.name})" if sub_a and sub_b and sub_a != sub_b else ""
        self.add(place, "underlay", pkt, out, f"{a} → {b}{where}",
                 f"the {'encapsulated ' if pkt.outer else ''}packet crosses the underlay from "
                 f"{a} to {dst_node} ({b}){via}", routed=routed)
        if ul.is_down(dst_node):
            self.drop(self.p_host(dst_node), out, "node powered off",
                      f"{dst_node} is powered off (fault): nothing answers at {b}; the packet "
                      "is lost and the client times out")
        receiver = ul.mtu(dst_node)
        if wire > receiver:
            self.drop(self.p_if(dst_node, "eth0"), out, f"eth0 mtu {receiver}",
                      f"the frame ({wire} bytes) is larger than {dst_node}'s eth0 MTU {receiver}"
                      f"{self.mtu_fault(dst_node)}: the receiver discards it silently and the "
                      "sender never learns why (an MTU black hole)")
        return out

    def via_router(self, node: str, pkt: Packet, gw: IPv4Address) -> None:
        """The packet leaves towards the subnet's gateway: a router that knows node subnets
        and the outside, but no pod CIDR or Service range (issue #4)."""
        dst = _addr(pkt.dst)
        target = self.cluster.node_by_ip.get(dst)
        if target is not None:
            out = self.underlay(node, target.name, pkt)
            self.host(target.name, out, "wire")
            return
        cfg = self.cluster.config
        if self.dp.is_pod_network(dst) or dst in cfg.service_cidr:
            self.add(self.p_if(node, "eth0"), "underlay", pkt, pkt, f"→ router {gw}",
                     f"{node} hands the packet to its gateway {gw}")
            what = "pod" if self.dp.is_pod_network(dst) else "Service"
            why = self.router_why(node, dst)
            extra = f" {self.unmatched_reason}" if self.unmatched_reason else ""
            self.drop(self.p_ext(f"router {gw}"), pkt, f"no route to {dst}",
                      f"the router {gw} has no route to the {what} address {dst}: the underlay "
                      f"does not know pod CIDRs or the Service range; the packet is lost and the "
                      f"client times out.{why}{extra}")
        self.to_external(node, pkt, gw)

    def router_why(self, node: str, dst: IPv4Address) -> str:
        dp = self.dp
        owner = dp.owner_of(dst)
        if owner is None or owner == node:
            return ""
        if dp.plugin in ("flannel", "canal") and dp.mode == "host-gw":
            return (f" Flannel host-gw needs every node on one L2 network (NET-4.3): {owner} "
                    f"({dp.node_ip(owner)}) is not on-link for {node}, so the route "
                    f"'{dp.owner_range(dst)} via {dp.node_ip(owner)} dev eth0' could not be "
                    "installed "
                    "('Nexthop has invalid gateway') and the packet followed the default route.")
        if dp.plugin == "calico" and dp.encap is None:
            return (f" Calico without encapsulation across subnets needs the router to learn "
                    f"pod routes by BGP (NET-5.7); {owner} is in another subnet.")
        if dp.plugin == "cilium" and dp.encap is None:
            return (f" Cilium native routing installs direct routes only to nodes on the same "
                    f"L2 network (auto-direct-node-routes); {owner} is in another subnet.")
        return ""

    def to_external(self, node: str, pkt: Packet, gw: IPv4Address | None) -> None:
        dst = _addr(pkt.dst)
        path = self.ul.path(self.dp.node_ip(node), dst)
        routed = gw is not None
        out = _pk(pkt, ttl=pkt.ttl - 1) if routed else pkt
        via = f" via the router {gw}" if gw else ""
        self.add(self.p_if(node, "eth0"), "underlay", pkt, out, f"{self.dp.node_ip(node)} → {dst}",
                 f"the packet leaves {node} for {dst}{via}", routed=routed)
        if not path.ok:
            self.drop(self.p_ext(f"router {gw}"), out, "link cut", path.reason)
        self.deliver_external(dst, out)

    # ------------------------------------------------------------------ tunnels and bridges

    def tunnel(self, node: str, pkt: Packet, encap: Encap, peer: str) -> None:
        dp = self.dp
        if dp.plugin == "weave":
            self.add(self.p_if(node, "weave"), "bridge", pkt, pkt, "weave bridge → vethwe-bridge",
                     f"the weave bridge on {node} sends the frame to the datapath: {pkt.dst} is "
                     f"on {peer}")
        a, b = dp.node_ip(node), dp.node_ip(peer)
        sport = vxlan_source_port(pkt)
        out = encapsulate(pkt, self.vni(encap, pkt), a, b, sport)
        self.add(self.p_if(node, encap.device), "encapsulate", pkt, out,
                 self.encap_rule(node, peer, encap, pkt),
                 f"{node} wraps the packet in {self.vni(encap, pkt).describe()} to reach {peer} "
                 f"at {b}")
        wired = self.underlay(node, peer, out, encap=encap)
        inner = _pk(wired, outer=None)
        self.add(self.p_if(peer, encap.device), "decapsulate", wired, inner,
                 f"{encap.describe()} from {a}",
                 f"{peer} unwraps the packet on {encap.device}")
        if dp.plugin == "weave":
            inner = self.conntrack_reply(peer, inner, bridged=True)
            if _addr(inner.dst) in dp.local_addresses(peer):
                self.add(self.p_if(peer, "weave"), "bridge", inner, inner,
                         "vethwe-bridge → weave bridge (own address)",
                         f"the frame is for {inner.dst}, {peer}'s weave bridge address: the host "
                         "takes it")
                self.host(peer, inner, "wire")
                return
            pod = self.cluster.pod_by_ip.get(_addr(inner.dst))
            if pod is None or pod.node_name != peer:
                self.drop(self.p_if(peer, "weave"), inner, "no such pod",
                          f"no pod on {peer} has {inner.dst}")
            self.add(self.p_if(peer, "weave"), "bridge", inner, inner,
                     "vethwe-bridge → weave bridge",
                     f"the frame enters {peer}'s weave bridge: switched, not routed (TTL kept)")
            self.ingress_policy(pod, inner, self.p_if(peer, self.dp.pod_host_iface(pod)))
            self.veth_in(peer, pod, inner)
            return
        self.host(peer, inner, "wire")

    def vni(self, encap: Encap, pkt: Packet) -> Encap:
        if self.dp.plugin == "cilium" and encap.kind in ("vxlan", "geneve"):
            src_pod = self.cluster.pod_by_ip.get(_addr(pkt.src))
            return replace(encap, vni=self.dp.identity(src_pod))  # type: ignore[attr-defined]
        return encap

    def encap_rule(self, node: str, peer: str, encap: Encap, pkt: Packet) -> str:
        dp = self.dp
        if encap.device == "flannel.1":
            rng = dp.owner_range(_addr(pkt.dst))
            gw = rng.network_address if rng is not None else ""
            return (f"neigh {gw} lladdr {dp.vtep_mac(peer)} → fdb {dp.vtep_mac(peer)} dst "
                    f"{dp.node_ip(peer)} (VNI 1, UDP 8472)")
        if encap.device == "vxlan.calico":
            return (f"neigh {dp.tunnel_ip(peer)} lladdr {dp.vtep_mac(peer)} → fdb "
                    f"{dp.vtep_mac(peer)} dst {dp.node_ip(peer)} (VNI 4096, UDP 4789)")
        if encap.device == "tunl0":
            return f"tunl0 ipip remote {dp.node_ip(peer)} (IP protocol 4)"
        if dp.plugin == "cilium":
            return (f"cilium tunnel map: {dp.owner_range(_addr(pkt.dst))} → "
                    f"{dp.node_ip(peer)} ({encap.kind}, UDP {encap.port})")
        return f"weave {encap.kind}: peer {peer} at {dp.node_ip(peer)} (UDP {encap.port})"

    def bridge_switch(self, node: str, pkt: Packet, src_pod: Pod) -> None:
        """Same L2 segment: the bridge switches the frame (no routing, TTL kept, NET-3.1)."""
        dp = self.dp
        place = self.p_if(node, dp.bridge_name)
        dst = _addr(pkt.dst)
        if dst in dp.local_addresses(node):
            # Addressed to the bridge's own IP (and MAC): the frame goes up to the host's IP
            # stack, not across the bridge. That is where a reply to a masqueraded
            # connection (source 10.244.1.1, SVC-9/SVC-15) meets conntrack and is then
            # routed, TTL − 1, to the original client.
            self.add(place, "bridge", pkt, pkt,
                     f"{dp.bridge_name}: destination is the bridge's own address",
                     f"the frame is for {dst}, {node}'s own address on "
                     f"{dp.bridge_name}, so the bridge hands it to the host's IP stack")
            self.host(node, pkt, "pod")
            return
        pkt = self.conntrack_reply(node, pkt, bridged=True)
        dst = _addr(pkt.dst)
        pod = self.cluster.pod_by_ip.get(dst)
        if pod is None:
            owner = dp.owner_of(dst) if dp.plugin == "weave" else None
            if owner is not None and owner != node and dp.encap is not None:
                self.tunnel(node, pkt, dp.encap, owner)
                return
            self.drop(place, pkt, f"ARP who-has {dst}",
                      f"no pod has {dst}: the ARP request on {dp.bridge_name} is not answered "
                      "and the sender times out")
        self.egress_policy(pkt, place)
        if pod.node_name == node:
            self.add(place, "bridge", pkt, pkt, f"{dp.bridge_name} fdb: "
                     f"{dp.pod_mac(pod)} → {dp.pod_host_iface(pod)}",
                     f"the {dp.bridge_name} bridge switches the frame to {pod.key}'s port "
                     "(L2: no routing, TTL unchanged)")
            self.ingress_policy(pod, pkt, self.p_if(node, dp.pod_host_iface(pod)))
            self.veth_in(node, pod, pkt)
            return
        if dp.plugin != "weave":
            self.drop(place, pkt, "not on this bridge", f"{dst} is not on {node}'s bridge")
        encap = dp.encap
        assert encap is not None
        self.tunnel(node, pkt, encap, pod.node_name or "")

    def to_local_pod(self, node: str, pod: Pod, pkt: Packet) -> None:
        dp = self.dp
        if dp.bridged:
            self.add(self.p_if(node, dp.bridge_name), "bridge", pkt, pkt,
                     f"{dp.bridge_name} fdb: {dp.pod_mac(pod)} → {dp.pod_host_iface(pod)}",
                     f"the {dp.bridge_name} bridge switches the frame to {pod.key}'s port"
                     + (" (hairpin: back out of the port it came in on, SVC-15)"
                        if self.src_pod is pod else ""))
        self.ingress_policy(pod, pkt, self.p_if(node, dp.pod_host_iface(pod)))
        self.veth_in(node, pod, pkt)

    def veth_in(self, node: str, pod: Pod, pkt: Packet) -> None:
        host_if = self.dp.pod_host_iface(pod)
        self.add(self.p_if(node, host_if), "veth", pkt, pkt,
                 f"veth pair {host_if} ↔ eth0@{pod.name}",
                 f"the packet crosses the veth into {pod.key}'s network namespace")
        self.deliver_pod(pod, pkt)

    # ------------------------------------------------------------------ endings

    def deliver_pod(self, pod: Pod, pkt: Packet) -> None:
        self.delivered(self.p_pod(pod), pkt, pod.key,
                       f"{pod.key} receives {pkt.proto} from {pkt.src}:{pkt.sport} on port "
                       f"{pkt.dport} (TTL {pkt.ttl})")

    def deliver_host(self, node: str, pkt: Packet) -> None:
        self.delivered(self.p_host(node), pkt, f"node:{node}",
                       f"{node}'s own network stack receives the packet on {pkt.dst}:{pkt.dport}"
                       " (host network)")

    def deliver_external(self, dst: IPv4Address, pkt: Packet) -> None:
        host = next((h for h in self.cluster.config.external_hosts if h.ip == dst), None)
        place = self.p_ext(str(dst))
        if host is not None and host.listens and self.reply_of is None and not any(
                lp.port == pkt.dport and lp.protocol == pkt.proto for lp in host.listens):
            answer = "TCP RST" if pkt.proto == "TCP" else "ICMP port unreachable"
            self.stop("rejected", place, pkt, f"nothing listens on {pkt.dport}/{pkt.proto}",
                      f"{dst} does not listen on {pkt.dport}/{pkt.proto}: it answers {answer} "
                      "('Connection refused')")
        self.delivered(place, pkt, str(dst), f"{dst} receives the packet from {pkt.src}")

    def delivered(self, place: Place, pkt: Packet, who: str, explain: str) -> None:
        self.add(place, "deliver", pkt, pkt, "delivered", explain)
        self.verdict = "delivered"
        self.delivered_to = who
        self.delivered_pkt = pkt
        raise _Stop

    # ------------------------------------------------------------------ conntrack (replies)

    def conntrack_reply(self, node: str, pkt: Packet, bridged: bool = False) -> Packet:
        """On the reply path, undo the NAT this node did on the request (SVC-17 step 6).
        Bridged frames get it too: br_netfilter (`bridge-nf-call-iptables=1`, a kubeadm
        prerequisite) sends them through conntrack, which is what makes Services work
        between pods on one bridge."""
        fwd = self.reply_of
        if fwd is None:
            return pkt
        how = " (br_netfilter: bridged frames pass conntrack)" if bridged else ""
        for nat in reversed(fwd.nats):
            if nat.node != node:
                continue
            if nat.kind == "snat" and pkt.dst == nat.after.src:
                out = _pk(pkt, dst=nat.before.src)
                self.add(self.p_host(node), "dnat", pkt, out,
                         f"conntrack: reply to {nat.after.src} → {nat.before.src} (un-SNAT)",
                         f"{node}'s conntrack entry reverses the masquerade: the reply goes back "
                         f"to the original client {nat.before.src}{how}")
                pkt = out
            elif nat.kind == "dnat" and pkt.src == nat.after.dst and \
                    pkt.sport == nat.after.dport:
                out = _pk(pkt, src=nat.before.dst, sport=nat.before.dport)
                self.add(self.p_host(node), "snat", pkt, out,
                         f"conntrack: reply from {nat.after.dst}:{nat.after.dport} → "
                         f"{nat.before.dst}:{nat.before.dport} (un-DNAT)",
                         f"{node}'s conntrack entry reverses the DNAT: the client sees "
                         f"{nat.before.dst}:{nat.before.dport} as its peer{how}")
                pkt = out
        return pkt


# --------------------------------------------------------------------------- entry points


def _flow_packet(src_ip: str, dst_ip: str, protocol: str, dport: int, seed: int | None,
                 size: int | None) -> Packet:
    sport = _ephemeral_port(seed, src_ip, dst_ip, dport, protocol)
    return Packet(src_ip, dst_ip, protocol, sport, dport, DEFAULT_TTL,
                  size or DEFAULT_SIZE.get(protocol, 60))


def _resolve_port(engine: Engine, port: int | str, protocol: str, dst_pod: Pod | None,
                  dst_ip: IPv4Address) -> tuple[int | None, str]:
    if isinstance(port, int):
        return port, ""
    if dst_pod is not None:
        got = dst_pod.find_port(port, protocol)
        if got is None:
            return None, (f"pod {dst_pod.key} has no container port named {port!r} "
                          f"({protocol})")
        return got, ""
    svc = engine.cluster.service_by_cluster_ip.get(dst_ip)
    if svc is not None:
        for sp in svc.ports:
            if sp.name == port and sp.protocol == protocol:
                return sp.port, ""
        return None, f"Service {svc.key} has no port named {port!r} ({protocol})"
    return None, f"cannot resolve the port name {port!r} for {dst_ip}"


_LB_INDEX: WeakKeyDictionary[Engine, dict[tuple[str, int, str], tuple[Service, ServicePort]]] = \
    WeakKeyDictionary()


def _lb_service(engine: Engine, ip: IPv4Address, port: int,
                protocol: str) -> tuple[Service, ServicePort] | None:
    """The LoadBalancer Service port whose status ingress IP is `ip` (first in load order).
    Indexed once per snapshot: an external trace must not scan every Service."""
    index = _LB_INDEX.get(engine)
    if index is None:
        index = {}
        for svc in engine.cluster.services:
            if svc.type != "LoadBalancer":
                continue
            for value in svc.load_balancer_ingress:
                for sp in svc.ports:
                    index.setdefault((value, sp.port, sp.protocol), (svc, sp))
        _LB_INDEX[engine] = index
    return index.get((str(ip), port, protocol))


def _lb_pick(engine: Engine, svc: Service, sp: ServicePort, seed: int | None,
             client: str) -> tuple[str | None, str]:
    """SVC-12 simulator model: the LB delivers to a Ready node without the exclude label;
    with ETP Local only to nodes whose health check passes (≥ 1 local ready endpoint)."""
    cluster = engine.cluster
    down = cluster.config.faults.nodes_down
    nodes = [n for n in cluster.nodes if n.ready and n.name not in down
             and EXCLUDE_LB_LABEL not in n.labels]
    if svc.external_traffic_policy == "Local":
        nodes = [n for n in nodes if engine.endpoints.local_endpoints(svc, sp, n.name)]
    if not nodes:
        return None, (f"the load balancer of {svc.key} has no healthy node in its pool"
                      + (" (externalTrafficPolicy Local: no node has a ready local endpoint)"
                         if svc.external_traffic_policy == "Local" else ""))
    names = ", ".join(n.name for n in nodes)
    pick = nodes[_seeded_index(seed, len(nodes), client, svc.key, sp.port)]
    return pick.name, f"LB pool [{names}] → {pick.name}"


def trace_connect(engine: Engine, src: str | dict[str, str], dst: str, port: int | str,
                  protocol: str = "TCP", via_node: str | None = None, seed: int | None = None,
                  size: int | None = None, df: bool = True,
                  affinity: MutableMapping[tuple[str, ...], str] | None = None) -> Trace:
    """Walk one connection from `src` to `dst:port` (see the module docstring)."""
    cluster = engine.cluster
    protocol = protocol.upper()
    w = _Walker(engine, protocol, seed, df, affinity)
    trace = Trace(verdict="", reason="")

    # ---- source
    src_pod: Pod | None = None
    ext_ip: IPv4Address | None = None
    src_node: str | None = None
    if isinstance(src, dict):
        if "ip" in src:
            ext_ip = IPv4Address(src["ip"])
        else:
            src_node = src["node"]
    else:
        src_pod = cluster.find_pod(src)
        if src_pod is None:
            raise ValueError(f"pod {src} not found")
        if src_pod.host_network:
            src_node = src_pod.node_name
    w.src_pod = src_pod

    # ---- destination
    dst_pod: Pod | None = None
    dst_ip = _ip(dst)
    dns_hops: list[Hop] = []
    if dst_ip is None and "/" in dst:
        dst_pod = cluster.find_pod(dst)
        if dst_pod is None:
            raise ValueError(f"pod {dst} not found")
        if dst_pod.ip is None:
            trace.verdict, trace.reason = "dropped", f"pod {dst_pod.key} has no IP yet"
            return trace
        dst_ip = dst_pod.ip
    elif dst_ip is None:
        resolved = _resolve_name(engine, w, src_pod, src_node, ext_ip, dst, seed, trace)
        if resolved is None:
            return trace
        dst_ip, dns_hops = resolved
    trace.resolved_ip = str(dst_ip)
    if dst_pod is None:
        dst_pod = cluster.pod_by_ip.get(dst_ip)

    number, problem = _resolve_port(engine, port, protocol, dst_pod, dst_ip)
    if number is None:
        trace.verdict, trace.reason = "dropped", problem
        trace.hops = dns_hops
        return trace

    # ---- walk
    w.seq0 = len(dns_hops)
    try:
        if src_pod is not None and not src_pod.host_network:
            pkt = _flow_packet(str(src_pod.ip), str(dst_ip), protocol, number, seed, size)
            w.from_pod(src_pod, pkt)
        elif src_node is not None:
            route = engine.dataplane.lookup(src_node, dst_ip)
            src_ip = engine.dataplane.source_for(src_node, route) if route is not None \
                else engine.dataplane.node_ip(src_node)
            if dst_ip in LOOPBACK:
                src_ip = IPv4Address("127.0.0.1")
            pkt = _flow_packet(str(src_ip), str(dst_ip), protocol, number, seed, size)
            label = f"host-network pod {src_pod.key}" if src_pod else "a host process"
            w.from_host(src_node, pkt, label)
        else:
            assert ext_ip is not None
            pkt = _flow_packet(str(ext_ip), str(dst_ip), protocol, number, seed, size)
            entry, how = _entry_node(engine, ext_ip, dst_ip, number, protocol, via_node, seed)
            if entry is None and how:
                w.add(w.p_ext(str(ext_ip)), "send", None, pkt, "client",
                      f"the external host {ext_ip} sends {protocol} to {dst_ip}:{number}")
                w.drop(w.p_ext("load balancer"), pkt, "no healthy backend node", how)
            w.from_external(ext_ip, pkt, entry, how)
    except _Stop:
        pass

    # ---- result
    trace.hops = dns_hops + w.hops
    trace.verdict = w.verdict or "dropped"
    trace.reason = w.reason
    trace.policies = w.policies
    dec = w.decision
    if (dec is not None and dec.verdict == "dnat") or dec is not None:
        trace.candidates = list(dec.candidates)
    if w.verdict == "delivered" and w.delivered_pkt is not None:
        pkt = w.delivered_pkt
        who = w.delivered_to or ""
        trace.backend = who[len("node:"):] if who.startswith("node:") else who
        trace.backend_port = pkt.dport
        trace.source_ip_at_backend = pkt.src
        trace.reason = _delivered_reason(w, who, pkt)
        trace.reply_hops = _reply(engine, w, len(trace.hops))
    elif w.notes and w.verdict != "delivered":
        trace.reason += " (" + "; ".join(w.notes) + ")"
    return trace


def _delivered_reason(w: _Walker, who: str, pkt: Packet) -> str:
    where = who[len("node:"):] + " (host network)" if who.startswith("node:") else who
    text = f"delivered to {where} port {pkt.dport}, seen from {pkt.src}"
    if w.decision is not None and w.decision.verdict == "dnat":
        text += f"; {w.decision.reason}"
    if w.notes:
        text += "; " + "; ".join(w.notes)
    return text


def _entry_node(engine: Engine, ext: IPv4Address, dst: IPv4Address, port: int, protocol: str,
                via_node: str | None, seed: int | None) -> tuple[str | None, str]:
    cluster = engine.cluster
    if via_node is not None:
        return via_node, f"via {via_node}"
    node = cluster.node_by_ip.get(dst)
    if node is not None:
        return node.name, ""
    lb = _lb_service(engine, dst, port, protocol)
    if lb is not None:
        return _lb_pick(engine, lb[0], lb[1], seed, str(ext))
    host = next((h for h in cluster.config.external_hosts if h.ip == ext), None)
    if host is not None:
        for r in sorted(host.routes, key=lambda r: -r.dst.prefixlen):
            if dst in r.dst:
                target = cluster.node_by_ip.get(r.via)
                if target is not None:
                    return target.name, f"route {r.dst} via {r.via}"
    return None, ""


def _resolve_name(engine: Engine, w: _Walker, src_pod: Pod | None, src_node: str | None,
                  ext_ip: IPv4Address | None, name: str, seed: int | None,
                  trace: Trace) -> tuple[IPv4Address, list[Hop]] | None:
    """DNS-12 from the client's point of view; the query itself walks the network (DNS-11)."""
    from clusterlab.sim import resolver

    cluster = engine.cluster
    coredns = engine.dns
    if src_pod is None:
        answer = coredns.upstream.answer(name.rstrip(".") + ".", "A")
        ips = answer.values("A")
        if not ips:
            who = f"node {src_node}" if src_node else f"external host {ext_ip}"
            trace.verdict = "dropped"
            trace.reason = (f"{name!r} does not resolve for {who}: its resolver is not the "
                            f"cluster DNS ({answer.rcode})")
            return None
        return IPv4Address(ips[0]), []
    conf = resolver.resolv_conf(cluster, src_pod)
    server = conf.server
    res = resolver.resolve(cluster, coredns, src_pod, name, "A")
    hops: list[Hop] = []
    qsize = 20 + 8 + 12 + len(name) + 2 + 4
    server_ip = _ip(server)
    if coredns.serves(server) and server_ip is not None:
        sub, q = _walk_dns_query(engine, src_pod, server_ip, seed, qsize)
        first = res.tried[0] if res.tried else name
        if sub.verdict != "delivered":
            hops = list(sub.hops)
            if hops:
                hops[0] = replace(hops[0], action="dns-query",
                                  rule=f"nameserver {server} (resolv.conf)",
                                  explain=f"{src_pod.key} asks {server} for {first} (A)")
            trace.hops = _renumber(hops)
            trace.verdict = sub.verdict or "dropped"
            kind = "refused" if sub.verdict == "rejected" else "timed out"
            trace.reason = f"DNS query for {first} to {server}:53 {kind}: {sub.reason}"
            if cluster.config.faults.coredns_scaled_to_zero:
                trace.reason += " (fault: CoreDNS is scaled to zero)"
            trace.policies = sub.policies
            trace.dns = resolver.dns_unreachable_result(
                "refused" if sub.verdict == "rejected" else "timeout", name=name,
                server=server, tried=(first,)).to_dict()
            return None
        assert q is not None and sub.delivered_pkt is not None
        served_by = sub.delivered_to or server
        query_place = _Walker.p_pod(src_pod)
        hops.append(Hop(1, query_place, "dns-query", None, q,
                        f"nameserver {server}; search {' '.join(conf.search)}; "
                        f"options {' '.join(conf.options)}",
                        f"{src_pod.key} resolves {name!r}: queries "
                        f"{', '.join(res.tried)} (A) to {server}:53/UDP; kube-proxy sends the "
                        f"query to {served_by}"))
    else:
        query_place = _Walker.p_pod(src_pod)
        q = _flow_packet(str(src_pod.ip), server, "UDP", DNS_PORT, seed, qsize)
        hops.append(Hop(1, query_place, "dns-query", None, q, f"nameserver {server}",
                        f"{src_pod.key} resolves {name!r} with its nameserver {server} "
                        f"(dnsPolicy {src_pod.dns_policy})"))
        served_by = server
    trace.dns = res.to_dict()
    answer = q.reversed() if q is not None else None
    if answer is not None:
        answer = replace(answer, size=answer.size + 16 * max(1, len(res.answers)))
    if not res.ok:
        hops.append(Hop(2, Place("dns", None, served_by), "dns-answer", answer, answer,
                        f"rcode {res.rcode}",
                        f"{name!r} does not resolve: {res.rcode} after trying "
                        f"{', '.join(res.tried)}"))
        trace.hops = _renumber(hops)
        trace.verdict = "dropped"
        trace.reason = (f"{name!r} does not resolve from {src_pod.key}: {res.rcode} (tried "
                        f"{', '.join(res.tried)})")
        return None
    ips = list(res.answers)
    pick = ips[_seeded_index(seed, len(ips), name)] if len(ips) > 1 else ips[0]
    record = res.response.answers if res.response is not None else ()
    rule = "; ".join(str(r) for r in record) or f"{res.tried[-1]} A {pick}"
    cname = f" (CNAME → {res.cname})" if res.cname else ""
    hops.append(Hop(2, Place("dns", None, served_by), "dns-answer", answer, answer, rule,
                    f"{res.tried[-1]}{cname} → {', '.join(ips)}; the client connects to {pick}"))
    return IPv4Address(pick), hops


def _walk_dns_query(engine: Engine, src_pod: Pod, server_ip: IPv4Address, seed: int | None,
                    qsize: int) -> tuple[_Walker, Packet]:
    """Send `src_pod`'s query to its cluster nameserver over the real path (DNS-11: kube-proxy,
    NetworkPolicy on UDP 53, faults); the walker's verdict says whether it got there."""
    server = str(server_ip)
    sub = _Walker(engine, "UDP", seed, False, None)
    sub.src_pod = src_pod
    try:
        if not src_pod.host_network:
            q = _flow_packet(str(src_pod.ip), server, "UDP", DNS_PORT, seed, qsize)
            sub.from_pod(src_pod, q)
        else:
            node = src_pod.node_name or ""
            route = engine.dataplane.lookup(node, server_ip)
            src_ip = engine.dataplane.source_for(node, route) if route else \
                engine.dataplane.node_ip(node)
            q = _flow_packet(str(src_ip), server, "UDP", DNS_PORT, seed, qsize)
            sub.from_host(node, q, f"host-network pod {src_pod.key}")
    except _Stop:
        pass
    return sub, q


def dns_server_unreachable(engine: Engine, pod: Pod, seed: int | None = None
                           ) -> tuple[str, str] | None:
    """Whether `pod`'s query reaches the cluster DNS it is configured with (DNS-11/DNS-12):
    None when it does (or the pod does not use the cluster DNS), else ("timeout" | "refused",
    why) — a dropped query times out, a kube-proxy REJECT is refused."""
    from clusterlab.sim import resolver

    cache = _DNS_PATH.get(engine)
    if cache is None or len(cache) >= _DNS_PATH_MAX:  # bounded: seeds come from clients
        cache = _DNS_PATH[engine] = {}
    key = (pod.key, seed)
    if key in cache:  # one walk per pod and seed for the snapshot, not one per question
        return cache[key]
    server = resolver.resolv_conf(engine.cluster, pod).server
    server_ip = _ip(server)
    got: tuple[str, str] | None = None
    if server_ip is not None and engine.dns.serves(server):
        sub, _ = _walk_dns_query(engine, pod, server_ip, seed, 64)
        if sub.verdict != "delivered":
            got = ("refused" if sub.verdict == "rejected" else "timeout"), sub.reason
    cache[key] = got
    return got


_DNS_PATH_MAX = 100_000
_DNS_PATH: WeakKeyDictionary[Engine, dict[tuple[str, int | None], tuple[str, str] | None]] = \
    WeakKeyDictionary()


def _renumber(hops: list[Hop], start: int = 1) -> list[Hop]:
    return [replace(h, seq=start + i) for i, h in enumerate(hops)]


def _reply(engine: Engine, fwd: _Walker, seq0: int) -> list[Hop]:
    """The server's answer back to the client, NAT undone by conntrack (SVC-17 step 6)."""
    pkt = fwd.delivered_pkt
    who = fwd.delivered_to or ""
    if pkt is None:
        return []
    w = _Walker(engine, fwd.protocol, fwd.seed, False, None, reply_of=fwd)
    w.seq0 = seq0
    rpkt = Packet(pkt.dst, pkt.src, pkt.proto, pkt.dport, pkt.sport, DEFAULT_TTL, pkt.size)
    try:
        server = engine.cluster.pod_by_key.get(who)
        if server is not None and not server.host_network:
            w.add(w.p_pod(server), "send", None, rpkt, "reply",
                  f"{server.key} answers {rpkt.dst}:{rpkt.dport}")
            w.from_pod(server, rpkt)
        elif who.startswith("node:") or (server is not None and server.host_network):
            node = who[len("node:"):] if who.startswith("node:") else server.node_name  # type: ignore[union-attr]
            w.add(w.p_host(node), "send", None, rpkt, "reply",
                  f"{node} answers {rpkt.dst}:{rpkt.dport}")
            w.host(node, rpkt, "local")
        else:
            ext = IPv4Address(who)
            w.add(w.p_ext(who), "send", None, rpkt, "reply", f"{who} answers {rpkt.dst}")
            target = engine.cluster.node_by_ip.get(_addr(rpkt.dst))
            entry = target.name if target is not None else None
            if entry is None:
                w.drop(w.p_ext(who), rpkt, "no route",
                       f"{who} cannot route the reply to {rpkt.dst}")
            out = w.underlay(None, entry, rpkt, src_ip=ext, src_place=w.p_ext(who))
            w.host(entry, out, "wire")
    except _Stop:
        pass
    # Cilium socket LB: the reverse translation happens in the client's socket
    for nat in fwd.nats:
        if nat.node is None and w.verdict == "delivered" and w.delivered_pkt is not None:
            last = w.delivered_pkt
            shown = _pk(last, src=nat.before.dst, sport=nat.before.dport)
            w.add(Place("pod", None, nat.where), "snat", last, shown,
                  f"cilium socket LB (recvmsg): {nat.after.dst}:{nat.after.dport} → "
                  f"{nat.before.dst}:{nat.before.dport}",
                  "the socket reports the Service address as the peer (reverse translation)")
    return w.hops


def trace_reply(trace: Trace) -> list[Hop]:
    """The reply path of a delivered trace (empty otherwise): `reply` hops with conntrack's
    reverse NAT, so the client sees the Service IP/port as its peer."""
    return list(trace.reply_hops)


# --------------------------------------------------------------------------- text views


def format_trace_table(trace: Trace) -> str:
    """The CLI `trace` command's table: seq, place, action, src → dst, rule."""
    rows = [("#", "PLACE", "ACTION", "PACKET", "RULE")]
    for h in trace.all_hops:
        pkt = h.packet_out or h.packet_in
        if pkt is not None:
            text = f"{pkt.src}:{pkt.sport} → {pkt.dst}:{pkt.dport} ttl={pkt.ttl}"
            if pkt.outer is not None:
                o = pkt.outer
                text += f" [{o.proto} {o.src} → {o.dst}" + (f":{o.dport}" if o.dport else "") \
                    + (f" vni {o.vni}" if o.vni is not None else "") + "]"
        else:
            text = ""
        place = f"{h.place.kind}:{h.place.label()}"
        rows.append((str(h.seq), place, h.action, text, h.rule))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    head = [f"verdict: {trace.verdict}", f"reason: {trace.reason}"]
    if trace.resolved_ip:
        head.append(f"resolved: {trace.resolved_ip}")
    if trace.backend:
        head.append(f"backend: {trace.backend}:{trace.backend_port} "
                    f"(source seen: {trace.source_ip_at_backend})")
    return "\n".join(head) + "\n\n" + "\n".join(line.rstrip() for line in lines) + "\n"


def node_view(engine: Engine, node_name: str, show: str) -> str:
    """A node's tables as its tools print them (see `netviews.node_view`)."""
    from clusterlab.sim import netviews

    return netviews.node_view(engine, node_name, show)
