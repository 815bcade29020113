"""Deterministic, realistic generated clusters for benchmarks (issue #3 performance targets).

`generate(...)` builds a `model.Cluster` directly (no YAML round trip), seeded, so two
runs give the same cluster. `documents(...)` returns the same cluster as Kubernetes
manifest dicts (plus the ClusterLab `ClusterConfig`), for load benchmarks.

What "realistic" means here: namespaces named team-env with `kubernetes.io/metadata.name`,
`team`, `env` labels; Deployments of 1–8 replicas with `app`, `tier`, `team`, `version`
and `pod-template-hash` labels and the container ports their kind of app has (named
`http`, `metrics`, `grpc`, `postgres`, `dns`…); CoreDNS in kube-system, ingress-nginx,
Prometheus and a hostNetwork node-exporter DaemonSet; one Service per Deployment; and the
policies people write: default-deny (ingress, sometimes egress too) with the DNS egress
exception, allow-from-ingress-nginx on the named port, allow-monitoring (namespace AND
pod selector), per-app allows with matchExpressions, endPort ranges, internet egress via
ipBlock with except, office ipBlocks, team-wide namespaceSelector allows, UDP and SCTP.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    IPBlock,
    LabelSelector,
    LabelSelectorRequirement,
    Namespace,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Pod,
    Service,
    ServicePort,
    Subnet,
)

TEAMS = ("payments", "orders", "search", "catalog", "identity", "checkout", "shipping",
         "billing", "ads", "media", "chat", "mail", "reports", "risk", "growth", "data",
         "mobile", "partners", "support", "infra")
ENVS = ("prod", "staging", "dev", "qa", "perf")
ZONES = ("zone-a", "zone-b", "zone-c")

# kind → (tier, container ports (name, number, protocol))
APPS: dict[str, tuple[str, tuple[tuple[str, int, str], ...]]] = {
    "web": ("frontend", (("http", 8080, "TCP"),)),
    "frontend": ("frontend", (("http", 3000, "TCP"), ("metrics", 9100, "TCP"))),
    "api": ("backend", (("http", 8080, "TCP"), ("grpc", 9090, "TCP"), ("metrics", 9100, "TCP"))),
    "auth": ("backend", (("http", 8080, "TCP"), ("metrics", 9100, "TCP"))),
    "cart": ("backend", (("http", 8080, "TCP"), ("metrics", 9100, "TCP"))),
    "orders": ("backend", (("http", 8081, "TCP"), ("metrics", 9100, "TCP"))),
    "search": ("backend", (("http", 8080, "TCP"), ("grpc", 9090, "TCP"))),
    "users": ("backend", (("http", 8080, "TCP"), ("metrics", 9100, "TCP"))),
    "notify": ("backend", (("http", 8080, "TCP"),)),
    "worker": ("backend", (("metrics", 9100, "TCP"),)),
    "cache": ("data", (("redis", 6379, "TCP"),)),
    "db": ("data", (("postgres", 5432, "TCP"), ("metrics", 9187, "TCP"))),
    "queue": ("data", (("amqp", 5672, "TCP"), ("metrics", 15692, "TCP"))),
    "kafka": ("data", (("kafka", 9092, "TCP"),)),
    "resolver": ("backend", (("dns", 5353, "UDP"), ("dns-tcp", 5353, "TCP"))),
    "diameter": ("backend", (("diameter", 3868, "SCTP"),)),
}
APP_WEIGHTS = {"web": 6, "frontend": 3, "api": 8, "auth": 3, "cart": 3, "orders": 3,
               "search": 3, "users": 3, "notify": 2, "worker": 6, "cache": 4, "db": 4,
               "queue": 2, "kafka": 1, "resolver": 1, "diameter": 1}
PRIVATE = (IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"),
           IPv4Network("192.168.0.0/16"))
DNS_PORTS = (NetworkPolicyPort("UDP", 53), NetworkPolicyPort("TCP", 53))
NS_NAME = "kubernetes.io/metadata.name"


def _sel(**labels: str) -> LabelSelector:
    return LabelSelector.of(labels)


def _ns_sel(name: str) -> LabelSelector:
    return LabelSelector.of({NS_NAME: name})


class _Builder:
    def __init__(self, pods: int, namespaces: int, services: int, policies: int, nodes: int,
                 seed: int, cni: str):
        self.rng = random.Random(seed)
        self.n_pods, self.n_ns, self.n_svc, self.n_pol, self.n_nodes = (
            pods, namespaces, services, policies, nodes)
        self.cni = cni
        self.pods: list[Pod] = []
        self.services: list[Service] = []
        self.policies: list[NetworkPolicy] = []
        self.deployments: list[tuple[str, str, str, str]] = []  # ns, app, kind, hash

    # ---------------------------------------------------------------- infrastructure

    def config(self) -> ClusterConfig:
        big = self.n_nodes > 250
        mode = {"calico": "vxlan", "flannel": "vxlan", "canal": "vxlan", "cilium": "vxlan",
                "weave": "fastdp"}[self.cni]
        return ClusterConfig(cni_plugin=self.cni, cni_mode=mode,
                             cluster_cidr=IPv4Network("10.128.0.0/9" if big else "10.244.0.0/16"),
                             subnets=(Subnet("lan", IPv4Network("192.168.0.0/16"),
                                             IPv4Address("192.168.0.1")),))

    def make_nodes(self, cluster_cidr: IPv4Network) -> list[Node]:
        nodes = []
        base = int(cluster_cidr.network_address)
        for i in range(self.n_nodes):
            name = f"node-{i + 1:04d}"
            labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                      "topology.kubernetes.io/zone": ZONES[i % 3]}
            if i < 3:
                labels["node-role.kubernetes.io/control-plane"] = ""
            nodes.append(Node(name, IPv4Address(int(IPv4Address("192.168.1.10")) + i),
                              IPv4Network((base + i * 256, 24)), labels=labels))
        self.nodes = nodes
        self._next_ip = [2] * len(nodes)
        return nodes

    def place(self, host_network: bool = False, node: int | None = None) -> tuple[str, IPv4Address]:
        if node is None:
            node = self.rng.randrange(len(self.nodes))
        n = self.nodes[node]
        if host_network:
            return n.name, n.internal_ip
        k = self._next_ip[node]
        if k > 254:  # node's /24 full: take the next node
            return self.place(False, (node + 1) % len(self.nodes))
        self._next_ip[node] = k + 1
        return n.name, IPv4Address(int(n.pod_cidr.network_address) + k)

    def make_namespaces(self) -> list[Namespace]:
        out = [Namespace(n, {NS_NAME: n}) for n in
               ("default", "kube-system", "kube-public", "ingress-nginx", "monitoring")]
        out[3] = Namespace("ingress-nginx", {NS_NAME: "ingress-nginx", "team": "platform"})
        out[4] = Namespace("monitoring", {NS_NAME: "monitoring", "team": "platform"})
        self.user_ns: list[Namespace] = []
        for i in range(max(1, self.n_ns - len(out))):
            team, env = TEAMS[i % len(TEAMS)], ENVS[(i // len(TEAMS)) % len(ENVS)]
            rnd = i // (len(TEAMS) * len(ENVS))
            name = f"{team}-{env}" + (f"-{rnd + 1}" if rnd else "")
            labels = {NS_NAME: name, "team": team, "env": env}
            if env == "prod":
                labels["criticality"] = "high"
            self.user_ns.append(Namespace(name, labels))
        return out + self.user_ns

    def _pod(self, ns: str, name: str, labels: dict[str, str], containers: tuple[Container, ...],
             owner: str, host_network: bool = False, node: int | None = None) -> Pod:
        node_name, ip = self.place(host_network, node)
        return Pod(ns, name, labels, node_name=node_name, ip=ip, containers=containers,
                   host_network=host_network, owner=owner,
                   dns_policy="ClusterFirstWithHostNet" if host_network else "ClusterFirst")

    def system_pods(self) -> None:
        dns_ports = (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp"),
                     ContainerPort(9153, "TCP", "metrics"))
        for _ in range(2):
            self.pods.append(self._pod(
                "kube-system", f"coredns-5d78c9869d-{_suffix(self.rng)}",
                {"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"},
                (Container("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", dns_ports),),
                "ReplicaSet/coredns-5d78c9869d"))
        for _ in range(2):
            self.pods.append(self._pod(
                "ingress-nginx", f"ingress-nginx-controller-7d9b8c6f5-{_suffix(self.rng)}",
                {"app.kubernetes.io/name": "ingress-nginx",
                 "app.kubernetes.io/component": "controller"},
                (Container("controller", "registry.k8s.io/ingress-nginx/controller:v1.10.0",
                           (ContainerPort(80, name="http"), ContainerPort(443, name="https"))),),
                "ReplicaSet/ingress-nginx-controller-7d9b8c6f5"))
        for i in range(2):
            self.pods.append(self._pod(
                "monitoring", f"prometheus-k8s-{i}",
                {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "k8s"},
                (Container("prometheus", "quay.io/prometheus/prometheus:v2.51.0",
                           (ContainerPort(9090, name="web"),)),),
                "StatefulSet/prometheus-k8s"))
        # node-exporter DaemonSet (hostNetwork) on up to a tenth of the pod budget
        for node in range(min(len(self.nodes), self.n_pods // 10)):
            self.pods.append(self._pod(
                "monitoring", f"node-exporter-{_suffix(self.rng)}",
                {"app.kubernetes.io/name": "node-exporter"},
                (Container("node-exporter", "quay.io/prometheus/node-exporter:v1.7.0",
                           (ContainerPort(9100, name="metrics", host_port=9100),)),),
                "DaemonSet/node-exporter", host_network=True, node=node))

    # ---------------------------------------------------------------- workloads

    def workloads(self) -> None:
        budget = self.n_pods - len(self.pods)
        kinds = list(APP_WEIGHTS)
        weights = [APP_WEIGHTS[k] for k in kinds]
        per_ns = [budget // len(self.user_ns)] * len(self.user_ns)
        for i in range(budget - sum(per_ns)):
            per_ns[i] += 1
        self.apps_by_ns: dict[str, list[tuple[str, str]]] = {}
        for ns, quota in zip(self.user_ns, per_ns, strict=True):
            used: dict[str, int] = {}
            apps = self.apps_by_ns.setdefault(ns.name, [])
            while quota > 0:
                kind = self.rng.choices(kinds, weights)[0]
                used[kind] = used.get(kind, 0) + 1
                app = kind if used[kind] == 1 else f"{kind}-{used[kind]}"
                replicas = min(quota, self.rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6, 8)))
                quota -= replicas
                apps.append((app, kind))
                self._deployment(ns, app, kind, replicas)

    def _deployment(self, ns: Namespace, app: str, kind: str, replicas: int) -> None:
        tier, ports = APPS[kind]
        pod_hash = "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))
        labels = {"app": app, "tier": tier, "team": ns.labels["team"],
                  "version": self.rng.choice(("v1", "v1", "v2")), "pod-template-hash": pod_hash}
        containers = (Container(kind, f"registry.example.com/{ns.labels['team']}/{kind}:1.4.2",
                                tuple(ContainerPort(num, proto, name)
                                      for name, num, proto in ports)),)
        owner = f"ReplicaSet/{app}-{pod_hash}"
        for _ in range(replicas):
            self.pods.append(self._pod(ns.name, f"{app}-{pod_hash}-{_suffix(self.rng)}",
                                       labels, containers, owner))
        self.deployments.append((ns.name, app, kind, pod_hash))

    def make_services(self, service_cidr: IPv4Network) -> None:
        base = int(service_cidr.network_address)
        self.services.append(Service("default", "kubernetes",
                                     ports=(ServicePort(443, name="https", target_port=6443),),
                                     cluster_ip=IPv4Address(base + 1),
                                     labels={"component": "apiserver", "provider": "kubernetes"}))
        self.services.append(Service(
            "kube-system", "kube-dns", selector={"k8s-app": "kube-dns"},
            ports=(ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53),
                   ServicePort(9153, "TCP", "metrics", 9153)),
            cluster_ip=IPv4Address(base + 10), labels={"k8s-app": "kube-dns"}))
        next_ip = base + 11
        made = len(self.services)
        deployments = list(self.deployments)
        taken = {(s.namespace, s.name) for s in self.services}
        k = 0
        while made < self.n_svc and deployments:
            ns, app, kind, _ = deployments[k % len(deployments)]
            extra = k // len(deployments)
            k += 1
            _, ports = APPS[kind]
            name = app if extra == 0 else f"{app}-{('headless', 'metrics', 'alt')[extra % 3]}"
            while (ns, name) in taken:
                name = f"{name}-{extra}"
            taken.add((ns, name))
            svc_ports = tuple(ServicePort(80 if pname == "http" else num, proto, pname, pname)
                              for pname, num, proto in ports)
            headless = extra % 3 == 1
            self.services.append(Service(ns, name, selector={"app": app}, ports=svc_ports,
                                         cluster_ip=None if headless else IPv4Address(next_ip),
                                         headless=headless, labels={"app": app}))
            if not headless:
                next_ip += 1
            made += 1

    # ---------------------------------------------------------------- policies

    def make_policies(self) -> None:
        streams = [self._namespace_policies(ns) for ns in self.user_ns]
        self.rng.shuffle(streams)
        platform = self._platform_policies()
        while len(self.policies) < self.n_pol and streams:
            for stream in list(streams):
                if len(self.policies) >= self.n_pol:
                    break
                policy = next(stream, None)
                if policy is None:
                    streams.remove(stream)
                    continue
                self.policies.append(policy)
            p = next(platform, None)
            if p is not None and len(self.policies) < self.n_pol:
                self.policies.append(p)

    def _platform_policies(self) -> Iterator[NetworkPolicy]:
        yield NetworkPolicy("kube-system", "allow-dns", _sel(**{"k8s-app": "kube-dns"}),
                            ("Ingress",), ingress=(NetworkPolicyRule(ports=DNS_PORTS),))
        yield NetworkPolicy("monitoring", "prometheus-egress",
                            _sel(**{"app.kubernetes.io/name": "prometheus"}), ("Egress",),
                            egress=(NetworkPolicyRule(ports=(
                                NetworkPolicyPort(port="metrics"), NetworkPolicyPort(port=9100),
                                NetworkPolicyPort(port=9187))),
                                NetworkPolicyRule(ports=DNS_PORTS)))
        yield NetworkPolicy("ingress-nginx", "controller",
                            _sel(**{"app.kubernetes.io/name": "ingress-nginx"}), ("Ingress",),
                            ingress=(NetworkPolicyRule(ports=(NetworkPolicyPort(port=80),
                                                              NetworkPolicyPort(port=443))),))

    def _namespace_policies(self, ns: Namespace) -> Iterator[NetworkPolicy]:
        rng, name = self.rng, ns.name
        team, env = ns.labels["team"], ns.labels["env"]
        apps = self.apps_by_ns.get(name, [])
        deny_egress = rng.random() < 0.3
        if deny_egress:
            yield NetworkPolicy(name, "default-deny-all", LabelSelector(), ("Ingress", "Egress"))
            yield NetworkPolicy(name, "allow-dns", LabelSelector(), ("Egress",), egress=(
                NetworkPolicyRule(peers=(NetworkPolicyPeer(
                    pod_selector=_sel(**{"k8s-app": "kube-dns"}),
                    namespace_selector=_ns_sel("kube-system")),), ports=DNS_PORTS),))
            yield NetworkPolicy(name, "allow-egress-in-namespace", LabelSelector(), ("Egress",),
                                egress=(NetworkPolicyRule(peers=(
                                    NetworkPolicyPeer(pod_selector=LabelSelector()),)),))
        elif rng.random() < 0.9:
            yield NetworkPolicy(name, "default-deny-ingress", LabelSelector(), ("Ingress",))
        frontends = [a for a, k in apps if k in ("web", "frontend")]
        for app in frontends[:2]:
            yield NetworkPolicy(name, f"allow-ingress-nginx-{app}", _sel(app=app), ("Ingress",),
                                ingress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                    namespace_selector=_ns_sel("ingress-nginx")),),
                                    ports=(NetworkPolicyPort(port="http"),)),))
        yield NetworkPolicy(name, "allow-monitoring", LabelSelector(), ("Ingress",), ingress=(
            NetworkPolicyRule(peers=(NetworkPolicyPeer(
                namespace_selector=_ns_sel("monitoring"),
                pod_selector=_sel(**{"app.kubernetes.io/name": "prometheus"})),),
                ports=(NetworkPolicyPort(port="metrics"), NetworkPolicyPort(port=9100))),))
        yield NetworkPolicy(name, "allow-same-team", _sel(tier="backend"), ("Ingress",),
                            ingress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                namespace_selector=LabelSelector.of(
                                    {"team": team},
                                    (LabelSelectorRequirement("env", "NotIn", ("dev",)),))),),
                                ports=(NetworkPolicyPort(port=8080, end_port=8089),)),))
        for app, kind in apps:
            tier = APPS[kind][0]
            if kind in ("db", "cache", "queue", "kafka"):
                port = {"db": "postgres", "cache": 6379, "queue": "amqp", "kafka": 9092}[kind]
                yield NetworkPolicy(name, f"allow-{app}", _sel(app=app), ("Ingress",), ingress=(
                    NetworkPolicyRule(peers=(NetworkPolicyPeer(pod_selector=LabelSelector.of(
                        {}, (LabelSelectorRequirement("tier", "In", ("backend",)),))),),
                        ports=(NetworkPolicyPort(port=port),)),))
            elif kind == "resolver":
                yield NetworkPolicy(name, f"allow-{app}", _sel(app=app), ("Ingress",), ingress=(
                    NetworkPolicyRule(ports=(NetworkPolicyPort("UDP", "dns"),
                                             NetworkPolicyPort("TCP", "dns-tcp"))),))
            elif kind == "diameter":
                yield NetworkPolicy(name, f"allow-{app}", _sel(app=app), ("Ingress",), ingress=(
                    NetworkPolicyRule(peers=(NetworkPolicyPeer(ip_block=IPBlock(
                        IPv4Network("198.51.100.0/24"))),),
                        ports=(NetworkPolicyPort("SCTP", 3868),)),))
            elif tier == "backend" and kind != "worker" and rng.random() < 0.6:
                callers = [a for a, k in apps if k in ("web", "frontend", "api")
                           and a != app] or [app]
                caller = rng.choice(callers)
                peers = (NetworkPolicyPeer(pod_selector=_sel(app=caller)),)
                if rng.random() < 0.3:
                    peers += (NetworkPolicyPeer(pod_selector=LabelSelector.of(
                        {}, (LabelSelectorRequirement("tier", "In", ("frontend", "backend")),
                             LabelSelectorRequirement("version", "NotIn", ("v0",))))),)
                ports = (NetworkPolicyPort(port="http"),) if rng.random() < 0.5 else \
                    (NetworkPolicyPort(port=8080), NetworkPolicyPort(port="grpc"))
                yield NetworkPolicy(name, f"allow-{app}", _sel(app=app), ("Ingress",),
                                    ingress=(NetworkPolicyRule(peers=peers, ports=ports),))
            elif kind in ("web", "frontend") and rng.random() < 0.3:
                yield NetworkPolicy(name, f"allow-office-{app}", _sel(app=app), ("Ingress",),
                                    ingress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                        ip_block=IPBlock(IPv4Network("203.0.113.0/24"),
                                                         (IPv4Network("203.0.113.128/25"),))),),
                                        ports=(NetworkPolicyPort(port=8080),)),))
            if deny_egress and kind in ("api", "notify", "worker") and rng.random() < 0.7:
                yield NetworkPolicy(name, f"{app}-internet-egress", _sel(app=app), ("Egress",),
                                    egress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                        ip_block=IPBlock(IPv4Network("0.0.0.0/0"), PRIVATE)),),
                                        ports=(NetworkPolicyPort(port=443),)),))
        if env == "prod":
            yield NetworkPolicy(name, "allow-batch-ports", _sel(tier="backend"), ("Ingress",),
                                ingress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                    namespace_selector=LabelSelector.of({"env": "prod"}),
                                    pod_selector=_sel(tier="backend")),),
                                    ports=(NetworkPolicyPort(port=30000, end_port=32767),)),))
        yield NetworkPolicy(name, "allow-same-namespace", LabelSelector(), ("Ingress",),
                            ingress=(NetworkPolicyRule(peers=(NetworkPolicyPeer(
                                pod_selector=LabelSelector()),)),))

    # ---------------------------------------------------------------- assemble

    def build(self) -> Cluster:
        config = self.config()
        nodes = self.make_nodes(config.cluster_cidr)
        namespaces = self.make_namespaces()
        self.system_pods()
        self.workloads()
        self.make_services(config.service_cidr)
        self.make_policies()
        return Cluster(config, tuple(namespaces), tuple(nodes), tuple(self.pods),
                       tuple(self.services), tuple(self.policies))


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))


def generate(pods: int = 10_000, namespaces: int = 100, services: int = 2_000,
             policies: int = 1_000, nodes: int = 1_000, seed: int = 1,
             cni: str = "calico") -> Cluster:
    """A generated cluster; the same arguments always give the same cluster."""
    return _Builder(pods, namespaces, services, policies, nodes, seed, cni).build()


def scaled(pods: int, seed: int = 1, cni: str = "calico") -> Cluster:
    """The issue's ratios (10k pods: 100 namespaces, 2k services, 1k policies, 1k nodes),
    nodes capped at 5,000 and services at 10,000 as in Kubernetes' scale limits."""
    return generate(pods=pods, namespaces=max(5, pods // 100),
                    services=min(10_000, max(10, pods // 5)), policies=max(10, pods // 10),
                    nodes=min(5_000, max(3, pods // 10)), seed=seed, cni=cni)


# --------------------------------------------------------------------------- manifests


def documents(pods: int = 10_000, namespaces: int = 100, services: int = 2_000,
              policies: int = 1_000, nodes: int = 1_000, seed: int = 1,
              cni: str = "calico") -> list[dict[str, Any]]:
    """The same cluster as `generate(...)`, as Kubernetes manifest dicts."""
    return cluster_documents(generate(pods, namespaces, services, policies, nodes, seed, cni))


def cluster_documents(cluster: Cluster) -> list[dict[str, Any]]:
    """The generated cluster as manifests, written by the engine's own exporter."""
    from clusterlab.sim.manifests import to_documents

    return to_documents(cluster, include_implicit=True)


