"""kube-proxy: which Service a packet hits, and what the node does with it (SVC-6 … SVC-17).

`KubeProxy.build(cluster)` once per snapshot; then per packet:

* `lookup(dst_ip, dst_port, protocol, receiving_node)` — is this a Service packet on that
  node? ClusterIP:port, nodeIP:nodePort (and 127.0.0.1:nodePort in iptables mode,
  SVC-3), LoadBalancer ingress IPs with ipMode VIP (SVC-12) and externalIPs (SVC-16).
  A ClusterIP on a port the Service does not define is reported as kind
  `cluster-ip-unknown-port` (SVC-11).
* `decide(match, client_ip, client_kind, receiving_node, flow, seed, affinity, rr)` —
  SVC-17 step by step on node R: endpoints after the traffic policies, REJECT/DROP with
  the filter rule that decided, the chosen endpoint, masquerade marks M1–M4 with the rule
  that set them, the DNAT target, and the exact `iptables-save` rules traversed (the
  same builders print `iptables_save_nat`, so trace and view agree).

Choice of endpoint (SVC-8, SVC-13), never from global randomness:

* iptables: uniform over the n endpoints (rule i matches with probability 1/(n−i));
  the simulator draws it as `blake2b(seed, node, svcPortName, 5-tuple) mod n`, so the
  same flow and seed always land on the same endpoint and many flows spread uniformly.
* IPVS `rr`: the kernel keeps, per virtual server and node, a pointer to the last real
  server used. The simulator keeps that as a connection counter in the caller's `rr`
  mapping, keyed `(node, "TCP 10.96.0.1:443")`: connection k goes to real server
  k mod n (real servers in "ip:port" order). Without an `rr` mapping the flow hash is
  used, like iptables mode.
* sessionAffinity ClientIP: the caller's `affinity` mapping plays the kernel's `recent`
  lists (iptables) / persistence templates (IPVS): per node, keyed by the client IP as
  seen on that node; an entry is used while its endpoint is still a candidate. Time is
  not simulated, so entries do not expire (the timeout only shows in the rules).

kube-proxy stopped on a node: see `proxyplan` (stale rules = last sync before the node
faults) and `health_check` (nothing answers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from clusterlab.sim import iptables as ipt
from clusterlab.sim.endpoints import Backend, EndpointIndex, snapshot_memo
from clusterlab.sim.ipvs import VirtualServer, ipvsadm_ln, virtual_servers
from clusterlab.sim.model import Cluster, Node, Service, ServicePort, parse_ip
from clusterlab.sim.proxyplan import NodePortPlan, ProxyPlan, proxied

__all__ = [
    "KubeProxy",
    "ServiceDecision",
    "ServiceMatch",
    "health_check",
    "iptables_save_filter",
    "iptables_save_nat",
    "ipvsadm_ln",
]

iptables_save_nat = ipt.iptables_save_nat
iptables_save_filter = ipt.iptables_save_filter

CLIENT_KINDS = ("pod", "host", "external")
LOOPBACK = IPv4Network("127.0.0.0/8")

# IPVS-mode helper rules (ipvs/proxier.go); shown as the deciding rule in IPVS decisions.
IPVS_FILTER_REJECT = ("-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW "
                      "-m set --match-set KUBE-IPVS-IPS dst -j REJECT "
                      "--reject-with icmp-port-unreachable")
IPVS_MASQ_CLUSTER_IP = ('-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip '
                        '+ port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP '
                        "dst,dst ! -s {cidr} -j KUBE-MARK-MASQ")
IPVS_MASQ_NODE_PORT = ('-A KUBE-NODE-PORT -p {proto} -m comment --comment "Kubernetes nodeport '
                       '{PROTO} port for masquerade purpose" -m set --match-set '
                       "KUBE-NODE-PORT-{PROTO} dst -j KUBE-MARK-MASQ")
IPVS_MASQ_LOAD_BALANCER = "-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ"
IPVS_MASQ_EXTERNAL_IP = ('-A KUBE-SERVICES -m comment --comment "Kubernetes service external ip '
                         '+ port for masquerade and filter purpose" -m set --match-set '
                         "KUBE-EXTERNAL-IP dst,dst -j KUBE-MARK-MASQ")
IPVS_LB_SOURCE_JUMP = ('-A KUBE-PROXY-FIREWALL -m comment --comment "Kubernetes service load '
                       'balancer ip + port for load balancer with sourceRange" -m set '
                       "--match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL")
IPVS_LB_SOURCE_DROP = "-A KUBE-SOURCE-RANGES-FIREWALL -j DROP"
IPVS_HAIRPIN = ('-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, '
                'source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK '
                "dst,dst,src -j MASQUERADE")


@dataclass(frozen=True, slots=True)
class ServiceMatch:
    """A packet kube-proxy on `receiving_node` captures (or a ClusterIP it does not)."""

    service: Service
    port: ServicePort | None  # None: the ClusterIP on a port the Service does not define
    kind: str  # cluster-ip | node-port | load-balancer | external-ip | cluster-ip-unknown-port
    dst_ip: IPv4Address
    dst_port: int
    protocol: str
    receiving_node: str | None

    @property
    def svc_port_name(self) -> str:
        return self.service.port_name(self.port) if self.port else self.service.key


@dataclass(frozen=True, slots=True)
class ServiceDecision:
    """What kube-proxy's rules on one node did with the first packet of a connection."""

    verdict: str  # dnat | reject | drop | unmatched (no rule: routed on as ordinary traffic)
    reason: str
    mode: str  # iptables | ipvs
    service: str
    svc_port_name: str
    match_kind: str
    node: str | None
    candidates: tuple[str, ...] = ()  # "ns/pod:port" (or "ip:port") kube-proxy could pick
    candidate_backends: tuple[Backend, ...] = ()
    backend: Backend | None = None
    dnat: str | None = None  # "ip:port"
    marks: tuple[tuple[str, str], ...] = ()  # (M1..M4, the rule that set 0x4000)
    hairpin: bool = False
    affinity_hit: bool = False
    rule: str = ""  # the deciding rule in short, e.g. "KUBE-SVC-… → KUBE-SEP-… (probability …)"
    steps: tuple[str, ...] = ()  # nat rules that matched, in order (iptables-save text)
    filter_steps: tuple[str, ...] = ()  # filter rules that matched (reject/drop)
    stale_rules: bool = False  # kube-proxy is stopped on this node

    @property
    def masquerade(self) -> bool:
        return bool(self.marks)

    def to_dict(self) -> dict[str, Any]:
        b = self.backend
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "mode": self.mode,
            "service": self.service,
            "svc_port_name": self.svc_port_name,
            "match": self.match_kind,
            "node": self.node,
            "candidates": list(self.candidates),
            "backend": (b.pod_key or b.endpoint) if b else None,
            "backend_ip": str(b.ip) if b else None,
            "backend_port": b.port if b else None,
            "dnat": self.dnat,
            "masquerade": self.masquerade,
            "marks": [{"mark": m, "rule": r} for m, r in self.marks],
            "hairpin": self.hairpin,
            "affinity_hit": self.affinity_hit,
            "rule": self.rule,
            "steps": list(self.steps),
            "filter_steps": list(self.filter_steps),
            "stale_rules": self.stale_rules,
        }


def _flow_hash(seed: int | None, node: str | None, name: str, flow: tuple) -> int:  # type: ignore[type-arg]
    text = f"{seed or 0}|{node}|{name}|" + "|".join(str(x) for x in flow)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _ip(value: IPv4Address | str) -> IPv4Address:
    return value if isinstance(value, IPv4Address) else _parse(value)


@lru_cache(maxsize=1 << 16)
def _parse(value: str) -> IPv4Address:
    return parse_ip(value)


def _short(step: str) -> str:
    """`-A KUBE-SVC-X … -j KUBE-SEP-Y` → `KUBE-SVC-X → KUBE-SEP-Y (probability p)`."""
    parts = step.split()
    text = f"{parts[1]} → {parts[parts.index('-j') + 1]}"
    if "--probability" in parts:
        text += f" (probability {parts[parts.index('--probability') + 1]})"
    elif "--rcheck" in parts:
        text += " (session affinity)"
    return text


class KubeProxy:
    """kube-proxy of every node for one snapshot (iptables or IPVS mode, SVC-6)."""

    def __init__(self, cluster: Cluster, endpoint_index: EndpointIndex | None = None):
        self.cluster = cluster
        self.index = endpoint_index or EndpointIndex.for_cluster(cluster)
        self.plan = (ProxyPlan.for_cluster(cluster) if endpoint_index is None
                     else ProxyPlan(cluster, self.index))
        self.mode = cluster.config.kube_proxy_mode
        self._cluster_ips: dict[IPv4Address, Service] = {}
        self._ports: dict[tuple[IPv4Address, int, str], tuple[Service, ServicePort, str]] = {}
        self._node_ports: dict[tuple[int, str], tuple[Service, ServicePort]] = {}
        self._proxy_lbs: dict[tuple[IPv4Address, int, str], tuple[Service, ServicePort]] = {}
        for svc in cluster.services:
            if not proxied(svc):
                continue
            self._cluster_ips[svc.cluster_ip] = svc  # type: ignore[index]
            vips = self.plan.info(svc, svc.ports[0]).lb_vips if svc.ports else ()
            for sp in svc.ports:
                proto = sp.protocol
                self._ports[(svc.cluster_ip, sp.port, proto)] = (svc, sp, "cluster-ip")  # type: ignore[index]
                for ip in svc.external_ips:
                    self._ports.setdefault((ip, sp.port, proto), (svc, sp, "external-ip"))
                for ip in vips:
                    self._ports.setdefault((ip, sp.port, proto), (svc, sp, "load-balancer"))
                if svc.type == "LoadBalancer" and svc.load_balancer_ip_mode != "VIP":
                    for value in svc.load_balancer_ingress:
                        try:
                            key = (parse_ip(value), sp.port, proto)
                        except ValueError:
                            continue
                        self._proxy_lbs[key] = (svc, sp)
                if sp.node_port:
                    self._node_ports[(sp.node_port, proto)] = (svc, sp)

    @classmethod
    def build(cls, cluster: Cluster, endpoint_index: EndpointIndex | None = None) -> KubeProxy:
        return cls(cluster, endpoint_index)

    @classmethod
    def for_cluster(cls, cluster: Cluster) -> KubeProxy:
        return snapshot_memo(cluster, "kube-proxy", cls)

    # ------------------------------------------------------------------ lookup

    def lookup(self, dst_ip: IPv4Address | str, dst_port: int, protocol: str,
               receiving_node: str | None = None) -> ServiceMatch | None:
        """The Service this packet hits on `receiving_node`, as KUBE-SERVICES would match it.

        NodePorts answer on the receiving node's InternalIP (if no node is given, the node
        owning the address) and, in iptables mode, on 127.0.0.1 (SVC-3). A ClusterIP on an
        undefined port (or an ICMP packet to it) gives kind `cluster-ip-unknown-port`.
        LoadBalancer IPs with ipMode Proxy are not captured (see `proxy_mode_load_balancer`).
        """
        dst = _ip(dst_ip)
        proto = protocol.upper()
        hit = self._ports.get((dst, dst_port, proto))
        if hit is not None:
            svc, sp, kind = hit
            return ServiceMatch(svc, sp, kind, dst, dst_port, proto, receiving_node)
        node = self._node_for_nodeport(dst, receiving_node)
        if node is not None:
            got = self._node_ports.get((dst_port, proto))
            if got is not None:
                return ServiceMatch(got[0], got[1], "node-port", dst, dst_port, proto, node.name)
        svc = self._cluster_ips.get(dst)
        if svc is not None:
            return ServiceMatch(svc, None, "cluster-ip-unknown-port", dst, dst_port, proto,
                                receiving_node)
        return None

    def _node_for_nodeport(self, dst: IPv4Address, receiving: str | None) -> Node | None:
        nodes = self.cluster.node_by_name
        if receiving is not None:
            node = nodes.get(receiving)
            if node is None:
                return None
            if dst == node.internal_ip or (dst in LOOPBACK and self.mode == "iptables"):
                return node
            return None
        return self.cluster.node_by_ip.get(dst)

    def proxy_mode_load_balancer(self, dst_ip: IPv4Address | str, dst_port: int,
                                 protocol: str) -> tuple[Service, ServicePort] | None:
        """A LoadBalancer ingress IP with ipMode Proxy: kube-proxy leaves it to the real LB."""
        return self._proxy_lbs.get((_ip(dst_ip), dst_port, protocol.upper()))

    # ------------------------------------------------------------------ decide

    def decide(self, match: ServiceMatch, client_ip: IPv4Address | str, client_kind: str,
               receiving_node: str | None,
               flow: tuple[Any, Any, Any, Any, Any] | None = None,
               seed: int | None = None,
               affinity: MutableMapping[tuple[str, ...], str] | None = None,
               rr: MutableMapping[tuple[str, str], int] | None = None) -> ServiceDecision:
        """SVC-17 for the first packet of a connection arriving at `receiving_node` (R).

        `client_ip` is the source as seen on R; `client_kind` is `pod` (a pod on R),
        `host` (a process in R's network namespace) or `external` (anything arriving from
        outside R, including pods and hosts of other nodes). `flow` is the 5-tuple
        (src_ip, sport, dst_ip, dport, proto) hashed with `seed` to pick an endpoint.
        """
        if client_kind not in CLIENT_KINDS:
            raise ValueError(f"client_kind must be one of {CLIENT_KINDS}, not {client_kind!r}")
        node = receiving_node or match.receiving_node
        src = _ip(client_ip)
        flow = flow or (src, 0, match.dst_ip, match.dst_port, match.protocol)
        ctx = _Ctx(self, match, src, client_kind, node, flow, seed, affinity, rr)
        if self.mode == "ipvs":
            return ctx.decide_ipvs()
        return ctx.decide_iptables()

    # ------------------------------------------------------------------ helpers

    def node_plan(self, service: Service, port: ServicePort, node: str) -> NodePortPlan:
        return self.plan.node_plan(self.plan.info(service, port, node), node)

    def health_check(self, service: Service | str, node: str | Node) -> dict[str, Any]:
        """`health_check` with this snapshot's indexes."""
        return health_check(self.cluster, service, node, plan=self.plan)


class _Ctx:
    """One decision in progress: collects steps and marks as the packet walks the chains."""

    def __init__(self, kp: KubeProxy, match: ServiceMatch, src: IPv4Address, kind: str,
                 node: str | None, flow: tuple, seed: int | None,  # type: ignore[type-arg]
                 affinity: MutableMapping[tuple[str, ...], str] | None,
                 rr: MutableMapping[tuple[str, str], int] | None):
        self.kp = kp
        self.m = match
        self.src = src
        self.kind = kind
        self.node = node
        self.flow = flow
        self.seed = seed
        self.affinity = affinity
        self.rr = rr
        self.cidr = kp.cluster.config.cluster_cidr
        self._cidr_int = (int(self.cidr.network_address), int(self.cidr.netmask))
        self.steps: list[str] = []
        self.filter_steps: list[str] = []
        self.marks: list[tuple[str, str]] = []
        self.stale = node is not None and kp.plan.stale(node)
        self.p: NodePortPlan | None = None
        if match.port is not None:
            self.p = kp.node_plan(match.service, match.port, node or "")

    # -------------------------------------------------------------- shared bits

    @property
    def src_in_cluster(self) -> bool:
        net, mask = self._cidr_int
        return int(self.src) & mask == net

    @property
    def src_local(self) -> bool:
        """`-m addrtype --src-type LOCAL` on R: a host process of R (or loopback)."""
        if self.src in LOOPBACK:
            return True
        node = self.kp.cluster.node_by_name.get(self.node or "")
        if node is not None and self.src == node.internal_ip:
            return True
        return self.kind == "host" and self.src not in self.kp.cluster.node_by_ip

    def _dst_local(self) -> bool:
        node = self.kp.cluster.node_by_name.get(self.node or "")
        return self.m.dst_ip in LOOPBACK or (node is not None and self.m.dst_ip == node.internal_ip)

    def result(self, verdict: str, reason: str, rule: str = "", **kw: Any) -> ServiceDecision:
        m = self.m
        return ServiceDecision(
            verdict=verdict, reason=reason, mode=self.kp.mode, service=m.service.key,
            svc_port_name=m.svc_port_name, match_kind=m.kind, node=self.node, rule=rule,
            steps=tuple(self.steps), filter_steps=tuple(self.filter_steps),
            marks=tuple(self.marks), stale_rules=self.stale, **kw)

    def _where(self) -> str:
        m = self.m
        return f"{m.dst_ip}:{m.dst_port}/{m.protocol}"

    def _stale_note(self) -> str:
        return (f" (kube-proxy is stopped on {self.node}: these are its stale rules)"
                if self.stale else "")

    # -------------------------------------------------------------- iptables

    def decide_iptables(self) -> ServiceDecision:
        m = self.m
        self.steps.append(ipt.NAT_JUMP_OUTPUT if self.kind == "host" else ipt.NAT_JUMP_PREROUTING)
        if self.p is None:
            ports = ", ".join(f"{sp.port}/{sp.protocol}" for sp in m.service.ports) or "none"
            return self.result(
                "unmatched",
                f"no kube-proxy rule matches {self._where()}: Service {m.service.key} "
                f"defines only {ports}. The packet is routed like any other to "
                f"{m.dst_ip}, an address no host owns, and is lost; the client times out "
                "(SVC-11).",
                rule="no rule in KUBE-SERVICES")
        p = self.p
        info = p.info
        if m.kind == "cluster-ip":
            if not p.has_internal:
                return self._filtered(ipt.filter_cluster_ip(p), "KUBE-SERVICES")
            self.steps.append(ipt.services_cluster_ip(p))
            chain = p.internal_chain
            if not self.src_in_cluster:
                rule = ipt.svc_masq(p, self.cidr)
                self.steps.append(rule)
                self.marks.append(("M1", rule))
            return self._choose_iptables(chain)
        # external destinations: NodePort, externalIP, LoadBalancer VIP
        if not info.has_endpoints:
            return self._external_reject()
        if m.kind == "node-port":
            self.steps.append(ipt.SERVICES_NODEPORTS)
            self.steps.append(ipt.nodeports(p))
        elif m.kind == "external-ip":
            self.steps.append(ipt.services_external_ip(p, m.dst_ip))
        else:
            self.steps.append(ipt.services_lb_ip(p, m.dst_ip))
            if p.uses_fw_chain:
                allowed = self._fw_allowed()
                if allowed is None:
                    return self._fw_drop()
                self.steps.append(allowed)
        if not info.etp_local:
            rule = ipt.ext_masq(p)
            self.steps.append(rule)
            self.marks.append(("M3", rule))
            self.steps.append(ipt.ext_policy(p))
            return self._choose_iptables(info.svc_chain)
        if self.src_in_cluster:
            self.steps.append(ipt.ext_pod(p, self.cidr))
            return self._choose_iptables(info.svc_chain)
        if self.src_local:
            rule = ipt.ext_local_masq(p)
            self.steps.append(rule)
            self.marks.append(("M4", rule))
            self.steps.append(ipt.ext_local_route(p))
            return self._choose_iptables(info.svc_chain)
        if not p.has_external:
            target = (ipt.filter_nodeport(p) if m.kind == "node-port"
                      else ipt.filter_external_ip(p, m.dst_ip))
            return self._filtered(target, "KUBE-EXTERNAL-SERVICES")
        self.steps.append(ipt.ext_policy(p))
        return self._choose_iptables(info.svl_chain)

    def _filter_entry(self, target_chain: str) -> str | None:
        """The built-in filter chain the packet crosses: INPUT (for R), FORWARD or OUTPUT."""
        if self.kind == "host":
            chain_in = "OUTPUT"
        elif self._dst_local():
            chain_in = "INPUT"
        else:
            chain_in = "FORWARD"
        try:
            return ipt.filter_jump(chain_in, target_chain)
        except KeyError:
            return None

    def _filtered(self, rule: str, target_chain: str) -> ServiceDecision:
        """REJECT or DROP by kube-proxy's filter rules (SVC-10, SVC-11)."""
        assert self.p is not None
        entry = self._filter_entry(target_chain)
        drop = rule.endswith("-j DROP")
        name = self.p.info.name
        if entry is None:
            return self._host_no_rule()
        self.filter_steps += [entry, rule]
        if not drop:
            reason = (f"{name} has no ready endpoints: kube-proxy rejects "
                      f"{self._where()} with ICMP port unreachable, the client sees "
                      "'Connection refused' at once (SVC-11)")
        elif self.m.kind == "cluster-ip":
            reason = (f"{name} has internalTrafficPolicy Local and no ready endpoint on "
                      f"{self.node}: the packet is dropped and the client times out (SVC-10)")
        else:
            reason = (f"{name} has externalTrafficPolicy Local and no ready endpoint on "
                      f"{self.node}: external traffic is dropped there and the client times "
                      "out (SVC-10)")
        return self.result("drop" if drop else "reject", reason + self._stale_note(),
                           rule=rule, candidates=())

    def _host_no_rule(self) -> ServiceDecision:
        """A host process of R hitting a capture that only INPUT/FORWARD filter."""
        m = self.m
        if m.kind == "node-port":
            answer = "TCP RST" if m.protocol == "TCP" else "ICMP port unreachable"
            return self.result(
                "reject",
                f"{self.p.info.name if self.p else m.service.key} has no endpoints: no rule "
                f"captures {self._where()} from the node itself and nothing listens on port "
                f"{m.dst_port}, so {self.node}'s kernel answers with {answer} "
                "('Connection refused')",
                rule="no listener on the node port")
        return self.result(
            "unmatched",
            f"no kube-proxy rule captures {self._where()} from {self.node} itself; the "
            "packet leaves the node towards that address",
            rule="no rule in OUTPUT")

    def _external_reject(self) -> ServiceDecision:
        assert self.p is not None
        p, m = self.p, self.m
        if m.kind == "node-port":
            rule = ipt.filter_nodeport(p)
        else:
            rule = ipt.filter_external_ip(p, m.dst_ip)
        return self._filtered(rule, "KUBE-EXTERNAL-SERVICES")

    def _fw_allowed(self) -> str | None:
        """KUBE-FW: the source-range rule that lets the packet on to KUBE-EXT, if any."""
        assert self.p is not None
        p = self.p
        for cidr in p.info.source_ranges:
            if self.src in cidr:
                return ipt.fw_allow(p, cidr)
        node = self.kp.cluster.node_by_name.get(self.node or "")
        if node is not None and any(node.internal_ip in c for c in p.info.source_ranges) \
                and self.src in p.info.lb_vips:
            return ipt.fw_allow(p, self.src)
        return None

    def _fw_drop(self) -> ServiceDecision:
        assert self.p is not None
        p = self.p
        self.steps.append(ipt.fw_end(p))
        rule = ipt.filter_firewall(p, self.m.dst_ip)
        entry = self._filter_entry("KUBE-PROXY-FIREWALL")
        if entry:
            self.filter_steps.append(entry)
        self.filter_steps.append(rule)
        ranges = ", ".join(str(c) for c in p.info.source_ranges)
        return self.result(
            "drop",
            f"{self.src} is not in loadBalancerSourceRanges ({ranges}) of "
            f"{p.info.service.key}: KUBE-FW leaves the packet un-DNATed and "
            "KUBE-PROXY-FIREWALL drops it; the client times out (SVC-12)" + self._stale_note(),
            rule=rule)

    def _choose_iptables(self, chain: str) -> ServiceDecision:
        assert self.p is not None
        p = self.p
        info = p.info
        eps = p.policy_endpoints(chain)
        large = self.kp.plan.large_cluster
        idx, hit = self._pick(eps, ("iptables", self.node or "", info.name, info.proto))
        ep = eps[idx]
        step = (ipt.svc_affinity(p, chain, ep, large) if hit
                else ipt.svc_to_sep(p, chain, eps, idx, large))
        self.steps.append(step)
        hairpin = ep.ip == self.src
        if hairpin:
            rule = ipt.sep_hairpin(p, ep, large)
            self.steps.append(rule)
            self.marks.append(("M2", rule))
        self.steps.append(ipt.sep_dnat(p, ep, large))
        return self._dnat(eps, ep, _short(step), hit, hairpin, chain)

    def _pick(self, eps: tuple[Backend, ...], scope: tuple[str, ...],
              vs_key: str | None = None) -> tuple[int, bool]:
        """(index, affinity hit): the remembered endpoint if still a candidate, else the
        flow hash (iptables) or the round-robin counter (IPVS)."""
        assert self.p is not None
        info = self.p.info
        key = (*scope, str(self.src))
        if info.affinity_timeout and self.affinity is not None:
            remembered = self.affinity.get(key)
            for i, b in enumerate(eps):
                if b.endpoint == remembered:
                    return i, True
        if vs_key is not None and self.rr is not None:
            counter_key = (self.node or "", vs_key)
            count = self.rr.get(counter_key, 0)
            self.rr[counter_key] = count + 1
            idx = count % len(eps)
        else:
            idx = _flow_hash(self.seed, self.node, info.name, self.flow) % len(eps)
        if info.affinity_timeout and self.affinity is not None:
            self.affinity[key] = eps[idx].endpoint
        return idx, False

    def _dnat(self, eps: tuple[Backend, ...], ep: Backend, rule: str, hit: bool,
              hairpin: bool, chain: str) -> ServiceDecision:
        info = self.p.info  # type: ignore[union-attr]
        where = "local " if chain == info.svl_chain else ""
        how = "session affinity" if hit else (
            "round robin" if self.kp.mode == "ipvs" else "random choice")
        reason = (f"{info.name}: {how} among {len(eps)} {where}endpoint"
                  f"{'s' if len(eps) != 1 else ''} picks {ep.label}; DNAT "
                  f"{self._where()} → {ep.endpoint}")
        if self.marks:
            reason += "; marked for masquerade (" + ", ".join(m for m, _ in self.marks) + ")"
        return self.result(
            "dnat", reason + self._stale_note(), rule=rule,
            candidates=tuple(b.label for b in eps), candidate_backends=eps, backend=ep,
            dnat=ep.endpoint, hairpin=hairpin, affinity_hit=hit)

    # -------------------------------------------------------------- ipvs

    def _virtual_server(self) -> VirtualServer | None:
        assert self.p is not None
        kind = self.m.kind
        for vs in virtual_servers(self.kp.plan, self.node or "", self.p):
            if vs.kind == kind and vs.address == self.m.dst_ip and vs.port == self.m.dst_port:
                return vs
        return None

    def decide_ipvs(self) -> ServiceDecision:
        m = self.m
        if self.p is None:
            self.filter_steps.append(IPVS_FILTER_REJECT)
            return self.result(
                "reject",
                f"{m.dst_ip} is an IPVS address on kube-ipvs0 but {m.service.key} has no "
                f"port {m.dst_port}/{m.protocol}: KUBE-IPVS-FILTER rejects the new connection "
                "(ICMP port unreachable, SVC-11)", rule=IPVS_FILTER_REJECT)
        p = self.p
        info = p.info
        vs = self._virtual_server()
        if vs is None:
            return self.result("unmatched", f"no IPVS virtual server for {self._where()}")
        self.steps.append(vs.line())
        if m.kind == "load-balancer" and info.source_ranges and not any(
                self.src in c for c in info.source_ranges):
            self.filter_steps += [IPVS_LB_SOURCE_JUMP, IPVS_LB_SOURCE_DROP]
            ranges = ", ".join(str(c) for c in info.source_ranges)
            return self.result(
                "drop",
                f"{self.src} is not in loadBalancerSourceRanges ({ranges}) of "
                f"{info.service.key}: it matches neither KUBE-LOAD-BALANCER-SOURCE-CIDR nor "
                "-SOURCE-IP, so KUBE-SOURCE-RANGES-FIREWALL drops it; the client times out "
                "(SVC-12)" + self._stale_note(), rule=IPVS_LB_SOURCE_DROP)
        if not vs.real_servers:
            return self.result(
                "reject",
                f"IPVS virtual server {vs.key} has no real servers ({info.name} has no ready "
                "endpoints): the kernel (ip_vs_leave) answers ICMP port unreachable, the "
                "client sees 'Connection refused'" + self._stale_note(),
                rule=f"IPVS {vs.key}: no destination")
        if m.kind == "cluster-ip":
            if not self.src_in_cluster:
                rule = IPVS_MASQ_CLUSTER_IP.format(cidr=self.cidr)
                self.marks.append(("M1", rule))
        elif not info.etp_local:
            if m.kind == "node-port":
                rule = IPVS_MASQ_NODE_PORT.format(proto=info.proto, PROTO=m.protocol)
            elif m.kind == "load-balancer":
                rule = IPVS_MASQ_LOAD_BALANCER
            else:
                rule = IPVS_MASQ_EXTERNAL_IP
            self.marks.append(("M3", rule))
        eps = vs.real_servers
        idx, hit = self._pick(eps, ("ipvs", self.node or "", vs.key), vs_key=vs.key)
        ep = eps[idx]
        self.steps.append(f"  -> {ep.endpoint} Masq (connection {'persistence' if hit else 'rr'})")
        hairpin = ep.ip == self.src
        if hairpin:
            self.marks.append(("M2", IPVS_HAIRPIN))
        local_only = (m.kind != "cluster-ip" and info.etp_local
                      and not self.src_in_cluster and not self.src_local)
        if local_only and not p.local_endpoints:
            return self.result(
                "drop",
                f"{info.name} has externalTrafficPolicy Local and no endpoint on {self.node}; "
                f"IPVS still forwards to {ep.label} on {ep.node_name} (kubernetes PR #97081) "
                f"without SNAT, so the pod answers {self.src} from its own address and the "
                "client discards the reply: it times out" + self._stale_note(),
                rule=f"IPVS {vs.key} → {ep.endpoint}",
                candidates=tuple(b.label for b in eps), candidate_backends=eps, backend=ep,
                dnat=ep.endpoint)
        return self._dnat(eps, ep, f"IPVS {vs.key} → {ep.endpoint}", hit, hairpin,
                          info.svc_chain)


# --------------------------------------------------------------------------- health check


def _health_body(service: Service, count: int, healthy: bool) -> str:
    """service_health.go `ServeHTTP`: a dedented, tab-indented JSON document."""
    return (
        "{\n"
        '\t"service": {\n'
        f"\t\t\"namespace\": {json.dumps(service.namespace)},\n"
        f"\t\t\"name\": {json.dumps(service.name)}\n"
        "\t},\n"
        f'\t"localEndpoints": {count},\n'
        f'\t"serviceProxyHealthy": {"true" if healthy else "false"}\n'
        "}"
    )


def local_ready_count(index: EndpointIndex, service: Service, node: str) -> int:
    """`EndpointsMap.LocalReadyEndpoints`: distinct IPs of ready endpoints on the node, over
    all ports of the Service (terminating endpoints do not count, so LBs drain them)."""
    ips = set()
    for port in service.ports:
        for b in index.endpoints(service, port):
            if b.ready and b.node_name == node:
                ips.add(b.ip)
    return len(ips)


def health_check(cluster: Cluster, service: Service | str, node: str | Node,
                 endpoints: EndpointIndex | None = None,
                 plan: ProxyPlan | None = None) -> dict[str, Any]:
    """What `GET http://<node>:<healthCheckNodePort>/` answers (SVC-10).

    200 with `X-Load-Balancing-Endpoint-Weight: N` when the node has N ≥ 1 ready local
    endpoints, 503 otherwise; the body is kube-proxy's JSON document, byte for byte. Only
    a LoadBalancer Service with externalTrafficPolicy Local has such a port. A powered-off
    node or a stopped kube-proxy answers nothing: `status` is None and `error` says what
    the load balancer sees (it counts as a failed check). `endpoints`/`plan` let a caller
    reuse the snapshot's indexes.
    """
    node_name = node.name if isinstance(node, Node) else node
    svc = cluster.service_by_key.get(service) if isinstance(service, str) else service
    if svc is None:
        return {"status": None, "error": f"service {service} not found"}
    if node_name not in cluster.node_by_name:
        return {"status": None, "error": f"node {node_name} not found"}
    port = svc.health_check_node_port
    if not (svc.type == "LoadBalancer" and svc.external_traffic_policy == "Local" and port):
        return {"status": None, "service": svc.key,
                "error": f"{svc.key} has no healthCheckNodePort: only type LoadBalancer with "
                         "externalTrafficPolicy Local gets one; load balancers probe "
                         "kube-proxy's :10256/healthz instead"}
    index = plan.index if plan is not None else (endpoints or EndpointIndex.for_cluster(cluster))
    faults = cluster.config.faults
    if node_name in faults.nodes_down:
        return {"status": None, "service": svc.key, "node": node_name, "port": port,
                "error": f"{node_name} is powered off: the health check times out"}
    if node_name in faults.kube_proxy_stopped:
        return {"status": None, "service": svc.key, "node": node_name, "port": port,
                "serviceProxyHealthy": False,
                "error": f"kube-proxy is stopped on {node_name}: nothing listens on port "
                         f"{port} (connection refused); its rules are stale"}
    count = local_ready_count(index, svc, node_name)
    return {
        "status": 200 if count else 503,
        "localEndpoints": count,
        "serviceProxyHealthy": True,
        "service": svc.key,
        "node": node_name,
        "port": port,
        "headers": {
            "Content-Type": "application/json",
            "X-Content-Type-Options": "nosniff",
            "X-Load-Balancing-Endpoint-Weight": str(count),
        },
        "body": _health_body(svc, count, True),
    }
