"""Liveness and readiness probes for the proxy, compose healthchecks and operators.

/healthz says the process answers; /readyz checks each dependency by name and
answers 503 when one is down, so a load balancer stops sending traffic there.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

PROBE_TIMEOUT_S = 2.0


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"; report it, don't crash
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}
    return {"ok": True, "vendor": connection.vendor,
            "ms": round((time.perf_counter() - started) * 1000, 2)}


async def _layer_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("readyz.")
    try:
        nonce = uuid.uuid4().hex
        await layer.send(channel, {"type": "readyz.probe", "nonce": nonce})
        message = await layer.receive(channel)
        if message.get("nonce") != nonce:
            raise RuntimeError("channel layer returned a different message")
    finally:
        await _forget(layer, channel)


async def _forget(layer: object, channel: str) -> None:
    """Drop the probe's channel. The pub/sub layer keeps a channel subscribed until a
    receive on it is cancelled (that is how a consumer's exit unsubscribes), so a probe
    every few seconds would otherwise pile up subscriptions; other layers expire it."""
    pending = asyncio.ensure_future(layer.receive(channel))  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    pending.cancel()
    await asyncio.wait([pending])  # never raises the probe's own CancelledError


async def check_channel_layer() -> dict:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    started = time.perf_counter()
    try:
        await asyncio.wait_for(_layer_round_trip(), PROBE_TIMEOUT_S)
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        return {"ok": False, "backend": backend, "error": reason[:300]}
    return {"ok": True, "backend": backend,
            "ms": round((time.perf_counter() - started) * 1000, 2)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
async def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": await sync_to_async(check_database)(),
              "channel_layer": await check_channel_layer()}
    ready = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status=200 if ready else 503)
