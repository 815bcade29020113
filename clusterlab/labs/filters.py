"""Query filters: one small declarative FilterSet per resource (NetBox style).

`labelSelector` takes the Kubernetes syntax (labels.Parse): `app=web`, `app==web`,
`tier!=db`, `env in (a,b)`, `env notin (a,b)`, `app` (exists), `!app` (absent),
comma-separated and ANDed. Filtering happens in the database on the `labels` JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from rest_framework.filters import BaseFilterBackend

from clusterlab.labs.errors import Invalid

_KEY = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_EXISTS = re.compile(rf"(!?)\s*({_KEY})")
_EQUALITY = re.compile(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})")
_SET = re.compile(rf"({_KEY})\s+(in|notin)\s*\(([^()]*)\)")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # = != in notin exists !
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        return {
            "=": present and value in self.values,
            "in": present and value in self.values,
            "!=": not present or value not in self.values,
            "notin": not present or value not in self.values,
            "exists": present,
            "!": not present,
        }[self.operator]


def _split(selector: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_selector(selector: str) -> list[Requirement]:
    """Parse a label selector string; ValueError names the offending requirement."""
    if not selector.strip():
        return []
    out: list[Requirement] = []
    for raw in _split(selector):
        part = raw.strip()
        if m := _SET.fullmatch(part):
            values = tuple(v.strip() for v in m.group(3).split(","))
            if any(not re.fullmatch(_VALUE, v) for v in values) or values == ("",):
                raise ValueError(f"invalid values in requirement {part!r}")
            out.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQUALITY.fullmatch(part):
            op = "!=" if m.group(2) == "!=" else "="
            out.append(Requirement(m.group(1), op, (m.group(3),)))
        elif m := _EXISTS.fullmatch(part):
            out.append(Requirement(m.group(2), "!" if m.group(1) else "exists"))
        else:
            raise ValueError(f"unable to parse requirement {part!r}: expected key, !key, "
                             "key=value, key!=value, key in (v1,v2) or key notin (v1,v2)")
    return out


def filter_labels(queryset: QuerySet, requirements: list[Requirement],
                  field: str = "labels") -> QuerySet:
    for i, req in enumerate(requirements):
        alias = f"_label_{i}"
        # Cast: a plain text expression, so `=` compares text on SQLite and PostgreSQL alike.
        queryset = queryset.alias(**{alias: Cast(KeyTextTransform(req.key, field),
                                                 TextField())})
        isnull = Q(**{f"{alias}__isnull": True})
        # OR of exact matches: `__in` on a JSON key is mis-encoded by SQLite's backend.
        matches = Q()
        for value in req.values:
            matches |= Q(**{alias: value})
        if req.operator in ("=", "in"):
            queryset = queryset.filter(matches)
        elif req.operator in ("!=", "notin"):
            queryset = queryset.filter(isnull | ~matches)
        elif req.operator == "exists":
            queryset = queryset.filter(~isnull)
        else:
            queryset = queryset.filter(isnull)
    return queryset


@dataclass(frozen=True)
class Filter:
    """One query parameter: how it narrows the queryset, and how the schema shows it."""

    apply: Callable[[QuerySet, str], QuerySet]
    description: str
    type: str = "string"


def label_selector(queryset: QuerySet, value: str) -> QuerySet:
    try:
        requirements = parse_selector(value)
    except ValueError as exc:
        message = f"labelSelector: Invalid value: {value!r}: {exc}"
        raise Invalid(message, [{"field": "labelSelector", "type": "Invalid value",
                                 "message": message}]) from None
    return filter_labels(queryset, requirements)


class FilterSet:
    filters: dict[str, Filter] = {}

    def filter_queryset(self, params: Any, queryset: QuerySet) -> QuerySet:
        for name, spec in self.filters.items():
            value = params.get(name)
            if value is not None and value != "":
                queryset = spec.apply(queryset, value)
        return queryset


class ObjectFilterSet(FilterSet):
    filters = {
        "namespace": Filter(lambda qs, v: qs.filter(namespace=v),
                            "Only objects in this namespace."),
        "name": Filter(lambda qs, v: qs.filter(name=v), "Only the object with this name."),
        "labelSelector": Filter(label_selector,
                                "Kubernetes label selector, e.g. `app=web,tier!=db,"
                                "env in (a,b),!legacy`."),
    }


class PodFilterSet(ObjectFilterSet):
    filters = {**ObjectFilterSet.filters,
               "node": Filter(lambda qs, v: qs.filter(node_name=v), "Pods on this node.")}


class ServiceFilterSet(ObjectFilterSet):
    filters = {**ObjectFilterSet.filters,
               "type": Filter(lambda qs, v: qs.filter(type=v), "ClusterIP, NodePort, …")}


class ClusterFilterSet(FilterSet):
    filters = {
        "visibility": Filter(lambda qs, v: qs.filter(visibility=v),
                             "private, shared or template."),
        "owner": Filter(lambda qs, v: qs.filter(owner__username=v), "Owner's username."),
        "name": Filter(lambda qs, v: qs.filter(name__icontains=v), "Name contains."),
    }


class FilterSetBackend(BaseFilterBackend):
    """Runs the view's `filterset_class` and documents its parameters in the schema."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = getattr(view, "filterset_class", None)
        if filterset is None:
            return queryset
        return filterset().filter_queryset(request.query_params, queryset)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        filterset = getattr(view, "filterset_class", None)
        if filterset is None or getattr(view, "action", None) not in ("list", None):
            return []
        return [{"name": name, "required": False, "in": "query",
                 "description": f.description, "schema": {"type": f.type}}
                for name, f in filterset.filters.items()]
