"""`/api/clusters/{id}/{kind}/…`: the Kubernetes objects of a cluster, one viewset per kind.

URL scheme (also in the OpenAPI schema):

* `GET|POST /api/clusters/{id}/{kind}/` — list (`?namespace=`, `?labelSelector=`) / create
* namespaced kinds: `GET|PUT|PATCH|DELETE /api/clusters/{id}/{kind}/{namespace}/{name}/`
* cluster-scoped kinds (namespaces, nodes): `…/{kind}/{name}/`
* `PATCH …/{name}/position/` — canvas position `{x, y}` only

A write body is the Kubernetes manifest itself, or `{"manifest": …, "x", "y",
"resourceVersion"}`. PATCH takes a JSON merge patch (RFC 7386) of the manifest, like
`kubectl patch --type merge`.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from clusterlab.labs import snapshot
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.apply import identify
from clusterlab.labs.changes import Change, Result, commit_change, labels_of
from clusterlab.labs.errors import Invalid, NotFound, describe_problems
from clusterlab.labs.filters import ObjectFilterSet, PodFilterSet, ServiceFilterSet
from clusterlab.labs.kinds import BY_KIND, Key, KindSpec, describe
from clusterlab.labs.models import (
    ClusterObject,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    Workload,
)
from clusterlab.labs.serializers import (
    EndpointSliceSerializer,
    NamespaceSerializer,
    NetworkPolicySerializer,
    NodeSerializer,
    ObjectWriteSerializer,
    PodSerializer,
    PositionSerializer,
    ServiceSerializer,
    WorkloadSerializer,
)
from clusterlab.sim.errors import FieldError, ObjectRef, Problem

WRAPPER_KEYS = {"manifest", "x", "y", "resourceVersion"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _position(body: dict[str, Any]) -> tuple[float | None, float | None] | None:
    if "x" not in body and "y" not in body:
        return None
    out = []
    for axis in ("x", "y"):
        value = body.get(axis)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            message = f"{axis}: Invalid value: {value!r}: must be a number or null"
            raise Invalid(message, [{"field": axis, "type": "Invalid value", "message": message}])
        out.append(float(value) if value is not None else None)
    return out[0], out[1]


def _body_error(detail: str) -> Invalid:
    return Invalid(detail, [{"field": "body", "type": "Invalid value", "message": detail}])


class ObjectViewSet(ClusterScopedMixin, viewsets.GenericViewSet):
    """Kubernetes objects of one kind inside a cluster.

    URLs: `/api/clusters/{cluster_id}/{kind}/` (list, create) and
    `/api/clusters/{cluster_id}/{kind}/{namespace}/{name}/` (`{name}/` for namespaces and
    nodes) for retrieve, PUT (replace), PATCH (JSON merge patch of the manifest) and
    DELETE; `…/position/` moves the object on the canvas. `?dryRun=All` on a write
    validates it against the whole cluster and answers as if written, saving nothing.

    Write bodies: the Kubernetes manifest itself, or `{"manifest", "x", "y",
    "resourceVersion"}`. Every response carries the cluster's `resource_version` (body
    and `ETag`). Writes may send the version they read (`If-Match: "7"`, a
    `resourceVersion` field or `?resourceVersion=7`) and get 409 with the current
    version when it moved; a write without a version is accepted (last writer wins,
    the overwritten state stays in the revisions). Invalid objects get 400 with
    `{"detail": "<Kind> \"name\" is invalid: …", "errors": [{"field", "type",
    "message"}]}` in the API server's words.
    """

    kind: ClassVar[str] = ""
    queryset = Namespace.objects.none()
    filterset_class = ObjectFilterSet
    lookup_field = "name"

    @property
    def spec(self) -> KindSpec:
        return BY_KIND[self.kind]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False) or self.cluster is None:
            return self.queryset.none()
        return self.spec.queryset(self.cluster.pk).order_by("namespace", "name")

    # ------------------------------------------------------------------ reads

    def list(self, request: Any, cluster_id: int) -> Response:
        self.load_cluster()
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Any, cluster_id: int, name: str, namespace: str = "") -> Response:
        self.load_cluster()
        return self.versioned(self.get_serializer(self._row(namespace, name)).data)

    # ------------------------------------------------------------------ writes

    @extend_schema(request=ObjectWriteSerializer)
    def create(self, request: Any, cluster_id: int) -> Response:
        self.load_cluster(write=True)
        manifest, position, body = self._body(request.data)
        key, cleaned = self._identify(manifest)
        result = self._commit([Change(*key, manifest=cleaned, position=position,
                                      create_only=True, source="request")],
                              body, f"create {describe(key)}")
        return self._respond(result, key, status.HTTP_201_CREATED)

    @extend_schema(request=ObjectWriteSerializer)
    def update(self, request: Any, cluster_id: int, name: str, namespace: str = "") -> Response:
        self.load_cluster(write=True)
        manifest, position, body = self._body(request.data)
        key, cleaned = self._identify(manifest, url=(namespace, name))
        result = self._commit([Change(*key, manifest=cleaned, position=position,
                                      must_exist=True, source="request")],
                              body, f"replace {describe(key)}")
        return self._respond(result, key)

    @extend_schema(request=OpenApiTypes.OBJECT, description=(
        "JSON merge patch (RFC 7386) of the manifest, or `{manifest: <patch>, x, y, "
        "resourceVersion}`."))
    def partial_update(self, request: Any, cluster_id: int, name: str,
                       namespace: str = "") -> Response:
        self.load_cluster(write=True)
        body = request.data
        if not isinstance(body, dict):
            raise _body_error("body must be a JSON merge patch object")
        wrapper = "manifest" in body or set(body) <= WRAPPER_KEYS
        patch = body.get("manifest") if wrapper else body
        position = _position(body) if wrapper else None
        row = self._row(namespace, name)
        changes = []
        key: Key = (self.kind, row.namespace, row.name)
        if patch is not None:
            if not isinstance(patch, dict):
                raise _body_error("manifest: must be a JSON merge patch object")
            merged = merge_patch(row.manifest, patch)
            key, cleaned = self._identify(merged, url=(namespace, name))
            changes.append(Change(*key, manifest=cleaned, position=position, must_exist=True,
                                  source="request"))
        elif position is not None:
            changes.append(Change(*key, position=position, must_exist=True))
        result = self._commit(changes, body if wrapper else None, f"patch {describe(key)}")
        return self._respond(result, key)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
        '`{"kind", "namespace", "name", "deleted": true, "resource_version"}`'))})
    def destroy(self, request: Any, cluster_id: int, name: str, namespace: str = "") -> Response:
        self.load_cluster(write=True)
        key = (self.kind, namespace if self.spec.namespaced else "", name)
        result = self._commit([Change(*key, delete=True, must_exist=True)], None,
                              f"delete {describe(key)}")
        body = {"kind": self.kind, "namespace": key[1], "name": name, "deleted": True}
        if self.dry_run:
            body["dry_run"] = True
        return self.versioned(body, version=result.cluster.resource_version)

    @extend_schema(request=PositionSerializer)
    def position(self, request: Any, cluster_id: int, name: str, namespace: str = "") -> Response:
        """Move the object on the canvas; bumps the version, records a compact revision."""
        self.load_cluster(write=True)
        body = request.data if isinstance(request.data, dict) else {}
        if "x" not in body or "y" not in body:
            raise _body_error('body must be {"x": number|null, "y": number|null}')
        row = self._row(namespace, name)
        key = (self.kind, row.namespace, row.name)
        result = self._commit([Change(*key, position=_position(body), must_exist=True)], body,
                              f"move {describe(key)}")
        return self._respond(result, key)

    # ------------------------------------------------------------------ helpers

    def _row(self, namespace: str, name: str) -> ClusterObject:
        namespace = namespace if self.spec.namespaced else ""
        row = self.get_queryset().filter(namespace=namespace, name=name).first()
        if row is None:
            raise NotFound(f"{describe((self.kind, namespace, name))} not found")
        return row

    def _body(self, data: Any) -> tuple[Any, tuple[float | None, float | None] | None, dict]:
        if not isinstance(data, dict):
            raise _body_error("body must be a Kubernetes object, or "
                              '{"manifest": {...}, "x": …, "y": …}')
        if "manifest" in data:
            return data["manifest"], _position(data), data
        return data, None, {}

    def _identify(self, manifest: Any, url: tuple[str, str] | None = None
                  ) -> tuple[Key, dict[str, Any]]:
        if url is not None and isinstance(manifest, dict):
            # The URL names the object; a manifest without namespace lives in the URL's.
            metadata = manifest.get("metadata")
            if self.spec.namespaced and isinstance(metadata, dict) \
                    and not metadata.get("namespace"):
                manifest = {**manifest, "metadata": {**metadata, "namespace": url[0]}}
        _spec, key, cleaned, problems = identify(manifest, "request", expected_kind=self.kind)
        if problems or key is None or cleaned is None:
            raise Invalid(describe_problems(problems), [p.to_dict() for p in problems])
        if url is not None:
            namespace, name = url
            if key[2] != name or (self.spec.namespaced and key[1] != namespace):
                what = "name" if key[2] != name else "namespace"
                got = key[2] if what == "name" else key[1]
                want = name if what == "name" else namespace
                error = FieldError(f"metadata.{what}", "Invalid value", got,
                                   f"the {what} of the object ({got}) does not match the "
                                   f"{what} on the URL ({want})")
                raise Invalid.from_field_errors(self.kind, key[2], [error])
        self._validate_object(key, cleaned)
        return key, cleaned

    def _validate_object(self, key: Key, manifest: dict[str, Any]) -> None:
        """The engine's per-object rules first (the API server's message for one object)."""
        try:
            from clusterlab.sim.validation import validate_object, validate_update
        except ImportError:  # the whole-cluster load below validates as well
            return
        errors = validate_object(self.kind, manifest)
        if errors:
            # An update's own rules come first (ValidateServiceUpdate, ValidateNodeUpdate);
            # alone, they are checked on the write path (labs/changes.py).
            current = self.get_queryset().filter(namespace=key[1], name=key[2]).first()
            if current is not None:
                errors = validate_update(self.kind, current.manifest, current.status or {},
                                         manifest) + errors
            ref = ObjectRef(self.kind, key[2], key[1], "request")
            raise Invalid.from_field_errors(self.kind, key[2], list(errors),
                                            ref=Problem(errors[0], ref).to_dict()["object"])

    @property
    def dry_run(self) -> bool:
        """`?dryRun=All`: validate, answer as if written, write nothing (--dry-run=server)."""
        return (self.request.query_params.get("dryRun") or "").lower() in ("all", "true", "1")

    def _commit(self, changes: list[Change], body: Any, message: str) -> Result:
        assert self.cluster is not None
        result = commit_change(self.cluster, self.request.user, changes,
                               expected_version=self.expected_version(body), message=message,
                               dry_run=self.dry_run)
        self.cluster = result.cluster
        self._planned = changes
        return result

    def _respond(self, result: Result, key: Key, code: int = status.HTTP_200_OK) -> Response:
        if self.dry_run:
            return self._respond_dry(result, key, code)
        row = self._row(key[1], key[2])
        return self.versioned(self.get_serializer(row).data, code,
                              version=result.cluster.resource_version)

    def _respond_dry(self, result: Result, key: Key, code: int) -> Response:
        """The object as the write would have left it; the version did not move."""
        row = self.get_queryset().filter(namespace=key[1], name=key[2]).first() or \
            self.spec.model(cluster=self.cluster, namespace=key[1], name=key[2])
        if isinstance(row, Workload):
            row.workload_kind = self.kind
        for change in self._planned:
            if change.key == key and change.manifest is not None:
                row.manifest = change.manifest
                row.labels = labels_of(change.manifest)
            if change.key == key and change.position is not None:
                row.x, row.y = change.position
        if result.snapshot is not None:
            row.status = snapshot.status_of(result.snapshot, key)
            for name, value in row.columns_from_status(row.status).items():
                setattr(row, name, value)
        data = dict(self.get_serializer(row).data)
        data["dry_run"] = True
        return self.versioned(data, code, version=result.cluster.resource_version)


class NamespaceViewSet(ObjectViewSet):
    kind = "Namespace"
    queryset = Namespace.objects.all()
    serializer_class = NamespaceSerializer


class NodeViewSet(ObjectViewSet):
    kind = "Node"
    queryset = Node.objects.all()
    serializer_class = NodeSerializer


class PodViewSet(ObjectViewSet):
    kind = "Pod"
    queryset = Pod.objects.all()
    serializer_class = PodSerializer
    filterset_class = PodFilterSet


class ServiceViewSet(ObjectViewSet):
    kind = "Service"
    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet


class NetworkPolicyViewSet(ObjectViewSet):
    kind = "NetworkPolicy"
    queryset = NetworkPolicy.objects.all()
    serializer_class = NetworkPolicySerializer


class EndpointSliceViewSet(ObjectViewSet):
    kind = "EndpointSlice"
    queryset = EndpointSlice.objects.all()
    serializer_class = EndpointSliceSerializer


class DeploymentViewSet(ObjectViewSet):
    kind = "Deployment"
    queryset = Workload.objects.filter(workload_kind="Deployment")
    serializer_class = WorkloadSerializer


class ReplicaSetViewSet(ObjectViewSet):
    kind = "ReplicaSet"
    queryset = Workload.objects.filter(workload_kind="ReplicaSet")
    serializer_class = WorkloadSerializer


VIEWSETS: dict[str, type[ObjectViewSet]] = {
    v.kind: v for v in (NamespaceViewSet, NodeViewSet, DeploymentViewSet, ReplicaSetViewSet,
                        PodViewSet, ServiceViewSet, EndpointSliceViewSet, NetworkPolicyViewSet)
}
