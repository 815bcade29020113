"""What kubectl shows but the snapshot (`model.Cluster`) does not record.

The model keeps the networking state of a cluster, not its history: no
`metadata.creationTimestamp`, no container restart counts, no kubelet/OS versions. The
console needs them for AGE, RESTARTS, `Start Time`, VERSION and the like, so the caller
may pass a `Facts`; whatever it leaves out gets a fixed default, so the same snapshot
and the same `now` always print the same text:

* `now` defaults to `DEFAULT_NOW` (not the wall clock: output must be reproducible);
* an object's creation time is `Facts.created["<kind>/<namespace>/<name>"]` (cluster-
  scoped kinds: `"<kind>/<name>"`; kind is the plural resource name, e.g. `pods`,
  `services`, `nodes`), else `Facts.cluster_created`, else `now − DEFAULT_AGE`;
* restarts are `Facts.restarts["<namespace>/<pod>"] = (count, last restart time)`;
* node system info (`VERSION`, `OS-IMAGE`, …) is `Facts.node_info` or `DEFAULT_NODE_INFO`
  (a kubeadm v1.33 node on Ubuntu 24.04 with containerd — the values of KCTL-6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

DEFAULT_NOW = datetime(2025, 5, 1, 10, 5, 12, tzinfo=UTC)
DEFAULT_AGE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    kubelet_version: str = "v1.33.1"
    os_image: str = "Ubuntu 24.04.2 LTS"
    kernel_version: str = "6.8.0-60-generic"
    container_runtime: str = "containerd://1.7.27"
    architecture: str = "amd64"
    operating_system: str = "linux"


DEFAULT_NODE_INFO = NodeInfo()
_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Facts:
    """Creation times, restarts and node info for the console (see the module docstring)."""

    cluster_created: datetime | None = None
    created: Mapping[str, datetime] = field(default_factory=lambda: _EMPTY)
    restarts: Mapping[str, tuple[int, datetime | None]] = field(default_factory=lambda: _EMPTY)
    node_info: Mapping[str, NodeInfo] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Clock:
    """`now` plus the facts, answering per object."""

    now: datetime
    facts: Facts

    @classmethod
    def of(cls, now: datetime | None, facts: Facts | None) -> Clock:
        now = now or DEFAULT_NOW
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return cls(now, facts or Facts())

    @property
    def cluster_created(self) -> datetime:
        return self.facts.cluster_created or (self.now - DEFAULT_AGE)

    def created(self, kind: str, namespace: str, name: str) -> datetime:
        key = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
        return self.facts.created.get(key) or self.cluster_created

    def restarts(self, namespace: str, name: str) -> tuple[int, datetime | None]:
        return self.facts.restarts.get(f"{namespace}/{name}", (0, None))

    def node_info(self, name: str) -> NodeInfo:
        return self.facts.node_info.get(name, DEFAULT_NODE_INFO)
