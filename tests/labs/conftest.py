"""Fixtures of the labs API tests: users, an API client per user, a loaded cluster."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from clusterlab.labs import snapshot


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2's cost is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_snapshot_cache():
    from django.core.cache import cache

    cache.clear()  # throttle history too: user ids repeat across rolled-back tests
    snapshot.clear_cache()
    yield
    snapshot.clear_cache()


@pytest.fixture
def make_user(django_user_model):
    def make(username: str, password: str = "pw-Secret-123"):
        return django_user_model.objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bob_api(bob):
    client = APIClient()
    client.force_authenticate(bob)
    return client
