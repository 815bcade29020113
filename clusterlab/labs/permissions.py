"""Who may see and change a cluster.

The owner writes; users it is shared with read, or write when the share says
`can_write`; templates are readable by every authenticated user. Anyone else gets
404, never 403, on every endpoint (engine and export included), so cluster ids
cannot be probed. Deleting, sharing and changing visibility are the owner's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from rest_framework.exceptions import PermissionDenied

from clusterlab.labs.errors import NotFound
from clusterlab.labs.models import Cluster, ClusterShare, Visibility


def visible_clusters(user: Any) -> QuerySet[Cluster]:
    """Clusters the user may read, annotated with `can_write` (one query, no DISTINCT)."""
    if not getattr(user, "is_authenticated", False):
        return Cluster.objects.none()
    shared = ClusterShare.objects.filter(cluster=OuterRef("pk"), user=user)
    writable = shared.filter(can_write=True)
    return (Cluster.objects
            .filter(Q(owner=user) | Q(visibility=Visibility.TEMPLATE) | Exists(shared))
            .annotate(can_write=Case(When(owner=user, then=Value(True)),
                                     When(Exists(writable), then=Value(True)),
                                     default=Value(False), output_field=BooleanField()))
            .select_related("owner"))


def get_cluster(user: Any, cluster_id: Any, *, write: bool = False,
                owner: bool = False) -> Cluster:
    """The cluster if the user may see it (else 404), checked for write/owner (else 403)."""
    try:
        pk = int(cluster_id)
    except (TypeError, ValueError):
        pk = None
    cluster = visible_clusters(user).filter(pk=pk).first() if pk is not None else None
    if cluster is None:
        raise NotFound(f'clusters "{cluster_id}" not found')
    check(user, cluster, write=write, owner=owner)
    return cluster


def check(user: Any, cluster: Cluster, *, write: bool = False, owner: bool = False) -> None:
    if owner and cluster.owner_id != user.pk:
        raise PermissionDenied("only the owner of this cluster may do this")
    if write and not getattr(cluster, "can_write", cluster.owner_id == user.pk):
        raise PermissionDenied("you may read this cluster but not change it")
