"""How long the Reachability heatmap takes to open in a real browser (issue #7).

Targets: a 2,000-pod cluster's pod×pod heatmap opens in ≤ 2 s in headless chromium; a
10,000-pod cluster shows the namespace×namespace summary and drills down to pods.

Method (the approach of tests/e2e/conftest.py): daphne on a scratch SQLite database, a
generated cluster (bench/clustergen.py, the issue's ratios) written through the labs
write path, Debian's chromium driven by Playwright. "Open" is measured in the page from
the click on the Reachability tab to two animation frames after the heatmap was drawn
(so the pixels are on screen). Cold = the first engine question of that cluster version
(the server loads the snapshot and builds the policy index); warm = "Show" again (the
matrix is cached on the version's engine, as after any earlier question).

    .venv/bin/python bench/bench_heatmap.py            # 2000 and 10000 pods
    .venv/bin/python bench/bench_heatmap.py 2000       # one size
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, Server, login  # noqa: E402

SETUP = """
import json, sys, time
sys.path.insert(0, {root!r})
from django.contrib.auth import get_user_model
from bench.clustergen import documents
from clusterlab.labs import apply as apply_mod
from clusterlab.labs.changes import create_cluster
t = time.perf_counter()
user = get_user_model().objects.get(username="bench")
docs = documents(pods={pods}, namespaces=max(5, {pods} // 100),
                 services=min(10_000, max(10, {pods} // 5)), policies=max(10, {pods} // 10),
                 nodes=min(5_000, max(3, {pods} // 10)))
cluster = create_cluster(user, name="bench-{pods}")
apply_mod.apply(cluster, user, [(f"doc{{i}}", d) for i, d in enumerate(docs)])
print(json.dumps({{"id": cluster.pk, "seconds": time.perf_counter() - t}}))
"""

OPEN = """async (selector) => {
    const long = [];
    const obs = new PerformanceObserver((l) => long.push(
        ...l.getEntries().map((e) => [Math.round(e.startTime), Math.round(e.duration)])));
    obs.observe({entryTypes: ['longtask']});
    const t0 = performance.now();
    const before = window.clusterlab.reach.ready ?? 0;
    document.querySelector(selector).click();
    while ((window.clusterlab.reach.ready ?? 0) <= before) {
        if (/error|Invalid/i.test(document.querySelector('#reach-progress').textContent))
            throw new Error(document.querySelector('#reach-progress').textContent);
        await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const wall = performance.now() - t0;
    obs.disconnect();
    const during = long.filter(([s]) => s >= t0 - 50).map(([s, d]) => [Math.round(s - t0), d]);
    return {wall_ms: wall, long_tasks: during, ...window.clusterlab.heatmapTimings};
}"""

DRILL = """async () => {
    const h = window.clusterlab.heatmap;
    const t0 = performance.now();
    const before = window.clusterlab.reach.ready;
    h.onClick(h.describe(0, 1), h);  // the first namespace against the second
    while (window.clusterlab.reach.ready <= before) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return {wall_ms: performance.now() - t0, ...window.clusterlab.heatmapTimings};
}"""

SETTLE = """async () => {
    // Wait until the page is idle: no long task for 1.5 s (the topology canvas of a big
    // cluster draws for seconds after the state arrives; a user clicks after it shows).
    let last = performance.now();
    const obs = new PerformanceObserver(() => (last = performance.now()));
    obs.observe({entryTypes: ['longtask']});
    const t0 = performance.now();
    while (performance.now() - last < 1500 && performance.now() - t0 < 120000)
        await new Promise((r) => setTimeout(r, 100));
    obs.disconnect();
    return performance.now() - t0;
}"""

CANCEL = """async () => {
    const p = window.clusterlab.loadHeatmap();
    await new Promise((r) => setTimeout(r, 5));
    window.clusterlab.cancelHeatmap();
    await p;
    return document.querySelector('#reach-progress').textContent;
}"""


def fmt(label: str, r: dict) -> str:
    shape = (f"{r['rows']}×{r['columns']} pods" if r["level"] == "pod"
             else f"namespace summary ({r['rows']}×{r['columns']} pods behind it)")
    inside = ""
    if r.get("matrix_ms") is not None:
        inside = f" = snapshot {r['snapshot_ms']:.0f} + matrix {r['matrix_ms']:.0f} + wait"
    return (f"  {label:<22} {r['wall_ms'] / 1000:6.2f} s  [server {r['server_ms']:6.0f} ms"
            f"{inside}, "
            f"download {r['download_ms']:5.0f} ms ({r['bytes'] / 1024:6.0f} KB), draw "
            f"{r['draw_ms']:5.0f} ms]  {shape}")


def bench(server: Server, browser, pods: int) -> dict:
    script = Path(tempfile.mkstemp(suffix=".py")[1])
    script.write_text(SETUP.format(root=str(ROOT), pods=pods))
    out = server.manage("shell", "-c", f"exec(open({str(script)!r}).read())")
    script.unlink()
    made = json.loads(out.strip().splitlines()[-1])
    print(f"{pods} pods: cluster {made['id']} written in {made['seconds']:.1f} s")
    ctx = browser.new_context(viewport={"width": 1700, "height": 1050})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, server, "bench", "bench-heatmap-1")
    t = time.perf_counter()
    page.goto(f"{server.url}/clusters/{made['id']}/")
    page.wait_for_function("window.clusterlab && window.clusterlab.state", timeout=300_000)
    loaded = time.perf_counter() - t
    page.evaluate("window.clusterlab.root.classList.add('wide-side')")  # "Wider"
    page.evaluate(SETTLE)
    idle = time.perf_counter() - t
    print(f"  editor page loaded       {loaded:6.2f} s, idle after {idle:6.2f} s "
          "(the topology canvas; not the heatmap)")
    results = {"pods": pods}
    results["cold"] = page.evaluate(OPEN, "[data-tab=panel-reach]")
    print(fmt("open (cold server)", results["cold"]))
    results["warm"] = page.evaluate(OPEN, "#reach-show")
    print(fmt("open again (warm)", results["warm"]))
    for key in ("cold", "warm"):
        print(f"  long tasks during {key} open (start, ms):", results[key]["long_tasks"])
    if results["warm"]["level"] == "namespace":
        results["drill"] = page.evaluate(DRILL)
        print(fmt("drill-down", results["drill"]))
    results["cancel"] = page.evaluate(CANCEL)
    print(f"  cancel                   {results['cancel']!r}")
    page.screenshot(path=str(ROOT / "test-artifacts" / f"bench-heatmap-{pods}.png"))
    assert not errors, errors
    ctx.close()
    return results


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    server = Server()
    server.env["CLUSTERLAB_MAX_BODY_BYTES"] = str(64 * 1024 * 1024)
    server.start()
    try:
        server.create_user("bench", "bench-heatmap-1")
        print(f"chromium {CHROMIUM}, {os.cpu_count()} CPUs")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"])
            summary = [bench(server, browser, n) for n in sizes]
            browser.close()
    finally:
        server.stop()
    print(json.dumps(summary, indent=1, default=str))


if __name__ == "__main__":
    main()
