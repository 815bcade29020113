"""JSON shapes of the API. Writes go through labs/changes.py; serializers validate input
and render output only.

Cluster: `{id, name, description, owner, visibility, config, resource_version, created,
updated, can_write}`. Object: `{kind, namespace, name, manifest, labels, x, y, status,
created, updated}` plus each kind's denormalised columns; `status` is the engine's view
of the object at the cluster's current version (allocated IPs, node, clusterIP, …).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusterlab.labs.models import (
    Cluster,
    ClusterObject,
    EndpointSlice,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Revision,
    Service,
    Visibility,
    Workload,
)


class ClusterSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    can_write = serializers.SerializerMethodField()
    config = serializers.JSONField(required=False, help_text=(
        "The ClusterConfig `spec` as in a manifest: cni {plugin, mode}, clusterCIDR, "
        "serviceCIDR, clusterDomain, kubeProxyMode, nodePortRange, dns, externalHosts."))
    resourceVersion = serializers.IntegerField(
        write_only=True, required=False, min_value=1,
        help_text="The resource_version you read; 409 if the cluster moved since.")

    class Meta:
        model = Cluster
        fields = ["id", "name", "description", "owner", "visibility", "config",
                  "resource_version", "created", "updated", "can_write", "resourceVersion"]
        read_only_fields = ["id", "owner", "resource_version", "created", "updated"]

    def get_can_write(self, obj: Cluster) -> bool:
        value = getattr(obj, "can_write", None)
        if value is not None:
            return bool(value)
        request = self.context.get("request")
        return bool(request and obj.owner_id == request.user.pk)

    def validate_config(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("config must be a JSON object (ClusterConfig spec)")
        return value


class ShareSerializer(serializers.Serializer):
    username = serializers.CharField()
    can_write = serializers.BooleanField(default=False)

    def validate_username(self, value: str) -> str:
        if not get_user_model().objects.filter(username=value).exists():
            raise serializers.ValidationError(f'users "{value}" not found')
        return value


class UnshareSerializer(serializers.Serializer):
    username = serializers.CharField()


class CloneSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class ShareListSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    can_write = serializers.BooleanField()


class ObjectSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    manifest = serializers.JSONField()
    labels = serializers.JSONField(read_only=True)
    status = serializers.JSONField(read_only=True)

    class Meta:
        model: type[ClusterObject] = Namespace
        base_fields = ["kind", "namespace", "name", "manifest", "labels", "x", "y", "status",
                       "created", "updated"]
        fields = base_fields
        read_only_fields = fields


class NamespaceSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = Namespace


class NodeSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = Node
        fields = [*ObjectSerializer.Meta.base_fields, "internal_ip", "pod_cidr", "ready"]
        read_only_fields = fields


class PodSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = Pod
        fields = [*ObjectSerializer.Meta.base_fields, "node_name", "ip", "ready"]
        read_only_fields = fields


class ServiceSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = Service
        fields = [*ObjectSerializer.Meta.base_fields, "type", "cluster_ip"]
        read_only_fields = fields


class NetworkPolicySerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = NetworkPolicy


class EndpointSliceSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = EndpointSlice


class WorkloadSerializer(ObjectSerializer):
    class Meta(ObjectSerializer.Meta):
        model = Workload


SERIALIZERS: dict[type[ClusterObject], type[ObjectSerializer]] = {
    Namespace: NamespaceSerializer, Node: NodeSerializer, Pod: PodSerializer,
    Service: ServiceSerializer, NetworkPolicy: NetworkPolicySerializer,
    EndpointSlice: EndpointSliceSerializer, Workload: WorkloadSerializer,
}


class ObjectWriteSerializer(serializers.Serializer):
    """Request body of object writes. A bare Kubernetes manifest is accepted as well."""

    manifest = serializers.JSONField(help_text="The Kubernetes object (apiVersion, kind, "
                                               "metadata, spec).")
    x = serializers.FloatField(required=False, allow_null=True)
    y = serializers.FloatField(required=False, allow_null=True)
    resourceVersion = serializers.IntegerField(required=False, min_value=1)


class PositionSerializer(serializers.Serializer):
    x = serializers.FloatField(allow_null=True)
    y = serializers.FloatField(allow_null=True)
    resourceVersion = serializers.IntegerField(required=False, min_value=1)


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "author", "created", "message", "summary"]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_summary(self, obj: Revision) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in obj.changes or []:
            out[change.get("action", "?")] = out.get(change.get("action", "?"), 0) + 1
        return out


class RevisionDetailSerializer(RevisionSerializer):
    changes = serializers.JSONField()

    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "changes"]


class ApplyResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.DictField())
    updated = serializers.ListField(child=serializers.DictField())
    deleted = serializers.ListField(child=serializers.DictField())
    unchanged = serializers.ListField(child=serializers.DictField())
    config_changed = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    resource_version = serializers.IntegerField()
    revision = serializers.IntegerField(allow_null=True)


class MatrixRequestSerializer(serializers.Serializer):
    port = serializers.JSONField(help_text="Destination port number or name.")
    protocol = serializers.ChoiceField(choices=["TCP", "UDP", "SCTP"], default="TCP")
    namespace = serializers.CharField(required=False, help_text="Only pods of this namespace.")


class MatrixDiffRequestSerializer(MatrixRequestSerializer):
    manifests = serializers.CharField(required=False, help_text=(
        "YAML applied (without saving) on top of the current cluster."))
    revision = serializers.IntegerField(required=False, min_value=1, help_text=(
        "Compare the current cluster against this earlier revision."))
    prune = serializers.BooleanField(default=False)


VISIBILITY_CHOICES = [v.value for v in Visibility]
