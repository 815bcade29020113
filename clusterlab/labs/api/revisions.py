"""`/api/clusters/{id}/revisions/…`: history, one revision, a diff of two, restore."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from clusterlab.labs import revisions
from clusterlab.labs.api.base import ClusterScopedMixin
from clusterlab.labs.errors import NotFound
from clusterlab.labs.models import Revision
from clusterlab.labs.serializers import RevisionDetailSerializer, RevisionSerializer


class RevisionViewSet(ClusterScopedMixin, viewsets.GenericViewSet):
    queryset = Revision.objects.none()
    serializer_class = RevisionSerializer
    lookup_field = "number"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if self.cluster is None:
            return Revision.objects.none()
        return Revision.objects.filter(cluster=self.cluster).select_related("author") \
            .order_by("-number")

    def list(self, request: Any, cluster_id: int) -> Response:
        self.load_cluster()
        page = self.paginate_queryset(self.get_queryset().defer("changes"))
        return self.get_paginated_response(RevisionSerializer(page, many=True).data)

    @extend_schema(responses={200: RevisionDetailSerializer})
    def retrieve(self, request: Any, cluster_id: int, number: int) -> Response:
        self.load_cluster()
        revision = self.get_queryset().filter(number=number).first()
        if revision is None:
            raise NotFound(f'revisions "{number}" not found')
        return self.versioned(RevisionDetailSerializer(revision).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def restore(self, request: Any, cluster_id: int, number: int) -> Response:
        """Bring back the state at revision `number` as a new revision."""
        cluster = self.load_cluster(write=True)
        body = request.data if isinstance(request.data, dict) else None
        result = revisions.restore(cluster, request.user, int(number),
                                   expected_version=self.expected_version(body))
        self.cluster = result.cluster
        out = result.summary()
        out["revision"] = result.revision.number if result.revision else None
        out["restored"] = int(number)
        return self.versioned(out, version=result.cluster.resource_version)


class RevisionDiffView(ClusterScopedMixin, APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   description="What changes from revision `a` to revision `b`: "
                               "`{kind, namespace, name, action, before, after}` per object.")
    def get(self, request: Any, cluster_id: int, a: int, b: int) -> Response:
        cluster = self.load_cluster()
        current = revisions.current(cluster)
        state_a = revisions.state_at(cluster.pk, int(a), current[1], current[0],
                                     cluster.resource_version)
        state_b = revisions.state_at(cluster.pk, int(b), current[1], current[0],
                                     cluster.resource_version)
        return self.versioned({"from": int(a), "to": int(b),
                               "changes": revisions.diff_states(state_a, state_b)})
