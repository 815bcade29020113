"""The `?include=objects` listing of a cluster version: every object, stored or implicit
(a workload's pods, built-in namespaces and Services), with the engine's status. It is a
viewer's whole state before `cluster.changed` events (live/broadcast.py).

Every reader of a version gets the same listing, so it is built and JSON-encoded once per
version per process. A class of 1,000 opening a 1,000-pod cluster at once used to build
it 1,000 times (~60 ms of CPU and 685 KB each): 86-90 % of those requests failed
(docs/performance.md). Requests for a version not built yet wait for the one building it.
"""

from __future__ import annotations

import threading
from typing import Any

from rest_framework.renderers import JSONRenderer

from clusterlab.labs import snapshot
from clusterlab.labs.kinds import BY_KIND, KINDS
from clusterlab.labs.models import Cluster
from clusterlab.labs.serializers import SERIALIZERS

_encoded: snapshot.VersionCache[bytes] = snapshot.VersionCache(snapshot.CACHE_SIZE)
_building: dict[tuple[int, int], threading.Lock] = {}
_building_guard = threading.Lock()


def listing_json(cluster: Cluster) -> bytes:
    """The listing of the cluster's current version as JSON (DRF's renderer), built once
    per version; `cluster.resource_version` is set to the version it shows."""
    current = Cluster.objects.filter(pk=cluster.pk).values_list("resource_version",
                                                                 flat=True).first()
    if current is not None:
        cluster.resource_version = current
    key = (cluster.pk, cluster.resource_version)
    body = _encoded.get(key)
    if body is not None:
        return body
    with _building_guard:
        lock = _building.setdefault(key, threading.Lock())
    with lock:
        body = _encoded.get(key)
        if body is None:
            body = JSONRenderer().render(objects_payload(cluster))  # may move the version
            _encoded.put((cluster.pk, cluster.resource_version), body)
    with _building_guard:
        _building.pop(key, None)
    return body


def objects_payload(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    """Every object, stored or implicit, with the engine's status at this version."""
    for _attempt in range(3):  # rows and engine of one version, the one reported
        rows = snapshot.load_rows(cluster.pk)
        current = Cluster.objects.filter(pk=cluster.pk).values_list("resource_version",
                                                                     flat=True).first()
        if current == cluster.resource_version:
            break
        cluster.resource_version = current or cluster.resource_version
    snap = snapshot.get_engine(cluster).cluster
    out: dict[str, list[dict[str, Any]]] = {spec.plural: [] for spec in KINDS}
    by_model: dict[type, list[Any]] = {}
    for row in rows.values():
        by_model.setdefault(type(row), []).append(row)
    for model, items in by_model.items():  # one serializer per kind: fields built once
        for row, data in zip(items, SERIALIZERS[model](items, many=True).data, strict=True):
            key = (row.kind, row.namespace, row.name)
            data = dict(data)
            data["status"] = snapshot.status_of(snap, key)
            data["stored"] = True
            out[BY_KIND[key[0]].plural].append(data)
    stored = set(rows)
    for obj in (*snap.namespaces, *snap.nodes, *snap.pods, *snap.services,
                *snap.network_policies):
        entry = implicit_entry(snap, obj)
        if (entry["kind"], entry["namespace"], entry["name"]) not in stored:
            out[BY_KIND[entry["kind"]].plural].append(entry)
    return out


def stored_entry(row: Any, snap: Any) -> dict[str, Any]:
    """A stored object as `?include=objects` lists it (and `cluster.changed` sends it)."""
    data = dict(SERIALIZERS[type(row)](row).data)
    data["status"] = snapshot.status_of(snap, (row.kind, row.namespace, row.name))
    data["stored"] = True
    return data


def implicit_entry(snap: Any, obj: Any) -> dict[str, Any]:
    """An object the engine holds without a stored row (a workload's pod, a built-in
    namespace or Service), as `?include=objects` lists it."""
    kind = type(obj).__name__  # the engine's classes carry the kinds' names
    namespace = "" if kind in ("Namespace", "Node") else obj.namespace
    status_ = snapshot.status_of(snap, (kind, namespace, obj.name))
    entry = {"kind": kind, "namespace": namespace, "name": obj.name, "manifest": None,
             "labels": dict(obj.labels), "x": None, "y": None, "status": status_,
             "stored": False}
    if kind == "Pod":
        entry["owner"] = obj.owner
    entry.update(BY_KIND[kind].model().columns_from_status(status_))
    return entry


def engine_object(snap: Any, key: tuple[str, str, str]) -> Any:
    """The engine's object for a key of the five kinds it holds (None when absent)."""
    kind, namespace, name = key
    if kind == "Namespace":
        return snap.namespace_by_name.get(name)
    if kind == "Node":
        return snap.node_by_name.get(name)
    lookup = {"Pod": snap.pod_by_key, "Service": snap.service_by_key,
              "NetworkPolicy": snap.policy_by_key}.get(kind)
    return lookup.get(f"{namespace}/{name}") if lookup is not None else None
