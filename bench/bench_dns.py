"""DNS benchmark: CoreDNS.build on a 10k-pod / 2,000-Service cluster, then the median cost
of CoreDNS.answer and of resolve() from a pod (glibc walk) per kind of name.

Run: .venv/bin/python bench/bench_dns.py [--pods 10000] [--services 2000] [--queries 20000]
Uses bench/clustergen.py when present, else a small generator below. Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clusterlab.sim.dns import CoreDNS
from clusterlab.sim.endpoints import EndpointIndex
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Namespace,
    Node,
    Pod,
    Service,
    ServicePort,
)
from clusterlab.sim.resolver import resolv_conf, resolve


def simple_cluster(pods: int, services: int, namespaces: int = 100, seed: int = 1) -> Cluster:
    """Fallback generator: pods spread over namespaces and 100-pod /24s, one app label per
    Service (every 5th headless), plus kubernetes and kube-dns."""
    rng = random.Random(seed)
    ns_names = [f"team-{i:03d}" for i in range(namespaces)]
    nodes = tuple(Node(f"node-{i:03d}", IPv4Address(int(IPv4Address("192.168.1.10")) + i),
                       IPv4Network(f"10.244.{i}.0/24")) for i in range(pods // 100 + 1))
    out_pods = [Pod("kube-system", f"coredns-{i}", {"k8s-app": "kube-dns"}, node_name="node-000",
                    ip=IPv4Address(f"10.244.0.{2 + i}")) for i in range(2)]
    apps_per_ns = max(1, services // namespaces)
    for i in range(pods - 2):
        n = (i + 2) // 100
        ns = ns_names[i % namespaces]
        app = f"app-{rng.randrange(apps_per_ns)}"
        out_pods.append(Pod(ns, f"{app}-{i}", {"app": app}, node_name=nodes[n].name,
                            ip=IPv4Address(int(nodes[n].pod_cidr.network_address) + 2 + i % 100),
                            ready=rng.random() > 0.05))
    svcs = [Service("default", "kubernetes", ports=(ServicePort(443, "TCP", "https", 6443),),
                    cluster_ip=IPv4Address("10.96.0.1")),
            Service("kube-system", "kube-dns", selector={"k8s-app": "kube-dns"},
                    ports=(ServicePort(53, "UDP", "dns", 53),),
                    cluster_ip=IPv4Address("10.96.0.10"))]
    base = int(IPv4Address("10.96.0.11"))
    for k in range(services - 2):
        ns, app = ns_names[k % namespaces], f"app-{(k // namespaces) % apps_per_ns}"
        headless = k % 5 == 4
        svcs.append(Service(ns, f"{app}-svc{k // (namespaces * apps_per_ns)}",
                            selector={"app": app}, ports=(ServicePort(80, "TCP", "http", 8080),),
                            cluster_ip=None if headless else IPv4Address(base + k),
                            headless=headless))
    names = ["default", "kube-system", *ns_names]
    return Cluster(config=ClusterConfig(dns_upstream={"example.com": {"A": ("93.184.216.34",)}}),
                   namespaces=tuple(Namespace(n) for n in names), nodes=nodes,
                   pods=tuple(out_pods), services=tuple(svcs))


def make_cluster(pods: int, services: int) -> tuple[Cluster, str]:
    try:
        import clustergen  # type: ignore[import-not-found]
    except ImportError:
        return simple_cluster(pods, services), "bench_dns.simple_cluster"
    from dataclasses import replace

    cluster = clustergen.generate(pods=pods, namespaces=100, services=services)
    cfg = replace(cluster.config, dns_upstream={"example.com": {"A": ("93.184.216.34",)}})
    return replace(cluster, config=cfg), "bench/clustergen.generate"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--services", type=int, default=2_000)
    ap.add_argument("--queries", type=int, default=20_000)
    args = ap.parse_args()

    t0 = time.perf_counter()
    cluster, source = make_cluster(args.pods, args.services)
    gen_s = time.perf_counter() - t0
    print(f"cluster: {len(cluster.pods)} pods, {len(cluster.services)} services, "
          f"{len(cluster.namespaces)} namespaces ({source}, generated in {gen_s:.2f} s)")

    gc.collect()
    t0 = time.perf_counter()
    coredns = CoreDNS.build(cluster)
    first = time.perf_counter() - t0
    builds = timed(lambda: CoreDNS.build(cluster), 3)
    index = EndpointIndex.build(cluster)
    with_index = timed(lambda: CoreDNS.build(cluster, index), 3)
    print(f"CoreDNS.build: first {first * 1e3:.0f} ms (incl. snapshot indexes), "
          f"median {statistics.median(builds) * 1e3:.0f} ms, "
          f"with a shared EndpointIndex {statistics.median(with_index) * 1e3:.0f} ms")

    rng = random.Random(7)
    clients = [p for p in cluster.pods if not p.host_network and p.namespace != "kube-system"]
    by_ns: dict[str, list[Service]] = {}
    for s in cluster.services:
        by_ns.setdefault(s.namespace, []).append(s)
    headless = [s for s in cluster.services if s.headless]

    def pick_kind(kind: str) -> tuple[Pod, str]:
        pod = rng.choice(clients)
        if kind == "own-ns short name (1 query)":
            local = by_ns.get(pod.namespace) or [cluster.services[0]]
            return pod, rng.choice(local).name
        if kind == "svc.ns (2 queries)":
            s = rng.choice(cluster.services)
            return pod, f"{s.name}.{s.namespace}"
        if kind == "FQDN with dot (1 query)":
            s = rng.choice(cluster.services)
            return pod, f"{s.name}.{s.namespace}.svc.cluster.local."
        if kind == "headless svc.ns (2 queries)":
            s = rng.choice(headless) if headless else cluster.services[0]
            return pod, f"{s.name}.{s.namespace}"
        if kind == "external example.com (4 queries)":
            return pod, "example.com"
        return pod, f"nope-{rng.randrange(10**6)}"  # NXDOMAIN: 4 queries

    kinds = ["own-ns short name (1 query)", "svc.ns (2 queries)", "FQDN with dot (1 query)",
             "headless svc.ns (2 queries)", "external example.com (4 queries)",
             "missing name (4 queries)"]
    per_kind = max(200, args.queries // len(kinds))
    print(f"resolve() median per call, {per_kind} calls per kind "
          "(resolv.conf memoised per CoreDNS):")
    all_times: list[float] = []
    for kind in kinds:
        cases = [pick_kind(kind) for _ in range(per_kind)]
        times = []
        for pod, name in cases:
            t = time.perf_counter()
            resolve(cluster, coredns, pod, name)
            times.append(time.perf_counter() - t)
        all_times += times
        print(f"  {kind:36s} {statistics.median(times) * 1e6:7.1f} µs")
    print(f"  {'all kinds':36s} {statistics.median(all_times) * 1e6:7.1f} µs")

    pod, name = pick_kind("svc.ns (2 queries)")
    conf = resolv_conf(cluster, pod)
    times = timed(lambda: resolve(cluster, coredns, pod, name, conf=conf), 5000)
    print(f"  {'svc.ns, resolv.conf passed in':36s} "
          f"{statistics.median(times) * 1e6:7.1f} µs")
    fqdns = [f"{s.name}.{s.namespace}.svc.cluster.local" for s in cluster.services]
    times = []
    for fq in fqdns * 3:
        t = time.perf_counter()
        coredns.answer(fq)
        times.append(time.perf_counter() - t)
    print(f"CoreDNS.answer(A) median over {len(times)} service names: "
          f"{statistics.median(times) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
