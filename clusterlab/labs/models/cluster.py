"""A user-built cluster: its owner, visibility, ClusterConfig and resource version."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    SHARED = "shared", "Shared with named users"
    TEMPLATE = "template", "Template (readable by every user)"


class Cluster(models.Model):
    """One cluster. `config` is the ClusterConfig `spec` exactly as in a manifest.

    `resource_version` is bumped by every write (labs/changes.py is the only writer);
    clients send it back (If-Match / resourceVersion) and get 409 when it moved, as
    the Kubernetes API server answers a stale update.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="clusters")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    config = models.JSONField(default=dict, blank=True)
    resource_version = models.PositiveBigIntegerField(default=1)
    visibility = models.CharField(max_length=16, choices=Visibility.choices,
                                  default=Visibility.PRIVATE, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner_id})"


class ClusterShare(models.Model):
    """Named access to someone else's cluster: read, or read and write with `can_write`."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="cluster_shares")
    can_write = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["cluster", "user"],
                                               name="labs_share_unique_user")]

    def __str__(self) -> str:
        return f"{self.cluster_id} → {self.user_id} ({'rw' if self.can_write else 'ro'})"
