"""What every cluster-scoped endpoint shares: error shapes, versions, limits, parsers.

* Errors: `{"detail": …}` plus `errors` (field-level, Kubernetes paths) for 400s;
  stale versions get 409 with the current `resource_version`.
* Versions: responses carry `ETag: "<resource_version>"`; writes read the expected
  version from `If-Match`, a `resourceVersion` body field, or `?resourceVersion=`.
  A write without any version is accepted (last writer wins); nothing is lost since
  every write is a revision.
* Limits: request bodies over 2 MiB → 413; deep JSON → 400.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, parsers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clusterlab.labs import yamldocs
from clusterlab.labs.errors import Invalid, LabsError, TooLarge
from clusterlab.labs.filters import FilterSetBackend
from clusterlab.labs.models import Cluster
from clusterlab.labs.permissions import get_cluster

log = logging.getLogger(__name__)

MAX_BODY_BYTES = int(os.environ.get("CLUSTERLAB_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
YAML_MEDIA_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
                    "text/plain")


def too_large(size: int) -> TooLarge:
    return TooLarge(f"request body is {size} bytes; the limit is {MAX_BODY_BYTES} bytes "
                    f"({MAX_BODY_BYTES // (1024 * 1024)} MiB)", limit=MAX_BODY_BYTES)


def labs_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    view = context.get("view")
    if isinstance(exc, LabsError):
        response = Response(exc.body(), status=exc.status_code)
        version = exc.extra.get("resource_version")
        if version is not None:
            response["ETag"] = f'"{version}"'
        return response
    if isinstance(exc, RequestDataTooBig):
        return labs_exception_handler(too_large(MAX_BODY_BYTES + 1), context)
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unexpected error in %s", type(view).__name__ if view else "?")
    return response


class SafeJSONParser(parsers.JSONParser):
    """JSON with a depth limit: deep nesting is a 400, never a RecursionError."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                f"JSON parse error - nesting deeper than {yamldocs.MAX_DEPTH} levels") from None
        try:
            yamldocs.check_depth(data, "body")
        except yamldocs.DocumentError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        return data


class YAMLTextParser(parsers.BaseParser):
    """YAML (or any text) bodies are handed over as text; the apply path parses them."""

    media_type = "application/yaml"

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict | None = None) -> str:
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise too_large(len(raw))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"body is not UTF-8 text: {exc}") from None


class TextYAMLParser(YAMLTextParser):
    media_type = "text/yaml"


class XYAMLParser(YAMLTextParser):
    media_type = "application/x-yaml"


class PlainTextParser(YAMLTextParser):
    media_type = "text/plain"


class YAMLRenderer(BaseRenderer):
    media_type = "text/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict | None = None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        import yaml

        return yaml.safe_dump(data, sort_keys=False).encode()


class VersionedPagination(PageNumberPagination):
    """Pages of a cluster's objects also carry the cluster's resource_version."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        version = getattr(self, "resource_version", None)
        if version is not None:
            response.data["resource_version"] = version
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["resource_version"] = {"type": "integer", "example": 7}
        return out


def parse_if_match(value: str) -> int | None:
    value = value.strip()
    if value in ("", "*"):
        return None
    first = value.split(",")[0].strip()
    if first.startswith("W/"):
        first = first[2:]
    first = first.strip('"')
    try:
        number = int(first)
    except ValueError:
        raise Invalid(f"If-Match: Invalid value: {value!r}: must be the cluster's "
                      'resource_version, e.g. "7"',
                      [{"field": "If-Match", "type": "Invalid value",
                        "message": f"If-Match: Invalid value: {value!r}: must be a "
                                   "resource_version"}]) from None
    return number


def _as_version(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        message = f"{where}: Invalid value: {value!r}: must be a positive integer"
        raise Invalid(message, [{"field": where, "type": "Invalid value", "message": message}])
    return number


class ClusterScopedMixin:
    """Loads the cluster of the URL with the caller's rights; stamps the ETag."""

    cluster: Cluster | None = None
    cluster_kwarg = "cluster_id"
    filter_backends = [FilterSetBackend]
    pagination_class = VersionedPagination
    parser_classes = [SafeJSONParser, parsers.FormParser, parsers.MultiPartParser]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return labs_exception_handler

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                size = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                size = 0
            if size > MAX_BODY_BYTES:
                raise too_large(size)

    def load_cluster(self, *, write: bool = False, owner: bool = False) -> Cluster:
        self.cluster = get_cluster(self.request.user,  # type: ignore[attr-defined]
                                   self.kwargs[self.cluster_kwarg],  # type: ignore[attr-defined]
                                   write=write, owner=owner)
        return self.cluster

    def expected_version(self, body: Any = None) -> int | None:
        request = self.request  # type: ignore[attr-defined]
        header = request.headers.get("If-Match")
        if header is not None:
            return parse_if_match(header)
        if isinstance(body, dict) and "resourceVersion" in body:
            return _as_version(body.get("resourceVersion"), "resourceVersion")
        return _as_version(request.query_params.get("resourceVersion"), "resourceVersion")

    def versioned(self, data: Any, status_code: int = status.HTTP_200_OK,
                  version: int | None = None, **kwargs: Any) -> Response:
        if version is None and self.cluster is not None:
            version = self.cluster.resource_version
        if isinstance(data, dict) and version is not None:
            data = {**data, "resource_version": version}
        return Response(data, status=status_code, **kwargs)

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response,  # type: ignore[misc]
                                             *args, **kwargs)
        if self.cluster is not None and "ETag" not in response and response.status_code < 500:
            response["ETag"] = f'"{self.cluster.resource_version}"'
        return response

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        if self.paginator is not None and self.cluster is not None:  # type: ignore[attr-defined]
            self.paginator.resource_version = self.cluster.resource_version  # type: ignore
        return page
