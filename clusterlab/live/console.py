"""The kubectl-like console over the WebSocket: one command line → kubectl's output.

Reads (`get`, `describe`, `exec …`) are answered from the cluster's cached snapshot;
what the snapshot does not record (creation times for AGE) comes from the database
rows, and `now` is the real clock, so `kubectl get pods` ages like a real cluster's.

Writes (`apply`, `create`, `delete`, `label`; sim/console/writes.py decides what kubectl
would send and prints its answers) go through the one write path (labs/changes.py), but
never blindly: a dry run first computes the flows the change opens and cuts on the
heatmap's port (the same what-if as the YAML pane and the inspector). A change that
moves no flow is written at once; one that does waits, as a pending plan kept by the
socket, for the user's "apply" (written only if the cluster is still at the previewed
version) or "discard". A reader of a shared cluster gets RBAC's Forbidden, as kubectl
would print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from clusterlab.sim.console.heredoc import split_input
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.console.writes import WritePlan, forbidden, plan_write, report, server_error
from clusterlab.sim.kubectl import Facts, run_command

PLURAL = {"Namespace": "namespaces", "Node": "nodes", "Pod": "pods", "Service": "services",
          "NetworkPolicy": "networkpolicies", "EndpointSlice": "endpointslices"}
CLUSTER_SCOPED = {"Namespace", "Node"}
# labs errors → the API server's status reasons kubectl prints (`Error from server (…)`)
REASONS = {"Invalid": "Invalid", "AlreadyExists": "AlreadyExists", "NotFound": "NotFound",
           "Conflict": "Conflict", "TooLarge": "RequestEntityTooLarge",
           "EngineFailure": "InternalError"}


@dataclass(frozen=True)
class Pending:
    """A write previewed but not yet applied: the plan and the version it was checked on."""

    plan: WritePlan
    version: int
    command: str


def facts_for(cluster: Any, rows: Any) -> Facts:
    """Creation times (for AGE) of the stored `rows` of `cluster`."""
    created = {}
    for (kind, namespace, name), row in rows.items():
        plural = PLURAL.get(kind)
        if plural is None:
            continue
        key = f"{plural}/{name}" if kind in CLUSTER_SCOPED else f"{plural}/{namespace}/{name}"
        created[key] = row.created
    return Facts(cluster_created=cluster.created, created=created)


def _output(result: CommandResult, **extra: Any) -> dict[str, Any]:
    return {"stdout": result.stdout, "stderr": result.stderr, "exit_code": result.exit_code,
            **extra}


def run_console(cluster_id: int, command: str, namespace: str = "default", *,
                user: Any = None, port: int | str = 80,
                protocol: str = "TCP") -> dict[str, Any]:
    """Answer one console input. A write's answer may carry `whatif` (the flow diff) and
    `pending` (a Pending the caller keeps until the user applies or discards it)."""
    from django.db import close_old_connections

    from clusterlab.labs.models import Cluster
    from clusterlab.labs.snapshot import get_engine, load_rows

    try:
        cluster = Cluster.objects.get(pk=cluster_id)
        rows = load_rows(cluster.pk)
        now = timezone.now()
        plan = plan_write(command, namespace, {k: r.manifest for k, r in rows.items()}, now)
        if plan is None:
            shell = split_input(command)
            if isinstance(shell, CommandResult):
                return _output(shell)
            # Only a read needs the engine and the creation times.
            result = run_command(get_engine(cluster), shell.command, namespace=namespace,
                                 now=now, facts=facts_for(cluster, rows))
            return _output(CommandResult(result.stdout, shell.stderr + result.stderr,
                                         result.exit_code))
        if isinstance(plan, CommandResult):
            return _output(plan)
        if not _may_write(user, cluster_id):  # asked now, not when the socket opened
            return _output(forbidden(plan, getattr(user, "username", "") or "system:anonymous"))
        return _preview(cluster, user, plan, command, port, protocol)
    finally:
        close_old_connections()  # worker threads must not keep database sessions open


def _may_write(user: Any, cluster_id: int) -> bool:
    from clusterlab.live import access

    return user is not None and access.level(user, cluster_id) == access.WRITE


def _changes(plan: WritePlan) -> list[Any]:
    from clusterlab.labs.changes import Change

    out = [Change(*key, manifest=manifest, create_only=plan.create_only, source=source)
           for (source, manifest), key in zip(plan.upserts, plan.keys, strict=True)]
    out += [Change(*key, delete=True, must_exist=True) for key in plan.deletes]
    return out


def _commit(cluster: Any, user: Any, plan: WritePlan, *, dry_run: bool,
            expected_version: int | None = None) -> Any:
    """commit_change, or the CommandResult of kubectl printing the server's refusal."""
    from clusterlab.labs.changes import commit_change
    from clusterlab.labs.errors import LabsError

    try:
        return commit_change(cluster, user, _changes(plan), dry_run=dry_run,
                             expected_version=expected_version,
                             message=f"console: kubectl {plan.verb}")
    except LabsError as exc:
        missing = _missing_namespaces(exc)
        if missing:
            return report(plan, failures=missing)
        reason = REASONS.get(type(exc).__name__, "BadRequest")
        return server_error(plan, reason, exc.detail)


def _missing_namespaces(exc: Any) -> list[tuple[tuple[str, str, str], str, str]]:
    """An object in a namespace that does not exist is the API server's NotFound
    (`namespaces "shop" not found`, VAL-1), not an Invalid field: one per object."""
    from clusterlab.sim.errors import NOT_FOUND

    errors = exc.extra.get("errors") or []
    if not errors or not all(e.get("field") == "metadata.namespace"
                             and e.get("type") == NOT_FOUND and e.get("object")
                             for e in errors):
        return []
    out = []
    for e in errors:
        obj = e["object"]
        out.append(((obj["kind"], obj["namespace"], obj["name"]), "NotFound",
                    f'namespaces "{obj["namespace"]}" not found'))
    return out


def _report(plan: WritePlan, result: Any) -> CommandResult:
    return report(plan, created=result.created, updated=result.updated,
                  unchanged=result.unchanged, deleted=result.deleted)


def _preview(cluster: Any, user: Any, plan: WritePlan, command: str, port: int | str,
             protocol: str) -> dict[str, Any]:
    from clusterlab.labs.api.reachability import what_if
    from clusterlab.labs.errors import LabsError

    if not plan.upserts and not plan.deletes:  # nothing reaches the server
        return _output(report(plan))
    dry = _commit(cluster, user, plan, dry_run=True)
    if isinstance(dry, CommandResult):
        return _output(dry)
    try:
        diff = what_if(dry.cluster, dry.snapshot, port, protocol) if dry.changed else None
    except LabsError as exc:  # no preview, no write: the user must see what a change does
        return _output(CommandResult("", f"error: the what-if of this change failed "
                                         f"({exc.detail}); nothing was written\n", 1))
    if plan.dry_run == "server":
        return _output(_report(plan, dry), **({"whatif": diff} if diff else {}))
    # Removed pods take their flows with them (the diff counts flows between pods both
    # sides have): a deletion waits for "apply" too; a pod that only arrives does not.
    moves = bool(diff and (diff.get("count_cut") or diff.get("count_opened")
                           or diff.get("removed_pods")))
    if not moves:
        done = _commit(cluster, user, plan, dry_run=False,
                       expected_version=dry.cluster.resource_version)
        if isinstance(done, CommandResult):
            return _output(done)
        note = (f"what-if: no flow changes on {protocol}/{port}" if diff is not None
                else None)
        return _output(_report(plan, done), **({"note": note} if note else {}))
    pending = Pending(plan, dry.cluster.resource_version, command)
    return _output(CommandResult("", "", 0), whatif=diff, pending=pending, note=(
        f"what-if on {protocol}/{port}: {diff['summary']}. Nothing is written yet: "
        "Apply or Discard below."))


def confirm(cluster_id: int, pending: Pending, user: Any) -> dict[str, Any]:
    """Write a previewed plan, if the cluster is still the version it was previewed on."""
    from django.db import close_old_connections

    from clusterlab.labs.models import Cluster

    try:
        cluster = Cluster.objects.get(pk=cluster_id)
        if not _may_write(user, cluster_id):  # the share may have changed since the preview
            return _output(forbidden(pending.plan, user.username))
        if cluster.resource_version != pending.version:
            return _output(CommandResult("", (
                f"error: the cluster changed since this preview (v{pending.version} → "
                f"v{cluster.resource_version}); nothing was written. Run the command again "
                "to see what it would do now.\n"), 1))
        done = _commit(cluster, user, pending.plan, dry_run=False,
                       expected_version=pending.version)
        if isinstance(done, CommandResult):
            return _output(done)
        return _output(_report(pending.plan, done))
    finally:
        close_old_connections()
