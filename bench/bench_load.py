"""Load benchmark: `manifests.load_documents` on generated clusters (issue #3 performance).

    .venv/bin/python bench/bench_load.py                 # 1k, 10k, 150k pods
    .venv/bin/python bench/bench_load.py --sizes 10k --repeat 5

Each size runs in a fresh subprocess (so memory figures do not mix): the manifests are
generated deterministically in this script (namespaces, nodes without addresses,
Deployments and bare Pods without nodeName or IP, Services of every type, policies),
then `load_documents` — validation, defaulting, Deployment expansion, scheduling,
podCIDR / pod IP / ClusterIP / NodePort allocation — is timed `--repeat` times (median
reported), then run once more under tracemalloc for the peak memory the load itself
allocates. `maxrss` is the whole process (generated input included). At 1k and 10k the
NetworkPolicy index (`PolicyIndex.build`) is timed on the loaded cluster as well.

CPU time (`time.process_time`) is the figure to read: the benchmark machine is shared,
and wall time grows with other jobs. Targets (issue #3): at 10k pods load + index ≤ 1 s;
150k pods load within 2 GiB. The last lines give both as ratios (measured / target, ≤ 1
is within target) and how time and memory grow from 1k to 10k to 150k pods.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

SIZES: dict[str, dict[str, int]] = {
    "1k": {"pods": 1_000, "namespaces": 10, "services": 200, "policies": 100, "nodes": 100},
    "10k": {"pods": 10_000, "namespaces": 100, "services": 2_000, "policies": 1_000,
            "nodes": 1_000},
    "150k": {"pods": 150_000, "namespaces": 1_500, "services": 10_000, "policies": 15_000,
             "nodes": 5_000},
}

TEAMS = ("payments", "search", "checkout", "catalog", "identity", "ads", "media", "ml")
ENVS = ("prod", "staging", "dev")
APPS = ("api", "web", "worker", "cache", "db", "gateway", "auth", "queue")


def generate(pods: int, namespaces: int, services: int, policies: int, nodes: int,
             seed: int = 1) -> list[tuple[str, dict[str, Any]]]:
    """A realistic cluster as manifest dicts; same arguments, same manifests."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = [{
        "apiVersion": "clusterlab.io/v1alpha1", "kind": "ClusterConfig",
        "spec": {"cni": {"plugin": "flannel", "mode": "vxlan"}, "clusterCIDR": "10.128.0.0/9",
                 "subnets": [{"name": "dc", "cidr": "172.16.0.0/16", "gateway": "172.16.0.1"}]}}]
    ns_names = [f"{TEAMS[i % len(TEAMS)]}-{ENVS[i % len(ENVS)]}-{i}" for i in range(namespaces)]
    for name in ns_names:
        team, env, _ = name.split("-")
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": name, "labels": {"team": team, "env": env}}})
    for i in range(nodes):
        labels = {"topology.kubernetes.io/zone": f"zone-{i % 3}"}
        if i < 3:
            labels["node-role.kubernetes.io/control-plane"] = ""
        docs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": f"node-{i:05d}", "labels": labels}})

    def container(app: str) -> dict[str, Any]:
        return {"name": app, "image": f"registry.example.com/{app}:1.{rng.randint(0, 9)}",
                "ports": [{"name": "http", "containerPort": 8080},
                          {"name": "metrics", "containerPort": 9090}]}

    # Pods: three quarters from Deployments (1–8 replicas), the rest bare Pods.
    apps: list[tuple[str, str]] = []  # (namespace, app) with pods
    made = 0
    n = 0
    while made < pods * 3 // 4:
        ns = ns_names[n % namespaces]
        app = f"{APPS[n % len(APPS)]}-{n}"
        replicas = min(rng.randint(1, 8), pods * 3 // 4 - made)
        labels = {"app": app, "tier": APPS[n % len(APPS)], "version": f"v{rng.randint(1, 3)}"}
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                              "template": {"metadata": {"labels": labels},
                                           "spec": {"containers": [container(app)]}}}})
        apps.append((ns, app))
        made += replicas
        n += 1
    while made < pods:
        ns = ns_names[made % namespaces]
        app = f"job-{made}"
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": app, "namespace": ns,
                                  "labels": {"app": app, "tier": "batch"}},
                     "spec": {"containers": [container("job")]}})
        apps.append((ns, app))
        made += 1
    for i in range(services):
        ns, app = apps[i % len(apps)]
        # 10% external (5% NodePort, 5% LoadBalancer): 10k Services stay within the
        # 2768 ports of 30000-32767 (SVC-3)
        kind = {1: "NodePort", 2: "LoadBalancer"}.get(i % 20, "ClusterIP")
        spec: dict[str, Any] = {"type": kind, "selector": {"app": app},
                                "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                                          {"name": "metrics", "port": 9090}]}
        if i % 37 == 0:
            spec["clusterIP"] = "None"
            spec["type"] = "ClusterIP"
        elif kind == "LoadBalancer" and i % 2:
            spec["externalTrafficPolicy"] = "Local"
        docs.append({"apiVersion": "v1", "kind": "Service",
                     "metadata": {"name": f"svc-{i}", "namespace": ns}, "spec": spec})
    for i in range(policies):
        ns = ns_names[i % namespaces]
        if i < namespaces:
            spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                    "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"protocol": "UDP", "port": 53},
                                  {"protocol": "TCP", "port": 53}]}]}
        else:
            _, app = apps[rng.randrange(len(apps))]
            spec = {"podSelector": {"matchLabels": {"app": app}},
                    "ingress": [{"from": [
                        {"namespaceSelector": {"matchLabels": {"team": rng.choice(TEAMS)}},
                         "podSelector": {"matchExpressions": [
                             {"key": "tier", "operator": "In", "values": ["web", "gateway"]}]}},
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}}],
                        "ports": [{"port": "http"}, {"port": 9000, "endPort": 9100}]}]}
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": f"np-{i}", "namespace": ns}, "spec": spec})
    return [(f"gen#{i}", d) for i, d in enumerate(docs, 1)]


INDEX_SIZES = ("1k", "10k")  # sizes whose policy index is timed too
TARGET_LOAD_AND_INDEX_S = 1.0  # issue #3, 10k pods
TARGET_MAXRSS_MIB = 2048  # issue #3, 150k pods


def _validation_only(docs: list[tuple[str, dict[str, Any]]]) -> float:
    """CPU seconds `validation.py` takes for what the loader asks of it (`check_object`:
    the API server's errors and the unknown fields of each object)."""
    from clusterlab.sim import validation

    start = time.process_time()
    for _, obj in docs:
        validation.check_object(obj["kind"], obj)
    return time.process_time() - start


def _index_cpu(cluster: Any, repeat: int) -> float:
    """Median CPU seconds of `PolicyIndex.build` on the loaded cluster."""
    from clusterlab.sim.policy import PolicyIndex

    cpu = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        PolicyIndex.build(cluster)
        cpu.append(time.process_time() - start)
    return statistics.median(cpu)


def measure(size: str, repeat: int) -> dict[str, Any]:
    from clusterlab.sim import manifests

    shape = SIZES[size]
    start = time.perf_counter()
    docs = generate(**shape)
    generated = time.perf_counter() - start
    times = []
    cpu = []
    cluster = None
    for _ in range(repeat):
        cluster = None
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        cluster = manifests.load_documents(docs)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert cluster is not None
    counts = {"pods": len(cluster.pods), "services": len(cluster.services),
              "policies": len(cluster.network_policies), "nodes": len(cluster.nodes),
              "namespaces": len(cluster.namespaces)}
    index_cpu = _index_cpu(cluster, repeat) if size in INDEX_SIZES else None
    cluster = None
    gc.collect()
    validation_cpu = statistics.median(_validation_only(docs) for _ in range(repeat))
    tracemalloc.start()
    kept = manifests.load_documents(docs)
    _, peak = tracemalloc.get_traced_memory()
    retained, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"size": size, "documents": len(docs), **counts, "generate_s": generated,
            "load_s_median": statistics.median(times), "load_s_all": times,
            "load_cpu_s_median": statistics.median(cpu), "load_cpu_s_all": cpu,
            "validation_cpu_s": validation_cpu, "index_cpu_s": index_cpu,
            "load_peak_mib": peak / 2**20, "cluster_mib": retained / 2**20,
            "maxrss_mib": maxrss_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,150k")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return
    print(f"bench_load: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start")
    print(f"{'size':>5} {'docs':>7} {'pods':>7} {'svcs':>6} {'netpols':>7} {'nodes':>6} "
          f"{'wall':>8} {'cpu':>8} {'validation':>10} {'per pod':>8} {'load peak':>10} "
          f"{'cluster':>9} {'maxrss':>9} {'index cpu':>9}")
    results: dict[str, dict[str, Any]] = {}
    for size in args.sizes.split(","):
        out = subprocess.run([sys.executable, __file__, "--one", size, "--repeat",
                              str(args.repeat)], capture_output=True, text=True, check=False)
        if out.returncode:
            print(f"{size:>5} failed:\n{out.stderr}", file=sys.stderr)
            continue
        r = json.loads(out.stdout)
        results[size] = r
        index = "-" if r["index_cpu_s"] is None else f"{r['index_cpu_s']:.3f}s"
        print(f"{r['size']:>5} {r['documents']:>7} {r['pods']:>7} {r['services']:>6} "
              f"{r['policies']:>7} {r['nodes']:>6} {r['load_s_median']:>7.3f}s "
              f"{r['load_cpu_s_median']:>7.3f}s {r['validation_cpu_s']:>9.3f}s "
              f"{r['load_cpu_s_median'] / r['pods'] * 1e6:>6.0f}µs {r['load_peak_mib']:>7.0f} MiB "
              f"{r['cluster_mib']:>5.0f} MiB {r['maxrss_mib']:>5.0f} MiB {index:>9}")
        print(f"      cpu runs: {', '.join(f'{t:.3f}s' for t in r['load_cpu_s_all'])}; "
              f"wall runs: {', '.join(f'{t:.3f}s' for t in r['load_s_all'])}; "
              f"generating the manifests took {r['generate_s']:.2f}s")
    print("wall/cpu: median load_documents time; validation: CPU spent in validation.py's "
          "check_object (part of cpu); per pod: cpu / pods; load peak: tracemalloc peak "
          "during one load; cluster: what the loaded Cluster keeps; maxrss: whole process "
          "incl. the generated manifests; index cpu: median PolicyIndex.build")
    _summary(results)


def _summary(results: dict[str, dict[str, Any]]) -> None:
    """The targets as ratios, and growth from one size to the next."""
    ten, big = results.get("10k"), results.get("150k")
    if ten is not None and ten["index_cpu_s"] is not None:
        total = ten["load_cpu_s_median"] + ten["index_cpu_s"]
        print(f"10k: load {ten['load_cpu_s_median']:.3f} s + policy index "
              f"{ten['index_cpu_s']:.3f} s = {total:.3f} s CPU; target "
              f"{TARGET_LOAD_AND_INDEX_S:.0f} s, ratio {total / TARGET_LOAD_AND_INDEX_S:.2f}")
    if big is not None:
        print(f"150k: load {big['load_cpu_s_median']:.2f} s CPU, whole process maxrss "
              f"{big['maxrss_mib']:.0f} MiB; target {TARGET_MAXRSS_MIB} MiB, ratio "
              f"{big['maxrss_mib'] / TARGET_MAXRSS_MIB:.2f}")
    sizes = [results[s] for s in ("1k", "10k", "150k") if s in results]
    for a, b in itertools.pairwise(sizes):
        print(f"{a['size']} → {b['size']}: pods ×{b['pods'] / a['pods']:.1f}, load CPU "
              f"×{b['load_cpu_s_median'] / a['load_cpu_s_median']:.1f}, per pod "
              f"{a['load_cpu_s_median'] / a['pods'] * 1e6:.0f} → "
              f"{b['load_cpu_s_median'] / b['pods'] * 1e6:.0f} µs, load peak "
              f"×{b['load_peak_mib'] / a['load_peak_mib']:.1f}, cluster "
              f"×{b['cluster_mib'] / a['cluster_mib']:.1f}")


if __name__ == "__main__":
    main()
