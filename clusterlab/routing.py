"""WebSocket URL routes; each app adds its own patterns here."""

from django.urls import path

from clusterlab.core.probe import ProbeConsumer

websocket_urlpatterns = [
    path("ws/healthz/", ProbeConsumer.as_asgi()),
]
