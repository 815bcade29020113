"""WebSocket URL routes; each app adds its own patterns here."""

from django.urls import path

from clusterlab.core.probe import ProbeConsumer
from clusterlab.live.routing import websocket_urlpatterns as live_patterns

websocket_urlpatterns = [
    path("ws/healthz/", ProbeConsumer.as_asgi()),
    *live_patterns,
]
