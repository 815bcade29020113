"""Every committed write to a cluster becomes one `cluster.changed` event for its viewers.

labs/changes.py sends `cluster_changed` after commit, whether the write came from REST
or a WebSocket; this receiver turns the revision into the event the browser's store
applies (store.js `applyChange`), so a viewer's state = initial fetch + events.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from clusterlab.labs.signals import cluster_changed
from clusterlab.live.groups import cluster_group


def change_event(cluster: Any, revision: Any) -> dict[str, Any]:
    """The `cluster.changed` payload: every changed object as the REST API shows it."""
    from clusterlab.labs.serializers import object_payloads

    changes = list(revision.changes or [])
    keys = [(c["kind"], c.get("namespace", ""), c["name"]) for c in changes
            if c.get("action") != "deleted"]
    payloads = object_payloads(cluster, keys)
    out = []
    for c in changes:
        key = (c["kind"], c.get("namespace", ""), c["name"])
        item = {"kind": c["kind"], "namespace": c.get("namespace", ""), "name": c["name"],
                "action": c.get("action", "updated")}
        if c.get("action") != "deleted" and key in payloads:
            item["object"] = payloads[key]
        out.append(item)
    author = getattr(revision, "author", None)
    return {
        "type": "cluster.changed",
        "resource_version": cluster.resource_version,
        "previous_version": getattr(revision, "previous_version", None),
        "by": getattr(author, "username", None),
        "changes": out,
    }


@receiver(cluster_changed, dispatch_uid="live.broadcast")
def broadcast_change(sender: Any, cluster: Any, revision: Any, **kwargs: Any) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    event = change_event(cluster, revision)
    if event["previous_version"] is None:
        event.pop("previous_version")
    async_to_sync(layer.group_send)(cluster_group(cluster.id), event)
