"""Schemathesis over the OpenAPI schema: generated requests never get a 5xx.

Path parameters are pointed at a real cluster (owner's token), so the generated bodies
reach the write path, the engine and the manifest parser, not just the 404 branch.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.labs.helpers import DEMO_YAML, create_cluster  # noqa: E402


def _load_schema():  # type: ignore[no-untyped-def]
    """The schema drf-spectacular serves, generated in-process; requests go to the WSGI app."""
    import json

    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(
        SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    if not os.environ.get("CLUSTERLAB_FUZZ_COVERAGE"):
        # The coverage phase (every boundary case of every operation) takes minutes; CI
        # and developers run the fuzzing phase, set CLUSTERLAB_FUZZ_COVERAGE=1 for all.
        loaded.config.phases.update(phases=["examples", "fuzzing"])
    return loaded


schema = _load_schema()


@pytest.fixture
def target(db, api, alice):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    cluster = create_cluster(api, yaml_text=DEMO_YAML)
    token, _ = Token.objects.get_or_create(user=alice)
    # The raw WSGI handler would close the test's connection around each request (Django's
    # test client prevents it, and reconnects the handlers after each of its requests);
    # on PostgreSQL that would end the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"id": cluster["id"], "token": token.key}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_generated_requests_never_get_a_server_error(case, target):
    for name in ("cluster_id", "id"):
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = target["id"]
    response = case.call(headers={"Authorization": f"Token {target['token']}"})
    case.validate_response(response, checks=[not_a_server_error])
