"""Socket requests (`trace` and the ping/curl/nslookup shortcuts) → engine queries.

A request is checked field by field before the engine runs, so a typo comes back as
an `error` naming the field. The engine works on the cluster's cached snapshot
(labs.snapshot.get_engine, keyed by resource version).
"""

from __future__ import annotations

from typing import Any

from clusterlab.sim.query import QueryError, run_query

SHORTCUT_PORTS = {"curl": 80}


class TraceRequestError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def parse_request(content: dict) -> dict[str, Any]:
    """Normalise a client message into a connect (or dns) query."""
    kind = content.get("type")
    source = content.get("source")
    if isinstance(source, str):
        if not source:
            raise TraceRequestError("source", "Required value")
    elif isinstance(source, dict):
        if not ({"ip"} == set(source) or {"node"} == set(source)):
            raise TraceRequestError("source", 'must be "ns/pod", {"ip": …} or {"node": …}')
    else:
        raise TraceRequestError("source", 'must be "ns/pod", {"ip": …} or {"node": …}')
    target = content.get("target")
    if not isinstance(target, str) or not target.strip():
        raise TraceRequestError("target", "Required value")
    if kind == "nslookup":
        if not isinstance(source, str):
            raise TraceRequestError("source", "nslookup runs inside a pod: give ns/pod")
        return {"kind": "dns", "from": source, "name": target.strip(),
                "type": content.get("qtype", "A")}
    port = content.get("port", SHORTCUT_PORTS.get(kind))
    protocol = content.get("protocol", "TCP")
    if kind == "ping":
        protocol = "ICMP"
        port = None
    elif port is None:
        raise TraceRequestError("port", "Required value")
    query: dict[str, Any] = {"kind": "connect", "from": source, "to": target.strip(),
                             "protocol": protocol}
    if port is not None:
        query["port"] = port
    for optional in ("via_node", "seed"):
        if content.get(optional) is not None:
            query[optional] = content[optional]
    return query


def run_request(cluster_id: int, query: dict[str, Any]) -> dict[str, Any]:
    from django.db import close_old_connections

    from clusterlab.labs.models import Cluster
    from clusterlab.labs.snapshot import get_engine

    try:
        engine = get_engine(Cluster.objects.get(pk=cluster_id))
    finally:
        close_old_connections()  # worker threads must not keep database sessions open
    try:
        result = run_query(engine, query)
    except QueryError as exc:
        raise TraceRequestError(exc.field, str(exc)[len(exc.field) + 2:]) from None
    if query["kind"] == "dns":
        return {"verdict": "delivered" if result.get("rcode") == "NOERROR" else "dropped",
                "reason": f"{query['name']}: {result.get('rcode')}", "dns": result,
                "hops": result.get("hops", [])}
    return result


def warm_engine(cluster_id: int) -> None:
    """Load the cluster's snapshot into the engine cache (no-op when it is there)."""
    from django.db import close_old_connections

    from clusterlab.labs.models import Cluster
    from clusterlab.labs.snapshot import get_engine

    try:
        cluster = Cluster.objects.filter(pk=cluster_id).first()
        if cluster is not None:
            engine = get_engine(cluster)
            engine.kubeproxy, engine.policy, engine.dns, engine.dataplane  # noqa: B018
    except Exception:  # a warm-up must never break a viewer's socket; the trace will say why
        return
    finally:
        close_old_connections()
