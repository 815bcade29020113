"""One snapshot's indexes, each built at most once and only when first asked for.

The web layers cache an `Engine` per (cluster id, resource_version); every question
about that version (verdicts, traces, DNS, matrices, node tables) reuses the same
compiled indexes instead of rebuilding them per request.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from clusterlab.sim.model import Cluster

if TYPE_CHECKING:  # imported lazily below so a missing optional piece fails only when used
    from clusterlab.sim.cni import Dataplane
    from clusterlab.sim.dns import CoreDNS
    from clusterlab.sim.endpoints import EndpointIndex
    from clusterlab.sim.kubeproxy import KubeProxy
    from clusterlab.sim.policy import PolicyIndex


class Engine:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @cached_property
    def endpoints(self) -> EndpointIndex:
        from clusterlab.sim.endpoints import EndpointIndex

        return EndpointIndex.build(self.cluster)

    @cached_property
    def kubeproxy(self) -> KubeProxy:
        from clusterlab.sim.kubeproxy import KubeProxy

        return KubeProxy.build(self.cluster, self.endpoints)

    @cached_property
    def policy(self) -> PolicyIndex:
        from clusterlab.sim.policy import PolicyIndex

        return PolicyIndex.build(self.cluster)

    @cached_property
    def dns(self) -> CoreDNS:
        from clusterlab.sim.dns import CoreDNS

        return CoreDNS.build(self.cluster, self.endpoints)

    @cached_property
    def dataplane(self) -> Dataplane:
        from clusterlab.sim.cni import dataplane_for

        return dataplane_for(self.cluster)
