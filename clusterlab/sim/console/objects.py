"""The API objects the console can show, named and listed the way the API server does.

Lists come back sorted by namespace, then name — the order of the API server's storage
keys (`/registry/pods/<ns>/<name>`), which is what `kubectl get` prints. v1 Endpoints
are not in the model; they are derived from the EndpointSlices the way the endpoints
controller fills them (KCTL-4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clusterlab.sim.endpoints import LABEL_SERVICE_NAME, has_selector, slice_labels
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import (
    EndpointPort,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
)


@dataclass(frozen=True, slots=True)
class Kind:
    resource: str  # plural resource name, e.g. "pods"
    singular: str
    kind: str  # "Pod"
    short: tuple[str, ...] = ()
    namespaced: bool = True
    group: str = ""  # API group ("" = core)

    @property
    def names(self) -> tuple[str, ...]:
        full = (f"{self.resource}.{self.group}", f"{self.singular}.{self.group}") \
            if self.group else ()
        return (self.resource, self.singular, *self.short, *full, self.kind.lower())


PODS = Kind("pods", "pod", "Pod", ("po",))
SERVICES = Kind("services", "service", "Service", ("svc",))
ENDPOINTS = Kind("endpoints", "endpoints", "Endpoints", ("ep",))
ENDPOINTSLICES = Kind("endpointslices", "endpointslice", "EndpointSlice",
                      group="discovery.k8s.io")
NETWORKPOLICIES = Kind("networkpolicies", "networkpolicy", "NetworkPolicy", ("netpol",),
                       group="networking.k8s.io")
NODES = Kind("nodes", "node", "Node", ("no",), namespaced=False)
NAMESPACES = Kind("namespaces", "namespace", "Namespace", ("ns",), namespaced=False)
KINDS = (PODS, SERVICES, ENDPOINTS, ENDPOINTSLICES, NETWORKPOLICIES, NODES, NAMESPACES)
_BY_NAME = {n: k for k in KINDS for n in k.names}

# Real resource types the simulator does not keep (workloads are expanded into pods).
NOT_SIMULATED = {
    "deployments": ("deployment", "deploy"), "replicasets": ("replicaset", "rs"),
    "statefulsets": ("statefulset", "sts"), "daemonsets": ("daemonset", "ds"),
    "jobs": ("job",), "cronjobs": ("cronjob", "cj"), "configmaps": ("configmap", "cm"),
    "secrets": ("secret",), "ingresses": ("ingress", "ing"), "events": ("event", "ev"),
    "serviceaccounts": ("serviceaccount", "sa"),
    "persistentvolumeclaims": ("persistentvolumeclaim", "pvc"),
    "persistentvolumes": ("persistentvolume", "pv"), "gateways": ("gateway",),
    "httproutes": ("httproute",), "leases": ("lease",),
}
_NOT_SIMULATED = {n: r for r, names in NOT_SIMULATED.items() for n in (r, *names)}


def find_kind(name: str) -> Kind | None:
    return _BY_NAME.get(name.lower())


def not_simulated(name: str) -> str | None:
    """The plural resource name if `name` is a real kind the simulator does not keep."""
    return _NOT_SIMULATED.get(name.lower())


# --------------------------------------------------------------------------- Endpoints


@dataclass(frozen=True, slots=True)
class Subset:
    addresses: tuple[str, ...]
    not_ready: tuple[str, ...]
    ports: tuple[EndpointPort, ...]


@dataclass(frozen=True, slots=True)
class EndpointsObject:
    """A v1 Endpoints, as the endpoints controller (or the API server, for `kubernetes`)
    keeps it."""

    namespace: str
    name: str
    subsets: tuple[Subset, ...]
    labels: dict[str, str]


def endpoints_for(engine: Engine, svc: Service) -> EndpointsObject | None:
    """v1 Endpoints of `svc` (KCTL-4): subsets grouped by port set, ready addresses in
    `addresses`, not-ready ones in `notReadyAddresses`, terminating ones left out (the
    controller's `ShouldPodBeInEndpoints`), IPs sorted (`SortSubsets`). ExternalName
    Services have none. A selector-less Service gets one from its user slices (in a real
    cluster only if someone created the Endpoints; the snapshot cannot tell)."""
    if svc.type == "ExternalName":
        return None
    slices = engine.endpoints.slices(svc)
    if not slices and not has_selector(svc):
        return None
    groups: dict[tuple[EndpointPort, ...], tuple[set[str], set[str]]] = {}
    for es in slices:
        if es.address_type != "IPv4":
            continue
        for ep in es.endpoints:
            if not ep.addresses:
                continue
            ready, not_ready = groups.setdefault(es.ports, (set(), set()))
            if ep.ready:
                ready.add(ep.addresses[0])
            elif not ep.terminating:
                not_ready.add(ep.addresses[0])
    subsets = tuple(
        Subset(tuple(sorted(r)), tuple(sorted(n - r)), ports)
        for ports, (r, n) in groups.items() if r or n)
    return EndpointsObject(svc.namespace, svc.name, subsets, dict(svc.labels))


# --------------------------------------------------------------------------- listing

Obj = Pod | Service | EndpointsObject | EndpointSlice | NetworkPolicy | Node | Namespace


def _sorted(items: Iterable[Obj], namespaced: bool = True) -> list[Obj]:
    if namespaced:
        return sorted(items, key=lambda o: (o.namespace, o.name))  # type: ignore[union-attr]
    return sorted(items, key=lambda o: o.name)


def namespaces(engine: Engine) -> list[Namespace]:
    """Namespace objects, plus the namespaces objects live in (the API cannot hold an object
    in a namespace that does not exist, so a snapshot that has one implies it)."""
    cluster = engine.cluster
    have = {n.name: n for n in cluster.namespaces}
    for name in {"default", *(p.namespace for p in cluster.pods),
                 *(s.namespace for s in cluster.services),
                 *(p.namespace for p in cluster.network_policies)}:
        have.setdefault(name, Namespace(name, {"kubernetes.io/metadata.name": name}))
    return sorted(have.values(), key=lambda n: n.name)


def endpoint_slices(engine: Engine, namespace: str | None) -> list[EndpointSlice]:
    cluster = engine.cluster
    out: dict[tuple[str, str], EndpointSlice] = {}
    for svc in cluster.services:
        if namespace is None or svc.namespace == namespace:
            for es in engine.endpoints.slices(svc):
                out[(es.namespace, es.name)] = es
    for es in cluster.endpoint_slices:  # slices of a Service that does not exist
        if (namespace is None or es.namespace == namespace) and \
                f"{es.namespace}/{es.service_name}" not in cluster.service_by_key:
            out[(es.namespace, es.name)] = es
    return [out[k] for k in sorted(out)]


def list_objects(engine: Engine, kind: Kind, namespace: str | None) -> list[Obj]:
    """Objects of `kind` in `namespace` (None: all namespaces), in API list order."""
    cluster = engine.cluster

    def in_ns(o: Obj) -> bool:
        return namespace is None or o.namespace == namespace  # type: ignore[union-attr]

    if kind is PODS:
        return _sorted(p for p in cluster.pods if in_ns(p))
    if kind is SERVICES:
        return _sorted(s for s in cluster.services if in_ns(s))
    if kind is ENDPOINTS:
        eps = (endpoints_for(engine, s) for s in cluster.services if in_ns(s))
        return _sorted(e for e in eps if e is not None)
    if kind is ENDPOINTSLICES:
        return list(endpoint_slices(engine, namespace))
    if kind is NETWORKPOLICIES:
        return _sorted(p for p in cluster.network_policies if in_ns(p))
    if kind is NODES:
        return _sorted(cluster.nodes, namespaced=False)
    if kind is NAMESPACES:
        return list(namespaces(engine))
    raise ValueError(kind.resource)


def get_object(engine: Engine, kind: Kind, namespace: str, name: str) -> Obj | None:
    cluster = engine.cluster
    if kind is PODS:
        return cluster.pod_by_key.get(f"{namespace}/{name}")
    if kind is SERVICES:
        return cluster.service_by_key.get(f"{namespace}/{name}")
    if kind is ENDPOINTS:
        svc = cluster.service_by_key.get(f"{namespace}/{name}")
        return endpoints_for(engine, svc) if svc is not None else None
    if kind is NETWORKPOLICIES:
        return cluster.policy_by_key.get(f"{namespace}/{name}")
    if kind is NODES:
        return cluster.node_by_name.get(name)
    if kind is NAMESPACES:
        return next((n for n in namespaces(engine) if n.name == name), None)
    if kind is ENDPOINTSLICES:
        return next((s for s in endpoint_slices(engine, namespace) if s.name == name), None)
    raise ValueError(kind.resource)


def labels_of(engine: Engine, obj: Obj) -> dict[str, str]:
    """The object's labels; a slice gets the ones its controller sets (SVC-5)."""
    if isinstance(obj, EndpointSlice):
        svc = engine.cluster.service_by_key.get(f"{obj.namespace}/{obj.service_name}")
        if svc is not None:
            return slice_labels(svc, managed=obj.managed)
        return {LABEL_SERVICE_NAME: obj.service_name} if obj.service_name else {}
    return dict(obj.labels)
