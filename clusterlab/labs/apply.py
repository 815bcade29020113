"""`kubectl apply` for a cluster: documents in, created/updated/unchanged/deleted out.

All-or-nothing: the whole would-be cluster is validated before anything is written
(labs/changes.py). `prune` deletes every stored object the documents do not name.
A `ClusterConfig` document replaces the cluster's config.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from clusterlab.labs import yamldocs
from clusterlab.labs.changes import Change, Result, commit_change
from clusterlab.labs.errors import Invalid, describe_problems
from clusterlab.labs.kinds import BY_KIND, CONFIG_KIND, KINDS, Key, KindSpec
from clusterlab.labs.models import Cluster
from clusterlab.labs.snapshot import State
from clusterlab.sim.errors import FieldError, ObjectRef, Problem, duplicate, required, unsupported

# Written by the API server, never by users; ClusterLab keeps its own resourceVersion.
SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation",
                 "selfLink")
SUPPORTED_KINDS = (*(k.kind for k in KINDS), CONFIG_KIND)


def clean(spec: KindSpec, manifest: dict[str, Any]) -> tuple[Key, dict[str, Any]]:
    """Identity of a manifest and the copy to store (server fields gone, namespace set)."""
    out = copy.deepcopy(manifest)
    metadata = out.get("metadata")
    if not isinstance(metadata, dict):
        metadata = out["metadata"] = {}
    for name in SERVER_FIELDS:
        metadata.pop(name, None)
    out.setdefault("apiVersion", spec.api_version)
    if spec.namespaced:
        if not metadata.get("namespace"):
            metadata["namespace"] = "default"  # kubectl's default namespace
    else:
        metadata.pop("namespace", None)
    name = metadata.get("name")
    namespace = metadata.get("namespace", "") if spec.namespaced else ""
    return (spec.kind, str(namespace), str(name)), out


def identify(doc: Any, source: str, expected_kind: str | None = None
             ) -> tuple[KindSpec | None, Key | None, dict[str, Any] | None, list[Problem]]:
    """Kind, key and cleaned manifest of one document, or the problems that prevent it."""
    if not isinstance(doc, dict):
        return None, None, None, [Problem(FieldError(source, "Invalid value", detail=(
            "must be a Kubernetes object (a mapping with apiVersion, kind and metadata)")))]
    kind = doc.get("kind")
    if expected_kind and kind is None:
        kind = expected_kind
        doc = {"kind": kind, **doc}
    if not kind:
        return None, None, None, [Problem(required("kind"), ObjectRef("", "", source=source))]
    if kind not in BY_KIND or (expected_kind and kind != expected_kind):
        supported = [expected_kind] if expected_kind else list(SUPPORTED_KINDS)
        return None, None, None, [Problem(unsupported("kind", kind, supported),
                                          ObjectRef(str(kind), "", source=source))]
    spec = BY_KIND[kind]
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return spec, None, None, [Problem(
            required("metadata.name", "name or generateName is required"),
            ObjectRef(kind, "", source=source))]
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        return spec, None, None, [Problem(
            FieldError("metadata.namespace", "Invalid value", namespace, "must be a string"),
            ObjectRef(kind, name, source=source))]
    key, cleaned = clean(spec, doc)
    return spec, key, cleaned, []


def expand_lists(docs: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """`kind: List` (what `kubectl get -o yaml` prints) becomes its items."""
    out: list[tuple[str, Any]] = []
    for source, doc in docs:
        if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") \
                and isinstance(doc.get("items"), list):
            out.extend((f"{source}.items[{i}]", item) for i, item in enumerate(doc["items"]))
        else:
            out.append((source, doc))
    return out


def plan(docs: list[tuple[str, Any]]) -> tuple[list[Change], dict[str, Any] | None]:
    """Changes and (if a ClusterConfig document is present) the new config."""
    problems: list[Problem] = []
    changes: list[Change] = []
    seen: dict[Key, str] = {}
    config: dict[str, Any] | None = None
    for source, doc in expand_lists(docs):
        if isinstance(doc, dict) and doc.get("kind") == CONFIG_KIND:
            spec = doc.get("spec")
            if config is not None:
                problems.append(Problem(duplicate("kind", CONFIG_KIND),
                                        ObjectRef(CONFIG_KIND, "cluster", source=source)))
            elif spec is not None and not isinstance(spec, dict):
                problems.append(Problem(FieldError("spec", "Invalid value", spec,
                                                   "must be an object"),
                                        ObjectRef(CONFIG_KIND, "cluster", source=source)))
            else:
                config = dict(spec or {})
            continue
        _spec, key, manifest, found = identify(doc, source)
        problems += found
        if key is None or manifest is None:
            continue
        if key in seen:
            problems.append(Problem(duplicate("metadata.name", key[2]),
                                    ObjectRef(key[0], key[2], key[1], source)))
            continue
        seen[key] = source
        changes.append(Change(*key, manifest=manifest, source=source))
    if problems:
        raise Invalid(describe_problems(problems), [p.to_dict() for p in problems])
    return changes, config


def parse_text(text: str, source: str = "manifest") -> list[tuple[str, Any]]:
    """YAML/JSON documents via the engine's parser (alias bombs, depth refused) → 400."""
    from clusterlab.sim import manifests

    docs, problems = manifests.parse(source, text)
    if problems:
        raise Invalid(describe_problems(problems), [p.to_dict() for p in problems])
    return [(name, yamldocs.jsonable(doc)) for name, doc in docs]


def apply(cluster: Cluster, user: Any, docs: list[tuple[str, Any]], *, prune: bool = False,
          dry_run: bool = False, expected_version: int | None = None,
          message: str = "") -> Result:
    changes, config = plan(docs)
    named = {c.key for c in changes}

    def planner(state: State, current_config: dict[str, Any]):  # type: ignore[no-untyped-def]
        out = list(changes)
        if prune:
            # a namespace the documents still put objects in is needed, hence named
            needed = {("Namespace", "", key[1]) for key in named if key[1]}
            out += [Change(*key, delete=True) for key in state
                    if key not in named and key not in needed]
        return (out, config) if config is not None else out

    summary = f"apply {len(changes)} object(s)" + (" with prune" if prune else "")
    return commit_change(cluster, user, planner, expected_version=expected_version,
                         message=message or summary, dry_run=dry_run)
