"""The ASGI entry point leaves the start-up heap out of the collector's full passes."""

from __future__ import annotations

import os
import subprocess
import sys


def test_start_up_objects_are_frozen_out_of_garbage_collection():
    code = ("import gc, clusterlab.asgi; "
            "print(gc.get_freeze_count(), len(gc.get_objects()))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, timeout=120)
    frozen, tracked = map(int, out.stdout.split())
    # Django, DRF, channels and the engine's modules: tens of thousands of objects that
    # a full collection no longer walks; what is left to walk is what came after.
    assert frozen > 50_000
    assert tracked < frozen / 10
