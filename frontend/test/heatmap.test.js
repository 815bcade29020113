import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bit, buildAxis, cellColour, COLOURS, countRow, decodeGrid, entryCounts, explainVerdict, geometry, hitTest,
  markEntries, MARGIN, namespaceAxis, namespaceBlocks, paint, summaryCounts, toCSV, totalAt, zoomAt,
} from "../src/heatmap.js";

// A payload as labs/api/reachability.py sends it: rows/columns sorted by namespace, cells
// as base64 bit rows (most significant bit first, each row padded to whole bytes).
function payload(keys, allowed, extra = {}) {
  const width = (keys.length + 7) >> 3;
  const bytes = new Uint8Array(keys.length * width);
  keys.forEach((_, i) => keys.forEach((__, j) => {
    if (allowed(i, j)) bytes[i * width + (j >> 3)] |= 128 >> (j & 7);
  }));
  return { port: 80, protocol: "TCP", plugin: "calico", enforced: true, verdict: "all", rows: keys, columns: keys, cells: Buffer.from(bytes).toString("base64"), ...extra };
}

// 3 pods in "app", 10 in "db" (crosses a byte boundary), 1 in "web".
const KEYS = [
  "app/a0", "app/a1", "app/a2",
  ...Array.from({ length: 10 }, (_, k) => `db/d${k}`),
  "web/w0",
];
// db admits only app; everything else open; a pod reaches itself.
const RULE = (i, j) => i === j || !KEYS[j].startsWith("db/") || KEYS[i].startsWith("app/");

test("cells decode most-significant-bit first, row by row", () => {
  const g = decodeGrid(payload(KEYS, RULE));
  assert.equal(g.width, 2);
  for (let i = 0; i < KEYS.length; i++) for (let j = 0; j < KEYS.length; j++) assert.equal(bit(g, i, j), RULE(i, j) ? 1 : 0, `${i},${j}`);
  assert.throws(() => decodeGrid({ rows: KEYS, columns: KEYS, cells: "AAAA" }), /expected 28 bytes/);
});

test("a row's allowed count over any column range equals the bits one by one", () => {
  const g = decodeGrid(payload(KEYS, RULE));
  for (let i = 0; i < KEYS.length; i++) {
    for (let a = 0; a <= KEYS.length; a++) {
      for (let b = a; b <= KEYS.length; b++) {
        let want = 0;
        for (let j = a; j < b; j++) want += bit(g, i, j);
        assert.equal(countRow(g, i, a, b), want);
      }
    }
  }
});

test("namespaces group contiguous pods and collapse into one entry each", () => {
  assert.deepEqual(namespaceBlocks(KEYS), [{ ns: "app", start: 0, end: 3 }, { ns: "db", start: 3, end: 13 }, { ns: "web", start: 13, end: 14 }]);
  const open = buildAxis(KEYS);
  assert.equal(open.entries.length, 14);
  assert.equal(open.entries[3].label, "d0");
  assert.deepEqual(open.bands.map((b) => [b.ns, b.start, b.end, b.collapsed]), [["app", 0, 3, false], ["db", 3, 13, false], ["web", 13, 14, false]]);
  const folded = buildAxis(KEYS, new Set(["db"]));
  assert.equal(folded.entries.length, 5);
  assert.deepEqual(folded.entries[3], { kind: "ns", ns: "db", start: 3, end: 13, label: "db (10)" });
  assert.equal(folded.ofPod[12], 3, "every db pod maps to the collapsed entry");
  assert.equal(folded.ofPod[13], 4);
});

test("counts per entry pair add up to the pod cells whatever is collapsed", () => {
  const p = payload(KEYS, RULE);
  const g = decodeGrid(p);
  for (const collapsed of [[], ["db"], ["app", "web"], ["app", "db", "web"]]) {
    const rows = buildAxis(KEYS, new Set(collapsed));
    const cols = buildAxis(KEYS, new Set(collapsed));
    const c = entryCounts(g, rows, cols);
    let sum = 0;
    let total = 0;
    for (let k = 0; k < c.allowed.length; k++) {
      sum += c.allowed[k];
      total += totalAt(c, k);
    }
    assert.equal(total, KEYS.length ** 2, `${collapsed}`);
    let want = 0;
    for (let i = 0; i < KEYS.length; i++) for (let j = 0; j < KEYS.length; j++) want += RULE(i, j) ? 1 : 0;
    assert.equal(sum, want, `${collapsed}`);
  }
  // all collapsed: web → db is 0 of 10, app → db 30 of 30, db → db only the 10 self pairs
  const all = buildAxis(KEYS, new Set(["app", "db", "web"]));
  const c = entryCounts(g, all, all);
  assert.deepEqual([c.allowed[2 * 3 + 1], totalAt(c, 2 * 3 + 1)], [0, 10]);
  assert.deepEqual([c.allowed[0 * 3 + 1], totalAt(c, 0 * 3 + 1)], [30, 30]);
  assert.deepEqual([c.allowed[1 * 3 + 1], totalAt(c, 1 * 3 + 1)], [10, 100]);
});

test("summary payloads become namespace axes and counts", () => {
  const p = { namespaces: { rows: [{ name: "a", pods: 2 }, { name: "b", pods: 3 }], columns: [{ name: "b", pods: 3 }] }, summary: { allowed: [[4], [9]], total: [[6], [9]] } };
  const axis = namespaceAxis(p.namespaces.rows);
  assert.deepEqual(axis.entries.map((e) => e.label), ["a (2)", "b (3)"]);
  const c = summaryCounts(p);
  assert.deepEqual([...c.allowed], [4, 9]);
  assert.deepEqual([c.rows, c.cols], [2, 1]);
});

test("colours: all allowed green, none red, shares blend, filtered-out cells pale, marks win", () => {
  assert.deepEqual(cellColour(3, 3), [...COLOURS.allowed, 255]);
  assert.deepEqual(cellColour(0, 3), [...COLOURS.denied, 255]);
  const half = cellColour(1, 2);
  assert.ok(half[0] < COLOURS.denied[0] && half[0] > COLOURS.allowed[0]);
  const pale = cellColour(3, 3, { verdict: "denied" });
  assert.ok(pale[0] > 200 && pale[1] > 200, "an all-allowed cell is faded when only denied ones are asked for");
  assert.deepEqual(cellColour(0, 3, { verdict: "denied" }), [...COLOURS.denied, 255]);
  assert.deepEqual(cellColour(3, 3, { mark: "cut" }), [...COLOURS.cut, 255]);
  const buf = paint(new Uint8ClampedArray(8), { allowed: Uint32Array.of(1, 0), total: Uint32Array.of(1, 1), rows: 1, cols: 2 }, { marks: new Map([[1, "opened"]]) });
  assert.deepEqual([...buf], [...COLOURS.allowed, 255, ...COLOURS.opened, 255]);
});

test("what-if marks land on pod cells, on collapsed blocks and on namespace cells", () => {
  const diff = { cut: [["web/w0", "db/d9"]], opened: [["app/a1", "web/w0"]], by_namespace: [{ from: "web", to: "db", cut: 1, opened: 0 }, { from: "app", to: "web", cut: 0, opened: 1 }] };
  const open = buildAxis(KEYS);
  const m = markEntries(diff, open, open, KEYS, KEYS);
  assert.equal(m.get(13 * 14 + 12), "cut");
  assert.equal(m.get(1 * 14 + 13), "opened");
  const folded = buildAxis(KEYS, new Set(["db"]));
  assert.equal(markEntries(diff, folded, folded, KEYS, KEYS).get(4 * 5 + 3), "cut");
  const ns = namespaceAxis([{ name: "app", pods: 3 }, { name: "db", pods: 10 }, { name: "web", pods: 1 }]);
  const nm = markEntries(diff, ns, ns);
  assert.equal(nm.get(2 * 3 + 1), "cut");
  assert.equal(nm.get(0 * 3 + 2), "opened");
  assert.equal(markEntries(null, open, open).size, 0);
});

test("geometry fits the grid, hit-tests cells and bands, zooms about the pointer", () => {
  const g = geometry(100, 50, MARGIN.left + 500, MARGIN.top + 400);
  assert.equal(g.cell, 4, "100 rows in 400 px");
  assert.deepEqual(hitTest(g, MARGIN.left + 9, MARGIN.top + 5), { kind: "cell", row: 1, col: 2 });
  assert.deepEqual(hitTest(g, 5, MARGIN.top + 5), { kind: "row", row: 1 });
  assert.deepEqual(hitTest(g, MARGIN.left + 5, 5), { kind: "col", col: 1 });
  assert.equal(hitTest(g, MARGIN.left + 201, MARGIN.top + 5), null, "past the last column");
  const x = MARGIN.left + 40;
  const y = MARGIN.top + 80;
  const before = hitTest(g, x, y);
  const view = zoomAt({ zoom: 1, x: 0, y: 0 }, g, x, y, 2);
  const g2 = geometry(100, 50, MARGIN.left + 500, MARGIN.top + 400, view);
  assert.equal(g2.cell, 8);
  assert.deepEqual(hitTest(g2, x, y), before, "the cell under the pointer stays under it");
  assert.equal(zoomAt({ zoom: 1, x: 0, y: 0 }, g, x, y, 0.5).zoom, 1, "never smaller than the fit");
  assert.equal(geometry(3, 3, MARGIN.left + 500, MARGIN.top + 400).cell, 36, "a tiny cluster is not blown up");
});

test("CSV export: pod cells with a loud header under Flannel, or namespace totals", () => {
  const csv = toCSV(payload(["a/x", "b/y"], (i, j) => i === j, { enforced: false, plugin: "flannel" }));
  assert.equal(csv, "# reachability TCP/80 (NOT ENFORCED by flannel: what the policies say)\nsource \\ destination,a/x,b/y\na/x,1,0\nb/y,0,1\n");
  const summary = toCSV({ port: 53, protocol: "UDP", enforced: true, namespaces: { rows: [{ name: "a" }], columns: [{ name: "b,c" }] }, summary: { allowed: [[1]], total: [[4]] } });
  assert.equal(summary, '# reachability UDP/53\nfrom,to,allowed,total\na,"b,c",1,4\n');
});

test("hover text names the deciding policies and rules", () => {
  const denied = { allowed: false, enforced: true, reason: "…", egress: { isolated: false, isolated_by: [], allowed_by: [] }, ingress: { isolated: true, isolated_by: ["shop/default-deny"], allowed_by: [] } };
  assert.deepEqual(explainVerdict(denied), ["ingress: isolated by NetworkPolicy shop/default-deny — no rule admits it"]);
  const allowed = { allowed: true, enforced: false, egress: { isolated: false, allowed_by: [] }, ingress: { isolated: true, isolated_by: ["shop/db"], allowed_by: [{ text: "NetworkPolicy shop/db ingress rule 0", detail: "from[0] podSelector app=api; port <any>" }] } };
  assert.deepEqual(explainVerdict(allowed), ["ingress: allowed by NetworkPolicy shop/db ingress rule 0 (from[0] podSelector app=api; port <any>)", "NOT ENFORCED by this CNI: delivered anyway"]);
  assert.deepEqual(explainVerdict({ allowed: true, enforced: true, egress: { isolated: false }, ingress: { isolated: false } }), ["no NetworkPolicy isolates either pod"]);
});

test("2,000 pods: decoding and counting stay well under the 2 s budget", () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `ns-${String(i % 20).padStart(2, "0")}/p-${String(i).padStart(4, "0")}`).sort();
  const p = payload(keys, (i, j) => (i * 7 + j * 3) % 5 !== 0);
  const t0 = performance.now();
  const g = decodeGrid(p);
  const axis = buildAxis(keys);
  const c = entryCounts(g, axis, axis);
  paint(new Uint8ClampedArray(c.rows * c.cols * 4), c);
  const ms = performance.now() - t0;
  assert.equal(c.rows, 2000);
  assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`);
});
