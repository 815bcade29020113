from django.contrib import admin

from clusterlab.labs.models import (
    Cluster,
    ClusterShare,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Revision,
    Service,
    Workload,
)


class ShareInline(admin.TabularInline):
    model = ClusterShare
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "visibility", "resource_version", "updated"]
    list_filter = ["visibility"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["resource_version", "created", "updated"]
    inlines = [ShareInline]


@admin.register(ClusterShare)
class ClusterShareAdmin(admin.ModelAdmin):
    list_display = ["cluster", "user", "can_write", "created"]
    raw_id_fields = ["cluster", "user"]


class ObjectAdmin(admin.ModelAdmin):
    """Read-mostly: edits here bypass versioning, so rows are shown, not edited."""

    list_display = ["name", "namespace", "cluster", "updated"]
    list_filter = ["namespace"]
    search_fields = ["name", "namespace", "cluster__name"]
    raw_id_fields = ["cluster"]
    readonly_fields = ["manifest", "labels", "status", "created", "updated"]


for model, extra in ((Namespace, []), (Node, ["internal_ip", "pod_cidr", "ready"]),
                     (Pod, ["node_name", "ip", "ready"]), (Service, ["type", "cluster_ip"]),
                     (NetworkPolicy, []), (EndpointSlice, []), (Workload, ["workload_kind"])):
    admin.site.register(model, type(f"{model.__name__}Admin", (ObjectAdmin,),
                                    {"list_display": [*ObjectAdmin.list_display, *extra]}))


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["cluster", "number", "author", "created", "message"]
    raw_id_fields = ["cluster", "author"]
    readonly_fields = ["changes", "created"]
