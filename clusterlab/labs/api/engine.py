"""The engine's answers over HTTP: connect, dns, policy, healthcheck, matrix, matrix
diff, node tables. Read-only: anyone who may read the cluster may ask.

The snapshot is the cached one of the cluster's current version (labs/snapshot.py),
so asking repeatedly never reloads the cluster.
"""

from __future__ import annotations

import logging
from ipaddress import IPv4Address, IPv4Network
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from clusterlab.labs import apply as apply_mod
from clusterlab.labs import revisions, snapshot
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.api.manifests import body_documents
from clusterlab.labs.errors import EngineFailure, Invalid, LabsError, NotFound
from clusterlab.labs.serializers import MatrixDiffRequestSerializer, MatrixRequestSerializer
from clusterlab.sim.engine import Engine
from clusterlab.sim.errors import ManifestError

log = logging.getLogger(__name__)
MAX_QUERIES = 200


class NotImplementedByEngine(LabsError):
    status_code = status.HTTP_501_NOT_IMPLEMENTED


def jsonable(value: Any) -> Any:
    """Engine results may hold IP objects and tuples; JSON wants strings and lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, IPv4Address | IPv4Network):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def query_error(exc: ValueError) -> Invalid:
    field = getattr(exc, "field", None) or str(exc).split(":", 1)[0]
    message = str(exc)
    return Invalid(message, [{"field": field, "type": "Invalid value", "message": message}])


def call_engine(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an engine function: ValueError → 400 naming the field, anything else → 422."""
    try:
        return fn(*args, **kwargs)
    except LabsError:
        raise
    except ValueError as exc:
        raise query_error(exc) from None
    except ManifestError as exc:
        raise Invalid.from_manifest_error(exc) from None
    except Exception as exc:
        log.exception("engine failure in %s", what)
        raise EngineFailure(f"the simulator could not answer this {what} query: "
                            f"{type(exc).__name__}: {exc}") from None


class QueryView(ClusterScopedMixin, APIView):
    """Body: one query without `kind`, or a list of them; the answer mirrors it."""

    query_kind: ClassVar[str] = ""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Any, cluster_id: int) -> Response:
        from clusterlab.sim.query import run_query

        cluster = self.load_cluster()
        data = request.data
        many = isinstance(data, list)
        queries = data if many else [data]
        if len(queries) > MAX_QUERIES:
            raise Invalid(f"queries: Too many: {len(queries)}: must have at most {MAX_QUERIES} "
                          "items", [{"field": "queries", "type": "Too many",
                                     "message": f"at most {MAX_QUERIES} queries per request"}])
        engine = snapshot.get_engine(cluster)
        results = []
        for i, query in enumerate(queries):
            if not isinstance(query, dict):
                field = f"[{i}]" if many else "body"
                raise Invalid(f"{field}: Invalid value: must be a JSON object",
                              [{"field": field, "type": "Invalid value",
                                "message": f"{field}: must be a JSON object"}])
            full = {**query, "kind": self.query_kind}
            results.append(jsonable(call_engine(self.query_kind, run_query, engine, full,
                                                i if many else None)))
        if many:
            return self.versioned({"results": results})
        return self.versioned(results[0])


class ConnectView(QueryView):
    """`{"from": "ns/pod"|{"ip"}|{"node"}, "to", "port", "protocol", "via_node", "seed"}`."""

    query_kind = "connect"


class DNSView(QueryView):
    """`{"from": "ns/pod", "name": "...", "type": "A"|"SRV"|…}`."""

    query_kind = "dns"


class PolicyView(QueryView):
    """`{"from", "to", "port", "protocol"}`: the NetworkPolicy verdict alone."""

    query_kind = "policy"


class HealthCheckView(QueryView):
    """`{"service": "ns/name", "node": "node-1"}`: healthCheckNodePort's answer."""

    query_kind = "healthcheck"


def _port(value: Any) -> int | str:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "" or (
            isinstance(value, int) and not 1 <= value <= 65535):
        message = f"port: Invalid value: {value!r}: must be between 1 and 65535, inclusive, " \
                  "or a port name"
        raise Invalid(message, [{"field": "port", "type": "Invalid value", "message": message}])
    return value


def _matrix(engine: Engine, port: int | str, protocol: str) -> Any:
    return call_engine("matrix", engine.policy.matrix, port, protocol)


def matrix_payload(engine_dict: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    """The engine's matrix JSON in the API's shape, optionally cut to one namespace.

    `{"port", "protocol", "enforced", "pods": [...], "allowed": [[bool]], "summary": {...}}`
    for up to 500 pods; above that `{"groups": [[pod, ...]], "allowed": [[bool]]}` over pod
    groups (pods that policies cannot tell apart), with `"grouped": true`.
    """
    prefix = f"{namespace}/" if namespace else ""
    out: dict[str, Any] = {"port": engine_dict["port"], "protocol": engine_dict["protocol"],
                           "enforced": engine_dict.get("enforced", True)}
    if "pods" in engine_dict:
        keep = [i for i, k in enumerate(engine_dict["pods"]) if k.startswith(prefix)]
        rows = engine_dict["matrix"]
        out["grouped"] = False
        out["pods"] = [engine_dict["pods"][i] for i in keep]
        out["allowed"] = [[rows[i][j] == "1" for j in keep] for i in keep]
        allowed = sum(sum(row) for row in out["allowed"])
        total = len(keep) ** 2
    else:
        groups = [[p for p in g if p.startswith(prefix)] for g in engine_dict["groups"]]
        keep = [i for i, g in enumerate(groups) if g]
        rows = engine_dict["group_matrix"]
        out["grouped"] = True
        out["groups"] = [groups[i] for i in keep]
        out["allowed"] = [[rows[i][j] == "1" for j in keep] for i in keep]
        sizes = [len(groups[i]) for i in keep]
        allowed = sum(sizes[a] * sizes[b] for a, row in enumerate(out["allowed"])
                      for b, ok in enumerate(row) if ok)
        total = sum(sizes) ** 2
        if not namespace:
            allowed, total = engine_dict["allowed"], engine_dict["total"]
    namespaces = [n for n in engine_dict.get("namespaces", [])
                  if not namespace or (n.get("from") == namespace and n.get("to") == namespace)]
    text = f"{allowed} of {total} pod pairs allowed on {out['protocol']}/{out['port']}"
    if not out["enforced"]:
        text += " (NetworkPolicy is not enforced by this CNI: this is what the policies say)"
    out["summary"] = {"allowed": allowed, "total": total, "namespaces": namespaces,
                      "text": text}
    return out


class MatrixView(ClusterScopedMixin, APIView):
    @extend_schema(request=MatrixRequestSerializer, responses={200: OpenApiTypes.OBJECT},
                   description="Pod×pod reachability for one destination port: `pods` and "
                               "`allowed[src][dst]` booleans (or `groups` and a group×group "
                               "`allowed` for big clusters, `grouped: true`), and `summary` "
                               "(counts, per-namespace totals, text).")
    def post(self, request: Any, cluster_id: int) -> Response:
        from clusterlab.sim import reachability

        cluster = self.load_cluster()
        body = MatrixRequestSerializer(data=request.data if isinstance(request.data, dict)
                                       else {})
        body.is_valid(raise_exception=True)
        port = _port(body.validated_data["port"])
        protocol = body.validated_data["protocol"]
        matrix = _matrix(snapshot.get_engine(cluster), port, protocol)
        engine_dict = jsonable(call_engine("matrix", reachability.matrix_to_dict, matrix))
        return self.versioned(matrix_payload(engine_dict, body.validated_data.get("namespace")))


class MatrixDiffView(ClusterScopedMixin, APIView):
    @extend_schema(request=MatrixDiffRequestSerializer, responses={200: OpenApiTypes.OBJECT},
                   description="Flows opened/cut on one port if `manifests` were applied "
                               "(nothing is saved), or if revision `revision` were restored.")
    def post(self, request: Any, cluster_id: int) -> Response:
        from clusterlab.sim import reachability

        cluster = self.load_cluster()
        data = request.data if isinstance(request.data, dict) else {}
        body = MatrixDiffRequestSerializer(data={k: v for k, v in data.items()
                                                 if k != "manifests"})
        body.is_valid(raise_exception=True)
        port = _port(body.validated_data["port"])
        protocol = body.validated_data["protocol"]
        engine = snapshot.get_engine(cluster)
        if data.get("manifests") is not None:
            docs = body_documents(data["manifests"]) if not isinstance(data["manifests"], str) \
                else apply_mod.parse_text(data["manifests"])
            result = apply_mod.apply(cluster, request.user, docs, dry_run=True,
                                     prune=body.validated_data["prune"])
            proposed = Engine(result.snapshot) if result.snapshot is not None else engine
            against = "manifests"
        elif body.validated_data.get("revision") is not None:
            number = body.validated_data["revision"]
            config, state = revisions.at(cluster, number)
            proposed = Engine(snapshot.load_checked(config, state))
            against = f"revision {number}"
        else:
            raise Invalid('body: Required value: "manifests" (YAML) or "revision" (number)',
                          [{"field": "manifests", "type": "Required value",
                            "message": 'manifests: Required value: or "revision"'}])
        old = _matrix(engine, port, protocol)
        new = _matrix(proposed, port, protocol)
        delta = call_engine("matrix diff", reachability.diff, old, new)
        out = jsonable(delta.to_dict())
        out.update({"port": port, "protocol": protocol, "against": against})
        return self.versioned(out)


NODE_VIEWS = ("routes", "addr", "neigh", "iptables", "ipvs")


def _node_view_function() -> Any:
    try:
        from clusterlab.sim.trace import node_view
    except ImportError:
        return None
    return node_view


def node_views(engine: Engine, node: str, shows: tuple[str, ...]) -> tuple[dict[str, str],
                                                                           list[str]]:
    """Each requested view as its tool prints it, and the names the engine cannot give."""
    node_view = _node_view_function()
    out: dict[str, str] = {}
    missing: list[str] = []
    for show in shows:
        if node_view is not None:
            out[show] = call_engine("node tables", node_view, engine, node, show)
        elif show == "iptables":
            from clusterlab.sim import iptables

            out[show] = call_engine("node tables", iptables.iptables_save_nat,
                                    engine.cluster, node) + \
                call_engine("node tables", iptables.iptables_save_filter, engine.cluster, node)
        elif show == "ipvs":
            from clusterlab.sim import ipvs

            out[show] = call_engine("node tables", ipvs.ipvsadm_ln, engine.cluster, node)
        else:
            missing.append(show)
    return out, missing


def default_views(engine: Engine) -> tuple[str, ...]:
    """ipvsadm only where kube-proxy runs in IPVS mode (iptables rules exist in both)."""
    if engine.cluster.config.kube_proxy_mode == "ipvs":
        return NODE_VIEWS
    return tuple(v for v in NODE_VIEWS if v != "ipvs")


class NodeTablesView(ClusterScopedMixin, APIView):
    @extend_schema(parameters=[OpenApiParameter("show", OpenApiTypes.STR, enum=NODE_VIEWS,
                                                description="One view only (default: all).")],
                   responses={200: OpenApiTypes.OBJECT, 501: OpenApiTypes.OBJECT},
                   description="A node's routes, addresses, neighbours, iptables-save and "
                               "ipvsadm -Ln output, as the tools print them.")
    def get(self, request: Any, cluster_id: int, name: str) -> Response:
        cluster = self.load_cluster()
        engine = snapshot.get_engine(cluster)
        if name not in engine.cluster.node_by_name:
            raise NotFound(f'nodes "{name}" not found')
        show = request.query_params.get("show")
        if show is not None and show not in NODE_VIEWS:
            message = (f'show: Unsupported value: "{show}": supported values: '
                       + ", ".join(f'"{v}"' for v in NODE_VIEWS))
            raise Invalid(message, [{"field": "show", "type": "Unsupported value",
                                     "message": message}])
        try:
            views, missing = node_views(engine, name, (show,) if show else default_views(engine))
        except Invalid as exc:  # e.g. ipvs asked of an iptables-mode node
            raise Invalid(f"show: {exc.detail}",
                          [{"field": "show", "type": "Invalid value",
                            "message": f"show: {exc.detail}"}]) from None
        if not views:
            raise NotImplementedByEngine(
                "the simulator does not provide " + ", ".join(missing) + " views yet "
                "(clusterlab.sim.trace.node_view is missing)", missing=missing)
        return self.versioned({"node": name, "tables": views, "missing": missing})
