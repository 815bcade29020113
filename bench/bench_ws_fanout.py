"""WebSocket fan-out: N viewers of one cluster on two daphne processes joined by Redis.

Issue #6 target: 1,000 viewers of one cluster, spread over two daphne processes, receive
a 20-hop trace with p95 delivery <= 100 ms and p99 <= 250 ms on this machine.

What runs (all on 127.0.0.1):

* two daphne processes started through deploy/entrypoint.sh on a scratch PostgreSQL
  database and a Redis database of their own (bench/loadgen/servers.py, the two-daphne
  test's recipe), production settings;
* `manage.py shell` creates the 1,000-pod cluster through the labs write path, N
  read-only users it is shared with, and one Django session per user;
* one or more load-generator processes (bench/loadgen/viewers.py, aiohttp's client on
  asyncio, or `--client websockets`) open the N viewer sockets, viewer i on daphne
  i % 2, and wait for presence to go quiet. The viewers share the two cores with the
  servers: a pure-Python frame parser (websockets) costs them ~0.1 ms of CPU per 19 KB
  frame, aiohttp's compiled reader ~0.06 ms, and that difference shows in the latency
  (docs/performance.md gives both);
* the orchestrator (this process) holds the owner's socket on daphne A and sends one
  warm-up trace (engine cold: snapshot build + first query) and then `--traces` traces
  of ~20 hops (web pod -> `api` Service on another node, Calico IPIP).

Per viewer and message it records the receive time; latency is measured from the
moment the orchestrator sent the trace request (client side, includes the engine run)
and from the consumer's `sent_at` in `trace.started` (fan-out only). It prints p50 /
p95 / p99 / max of the `trace.finished` delivery and per message position, the ratio
to the targets, how many viewers received every hop, and the CPU seconds of each daphne
and load generator per trace.

    .venv/bin/python bench/bench_ws_fanout.py                      # 1,000 viewers
    .venv/bin/python bench/bench_ws_fanout.py --viewers 200 --traces 3
    .venv/bin/python bench/bench_ws_fanout.py --asgi mymod:application \\
        --pythonpath /tmp/proto                                     # a consumer prototype
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.loadgen.cluster import TRACE, parse_setup, setup_script  # noqa: E402
from bench.loadgen.servers import TwoDaphne, raise_fd_limit, services_down  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_P99_MS = 250.0
LOADGEN = ROOT / "bench" / "loadgen" / "viewers.py"


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": min(values), "p50": pct(values, 50),
            "p95": pct(values, 95), "p99": pct(values, 99), "max": max(values)}


def fmt(s: dict[str, float]) -> str:
    if not s.get("n"):
        return "no data"
    return (f"min {s['min']:6.1f}  p50 {s['p50']:7.1f}  p95 {s['p95']:7.1f}  "
            f"p99 {s['p99']:7.1f}  max {s['max']:7.1f} ms")


class LoadGenProcess:
    """One viewers.py process and its line protocol."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, targets: list[dict], concurrency: int, tmp: Path,
                    index: int, client: str = "websockets") -> LoadGenProcess:
        config = tmp / f"loadgen-{index}.json"
        config.write_text(json.dumps({"targets": targets, "concurrency": concurrency,
                                      "client": client}))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(LOADGEN), str(config), cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=2**24)
        return cls(proc)

    async def event(self, timeout: float) -> dict:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"load generator exited ({await self.proc.wait()})")
        return json.loads(line)

    async def ask(self, cmd: dict, timeout: float = 600) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        return await self.event(timeout)


async def ask_all(gens: list[LoadGenProcess], cmd: dict, timeout: float = 600) -> list[dict]:
    return list(await asyncio.gather(*(g.ask(cmd, timeout) for g in gens)))


async def settle(gens: list[LoadGenProcess], cluster: TwoDaphne, idle_s: float,
                 timeout: float, log) -> dict:
    """Wait until no viewer received anything for idle_s (presence storms are over)."""
    started = time.monotonic()
    last_print = 0.0
    while True:
        stats = await ask_all(gens, {"cmd": "stats"})
        idle = [s["idle_s"] for s in stats]
        elapsed = time.monotonic() - started
        # None: nothing received yet (presence may be debounced); wait idle_s at least.
        quiet = all(i >= idle_s if i is not None else elapsed >= idle_s for i in idle)
        if quiet or elapsed > timeout:
            return {"settled": quiet, "seconds": round(elapsed, 1),
                    "presence_messages": sum(s["presence"] for s in stats),
                    "presence_mb": round(sum(s["presence_bytes"] for s in stats) / 1e6, 1),
                    "closed": sum(s["closed"] for s in stats)}
        if elapsed - last_print > 10:
            last_print = elapsed
            log(f"  settling {elapsed:5.0f} s: {sum(s['presence'] for s in stats)} presence "
                f"messages so far, daphne CPU " +
                ", ".join(f"{d.name} {d.cpu():.1f} s" for d in cluster.servers))
        await asyncio.sleep(0.5)


def api_token(base: str, username: str, password: str) -> str:
    """A REST token (DRF TokenAuthentication: no CSRF dance for a script)."""
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(base + "/api/auth/token/", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["token"]


def edit_pod(base: str, token: str, cluster_id: int, n: int) -> None:
    """Relabel a pod the trace does not involve: a new version, the same flows."""
    body = json.dumps({"metadata": {"labels": {"bench-edit": str(n)}}}).encode()
    request = urllib.request.Request(
        f"{base}/api/clusters/{cluster_id}/pods/shop/cache-0010/", data=body, method="PATCH",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200, response.status


def analyse(dumps: list[list[dict]], sends: dict[str, float]) -> dict:
    """Per trace (by request id): latencies of every message for every viewer."""
    traces: dict[str, dict] = {rid: {"finished": [], "finished_server": [], "by_pos": {},
                                     "complete": 0, "viewers": 0, "hop_counts": set(),
                                     "server_lag": [], "by_server": {}}
                               for rid in sends}
    for dump in dumps:
        for viewer in dump:
            if viewer["error"]:
                continue
            server = "A" if viewer["index_global"] % 2 == 0 else "B"
            per: dict[str, dict] = {}
            ids: dict[str, str] = {}
            for t, m in viewer["messages"]:
                kind = m.get("type")
                if kind == "trace.started" and m.get("request_id") in sends:
                    ids[m["trace_id"]] = m["request_id"]
                    per[m["request_id"]] = {"started": (t, m), "hops": [], "finished": None}
                elif kind == "trace.hop" and m.get("trace_id") in ids:
                    per[ids[m["trace_id"]]]["hops"].append(t)
                elif kind == "trace.finished" and m.get("trace_id") in ids:
                    per[ids[m["trace_id"]]]["finished"] = t
            for rid, rec in traces.items():
                rec["viewers"] += 1
                got = per.get(rid)
                if got is None:
                    continue
                t0 = sends[rid]
                started_t, started = got["started"]
                sent_at = started["sent_at"]
                count = started["hop_count"]
                rec["hop_counts"].add(count)
                rec["server_lag"].append((sent_at - t0) * 1000)
                positions = [("started", started_t)] + [
                    (f"hop {i + 1:2d}", t) for i, t in enumerate(got["hops"])]
                if got["finished"] is not None:
                    positions.append(("finished", got["finished"]))
                for name, t in positions:
                    rec["by_pos"].setdefault(name, []).append((t - t0) * 1000)
                if got["finished"] is not None and len(got["hops"]) == count:
                    rec["complete"] += 1
                    rec["finished"].append((got["finished"] - t0) * 1000)
                    rec["finished_server"].append((got["finished"] - sent_at) * 1000)
                    rec["by_server"].setdefault(server, []).append(
                        (got["finished"] - t0) * 1000)
    return traces


async def run(args: argparse.Namespace) -> int:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    down = services_down()
    if down:
        print(f"skipped: {' and '.join(down)} not reachable on 127.0.0.1")
        return 2
    raise_fd_limit()
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-fanout-"))
    pythonpath = [p for p in (args.pythonpath or "").split(":") if p]
    extra_env = dict(item.split("=", 1) for item in args.env)
    with TwoDaphne(application=args.asgi, pythonpath=pythonpath, extra_env=extra_env,
                   redis_socket_timeout=args.redis_socket_timeout or None) as cluster:
        a, b = cluster.servers[:2]
        log(f"daphne A :{a.port} pid {a.process.pid}, B :{b.port} pid {b.process.pid}")
        t = time.perf_counter()
        setup = parse_setup(cluster.shell(setup_script(
            "bench-owner", "bench-owner-pw-1", viewers=args.viewers, nodes=args.nodes,
            pods_per_node=args.pods_per_node)))
        log(f"setup: cluster {setup['cluster']} with {setup['objects']} objects "
            f"(create_cluster {setup['create_s']} s), {len(setup['viewer_sessions'])} viewer "
            f"sessions in {time.perf_counter() - t:.1f} s")
        path = f"/ws/clusters/{setup['cluster']}/"
        targets = []
        for i, key in enumerate(setup["viewer_sessions"]):
            server = cluster.servers[i % 2]
            targets.append({"url": server.ws(path), "origin": server.origin,
                            "cookie": f"sessionid={key}", "index_global": i})
        split = [targets[j::args.loadgens] for j in range(args.loadgens)]
        cpu0 = {d.name: d.cpu() for d in cluster.servers}
        t_connect = time.perf_counter()
        gens = [await LoadGenProcess.start(part, args.concurrency, tmp, j, args.client)
                for j, part in enumerate(split)]
        try:
            connected = [await g.event(args.settle_timeout) for g in gens]
        except RuntimeError:
            for d in cluster.servers:  # why the servers refused: their own words
                log(f"--- daphne {d.name} (alive={d.process.poll() is None}) log tail:\n"
                    f"{d.output()}")
            raise
        connect_s = time.perf_counter() - t_connect
        ok = sum(c["ok"] for c in connected)
        log(f"connected {ok}/{args.viewers} viewers in {connect_s:.1f} s "
            f"({', '.join(str(c['failed'][:2]) for c in connected if c['failed_count'])})")
        settled = await settle(gens, cluster, args.idle, args.settle_timeout, log)
        ramp_cpu = {d.name: round(d.cpu() - cpu0[d.name], 2) for d in cluster.servers}
        log(f"presence settled={settled['settled']} after {settled['seconds']} s more: "
            f"{settled['presence_messages']} presence messages, {settled['presence_mb']} MB, "
            f"{settled['closed']} sockets closed by the server; daphne CPU during the ramp "
            f"{ramp_cpu}")

        owner_cookie = f"sessionid={setup['owner_session']}"
        sender = await connect(a.ws(path), origin=a.origin,
                               additional_headers={"Cookie": owner_cookie},
                               compression=None, ping_interval=None, max_size=None,
                               open_timeout=120, max_queue=None)
        welcome = json.loads(await asyncio.wait_for(sender.recv(), 120))
        assert welcome["type"] == "welcome", welcome

        async def drain() -> None:
            try:
                async for _ in sender:
                    pass
            except websockets.exceptions.ConnectionClosed:
                pass

        drainer = asyncio.create_task(drain())
        # The sender's join is one more presence storm; let it pass.
        await settle(gens, cluster, args.idle, args.settle_timeout, log)

        if args.burst:
            if args.client != "aiohttp":
                raise SystemExit("--burst needs --client aiohttp")
            cpu_b = {d.name: d.cpu() for d in cluster.servers}
            loads = await ask_all(gens, {"cmd": "load_all"})
            times = sorted(t for r in loads for t in r["ms"])
            log(f"burst: {sum(r['ok'] for r in loads)} viewers loaded the cluster at once "
                f"(GET ?include=objects, {sum(r['mb'] for r in loads):.0f} MB), "
                f"{sum(r['errors'] for r in loads)} failed, in "
                f"{max(r['seconds'] for r in loads)} s"
                + (f"; each {fmt(summary(times))}" if times else "")
                + "; daphne CPU " + ", ".join(
                    f"{d.name} {d.cpu() - cpu_b[d.name]:.1f} s" for d in cluster.servers))
        reloads_before = await ask_all(gens, {"cmd": "stats"})
        sends: dict[str, float] = {}
        per_trace_cpu: dict[str, dict] = {}
        waits: dict[str, list[dict]] = {}
        gen_cpu = [c.get("cpu_s", 0.0) for c in await ask_all(gens, {"cmd": "stats"})]
        load = os.getloadavg()
        token = api_token(a.base, "bench-owner", "bench-owner-pw-1") if args.edit else ""
        for n in range(args.traces + 1):
            rid = "warmup" if n == 0 else f"trace-{n}"
            if args.edit and n > 0:
                # A teacher's edit, then the trace: the engine has a new version to build.
                edit_pod(a.base, token, setup["cluster"], n)
                await asyncio.sleep(args.edit_gap)
            before = {d.name: d.cpu() for d in cluster.servers}
            sends[rid] = time.time()
            await sender.send(json.dumps({**TRACE, "id": rid}))
            waits[rid] = await ask_all(gens, {"cmd": "wait", "finished": n + 1,
                                              "timeout": args.trace_timeout})
            per_trace_cpu[rid] = {
                **{d.name: round(d.cpu() - before[d.name], 3) for d in cluster.servers},
                "loadgens": round(sum(w["cpu_s"] for w in waits[rid]) - sum(gen_cpu), 3)}
            gen_cpu = [w["cpu_s"] for w in waits[rid]]
            await asyncio.sleep(args.pause)
        if args.edit:
            ends = await ask_all(gens, {"cmd": "stats"})
            times = sorted(t for e, b in zip(ends, reloads_before, strict=True)
                           for t in e["refetch_ms"][len(b["refetch_ms"]):])

            def grew(name: str) -> float:
                return sum(e[name] - b[name] for e, b in zip(ends, reloads_before, strict=True))

            log(f"edits: {args.traces}; viewers' reloads of the whole cluster (refetch: true): "
                f"{grew('refetches'):.0f} done, {sum(e['refetching'] for e in ends)} still "
                f"running, {grew('refetch_errors'):.0f} failed, {grew('refetch_mb'):.0f} MB"
                + (f", each {fmt(summary(times))}" if times else ""))
        dumps = []
        for j, g in enumerate(gens):
            out = tmp / f"dump-{j}.json"
            await g.ask({"cmd": "dump", "path": str(out)})
            dump = json.loads(out.read_text())
            for viewer in dump:
                viewer["index_global"] = split[j][viewer["index"]]["index_global"]
            dumps.append(dump)
        await ask_all(gens, {"cmd": "quit"}, 60)
        for g in gens:
            await g.proc.wait()
        await sender.close()
        drainer.cancel()
        logs = {d.name: d.output() for d in cluster.servers}

    results = analyse(dumps, sends)
    print(f"\nload average (1 min) at the start / end of the traces: {load[0]:.2f} / "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other processes share them)")
    report(args, setup, connected, connect_s, settled, ramp_cpu, results, per_trace_cpu)
    for name, text in logs.items():
        errors = [line for line in text.splitlines() if "Error" in line or "Traceback" in line]
        if errors:
            print(f"daphne {name} log has errors, e.g.: {errors[:3]}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            rid: {"finished": summary(r["finished"]),
                  "finished_after_sent_at": summary(r["finished_server"]),
                  "complete": r["complete"], "viewers": r["viewers"],
                  "cpu": per_trace_cpu[rid]} for rid, r in results.items()}, indent=1))
    measured = [r for rid, r in results.items() if rid != "warmup"]
    return 0 if all(r["complete"] == r["viewers"] for r in measured) else 1


def report(args, setup, connected, connect_s, settled, ramp_cpu, results, cpu) -> None:
    print(f"\n== WebSocket fan-out: {args.viewers} viewers on 2 daphne processes + Redis, "
          f"{setup['objects']}-object cluster, {args.loadgens} load generator process(es), "
          f"{args.client} clients")
    print(f"connect: {sum(c['ok'] for c in connected)}/{args.viewers} in {connect_s:.1f} s; "
          f"presence quiet after {settled['seconds']} s more (settled={settled['settled']}); "
          f"{settled['presence_messages']} presence messages ({settled['presence_mb']} MB) "
          f"to the viewers; {settled['closed']} viewer sockets closed by the server during the "
          f"ramp; daphne CPU for the ramp: {ramp_cpu}")
    measured = [rid for rid in results if rid != "warmup"]
    print(f"\n{'trace':10} {'hops':>4} {'complete':>11} {'engine':>7}  "
          f"trace.finished delivery, from the request (client clock)"
          f"{'':10} CPU s: A / B / loadgens")
    for rid, r in results.items():
        lag = summary(r["server_lag"])
        engine = f"{lag['p50']:6.0f}" if lag.get("n") else "     ?"
        c = cpu[rid]
        print(f"{rid:10} {','.join(map(str, sorted(r['hop_counts']))) or '?':>4} "
              f"{r['complete']:5}/{r['viewers']:<5} {engine}ms  {fmt(summary(r['finished']))}"
              f"    {c['A']:.2f} / {c['B']:.2f} / {c['loadgens']:.2f}")
    pooled = [x for rid in measured for x in results[rid]["finished"]]
    pooled_server = [x for rid in measured for x in results[rid]["finished_server"]]
    s = summary(pooled)
    print(f"\nall {len(measured)} measured traces, trace.finished from the request: {fmt(s)}")
    print(f"  same, from the consumer's sent_at (fan-out only):   {fmt(summary(pooled_server))}")
    if s.get("n"):
        print(f"  target p95 <= {TARGET_P95_MS:.0f} ms: {s['p95'] / TARGET_P95_MS:.2f}x the budget"
              f" ({'met' if s['p95'] <= TARGET_P95_MS else 'MISSED'}); "
              f"p99 <= {TARGET_P99_MS:.0f} ms: {s['p99'] / TARGET_P99_MS:.2f}x "
              f"({'met' if s['p99'] <= TARGET_P99_MS else 'MISSED'})")
    by_server: dict[str, list[float]] = {}
    for rid in measured:
        for name, values in results[rid]["by_server"].items():
            by_server.setdefault(name, []).extend(values)
    for name, values in sorted(by_server.items()):
        print(f"  viewers on daphne {name}: {fmt(summary(values))}")
    complete = [results[rid]["complete"] for rid in measured]
    viewers = [results[rid]["viewers"] for rid in measured]
    print(f"  viewers that received every hop: {complete} of {viewers}")
    print("\nper message position, all measured traces pooled (ms from the request):")
    positions: dict[str, list[float]] = {}
    for rid in measured:
        for name, values in results[rid]["by_pos"].items():
            positions.setdefault(name, []).extend(values)
    order = sorted(positions, key=lambda k: (k != "started", k == "finished", k))
    for name in order:
        print(f"  {name:9} {fmt(summary(positions[name]))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--traces", type=int, default=5)
    parser.add_argument("--client", choices=("aiohttp", "websockets"), default="aiohttp",
                        help="the viewers' WebSocket library (aiohttp's frame reader is "
                             "compiled: less of the shared CPU goes to the viewers)")
    parser.add_argument("--loadgens", type=int, default=2,
                        help="load generator processes (viewers split evenly)")
    parser.add_argument("--concurrency", type=int, default=25,
                        help="connection handshakes in flight per load generator")
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--pods-per-node", type=int, default=50)
    parser.add_argument("--idle", type=float, default=2.0,
                        help="seconds without a message that count as settled")
    parser.add_argument("--settle-timeout", type=float, default=1800.0)
    parser.add_argument("--trace-timeout", type=float, default=120.0)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between traces")
    parser.add_argument("--asgi", default="clusterlab.asgi:application")
    parser.add_argument("--pythonpath", default="", help="extra import path (prototypes)")
    parser.add_argument("--redis-socket-timeout", type=float, default=0,
                        help="?socket_timeout= in REDIS_URL; 0 (default) keeps the settings' "
                             "own (30 s); 5 reproduces channels_redis#422")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the daphne processes")
    parser.add_argument("--json", help="write the per-trace figures here")
    parser.add_argument("--edit", action="store_true",
                        help="before each measured trace, relabel a pod through the REST "
                             "API (every trace then runs on a new cluster version)")
    parser.add_argument("--burst", action="store_true",
                        help="before the traces, every viewer GETs the cluster with its "
                             "objects at the same moment (a class opening it)")
    parser.add_argument("--edit-gap", type=float, default=1.0,
                        help="seconds between that edit and the trace (--edit)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
