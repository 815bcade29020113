"""Models of the labs app, one module per concept (NetBox style)."""

from clusterlab.labs.models.cluster import Cluster, ClusterShare, Visibility
from clusterlab.labs.models.objects import (
    ClusterObject,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    Workload,
)
from clusterlab.labs.models.revision import Revision

__all__ = [
    "Cluster",
    "ClusterObject",
    "ClusterShare",
    "EndpointSlice",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "Pod",
    "Revision",
    "Service",
    "Visibility",
    "Workload",
]
