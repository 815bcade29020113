"""EndpointSlices as the control plane maintains them, and the endpoints kube-proxy uses.

`slices_for` is the endpointslice controller (SVC-5): for a Service with a selector it
derives the slices from the pods; for a selector-less Service it returns the slices
the user created. `EndpointIndex` computes every Service's slices once per snapshot
and answers "which backends may kube-proxy pick for this Service port" — the view
kube-proxy (`kubeproxy.py`), DNS (headless answers) and kubectl all share.

Faults (issue #4): a node that is powered off (`faults.nodes_down`) or NotReady
(`Node.ready` false) stops posting status; the node lifecycle controller then sets the
Ready condition of its pods to False, so their endpoints stay in the slice with
`ready: false, serving: false` (SVC-5: not-ready endpoints stay, consumers filter
them). With `publishNotReadyAddresses` they remain `ready: true`, exactly as the
controller computes it. The simulator applies this immediately (the real grace
period, `--node-monitor-grace-period` 40 s, is not modelled) and does not model the
later eviction of the pods.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address
from types import MappingProxyType
from typing import Any, TypeVar

from clusterlab.sim.model import (
    Cluster,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Pod,
    Service,
    ServicePort,
    parse_ip,
)

MAX_ENDPOINTS_PER_SLICE = 100  # kube-controller-manager --max-endpoints-per-slice (SVC-5)
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_HEADLESS = "service.kubernetes.io/headless"

# apimachinery utilrand.String alphabet (no vowels, no confusable digits) and
# names.SimpleNameGenerator limits: generateName is cut to 63 - 5 characters.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_SUFFIX_LEN = 5
_MAX_GENERATED_BASE = 63 - _SUFFIX_LEN


@lru_cache(maxsize=1 << 18)
def ip_text(ip: IPv4Address) -> str:
    """`str(ip)`, memoised: ipaddress formats slowly and the same IPs are printed often."""
    return str(ip)


def has_selector(service: Service) -> bool:
    """A Service with `selector: {}` behaves as selector-less: the API stores an empty map as
    absent, and the controller skips Services whose selector is nil (SVC-1, SVC-16)."""
    return bool(service.selector)


def slice_labels(service: Service, managed: bool = True) -> dict[str, str]:
    """Labels the controller puts on a slice (`getEndpointSliceLabels`, SVC-5): the Service's own
    labels, then `kubernetes.io/service-name`, `managed-by` and, for headless, `headless: ""`.
    The model's EndpointSlice has no labels field, so views call this."""
    labels = {k: v for k, v in service.labels.items()
              if k not in (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)}
    labels[LABEL_SERVICE_NAME] = service.name
    if managed:
        labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    if service.headless:
        labels[LABEL_HEADLESS] = ""
    return dict(sorted(labels.items()))


def slice_name(service: Service, ports: tuple[EndpointPort, ...], index: int) -> str:
    """`<svc>-<5 chars>` like generateName, but derived from a hash so a snapshot always
    names its slices the same way (the real suffix is random; KCTL-4)."""
    base = f"{service.name}-"[:_MAX_GENERATED_BASE]
    key = "|".join((service.namespace, service.name, _port_key_text(ports), str(index)))
    digest = hashlib.sha256(key.encode()).digest()
    suffix = "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:_SUFFIX_LEN])
    return base + suffix


def _port_key_text(ports: tuple[EndpointPort, ...]) -> str:
    return ",".join(f"{p.name}/{p.protocol}/{p.port}" for p in ports)


def unready_nodes(cluster: Cluster) -> frozenset[str]:
    """Nodes whose pods the node lifecycle controller marks NotReady (module docstring)."""
    down = set(cluster.config.faults.nodes_down)
    down.update(n.name for n in cluster.nodes if not n.ready)
    return frozenset(down)


def pod_ports(service: Service, pod: Pod) -> tuple[EndpointPort, ...]:
    """The Service ports this pod serves, with targetPort resolved for it (SVC-4).

    A numeric targetPort is taken as is; a named one must match a container port with the
    same name *and* protocol (`podutil.FindPort`), else the pod has no endpoint for that
    Service port. Order follows `spec.ports`, as `getEndpointPorts` builds it.
    """
    out = []
    for sp in service.ports:
        if isinstance(sp.target_port, str):
            number = pod.find_port(sp.target_port, sp.protocol)
            if number is None:
                continue
        else:
            number = sp.target_port or sp.port
        out.append(EndpointPort(port=number, protocol=sp.protocol, name=sp.name))
    return tuple(out)


def pod_in_endpoints(pod: Pod) -> bool:
    """`ShouldPodBeInEndpoints(pod, includeTerminating=true)`: has an IP, not finished."""
    return pod.ip is not None and pod.phase not in ("Succeeded", "Failed")


def pod_endpoint(service: Service, pod: Pod, node_unready: bool = False) -> Endpoint:
    """`podToEndpoint` (SVC-5): serving = Ready condition, ready = serving and not terminating,
    or always when the Service publishes not-ready addresses."""
    serving = pod.ready and not node_unready
    terminating = pod.terminating
    ready = service.publish_not_ready_addresses or (serving and not terminating)
    hostname = pod.hostname if (pod.hostname and pod.subdomain == service.name) else ""
    return Endpoint(
        addresses=(ip_text(pod.ip),),  # type: ignore[arg-type]  # pod_in_endpoints checked
        ready=ready,
        serving=serving,
        terminating=terminating,
        node_name=pod.node_name,
        hostname=hostname,
        target_pod=pod.key,
    )


LabelIndex = Mapping[tuple[str, str, str], tuple[Pod, ...]]


def label_index(cluster: Cluster) -> LabelIndex:
    """(namespace, key, value) → eligible pods carrying that label: selectors then only scan
    the pods of their rarest label instead of the whole namespace."""
    out: dict[tuple[str, str, str], list[Pod]] = {}
    for pod in cluster.pods:
        if pod_in_endpoints(pod):
            for k, v in pod.labels.items():
                out.setdefault((pod.namespace, k, v), []).append(pod)
    return {k: tuple(v) for k, v in out.items()}


def selected_pods(cluster: Cluster, service: Service,
                  labels: LabelIndex | None = None) -> tuple[Pod, ...]:
    """Pods in the Service's namespace matching its selector and eligible for endpoints."""
    selector = service.selector or {}
    if labels is not None and selector:
        pools = [labels.get((service.namespace, k, v), ()) for k, v in selector.items()]
        pool = min(pools, key=len)
        if len(selector) == 1:
            return pool
        return tuple(p for p in pool if all(p.labels.get(k) == v for k, v in selector.items()))
    return tuple(
        p for p in cluster.pods_by_namespace.get(service.namespace, ())
        if pod_in_endpoints(p) and all(p.labels.get(k) == v for k, v in selector.items())
    )


def user_slices(cluster: Cluster, service: Service) -> tuple[EndpointSlice, ...]:
    """Slices someone created with `kubernetes.io/service-name: <svc>` (SVC-16).

    Slices marked `managed` (e.g. from a dump of a real cluster) are the controller's: it
    would replace them, so for a Service with a selector they are ignored and recomputed.
    """
    return tuple(
        s for s in cluster.endpoint_slices
        if s.namespace == service.namespace and s.service_name == service.name
        and not (s.managed and has_selector(service))
    )


def slices_for(cluster: Cluster, service: Service,
               _unready: frozenset[str] | None = None,
               _labels: LabelIndex | None = None) -> tuple[EndpointSlice, ...]:
    """The EndpointSlices of `service` (SVC-5, SVC-16).

    * ExternalName: none.
    * With a selector (headless too): pods grouped by their resolved port set, at most 100
      endpoints per slice, named `<svc>-xxxxx` deterministically; a selector matching
      nothing still gets one empty placeholder slice (KCTL-4 `nomatch-t9wzc … <unset>`).
      Unmanaged user slices for the Service are appended (kube-proxy reads every slice
      carrying the service-name label).
    * Without a selector: the user's slices only.
    """
    if service.type == "ExternalName":
        return ()
    if not has_selector(service):
        return user_slices(cluster, service)
    unready = unready_nodes(cluster) if _unready is None else _unready
    groups: dict[tuple[EndpointPort, ...], list[Endpoint]] = {}
    for pod in selected_pods(cluster, service, _labels):
        ports = pod_ports(service, pod)
        groups.setdefault(ports, []).append(
            pod_endpoint(service, pod, pod.node_name in unready))
    out: list[EndpointSlice] = []
    for ports in sorted(groups, key=_port_key_text):
        endpoints = groups[ports]
        for index, start in enumerate(range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE)):
            out.append(EndpointSlice(
                namespace=service.namespace,
                name=slice_name(service, ports, index),
                service_name=service.name,
                endpoints=tuple(endpoints[start:start + MAX_ENDPOINTS_PER_SLICE]),
                ports=ports,
                managed=True,
            ))
    if not out:
        out.append(EndpointSlice(namespace=service.namespace, name=slice_name(service, (), 0),
                                 service_name=service.name, managed=True))
    return (*out, *user_slices(cluster, service))


# --------------------------------------------------------------------------- per snapshot

T = TypeVar("T")
_MEMO: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def snapshot_memo(cluster: Cluster, name: str, factory: Callable[[Cluster], T]) -> T:
    """Build a derived index once per snapshot object and share it (dropped with the snapshot).

    Keyed by identity, not equality: hashing a 10k-pod Cluster would cost more than the
    index. Not a source of randomness — the value is a pure function of the snapshot.
    """
    key = (id(cluster), name)
    entry = _MEMO.get(key)
    if entry is not None and entry[0]() is cluster:
        return entry[1]  # type: ignore[no-any-return]
    value = factory(cluster)
    _MEMO[key] = (weakref.ref(cluster, lambda _r, k=key, memo=_MEMO: memo.pop(k, None)), value)
    return value


# --------------------------------------------------------------------------- kube-proxy view


@dataclass(frozen=True, slots=True)
class Backend:
    """One endpoint of one Service port as kube-proxy sees it (`endpointInfo`)."""

    ip: IPv4Address
    port: int  # the resolved targetPort
    node_name: str | None
    pod_key: str  # "ns/name", or "" for an endpoint that is not a pod (selector-less)
    ready: bool
    serving: bool
    terminating: bool
    # kube-proxy's endpoint string `ip:port` (sort key, chain hashes); derived, precomputed
    endpoint: str = field(init=False, repr=False, compare=False)
    ip_text: str = field(init=False, repr=False, compare=False)
    # `ns/pod:port` for pods (issue #3 `candidates`), else `ip:port`
    label: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = ip_text(self.ip)
        object.__setattr__(self, "ip_text", text)
        object.__setattr__(self, "endpoint", f"{text}:{self.port}")
        object.__setattr__(self, "label", f"{self.pod_key}:{self.port}" if self.pod_key
                           else self.endpoint)

    def is_local(self, node_name: str | None) -> bool:
        return node_name is not None and self.node_name == node_name


def categorize(backends: Iterable[Backend]) -> tuple[Backend, ...]:
    """Cluster-wide usable endpoints (`CategorizeEndpoints`, SVC-5): the ready ones, or, when none
    is ready, those serving and terminating (graceful termination, KEP-1669)."""
    backends = tuple(backends)
    ready = tuple(b for b in backends if b.ready)
    if ready:
        return ready
    return tuple(b for b in backends if b.serving and b.terminating)


def categorize_local(backends: Iterable[Backend], node_name: str | None) -> tuple[Backend, ...]:
    """Node-local usable endpoints: local ready ones, else local serving+terminating ones.

    The fallback is decided per node, as `CategorizeEndpoints` does for Local policies.
    """
    local = tuple(b for b in backends if b.is_local(node_name))
    ready = tuple(b for b in local if b.ready)
    if ready:
        return ready
    return tuple(b for b in local if b.serving and b.terminating)


def has_any_usable(backends: Iterable[Backend]) -> bool:
    """kube-proxy's `hasEndpoints`: some endpoint is ready, or serving and terminating."""
    return any(b.ready or (b.serving and b.terminating) for b in backends)


def _backends_of(cluster: Cluster, slices: Iterable[EndpointSlice],
                 port: ServicePort) -> tuple[Backend, ...]:
    """Endpoints for one Service port from all its slices, matched by port name and protocol
    (endpointslicecache), first address only, deduplicated by `ip:port`, sorted by that
    string as the iptables proxier writes them (SVC-7)."""
    seen: dict[str, Backend] = {}
    for es in slices:
        if es.address_type != "IPv4":
            continue
        number = next((p.port for p in es.ports
                       if p.name == port.name and p.protocol == port.protocol), None)
        if number is None:
            continue
        for ep in es.endpoints:
            if not ep.addresses:
                continue
            pod_key = ep.target_pod
            pod = cluster.pod_by_key.get(pod_key) if pod_key and es.managed else None
            if pod is not None and pod.ip is not None:  # our own slice: address = pod IP
                ip = pod.ip
            else:
                try:
                    ip = parse_ip(ep.addresses[0])
                except ValueError:
                    continue
            if not pod_key:
                pod = cluster.pod_by_ip.get(ip)
                pod_key = pod.key if pod is not None else ""
            backend = Backend(ip=ip, port=number, node_name=ep.node_name, pod_key=pod_key,
                              ready=ep.ready, serving=ep.serving, terminating=ep.terminating)
            old = seen.get(backend.endpoint)
            if old is None or (backend.ready and not old.ready):
                seen[backend.endpoint] = backend
    return tuple(seen[k] for k in sorted(seen))


class EndpointIndex:
    """Every Service's slices and per-port backends, computed once per snapshot."""

    __slots__ = ("_all", "_cluster", "_ready", "_slices")

    def __init__(self, cluster: Cluster, slices: Mapping[str, tuple[EndpointSlice, ...]]):
        self._cluster = cluster
        self._slices = slices
        self._all: dict[tuple[str, str, str], tuple[Backend, ...]] = {}
        self._ready: dict[tuple[str, str, str], tuple[Backend, ...]] = {}

    @classmethod
    def build(cls, cluster: Cluster) -> EndpointIndex:
        unready = unready_nodes(cluster)
        labels = label_index(cluster)
        slices = {s.key: slices_for(cluster, s, unready, labels) for s in cluster.services}
        index = cls(cluster, MappingProxyType(slices))
        for svc in cluster.services:
            for port in svc.ports:
                index.endpoints(svc, port)
        return index

    @classmethod
    def for_cluster(cls, cluster: Cluster) -> EndpointIndex:
        """The shared index of this snapshot (built on first use)."""
        return snapshot_memo(cluster, "endpoint-index", cls.build)

    @property
    def cluster(self) -> Cluster:
        return self._cluster

    def slices(self, service: Service) -> tuple[EndpointSlice, ...]:
        got = self._slices.get(service.key)
        if got is None:  # a Service not in the snapshot (e.g. a what-if)
            got = slices_for(self._cluster, service)
        return got

    def endpoints(self, service: Service, port: ServicePort) -> tuple[Backend, ...]:
        """All endpoints of the port (ready or not), sorted by `ip:port`."""
        key = (service.key, port.name, port.protocol)
        got = self._all.get(key)
        if got is None:
            got = self._all[key] = _backends_of(self._cluster, self.slices(service), port)
        return got

    def ready_endpoints(self, service: Service, port: ServicePort) -> tuple[Backend, ...]:
        """What kube-proxy balances over cluster-wide: ready endpoints, or serving+terminating
        ones when none is ready (SVC-5)."""
        key = (service.key, port.name, port.protocol)
        got = self._ready.get(key)
        if got is None:
            got = self._ready[key] = categorize(self.endpoints(service, port))
        return got

    def local_endpoints(self, service: Service, port: ServicePort,
                        node_name: str | None) -> tuple[Backend, ...]:
        """Usable endpoints on `node_name` (traffic policy Local, SVC-10)."""
        return categorize_local(self.endpoints(service, port), node_name)
