"""Server-rendered pages of the live app: the list of one's clusters and the editor."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clusterlab.labs.permissions import visible_clusters


@login_required
@require_http_methods(["GET", "POST"])
def cluster_list(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        from clusterlab.labs.changes import create_cluster

        name = request.POST.get("name", "").strip()
        if not name:
            error = "name: Required value"
        elif len(name) > 200:
            error = "name: Too long: may not be more than 200 characters"
        else:
            cni = request.POST.get("cni", "flannel/vxlan")
            plugin, _, mode = cni.partition("/")
            cluster = create_cluster(request.user, name=name,
                                     config={"cni": {"plugin": plugin, "mode": mode}})
            return redirect("live:editor", cluster_id=cluster.pk)
    clusters = visible_clusters(request.user).order_by("-updated")
    return render(request, "live/cluster_list.html",
                  {"clusters": clusters, "error": error, "name": request.POST.get("name", "")})


@login_required
def editor(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = visible_clusters(request.user).filter(pk=cluster_id).first()
    if cluster is None:
        raise Http404("cluster not found")
    return render(request, "live/editor.html", {"cluster": cluster, "can_write": cluster.can_write})
