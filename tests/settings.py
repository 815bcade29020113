"""Test-run settings: the production settings module (DEBUG off) with a throwaway key.

Environment defaults are set before `clusterlab.settings` reads them; a real
environment (CI with DATABASE_URL and REDIS_URL) keeps its own values.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from clusterlab.settings import *  # noqa: F403
