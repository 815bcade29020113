"""The history of a cluster: one Revision per write, so nothing is ever lost for good."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from clusterlab.labs.models.cluster import Cluster


class Revision(models.Model):
    """What one write changed. `number` equals the cluster's resource_version after it.

    `changes` is a list of `{kind, namespace, name, action, before, after}` with action
    created | updated | deleted | moved; before/after are the manifests (for `moved`,
    the `{x, y}` positions). Undoing the revisions after N in reverse order yields the
    state at N (labs/revisions.py), which is how diffs and restores are computed.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveBigIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                               null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    message = models.CharField(max_length=500, blank=True, default="")
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["cluster", "number"],
                                               name="labs_revision_unique_number")]

    def __str__(self) -> str:
        return f"{self.cluster_id}@{self.number}"
