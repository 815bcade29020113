"""Test-run settings: the production settings module (DEBUG off) with a throwaway key.

Environment defaults are set before `clusterlab.settings` reads them; a real
environment (CI with DATABASE_URL and REDIS_URL) keeps its own values.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Redis pub/sub channels are shared by every database number: a prefix per run keeps
# two runs on one Redis (CI beside a developer's run) from hearing each other's groups.
os.environ.setdefault("CHANNEL_LAYER_PREFIX", "test" + os.urandom(4).hex())

from clusterlab.settings import *  # noqa: F403
