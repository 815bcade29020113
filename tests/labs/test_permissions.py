"""One user cannot read, change, trace or export another's cluster through ANY endpoint.

The URL patterns are enumerated from the API's URLconf, so an endpoint added later is
covered without touching this file.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

from clusterlab.labs.kinds import BY_PLURAL
from clusterlab.labs.models import Cluster, Revision
from tests.labs.helpers import create_cluster

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
EXISTING = {"pods": ("shop", "web-1"), "nodes": ("", "node-1"), "namespaces": ("", "shop"),
            "services": ("shop", "web"), "networkpolicies": ("shop", "default-deny"),
            "endpointslices": ("shop", "none"), "deployments": ("shop", "none"),
            "replicasets": ("shop", "none")}


def api_patterns() -> list[tuple[str, URLPattern]]:
    """(name, pattern) of every named route under /api/ (recursively)."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix):
        for p in patterns:
            text = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, text)
            elif text.lstrip("^").startswith("api/") and p.name:
                found.append((p.name, p))

    walk(get_resolver().url_patterns, "")
    return found


def kwargs_for(pattern: URLPattern, cluster_id: int, name: str) -> dict:
    if isinstance(pattern.pattern, RoutePattern):
        params = list(pattern.pattern.converters)
    else:
        params = list(pattern.pattern.regex.groupindex)
    plural = name.rsplit("-", 1)[0]
    namespace, obj = EXISTING.get(plural, ("shop", "node-1"))
    values = {"pk": cluster_id, "cluster_id": cluster_id, "namespace": namespace,
              "name": obj, "number": 2, "a": 1, "b": 2}
    return {k: values[k] for k in params}


CLUSTER_ROUTES = [(n, p) for n, p in api_patterns()
                  if {"pk", "cluster_id"} & set(getattr(p.pattern, "converters", {}) or
                                                p.pattern.regex.groupindex)]


def test_the_enumeration_finds_every_kind_of_endpoint():
    names = {n for n, _ in CLUSTER_ROUTES}
    assert {"cluster-detail", "cluster-clone", "cluster-share", "cluster-unshare",
            "cluster-manifests", "cluster-connect", "cluster-dns", "cluster-policy",
            "cluster-healthcheck", "cluster-matrix", "cluster-matrix-diff", "node-tables",
            "revision-list", "revision-detail", "revision-diff", "revision-restore"} <= names
    for plural in BY_PLURAL:
        assert {f"{plural}-list", f"{plural}-detail", f"{plural}-position"} <= names


@pytest.fixture
def victim(api):
    return create_cluster(api, "secret-plans")


@pytest.fixture
def stranger(make_user):
    client = APIClient()
    client.force_authenticate(make_user("mallory"))
    return client


BODIES = {"post": {"port": 80, "username": "mallory", "yaml": "kind: Namespace"},
          "put": {"name": "x"}, "patch": {"x": 1, "y": 1}}


@pytest.mark.parametrize(("route", "pattern"), CLUSTER_ROUTES,
                         ids=[n for n, _ in CLUSTER_ROUTES])
def test_a_stranger_gets_404_on_every_method_of_every_cluster_endpoint(
        route, pattern, victim, stranger, api):
    url = reverse(route, kwargs=kwargs_for(pattern, victim["id"], route))
    before = Cluster.objects.get(pk=victim["id"]).resource_version
    statuses = {}
    for method in METHODS:
        response = getattr(stranger, method)(url, BODIES.get(method, {}), format="json")
        statuses[method] = response.status_code
        assert response.status_code in (404, 405), (method, url, response.status_code,
                                                    response.content[:200])
        assert b"secret-plans" not in response.content
        assert "ETag" not in response
    assert 404 in statuses.values(), statuses
    assert Cluster.objects.get(pk=victim["id"]).resource_version == before
    assert Revision.objects.filter(cluster_id=victim["id"]).count() == before
    # the owner reaches the same URL (not a 404 caused by a wrong test URL)
    actions = getattr(pattern.callback, "actions", None)
    readable = "get" in actions if actions is not None else hasattr(pattern.callback.cls, "get")
    if readable and "/none/" not in url:
        assert api.get(url).status_code == 200, url


def test_ids_that_do_not_exist_look_the_same_as_ids_of_others(stranger, victim):
    others = stranger.get(f"/api/clusters/{victim['id']}/")
    missing = stranger.get(f"/api/clusters/{victim['id'] + 1000}/")
    assert others.status_code == missing.status_code == 404
    assert others.json()["detail"].replace(str(victim["id"]), "N") == \
        missing.json()["detail"].replace(str(victim["id"] + 1000), "N")


@pytest.mark.parametrize(("route", "pattern"), CLUSTER_ROUTES,
                         ids=[n for n, _ in CLUSTER_ROUTES])
def test_a_read_only_share_can_read_and_query_but_not_write(route, pattern, victim, api,
                                                            bob_api):
    api.post(f"/api/clusters/{victim['id']}/share/", {"username": "bob"}, format="json")
    url = reverse(route, kwargs=kwargs_for(pattern, victim["id"], route))
    before = Cluster.objects.get(pk=victim["id"]).resource_version
    for method in ("put", "patch", "delete"):
        response = getattr(bob_api, method)(url, BODIES.get(method, {}), format="json")
        assert response.status_code in (403, 404, 405), (method, url, response.status_code)
        if response.status_code == 404:  # only for objects that do not exist
            assert route.endswith(("-detail", "-position")) and "none" in url
    assert Cluster.objects.get(pk=victim["id"]).resource_version == before


def test_templates_are_readable_by_all_but_writable_by_the_owner_only(api, bob_api):
    template = create_cluster(api, "tmpl", visibility="template")
    base = f"/api/clusters/{template['id']}/"
    assert bob_api.get(base).status_code == 200
    assert bob_api.get(base + "manifests").status_code == 200
    assert bob_api.post(base + "policy", {"from": "shop/web-1", "to": "shop/api-1",
                                          "port": 80}, format="json").status_code == 200
    assert bob_api.post(base + "pods/", {"manifest": {"kind": "Pod"}},
                        format="json").status_code == 403
    assert bob_api.post(base + "manifests", "kind: Namespace\n",
                        content_type="application/yaml").status_code == 403
    assert bob_api.post(base + "revisions/1/restore/", {}, format="json").status_code == 403
    assert bob_api.delete(base).status_code == 403
    assert bob_api.post(base + "clone/", {}, format="json").status_code == 201


def test_token_auth_for_scripts(alice, client):
    alice.set_password("pw-Secret-123")
    alice.save()
    response = client.post("/api/auth/token/", {"username": "alice",
                                                "password": "pw-Secret-123"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert client.get("/api/clusters/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.get("/api/clusters/", HTTP_AUTHORIZATION="Token wrong").status_code in (
        401, 403)
    assert client.post("/api/auth/token/", {"username": "alice", "password": "no"}
                       ).status_code == 400


def test_session_auth_needs_csrf_for_writes(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/clusters/").status_code == 200
    response = client.post("/api/clusters/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
