"""Canvas frame rate: the editor with a 1,000-pod cluster in headless chromium.

Issue #6 target: a 1,000-pod cluster renders and pans at >= 30 frames per second in
headless chromium, measured with requestAnimationFrame counts.

The app runs as the browser tests run it (tests/e2e/conftest.py's Server: daphne,
scratch SQLite, DEBUG=1, in-memory channel layer). `manage.py shell` creates the
cluster through the labs write path: 20 nodes x 50 pods, 5 namespaces, 25 Services
(1,000 selector edges), 10 NetworkPolicies, Calico IPIP. Chromium opens the editor,
and the page itself counts rAF callbacks for --seconds in each scenario:

  idle      nothing moves (the editor's own rAF loop runs, Cytoscape sleeps)
  pan       cy.panBy() every frame, from page JS
  drag      the same with real mouse events (Playwright): a user dragging the background,
            which is when Cytoscape's textureOnViewport / hideEdgesOnViewport apply
  zoom      cy.zoom() every frame, from the fit level up to the level-of-detail
            threshold (0.8: pod labels in full, layout.js podDetail) and back
  wheel     mouse-wheel zoom between the fit level and 0.8, real wheel events
  packet    a ~20-hop trace sent over the WebSocket, the player animating it at 1x

It prints fps, the ratio to 30 fps, the 95th-percentile frame time, frames over 50 ms,
and the time to first render (navigation start -> cluster drawn and one frame
painted). `--profile` adds a CPU profile (CDP Profiler) of each scenario with the
functions that dominate; `--prototype` applies renderer options in the page before
measuring (scratch experiments, nothing in frontend/ changes), e.g.

    .venv/bin/python bench/bench_canvas_fps.py
    .venv/bin/python bench/bench_canvas_fps.py --profile
    .venv/bin/python bench/bench_canvas_fps.py --prototype textureOnViewport,hideEdgesOnViewport
    .venv/bin/python bench/bench_canvas_fps.py --scale 2          # a HiDPI screen
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.loadgen.cluster import TRACE, parse_setup, setup_script  # noqa: E402
from tests.e2e.conftest import CHROMIUM, Server, login  # noqa: E402

TARGET_FPS = 30.0
USER, PASSWORD = "bench-owner", "bench-owner-pw-1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Runs in the page: count rAF callbacks for `seconds`, calling `step(i, t)` each frame.
MEASURE_JS = """async ([scenario, seconds]) => {
  const cy = window.clusterlab.canvas.cy;
  const fit = window.__benchFitZoom;
  const lod = 0.8;
  const w = cy.width(), h = cy.height();
  const steps = {
    idle: () => {},
    pan: (i) => {
      const dir = Math.floor(i / 120) % 2 ? -1 : 1;
      cy.panBy({x: 6 * dir, y: 3 * dir});
    },
    zoom: (i, t) => {
      const phase = (t / 2500) % 2;             // 2.5 s out->in, 2.5 s back
      const k = phase < 1 ? phase : 2 - phase;
      cy.zoom({level: fit * Math.pow(lod / fit, k), renderedPosition: {x: w / 2, y: h / 2}});
    },
    packet: () => {},
    drag: () => {},   // driven by real mouse events from Playwright (see drive_input)
    wheel: () => {},
  };
  const step = steps[scenario];
  window.__benchRun = new Promise((resolve) => {
    const deltas = [];
    let frames = 0, start = null, last = null;
    let zmin = Infinity, zmax = 0, px = [Infinity, -Infinity];
    const tick = (now) => {
      const z = cy.zoom(), p = cy.pan().x;
      zmin = Math.min(zmin, z); zmax = Math.max(zmax, z);
      px = [Math.min(px[0], p), Math.max(px[1], p)];
      if (start === null) { start = now; last = now; }
      else { deltas.push(now - last); last = now; frames++; }
      if (now - start >= seconds * 1000) {
        resolve({frames, elapsed: now - start, deltas, zoom: [zmin, zmax], panX: px});
        return;
      }
      step(frames, now - start);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  return true;
}"""

# Renderer options Cytoscape reads at draw time; set on the live renderer (scratch).
PROTOTYPE_JS = """(opts) => {
  const cy = window.clusterlab.canvas.cy;
  const r = cy.renderer();
  for (const o of opts) {
    if (o === 'textureOnViewport') r.textureOnViewport = true;
    else if (o === 'hideEdgesOnViewport') r.hideEdgesOnViewport = true;
    else if (o === 'hideLabelsOnViewport') r.hideLabelsOnViewport = true;
    else if (o === 'pixelRatio1') { r.forcedPixelRatio = 1; r.pixelRatio = 1; cy.resize(); }
    else if (o === 'solidEdges')
      cy.style().selector('edge.selects').style('line-style', 'solid').update();
    else if (o === 'noEdges') cy.edges('.selects').style('display', 'none');
    else if (o === 'lodLabels') {
      // Level of detail by zoom (layout.js podDetail): name only below 0.8, no label below 0.35.
      cy.style().selector('node.pod').style('min-zoomed-font-size', 8)
        .selector('node.k8s-node').style('min-zoomed-font-size', 8).update();
    }
    else if (o === 'packetOverlay') window.__benchPacketOverlay = true;
    else throw new Error('unknown prototype option ' + o);
  }
  cy.forceRender();
}"""

# A scratch packet layer: the player's packet drawn on its own canvas above Cytoscape's,
# so moving it does not redraw 1,000 pods (prototype for the `packetOverlay` option).
OVERLAY_JS = """() => {
  const ed = window.clusterlab, cy = ed.canvas.cy;
  const host = cy.container();
  const c = document.createElement('canvas');
  c.width = host.clientWidth; c.height = host.clientHeight;
  Object.assign(c.style,
    {position: 'absolute', left: 0, top: 0, pointerEvents: 'none', zIndex: 10});
  host.appendChild(c);
  const ctx = c.getContext('2d');
  const orig = ed.canvas.drawPacket.bind(ed.canvas);
  ed.canvas.drawPacket = (frame, hops) => {
    ctx.clearRect(0, 0, c.width, c.height);
    if (!frame || frame.index < 0) return;
    const prev = frame.index > 0 ? hops[frame.index - 1] : frame.hop;
    const box = (id) => ed.canvas.box(id);
    const P = window.__benchPlacePoint;
    const from = P(prev.place, box, prev.packet_out) ?? P(frame.hop.place, box);
    const to = P(frame.hop.place, box, frame.hop.packet_in) ?? from;
    if (!from || !to) return;
    const k = frame.progress;
    const m = {x: from.x + (to.x - from.x) * k, y: from.y + (to.y - from.y) * k};
    const z = cy.zoom(), pan = cy.pan();
    const x = m.x * z + pan.x, y = m.y * z + pan.y;
    ctx.beginPath(); ctx.arc(x, y, 9, 0, 2 * Math.PI);
    ctx.fillStyle = '#E69F00'; ctx.fill();
    ctx.lineWidth = 2; ctx.strokeStyle = '#000'; ctx.stroke();
    if (frame.outer) {
      ctx.beginPath(); ctx.arc(x, y, 17, 0, 2 * Math.PI);
      ctx.strokeStyle = '#0072B2'; ctx.lineWidth = 3; ctx.stroke();
    }
  };
  return typeof orig;
}"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0


def profile_summary(profile: dict, top: int = 12) -> list[tuple[str, float]]:
    """Self time per function (ms) from a CDP Profiler.stop() profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    samples, deltas = profile.get("samples", []), profile.get("timeDeltas", [])
    self_us: Counter = Counter()
    for node_id, delta in zip(samples, deltas, strict=False):
        frame = nodes[node_id]["callFrame"]
        name = frame.get("functionName") or "(anonymous)"
        url = frame.get("url", "").rsplit("/", 1)[-1]
        where = f"{url}:{frame.get('lineNumber', -1) + 1}:{frame.get('columnNumber', -1) + 1}" \
            if url else ""
        self_us[f"{name} {where}".strip()] += delta
    return [(k, v / 1000) for k, v in self_us.most_common(top)]


def run(args: argparse.Namespace) -> int:
    if not Path(CHROMIUM).exists():
        print(f"skipped: {CHROMIUM} not installed")
        return 2
    from playwright.sync_api import sync_playwright

    server = Server()
    server.start()
    try:
        t = time.perf_counter()
        setup = parse_setup(server.manage("shell", "-c", setup_script(
            USER, PASSWORD, nodes=args.nodes, pods_per_node=args.pods_per_node)))
        print(f"cluster {setup['cluster']}: {setup['objects']} objects "
              f"({args.nodes} nodes x {args.pods_per_node} pods), created in "
              f"{time.perf_counter() - t:.1f} s (create_cluster {setup['create_s']} s)")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": args.width, "height": args.height},
                                      device_scale_factor=args.scale)
            if args.bundle:
                bundle = Path(args.bundle).read_bytes()
                ctx.route("**/static/app/app.js", lambda route: route.fulfill(
                    body=bundle, content_type="text/javascript"))
                print(f"serving {args.bundle} in place of static/app/app.js (scratch build)")
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            login(page, server, USER, PASSWORD)
            results = measure(page, server, setup["cluster"], args)
            browser.close()
        if errors:
            print(f"page errors: {errors[:3]}")
    finally:
        server.stop()
    ok = all(r["fps"] >= TARGET_FPS for name, r in results.items() if name in ("idle", "pan"))
    return 0 if ok else 1


def measure(page, server, cluster_id: int, args: argparse.Namespace) -> dict:
    pods = args.nodes * args.pods_per_node
    url = f"{server.url}/clusters/{cluster_id}/"
    page.goto(url)
    page.wait_for_function(
        "window.clusterlab?.canvas?.cy && "
        f"window.clusterlab.canvas.cy.nodes('.pod').length >= {pods}",
        timeout=120_000, polling=50)
    first = page.evaluate("""() => new Promise((resolve) => requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const api = performance.getEntriesByType('resource')
            .find((e) => e.name.includes('include=objects'));
          resolve({drawn: performance.now(), dcl: nav.domContentLoadedEventEnd,
                   api: api ? api.responseEnd - api.requestStart : null,
                   apiBytes: api ? api.encodedBodySize : null});
        })))""")
    counts = page.evaluate("""() => { const cy = window.clusterlab.canvas.cy;
        return {nodes: cy.nodes().length, edges: cy.edges().length, zoom: cy.zoom(),
                dpr: window.devicePixelRatio}; }""")
    print(f"\ntime to first render: {first['drawn']:.0f} ms from navigation start "
          f"(DOMContentLoaded {first['dcl']:.0f} ms; GET ?include=objects "
          f"{first['api'] or 0:.0f} ms, {(first['apiBytes'] or 0) / 1e6:.2f} MB)")
    print(f"canvas: {counts['nodes']} nodes (incl. {args.nodes} compound), "
          f"{counts['edges']} edges, fit zoom {counts['zoom']:.3f}, "
          f"devicePixelRatio {counts['dpr']}, viewport {args.width}x{args.height}")
    page.evaluate("() => { window.__benchFitZoom = window.clusterlab.canvas.cy.zoom(); }")
    if args.prototype:
        opts = [o for o in args.prototype.split(",") if o]
        page.evaluate(PROTOTYPE_JS, opts)
        if "packetOverlay" in opts:
            install_overlay(page)
        print(f"prototype options applied in the page: {', '.join(opts)}")
    page.wait_for_timeout(500)

    cdp = page.context.new_cdp_session(page) if args.profile else None
    if cdp:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    results: dict[str, dict] = {}
    print(f"\n{'scenario':8} {'fps':>6} {'x target':>9} {'p95 frame':>10} {'>50 ms':>7}  frames")
    for scenario in args.scenarios.split(","):
        page.evaluate("() => { const cy = window.clusterlab.canvas.cy;"
                      " cy.zoom(window.__benchFitZoom); cy.center(); }")
        if scenario == "packet":
            start_packet(page)
        page.wait_for_timeout(300)
        if cdp:
            cdp.send("Profiler.start")
        page.evaluate(MEASURE_JS, [scenario, args.seconds])
        drive_input(page, scenario, args.seconds)
        r = page.evaluate("() => window.__benchRun")
        profile = cdp.send("Profiler.stop")["profile"] if cdp else None
        fps = r["frames"] / (r["elapsed"] / 1000)
        deltas = r["deltas"]
        results[scenario] = {"fps": fps, "p95_ms": pct(deltas, 95),
                             "long": sum(1 for d in deltas if d > 50), "frames": r["frames"]}
        print(f"{scenario:8} {fps:6.1f} {fps / TARGET_FPS:8.2f}x {pct(deltas, 95):8.1f}ms "
              f"{results[scenario]['long']:7d}  {r['frames']} in {r['elapsed'] / 1000:.1f} s, zoom "
              f"{r['zoom'][0]:.2f}-{r['zoom'][1]:.2f}, pan x {r['panX'][1] - r['panX'][0]:.0f} px")
        if scenario == "packet":
            state = page.evaluate("() => { const p = window.clusterlab.player;"
                                  " return p ? {hops: p.timeline.hops.length, t: p.t,"
                                  " playing: p.playing} : null; }")
            print(f"         packet player: {state}")
        if profile:
            results[scenario]["profile"] = profile_summary(profile)
    if cdp:
        print("\nCPU profile, self time per function over each scenario (ms):")
        for scenario, r in results.items():
            total = sum(ms for _, ms in r["profile"])
            print(f"  {scenario}: (top {len(r['profile'])} = {total:.0f} ms)")
            for name, ms in r["profile"]:
                print(f"    {ms:8.1f}  {name[:110]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"first_render_ms": first, "results": results},
                                              indent=1))
    return results


def drive_input(page, scenario: str, seconds: float) -> None:
    """Real input for `drag` and `wheel` while the page counts frames (~60 events/s)."""
    if scenario not in ("drag", "wheel"):
        return
    box = page.locator("#canvas").bounding_box()
    x0, y0 = box["x"] + 12, box["y"] + 12          # the margin: background, not a node
    cx, cy_ = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    end = time.monotonic() + seconds + 0.2
    i = 0
    if scenario == "drag":
        page.mouse.move(x0, y0)
        page.mouse.down()
        while time.monotonic() < end:
            i += 1
            dx = 200 * ((i % 240) / 120 if i % 240 < 120 else (240 - i % 240) / 120)
            page.mouse.move(x0 + dx, y0 + dx / 2)
            time.sleep(1 / 60)
        page.mouse.up()
        return
    page.mouse.move(cx, cy_)
    direction = -1                                   # negative deltaY zooms in
    while time.monotonic() < end:
        i += 1
        page.mouse.wheel(0, 120 * direction)
        if i % 10 == 0:
            zoom = page.evaluate("() => window.clusterlab.canvas.cy.zoom()")
            fit = page.evaluate("() => window.__benchFitZoom")
            if zoom >= 0.8:
                direction = 1
            elif zoom <= fit:
                direction = -1
        time.sleep(1 / 60)


def start_packet(page) -> None:
    """Send the benchmark trace over the editor's socket and wait for the player."""
    page.evaluate("(msg) => { window.clusterlab.player = null;"
                  " window.clusterlab.live.send(msg); }", {**TRACE, "id": "fps"})
    page.wait_for_function("window.clusterlab.player && window.clusterlab.player.playing",
                           timeout=60_000, polling=50)


def install_overlay(page) -> None:
    """The packetOverlay prototype needs places.js's placePoint, which is bundled; the
    bundle does not export it, so the scratch overlay uses a copy loaded from source."""
    src = (ROOT / "frontend" / "src" / "places.js").read_text()
    page.add_script_tag(content=src.replace("export function", "function") +
                        "\nwindow.__benchPlacePoint = placePoint;")
    page.evaluate(OVERLAY_JS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--pods-per-node", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scenarios", default="idle,pan,drag,zoom,wheel,packet")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio")
    parser.add_argument("--profile", action="store_true", help="CDP CPU profile per scenario")
    parser.add_argument("--prototype", default="",
                        help="comma list: textureOnViewport, hideEdgesOnViewport, "
                             "hideLabelsOnViewport, pixelRatio1, solidEdges, noEdges, "
                             "lodLabels, packetOverlay")
    parser.add_argument("--bundle", help="serve this file as static/app/app.js (a scratch "
                        "build of a modified frontend/, e.g. unminified for readable profiles)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
