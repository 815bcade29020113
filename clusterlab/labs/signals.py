"""`cluster_changed` is sent once per committed write, after the transaction commits.

Receivers get `cluster` (the Cluster row at its new version) and `revision`; the live
app broadcasts `cluster.changed` to everyone viewing the cluster.
"""

from django.dispatch import Signal

cluster_changed = Signal()
