"""Reachability for the editor (issue #7): heatmap data, what-if on dry runs, policy
attribution and CNI comparison. Read-only: anyone who may read the cluster may ask,
strangers get 404 (labs/permissions.py), nothing here is ever saved.

* `POST …/reachability` — the pod×pod truth table of one port for the heatmap:
  namespace×namespace totals always, pod cells (bit-packed, base64) when the filtered
  rectangle is small enough, else the summary alone and the client drills down by
  asking again with `from`/`to` namespaces. Filters: `namespaces`, `labelSelector`
  (both axes, or per axis under `from`/`to`), `verdict` (`allowed`/`denied` keeps the
  rows and columns that have such a cell). Per-cell attribution is the existing
  `POST …/policy` query, asked lazily on hover.
* `POST …/manifests?dryRun=All` (this module's subclass of the manifests view) also
  answers `matrix_diff`: the flows the YAML would open and cut on `?port=`/`?protocol=`
  (default TCP/80), per namespace pair and listed up to `?limit=`. Scripts use the
  same call.
* `GET …/networkpolicies/{ns}/{name}/describe` — `kubectl describe networkpolicy`
  text (KCTL-8) plus targets, rules and admitted peers.
* `GET …/pods/{ns}/{name}/policies` — the policies isolating a pod per direction and
  the peers they admit.
* `POST …/compare` — one packet (`flow`) or the whole matrix (`matrix`) under another
  plugin/mode, side by side. The alternative cluster is the stored manifests reloaded
  under the other ClusterConfig (pod addresses from that plugin's IPAM, as after a
  reinstall; kept when the IPAM is the same), cached per version; nothing is saved.

A request the client gives up on (the browser aborts its fetch) still runs to the end
in its worker thread: matrices are cached on the version's engine, so asking again is
quick.
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from clusterlab.labs import apply as apply_mod
from clusterlab.labs import snapshot
from clusterlab.labs.api import manifests as manifests_api
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.api.engine import call_engine, jsonable
from clusterlab.labs.errors import Invalid, NotFound
from clusterlab.labs.filters import parse_selector
from clusterlab.labs.kinds import BY_KIND
from clusterlab.labs.models import Cluster
from clusterlab.sim.engine import Engine
from clusterlab.sim.errors import ManifestError
from clusterlab.sim.model import CNI_MODES, PROTOCOLS, Pod

MAX_CELLS = 2500 * 2500  # pod cells sent at once (≈ 780 KB packed); beyond: summary only
LIST_LIMIT = 500
LEVELS = ("auto", "namespace", "pod")
VERDICTS = ("all", "allowed", "denied")
# Plugins sharing an IPAM keep the stored addresses when compared (NET-2, NET-4.1).
IPAM_FAMILY = {"flannel": "host-local", "canal": "host-local", "calico": "calico",
               "weave": "weave", "cilium": "cilium"}


def invalid(field: str, message: str, kind: str = "Invalid value") -> Invalid:
    text = f"{field}: {kind}: {message}"
    return Invalid(text, [{"field": field, "type": kind, "message": text}])


def port_of(value: Any) -> int | str:
    """A destination port number or name (same rule as the matrix endpoints)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "" or (
            isinstance(value, int) and not 1 <= value <= 65535):
        raise invalid("port", f"{value!r}: must be between 1 and 65535, inclusive, or a port "
                              "name")
    return value


def protocol_of(value: Any) -> str:
    value = value or "TCP"
    if value not in PROTOCOLS:
        raise invalid("protocol", f'{value!r}: supported values: "TCP", "UDP", "SCTP"',
                      "Unsupported value")
    return value


def choice(body: dict[str, Any], field: str, options: tuple[str, ...]) -> str:
    value = body.get(field, options[0])
    if value not in options:
        raise invalid(field, f"{value!r}: supported values: "
                      + ", ".join(f'"{o}"' for o in options), "Unsupported value")
    return value


def not_enforced_warning(engine: Engine) -> str | None:
    cfg = engine.cluster.config
    if cfg.enforces_network_policy:
        return None
    return (f"{cfg.cni_plugin} does not enforce NetworkPolicy: these are the verdicts the "
            "policies would give; no packet is actually dropped by them (NET-4.6)")


# --------------------------------------------------------------------------- heatmap


def _axis(body: dict[str, Any], name: str) -> tuple[list[str] | None,
                                                   Callable[[Pod], bool] | None]:
    """Namespaces and label-selector predicate of one axis (`from`/`to` over top level)."""
    part = body.get(name) if isinstance(body.get(name), dict) else {}
    namespaces = part["namespaces"] if "namespaces" in part else body.get("namespaces")
    selector = part["labelSelector"] if "labelSelector" in part else body.get("labelSelector")
    field_ns = f"{name}.namespaces" if "namespaces" in part else "namespaces"
    field_sel = f"{name}.labelSelector" if "labelSelector" in part else "labelSelector"
    if isinstance(namespaces, str):
        namespaces = [n.strip() for n in namespaces.split(",") if n.strip()]
    if namespaces is not None and (not isinstance(namespaces, list) or
                                   not all(isinstance(n, str) for n in namespaces)):
        raise invalid(field_ns, "must be a list of namespace names")
    keep = None
    if selector:
        if not isinstance(selector, str):
            raise invalid(field_sel, "must be a label selector string")
        try:
            requirements = parse_selector(selector)
        except ValueError as exc:
            raise invalid(field_sel, f"{selector!r}: {exc}") from None

        def keep(pod: Pod) -> bool:
            return all(r.matches(dict(pod.labels)) for r in requirements)
    return namespaces or None, keep


def heatmap(engine: Engine, body: dict[str, Any]) -> dict[str, Any]:
    """The `…/reachability` answer (see the module docstring)."""
    import numpy as np

    from clusterlab.sim.truthtable import cells, namespace_totals, pack_cells, select_pods

    port = port_of(body.get("port", 80))
    protocol = protocol_of(body.get("protocol"))
    level = choice(body, "level", LEVELS)
    verdict = choice(body, "verdict", VERDICTS)
    effective = bool(body.get("effective", False))
    matrix = call_engine("matrix", engine.policy.matrix, port, protocol)
    row_ns, row_keep = _axis(body, "from")
    col_ns, col_keep = _axis(body, "to")
    rows = select_pods(matrix, row_ns, row_keep)
    cols = select_pods(matrix, col_ns, col_keep)
    n_cells = len(rows) * len(cols)
    if level == "pod" and n_cells > MAX_CELLS:
        raise invalid("level", f'"pod": {len(rows)} × {len(cols)} pods is more than '
                      f"{MAX_CELLS} cells: filter by namespace or label selector, or ask "
                      'for level "namespace" and drill down')
    pod_level = level == "pod" or (level == "auto" and n_cells <= MAX_CELLS)
    table = None
    if pod_level:
        table = cells(matrix, rows, cols, effective)
        if verdict != "all":
            want = table if verdict == "allowed" else ~table
            keep_r, keep_c = want.any(axis=1), want.any(axis=0)
            rows, cols, table = rows[keep_r], cols[keep_c], table[keep_r][:, keep_c]
    totals = namespace_totals(matrix, rows, cols, effective)
    allowed, total = totals.allowed, totals.total
    r_keep = np.ones(len(totals.rows), dtype=bool)
    c_keep = np.ones(len(totals.cols), dtype=bool)
    if not pod_level and verdict != "all":
        hit = allowed > 0 if verdict == "allowed" else allowed < total
        r_keep, c_keep = hit.any(axis=1), hit.any(axis=0)
    cfg = engine.cluster.config
    keys = matrix.pod_keys
    out: dict[str, Any] = {
        "port": port, "protocol": protocol, "plugin": cfg.cni_plugin, "mode": cfg.cni_mode,
        "enforced": matrix.enforced, "effective": effective, "verdict": verdict,
        "level": "pod" if pod_level else "namespace", "max_cells": MAX_CELLS,
        "total_pods": len(keys), "row_count": len(rows), "column_count": len(cols),
        "allowed": int(allowed.sum()), "total": int(total.sum()),
        "namespaces": {
            "rows": [{"name": n, "pods": c} for n, c, k in
                     zip(totals.rows, totals.row_pods, r_keep, strict=True) if k],
            "columns": [{"name": n, "pods": c} for n, c, k in
                        zip(totals.cols, totals.col_pods, c_keep, strict=True) if k]},
        "summary": {"allowed": allowed[r_keep][:, c_keep].tolist(),
                    "total": total[r_keep][:, c_keep].tolist()},
    }
    if table is not None:
        out["rows"] = [keys[i] for i in rows.tolist()]
        out["columns"] = [keys[i] for i in cols.tolist()]
        out["cells"] = base64.b64encode(pack_cells(table)).decode("ascii")
        out["encoding"] = "base64 bit rows, most significant bit first, rows padded to bytes"
    warning = not_enforced_warning(engine)
    if warning:
        out["warning"] = warning
    out["summary_text"] = (f"{out['allowed']} of {out['total']} pod pairs allowed on "
                           f"{protocol}/{port}" + (f" ({warning})" if warning and not effective
                                                    else ""))
    return out


class ReachabilityView(ClusterScopedMixin, APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   description="Heatmap data for one port: `{port, protocol, level: auto|"
                               "namespace|pod, verdict: all|allowed|denied, namespaces, "
                               "labelSelector, from: {namespaces, labelSelector}, to: {…}, "
                               "effective}` → namespace totals, and pod cells when small.")
    def post(self, request: Any, cluster_id: int) -> Response:
        started = time.perf_counter()
        cluster = self.load_cluster()
        body = request.data if isinstance(request.data, dict) else {}
        engine = snapshot.get_engine(cluster)
        loaded = time.perf_counter()
        response = self.versioned(jsonable(heatmap(engine, body)))
        done = time.perf_counter()
        # What the browser's progress line and the benchmark split the wait into.
        response["Server-Timing"] = (f"snapshot;dur={(loaded - started) * 1000:.1f}, "
                                     f"matrix;dur={(done - loaded) * 1000:.1f}")
        return response


# --------------------------------------------------------------------------- what-if


def what_if(cluster: Cluster, proposed: Any, port: int | str, protocol: str,
            limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Flows the proposed snapshot opens and cuts against the cluster's current version."""
    from clusterlab.sim.whatif import flow_changes

    current = snapshot.get_engine(cluster)
    after = Engine(proposed) if proposed is not None else current
    old = call_engine("matrix", current.policy.matrix, port, protocol)
    new = call_engine("matrix", after.policy.matrix, port, protocol)
    # A CNI switch that turns enforcement on or off changes what packets do, not what
    # the policies say: count delivered flows then (NET-4.6).
    switch = old.enforced != new.enforced
    out = call_engine("matrix diff", flow_changes, old, new, limit, switch).to_dict()
    before_plugin = current.cluster.config.cni_plugin
    out["plugin"] = after.cluster.config.cni_plugin
    out["effective"] = switch
    if switch:
        out["notes"].insert(0, f"the CNI changes from {before_plugin} to {out['plugin']}: "
                               "NetworkPolicy enforcement is turned "
                               f"{'on' if new.enforced else 'off'}; these are the flows whose "
                               "packets are delivered or dropped differently")
    return out


def _limit(value: Any) -> int:
    try:
        number = int(value) if value not in (None, "") else LIST_LIMIT
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 10_000:
        raise invalid("limit", f"{value!r}: must be between 0 and 10000")
    return number


class ManifestsView(manifests_api.ManifestsView):
    """The manifests endpoint; a dry run also answers `matrix_diff` (what-if)."""

    @extend_schema(
        request={"application/yaml": OpenApiTypes.STR, "text/yaml": OpenApiTypes.STR,
                 "application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("dryRun", OpenApiTypes.STR, enum=["All"],
                             description="`All`: report what would change, write nothing; "
                                         "the answer's `matrix_diff` lists the flows the "
                                         "change would open and cut."),
            OpenApiParameter("prune", OpenApiTypes.BOOL),
            OpenApiParameter("resourceVersion", OpenApiTypes.INT),
            OpenApiParameter("port", OpenApiTypes.STR,
                             description="Dry run: the port of `matrix_diff` (default 80)."),
            OpenApiParameter("protocol", OpenApiTypes.STR, enum=list(PROTOCOLS)),
            OpenApiParameter("limit", OpenApiTypes.INT,
                             description="Dry run: flows listed per direction (default 500)."),
        ],
        responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Any, cluster_id: int) -> Response:
        params = request.query_params
        if not manifests_api._flag(params.get("dryRun")):
            return super().post(request, cluster_id)
        port = port_of(params.get("port", 80))
        protocol = protocol_of(params.get("protocol"))
        limit = _limit(params.get("limit"))
        cluster = self.load_cluster()
        docs = manifests_api.body_documents(request.data)
        result = apply_mod.apply(cluster, request.user, docs,
                                 prune=manifests_api._flag(params.get("prune")), dry_run=True,
                                 expected_version=self.expected_version(
                                     request.data if isinstance(request.data, dict) else None))
        self.cluster = result.cluster
        body = result.summary()
        body.pop("moved", None)
        body["dry_run"] = True
        body["revision"] = None
        body["matrix_diff"] = what_if(result.cluster, result.snapshot, port, protocol, limit)
        return self.versioned(body, version=result.cluster.resource_version)


# --------------------------------------------------------------------------- attribution


class PolicyDescribeView(ClusterScopedMixin, APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   description="`kubectl describe networkpolicy` text (KCTL-8) and the "
                               "policy's targets, rules and admitted peers.")
    def get(self, request: Any, cluster_id: int, namespace: str, name: str) -> Response:
        from clusterlab.sim.attribution import policy_attribution
        from clusterlab.sim.policy import describe_network_policy

        cluster = self.load_cluster()
        engine = snapshot.get_engine(cluster)
        key = f"{namespace}/{name}"
        policy = engine.cluster.policy_by_key.get(key)
        if policy is None:
            raise NotFound(f'networkpolicies.networking.k8s.io "{name}" not found')
        row = BY_KIND["NetworkPolicy"].queryset(cluster.pk).filter(
            namespace=namespace, name=name).only("created").first()
        text = describe_network_policy(policy, row.created) if row is not None else \
            describe_network_policy(policy)
        out = {"describe": text, **policy_attribution(engine.policy, key)}
        warning = not_enforced_warning(engine)
        if warning:
            out["warning"] = warning
        return self.versioned(jsonable(out))


class PodPoliciesView(ClusterScopedMixin, APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   description="The NetworkPolicies isolating a pod for ingress and for "
                               "egress, and the peers they admit.")
    def get(self, request: Any, cluster_id: int, namespace: str, name: str) -> Response:
        from clusterlab.sim.attribution import pod_attribution

        cluster = self.load_cluster()
        engine = snapshot.get_engine(cluster)
        key = f"{namespace}/{name}"
        if key not in engine.cluster.pod_by_key:
            raise NotFound(f'pods "{name}" not found')
        out = pod_attribution(engine.policy, key)
        warning = not_enforced_warning(engine)
        if warning:
            out["warning"] = warning
        return self.versioned(jsonable(out))


# --------------------------------------------------------------------------- compare


class _EngineLRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict[tuple, Engine] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Engine | None:
        with self.lock:
            hit = self.data.get(key)
            if hit is not None:
                self.data.move_to_end(key)
            return hit

    def put(self, key: tuple, engine: Engine) -> None:
        with self.lock:
            self.data[key] = engine
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_alternatives = _EngineLRU(8)


def alternative_engine(cluster: Cluster, plugin: str, mode: str, cross_subnet: bool) -> Engine:
    """The stored cluster reloaded under another CNI; nothing is written."""
    key = (cluster.pk, cluster.resource_version, plugin, mode, cross_subnet)
    hit = _alternatives.get(key)
    if hit is not None:
        return hit
    config = copy.deepcopy(dict(cluster.config or {}))
    current = config.get("cni") if isinstance(config.get("cni"), dict) else {}
    current_plugin = str(current.get("plugin") or "flannel")
    config["cni"] = {"plugin": plugin, "mode": mode, "crossSubnet": cross_subnet}
    keep_pins = IPAM_FAMILY.get(current_plugin) == IPAM_FAMILY.get(plugin)
    state = {k: o if keep_pins else snapshot.Obj(o.manifest, {}, o.x, o.y)
             for k, o in snapshot.state_of(snapshot.load_rows(cluster.pk)).items()}
    try:
        engine = Engine(snapshot.load_state(config, state))
    except ManifestError as exc:
        raise Invalid.from_manifest_error(exc) from None
    _alternatives.put(key, engine)
    return engine


class CompareView(ClusterScopedMixin, APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   description="`{plugin, mode?, crossSubnet?, flow: {from, to, port, "
                               "protocol, via_node?, seed?} | matrix: {port, protocol}}`: "
                               "the packet or the truth table under the current CNI and "
                               "under this one, side by side. Nothing is saved.")
    def post(self, request: Any, cluster_id: int) -> Response:
        from clusterlab.sim.compare import compare_flow, compare_matrix

        cluster = self.load_cluster()
        body = request.data if isinstance(request.data, dict) else {}
        plugin = body.get("plugin")
        if plugin not in CNI_MODES:
            raise invalid("plugin", f"{plugin!r}: supported values: "
                          + ", ".join(f'"{p}"' for p in CNI_MODES), "Unsupported value")
        mode = body.get("mode") or CNI_MODES[plugin][0]
        if mode not in CNI_MODES[plugin]:
            raise invalid("mode", f"{mode!r}: supported values for {plugin}: "
                          + ", ".join(f'"{m}"' for m in CNI_MODES[plugin]), "Unsupported value")
        cross = body.get("crossSubnet", False)
        if not isinstance(cross, bool):
            raise invalid("crossSubnet", f"{cross!r}: must be true or false")
        flow, whole = body.get("flow"), body.get("matrix")
        if (flow is None) == (whole is None):
            raise invalid("flow", 'give exactly one of "flow" (one packet) or "matrix" '
                          "(the truth table of one port)", "Required value")
        current = snapshot.get_engine(cluster)
        other = alternative_engine(cluster, plugin, mode, cross)
        if flow is not None:
            if not isinstance(flow, dict):
                raise invalid("flow", "must be a JSON object {from, to, port, protocol}")
            try:
                out = call_engine("compare", compare_flow, current, other, flow)
            except Invalid as exc:
                raise _prefixed(exc, "flow") from None
        else:
            if not isinstance(whole, dict):
                raise invalid("matrix", "must be a JSON object {port, protocol}")
            port = port_of(whole.get("port", 80))
            protocol = protocol_of(whole.get("protocol"))
            out = call_engine("compare", compare_matrix, current, other, port, protocol,
                              _limit(whole.get("limit", 200)))
        out["saved"] = False
        out["note"] = ("nothing was saved; under another plugin the pods get that plugin's "
                       "addresses" if IPAM_FAMILY.get(current.cluster.config.cni_plugin)
                       != IPAM_FAMILY.get(plugin) else "nothing was saved")
        return self.versioned(jsonable(out))


def _prefixed(exc: Invalid, prefix: str) -> Invalid:
    errors = [{**e, "field": f"{prefix}.{e['field']}",
               "message": f"{prefix}.{e['message']}"} for e in exc.extra.get("errors", [])]
    return Invalid(f"{prefix}.{exc.detail}", errors)
