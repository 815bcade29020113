"""Shared fixtures. The default run needs neither PostgreSQL nor Redis."""

import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(request):
    """Templates resolve {% static %} without a collectstatic manifest in tests.

    Pure engine tests also run with `-p no:django`; they need no settings.
    """
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
