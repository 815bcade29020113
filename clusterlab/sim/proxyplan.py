"""What kube-proxy programs on each node: the one data model behind decisions and node views.

kube-proxy's sync loop (pkg/proxy/iptables/proxier.go `syncProxyRules`) computes, per
Service port and per node, which endpoints the cluster-wide and node-local chains hold,
whether the Service has endpoints at all, and which capture rules exist. `ProxyPlan`
computes the same once per snapshot (lazily per node); `kubeproxy.KubeProxy.decide`
walks it for one packet and `iptables.py` / `ipvs.py` print it. Nothing is written twice.

Naming (SVC-7): chains are prefix + 16 characters of base32(sha256(svcPortName +
lower-case protocol)); endpoint chains hash svcPortName + protocol + "ip:port"
(`portProtoHash`, `servicePortEndpointChainName`).

kube-proxy stopped on a node (`faults.kube_proxy_stopped`, issue #4 "stale rules"): the
simulator has no history, so it models the stopped kube-proxy as having last synced
*before the injected node faults*: that node's rules use endpoints computed as if no
node were powered off or NotReady (it never heard of those changes), while Services,
pods and their own readiness are taken from the snapshot as they are. Traffic entering
through that node can therefore still be DNATed to pods on a dead node. Its health
check servers are down (see `kubeproxy.health_check`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network

from clusterlab.sim.endpoints import (
    Backend,
    EndpointIndex,
    categorize,
    categorize_local,
    has_any_usable,
    snapshot_memo,
)
from clusterlab.sim.model import Cluster, Faults, Service, ServicePort, parse_ip

LARGE_CLUSTER_ENDPOINTS = 1000  # proxier.go largeClusterEndpointsThreshold: comments dropped
MASQ_MARK = "0x4000"  # --iptables-masquerade-bit 14


# --------------------------------------------------------------------------- names


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = tuple(a + b for a in _B32 for b in _B32)  # 10 bits → two characters


def _b32_16(digest: bytes) -> str:
    """First 16 characters of base32.StdEncoding(digest) (= the first 10 bytes, no padding);
    `base64.b32encode` is pure Python and needlessly encodes all 32 bytes."""
    n = int.from_bytes(digest[:10], "big")
    p = _B32_PAIRS
    return (p[n >> 70] + p[(n >> 60) & 1023] + p[(n >> 50) & 1023] + p[(n >> 40) & 1023]
            + p[(n >> 30) & 1023] + p[(n >> 20) & 1023] + p[(n >> 10) & 1023] + p[n & 1023])


@lru_cache(maxsize=65536)
def port_proto_hash(svc_port_name: str, protocol: str) -> str:
    """`portProtoHash`: base32(sha256(svcPortName + protocol))[:16]; protocol lower-case."""
    return _b32_16(hashlib.sha256((svc_port_name + protocol).encode()).digest())


def svc_chain(svc_port_name: str, protocol: str) -> str:
    return "KUBE-SVC-" + port_proto_hash(svc_port_name, protocol)


def svl_chain(svc_port_name: str, protocol: str) -> str:
    return "KUBE-SVL-" + port_proto_hash(svc_port_name, protocol)


def ext_chain(svc_port_name: str, protocol: str) -> str:
    return "KUBE-EXT-" + port_proto_hash(svc_port_name, protocol)


def fw_chain(svc_port_name: str, protocol: str) -> str:
    return "KUBE-FW-" + port_proto_hash(svc_port_name, protocol)


@lru_cache(maxsize=262144)
def sep_chain(svc_port_name: str, protocol: str, endpoint: str) -> str:
    """`servicePortEndpointChainName`: sha256(svcPortName + protocol + "ip:port")."""
    return "KUBE-SEP-" + _b32_16(
        hashlib.sha256((svc_port_name + protocol + endpoint).encode()).digest())


@lru_cache(maxsize=4096)
def iptables_probability(n: int) -> str:
    """The `--probability` of the first of n remaining endpoints as `iptables-save` prints it.

    kube-proxy writes `%0.10f` of 1/n (`computeProbability`); libxt_statistic stores
    lround(p · 2³¹) and prints the stored value / 2³¹ with 11 decimals (SVC-7):
    1/2 → 0.50000000000, 1/3 → 0.33333333349, 1/5 → 0.20000000019.
    """
    written = float(f"{1.0 / n:0.10f}")
    stored = math.floor(written * 0x80000000 + 0.5)
    return f"{stored / 0x80000000:.11f}"


# --------------------------------------------------------------------------- plan


def proxied(service: Service) -> bool:
    """kube-proxy skips headless and ExternalName Services (`ShouldSkipService`, SVC-16)."""
    return (service.type != "ExternalName" and not service.headless
            and service.cluster_ip is not None)


def lb_vips(service: Service) -> tuple[IPv4Address, ...]:
    """LoadBalancer ingress IPs kube-proxy captures: IPs (not hostnames) when ipMode is VIP
    (SVC-12, serviceport.go `IsVIPMode`)."""
    if service.type != "LoadBalancer" or service.load_balancer_ip_mode != "VIP":
        return ()
    out = []
    for value in service.load_balancer_ingress:
        try:
            out.append(parse_ip(value))
        except ValueError:
            continue
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PortInfo:
    """Node-independent facts about one proxied Service port (`servicePortInfo`)."""

    service: Service
    port: ServicePort
    name: str  # svcPortName, e.g. "default/web:http"
    proto: str  # lower-case protocol, as in rules and hashes
    svc_chain: str
    svl_chain: str
    ext_chain: str
    fw_chain: str
    cluster_ip: IPv4Address
    external_ips: tuple[IPv4Address, ...]
    lb_vips: tuple[IPv4Address, ...]
    source_ranges: tuple[IPv4Network, ...]
    node_port: int  # 0 when none
    health_check_node_port: int  # 0 when none
    externally_accessible: bool
    itp_local: bool
    etp_local: bool
    affinity_timeout: int  # 0 when sessionAffinity is None
    endpoints: tuple[Backend, ...]  # all, sorted by "ip:port"
    cluster_endpoints: tuple[Backend, ...]  # usable cluster-wide ((), if never used)
    has_endpoints: bool  # `hasAnyEndpoints`

    @property
    def uses_cluster(self) -> bool:
        """`UsesClusterEndpoints`: ITP Cluster, or externally accessible (short-circuit)."""
        return not self.itp_local or self.externally_accessible

    @property
    def uses_local(self) -> bool:
        return self.itp_local or (self.etp_local and self.externally_accessible)

    def sep(self, backend: Backend) -> str:
        return sep_chain(self.name, self.proto, backend.endpoint)


def make_port_info(index: EndpointIndex, service: Service, port: ServicePort) -> PortInfo:
    name = service.port_name(port)
    proto = port.protocol.lower()
    accessible = bool(port.node_port) or bool(lb_vips(service)) or bool(service.external_ips)
    itp_local = service.internal_traffic_policy == "Local"
    endpoints = index.endpoints(service, port)
    uses_cluster = not itp_local or accessible
    hc_port = service.health_check_node_port or 0
    if not (service.type == "LoadBalancer" and service.external_traffic_policy == "Local"):
        hc_port = 0  # apiservice.NeedsHealthCheck
    return PortInfo(
        service=service, port=port, name=name, proto=proto,
        svc_chain=svc_chain(name, proto), svl_chain=svl_chain(name, proto),
        ext_chain=ext_chain(name, proto), fw_chain=fw_chain(name, proto),
        cluster_ip=service.cluster_ip,  # type: ignore[arg-type]  # proxied() checked it
        external_ips=tuple(service.external_ips),
        lb_vips=lb_vips(service),
        source_ranges=tuple(service.load_balancer_source_ranges)
        if service.type == "LoadBalancer" else (),
        node_port=port.node_port or 0,
        health_check_node_port=hc_port,
        externally_accessible=accessible,
        itp_local=itp_local,
        etp_local=(service.is_external and service.external_traffic_policy == "Local"),
        affinity_timeout=service.session_affinity_timeout
        if service.session_affinity == "ClientIP" else 0,
        endpoints=endpoints,
        cluster_endpoints=categorize(endpoints) if uses_cluster else (),
        has_endpoints=has_any_usable(endpoints),
    )


@dataclass(frozen=True, slots=True)
class NodePortPlan:
    """One Service port as programmed on one node (the locals of `syncProxyRules`)."""

    info: PortInfo
    node: str
    local_endpoints: tuple[Backend, ...]

    @property
    def has_internal(self) -> bool:
        if not self.info.has_endpoints:
            return False
        return bool(self.local_endpoints) if self.info.itp_local else True

    @property
    def has_external(self) -> bool:
        if not self.info.has_endpoints:
            return False
        return bool(self.local_endpoints) if self.info.etp_local else True

    @property
    def internal_chain(self) -> str:
        return self.info.svl_chain if self.info.itp_local else self.info.svc_chain

    @property
    def external_policy_chain(self) -> str:
        return self.info.svl_chain if self.info.etp_local else self.info.svc_chain

    @property
    def uses_cluster_chain(self) -> bool:
        return bool(self.info.cluster_endpoints) and self.info.uses_cluster

    @property
    def uses_local_chain(self) -> bool:
        return bool(self.local_endpoints) and self.info.uses_local

    @property
    def uses_ext_chain(self) -> bool:
        return self.info.has_endpoints and self.info.externally_accessible

    @property
    def uses_fw_chain(self) -> bool:
        return self.info.has_endpoints and bool(self.info.lb_vips) and bool(
            self.info.source_ranges)

    def policy_endpoints(self, chain: str) -> tuple[Backend, ...]:
        """The endpoints behind KUBE-SVC (cluster) or KUBE-SVL (local)."""
        return self.local_endpoints if chain == self.info.svl_chain else (
            self.info.cluster_endpoints)

    def reachable(self) -> tuple[Backend, ...]:
        """`allLocallyReachableEndpoints`: every endpoint that gets a KUBE-SEP chain here."""
        chosen: dict[str, Backend] = {}
        if self.uses_cluster_chain:
            chosen.update((b.endpoint, b) for b in self.info.cluster_endpoints)
        if self.uses_local_chain:
            chosen.update((b.endpoint, b) for b in self.local_endpoints)
        return tuple(chosen[k] for k in sorted(chosen))


def _fault_free(cluster: Cluster) -> Cluster:
    """The cluster as a kube-proxy that stopped before the node faults last saw it."""
    faults = cluster.config.faults
    nodes = tuple(n if n.ready else replace(n, ready=True) for n in cluster.nodes)
    config = replace(cluster.config, faults=replace(faults, nodes_down=frozenset()))
    if nodes == cluster.nodes and faults.nodes_down == Faults().nodes_down:
        return cluster
    return replace(cluster, config=config, nodes=nodes)


class ProxyPlan:
    """All proxied Service ports and, lazily, what each node programs for them."""

    __slots__ = ("_infos", "_node_plans", "_stale_index", "_stale_infos", "_total",
                 "cluster", "index", "views")

    def __init__(self, cluster: Cluster, index: EndpointIndex):
        self.cluster = cluster
        self.index = index
        self._infos: dict[tuple[str, str, str], PortInfo] = {}
        self._stale_infos: dict[tuple[str, str, str], PortInfo] = {}
        self._stale_index: EndpointIndex | None = None
        self._node_plans: dict[tuple[str, tuple[str, str, str]], NodePortPlan] = {}
        self._total: int | None = None
        self.views: dict[object, object] = {}  # rendered rule fragments (iptables.py, ipvs.py)
        for svc in cluster.services:
            if proxied(svc):
                for port in svc.ports:
                    key = (svc.key, port.name, port.protocol)
                    self._infos[key] = make_port_info(index, svc, port)

    @classmethod
    def build(cls, cluster: Cluster, index: EndpointIndex | None = None) -> ProxyPlan:
        return cls(cluster, index or EndpointIndex.for_cluster(cluster))

    @classmethod
    def for_cluster(cls, cluster: Cluster) -> ProxyPlan:
        """One plan per snapshot object, shared by every caller (kept while it lives)."""
        return snapshot_memo(cluster, "proxy-plan", cls.build)

    def stale(self, node: str) -> bool:
        return node in self.cluster.config.faults.kube_proxy_stopped

    def infos(self, node: str | None = None) -> list[PortInfo]:
        """Every proxied port, ordered by svcPortName then protocol (a stable rule order)."""
        stale = node is not None and self.stale(node)
        key = ("sorted-infos", stale)
        got = self.views.get(key)
        if got is None:
            table = self._stale_table() if stale else self._infos
            got = self.views[key] = sorted(table.values(), key=lambda i: (i.name, i.proto))
        return list(got)  # type: ignore[call-overload]

    def info(self, service: Service, port: ServicePort, node: str | None = None) -> PortInfo:
        key = (service.key, port.name, port.protocol)
        table = self._stale_table() if node is not None and self.stale(node) else self._infos
        got = table.get(key)
        if got is None:  # a Service that is not part of the snapshot
            idx = self._stale_index if table is self._stale_infos else self.index
            got = make_port_info(idx or self.index, service, port)
        return got

    def _stale_table(self) -> dict[tuple[str, str, str], PortInfo]:
        if self._stale_index is None:
            clean = _fault_free(self.cluster)
            self._stale_index = self.index if clean is self.cluster else EndpointIndex.build(
                clean)
            for key, info in self._infos.items():
                self._stale_infos[key] = make_port_info(self._stale_index, info.service,
                                                        info.port)
        return self._stale_infos

    def node_plan(self, info: PortInfo, node: str) -> NodePortPlan:
        key = (node, (info.service.key, info.port.name, info.port.protocol))
        got = self._node_plans.get(key)
        if got is None or got.info is not info:
            local = categorize_local(info.endpoints, node) if info.uses_local else ()
            got = self._node_plans[key] = NodePortPlan(info, node, local)
        return got

    @property
    def large_cluster(self) -> bool:
        """`largeClusterMode`: more than 1000 endpoints in all → no per-endpoint comments."""
        if self._total is None:
            self._total = sum(len(i.endpoints) for i in self._infos.values())
        return self._total > LARGE_CLUSTER_ENDPOINTS

