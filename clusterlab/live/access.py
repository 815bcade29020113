"""What a user may do with a cluster over the WebSocket: the REST API's rule, reused."""

from __future__ import annotations

from typing import Any

READ = "read"
WRITE = "write"


def level(user: Any, cluster_id: int) -> str | None:
    """`write`, `read`, or None when the cluster does not exist for this user (→ 404)."""
    from clusterlab.labs.permissions import visible_clusters

    cluster = visible_clusters(user).filter(pk=cluster_id).first()
    if cluster is None:
        return None
    return WRITE if cluster.can_write else READ


def levels(users: list[Any], cluster_id: int) -> dict[Any, str]:
    """`write` or `read` per primary key of those `users` who may (still) read the cluster."""
    from django.db import close_old_connections

    try:
        found = {u.pk: level(u, cluster_id) for u in users}
        return {pk: lv for pk, lv in found.items() if lv is not None}
    finally:
        close_old_connections()  # worker threads must not keep database sessions open
