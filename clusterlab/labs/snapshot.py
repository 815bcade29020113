"""Rows of one cluster → the engine's immutable snapshot, cached per resource version.

A snapshot is `manifests.load_documents` over every stored object plus a ClusterConfig
document built from `Cluster.config`. Loading costs one query per table (7) plus one to
re-read the version, whatever the number of pods; the result (an `Engine`, which keeps
its indexes) is cached in-process by (cluster id, resource_version), so a version that
did not move is never rebuilt. A write (labs/changes.py) hands its freshly validated
snapshot to the cache after commit.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from typing import Any, Generic, TypeVar

from clusterlab.labs.kinds import BY_KIND, CONFIG_API_VERSION, CONFIG_KIND, KINDS, MODELS, Key
from clusterlab.labs.models import Cluster, ClusterObject
from clusterlab.sim import model as sim
from clusterlab.sim.engine import Engine

log = logging.getLogger(__name__)
CACHE_SIZE = int(os.environ.get("CLUSTERLAB_SNAPSHOT_CACHE", "32"))  # clusters
_KIND_ORDER = {k.kind: i for i, k in enumerate(KINDS)}


@dataclass
class Obj:
    """One object of a (possibly would-be) cluster state."""

    manifest: dict[str, Any]
    status: dict[str, Any] = field(default_factory=dict)
    x: float | None = None
    y: float | None = None


State = dict[Key, Obj]


# --------------------------------------------------------------------------- rows


def load_rows(cluster_id: int) -> dict[Key, ClusterObject]:
    """Every object row of a cluster: one query per table, in load order."""
    rows: dict[Key, ClusterObject] = {}
    for model in MODELS:
        for row in model.objects.filter(cluster_id=cluster_id).order_by("id"):
            rows[(row.kind, row.namespace, row.name)] = row
    return dict(sorted(rows.items(), key=lambda kv: _KIND_ORDER.get(kv[0][0], 99)))


def state_of(rows: Mapping[Key, ClusterObject]) -> State:
    return {k: Obj(r.manifest, r.status or {}, r.x, r.y) for k, r in rows.items()}


# --------------------------------------------------------------------------- documents


def config_document(config: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": CONFIG_API_VERSION, "kind": CONFIG_KIND,
            "metadata": {"name": "cluster"}, "spec": copy.deepcopy(dict(config))}


def documents(config: Mapping[str, Any], state: State,
              sources: Mapping[Key, str] | None = None) -> list[tuple[str, dict]]:
    """The loader's input: the config document, then every object with its pins."""
    docs: list[tuple[str, dict]] = [("ClusterConfig", config_document(config))]
    pins = _PinContext(config, state)
    ordered = sorted(state.items(), key=lambda kv: _KIND_ORDER.get(kv[0][0], 99))
    for key, obj in ordered:
        source = (sources or {}).get(key) or _source_name(key)
        docs.append((source, pins.pinned(key, obj)))
    return docs


def _source_name(key: Key) -> str:
    spec = BY_KIND.get(key[0])
    plural = spec.plural if spec else key[0]
    return f"{plural}/{key[1]}/{key[2]}" if key[1] else f"{plural}/{key[2]}"


class _PinContext:
    """Feeds back allocated values (status) where the manifest leaves them open.

    The API server persists what it allocated (a Service's clusterIP and nodePorts, a
    pod's node and IP, a workload's pods' nodes and IPs, a node's podCIDR), so later
    writes never move them. A pin is
    dropped when it no longer fits: the node is gone or the pod asks for another node,
    the address left the (changed) CIDR, the Service changed type.
    """

    def __init__(self, config: Mapping[str, Any], state: State):
        self.nodes = {k[2]: o for k, o in state.items() if k[0] == "Node"}
        cni = config.get("cni") if isinstance(config.get("cni"), dict) else {}
        self.plugin = str(cni.get("plugin") or "flannel")
        self.cluster_cidr = _net(config.get("clusterCIDR"), _default_cluster_cidr(self.plugin))
        self.service_cidr = _net(config.get("serviceCIDR"), sim.ClusterConfig().service_cidr)
        self.port_range = _port_range(config.get("nodePortRange"))

    def node_cidr(self, node: str) -> IPv4Network | None:
        obj = self.nodes.get(node)
        if obj is None:
            return None
        spec = obj.manifest.get("spec") or {}
        value = spec.get("podCIDR") if isinstance(spec, dict) else None
        return _net(value or self.node_pin(obj), None)

    def node_pin(self, obj: Obj) -> str | None:
        cidr = _net(obj.status.get("podCIDR"), None)
        if cidr is not None and cidr.subnet_of(self.cluster_cidr):
            return str(cidr)
        return None

    def pinned(self, key: Key, obj: Obj) -> dict[str, Any]:
        status = obj.status
        manifest = obj.manifest
        if not status or not isinstance(manifest.get("spec", {}), dict):
            return manifest
        kind = key[0]
        if kind == "Pod":
            return self._pod(manifest, status)
        if kind == "Node":
            pin = self.node_pin(obj)
            if pin and not (manifest.get("spec") or {}).get("podCIDR"):
                out = copy.deepcopy(manifest)
                out.setdefault("spec", {})["podCIDR"] = pin
                return out
            return manifest
        if kind == "Service":
            return self._service(manifest, status)
        if kind in ("Deployment", "ReplicaSet") and isinstance(status.get("pods"), list):
            # Its running pods stay where they are (the engine drops pins that no longer
            # fit: a node gone, a CIDR changed); only the status is copied.
            out = dict(manifest)
            own = manifest.get("status")
            out["status"] = {**(own if isinstance(own, dict) else {}),
                             "pods": status["pods"]}
            return out
        return manifest

    def _pod(self, manifest: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        spec = manifest.get("spec") or {}
        if spec.get("hostNetwork"):
            return manifest
        node = spec.get("nodeName") or status.get("nodeName")
        if not node or node not in self.nodes or (
                spec.get("nodeName") and spec.get("nodeName") != status.get("nodeName")):
            return manifest
        out = copy.deepcopy(manifest)
        out.setdefault("spec", {})["nodeName"] = node
        manifest_status = out.get("status")
        ip = _ip(status.get("podIP"))
        # host-local IPAM (flannel, canal) allocates from the node's podCIDR; the others
        # from their own blocks inside the cluster CIDR.
        cidr = self.node_cidr(node) if self.plugin in ("flannel", "canal") else \
            self.cluster_cidr
        if ip is not None and cidr is not None and ip in cidr and not (
                isinstance(manifest_status, dict) and manifest_status.get("podIP")):
            if not isinstance(manifest_status, dict):
                manifest_status = out["status"] = {}
            manifest_status["podIP"] = str(ip)
        return out

    def _service(self, manifest: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        spec = manifest.get("spec") or {}
        svc_type = spec.get("type") or "ClusterIP"
        if svc_type != status.get("type") or svc_type == "ExternalName":
            return manifest
        out = copy.deepcopy(manifest)
        out_spec = out.setdefault("spec", {})
        ip = _ip(status.get("clusterIP"))
        if "clusterIP" not in spec and "clusterIPs" not in spec and ip is not None \
                and ip in self.service_cidr:
            out_spec["clusterIP"] = str(ip)
        if svc_type in ("NodePort", "LoadBalancer") and isinstance(spec.get("ports"), list):
            allocated = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                         for p in status.get("ports") or [] if isinstance(p, dict)}
            low, high = self.port_range
            for port in out_spec["ports"]:
                if not isinstance(port, dict) or port.get("nodePort"):
                    continue
                node_port = allocated.get((port.get("port"), port.get("protocol", "TCP")))
                if isinstance(node_port, int) and low <= node_port <= high:
                    port["nodePort"] = node_port
        return out


def _default_cluster_cidr(plugin: str) -> IPv4Network:
    try:
        from clusterlab.sim.ipam import default_cluster_cidr

        return default_cluster_cidr(plugin)
    except (ImportError, ValueError, KeyError):
        return sim.ClusterConfig().cluster_cidr


def _net(value: Any, default: IPv4Network | None) -> IPv4Network | None:
    try:
        net = ip_network(str(value), strict=False) if value else default
    except ValueError:
        return default
    return net if isinstance(net, IPv4Network) or net is None else default


def _ip(value: Any) -> IPv4Address | None:
    try:
        ip = ip_address(str(value)) if value else None
    except ValueError:
        return None
    return ip if isinstance(ip, IPv4Address) else None


def _port_range(value: Any) -> tuple[int, int]:
    try:
        low, high = (int(p) for p in str(value).split("-", 1))
        return low, high
    except (TypeError, ValueError):
        return sim.ClusterConfig().node_port_range


# --------------------------------------------------------------------------- loading


def load_state(config: Mapping[str, Any], state: State,
               sources: Mapping[Key, str] | None = None) -> sim.Cluster:
    """Validate and load a whole (would-be) cluster; raises `errors.ManifestError`."""
    from clusterlab.sim import manifests

    return manifests.load_documents(documents(config, state, sources))


def load_checked(config: Mapping[str, Any], state: State,
                 sources: Mapping[Key, str] | None = None) -> sim.Cluster:
    """`load_state` for the write path: refusals are 400s, engine failures 422s."""
    from clusterlab.labs.errors import EngineFailure, Invalid
    from clusterlab.sim.errors import ManifestError

    try:
        return load_state(config, state, sources)
    except ManifestError as exc:
        raise Invalid.from_manifest_error(exc) from None
    except Exception as exc:
        log.exception("the engine failed to load a cluster")
        raise EngineFailure(f"the simulator could not load this cluster: "
                            f"{type(exc).__name__}: {exc}") from None


T = TypeVar("T")


class VersionCache(Generic[T]):
    """Values per (cluster id, resource version), the newest version of each cluster
    only, at most `size` clusters; thread-safe (requests run in threads)."""

    every: weakref.WeakSet[VersionCache[Any]] = weakref.WeakSet()  # for clear_cache()

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict[tuple[int, int], T] = OrderedDict()
        self.lock = threading.Lock()
        VersionCache.every.add(self)

    def get(self, key: tuple[int, int]) -> T | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: tuple[int, int], value: T) -> None:
        """Keep one version per cluster, the newest: older ones are never asked for again
        except by a request that raced a write, and a big cluster's engine is heavy."""
        cluster_id, version = key
        with self.lock:
            others = [k for k in self.data if k[0] == cluster_id and k != key]
            if any(k[1] > version for k in others):
                return
            for k in others:
                del self.data[k]
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


_cache: VersionCache[Engine] = VersionCache(CACHE_SIZE)
stats = {"hits": 0, "builds": 0}


def remember(cluster_id: int, version: int, engine: Engine) -> None:
    _cache.put((cluster_id, version), engine)


def cached(cluster_id: int, version: int) -> Engine | None:
    return _cache.get((cluster_id, version))


def clear_cache() -> None:
    """Forget every per-version value (engines, encoded listings): tests, a restored
    database whose versions start again."""
    for cache in list(VersionCache.every):
        cache.clear()


def get_engine(cluster: Cluster) -> Engine:
    """The engine for the cluster's current version; built once per version per process.

    Rows are read without locking; the version is re-read afterwards and the result is
    cached only if it did not move meanwhile (a concurrent commit would otherwise be
    cached under the older number).
    """
    key = (cluster.pk, cluster.resource_version)
    engine = _cache.get(key)
    if engine is not None:
        stats["hits"] += 1
        return engine
    rows = load_rows(cluster.pk)
    try:
        engine = Engine(load_state(cluster.config or {}, state_of(rows)))
    except Exception as exc:
        # Stored objects that an updated engine now refuses: say so, with every problem,
        # so the owner can fix them with one apply (writes validate the whole cluster).
        from clusterlab.labs.errors import EngineFailure, describe_problems
        from clusterlab.sim.errors import ManifestError

        if isinstance(exc, ManifestError):
            raise EngineFailure("the stored cluster does not load any more: "
                                + describe_problems(exc.problems),
                                errors=[p.to_dict() for p in exc.problems]) from None
        log.exception("the engine failed to load cluster %s", cluster.pk)
        raise EngineFailure(f"the simulator could not load this cluster: "
                            f"{type(exc).__name__}: {exc}") from None
    stats["builds"] += 1
    current = Cluster.objects.filter(pk=cluster.pk).values_list("resource_version", flat=True)
    if list(current) == [cluster.resource_version]:
        _cache.put(key, engine)
    return engine


# --------------------------------------------------------------------------- status


def status_of(snapshot: sim.Cluster, key: Key) -> dict[str, Any]:
    """The engine's computed view of one stored object, as JSON (camelCase, as k8s)."""
    kind, namespace, name = key
    if kind == "Pod":
        pod = snapshot.pod_by_key.get(f"{namespace}/{name}")
        return _pod_status(pod) if pod else {}
    if kind == "Node":
        node = snapshot.node_by_name.get(name)
        if node is None:
            return {}
        subnet = snapshot.subnet_of(node)
        return {"internalIP": str(node.internal_ip),
                "podCIDR": str(node.pod_cidr) if node.pod_cidr else None,
                "ready": node.ready, "roles": list(node.roles),
                "subnet": subnet.name if subnet else None}
    if kind == "Service":
        svc = snapshot.service_by_key.get(f"{namespace}/{name}")
        if svc is None:
            return {}
        return {"type": svc.type,
                "clusterIP": str(svc.cluster_ip) if svc.cluster_ip else
                ("None" if svc.headless else None),
                "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol,
                           "targetPort": p.target_port, "nodePort": p.node_port}
                          for p in svc.ports],
                "loadBalancerIngress": list(svc.load_balancer_ingress)}
    if kind == "Namespace":
        ns = snapshot.namespace_by_name.get(name)
        return {"labels": dict(ns.labels)} if ns else {}
    if kind == "NetworkPolicy":
        policy = snapshot.policy_by_key.get(f"{namespace}/{name}")
        return {"policyTypes": list(policy.policy_types)} if policy else {}
    if kind in ("Deployment", "ReplicaSet"):
        return {"pods": [_pod_status(p) | {"name": p.name}
                         for p in snapshot.pods_by_namespace.get(namespace, ())
                         if owned_by(p, kind, name)]}
    return {}


def _pod_status(pod: sim.Pod) -> dict[str, Any]:
    return {"podIP": str(pod.ip) if pod.ip else None, "nodeName": pod.node_name,
            "ready": pod.ready, "phase": pod.phase}


def owned_by(pod: sim.Pod, kind: str, name: str) -> bool:
    owner_kind, _, owner = pod.owner.partition("/")
    if owner_kind != "ReplicaSet":
        return False
    if kind == "ReplicaSet":
        return owner == name
    return owner.rpartition("-")[0] == name


def statuses(snapshot: sim.Cluster, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    return {k: status_of(snapshot, k) for k in keys}
