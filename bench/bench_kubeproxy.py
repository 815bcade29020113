"""kube-proxy benchmark: decide() per connection and iptables-save for one node.

Cluster: `bench/clustergen.generate()` (10,000 pods, 2,000 Services, 1,000 nodes), with
every 7th proxied Service turned into a NodePort and every 11th into a LoadBalancer
(half of those with externalTrafficPolicy Local), so external paths are exercised too.

Targets (issue #3/#4): one connect verdict ≤ 200 µs median — decide() is a part of it;
node tables for one node ≤ 50 ms.

Run: .venv/bin/python bench/bench_kubeproxy.py [--pods 10000] [--services 2000]

Times are CPU time of this process (`time.process_time`), so figures stay comparable when
other jobs share the machine; the load average is printed alongside.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clustergen import generate

from clusterlab.sim.endpoints import EndpointIndex
from clusterlab.sim.iptables import iptables_save_filter, iptables_save_nat
from clusterlab.sim.ipvs import ipvsadm_ln
from clusterlab.sim.kubeproxy import KubeProxy
from clusterlab.sim.model import Cluster, Service
from clusterlab.sim.proxyplan import ProxyPlan, proxied


def with_external_services(cluster: Cluster) -> Cluster:
    services: list[Service] = []
    next_port = 30100
    lb_ip = int(IPv4Address("203.0.113.1"))
    for i, svc in enumerate(cluster.services):
        if proxied(svc) and svc.namespace not in ("default", "kube-system") and i % 7 == 0:
            ports = []
            for sp in svc.ports:
                ports.append(replace(sp, node_port=next_port))
                next_port += 1
            kind = "LoadBalancer" if i % 11 == 0 else "NodePort"
            etp = "Local" if i % 2 else "Cluster"
            extra = {}
            if kind == "LoadBalancer":
                extra = {"load_balancer_ingress": (str(IPv4Address(lb_ip)),)}
                lb_ip += 1
                if etp == "Local":
                    extra["health_check_node_port"] = next_port
                    next_port += 1
            svc = replace(svc, type=kind, ports=tuple(ports), external_traffic_policy=etp,
                          **extra)
        services.append(svc)
    return replace(cluster, services=tuple(services))


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--services", type=int, default=2_000)
    ap.add_argument("--nodes", type=int, default=1_000)
    ap.add_argument("--flows", type=int, default=20_000)
    args = ap.parse_args()

    t0 = time.process_time()
    cluster = with_external_services(generate(pods=args.pods, services=args.services,
                                              nodes=args.nodes))
    t_gen = time.process_time() - t0
    t0 = time.process_time()
    index = EndpointIndex.build(cluster)
    t_index = time.process_time() - t0
    t0 = time.process_time()
    kp = KubeProxy.build(cluster, index)
    t_build = time.process_time() - t0
    ports = sum(1 for _ in kp.plan.infos())
    endpoints = sum(len(i.endpoints) for i in kp.plan.infos())
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; CPU times below")
    print(f"cluster: {len(cluster.pods)} pods, {len(cluster.services)} services "
          f"({ports} proxied ports, {endpoints} endpoints), {len(cluster.nodes)} nodes; "
          f"generated in {t_gen:.2f} s")
    print(f"EndpointIndex.build        {t_index * 1e3:8.1f} ms")
    print(f"KubeProxy.build            {t_build * 1e3:8.1f} ms  (plan for every port)")

    rng = random.Random(7)
    pods = [p for p in cluster.pods if p.ip is not None and not p.host_network]
    infos = list(kp.plan.infos())
    external = [i for i in infos if i.node_port]
    nodes = [n.name for n in cluster.nodes]
    flows = []
    for k in range(args.flows):
        if k % 4 == 3 and external:
            info = rng.choice(external)
            node = cluster.node_by_name[rng.choice(nodes)]
            flows.append((str(node.internal_ip), info.node_port, info.port.protocol,
                          "198.51.100.7", "external", node.name))
        else:
            info = rng.choice(infos)
            src = rng.choice(pods)
            flows.append((str(info.cluster_ip), info.port.port, info.port.protocol,
                          str(src.ip), "pod", src.node_name))
    lookups, decides, verdicts = [], [], {}
    for n, (dst, port, proto, client, kind, node) in enumerate(flows):
        t0 = time.process_time()
        m = kp.lookup(dst, port, proto, node)
        t1 = time.process_time()
        d = kp.decide(m, client, kind, node, (client, 10000 + n, dst, port, proto), 1)
        t2 = time.process_time()
        lookups.append(t1 - t0)
        decides.append(t2 - t1)
        verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
    both = [a + b for a, b in zip(lookups, decides, strict=True)]
    q = statistics.quantiles(both, n=100)
    print(f"lookup() median            {statistics.median(lookups) * 1e6:8.1f} µs")
    print(f"decide() median            {statistics.median(decides) * 1e6:8.1f} µs   "
          f"(target: part of ≤ 200 µs per connect verdict)")
    print(f"lookup+decide p50/p99      {q[49] * 1e6:8.1f} / {q[98] * 1e6:.1f} µs  "
          f"over {len(flows)} flows {verdicts}")

    node_names = nodes[:6]
    times = []
    for name in node_names:  # the first view renders every port; later nodes reuse that
        t0 = time.process_time()
        text = iptables_save_nat(cluster, name, kp.plan)
        times.append(time.process_time() - t0)
    again = timed(lambda: iptables_save_nat(cluster, node_names[0], kp.plan), 5)
    print(f"iptables_save_nat          {times[0] * 1e3:8.1f} ms first node after the snapshot, "
          f"{statistics.median(times[1:]) * 1e3:.1f} ms each further node, "
          f"{statistics.median(again) * 1e3:.1f} ms again   "
          f"({text.count(chr(10))} lines; target ≤ 50 ms)")
    filt = timed(lambda: iptables_save_filter(cluster, node_names[1], kp.plan), 5)
    ipvs = timed(lambda: ipvsadm_ln(cluster, node_names[2], kp.plan), 5)
    print(f"iptables_save_filter       {statistics.median(filt) * 1e3:8.1f} ms")
    print(f"ipvsadm_ln                 {statistics.median(ipvs) * 1e3:8.1f} ms")
    t0 = time.process_time()
    ProxyPlan.build(cluster, index)
    print(f"ProxyPlan.build (no index) {(time.process_time() - t0) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
