"""NetworkPolicy engine figures at 1k / 10k / 150k pods (issue #3 performance targets).

    .venv/bin/python bench/bench_policy.py            # 1k, 10k, 150k
    .venv/bin/python bench/bench_policy.py 1000 10000 # chosen sizes

Clusters come from `clustergen.scaled(n)` (the issue's ratios: n/100 namespaces, n/5
services, n/10 policies, n/10 nodes; capped at 5k nodes and 10k services). Printed:
index build (median wall time; tracemalloc peak measured in a separate run, since tracing
slows numpy), one verdict (median/p95 over 2,000 mixed queries), the matrix for TCP/8080
(compute time, peak memory, size), the pod-level bit-packed expansion, counting, and the
incremental update after editing one policy (`with_policy` + `Matrix.update`). The 10k
row is compared with the targets (ratio = measured / target, ≤ 1 is within target).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import clustergen

from clusterlab.sim.model import (
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
)
from clusterlab.sim.policy import PolicyIndex
from clusterlab.sim.reachability import Matrix

TARGETS = {"index_ms": 300, "verdict_us": 200, "matrix_ms": 250, "matrix_mb": 200,
           "update_ms": 100}
QUERIES = ((80, "TCP"), (8080, "TCP"), ("http", "TCP"), (5432, "TCP"), (53, "UDP"),
           (443, "TCP"), (9100, "TCP"), (3868, "SCTP"))


CPU: dict[str, float] = {}  # CPU-time medians (ms) by label: less sensitive to other load


def timed(fn: Callable[[], Any], repeat: int, label: str = "") -> tuple[float, Any]:
    """Median wall seconds over `repeat` runs, and the last result (CPU time → CPU)."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    if label:
        CPU[label] = statistics.median(cpu) * 1000
    return statistics.median(times), result


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def verdict_times(idx: PolicyIndex, rng: random.Random, n: int = 2000) -> list[float]:
    pods = idx.cluster.pods
    out = []
    for _ in range(n):
        src = rng.choice(pods) if rng.random() > 0.1 else IPv4Address("203.0.113.77")
        dst = rng.choice(pods) if rng.random() > 0.05 else IPv4Address("93.184.216.34")
        port, proto = rng.choice(QUERIES)
        t = time.perf_counter_ns()
        idx.verdict(src, dst, port, proto)
        out.append((time.perf_counter_ns() - t) / 1000)
    return out


def edited(policy: NetworkPolicy, k: int) -> NetworkPolicy:
    """A typical edit: another port on the first rule, or a new peer, or a new rule."""
    rules = policy.ingress if policy.affects_ingress else policy.egress
    if k % 3 == 0 and rules:
        first = rules[0]
        rules = (dataclasses.replace(first, ports=(*first.ports, NetworkPolicyPort(
            "TCP", 9000 + k))), *rules[1:])
    elif k % 3 == 1 and rules:
        first = rules[0]
        rules = (dataclasses.replace(first, peers=(*first.peers, NetworkPolicyPeer(
            pod_selector=clustergen._sel(tier="frontend")))), *rules[1:])
    else:
        rules = (*rules, NetworkPolicyRule(ports=(NetworkPolicyPort("TCP", 443),)))
    field = "ingress" if policy.affects_ingress else "egress"
    return dataclasses.replace(policy, **{field: rules})


def _unreferenced_app_pods(idx: PolicyIndex, rng: random.Random, k: int) -> list[Any]:
    """Pods whose `app` value no policy of their namespace mentions, in a group with pods
    of another app (so selecting it splits the group)."""
    out = []
    pods = list(idx.cluster.pods)
    rng.shuffle(pods)
    for pod in pods:
        app = pod.labels.get("app")
        if pod.host_network or app is None:
            continue
        if app in idx._feats.labels.get(pod.namespace, {}).get("app", frozenset()):
            continue
        group = idx.groups[idx.group_of(pod.key)]
        if any(idx.cluster.pod_by_key[q].labels.get("app") != app for q in group.pods):
            out.append(pod)
            if len(out) == k:
                break
    return out


def bench(n: int, seed: int = 1) -> dict[str, Any]:
    row: dict[str, Any] = {"pods": n}
    t = time.perf_counter()
    cluster = clustergen.scaled(n, seed=seed)
    row["gen_s"] = time.perf_counter() - t
    row["policies"] = len(cluster.network_policies)
    big = n > 50_000
    row["index_ms"], idx = timed(lambda: PolicyIndex.build(cluster), 1 if big else 5, "index")
    row["index_ms"] *= 1000
    row["index_cpu_ms"] = CPU["index"]
    row["index_mb"] = traced_peak_mb(lambda: PolicyIndex.build(cluster)) if not big else None
    row["groups"] = len(idx.groups)
    v = verdict_times(idx, random.Random(seed))
    v.sort()
    row["verdict_med_us"], row["verdict_p95_us"] = statistics.median(v), v[int(len(v) * 0.95)]
    row["matrix_ms"], m = timed(lambda: Matrix.compute(idx, 8080, "TCP"), 1 if big else 3,
                                "matrix")
    row["matrix_ms"] *= 1000
    row["matrix_cpu_ms"] = CPU["matrix"]
    row["matrix_mb"] = traced_peak_mb(lambda: Matrix.compute(idx, 8080, "TCP"))
    row["rows_mb"] = m.rows.nbytes / 1e6
    row["count_ms"], row["allowed"] = timed(m.count_allowed, 1)
    row["count_ms"] *= 1000
    if n <= 20_000:
        row["expand_ms"], packed = timed(m.to_packed, 1)
        row["expand_ms"] *= 1000
        row["expand_mb"] = packed.nbytes / 1e6
        del packed
    # incremental: edit one policy, with_policy + update (the matrix is warm)
    rng = random.Random(seed)
    picks = rng.sample(list(cluster.network_policies), min(15, len(cluster.network_policies)))
    updates, news = [], []
    for k, policy in enumerate(picks):
        gc.collect()
        t = time.perf_counter()
        new_idx = idx.with_policy(edited(policy, k))
        t1 = time.perf_counter()
        m2 = m.update(new_idx)
        t2 = time.perf_counter()
        updates.append((t2 - t) * 1000)
        news.append(((t1 - t) * 1000, (t2 - t1) * 1000))
        if k == 0 and not big:  # sanity: equal to a rebuild from scratch
            full = Matrix.compute(PolicyIndex.build(new_idx.cluster), 8080, "TCP")
            assert full.count_allowed() == m2.count_allowed(), "incremental != rebuild"
    row["update_med_ms"], row["update_max_ms"] = statistics.median(updates), max(updates)
    row["with_policy_med_ms"] = statistics.median(a for a, _ in news)
    # an edit that makes a pod group split (a selector on a label value no policy of that
    # namespace looked at): groups are refined and the matrix is computed afresh
    splits = []
    for k, pod in enumerate(_unreferenced_app_pods(idx, rng, 5)):
        policy = NetworkPolicy(pod.namespace, f"isolate-{k}",
                               LabelSelector.of({"app": pod.labels["app"]}), ("Ingress",))
        gc.collect()
        t = time.perf_counter()
        new_idx = idx.with_policy(policy)
        m.update(new_idx)
        splits.append((time.perf_counter() - t) * 1000)
        assert len(new_idx.groups) > len(idx.groups)
    row["split_med_ms"] = statistics.median(splits) if splits else None
    row["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def fmt(x: Any, spec: str = ".0f") -> str:
    return "-" if x is None else format(x, spec)


def main(sizes: list[int]) -> None:
    print(f"bench_policy: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start (wall times grow with other "
          "load; CPU times much less)")
    head = ("pods", "policies", "groups", "index ms wall/cpu", "index MB", "verdict µs med/p95",
            "matrix ms wall/cpu", "matrix MB", "rows MB", "count ms", "expand ms/MB",
            "update ms med/max", "split-edit ms", "maxRSS MB")
    print(" | ".join(head))
    rows = []
    for n in sizes:
        r = bench(n)
        rows.append(r)
        expand = (f"{r['expand_ms']:.0f}/{r['expand_mb']:.1f}" if "expand_ms" in r
                  else "- (n² bits)")
        print(" | ".join((
            str(r["pods"]), str(r["policies"]), str(r["groups"]),
            f"{r['index_ms']:.0f}/{r['index_cpu_ms']:.0f}", fmt(r["index_mb"], ".1f"),
            f"{r['verdict_med_us']:.0f}/{r['verdict_p95_us']:.0f}",
            f"{r['matrix_ms']:.0f}/{r['matrix_cpu_ms']:.0f}",
            fmt(r["matrix_mb"], ".1f"), fmt(r["rows_mb"], ".2f"), fmt(r["count_ms"]), expand,
            f"{r['update_med_ms']:.1f}/{r['update_max_ms']:.1f}", fmt(r["split_med_ms"], ".1f"),
            fmt(r["maxrss_mb"]))),
            flush=True)
    ten = next((r for r in rows if r["pods"] == 10_000), None)
    if ten:
        print("\n10k pods vs targets (ratio = measured / target):")
        for label, value, target in (
                ("index build (wall)", ten["index_ms"], TARGETS["index_ms"]),
                ("index build (CPU time)", ten["index_cpu_ms"], TARGETS["index_ms"]),
                ("verdict median", ten["verdict_med_us"], TARGETS["verdict_us"]),
                ("matrix time (wall)", ten["matrix_ms"], TARGETS["matrix_ms"]),
                ("matrix time (CPU time)", ten["matrix_cpu_ms"], TARGETS["matrix_ms"]),
                ("matrix memory (tracemalloc peak)", ten["matrix_mb"], TARGETS["matrix_mb"]),
                ("incremental update (median)", ten["update_med_ms"], TARGETS["update_ms"]),
                ("incremental update (max)", ten["update_max_ms"], TARGETS["update_ms"]),
                ("update after a group-splitting edit", ten["split_med_ms"],
                 TARGETS["update_ms"])):
            print(f"  {label:36} {value:9.1f} / {target:<5} = {value / target:.2f}")
    if len(rows) > 1:
        first = rows[0]
        print("\ngrowth from the smallest size (×pods → ×time):")
        for r in rows[1:]:
            k = r["pods"] / first["pods"]
            print(f"  {r['pods']:>7} pods (×{k:.0f}): "
                  f"index ×{r['index_ms'] / first['index_ms']:.0f}"
                  f", groups ×{r['groups'] / first['groups']:.0f}"
                  f", matrix ×{r['matrix_ms'] / first['matrix_ms']:.0f}"
                  f", verdict ×{r['verdict_med_us'] / first['verdict_med_us']:.1f}"
                  f", matrix memory ×{r['matrix_mb'] / first['matrix_mb']:.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 150_000])
