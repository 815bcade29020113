import json

import pytest
from django.db import DatabaseError

from clusterlab.core import health


@pytest.mark.django_db
def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency_by_name(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["channel_layer"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["database"] == {"ok": False,
                                          "error": "DatabaseError: connection refused"}
    assert body["checks"]["channel_layer"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_when_the_channel_layer_does_not_answer(client, monkeypatch):
    async def never(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(health, "_layer_round_trip", never)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["error"] == "ConnectionError: redis down"


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"ClusterLab" in response.content
