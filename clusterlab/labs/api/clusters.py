"""`/api/clusters/`: list, create, retrieve (`?include=objects`), update, delete, clone,
share, unshare."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clusterlab.labs import snapshot
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.changes import commit_change, create_cluster
from clusterlab.labs.errors import NotFound
from clusterlab.labs.filters import ClusterFilterSet
from clusterlab.labs.kinds import BY_KIND, KINDS
from clusterlab.labs.models import Cluster, ClusterShare, Visibility
from clusterlab.labs.permissions import visible_clusters
from clusterlab.labs.serializers import (
    SERIALIZERS,
    CloneSerializer,
    ClusterSerializer,
    ShareListSerializer,
    ShareSerializer,
    UnshareSerializer,
)
from clusterlab.labs.signals import access_changed_on_commit

INCLUDE = OpenApiParameter(
    "include", OpenApiTypes.STR, enum=["objects"], required=False,
    description="`objects`: also return every object with the engine's computed status "
                "(pod IPs, nodes, podCIDRs, clusterIPs, nodePorts), implicit ones included.")


class ClusterViewSet(ClusterScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Clusters the caller may see: their own, those shared with them, templates."""

    queryset = Cluster.objects.none()
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilterSet
    lookup_value_regex = r"\d+"
    cluster_kwarg = "pk"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return visible_clusters(self.request.user).order_by("id")

    def create(self, request: Any) -> Response:
        serializer = ClusterSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cluster = create_cluster(request.user, name=data["name"],
                                 description=data.get("description", ""),
                                 config=data.get("config") or {},
                                 visibility=data.get("visibility", Visibility.PRIVATE))
        self.cluster = cluster
        cluster.can_write = True  # type: ignore[attr-defined]
        return self.versioned(ClusterSerializer(cluster, context={"request": request}).data,
                              status.HTTP_201_CREATED)

    @extend_schema(parameters=[INCLUDE])
    def retrieve(self, request: Any, pk: str) -> Response:
        cluster = self.load_cluster()
        data = ClusterSerializer(cluster, context={"request": request}).data
        if request.query_params.get("include") == "objects":
            data["objects"] = objects_payload(cluster)
        return self.versioned(data)

    def update(self, request: Any, pk: str, partial: bool = False) -> Response:
        cluster = self.load_cluster(write=True)
        serializer = ClusterSerializer(cluster, data=request.data, partial=partial,
                                       context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields = {k: data[k] for k in ("name", "description", "visibility") if k in data}
        if fields.get("visibility", cluster.visibility) != cluster.visibility:
            self.load_cluster(write=True, owner=True)
        result = commit_change(cluster, request.user, [],
                               expected_version=self.expected_version(request.data),
                               config=data.get("config"), fields=fields,
                               message="update cluster")
        self.cluster = result.cluster
        if "visibility" in fields:
            access_changed_on_commit(cluster.pk)
        result.cluster.can_write = True  # type: ignore[attr-defined]
        return self.versioned(ClusterSerializer(result.cluster, context={"request": request}).data)

    def partial_update(self, request: Any, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Any, pk: str) -> Response:
        cluster = self.load_cluster(owner=True)
        expected = self.expected_version()
        with transaction.atomic():
            locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
            if expected is not None and expected != locked.resource_version:
                from clusterlab.labs.errors import Conflict

                raise Conflict(locked.resource_version, name=locked.name)
            locked.delete()
            access_changed_on_commit(cluster.pk)  # open sockets of it close
        self.cluster = None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CloneSerializer, responses={201: ClusterSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Any, pk: str) -> Response:
        """Deep copy (objects, positions, config, allocations); the caller owns the copy."""
        source = self.load_cluster()
        body = CloneSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        rows = snapshot.load_rows(source.pk)
        copy = create_cluster(request.user,
                              name=body.validated_data.get("name") or f"{source.name} (copy)",
                              description=body.validated_data.get("description",
                                                                  source.description),
                              config=source.config, objects=snapshot.state_of(rows),
                              message=f"clone of cluster {source.pk}@{source.resource_version}")
        copy.can_write = True  # type: ignore[attr-defined]
        self.cluster = copy
        return self.versioned(ClusterSerializer(copy, context={"request": request}).data,
                              status.HTTP_201_CREATED)

    @extend_schema(request=ShareSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def share(self, request: Any, pk: str) -> Response:
        """Share with a user (read, or read-write with `can_write`). Owner only."""
        cluster = self.load_cluster(owner=True)
        body = ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_user_model().objects.get(username=body.validated_data["username"])
        if user.pk == cluster.owner_id:
            raise serializers.ValidationError({"username": "the owner already has access"})
        ClusterShare.objects.update_or_create(
            cluster=cluster, user=user, defaults={"can_write": body.validated_data["can_write"]})
        if cluster.visibility == Visibility.PRIVATE:
            Cluster.objects.filter(pk=cluster.pk).update(visibility=Visibility.SHARED)
            cluster.visibility = Visibility.SHARED
        access_changed_on_commit(cluster.pk)
        return self.versioned(self._shares(cluster))

    @extend_schema(request=UnshareSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def unshare(self, request: Any, pk: str) -> Response:
        """Withdraw a user's access. Owner only."""
        cluster = self.load_cluster(owner=True)
        body = UnshareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deleted, _ = ClusterShare.objects.filter(
            cluster=cluster, user__username=body.validated_data["username"]).delete()
        if not deleted:
            raise NotFound(f'users "{body.validated_data["username"]}" not found in the '
                           "cluster's shares")
        if cluster.visibility == Visibility.SHARED and not cluster.shares.exists():
            Cluster.objects.filter(pk=cluster.pk).update(visibility=Visibility.PRIVATE)
            cluster.visibility = Visibility.PRIVATE
        access_changed_on_commit(cluster.pk)  # the user's open sockets close
        return self.versioned(self._shares(cluster))

    def _shares(self, cluster: Cluster) -> dict[str, Any]:
        shares = cluster.shares.select_related("user").order_by("user__username")
        return {"id": cluster.pk, "visibility": cluster.visibility,
                "shares": ShareListSerializer(shares, many=True).data}


def objects_payload(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    """Every object, stored or implicit, with the engine's status at this version."""
    for _attempt in range(3):  # rows and engine of one version, the one reported
        rows = snapshot.load_rows(cluster.pk)
        current = Cluster.objects.filter(pk=cluster.pk).values_list("resource_version",
                                                                     flat=True).first()
        if current == cluster.resource_version:
            break
        cluster.resource_version = current or cluster.resource_version
    snap = snapshot.get_engine(cluster).cluster
    out: dict[str, list[dict[str, Any]]] = {spec.plural: [] for spec in KINDS}
    by_model: dict[type, list[Any]] = {}
    for row in rows.values():
        by_model.setdefault(type(row), []).append(row)
    for model, items in by_model.items():  # one serializer per kind: fields built once
        for row, data in zip(items, SERIALIZERS[model](items, many=True).data, strict=True):
            key = (row.kind, row.namespace, row.name)
            data = dict(data)
            data["status"] = snapshot.status_of(snap, key)
            data["stored"] = True
            out[BY_KIND[key[0]].plural].append(data)
    stored = set(rows)
    for obj in (*snap.namespaces, *snap.nodes, *snap.pods, *snap.services,
                *snap.network_policies):
        entry = implicit_entry(snap, obj)
        if (entry["kind"], entry["namespace"], entry["name"]) not in stored:
            out[BY_KIND[entry["kind"]].plural].append(entry)
    return out


def stored_entry(row: Any, snap: Any) -> dict[str, Any]:
    """A stored object as `?include=objects` lists it (and `cluster.changed` sends it)."""
    data = dict(SERIALIZERS[type(row)](row).data)
    data["status"] = snapshot.status_of(snap, (row.kind, row.namespace, row.name))
    data["stored"] = True
    return data


def implicit_entry(snap: Any, obj: Any) -> dict[str, Any]:
    """An object the engine holds without a stored row (a workload's pod, a built-in
    namespace or Service), as `?include=objects` lists it."""
    kind = type(obj).__name__  # the engine's classes carry the kinds' names
    namespace = "" if kind in ("Namespace", "Node") else obj.namespace
    status_ = snapshot.status_of(snap, (kind, namespace, obj.name))
    entry = {"kind": kind, "namespace": namespace, "name": obj.name, "manifest": None,
             "labels": dict(obj.labels), "x": None, "y": None, "status": status_,
             "stored": False}
    if kind == "Pod":
        entry["owner"] = obj.owner
    entry.update(BY_KIND[kind].model().columns_from_status(status_))
    return entry


def engine_object(snap: Any, key: tuple[str, str, str]) -> Any:
    """The engine's object for a key of the five kinds it holds (None when absent)."""
    kind, namespace, name = key
    if kind == "Namespace":
        return snap.namespace_by_name.get(name)
    if kind == "Node":
        return snap.node_by_name.get(name)
    lookup = {"Pod": snap.pod_by_key, "Service": snap.service_by_key,
              "NetworkPolicy": snap.policy_by_key}.get(kind)
    return lookup.get(f"{namespace}/{name}") if lookup is not None else None
