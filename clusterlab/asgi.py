"""ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers.

WebSockets pass the Origin check (AllowedHostsOriginValidator) and carry the
Django session user (AuthMiddlewareStack); consumers decide permissions.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from clusterlab.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Everything loaded so far (Django, DRF, the engine's modules: ~130k objects) lives as
# long as the process. Freezing it keeps the collector's full passes, which otherwise
# walk it every time and were measured at 130-215 ms in a daphne serving 500 viewers,
# to the objects created since (gc.freeze, Python docs; docs/performance.md).
gc.collect()
gc.freeze()
