"""`kubectl get` tables (KCTL-1 … KCTL-6): the server-side column definitions of
kubernetes `pkg/printers/internalversion/printers.go`, laid out by `tabwriter`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clusterlab.sim.console.facts import Clock
from clusterlab.sim.console.objects import (
    ENDPOINTS,
    ENDPOINTSLICES,
    NAMESPACES,
    NETWORKPOLICIES,
    NODES,
    PODS,
    SERVICES,
    EndpointsObject,
    Kind,
    Obj,
    labels_of,
)
from clusterlab.sim.console.timefmt import since
from clusterlab.sim.endpoints import ip_text
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import (
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    format_labels,
)
from clusterlab.sim.policy import format_label_selector

LOAD_BALANCER_WIDTH = 16  # printers.go loadBalancerWidth


def object_name(kind: Kind, name: str) -> str:
    """`-o name` / multi-type prefix: `pod/web`, `endpointslice.discovery.k8s.io/web-x`."""
    prefix = kind.kind.lower() + (f".{kind.group}" if kind.group else "")
    return f"{prefix}/{name}"


# --------------------------------------------------------------------------- pods


def pod_status(pod: Pod) -> str:
    """printPod's STATUS (KCTL-2) from what the snapshot knows: Terminating wins; a
    scheduled pod that has not started is ContainerCreating, an unscheduled one Pending;
    Succeeded shows its container's `Completed`, Failed `Error`."""
    if pod.terminating:
        return "Terminating"
    if pod.phase == "Pending":
        return "ContainerCreating" if pod.node_name else "Pending"
    if pod.phase == "Succeeded":
        return "Completed"
    if pod.phase == "Failed":
        return "Error"
    return pod.phase or "Unknown"


def pod_ready(pod: Pod) -> str:
    total = max(1, len(pod.containers))
    ready = total if (pod.ready and pod.phase == "Running" and not pod.terminating) else 0
    return f"{ready}/{total}"


def pod_restarts(pod: Pod, clock: Clock) -> str:
    count, last = clock.restarts(pod.namespace, pod.name)
    if count and last is not None:
        return f"{count} ({since(last, clock.now)} ago)"
    return str(count)


def _pod_row(engine: Engine, pod: Pod, clock: Clock, wide: bool) -> list[str]:
    row = [pod.name, pod_ready(pod), pod_status(pod), pod_restarts(pod, clock),
           since(clock.created("pods", pod.namespace, pod.name), clock.now)]
    if wide:
        row += [ip_text(pod.ip) if pod.ip is not None else "<none>", pod.node_name or "<none>",
                "<none>", "<none>"]
    return row


# --------------------------------------------------------------------------- services


def cluster_ip_text(svc: Service) -> str:
    if svc.headless:
        return "None"
    return str(svc.cluster_ip) if svc.cluster_ip is not None else "<none>"


def external_ip_text(svc: Service, wide: bool) -> str:
    """printers.go `getServiceExternalIP` (KCTL-3)."""
    ext = [str(ip) for ip in svc.external_ips]
    if svc.type in ("ClusterIP", "NodePort"):
        return ",".join(ext) or "<none>"
    if svc.type == "LoadBalancer":
        lb = ",".join(sorted(set(svc.load_balancer_ingress)))
        if not wide and len(lb) > LOAD_BALANCER_WIDTH:
            lb = lb[:LOAD_BALANCER_WIDTH - 3] + "..."
        if ext:
            return ",".join(([*lb.split(",")] if lb else []) + ext)
        return lb or "<pending>"
    if svc.type == "ExternalName":
        return svc.external_name
    return "<unknown>"


def ports_text(svc: Service) -> str:
    """printers.go `makePortString`."""
    pieces = [f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}"
              for p in svc.ports]
    return ",".join(pieces) or "<none>"


def _svc_row(engine: Engine, svc: Service, clock: Clock, wide: bool) -> list[str]:
    row = [svc.name, svc.type, cluster_ip_text(svc), external_ip_text(svc, wide),
           ports_text(svc), since(clock.created("services", svc.namespace, svc.name), clock.now)]
    if wide:
        row.append(format_labels(svc.selector or {}))
    return row


# --------------------------------------------------------------------------- endpoints


def _with_more(items: list[str], count: int, limit: int = 3, empty: str = "") -> str:
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


def endpoints_text(ep: EndpointsObject) -> str:
    """printers.go `formatEndpoints`: ready `ip:port`, per port then per address, at most 3
    (KCTL-4); `<none>` without subsets, empty when only not-ready addresses exist."""
    if not ep.subsets:
        return "<none>"
    items: list[str] = []
    count = 0
    for ss in ep.subsets:
        if not ss.ports:
            count += len(ss.addresses)
            items += ss.addresses
            continue
        for port in ss.ports:
            count += len(ss.addresses)
            items += [f"{a}:{port.port}" for a in ss.addresses]
    return _with_more(items, count)


def _ep_row(engine: Engine, ep: EndpointsObject, clock: Clock, wide: bool) -> list[str]:
    return [ep.name, endpoints_text(ep),
            since(clock.created("services", ep.namespace, ep.name), clock.now)]


def slice_ports_text(es: EndpointSlice) -> str:
    """`formatDiscoveryPorts` + `listWithMoreString`."""
    return _with_more([str(p.port) for p in es.ports], len(es.ports), empty="<unset>")


def slice_endpoints_text(es: EndpointSlice) -> str:
    """`formatDiscoveryEndpoints`: every address, ready or not (KCTL-4)."""
    addrs = [a for ep in es.endpoints for a in ep.addresses]
    return _with_more(addrs, len(addrs), empty="<unset>")


def _slice_row(engine: Engine, es: EndpointSlice, clock: Clock, wide: bool) -> list[str]:
    created = clock.facts.created.get(f"endpointslices/{es.namespace}/{es.name}") or \
        clock.created("services", es.namespace, es.service_name)
    return [es.name, es.address_type, slice_ports_text(es), slice_endpoints_text(es),
            since(created, clock.now)]


# --------------------------------------------------------------------------- others


def _netpol_row(engine: Engine, np: NetworkPolicy, clock: Clock, wide: bool) -> list[str]:
    return [np.name, format_label_selector(np.pod_selector),
            since(clock.created("networkpolicies", np.namespace, np.name), clock.now)]


def node_status(engine: Engine, node: Node) -> str:
    """printNode STATUS (KCTL-6): a powered-off node's kubelet stops posting, its Ready
    condition turns Unknown, which prints as NotReady."""
    down = node.name in engine.cluster.config.faults.nodes_down
    status = "Ready" if node.ready and not down else "NotReady"
    return status + (",SchedulingDisabled" if node.unschedulable else "")


def node_roles(node: Node) -> str:
    """printers.go `findNodeRoles`: `node-role.kubernetes.io/<role>` and `kubernetes.io/role`."""
    roles = {r for r in node.roles if r}
    if node.labels.get("kubernetes.io/role"):
        roles.add(node.labels["kubernetes.io/role"])
    return ",".join(sorted(roles)) or "<none>"


def _node_row(engine: Engine, node: Node, clock: Clock, wide: bool) -> list[str]:
    info = clock.node_info(node.name)
    row = [node.name, node_status(engine, node), node_roles(node),
           since(clock.created("nodes", "", node.name), clock.now), info.kubelet_version]
    if wide:
        row += [str(node.internal_ip), "<none>", info.os_image, info.kernel_version,
                info.container_runtime]
    return row


def _ns_row(engine: Engine, ns: Namespace, clock: Clock, wide: bool) -> list[str]:
    return [ns.name, "Active", since(clock.created("namespaces", "", ns.name), clock.now)]


Row = Callable[[Engine, Obj, Clock, bool], list[str]]
COLUMNS: dict[str, tuple[list[str], list[str], Row]] = {
    PODS.resource: (["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
                    ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"], _pod_row),
    SERVICES.resource: (["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                        ["SELECTOR"], _svc_row),
    ENDPOINTS.resource: (["NAME", "ENDPOINTS", "AGE"], [], _ep_row),
    ENDPOINTSLICES.resource: (["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], [],
                              _slice_row),
    NETWORKPOLICIES.resource: (["NAME", "POD-SELECTOR", "AGE"], [], _netpol_row),
    NODES.resource: (["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
                     ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                      "CONTAINER-RUNTIME"], _node_row),
    NAMESPACES.resource: (["NAME", "STATUS", "AGE"], [], _ns_row),
}


def table_rows(engine: Engine, kind: Kind, objs: Sequence[Obj], clock: Clock, *,
               wide: bool = False, all_namespaces: bool = False, show_labels: bool = False,
               prefix_kind: bool = False) -> list[list[str]]:
    """Header + one row per object, cells not yet aligned (KCTL-1)."""
    head, wide_head, row_of = COLUMNS[kind.resource]
    header = list(head) + (wide_head if wide else [])
    ns_col = all_namespaces and kind.namespaced
    if ns_col:
        header.insert(0, "NAMESPACE")
    if show_labels:
        header.append("LABELS")
    rows = [header]
    for obj in objs:
        row = row_of(engine, obj, clock, wide)
        if prefix_kind:
            row[0] = object_name(kind, row[0])
        if ns_col:
            row.insert(0, obj.namespace)  # type: ignore[union-attr]
        if show_labels:
            row.append(format_labels(labels_of(engine, obj)))
        rows.append(row)
    return rows
