"""Trace benchmark (issue #4): one full connect trace with hops, and one node's tables.

Cluster: `bench/clustergen.generate()` — 10,000 pods, 2,000 Services, 1,000 policies,
1,000 nodes — with the CNI of `--cni` (`plugin-mode`, e.g. flannel-vxlan, calico-ipip).

Targets: one full trace (hops and reply path included) ≤ 1 ms median after the snapshot
is built; node tables (`ip route`, `ip addr`, `ip neigh`, `iptables-save -t nat`) for one
node ≤ 50 ms. Every trace and every table uses a node nobody asked about before, so no
per-node cache is warm: the figures are the cold per-node cost.

Run: .venv/bin/python bench/bench_trace.py [--cni flannel-vxlan] [--flows 2000]

Times are CPU time of this process (`time.process_time`).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clustergen import generate

from clusterlab.sim.engine import Engine
from clusterlab.sim.netviews import node_view
from clusterlab.sim.trace import trace_connect


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1] if len(values) > 1 else values[0]
    return f"median {statistics.median(values) * 1e3:.3f} ms, p95 {p95 * 1e3:.3f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cni", default="flannel-vxlan")
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--nodes", type=int, default=1_000)
    ap.add_argument("--flows", type=int, default=2_000)
    ap.add_argument("--kube-proxy-mode", default="iptables")
    args = ap.parse_args()
    plugin, _, mode = args.cni.partition("-")

    t0 = time.process_time()
    cluster = generate(pods=args.pods, nodes=args.nodes, cni=plugin)
    cluster = replace(cluster, config=replace(cluster.config, cni_plugin=plugin,
                                              cni_mode=mode or cluster.config.cni_mode,
                                              kube_proxy_mode=args.kube_proxy_mode))
    t1 = time.process_time()
    engine = Engine(cluster)
    for part in ("endpoints", "kubeproxy", "policy", "dns", "dataplane"):
        getattr(engine, part)
    t2 = time.process_time()
    print(f"cluster: {len(cluster.pods)} pods, {len(cluster.nodes)} nodes, "
          f"{len(cluster.services)} services, {len(cluster.network_policies)} policies; "
          f"CNI {engine.dataplane.name}, kube-proxy {cluster.config.kube_proxy_mode}")
    print(f"generate {t1 - t0:.2f} s; engine indexes (endpoints, kube-proxy, policy, DNS, "
          f"dataplane) {t2 - t1:.2f} s")

    rng = random.Random(7)
    pods = [p for p in cluster.pods if p.ip is not None and not p.host_network]
    services = [s for s in cluster.services if s.cluster_ip is not None and s.ports
                and not s.headless]
    kinds: dict[str, list[float]] = {"pod→pod": [], "pod→ClusterIP": [], "pod→Service name": []}
    verdicts: dict[str, int] = {}
    hop_counts: list[int] = []
    for i in range(args.flows):
        src = rng.choice(pods)
        kind = ("pod→pod", "pod→ClusterIP", "pod→Service name")[i % 3]
        if kind == "pod→pod":
            dst, port = rng.choice(pods).key, 8080
        else:
            svc = rng.choice(services)
            port = svc.ports[0].port
            dst = str(svc.cluster_ip) if kind == "pod→ClusterIP" else \
                f"{svc.name}.{svc.namespace}"
        start = time.process_time()
        t = trace_connect(engine, src.key, dst, port, seed=i)
        kinds[kind].append(time.process_time() - start)
        verdicts[t.verdict] = verdicts.get(t.verdict, 0) + 1
        hop_counts.append(len(t.hops) + len(t.reply_hops))
    for kind, values in kinds.items():
        print(f"trace {kind:18} {ms(values)}  ({len(values)} flows)")
    allv = [v for values in kinds.values() for v in values]
    print(f"trace all                {ms(allv)}; hops per trace median "
          f"{statistics.median(hop_counts):.0f}; verdicts {verdicts}")

    shows = ["routes", "addr", "neigh"]
    shows.append("ipvs" if cluster.config.kube_proxy_mode == "ipvs" else "iptables")
    nodes = [n.name for n in cluster.nodes]
    rng.shuffle(nodes)
    per: dict[str, list[float]] = {s: [] for s in shows}
    total: list[float] = []
    for name in nodes[:20]:
        t_node = 0.0
        for show in shows:
            start = time.process_time()
            node_view(engine, name, show)
            took = time.process_time() - start
            per[show].append(took)
            t_node += took
        total.append(t_node)
    for show, values in per.items():
        print(f"node table {show:9} {ms(values)}")
    if "iptables" in per:
        from clusterlab.sim.kubeproxy import iptables_save_nat

        kp = []
        for name in nodes[20:40]:
            start = time.process_time()
            iptables_save_nat(cluster, name, engine.kubeproxy.plan)
            kp.append(time.process_time() - start)
        print(f"  of which kubeproxy.iptables_save_nat alone: {ms(kp)}")
    print(f"node tables, all four for one node: {ms(total)}  (20 cold nodes)")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
