"""The kubectl-like console over the WebSocket: one command line → kubectl's output.

The engine answers from the cluster's cached snapshot; what the snapshot does not
record (creation times for AGE) comes from the database rows, and `now` is the real
clock, so `kubectl get pods` ages like a real cluster's.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clusterlab.sim.kubectl import Facts, run_command

PLURAL = {"Namespace": "namespaces", "Node": "nodes", "Pod": "pods", "Service": "services",
          "NetworkPolicy": "networkpolicies", "EndpointSlice": "endpointslices"}
CLUSTER_SCOPED = {"Namespace", "Node"}


def facts_for(cluster: Any) -> Facts:
    from clusterlab.labs.snapshot import load_rows

    created = {}
    for (kind, namespace, name), row in load_rows(cluster.pk).items():
        plural = PLURAL.get(kind)
        if plural is None:
            continue
        key = f"{plural}/{name}" if kind in CLUSTER_SCOPED else f"{plural}/{namespace}/{name}"
        created[key] = row.created
    return Facts(cluster_created=cluster.created, created=created)


def run_console(cluster_id: int, command: str, namespace: str = "default") -> dict[str, Any]:
    from django.db import close_old_connections

    from clusterlab.labs.models import Cluster
    from clusterlab.labs.snapshot import get_engine

    try:
        cluster = Cluster.objects.get(pk=cluster_id)
        engine, facts = get_engine(cluster), facts_for(cluster)
    finally:
        close_old_connections()  # worker threads must not keep database sessions open
    result = run_command(engine, command, namespace=namespace, now=timezone.now(), facts=facts)
    return {"stdout": result.stdout, "stderr": result.stderr, "exit_code": result.exit_code}
