"""Every committed write to a cluster becomes one `cluster.changed` event for its viewers;
every change of who may read it, a re-check of its open sockets.

labs/changes.py sends `cluster_changed` after commit, whether the write came from REST
or a WebSocket; this receiver turns the revision into the event the browser's store
applies (store.js `applyChange`), so a viewer's state = initial fetch + events.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver

from clusterlab.labs.signals import cluster_access_changed, cluster_changed
from clusterlab.live.fanout import ACCESS, frame_event
from clusterlab.live.groups import frames_group


def change_event(cluster: Any, revision: Any) -> dict[str, Any]:
    """The `cluster.changed` payload: each changed stored object as the REST API shows it.

    Any change but a move can also change what the engine derives for other objects
    (allocated IPs, endpoints, pods expanded from a Deployment), so those events carry
    `refetch: true` and the browser reloads the objects after applying the changes.
    """
    from clusterlab.labs.api.clusters import SERIALIZERS
    from clusterlab.labs.snapshot import get_engine, load_rows, status_of

    changes = list(revision.changes or [])
    rows = load_rows(cluster.pk)
    snap = get_engine(cluster).cluster
    out = []
    for c in changes:
        if c.get("kind") == "ClusterConfig":
            continue
        key = (c["kind"], c.get("namespace", ""), c["name"])
        item = {"kind": c["kind"], "namespace": key[1], "name": key[2],
                "action": c.get("action", "updated")}
        row = rows.get(key)
        if item["action"] != "deleted" and row is not None:
            data = dict(SERIALIZERS[type(row)](row).data)
            data["status"] = status_of(snap, key)
            data["stored"] = True
            item["object"] = data
            if item["action"] == "moved":
                item["action"] = "updated"
        out.append(item)
    author = getattr(revision, "author", None)
    return {
        "type": "cluster.changed",
        "resource_version": revision.number,
        "previous_version": revision.number - 1,
        "by": getattr(author, "username", None),
        "refetch": any(c.get("action") != "moved" for c in changes),
        "changes": out,
    }


@receiver(cluster_changed, dispatch_uid="live.broadcast")
def broadcast_change(sender: Any, cluster: Any, revision: Any, **kwargs: Any) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Encoded once here; each daphne process's fan-out writes the text to its sockets.
    event = frame_event(cluster.id, change_event(cluster, revision))
    async_to_sync(layer.group_send)(frames_group(cluster.id), event)


@receiver(cluster_access_changed, dispatch_uid="live.access")
def broadcast_access(sender: Any, cluster_id: int, **kwargs: Any) -> None:
    """Each process re-checks its viewers of the cluster and closes the sockets of those
    who may no longer read it (live/fanout.py): a withdrawn share ends the watching."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(frames_group(cluster_id),
                                    {"type": ACCESS, "cluster": cluster_id})
