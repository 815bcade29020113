"""IPVS mode (SVC-13): the virtual servers kube-proxy creates on a node and `ipvsadm -Ln`.

Derived from the same `ProxyPlan` as the iptables view. Per Service port the IPVS proxier
creates a virtual server for the ClusterIP, each externalIP, each LoadBalancer VIP and
the NodePort on each node address; its real servers come from `CategorizeEndpoints`:
for a virtual server restricted to node-local endpoints (ETP Local for external ones,
ITP Local for the ClusterIP) the local endpoints, **or the cluster-wide ones when the
node has none** (ipvs/proxier.go `syncEndpoint`, kubernetes PR #97081 "allow access
from local pods even if no local endpoints exist").

Simplifications: NodePort virtual servers only on the node's InternalIP (kube-proxy adds
one per address found on the node's interfaces: cni0, flannel.1, … which belong to the
CNI module); scheduler `rr`, weight 1, forwarding `Masq`, connection counters 0; entries
sorted by address (ipvsadm prints its hash-table order) and real servers by "ip:port"
(the kernel keeps insertion order). Lines keep ipvsadm's printf padding, trailing spaces
included (`"  -> %-28s %-7s %-6d %-10u %-10u"`).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from operator import itemgetter

from clusterlab.sim.endpoints import Backend
from clusterlab.sim.model import Cluster
from clusterlab.sim.proxyplan import NodePortPlan, ProxyPlan

HEADER = (
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)
SCHEDULER = "rr"  # --ipvs-scheduler default


@dataclass(frozen=True, slots=True)
class VirtualServer:
    protocol: str  # TCP | UDP | SCTP
    address: IPv4Address
    port: int
    kind: str  # cluster-ip | external-ip | load-balancer | node-port
    plan: NodePortPlan
    real_servers: tuple[Backend, ...]

    @property
    def key(self) -> str:
        return f"{self.protocol} {self.address}:{self.port}"

    def line(self) -> str:
        text = f"{self.protocol}  {self.address}:{self.port} {SCHEDULER}"
        if self.plan.info.affinity_timeout:
            text += f" persistent {self.plan.info.affinity_timeout}"
        return text


def real_servers(p: NodePortPlan, only_local: bool) -> tuple[Backend, ...]:
    """`syncEndpoint(svcPortName, onlyNodeLocalEndpoints, vs)`."""
    if only_local and p.local_endpoints:
        return p.local_endpoints
    return p.info.cluster_endpoints


def virtual_servers(plan: ProxyPlan, node: str, p: NodePortPlan) -> list[VirtualServer]:
    info = p.info
    proto = info.port.protocol
    out = [VirtualServer(proto, info.cluster_ip, info.port.port, "cluster-ip", p,
                         real_servers(p, info.itp_local))]
    external = real_servers(p, info.etp_local)
    out += [VirtualServer(proto, ip, info.port.port, "external-ip", p, external)
            for ip in info.external_ips]
    out += [VirtualServer(proto, ip, info.port.port, "load-balancer", p, external)
            for ip in info.lb_vips]
    node_obj = plan.cluster.node_by_name.get(node)
    if info.node_port and node_obj is not None:
        out.append(VirtualServer(proto, node_obj.internal_ip, info.node_port, "node-port", p,
                                 external))
    return out


def _dest_line(b: Backend) -> str:
    return f"  -> {b.endpoint:<28} {'Masq':<7} {1:<6} {0:<10} {0:<10}\n"


Block = tuple[tuple[int, int, str], str]  # (sort key, rendered virtual server)


def _block(vs: VirtualServer) -> Block:
    text = vs.line() + "\n" + "".join(_dest_line(b) for b in vs.real_servers)
    return (int(vs.address), vs.port, vs.protocol), text


def _fragment(plan: ProxyPlan, node: str, p: NodePortPlan) -> list[Block]:
    """Rendered virtual servers of one Service port; shared by nodes with the same local
    endpoints except for the NodePort one, which carries the node's address."""
    key = ("ipvs", id(p.info), tuple(b.endpoint for b in p.local_endpoints)
           if p.local_endpoints else ())
    got = plan.views.get(key)
    if got is None:
        got = plan.views[key] = [_block(vs) for vs in virtual_servers(plan, "", p)]
    out = list(got)  # type: ignore[call-overload]
    node_obj = plan.cluster.node_by_name.get(node)
    if p.info.node_port and node_obj is not None:
        external = real_servers(p, p.info.etp_local)
        out.append(_block(VirtualServer(p.info.port.protocol, node_obj.internal_ip,
                                        p.info.node_port, "node-port", p, external)))
    return out


def ipvsadm_ln(cluster: Cluster, node_name: str, plan: ProxyPlan | None = None) -> str:
    """`ipvsadm -Ln` on `node_name` as kube-proxy in IPVS mode would leave it (SVC-13)."""
    plan = plan or ProxyPlan.for_cluster(cluster)
    if cluster.config.kube_proxy_replacement:
        return HEADER
    blocks: list[Block] = []
    for info in plan.infos(node_name):
        blocks += _fragment(plan, node_name, plan.node_plan(info, node_name))
    blocks.sort(key=itemgetter(0))
    return HEADER + "".join(text for _, text in blocks)
