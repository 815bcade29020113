"""Signals the labs app sends after a transaction commits.

`cluster_changed` is sent once per committed write: receivers get `cluster` (the
Cluster row at its new version), `revision` and `derived` (changes.Derived: what the
write changed besides the objects it names); the live app broadcasts `cluster.changed`
to everyone viewing the cluster.

`cluster_access_changed` is sent when who may read or write a cluster may have
changed (a share added, changed or withdrawn, a new visibility, the cluster deleted):
receivers get `cluster_id`; the live app closes the sockets of viewers who lost access.
"""

from django.dispatch import Signal

cluster_changed = Signal()
cluster_access_changed = Signal()


def access_changed_on_commit(cluster_id: int) -> None:
    """Send `cluster_access_changed` once the current transaction commits (or now)."""
    from django.db import transaction

    transaction.on_commit(lambda: cluster_access_changed.send(sender=None,
                                                              cluster_id=cluster_id))
