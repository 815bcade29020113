"""Never a 500: engine failures, stale stored data, failing receivers, throttling."""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from clusterlab.labs import snapshot
from clusterlab.labs.models import Cluster, Pod, Service
from clusterlab.labs.signals import cluster_changed
from tests.labs.helpers import create_cluster, pod

pytestmark = pytest.mark.django_db


def test_stored_data_the_engine_now_refuses_is_a_422_listing_every_problem(api):
    cluster = create_cluster(api)
    # as if an engine upgrade made a stored Service invalid
    Service.objects.filter(cluster_id=cluster["id"], name="web").update(
        manifest={"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"ports": [{"port": 0, "targetPort": 80}]}})
    snapshot.clear_cache()
    response = api.post(f"/api/clusters/{cluster['id']}/policy",
                        {"from": "shop/web-1", "to": "shop/api-1", "port": 80}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("the stored cluster does not load any more: "
                                     'Service "web" is invalid')
    assert body["errors"][0]["field"] == "spec.ports[0].port"
    assert api.get(f"/api/clusters/{cluster['id']}/manifests").status_code == 422
    # the owner can repair it with a write that fixes the object
    fixed = api.put(f"/api/clusters/{cluster['id']}/services/shop/web/",
                    {"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": "web", "namespace": "shop"},
                     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
                    format="json")
    assert fixed.status_code == 200, fixed.content
    assert api.get(f"/api/clusters/{cluster['id']}/manifests").status_code == 200


def test_an_engine_crash_on_write_is_a_422_and_writes_nothing(api, monkeypatch):
    cluster = create_cluster(api)

    def crash(*args, **kwargs):
        raise ZeroDivisionError("simulated engine bug")

    monkeypatch.setattr(snapshot, "load_state", crash)
    response = api.post(f"/api/clusters/{cluster['id']}/pods/", pod("p", node="node-1"),
                        format="json")
    assert response.status_code == 422
    assert "ZeroDivisionError: simulated engine bug" in response.json()["detail"]
    assert not Pod.objects.filter(cluster_id=cluster["id"], name="p").exists()
    assert Cluster.objects.get(pk=cluster["id"]).resource_version == \
        cluster["resource_version"]


def test_a_failing_change_receiver_does_not_fail_the_committed_write(
        api, django_capture_on_commit_callbacks):
    cluster = create_cluster(api)

    def broken(**kwargs):
        raise ConnectionError("redis is down")

    cluster_changed.connect(broken, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/clusters/{cluster['id']}/pods/",
                                pod("p", node="node-1"), format="json")
    finally:
        cluster_changed.disconnect(dispatch_uid="test-broken")
    assert response.status_code == 201
    assert Pod.objects.filter(cluster_id=cluster["id"], name="p").exists()


def test_requests_are_throttled_per_user(api, bob_api, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES",
                        {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/minute"})
    assert [api.get("/api/clusters/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert bob_api.get("/api/clusters/").status_code == 200  # per user, not global
