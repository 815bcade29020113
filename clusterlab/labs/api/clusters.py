"""`/api/clusters/`: list, create, retrieve (`?include=objects`), update, delete, clone,
share, unshare."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clusterlab.labs import snapshot
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.changes import commit_change, create_cluster
from clusterlab.labs.errors import NotFound
from clusterlab.labs.filters import ClusterFilterSet
from clusterlab.labs.listing import listing_json
from clusterlab.labs.models import Cluster, ClusterShare, Visibility
from clusterlab.labs.permissions import visible_clusters
from clusterlab.labs.serializers import (
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
    def retrieve(self, request: Any, pk: str) -> Response | HttpResponse:
        cluster = self.load_cluster()
        if request.query_params.get("include") != "objects":
            return self.versioned(ClusterSerializer(cluster, context={"request": request}).data)
        # The listing is the same for every reader of a version: its JSON comes from the
        # per-version cache (labs/listing.py) and is joined to this reader's cluster fields.
        objects = listing_json(cluster)  # sets the version the listing shows
        head = JSONRenderer().render(self.versioned(
            ClusterSerializer(cluster, context={"request": request}).data).data)
        return HttpResponse(head[:-1] + b',"objects":' + objects + b"}",
                            content_type="application/json")

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
