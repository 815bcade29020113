"""ASGI apps for bench_ws_fanout.py --asgi: the project's stack (HTTP, Origin check,
session auth) with a prototype consumer (consumer_prototypes.py) on ws/clusters/<id>/.

    .venv/bin/python bench/bench_ws_fanout.py --asgi bench.loadgen.proto_asgi:application_p4
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from bench.loadgen import consumer_prototypes as proto_live  # noqa: E402
from clusterlab.live.consumers import ClusterConsumer  # noqa: E402


def app(consumer):  # type: ignore[no-untyped-def]
    routes = [path("ws/clusters/<int:cluster_id>/", consumer.as_asgi())]
    return ProtocolTypeRouter({"http": django_asgi_app, "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter(routes)))})


application_asis = app(ClusterConsumer)       # as is, only with the profiler hook imported
application_p0 = app(proto_live.P0)
application_p1 = app(proto_live.P1)
application_p2 = app(proto_live.P2)
application_p3 = app(proto_live.P3)
application_p4 = app(proto_live.P4)
