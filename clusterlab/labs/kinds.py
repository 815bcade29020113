"""The resource kinds a cluster stores, and how each maps to a model and a URL.

Adding a kind: a model in models/objects.py, one `KindSpec` here, a serializer/viewset
pair (api/views.py builds them from this table), a migration. Everything else
(snapshot, apply, revisions, permissions tests) iterates over `KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterlab.labs.models import (
    ClusterObject,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    Workload,
)


@dataclass(frozen=True)
class KindSpec:
    kind: str  # Kubernetes kind, e.g. "Pod"
    plural: str  # URL segment and the lower-case resource name kubectl prints
    model: type[ClusterObject]
    api_versions: tuple[str, ...]  # first is the one written on export / when missing
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return self.api_versions[0]

    @property
    def is_workload(self) -> bool:
        return self.model is Workload

    def queryset(self, cluster_id: int):  # type: ignore[no-untyped-def]
        qs = self.model.objects.filter(cluster_id=cluster_id)
        if self.is_workload:
            qs = qs.filter(workload_kind=self.kind)
        return qs


# Load order: what others refer to first (namespaces, nodes), then workloads and pods.
KINDS: tuple[KindSpec, ...] = (
    KindSpec("Namespace", "namespaces", Namespace, ("v1",), namespaced=False),
    KindSpec("Node", "nodes", Node, ("v1",), namespaced=False),
    KindSpec("Deployment", "deployments", Workload, ("apps/v1",)),
    KindSpec("ReplicaSet", "replicasets", Workload, ("apps/v1",)),
    KindSpec("Pod", "pods", Pod, ("v1",)),
    KindSpec("Service", "services", Service, ("v1",)),
    KindSpec("EndpointSlice", "endpointslices", EndpointSlice, ("discovery.k8s.io/v1",)),
    KindSpec("NetworkPolicy", "networkpolicies", NetworkPolicy, ("networking.k8s.io/v1",)),
)
BY_KIND = {k.kind: k for k in KINDS}
BY_PLURAL = {k.plural: k for k in KINDS}
MODELS: tuple[type[ClusterObject], ...] = tuple(dict.fromkeys(k.model for k in KINDS))
CONFIG_KIND = "ClusterConfig"
CONFIG_API_VERSION = "clusterlab.io/v1alpha1"

# (kind, namespace, name): the identity of an object inside one cluster.
Key = tuple[str, str, str]


def key_of(kind: str, namespace: str, name: str) -> Key:
    return (kind, namespace, name)


def row_key(row: ClusterObject) -> Key:
    return (row.kind, row.namespace, row.name)


def describe(key: Key) -> str:
    """`pods "web-1"` — the API server's NotFound/AlreadyExists wording (VAL-1)."""
    spec = BY_KIND.get(key[0])
    plural = spec.plural if spec else key[0].lower() + "s"
    return f'{plural} "{key[2]}"'
