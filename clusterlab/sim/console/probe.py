"""What `ping` and `curl` inside a pod experience, read off `trace.trace_connect`.

`trace` walks TCP/UDP/SCTP only (its policy check and kube-proxy lookups take a port), so
ICMP echo is modelled here on top of it (KCTL-9, SVC-11, NET-3.1):

* **Path and TTL** — the echo request takes the same route as any packet to that address;
  the walk is done with a TCP probe on a copy of the snapshot *without NetworkPolicies*
  (so a port-based rule cannot decide it), sharing the engine's dataplane, kube-proxy and
  DNS. The TTL printed is the one the echo reply arrives with (the trace's reply path).
* **NetworkPolicy** — ICMP is not TCP, UDP or SCTP, so a rule listing ports never admits
  it; a rule without ports admits every protocol (Calico, Cilium, and the spec's "all
  traffic"). That is evaluated with `policy.PolicyIndex` on the policies with their
  port-listing rules removed (an isolating policy keeps isolating).
* **Service addresses** — kube-proxy's rules match TCP/UDP/SCTP ports only: in iptables
  mode an echo to a ClusterIP/LB/external IP matches nothing and is lost (100% loss);
  in IPVS mode the VIP is local on `kube-ipvs0` and `KUBE-IPVS-FILTER` rejects it →
  `Destination Port Unreachable` from the VIP (SVC-11). Cilium's kube-proxy replacement
  is treated like iptables mode (no reply; not verified).
* **ARP failures** — an address on the pod's own bridge segment that nobody has gives
  `Destination Host Unreachable` from the pod itself; one behind a node that nobody
  answers gives it from that node's address towards the pod.

DNS reachability (DNS-11) is checked the way `trace` does it: the UDP 53 query is walked
to the pod's nameserver with the real policies.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, replace
from ipaddress import IPv4Address

from clusterlab.sim import resolver
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import NetworkPolicy, Pod
from clusterlab.sim.policy import PolicyIndex
from clusterlab.sim.trace import Trace, trace_connect

PROBE_PORT = 7  # echo/tcp: a port no Service or NodePort rule is likely to match

_PATH_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_ICMP_POLICY: weakref.WeakKeyDictionary[Engine, PolicyIndex] = weakref.WeakKeyDictionary()


def path_engine(engine: Engine) -> Engine:
    """The same snapshot without NetworkPolicies, reusing the engine's built indexes."""
    got = _PATH_ENGINES.get(engine)
    if got is None:
        got = Engine(replace(engine.cluster, network_policies=()))
        for name in ("endpoints", "kubeproxy", "dns", "dataplane"):
            got.__dict__[name] = getattr(engine, name)
        _PATH_ENGINES[engine] = got
    return got


def _icmp_rules_only(np: NetworkPolicy) -> NetworkPolicy:
    return replace(np, ingress=tuple(r for r in np.ingress if not r.ports),
                   egress=tuple(r for r in np.egress if not r.ports))


def icmp_policy(engine: Engine) -> PolicyIndex:
    """Policies as they apply to ICMP: only rules without ports can admit it."""
    got = _ICMP_POLICY.get(engine)
    if got is None:
        cluster = replace(engine.cluster, network_policies=tuple(
            _icmp_rules_only(p) for p in engine.cluster.network_policies))
        got = _ICMP_POLICY[engine] = PolicyIndex.build(cluster)
    return got


def dns_unreachable(engine: Engine, pod: Pod) -> str | None:
    """None when the pod's first nameserver answers; else "timeout" (query dropped) or
    "refused" (REJECT → ICMP port unreachable), as `trace` decides it (DNS-11)."""
    conf = resolver.resolv_conf(engine.cluster, pod)
    server = conf.server
    if not engine.dns.serves(server):
        return None  # an upstream resolver outside the cluster: assumed reachable
    t = trace_connect(engine, pod.key, server, 53, "UDP")
    if t.verdict == "delivered":
        return None
    return "refused" if t.verdict == "rejected" else "timeout"


def resolve_name(engine: Engine, pod: Pod, name: str, qtype: str = "A",
                 client: str = resolver.GLIBC_CLIENT) -> resolver.Resolution:
    """Resolve as the pod's resolver would, with DNS reachability decided on the path."""
    why = dns_unreachable(engine, pod)
    conf = resolver.resolv_conf(engine.cluster, pod)
    if why is not None:
        first = (resolver.search_order(name, conf.search, conf.ndots) or [name])[0]
        return resolver.dns_unreachable_result(why, name=name, qtype=qtype, server=conf.server,
                                               tried=(first,), client=client)
    return resolver.resolve(engine.cluster, engine.dns, pod, name, qtype, client)


def reverse_name(engine: Engine, pod: Pod, ip: str) -> str | None:
    """The PTR name glibc's getnameinfo finds for `ip`, or None."""
    if dns_unreachable(engine, pod) is not None:
        return None
    res = resolver.resolve(engine.cluster, engine.dns, pod, ip, "PTR")
    return res.answers[0].rstrip(".") if res.ok else None


def is_ip_literal(text: str) -> bool:
    """An IPv4 address as typed (getaddrinfo then needs no DNS)."""
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- timing


def _jitter(seed: str, spread: int) -> int:
    h = int.from_bytes(hashlib.blake2s(seed.encode(), digest_size=4).digest(), "big")
    return h % (2 * spread + 1) - spread


def path_rtt_us(trace: Trace) -> int:
    """A plausible round trip in µs, from the walk: a fixed cost per hop, more for every
    crossing of the underlay (wire and routers) and for encapsulation."""
    us = 30
    for hop in trace.all_hops:
        us += 6
        if hop.action == "underlay":
            us += 120
        elif hop.action in ("encapsulate", "decapsulate"):
            us += 15
    return us


def rtt_sample(base_us: int, seed: str, seq: int) -> int:
    """Round trip of echo `seq`: the path's cost ± 12%, the first one a bit slower (ARP,
    route cache), deterministic."""
    us = base_us + _jitter(f"{seed}|{seq}", max(1, base_us * 12 // 100))
    if seq == 1:
        us += base_us // 4
    return max(us, 20)


# --------------------------------------------------------------------------- ICMP echo


@dataclass(frozen=True, slots=True)
class EchoOutcome:
    """How echo requests to one address fare: `reply` (with `ttl`), `none` (lost),
    `host-unreachable` / `port-unreachable` (ICMP error `From <error_from>`)."""

    kind: str
    ttl: int = 0
    rtt_us: int = 0
    error_from: str = ""
    reason: str = ""
    reply_from: str = ""  # when the answer comes from another address (0.0.0.0 → 127.0.0.1)


def _last_packet_ttl(hops: list) -> int | None:  # type: ignore[type-arg]
    for hop in reversed(hops):
        pkt = hop.packet_out or hop.packet_in
        if pkt is not None:
            return int(pkt.ttl)
    return None


def _service_vips(engine: Engine) -> dict[str, str]:
    """Addresses kube-proxy answers for (ClusterIPs, external IPs, VIP-mode LB IPs)."""
    out: dict[str, str] = {}
    for svc in engine.cluster.services:
        if svc.cluster_ip is not None:
            out[str(svc.cluster_ip)] = svc.key
        for ip in svc.external_ips:
            out.setdefault(str(ip), svc.key)
        if svc.load_balancer_ip_mode == "VIP":
            for ip in svc.load_balancer_ingress:
                out.setdefault(ip, svc.key)
    return out


def echo(engine: Engine, pod: Pod, ip: str) -> EchoOutcome:
    """ICMP echo from `pod` to `ip` (see the module docstring)."""
    cluster = engine.cluster
    addr = IPv4Address(ip)
    if (pod.ip is not None and addr == pod.ip) or addr.is_loopback:
        return EchoOutcome("reply", 64, 25, reason="the pod's own address")
    if addr.is_unspecified:  # Linux sends a packet to 0.0.0.0 to the local host
        return EchoOutcome("reply", 64, 25, reply_from="127.0.0.1", reason="0.0.0.0 is this host")
    vips = _service_vips(engine)
    if ip in vips and addr not in cluster.node_by_ip:
        cfg = cluster.config
        if cfg.kube_proxy_mode == "ipvs" and not cfg.kube_proxy_replacement:
            return EchoOutcome("port-unreachable", error_from=ip, rtt_us=60, reason=(
                f"{ip} ({vips[ip]}) is bound to kube-ipvs0; KUBE-IPVS-FILTER rejects ICMP "
                "to a VIP (SVC-11)"))
        return EchoOutcome("none", reason=(
            f"{ip} is a virtual address of {vips[ip]}: kube-proxy's rules match TCP/UDP/SCTP "
            "ports only, so the echo request is routed like any packet and lost (SVC-11)"))

    t = trace_connect(path_engine(engine), pod.key, ip, PROBE_PORT, "TCP")
    last = t.hops[-1] if t.hops else None
    if t.verdict == "dropped" and last is not None:
        src_ip = str(pod.ip)
        if last.rule.startswith("ARP who-has") or last.rule == "no such pod":
            return EchoOutcome("host-unreachable", error_from=src_ip, rtt_us=path_rtt_us(t),
                               reason=t.reason)
        if "nothing answers ARP" in last.explain and last.place.node:
            node = last.place.node
            dp = engine.dataplane
            route = dp.lookup(node, IPv4Address(src_ip))
            frm = dp.source_for(node, route) if route is not None else dp.node_ip(node)
            return EchoOutcome("host-unreachable", error_from=str(frm), rtt_us=path_rtt_us(t),
                               reason=t.reason)
        return EchoOutcome("none", reason=t.reason)
    answered = t.verdict == "delivered" or (
        t.verdict == "rejected" and last is not None and last.place.kind == "external"
        and last.rule.startswith("nothing listens"))  # a host answers ping on any port
    if not answered:
        return EchoOutcome("none", reason=t.reason)
    dst = cluster.pod_by_ip.get(addr)
    verdict = icmp_policy(engine).verdict(pod, dst if dst is not None else addr, 1, "TCP")
    if not verdict.allowed and verdict.enforced:
        return EchoOutcome("none", reason=f"NetworkPolicy (ICMP): {verdict.reason}")
    ttl = _last_packet_ttl(t.reply_hops) or _last_packet_ttl(t.hops) or 64
    return EchoOutcome("reply", ttl, path_rtt_us(t), reason=t.reason)
