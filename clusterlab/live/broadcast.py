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


def change_event(cluster: Any, revision: Any, derived: Any = None) -> dict[str, Any]:
    """The `cluster.changed` payload: each object whose entry in `?include=objects`
    changed, as that listing shows it, so a viewer's state stays initial fetch + events.

    Besides the objects the write names, that is what it moved (`derived`,
    labs/changes.Derived): stored objects whose allocation changed, and a workload's pods.
    A deleted stored object that the engine still holds (a built-in namespace) comes back
    as its implicit entry. Only a config change (everything may be re-allocated), or a
    sender that gives no `derived`, leaves `refetch: true`: 1,000 viewers each reloading
    a 1,000-pod cluster would cost the servers about a minute of CPU per edit.
    """
    from clusterlab.labs.listing import engine_object, implicit_entry, stored_entry
    from clusterlab.labs.snapshot import get_engine, load_rows, owned_by

    changes = list(revision.changes or [])
    rows = load_rows(cluster.pk)
    snap = get_engine(cluster).cluster
    out: dict[tuple[str, str, str], dict[str, Any]] = {}

    def put(key: tuple[str, str, str], created: bool = False) -> None:
        """The key's entry as the listing now shows it: stored, the engine's own, or gone."""
        item: dict[str, Any] = {"kind": key[0], "namespace": key[1], "name": key[2]}
        row = rows.get(key)
        held = engine_object(snap, key) if row is None else None
        if row is not None:
            item.update(action="created" if created else "updated",
                        object=stored_entry(row, snap))
        elif held is not None:
            item.update(action="updated", object=implicit_entry(snap, held))
        else:
            item["action"] = "deleted"
        out[key] = item

    for c in changes:
        if c.get("kind") in ("ClusterConfig", "Cluster"):  # not objects of the listing
            continue
        put((c["kind"], c.get("namespace", ""), c["name"]), created=c.get("action") == "created")
    if derived is not None:
        for key in (*derived.restated, *derived.pods_gone):
            put(key)
        for kind, namespace, name in derived.pods_of:
            for pod in snap.pods_by_namespace.get(namespace, ()):
                if owned_by(pod, kind, name):
                    put(("Pod", namespace, pod.name))
    author = getattr(revision, "author", None)
    renamed = next((c.get("after") for c in changes if c.get("kind") == "Cluster"), None)
    return {
        "type": "cluster.changed",
        "resource_version": revision.number,
        "previous_version": revision.number - 1,
        "by": getattr(author, "username", None),
        "refetch": derived is None or any(c.get("kind") == "ClusterConfig" for c in changes),
        "changes": list(out.values()),
        **({"cluster": renamed} if isinstance(renamed, dict) else {}),
    }


@receiver(cluster_changed, dispatch_uid="live.broadcast")
def broadcast_change(sender: Any, cluster: Any, revision: Any, derived: Any = None,
                     **kwargs: Any) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Encoded once here; each daphne process's fan-out writes the text to its sockets.
    event = frame_event(cluster.id, change_event(cluster, revision, derived), warm=True)
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
