"""History: the state of a cluster at any revision, diffs between two, restore.

Every write records what it changed with before/after, so undoing the revisions after
N in reverse order turns the current state into the state at N. A restore is a new
write (a new revision), so restoring never loses the state it replaces.
"""

from __future__ import annotations

import copy
from typing import Any

from clusterlab.labs import snapshot
from clusterlab.labs.changes import Change, Result, commit_change
from clusterlab.labs.errors import NotFound
from clusterlab.labs.kinds import BY_KIND, Key
from clusterlab.labs.models import Cluster, Revision


def state_at(cluster_id: int, number: int, current: snapshot.State,
             config: dict[str, Any], version: int) -> tuple[dict[str, Any], snapshot.State]:
    """(config, state) at revision `number`, from the current ones and the history."""
    if number < 1 or number > version:
        raise NotFound(f'revisions "{number}" not found')
    state = {k: snapshot.Obj(copy.deepcopy(o.manifest), {}, o.x, o.y) for k, o in current.items()}
    config = copy.deepcopy(config)
    for revision in Revision.objects.filter(cluster_id=cluster_id, number__gt=number) \
            .order_by("-number").only("changes"):
        for rec in reversed(revision.changes or []):
            config = _undo(rec, state, config)
    return config, state


def _undo(rec: dict[str, Any], state: snapshot.State, config: dict[str, Any]) -> dict[str, Any]:
    kind, action = rec.get("kind"), rec.get("action")
    if kind == "ClusterConfig":
        return dict(rec.get("before") or {}) if action == "updated" else config
    if kind not in BY_KIND:
        return config
    key: Key = (kind, rec.get("namespace", ""), rec.get("name", ""))
    if action == "created":
        state.pop(key, None)
    elif action == "deleted":
        pos = rec.get("position") or {}
        state[key] = snapshot.Obj(rec["before"], {}, pos.get("x"), pos.get("y"))
    elif action == "updated" and key in state:
        state[key].manifest = rec["before"]
    elif action == "moved" and key in state:
        before = rec.get("before") or {}
        state[key].x, state[key].y = before.get("x"), before.get("y")
    return config


def diff_states(a: tuple[dict[str, Any], snapshot.State],
                b: tuple[dict[str, Any], snapshot.State]) -> list[dict[str, Any]]:
    """What changes a → b: `{kind, namespace, name, action, before, after}` per object."""
    (config_a, state_a), (config_b, state_b) = a, b
    out: list[dict[str, Any]] = []
    if config_a != config_b:
        out.append({"kind": "ClusterConfig", "namespace": "", "name": "", "action": "updated",
                    "before": config_a, "after": config_b})
    for key in list(state_a) + [k for k in state_b if k not in state_a]:
        before, after = state_a.get(key), state_b.get(key)
        entry = {"kind": key[0], "namespace": key[1], "name": key[2]}
        if after is None:
            out.append(entry | {"action": "deleted", "before": before.manifest, "after": None})
        elif before is None:
            out.append(entry | {"action": "created", "before": None, "after": after.manifest})
        elif before.manifest != after.manifest:
            out.append(entry | {"action": "updated", "before": before.manifest,
                                "after": after.manifest})
        elif (before.x, before.y) != (after.x, after.y):
            out.append(entry | {"action": "moved", "before": {"x": before.x, "y": before.y},
                                "after": {"x": after.x, "y": after.y}})
    return out


def current(cluster: Cluster) -> tuple[dict[str, Any], snapshot.State]:
    rows = snapshot.load_rows(cluster.pk)
    return dict(cluster.config or {}), snapshot.state_of(rows)


def at(cluster: Cluster, number: int) -> tuple[dict[str, Any], snapshot.State]:
    config, state = current(cluster)
    return state_at(cluster.pk, number, state, config, cluster.resource_version)


def restore(cluster: Cluster, user: Any, number: int,
            expected_version: int | None = None) -> Result:
    """Make the cluster look as it did at revision `number`, as a new revision."""

    def plan(state: snapshot.State, config: dict[str, Any]):  # type: ignore[no-untyped-def]
        locked_version = Cluster.objects.values_list("resource_version", flat=True) \
            .get(pk=cluster.pk)
        target_config, target = state_at(cluster.pk, number, state, config, locked_version)
        changes: list[Change] = []
        for key in state:
            if key not in target:
                changes.append(Change(*key, delete=True))
        for key, obj in target.items():
            now = state.get(key)
            position = (obj.x, obj.y)
            if now is None or now.manifest != obj.manifest:
                changes.append(Change(*key, manifest=obj.manifest, position=position))
            elif (now.x, now.y) != position:
                changes.append(Change(*key, position=position))
        return changes, target_config

    return commit_change(cluster, user, plan, expected_version=expected_version,
                         message=f"restore revision {number}")
