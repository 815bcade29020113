"""`/api/clusters/{id}/manifests`: export as YAML; apply YAML like `kubectl apply`.

POST body: YAML text (`Content-Type: application/yaml`, `text/yaml` or `text/plain`),
or JSON `{"yaml": "..."}`, or a JSON Kubernetes object / `List`. Query: `dryRun=All`
(report, write nothing), `prune=true` (delete what the YAML does not name),
`resourceVersion=N` (or `If-Match`). All-or-nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers
from rest_framework.response import Response
from rest_framework.views import APIView

from clusterlab.labs import apply as apply_mod
from clusterlab.labs import snapshot
from clusterlab.labs.api.base import (
    ClusterScopedMixin,
    PlainTextParser,
    SafeJSONParser,
    TextYAMLParser,
    XYAMLParser,
    YAMLTextParser,
)
from clusterlab.labs.errors import Invalid
from clusterlab.labs.serializers import ApplyResultSerializer


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "all")


def body_documents(data: Any) -> list[tuple[str, Any]]:
    """Documents of an apply body: YAML text, `{"yaml": …}`, or JSON objects."""
    if isinstance(data, str):
        return apply_mod.parse_text(data)
    if isinstance(data, dict) and "yaml" in data:
        if not isinstance(data["yaml"], str):
            raise Invalid("yaml: Invalid value: must be a string of YAML documents",
                          [{"field": "yaml", "type": "Invalid value",
                            "message": "yaml: Invalid value: must be a string"}])
        return apply_mod.parse_text(data["yaml"])
    if isinstance(data, dict) and data:
        return [("manifest#1", data)]
    if isinstance(data, list):
        return [(f"manifest#{i + 1}", d) for i, d in enumerate(data)]
    raise Invalid("body: Required value: YAML documents to apply",
                  [{"field": "body", "type": "Required value",
                    "message": "body: Required value: YAML documents to apply"}])


class ManifestsView(ClusterScopedMixin, APIView):
    parser_classes = [YAMLTextParser, TextYAMLParser, XYAMLParser, PlainTextParser,
                      SafeJSONParser, parsers.FormParser]

    @extend_schema(responses={(200, "text/yaml"): OpenApiTypes.STR},
                   description="The cluster as Kubernetes manifests (normalised, allocated).")
    def get(self, request: Any, cluster_id: int) -> HttpResponse:
        from clusterlab.sim import manifests

        cluster = self.load_cluster()
        engine = snapshot.get_engine(cluster)
        text = manifests.export(engine.cluster)
        response = HttpResponse(text, content_type="text/yaml; charset=utf-8")
        response["X-Resource-Version"] = str(cluster.resource_version)
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in cluster.name) or "cluster"
        response["Content-Disposition"] = f'inline; filename="{name}.yaml"'
        return response

    @extend_schema(
        request={"application/yaml": OpenApiTypes.STR, "text/yaml": OpenApiTypes.STR,
                 "application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("dryRun", OpenApiTypes.STR, enum=["All"],
                             description="`All`: report what would change, write nothing."),
            OpenApiParameter("prune", OpenApiTypes.BOOL,
                             description="Delete stored objects the YAML does not name."),
            OpenApiParameter("resourceVersion", OpenApiTypes.INT,
                             description="Expected version (or If-Match); 409 when stale."),
        ],
        responses={200: ApplyResultSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT),
                   409: OpenApiResponse(OpenApiTypes.OBJECT),
                   413: OpenApiResponse(OpenApiTypes.OBJECT)})
    def post(self, request: Any, cluster_id: int) -> Response:
        dry_run = _flag(request.query_params.get("dryRun"))
        cluster = self.load_cluster(write=not dry_run)
        docs = body_documents(request.data)
        result = apply_mod.apply(cluster, request.user, docs,
                                 prune=_flag(request.query_params.get("prune")),
                                 dry_run=dry_run,
                                 expected_version=self.expected_version(
                                     request.data if isinstance(request.data, dict) else None))
        self.cluster = result.cluster
        body = result.summary()
        body.pop("moved", None)
        body["dry_run"] = dry_run
        body["revision"] = result.revision.number if result.revision else None
        return self.versioned(body, version=result.cluster.resource_version)
