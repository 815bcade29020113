// The reachability heatmap: the pod×pod truth table of one port on a <canvas> (a DOM
// table of 4 million cells would never open), grouped and collapsible by namespace.
//
// Data comes from `POST …/reachability` (labs/api/reachability.py): either pod cells
// (base64 bit rows, most significant bit first) with the pods sorted by namespace, or
// namespace×namespace totals only (big clusters: the client drills down by asking for
// one namespace against another). One image holds one pixel per (row entry, column
// entry) and is scaled onto the canvas; a collapsed namespace is one entry whose colour
// says which share of its pairs is allowed.
//
// The top half of this file is pure (layout, grouping, counting, colours, CSV) and is
// tested with node's test runner; `HeatmapView` below draws and handles the mouse.

import { namespaceColour, THEMES, VERDICT } from "./palette.js";

export const COLOURS = {
  allowed: [0x00, 0x9e, 0x73], // Okabe–Ito bluish green, as a delivered packet
  denied: [0xd5, 0x5e, 0x00], // vermillion, as a dropped packet
  cut: [0xcc, 0x79, 0xa7], // reddish purple: a what-if cuts this flow
  opened: [0x56, 0xb4, 0xe9], // sky blue: a what-if opens this flow
};
export const MARGIN = { left: 118, top: 118, band: 16 };
export const LABEL_MIN_CELL = 9; // px: pod names are drawn from this cell size up
export const MAX_FIT_CELL = 36; // px: a small cluster is not blown up to the whole panel

// ------------------------------------------------------------------ decoding

/** Base64 → bytes (browser atob, or Buffer under node). */
export function base64Bytes(text) {
  if (typeof atob === "function") {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Pod cells of a payload: `bit(i, j)` is 1 when rows[i] may reach columns[j]. */
export function decodeGrid(payload) {
  const rows = payload.rows.length;
  const cols = payload.columns.length;
  const width = (cols + 7) >> 3;
  const bits = base64Bytes(payload.cells ?? "");
  if (bits.length !== rows * width) throw new Error(`cells: expected ${rows * width} bytes, got ${bits.length}`);
  return { rows, cols, width, bits };
}

export function bit(grid, i, j) {
  return (grid.bits[i * grid.width + (j >> 3)] >> (7 - (j & 7))) & 1;
}

const POPCOUNT = new Uint8Array(256).map((_, b) => {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
});

/** Allowed cells of row i between columns [a, b) (whole bytes counted by table). */
export function countRow(grid, i, a, b) {
  let n = 0;
  const base = i * grid.width;
  let j = a;
  while (j < b && j & 7) n += bit(grid, i, j++);
  while (j + 8 <= b) {
    n += POPCOUNT[grid.bits[base + (j >> 3)]];
    j += 8;
  }
  while (j < b) n += bit(grid, i, j++);
  return n;
}

// ------------------------------------------------------------------ grouping

export const namespaceOf = (key) => key.slice(0, key.indexOf("/"));

/** Consecutive runs of one namespace in a sorted key list: [{ns, start, end}]. */
export function namespaceBlocks(keys) {
  const out = [];
  for (let i = 0; i < keys.length; i++) {
    const ns = namespaceOf(keys[i]);
    const last = out[out.length - 1];
    if (last && last.ns === ns) last.end = i + 1;
    else out.push({ ns, start: i, end: i + 1 });
  }
  return out;
}

/**
 * One axis of the drawing: a pod entry per pod of an expanded namespace, one block
 * entry per collapsed namespace. `start`/`end` index the payload's pods.
 */
export function buildAxis(keys, collapsed = new Set()) {
  const entries = [];
  const ofPod = new Int32Array(keys.length);
  for (const block of namespaceBlocks(keys)) {
    if (collapsed.has(block.ns)) {
      for (let i = block.start; i < block.end; i++) ofPod[i] = entries.length;
      entries.push({ kind: "ns", ns: block.ns, start: block.start, end: block.end, label: `${block.ns} (${block.end - block.start})` });
    } else {
      for (let i = block.start; i < block.end; i++) {
        ofPod[i] = entries.length;
        entries.push({ kind: "pod", ns: block.ns, start: i, end: i + 1, key: keys[i], label: keys[i].slice(block.ns.length + 1) });
      }
    }
  }
  return { entries, ofPod, bands: bands(entries) };
}

/** An axis of namespaces only (summary payloads). */
export function namespaceAxis(namespaces) {
  const entries = namespaces.map((n, k) => ({ kind: "ns", ns: n.name, start: k, end: k + 1, pods: n.pods, label: `${n.name} (${n.pods})` }));
  return { entries, ofPod: null, bands: bands(entries) };
}

function bands(entries) {
  const out = [];
  entries.forEach((e, k) => {
    const last = out[out.length - 1];
    if (last && last.ns === e.ns) last.end = k + 1;
    else out.push({ ns: e.ns, start: k, end: k + 1, collapsed: e.kind === "ns" });
  });
  return out;
}

/**
 * Allowed counts per (row entry, column entry), row-major, and the entry sizes (a
 * cell's total is rowSizes[r] × colSizes[c]). Pod-level grids cost one pass over the
 * bits whatever is collapsed.
 */
export function entryCounts(grid, rowAxis, colAxis) {
  const R = rowAxis.entries.length;
  const C = colAxis.entries.length;
  const allowed = new Uint32Array(R * C);
  const colStart = Int32Array.from(colAxis.entries, (e) => e.start);
  const colEnd = Int32Array.from(colAxis.entries, (e) => e.end);
  const colPod = Uint8Array.from(colAxis.entries, (e) => (e.kind === "pod" ? 1 : 0));
  const allPods = colPod.every((x) => x === 1);
  const { bits, width } = grid;
  for (let r = 0; r < R; r++) {
    const re = rowAxis.entries[r];
    const base = r * C;
    for (let i = re.start; i < re.end; i++) {
      const rowBase = i * width;
      if (allPods) {
        for (let c = 0; c < C; c++) {
          const j = colStart[c];
          allowed[base + c] += (bits[rowBase + (j >> 3)] >> (7 - (j & 7))) & 1;
        }
      } else {
        for (let c = 0; c < C; c++) {
          const j = colStart[c];
          allowed[base + c] += colPod[c] ? (bits[rowBase + (j >> 3)] >> (7 - (j & 7))) & 1 : countRow(grid, i, j, colEnd[c]);
        }
      }
    }
  }
  const rowSizes = Uint32Array.from(rowAxis.entries, (e) => e.end - e.start);
  const colSizes = Uint32Array.from(colAxis.entries, (e) => e.end - e.start);
  return { allowed, total: null, rowSizes, colSizes, rows: R, cols: C };
}

/** Total pod pairs of entry cell k. */
export function totalAt(counts, k) {
  if (counts.total) return counts.total[k];
  return counts.rowSizes[Math.floor(k / counts.cols)] * counts.colSizes[k % counts.cols];
}

/** Counts of a summary payload on namespace axes. */
export function summaryCounts(payload) {
  const R = payload.namespaces.rows.length;
  const C = payload.namespaces.columns.length;
  const allowed = new Uint32Array(R * C);
  const total = new Uint32Array(R * C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      allowed[r * C + c] = payload.summary.allowed[r][c];
      total[r * C + c] = payload.summary.total[r][c];
    }
  }
  return { allowed, total, rows: R, cols: C };
}

// ------------------------------------------------------------------ what-if marks

/**
 * Where a what-if diff lands on the current drawing: entry index pairs → "cut" |
 * "opened" (a block gets the mark when any listed pair falls inside it; namespace
 * axes use the per-namespace totals, which are complete even when the list is not).
 */
export function markEntries(diff, rowAxis, colAxis, rowKeys, colKeys) {
  const out = new Map();
  if (!diff) return out;
  if (rowAxis.ofPod && rowKeys && colKeys) {
    const rowAt = new Map(rowKeys.map((k, i) => [k, i]));
    const colAt = new Map(colKeys.map((k, i) => [k, i]));
    for (const [kind, pairs] of [["cut", diff.cut ?? []], ["opened", diff.opened ?? []]]) {
      for (const [s, d] of pairs) {
        const i = rowAt.get(s);
        const j = colAt.get(d);
        if (i === undefined || j === undefined) continue;
        out.set(rowAxis.ofPod[i] * colAxis.entries.length + colAxis.ofPod[j], kind);
      }
    }
    return out;
  }
  const rowAt = new Map(rowAxis.entries.map((e, k) => [e.ns, k]));
  const colAt = new Map(colAxis.entries.map((e, k) => [e.ns, k]));
  for (const n of diff.by_namespace ?? []) {
    const r = rowAt.get(n.from);
    const c = colAt.get(n.to);
    if (r === undefined || c === undefined) continue;
    out.set(r * colAxis.entries.length + c, n.cut ? "cut" : "opened");
  }
  return out;
}

// ------------------------------------------------------------------ colours

/** RGBA of one entry cell: the share allowed blends denied → allowed. */
export function cellColour(allowed, total, { verdict = "all", mark = null, bg = [255, 255, 255] } = {}) {
  if (mark) return [...COLOURS[mark], 255];
  if (!total) return [...bg, 255];
  const f = allowed / total;
  const a = COLOURS.allowed;
  const d = COLOURS.denied;
  let rgb = [0, 1, 2].map((k) => Math.round(d[k] + (a[k] - d[k]) * f));
  const matches = verdict === "all" || (verdict === "allowed" ? allowed > 0 : allowed < total);
  if (!matches) rgb = rgb.map((v, k) => Math.round(v * 0.18 + bg[k] * 0.82)); // filtered out: pale
  return [...rgb, 255];
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const pack = ([r, g, b]) => (LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0);

/** Fill an RGBA buffer (width = columns) with one pixel per entry cell. */
export function paint(buffer, counts, { verdict = "all", marks = new Map(), bg = [255, 255, 255] } = {}) {
  const px = new Uint32Array(buffer.buffer, buffer.byteOffset, counts.rows * counts.cols);
  const ALLOWED = pack(COLOURS.allowed);
  const DENIED = pack(COLOURS.denied);
  const simple = verdict === "all";
  const { allowed, total, rowSizes, colSizes, cols } = counts;
  let k = 0;
  for (let r = 0; r < counts.rows; r++) {
    for (let c = 0; c < cols; c++, k++) {
      const t = total ? total[k] : rowSizes[r] * colSizes[c];
      const al = allowed[k];
      if (simple && t && al === t) px[k] = ALLOWED;
      else if (simple && t && al === 0) px[k] = DENIED;
      else px[k] = pack(cellColour(al, t, { verdict, bg }));
    }
  }
  for (const [m, kind] of marks) if (m < px.length) px[m] = pack(COLOURS[kind]);
  return buffer;
}

// ------------------------------------------------------------------ geometry

/** Cell size and origin for a drawing of rows × cols entries in a w × h canvas. */
export function geometry(rows, cols, w, h, view = { zoom: 1, x: 0, y: 0 }) {
  const areaW = Math.max(10, w - MARGIN.left);
  const areaH = Math.max(10, h - MARGIN.top);
  const fit = Math.min(MAX_FIT_CELL, areaW / Math.max(1, cols), areaH / Math.max(1, rows));
  const cell = fit * view.zoom;
  return { cell, x0: MARGIN.left + view.x, y0: MARGIN.top + view.y, areaW, areaH, rows, cols };
}

/** What is under (x, y): a cell, a row or column band, or nothing. */
export function hitTest(g, x, y) {
  const col = Math.floor((x - g.x0) / g.cell);
  const row = Math.floor((y - g.y0) / g.cell);
  const inCols = col >= 0 && col < g.cols;
  const inRows = row >= 0 && row < g.rows;
  if (x >= MARGIN.left && y >= MARGIN.top) return inRows && inCols ? { kind: "cell", row, col } : null;
  if (x < MARGIN.left && y >= MARGIN.top && inRows) return { kind: "row", row };
  if (y < MARGIN.top && x >= MARGIN.left && inCols) return { kind: "col", col };
  return null;
}

/** Zoom by `factor` keeping the point (x, y) still. */
export function zoomAt(view, g, x, y, factor) {
  const zoom = Math.max(1, Math.min(400, view.zoom * factor));
  const k = zoom / view.zoom;
  return { zoom, x: x - MARGIN.left - (x - g.x0) * k, y: y - MARGIN.top - (y - g.y0) * k };
}

// ------------------------------------------------------------------ export

const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** CSV of what is shown: pod cells (1 allowed, 0 denied) or namespace totals. */
export function toCSV(payload) {
  const head = `# reachability ${payload.protocol}/${payload.port}${payload.enforced ? "" : ` (NOT ENFORCED by ${payload.plugin}: what the policies say)`}`;
  if (payload.cells) {
    const grid = decodeGrid(payload);
    const lines = [head, ["source \\ destination", ...payload.columns].map(csvCell).join(",")];
    for (let i = 0; i < grid.rows; i++) {
      const row = [payload.rows[i]];
      for (let j = 0; j < grid.cols; j++) row.push(bit(grid, i, j));
      lines.push(row.map(csvCell).join(","));
    }
    return lines.join("\n") + "\n";
  }
  const lines = [head, "from,to,allowed,total"];
  payload.namespaces.rows.forEach((r, i) => {
    payload.namespaces.columns.forEach((c, j) => {
      lines.push([r.name, c.name, payload.summary.allowed[i][j], payload.summary.total[i][j]].map(csvCell).join(","));
    });
  });
  return lines.join("\n") + "\n";
}

/** A policy verdict (`POST …/policy`) as tooltip lines: who decided, by which rule. */
export function explainVerdict(v) {
  const lines = [];
  for (const [dir, d] of [["egress", v.egress], ["ingress", v.ingress]]) {
    if (!d?.isolated) continue;
    if (d.allowed_by.length) lines.push(`${dir}: allowed by ${d.allowed_by.map((r) => `${r.text}${r.detail ? " (" + r.detail + ")" : ""}`).join("; ")}`);
    else lines.push(`${dir}: isolated by ${d.isolated_by.map((k) => `NetworkPolicy ${k}`).join(", ")} — no rule admits it`);
  }
  if (!lines.length) lines.push(v.allowed ? "no NetworkPolicy isolates either pod" : v.reason);
  if (!v.enforced) lines.push("NOT ENFORCED by this CNI: delivered anyway");
  return lines;
}

// ------------------------------------------------------------------ the view (DOM)

export class HeatmapView {
  constructor(canvas, tip, { onClick, onExplain, onToggle } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.tip = tip;
    this.onClick = onClick ?? (() => {});
    this.onExplain = onExplain ?? null;
    this.onToggle = onToggle ?? (() => {});
    this.payload = null;
    this.collapsed = new Set();
    this.view = { zoom: 1, x: 0, y: 0 };
    this.diff = null;
    this.theme = "light";
    this.wire();
  }

  /** New data: rebuild axes, counts and image. */
  setData(payload, { keepView = false } = {}) {
    this.payload = payload;
    this.grid = payload.cells !== undefined ? decodeGrid(payload) : null;
    if (!keepView) this.view = { zoom: 1, x: 0, y: 0 };
    const known = new Set(namespaceBlocks(payload.rows ?? []).map((b) => b.ns));
    this.collapsed = new Set([...this.collapsed].filter((ns) => known.has(ns)));
    this.rebuild();
  }

  setDiff(diff) {
    this.diff = diff;
    if (this.payload) this.rebuild();
  }

  setTheme(theme) {
    this.theme = theme;
    if (this.payload) this.rebuild();
  }

  toggle(ns) {
    if (this.collapsed.has(ns)) this.collapsed.delete(ns);
    else this.collapsed.add(ns);
    this.rebuild();
  }

  setCollapsed(all) {
    this.collapsed = all ? new Set(namespaceBlocks(this.payload?.rows ?? []).map((b) => b.ns)) : new Set();
    if (this.payload) this.rebuild();
  }

  rebuild() {
    const p = this.payload;
    if (this.grid) {
      this.rowAxis = buildAxis(p.rows, this.collapsed);
      this.colAxis = buildAxis(p.columns, this.collapsed);
      this.counts = entryCounts(this.grid, this.rowAxis, this.colAxis);
    } else {
      this.rowAxis = namespaceAxis(p.namespaces.rows);
      this.colAxis = namespaceAxis(p.namespaces.columns);
      this.counts = summaryCounts(p);
    }
    const marks = markEntries(this.diff, this.rowAxis, this.colAxis, p.rows, p.columns);
    const { rows, cols } = this.counts;
    this.image = null;
    if (rows && cols) {
      const bg = hexRgb(THEMES[this.theme].bg);
      const img = new ImageData(cols, rows);
      paint(img.data, this.counts, { verdict: p.verdict, marks, bg });
      const off = document.createElement("canvas");
      off.width = cols;
      off.height = rows;
      off.getContext("2d").putImageData(img, 0, 0);
      this.image = off;
    }
    this.marks = marks;
    this.draw();
  }

  resize(width, height) {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.dpr = dpr;
    this.draw();
  }

  geometry() {
    const w = this.canvas.width / (this.dpr || 1);
    const h = this.canvas.height / (this.dpr || 1);
    return geometry(this.counts?.rows ?? 0, this.counts?.cols ?? 0, w, h, this.view);
  }

  draw() {
    const ctx = this.ctx;
    const dpr = this.dpr || 1;
    const t = THEMES[this.theme];
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const w = this.canvas.width / dpr;
    const h = this.canvas.height / dpr;
    ctx.fillStyle = t.bg;
    ctx.fillRect(0, 0, w, h);
    if (!this.payload || !this.image) {
      ctx.fillStyle = t.muted;
      ctx.font = "13px system-ui, sans-serif";
      ctx.fillText(this.payload ? "no pod matches the filters" : "", 12, 24);
      return;
    }
    const g = this.geometry();
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, g.areaW, g.areaH);
    ctx.clip();
    ctx.imageSmoothingEnabled = g.cell < 1;
    ctx.drawImage(this.image, g.x0, g.y0, g.cols * g.cell, g.rows * g.cell);
    // namespace boundaries
    ctx.strokeStyle = t.fg;
    ctx.globalAlpha = 0.5;
    ctx.lineWidth = 1;
    for (const b of this.rowAxis.bands.slice(1)) this.line(g.x0, g.y0 + b.start * g.cell, g.x0 + g.cols * g.cell, g.y0 + b.start * g.cell);
    for (const b of this.colAxis.bands.slice(1)) this.line(g.x0 + b.start * g.cell, g.y0, g.x0 + b.start * g.cell, g.y0 + g.rows * g.cell);
    ctx.globalAlpha = 1;
    if (g.cell >= 6 && this.marks.size) this.outlineMarks(g);
    ctx.restore();
    this.drawBands(g, t);
    if (!this.payload.enforced && !this.payload.effective) {
      // Loud, and part of the exported PNG too (NET-4.6).
      ctx.fillStyle = VERDICT.dropped;
      ctx.fillRect(0, 0, w, 18);
      ctx.fillStyle = "#fff";
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      ctx.fillText(`NOT ENFORCED: ${this.payload.plugin} ignores NetworkPolicy — red = what the policies say; every packet is delivered`, 6, 9, w - 12);
      ctx.textBaseline = "alphabetic";
    }
  }

  line(x1, y1, x2, y2) {
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  }

  outlineMarks(g) {
    const ctx = this.ctx;
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#000";
    const C = this.counts.cols;
    for (const k of this.marks.keys()) {
      const r = Math.floor(k / C);
      const c = k % C;
      ctx.strokeRect(g.x0 + c * g.cell + 1, g.y0 + r * g.cell + 1, g.cell - 2, g.cell - 2);
    }
  }

  drawBands(g, t) {
    const ctx = this.ctx;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // row bands (left) and column bands (top)
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, MARGIN.top, MARGIN.left, g.areaH);
    ctx.clip();
    for (const b of this.rowAxis.bands) {
      const y = g.y0 + b.start * g.cell;
      const hgt = (b.end - b.start) * g.cell;
      ctx.fillStyle = namespaceColour(b.ns);
      ctx.fillRect(0, y, MARGIN.band, hgt);
      ctx.fillStyle = t.fg;
      if (hgt >= 12 && (b.collapsed || g.cell < LABEL_MIN_CELL)) ctx.fillText(`${b.collapsed ? "▸" : "▾"} ${b.ns}`, MARGIN.band + 3, y + Math.min(hgt, 400) / 2, MARGIN.left - MARGIN.band - 6);
      else if (hgt >= 30) this.bandText(b.ns, MARGIN.band / 2, y + hgt / 2, hgt - 4, true);
    }
    if (g.cell >= LABEL_MIN_CELL) {
      ctx.fillStyle = t.fg;
      this.rowAxis.entries.forEach((e, r) => {
        if (e.kind === "pod") ctx.fillText(e.label, MARGIN.band + 3, g.y0 + (r + 0.5) * g.cell, MARGIN.left - MARGIN.band - 6);
      });
    }
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, 18, g.areaW, MARGIN.top - 18);
    ctx.clip();
    for (const b of this.colAxis.bands) {
      const x = g.x0 + b.start * g.cell;
      const wid = (b.end - b.start) * g.cell;
      ctx.fillStyle = namespaceColour(b.ns);
      ctx.fillRect(x, MARGIN.top - MARGIN.band, wid, MARGIN.band);
      if (wid >= 30 && !b.collapsed && g.cell >= LABEL_MIN_CELL) this.bandText(b.ns, x + wid / 2, MARGIN.top - MARGIN.band / 2, wid - 4, false);
      if (wid >= 12 && (b.collapsed || g.cell < LABEL_MIN_CELL)) {
        ctx.save();
        ctx.translate(x + Math.min(wid, 400) / 2, MARGIN.top - MARGIN.band - 3);
        ctx.rotate(-Math.PI / 2);
        ctx.fillStyle = t.fg;
        ctx.fillText(`${b.collapsed ? "▸" : "▾"} ${b.ns}`, 0, 0, MARGIN.top - MARGIN.band - 24);
        ctx.restore();
      }
    }
    if (g.cell >= LABEL_MIN_CELL) {
      this.colAxis.entries.forEach((e, c) => {
        if (e.kind !== "pod") return;
        ctx.save();
        ctx.translate(g.x0 + (c + 0.5) * g.cell, MARGIN.top - MARGIN.band - 3);
        ctx.rotate(-Math.PI / 2);
        ctx.fillStyle = t.fg;
        ctx.fillText(e.label, 0, 0, MARGIN.top - MARGIN.band - 24);
        ctx.restore();
      });
    }
    ctx.restore();
    ctx.textBaseline = "alphabetic";
  }

  /** A namespace name written inside its coloured band (white on a dark outline). */
  bandText(text, x, y, room, vertical) {
    const ctx = this.ctx;
    ctx.save();
    ctx.translate(x, y);
    if (vertical) ctx.rotate(-Math.PI / 2);
    ctx.font = "bold 10px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#000a";
    ctx.strokeText(text, 0, 1, room);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, 0, 1, room);
    ctx.restore();
  }

  /** What an entry cell stands for, for tooltips, clicks and tests. */
  describe(row, col) {
    const re = this.rowAxis.entries[row];
    const ce = this.colAxis.entries[col];
    const k = row * this.counts.cols + col;
    return { row: re, col: ce, allowed: this.counts.allowed[k], total: totalAt(this.counts, k), mark: this.marks.get(k) ?? null, level: this.grid ? "pod" : "namespace" };
  }

  /** Canvas-relative centre of the cell src → dst (pod keys or namespaces), for tests. */
  cellCenter(src, dst) {
    const find = (axis, id) => axis.entries.findIndex((e) => (e.kind === "pod" ? e.key === id : e.ns === id));
    const r = find(this.rowAxis, src);
    const c = find(this.colAxis, dst);
    if (r < 0 || c < 0) return null;
    const g = this.geometry();
    return { x: g.x0 + (c + 0.5) * g.cell, y: g.y0 + (r + 0.5) * g.cell };
  }

  /** First cell with this verdict between pods ("denied" | "allowed"), or null. */
  findCell(verdict) {
    if (!this.grid) return null;
    for (let r = 0; r < this.counts.rows; r++) {
      for (let c = 0; c < this.counts.cols; c++) {
        const d = this.describe(r, c);
        if (d.row.kind !== "pod" || d.col.kind !== "pod" || d.row.key === d.col.key) continue;
        if ((verdict === "denied") === (d.allowed === 0)) return { src: d.row.key, dst: d.col.key };
      }
    }
    return null;
  }

  png() {
    return this.canvas.toDataURL("image/png");
  }

  // ---------------------------------------------------------------- mouse

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  wire() {
    const c = this.canvas;
    c.addEventListener("wheel", (e) => {
      if (!this.payload) return;
      e.preventDefault();
      const p = this.point(e);
      this.view = zoomAt(this.view, this.geometry(), p.x, p.y, e.deltaY < 0 ? 1.25 : 0.8);
      this.draw();
    }, { passive: false });
    c.addEventListener("dblclick", () => {
      this.view = { zoom: 1, x: 0, y: 0 };
      this.draw();
    });
    c.addEventListener("mousedown", (e) => {
      this.drag = { ...this.point(e), view: this.view, moved: false };
    });
    window.addEventListener("mouseup", () => {
      setTimeout(() => (this.drag = null), 0);
    });
    c.addEventListener("mousemove", (e) => {
      const p = this.point(e);
      if (this.drag && e.buttons & 1) {
        const dx = p.x - this.drag.x;
        const dy = p.y - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          this.view = { ...this.drag.view, x: this.drag.view.x + dx, y: this.drag.view.y + dy };
          this.draw();
          return;
        }
      }
      this.hover(p);
    });
    c.addEventListener("mouseleave", () => {
      this.tip.hidden = true;
      clearTimeout(this.explainTimer);
    });
    c.addEventListener("click", (e) => {
      if (!this.payload || this.drag?.moved) return;
      const p = this.point(e);
      const hit = hitTest(this.geometry(), p.x, p.y);
      if (!hit) return;
      if (hit.kind === "row") return this.onToggle(this.rowAxis.entries[hit.row].ns, this);
      if (hit.kind === "col") return this.onToggle(this.colAxis.entries[hit.col].ns, this);
      this.onClick(this.describe(hit.row, hit.col), this);
    });
  }

  hover(p) {
    if (!this.payload) return;
    const hit = hitTest(this.geometry(), p.x, p.y);
    clearTimeout(this.explainTimer);
    if (!hit || hit.kind !== "cell") {
      this.tip.hidden = true;
      return;
    }
    const d = this.describe(hit.row, hit.col);
    const name = (e) => (e.kind === "pod" ? e.key : `namespace ${e.ns} (${e.end - e.start} pods)`);
    const verdict = d.total === 1 ? (d.allowed ? "allowed" : "denied") : `${d.allowed} of ${d.total} pairs allowed`;
    const lines = [`${name(d.row)} → ${name(d.col)}`, verdict];
    if (d.mark) lines.push(d.mark === "cut" ? "the pending change CUTS this flow" : "the pending change OPENS this flow");
    if (!this.payload.enforced && !this.payload.effective) lines.push(`not enforced by ${this.payload.plugin}: delivered anyway`);
    this.showTip(p, lines);
    const key = `${hit.row}:${hit.col}`;
    this.tipKey = key;
    if (this.onExplain && d.row.kind === "pod" && d.col.kind === "pod") {
      this.explainTimer = setTimeout(async () => {
        const more = await this.onExplain(d.row.key, d.col.key);
        if (this.tipKey === key && !this.tip.hidden && more) this.showTip(p, [...lines, ...more]);
      }, 120);
    } else if (d.row.kind !== "pod" || d.col.kind !== "pod") {
      this.showTip(p, [...lines, this.grid ? "click: expand the namespace" : "click: drill down to pods"]);
    }
  }

  showTip(p, lines) {
    const tip = this.tip;
    tip.replaceChildren(...lines.map((l, i) => {
      const div = document.createElement("div");
      div.textContent = l;
      if (i === 0) div.className = "tip-head";
      return div;
    }));
    tip.hidden = false;
    const wrap = this.canvas.parentElement.getBoundingClientRect();
    tip.style.left = `${Math.min(p.x + 14, wrap.width - 260)}px`;
    tip.style.top = `${p.y + 14}px`;
  }
}

function hexRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
