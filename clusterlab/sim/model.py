"""Immutable snapshot of a cluster: the one input every engine question is asked of.

The classes mirror the Kubernetes objects ClusterLab simulates, with the API's
defaults already applied (`manifests.py` applies them when loading), so the rest of
the engine never has to ask "was this field set?". Field names are the Kubernetes
ones in snake_case. Objects are frozen; a change to a cluster is a new snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network, ip_address
from types import MappingProxyType

Labels = Mapping[str, str]
EMPTY_LABELS: Labels = MappingProxyType({})


def _empty_labels() -> Labels:
    return EMPTY_LABELS

PROTOCOLS = ("TCP", "UDP", "SCTP")

DEFAULT_CLUSTER_CIDR = IPv4Network("10.244.0.0/16")  # kube-flannel.yml's Network (NET-4.1)
DEFAULT_SERVICE_CIDR = IPv4Network("10.96.0.0/12")  # kubeadm's service subnet (SVC-2)

# CNI plugins and their modes (issue #3 ClusterConfig); the first mode is the default.
CNI_MODES: dict[str, tuple[str, ...]] = {
    "flannel": ("vxlan", "host-gw"),
    "canal": ("vxlan", "host-gw"),
    "calico": ("ipip", "vxlan", "bgp"),
    "weave": ("fastdp", "sleeve"),
    "cilium": ("vxlan", "geneve", "native"),
}

# Plain Flannel has no policy engine (pod-network-and-cni.md NET-4.6); Canal adds Calico's.
POLICY_ENFORCING_PLUGINS = frozenset({"canal", "calico", "weave", "cilium"})


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class LabelSelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        """Set-based match; NotIn and DoesNotExist also match objects without the key (VAL-4)."""
        op = self.operator
        if op == "In":
            return labels.get(self.key) in self.values
        if op == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if op == "Exists":
            return self.key in labels
        if op == "DoesNotExist":
            return self.key not in labels
        raise ValueError(f"unknown selector operator {op!r}")

    def __str__(self) -> str:
        """`metav1.FormatLabelSelector` style: `tier in (a,b)`, `key`, `!key`."""
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return "!" + self.key
        return f"{self.key} {self.operator.lower()} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """metav1.LabelSelector: matchLabels AND matchExpressions; empty selects everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()

    @classmethod
    def of(cls, match_labels: Mapping[str, str] | None = None,
           match_expressions: tuple[LabelSelectorRequirement, ...] = ()) -> LabelSelector:
        return cls(tuple(sorted((match_labels or {}).items())), tuple(match_expressions))

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Labels) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        return all(req.matches(labels) for req in self.match_expressions)

    def __str__(self) -> str:
        """`metav1.FormatLabelSelector`; an empty selector prints `<none>` (KCTL-5).

        kubectl converts the selector to requirements and sorts them by key, matchLabels
        and expressions together (labels.Selector.Add), with In/NotIn values sorted —
        so `{zone: a}` + `beta Exists` prints `beta,zone=a`, not matchLabels first.
        """
        parts = [(k, f"{k}={v}") for k, v in self.match_labels]
        for r in self.match_expressions:
            sorted_req = LabelSelectorRequirement(r.key, r.operator, tuple(sorted(set(r.values))))
            parts.append((r.key, str(sorted_req)))
        parts.sort(key=lambda kv: kv[0])
        return ",".join(text for _, text in parts) if parts else "<none>"


def format_labels(labels: Labels) -> str:
    """`k=v,k2=v2` sorted, or `<none>` (kubectl --show-labels)."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


# --------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class Subnet:
    """An underlay L2 network; nodes whose InternalIP it contains are on-link to each other."""

    name: str
    cidr: IPv4Network
    gateway: IPv4Address | None = None


@dataclass(frozen=True, slots=True)
class HostPort:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class HostRoute:
    dst: IPv4Network
    via: IPv4Address


@dataclass(frozen=True, slots=True)
class ExternalHost:
    """A machine outside the cluster: a client, or a server pods talk to."""

    ip: IPv4Address
    name: str = ""
    listens: tuple[HostPort, ...] = ()
    routes: tuple[HostRoute, ...] = ()


@dataclass(frozen=True, slots=True)
class Faults:
    """Injected faults (issue #4): each answer reflects them as a real cluster would."""

    nodes_down: frozenset[str] = frozenset()           # powered off
    kube_proxy_stopped: frozenset[str] = frozenset()   # stale rules on these nodes
    cut_links: frozenset[frozenset[str]] = frozenset()  # pairs of subnet names
    coredns_scaled_to_zero: bool = False
    node_mtu: Mapping[str, int] = field(default_factory=_empty_labels)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    cni_plugin: str = "flannel"
    cni_mode: str = "vxlan"
    cross_subnet: bool = False
    cluster_cidr: IPv4Network = DEFAULT_CLUSTER_CIDR
    service_cidr: IPv4Network = DEFAULT_SERVICE_CIDR
    cluster_domain: str = "cluster.local"
    kube_proxy_mode: str = "iptables"  # iptables | ipvs
    kube_proxy_replacement: bool = False  # Cilium eBPF service handling
    node_port_range: tuple[int, int] = (30000, 32767)
    node_cidr_mask_size: int = 24
    dns_pods_mode: str = "insecure"  # CoreDNS `pods` option: insecure | verified | disabled
    dns_upstream: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=_empty_labels)
    node_nameservers: tuple[str, ...] = ()
    node_search: tuple[str, ...] = ()
    external_hosts: tuple[ExternalHost, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    faults: Faults = field(default_factory=Faults)

    @property
    def enforces_network_policy(self) -> bool:
        return self.cni_plugin in POLICY_ENFORCING_PLUGINS


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Labels = field(default_factory=_empty_labels)
    annotations: Labels = field(default_factory=_empty_labels)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    internal_ip: IPv4Address
    pod_cidr: IPv4Network | None = None
    ready: bool = True
    unschedulable: bool = False
    labels: Labels = field(default_factory=_empty_labels)
    annotations: Labels = field(default_factory=_empty_labels)
    mtu: int = 1500

    @property
    def roles(self) -> tuple[str, ...]:
        prefix = "node-role.kubernetes.io/"
        return tuple(sorted(k[len(prefix):] for k in self.labels if k.startswith(prefix)))


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    protocol: str = "TCP"
    name: str = ""
    host_port: int = 0


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str = ""
    ports: tuple[ContainerPort, ...] = ()


@dataclass(frozen=True, slots=True)
class PodDNSConfig:
    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    labels: Labels = field(default_factory=_empty_labels)
    annotations: Labels = field(default_factory=_empty_labels)
    node_name: str | None = None
    ip: IPv4Address | None = None
    ready: bool = True
    phase: str = "Running"
    containers: tuple[Container, ...] = ()
    host_network: bool = False
    hostname: str = ""
    subdomain: str = ""
    dns_policy: str = "ClusterFirst"
    dns_config: PodDNSConfig | None = None
    owner: str = ""  # "ReplicaSet/web-7c5d8b9f6" when expanded from a workload
    terminating: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def find_port(self, name: str, protocol: str) -> int | None:
        """Resolve a named port the way the EndpointSlice controller does (SVC-4): first match."""
        for container in self.containers:
            for port in container.ports:
                if port.name == name and port.protocol == protocol:
                    return port.container_port
        return None


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    protocol: str = "TCP"
    name: str = ""
    target_port: int | str = 0  # 0 never appears after defaulting (defaults to port)
    node_port: int | None = None
    app_protocol: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str = "ClusterIP"  # ClusterIP | NodePort | LoadBalancer | ExternalName
    selector: Labels | None = None  # None: no selector (no automatic EndpointSlices)
    ports: tuple[ServicePort, ...] = ()
    cluster_ip: IPv4Address | None = None  # None for headless and ExternalName
    headless: bool = False
    labels: Labels = field(default_factory=_empty_labels)
    annotations: Labels = field(default_factory=_empty_labels)
    external_ips: tuple[IPv4Address, ...] = ()
    load_balancer_ingress: tuple[str, ...] = ()  # IPs or hostnames from status
    load_balancer_ip_mode: str = "VIP"  # VIP | Proxy
    load_balancer_source_ranges: tuple[IPv4Network, ...] = ()
    allocate_load_balancer_node_ports: bool = True
    external_name: str = ""
    session_affinity: str = "None"  # None | ClientIP
    session_affinity_timeout: int = 10800
    external_traffic_policy: str = ""  # Cluster | Local for external services, else ""
    internal_traffic_policy: str = "Cluster"
    health_check_node_port: int | None = None
    publish_not_ready_addresses: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def is_external(self) -> bool:
        return self.type in ("NodePort", "LoadBalancer") or bool(self.external_ips)

    def port_name(self, port: ServicePort) -> str:
        """kube-proxy's svcPortName: `ns/svc:port-name`, or `ns/svc` for an unnamed port (SVC-4)."""
        return f"{self.key}:{port.name}" if port.name else self.key


@dataclass(frozen=True, slots=True)
class EndpointPort:
    port: int
    protocol: str = "TCP"
    name: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    addresses: tuple[str, ...]
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    node_name: str | None = None
    hostname: str = ""
    target_pod: str = ""  # "ns/name" of the backing pod, if any


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    namespace: str
    name: str
    service_name: str
    address_type: str = "IPv4"
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()
    managed: bool = False  # True when derived by the endpointslice controller


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: IPv4Network
    except_: tuple[IPv4Network, ...] = ()

    def contains(self, ip: IPv4Address) -> bool:
        return ip in self.cidr and not any(ip in e for e in self.except_)


@dataclass(frozen=True, slots=True)
class NetworkPolicyPeer:
    """One `from`/`to` item: selectors are ANDed within a peer; ipBlock stands alone."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True, slots=True)
class NetworkPolicyPort:
    protocol: str = "TCP"
    port: int | str | None = None  # None: all ports of the protocol
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class NetworkPolicyRule:
    """An ingress or egress rule. Empty `peers` admits every peer; empty `ports` every port."""

    peers: tuple[NetworkPolicyPeer, ...] = ()
    ports: tuple[NetworkPolicyPort, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector = LabelSelector()
    policy_types: tuple[str, ...] = ("Ingress",)  # defaulted as the API server does
    ingress: tuple[NetworkPolicyRule, ...] = ()
    egress: tuple[NetworkPolicyRule, ...] = ()
    labels: Labels = field(default_factory=_empty_labels)
    annotations: Labels = field(default_factory=_empty_labels)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def affects_ingress(self) -> bool:
        return "Ingress" in self.policy_types

    @property
    def affects_egress(self) -> bool:
        return "Egress" in self.policy_types


# --------------------------------------------------------------------------- cluster


def _index(items, key):  # type: ignore[no-untyped-def]
    return MappingProxyType({key(i): i for i in items})


@dataclass(frozen=True)
class Cluster:
    """A whole cluster. Collections keep load order; lookups go through the indexes below."""

    config: ClusterConfig = field(default_factory=ClusterConfig)
    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()  # user-supplied (selector-less Services)

    @cached_property
    def namespace_by_name(self) -> Mapping[str, Namespace]:
        return _index(self.namespaces, lambda n: n.name)

    @cached_property
    def node_by_name(self) -> Mapping[str, Node]:
        return _index(self.nodes, lambda n: n.name)

    @cached_property
    def pod_by_key(self) -> Mapping[str, Pod]:
        return _index(self.pods, lambda p: p.key)

    @cached_property
    def service_by_key(self) -> Mapping[str, Service]:
        return _index(self.services, lambda s: s.key)

    @cached_property
    def policy_by_key(self) -> Mapping[str, NetworkPolicy]:
        return _index(self.network_policies, lambda p: p.key)

    @cached_property
    def pod_by_ip(self) -> Mapping[IPv4Address, Pod]:
        """Live pods with their own IP.

        hostNetwork pods share the node's IP and are left out; so are Succeeded/Failed
        pods, whose IP the CNI may already have handed to a new pod.
        """
        return _index((p for p in self.pods if p.ip is not None and not p.host_network
                       and p.phase not in ("Succeeded", "Failed")), lambda p: p.ip)

    @cached_property
    def node_by_ip(self) -> Mapping[IPv4Address, Node]:
        return _index(self.nodes, lambda n: n.internal_ip)

    @cached_property
    def service_by_cluster_ip(self) -> Mapping[IPv4Address, Service]:
        return _index((s for s in self.services if s.cluster_ip is not None),
                      lambda s: s.cluster_ip)

    @cached_property
    def pods_by_namespace(self) -> Mapping[str, tuple[Pod, ...]]:
        out: dict[str, list[Pod]] = {}
        for pod in self.pods:
            out.setdefault(pod.namespace, []).append(pod)
        return MappingProxyType({k: tuple(v) for k, v in out.items()})

    @cached_property
    def pods_by_node(self) -> Mapping[str, tuple[Pod, ...]]:
        out: dict[str, list[Pod]] = {}
        for pod in self.pods:
            if pod.node_name:
                out.setdefault(pod.node_name, []).append(pod)
        return MappingProxyType({k: tuple(v) for k, v in out.items()})

    def subnet_of(self, node: Node) -> Subnet | None:
        for subnet in self.config.subnets:
            if node.internal_ip in subnet.cidr:
                return subnet
        return None

    def find_pod(self, ref: str) -> Pod | None:
        """`ns/name`, or a bare name in `default`."""
        return self.pod_by_key.get(ref if "/" in ref else f"default/{ref}")


def parse_ip(value: str) -> IPv4Address:
    """IPv4 only for now; the simulator is single-stack (IP Families: IPv4)."""
    ip = ip_address(value)
    if not isinstance(ip, IPv4Address):
        raise ValueError(f"{value}: only IPv4 is simulated")
    return ip
