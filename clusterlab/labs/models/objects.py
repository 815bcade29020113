"""Kubernetes objects of a cluster: one concrete model per kind over a shared base.

The `manifest` (the object as the user applied it) is the source of truth; the other
columns are derived for filtering and display. `status` holds the engine's computed
view at the last write (allocated pod IP, node, podCIDR, clusterIP, nodePorts); it is
fed back to the loader so allocations stay put across later writes, the way the API
server persists a Service's clusterIP and a pod's IP (labs/snapshot.py `pinned`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from clusterlab.labs.models.cluster import Cluster


class ClusterObject(models.Model):
    KIND: ClassVar[str] = ""
    PLURAL: ClassVar[str] = ""
    API_VERSION: ClassVar[str] = "v1"
    NAMESPACED: ClassVar[bool] = True

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE,
                                related_name="%(class)s_objects")
    namespace = models.CharField(max_length=63, blank=True, default="")
    name = models.CharField(max_length=253)
    manifest = models.JSONField()
    labels = models.JSONField(default=dict, blank=True)
    status = models.JSONField(default=dict, blank=True)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["namespace", "name"]
        constraints = [models.UniqueConstraint(fields=["cluster", "namespace", "name"],
                                               name="%(app_label)s_%(class)s_unique_name")]

    def __str__(self) -> str:
        ident = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.KIND} {ident}"

    @property
    def kind(self) -> str:
        return self.KIND

    def columns_from_status(self, status: dict[str, Any]) -> dict[str, Any]:
        """Denormalised column values for `status` (the engine's view of this object)."""
        return {}


class Namespace(ClusterObject):
    KIND = "Namespace"
    PLURAL = "namespaces"
    NAMESPACED = False

    class Meta(ClusterObject.Meta):
        pass


class Node(ClusterObject):
    KIND = "Node"
    PLURAL = "nodes"
    NAMESPACED = False

    internal_ip = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    pod_cidr = models.CharField(max_length=43, blank=True, default="")
    ready = models.BooleanField(default=True)

    class Meta(ClusterObject.Meta):
        pass

    def columns_from_status(self, status: dict[str, Any]) -> dict[str, Any]:
        return {"internal_ip": status.get("internalIP") or None,
                "pod_cidr": status.get("podCIDR") or "",
                "ready": bool(status.get("ready", True))}


class Pod(ClusterObject):
    KIND = "Pod"
    PLURAL = "pods"

    node_name = models.CharField(max_length=253, blank=True, default="")
    ip = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    ready = models.BooleanField(default=True)

    class Meta(ClusterObject.Meta):
        pass

    def columns_from_status(self, status: dict[str, Any]) -> dict[str, Any]:
        return {"node_name": status.get("nodeName") or "",
                "ip": status.get("podIP") or None,
                "ready": bool(status.get("ready", True))}


class Service(ClusterObject):
    KIND = "Service"
    PLURAL = "services"

    type = models.CharField(max_length=16, default="ClusterIP")
    cluster_ip = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)

    class Meta(ClusterObject.Meta):
        pass

    def columns_from_status(self, status: dict[str, Any]) -> dict[str, Any]:
        ip = status.get("clusterIP")
        return {"type": status.get("type") or "ClusterIP",
                "cluster_ip": ip if ip and ip != "None" else None}  # headless: "None"


class NetworkPolicy(ClusterObject):
    KIND = "NetworkPolicy"
    PLURAL = "networkpolicies"
    API_VERSION = "networking.k8s.io/v1"

    class Meta(ClusterObject.Meta):
        verbose_name_plural = "network policies"


class EndpointSlice(ClusterObject):
    KIND = "EndpointSlice"
    PLURAL = "endpointslices"
    API_VERSION = "discovery.k8s.io/v1"

    class Meta(ClusterObject.Meta):
        pass


class Workload(ClusterObject):
    """Deployments and ReplicaSets as applied; the engine expands them into pods.

    One table for both kinds (`kind` column), unique per (cluster, kind, namespace, name).
    """

    KIND = "Workload"
    PLURAL = "workloads"
    API_VERSION = "apps/v1"

    workload_kind = models.CharField(max_length=32, default="Deployment")

    class Meta:
        ordering = ["namespace", "name"]
        constraints = [models.UniqueConstraint(
            fields=["cluster", "workload_kind", "namespace", "name"],
            name="labs_workload_unique_name")]

    @property
    def kind(self) -> str:
        return self.workload_kind
