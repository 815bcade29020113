"""The one write path: every change to a cluster goes through `commit_change`.

In one transaction, with the cluster row locked (`select_for_update`): check the
expected version (409 with the current one when stale), validate the whole would-be
cluster with the engine (400 with field-level errors, nothing written), write the
rows, bump `resource_version`, record a `Revision`, and after commit hand the new
snapshot to the cache and send `signals.cluster_changed` (DESIGN: Zulip's "one
function sends every change event").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from clusterlab.labs import snapshot
from clusterlab.labs.errors import AlreadyExists, Conflict, Invalid, NotFound
from clusterlab.labs.kinds import BY_KIND, Key, describe
from clusterlab.labs.models import Cluster, ClusterObject, Revision, Workload
from clusterlab.labs.signals import cluster_changed
from clusterlab.sim import model as sim
from clusterlab.sim.engine import Engine
from clusterlab.sim.errors import ManifestError, ObjectRef, Problem
from clusterlab.sim.validation import validate_object, validate_update

log = logging.getLogger(__name__)
MAX_OBJECTS = int(os.environ.get("CLUSTERLAB_MAX_OBJECTS", "20000"))


@dataclass
class Change:
    """One requested change. `manifest` set: create or update; `delete`: remove."""

    kind: str
    namespace: str
    name: str
    manifest: dict[str, Any] | None = None
    delete: bool = False
    position: tuple[float | None, float | None] | None = None
    create_only: bool = False  # POST: AlreadyExists when present
    must_exist: bool = False  # PUT/PATCH/DELETE/position: NotFound when absent
    source: str = ""

    @property
    def key(self) -> Key:
        return (self.kind, self.namespace, self.name)


# A planner sees the locked current state and config; it returns the changes, or the
# changes and a new config (restore does).
Planner = Callable[[snapshot.State, dict[str, Any]],
                   "list[Change] | tuple[list[Change], dict[str, Any]]"]


@dataclass
class Derived:
    """What a write changed besides the objects it names, so viewers can follow it from
    the change event alone: stored objects whose computed status moved (an allocation),
    workloads whose pods must be sent again, and workload pods that are gone."""

    restated: list[Key] = field(default_factory=list)
    pods_of: list[Key] = field(default_factory=list)
    pods_gone: list[Key] = field(default_factory=list)


@dataclass
class Result:
    cluster: Cluster
    revision: Revision | None
    created: list[Key] = field(default_factory=list)
    updated: list[Key] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)
    unchanged: list[Key] = field(default_factory=list)
    moved: list[Key] = field(default_factory=list)
    config_changed: bool = False
    snapshot: sim.Cluster | None = None
    derived: Derived = field(default_factory=lambda: Derived())

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.moved
                    or self.config_changed)

    def summary(self) -> dict[str, Any]:
        def ids(keys: list[Key]) -> list[dict[str, str]]:
            return [{"kind": k, "namespace": ns, "name": n} for k, ns, n in keys]

        return {"created": ids(self.created), "updated": ids(self.updated),
                "deleted": ids(self.deleted), "unchanged": ids(self.unchanged),
                "moved": ids(self.moved), "config_changed": self.config_changed,
                "resource_version": self.cluster.resource_version}


def commit_change(cluster: Cluster, user: Any, changes: list[Change] | Planner, *,
                  expected_version: int | None = None, message: str = "",
                  config: Mapping[str, Any] | None = None,
                  fields: Mapping[str, Any] | None = None,
                  dry_run: bool = False) -> Result:
    """Apply `changes` (or a planner called with the locked current state) atomically.

    `config` replaces Cluster.config; `fields` sets name/description/visibility. With
    `dry_run` everything is checked and the would-be result returned, nothing written.
    """
    with transaction.atomic():
        # A dry run changes nothing, so it takes no lock (what-if questions by readers
        # must not hold up writers while the engine loads).
        query = Cluster.objects if dry_run else Cluster.objects.select_for_update()
        locked = query.get(pk=cluster.pk)
        if expected_version is not None and expected_version != locked.resource_version:
            raise Conflict(locked.resource_version, name=locked.name)
        rows = snapshot.load_rows(locked.pk)
        state = snapshot.state_of(rows)
        old_config = dict(locked.config or {})
        if callable(changes):
            planned = changes(state, old_config)
            if isinstance(planned, tuple):
                changes, config = planned
            else:
                changes = planned
        new_config = dict(config) if config is not None else old_config
        result = Result(cluster=locked, revision=None,
                        config_changed=new_config != old_config)
        new_state = dict(state)
        records: list[dict[str, Any]] = []
        sources: dict[Key, str] = {}
        manifests_changed = result.config_changed
        for ch in changes:
            manifests_changed |= _plan_one(ch, new_state, result, records, sources)
        field_changes = {k: v for k, v in (fields or {}).items() if getattr(locked, k) != v}
        if result.config_changed:
            records.append({"kind": "ClusterConfig", "namespace": "", "name": "",
                            "action": "updated", "before": old_config, "after": new_config})
        if field_changes:
            records.append({"kind": "Cluster", "namespace": "", "name": "", "action": "updated",
                            "before": {k: getattr(locked, k) for k in field_changes},
                            "after": dict(field_changes)})
        if not result.changed and not field_changes:
            return result
        loaded: sim.Cluster | None = None
        if manifests_changed:
            check_size(new_state)
            loaded = snapshot.load_checked(new_config, new_state, sources)
            result.snapshot = loaded
        if dry_run:
            return result
        _write(locked, rows, new_state, result, loaded)
        old_version = locked.resource_version
        locked.resource_version = old_version + 1
        locked.config = new_config
        for name, value in field_changes.items():
            setattr(locked, name, value)
        locked.save()
        revision = Revision.objects.create(
            cluster=locked, number=locked.resource_version,
            author=user if getattr(user, "is_authenticated", False) else None,
            message=message[:500], changes=records)
        result.revision = revision
        _after_commit(locked, revision, old_version, loaded, result.derived)
        return result


def object_count(state: snapshot.State) -> int:
    """Objects the engine will hold: stored ones, with each workload counted as its pods."""
    count = 0
    for key, obj in state.items():
        if key[0] in ("Deployment", "ReplicaSet"):
            spec = obj.manifest.get("spec")
            replicas = spec.get("replicas", 1) if isinstance(spec, dict) else 1
            count += replicas if isinstance(replicas, int) and replicas > 0 else 1
        else:
            count += 1
    return count


def check_size(state: snapshot.State) -> None:
    """At most MAX_OBJECTS objects (pods of Deployments included), checked before loading."""
    count = object_count(state)
    if count > MAX_OBJECTS:
        raise Invalid(f"too many objects: {count}: a cluster may hold at most {MAX_OBJECTS} "
                      "(pods of Deployments and ReplicaSets included)",
                      [{"field": "items", "type": "Too many",
                        "message": f"items: Too many: {count}: must have at most "
                                   f"{MAX_OBJECTS} items"}])


def _plan_one(ch: Change, new_state: snapshot.State, result: Result,
              records: list[dict[str, Any]], sources: dict[Key, str]) -> bool:
    """Apply one change to the would-be state; True when a manifest changed."""
    key = ch.key
    current = new_state.get(key)
    if ch.source:
        sources[key] = ch.source
    if ch.delete:
        if current is None:
            if ch.must_exist:
                raise NotFound(f"{describe(key)} not found")
            return False
        del new_state[key]
        earlier = [r for r in records if (r["kind"], r["namespace"], r["name"]) == key]
        for r in earlier:  # changed earlier in this same write: net effect only
            records.remove(r)
        for bucket in (result.updated, result.moved, result.unchanged):
            if key in bucket:
                bucket.remove(key)
        if key in result.created:
            result.created.remove(key)
            return True
        before = next((r["before"] for r in earlier if r["action"] == "updated"),
                      current.manifest)
        result.deleted.append(key)
        records.append(_record(key, "deleted", before, None,
                               position={"x": current.x, "y": current.y}))
        if key[0] == "Namespace":  # the namespace controller deletes what it contains
            for inner in [k for k in new_state if k[1] == key[2] and k[0] != "Namespace"]:
                _plan_one(Change(*inner, delete=True), new_state, result, records, sources)
        return True
    if ch.manifest is not None:
        if current is None:
            if ch.must_exist:
                raise NotFound(f"{describe(key)} not found")
            x, y = ch.position if ch.position else (None, None)
            new_state[key] = snapshot.Obj(ch.manifest, {}, x, y)
            result.created.append(key)
            records.append(_record(key, "created", None, ch.manifest, position={"x": x, "y": y}))
            return True
        if ch.create_only:
            raise AlreadyExists(f"{describe(key)} already exists")
        if current.manifest == ch.manifest:
            if key not in result.unchanged:
                result.unchanged.append(key)
            changed = False
        else:
            _check_update(key, current, ch.manifest, ch.source)
            new_state[key] = snapshot.Obj(ch.manifest, current.status, current.x, current.y)
            result.updated.append(key)
            records.append(_record(key, "updated", current.manifest, ch.manifest))
            changed = True
        if ch.position is not None:
            _move(key, ch.position, new_state, result, records)
        return changed
    if ch.position is not None:
        if current is None:
            raise NotFound(f"{describe(key)} not found")
        _move(key, ch.position, new_state, result, records)
    return False


def _check_update(key: Key, current: snapshot.Obj, manifest: dict[str, Any],
                  source: str) -> None:
    """The API server's update rules (allocated cluster IPs and podCIDRs do not change),
    reported with the new object's own errors after them, as `ValidateServiceUpdate` does."""
    errors = validate_update(key[0], current.manifest, current.status, manifest)
    if errors:
        errors += validate_object(key[0], manifest)
        ref = ObjectRef(key[0], key[2], key[1], source)
        raise Invalid.from_manifest_error(ManifestError([Problem(e, ref) for e in errors]))


def _move(key: Key, position: tuple[float | None, float | None], new_state: snapshot.State,
          result: Result, records: list[dict[str, Any]]) -> None:
    obj = new_state[key]
    x, y = position
    if (obj.x, obj.y) == (x, y):
        return
    new_state[key] = snapshot.Obj(obj.manifest, obj.status, x, y)
    result.moved.append(key)
    records.append(_record(key, "moved", {"x": obj.x, "y": obj.y}, {"x": x, "y": y}))


def _record(key: Key, action: str, before: Any, after: Any, **extra: Any) -> dict[str, Any]:
    return {"kind": key[0], "namespace": key[1], "name": key[2], "action": action,
            "before": before, "after": after, **extra}


def labels_of(manifest: Mapping[str, Any]) -> dict[str, Any]:
    metadata = manifest.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return dict(labels) if isinstance(labels, dict) else {}


def _write(cluster: Cluster, rows: dict[Key, ClusterObject], new_state: snapshot.State,
           result: Result, loaded: sim.Cluster | None) -> None:
    """Rows follow the would-be state; denormalised columns follow the engine's view."""
    now = timezone.now()
    deleted_by_model: dict[type[ClusterObject], list[int]] = {}
    derived = result.derived
    for key in result.deleted:
        row = rows[key]
        deleted_by_model.setdefault(type(row), []).append(row.pk)
        derived.pods_gone += _owned_pods(key, row.status, {})
    for model, pks in deleted_by_model.items():
        model.objects.filter(pk__in=pks).delete()

    dirty: dict[type[ClusterObject], dict[int, ClusterObject]] = {}
    fields_by_model: dict[type[ClusterObject], set[str]] = {}

    def touch(row: ClusterObject, *names: str) -> None:
        dirty.setdefault(type(row), {})[row.pk] = row
        fields_by_model.setdefault(type(row), set()).update(names, ("updated",))
        row.updated = now

    for key in result.updated:
        row = rows[key]
        row.manifest = new_state[key].manifest
        row.labels = labels_of(row.manifest)
        touch(row, "manifest", "labels")
    for key in result.moved:
        if key in rows:
            row = rows[key]
            row.x, row.y = new_state[key].x, new_state[key].y
            touch(row, "x", "y")

    new_rows: dict[type[ClusterObject], list[ClusterObject]] = {}
    for key in result.created:
        kind, namespace, name = key
        spec = BY_KIND[kind]
        obj = new_state[key]
        row = spec.model(cluster=cluster, namespace=namespace, name=name, manifest=obj.manifest,
                         labels=labels_of(obj.manifest), x=obj.x, y=obj.y)
        if isinstance(row, Workload):
            row.workload_kind = kind
        new_rows.setdefault(spec.model, []).append(row)
        rows[key] = row

    if loaded is not None:
        # Allocations of unchanged objects can move too (a node deleted, a CIDR changed).
        for key in new_state:
            row = rows[key]
            status = snapshot.status_of(loaded, key)
            if status != row.status or row.pk is None:
                if row.pk is not None and key not in result.updated:
                    derived.restated.append(key)
                if isinstance(row, Workload):
                    derived.pods_of.append(key)
                    derived.pods_gone += _owned_pods(key, row.status or {}, status)
                row.status = status
                columns = row.columns_from_status(status)
                for name, value in columns.items():
                    setattr(row, name, value)
                if row.pk is not None:
                    touch(row, "status", *columns)
    for model, items in new_rows.items():
        model.objects.bulk_create(items, batch_size=500)
    for model, by_pk in dirty.items():
        model.objects.bulk_update(list(by_pk.values()), sorted(fields_by_model[model]),
                                  batch_size=500)


def _owned_pods(key: Key, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Key]:
    """Pods a workload had `before` and no longer has `after` (its status lists them)."""
    def names(status: Mapping[str, Any]) -> set[str]:
        pods = status.get("pods") if isinstance(status, Mapping) else None
        return {p["name"] for p in pods or () if isinstance(p, Mapping) and "name" in p}

    return [("Pod", key[1], name) for name in sorted(names(before) - names(after))]


def _after_commit(cluster: Cluster, revision: Revision, old_version: int,
                  loaded: sim.Cluster | None, derived: Derived) -> None:
    cluster_id, version = cluster.pk, cluster.resource_version

    def done() -> None:
        if loaded is not None:
            snapshot.remember(cluster_id, version, Engine(loaded))
        else:  # positions or metadata only: the engine's view did not change
            previous = snapshot.cached(cluster_id, old_version)
            if previous is not None:
                snapshot.remember(cluster_id, version, previous)
        # The write is committed: a failing receiver (say, Redis down) is logged, never
        # turned into an error for the writer.
        for receiver, outcome in cluster_changed.send_robust(sender=Cluster, cluster=cluster,
                                                             revision=revision,
                                                             derived=derived):
            if isinstance(outcome, Exception):
                log.error("cluster_changed receiver %r failed: %r", receiver, outcome,
                          exc_info=outcome)

    transaction.on_commit(done, robust=True)


def create_cluster(owner: Any, *, name: str, description: str = "",
                   config: Mapping[str, Any] | None = None, visibility: str = "private",
                   objects: snapshot.State | None = None, message: str = "created") -> Cluster:
    """A new cluster at resource_version 1 with revision 1 recording its initial objects."""
    config = dict(config or {})
    state = dict(objects or {})
    check_size(state)
    loaded = snapshot.load_checked(config, state)
    with transaction.atomic():
        cluster = Cluster.objects.create(owner=owner, name=name, description=description,
                                         config=config, visibility=visibility,
                                         resource_version=1)
        result = Result(cluster=cluster, revision=None, created=list(state))
        records = [{"kind": "ClusterConfig", "namespace": "", "name": "", "action": "created",
                    "before": None, "after": config}]
        records += [_record(k, "created", None, o.manifest, position={"x": o.x, "y": o.y})
                    for k, o in state.items()]
        _write(cluster, {}, state, result, loaded)
        revision = Revision.objects.create(cluster=cluster, number=1, author=owner,
                                           message=message, changes=records)
        _after_commit(cluster, revision, 0, loaded, result.derived)
    return cluster
