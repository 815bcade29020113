"""`kubectl get -o yaml|json`: objects as Kubernetes documents (manifests exporter).

Pods, Services, NetworkPolicies, Nodes and Namespaces come from `manifests.to_documents`
(the same normalised form the exporter writes), with `metadata.creationTimestamp` from
the console's clock. Endpoints and EndpointSlices are written here from the derived
objects. Server-side fields the snapshot does not keep (`uid`, `resourceVersion`,
`managedFields`, most of `status`) are absent.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import yaml

from clusterlab.sim import manifests
from clusterlab.sim.console.facts import Clock
from clusterlab.sim.console.objects import (
    ENDPOINTS,
    ENDPOINTSLICES,
    NAMESPACES,
    NETWORKPOLICIES,
    PODS,
    SERVICES,
    EndpointsObject,
    Kind,
    Obj,
    labels_of,
)
from clusterlab.sim.console.timefmt import rfc3339
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import EndpointSlice


def _exported(engine: Engine, kind: Kind, obj: Obj) -> dict[str, Any]:
    cluster = engine.cluster
    sub = replace(cluster, namespaces=(), pods=(), services=(), network_policies=(),
                  endpoint_slices=())
    if kind is PODS:
        sub = replace(sub, pods=(obj,))
    elif kind is SERVICES:
        sub = replace(sub, services=(obj,))
    elif kind is NETWORKPOLICIES:
        sub = replace(sub, network_policies=(obj,))
    elif kind is NAMESPACES:
        sub = replace(sub, namespaces=(obj,))
    for doc in manifests.to_documents(sub, include_implicit=True):
        meta = doc.get("metadata", {})
        if doc.get("kind") == kind.kind and meta.get("name") == obj.name and \
                meta.get("namespace", "") == (getattr(obj, "namespace", "") if kind.namespaced
                                              else ""):
            return doc
    raise LookupError(f"{kind.resource}/{obj.name} not exported")


def _endpoints_doc(ep: EndpointsObject) -> dict[str, Any]:
    subsets = []
    for ss in ep.subsets:
        doc: dict[str, Any] = {}
        if ss.addresses:
            doc["addresses"] = [{"ip": a} for a in ss.addresses]
        if ss.not_ready:
            doc["notReadyAddresses"] = [{"ip": a} for a in ss.not_ready]
        if ss.ports:
            doc["ports"] = [{**({"name": p.name} if p.name else {}), "port": p.port,
                             "protocol": p.protocol} for p in ss.ports]
        subsets.append(doc)
    meta: dict[str, Any] = {"name": ep.name, "namespace": ep.namespace}
    if ep.labels:
        meta["labels"] = dict(ep.labels)
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
    if subsets:
        out["subsets"] = subsets
    return out


def _slice_doc(engine: Engine, es: EndpointSlice) -> dict[str, Any]:
    endpoints = []
    for ep in es.endpoints:
        doc: dict[str, Any] = {"addresses": list(ep.addresses), "conditions": {
            "ready": ep.ready, "serving": ep.serving, "terminating": ep.terminating}}
        if ep.node_name:
            doc["nodeName"] = ep.node_name
        if ep.hostname:
            doc["hostname"] = ep.hostname
        if ep.target_pod:
            ns, _, name = ep.target_pod.partition("/")
            doc["targetRef"] = {"kind": "Pod", "name": name, "namespace": ns}
        endpoints.append(doc)
    meta: dict[str, Any] = {"name": es.name, "namespace": es.namespace,
                            "labels": labels_of(engine, es)}
    if es.managed:
        meta["generateName"] = f"{es.service_name}-"
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service",
                                    "name": es.service_name, "blockOwnerDeletion": True,
                                    "controller": True}]
    return {"addressType": es.address_type, "apiVersion": "discovery.k8s.io/v1",
            "endpoints": endpoints or None, "kind": "EndpointSlice", "metadata": meta,
            "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol}
                      for p in es.ports] or None}


def document(engine: Engine, kind: Kind, obj: Obj, clock: Clock) -> dict[str, Any]:
    if kind is ENDPOINTS:
        doc = _endpoints_doc(obj)  # type: ignore[arg-type]
        created = clock.created("services", doc["metadata"]["namespace"], obj.name)
    elif kind is ENDPOINTSLICES:
        doc = _slice_doc(engine, obj)  # type: ignore[arg-type]
        created = clock.created("services", obj.namespace, obj.service_name)  # type: ignore[union-attr]
    else:
        doc = _exported(engine, kind, obj)
        created = clock.created(kind.resource, getattr(obj, "namespace", "")
                                if kind.namespaced else "", obj.name)
    doc["metadata"]["creationTimestamp"] = rfc3339(created)
    return doc


def list_document(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": docs, "kind": "List",
            "metadata": {"resourceVersion": ""}}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """go-yaml's choice: plain when unambiguous, else double quotes (`"True"`, `"10"`,
    timestamps, empty strings) — PyYAML would pick single quotes."""
    if "\n" in data:
        style: str | None = "|"
    elif dumper.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str" \
            or not dumper.analyze_scalar(data).allow_block_plain:
        style = '"'
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(doc: dict[str, Any]) -> str:
    """sigs.k8s.io/yaml style: sorted keys, 2-space indent, list items not indented."""
    return yaml.dump(_clean(doc), Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=1 << 20)


def to_json(doc: dict[str, Any]) -> str:
    """kubectl's JSON printer: 4-space indent, keys sorted (unstructured maps)."""
    return json.dumps(_clean(doc), indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
