"""Routes of the REST API, mounted at /api/ (see api/objects.py for the object URL scheme)."""

from __future__ import annotations

from django.urls import URLPattern, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import SimpleRouter

from clusterlab.labs.api import engine, objects, reachability, revisions
from clusterlab.labs.api.clusters import ClusterViewSet
from clusterlab.labs.kinds import KINDS

router = SimpleRouter()
router.register("clusters", ClusterViewSet, basename="cluster")

CLUSTER = "clusters/<int:cluster_id>/"


def object_routes() -> list[URLPattern]:
    out = []
    for spec in KINDS:
        viewset = objects.VIEWSETS[spec.kind]
        base = f"{CLUSTER}{spec.plural}/"
        ident = "<str:namespace>/<str:name>/" if spec.namespaced else "<str:name>/"
        out += [
            path(base, viewset.as_view({"get": "list", "post": "create"}),
                 name=f"{spec.plural}-list"),
            path(base + ident, viewset.as_view({"get": "retrieve", "put": "update",
                                                "patch": "partial_update",
                                                "delete": "destroy"}),
                 name=f"{spec.plural}-detail"),
            path(base + ident + "position/", viewset.as_view({"patch": "position"}),
                 name=f"{spec.plural}-position"),
        ]
    return out


urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    # reachability.ManifestsView: the manifests view whose dry run also answers the
    # flows the change opens and cuts (issue #7 what-if)
    path(CLUSTER + "manifests", reachability.ManifestsView.as_view(), name="cluster-manifests"),
    path(CLUSTER + "connect", engine.ConnectView.as_view(), name="cluster-connect"),
    path(CLUSTER + "dns", engine.DNSView.as_view(), name="cluster-dns"),
    path(CLUSTER + "policy", engine.PolicyView.as_view(), name="cluster-policy"),
    path(CLUSTER + "healthcheck", engine.HealthCheckView.as_view(), name="cluster-healthcheck"),
    path(CLUSTER + "matrix", engine.MatrixView.as_view(), name="cluster-matrix"),
    path(CLUSTER + "matrix/diff", engine.MatrixDiffView.as_view(), name="cluster-matrix-diff"),
    path(CLUSTER + "reachability", reachability.ReachabilityView.as_view(),
         name="cluster-reachability"),
    path(CLUSTER + "compare", reachability.CompareView.as_view(), name="cluster-compare"),
    path(CLUSTER + "networkpolicies/<str:namespace>/<str:name>/describe",
         reachability.PolicyDescribeView.as_view(), name="networkpolicies-describe"),
    path(CLUSTER + "pods/<str:namespace>/<str:name>/policies",
         reachability.PodPoliciesView.as_view(), name="pods-policies"),
    path(CLUSTER + "nodes/<str:name>/tables", engine.NodeTablesView.as_view(),
         name="node-tables"),
    path(CLUSTER + "revisions/", revisions.RevisionViewSet.as_view({"get": "list"}),
         name="revision-list"),
    path(CLUSTER + "revisions/<int:number>/",
         revisions.RevisionViewSet.as_view({"get": "retrieve"}), name="revision-detail"),
    path(CLUSTER + "revisions/<int:a>/diff/<int:b>/", revisions.RevisionDiffView.as_view(),
         name="revision-diff"),
    path(CLUSTER + "revisions/<int:number>/restore/",
         revisions.RevisionViewSet.as_view({"post": "restore"}), name="revision-restore"),
    *object_routes(),
    *router.urls,
]
