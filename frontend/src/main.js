// The cluster editor: canvas, palette, inspector, YAML pane, packet player, presence.
// State = initial fetch + `cluster.changed` events (store.js); every edit goes through
// the REST API (one validation path, field-level errors); traces and presence come
// over the WebSocket.

import { EditorView, basicSetup } from "codemirror";
import { yaml as yamlLang } from "@codemirror/lang-yaml";
import YAML from "yaml";
import { ApiError, clusterApi } from "./api.js";
import { Canvas } from "./canvas.js";
import { LiveSocket } from "./live.js";
import { VERDICT } from "./palette.js";
import { applyChange, fromFetch, listKind, matchesLabelSelector, objectKey } from "./store.js";
import { buildTimeline, frameAt, headerChanges, initialPlayer, reduce, SPEEDS } from "./timeline.js";

const PLURAL = { Namespace: "namespaces", Node: "nodes", Pod: "pods", Service: "services", NetworkPolicy: "networkpolicies", EndpointSlice: "endpointslices" };
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};

function manifestTemplate(kind, f) {
  const ns = f.namespace || "default";
  const labels = parseLabels(f.labels);
  switch (kind) {
    case "Namespace":
      return { apiVersion: "v1", kind, metadata: { name: f.name, labels } };
    case "Node":
      return { apiVersion: "v1", kind, metadata: { name: f.name, labels: { "kubernetes.io/hostname": f.name, ...labels } }, status: f.internal_ip ? { addresses: [{ type: "InternalIP", address: f.internal_ip }] } : undefined };
    case "Pod":
      return {
        apiVersion: "v1", kind, metadata: { name: f.name, namespace: ns, labels },
        spec: { nodeName: f.node || undefined, containers: [{ name: "app", image: f.image || "nginx:1.27", ports: f.port ? [{ name: "http", containerPort: Number(f.port) }] : [] }] },
      };
    case "Service":
      return {
        apiVersion: "v1", kind, metadata: { name: f.name, namespace: ns },
        spec: { type: f.type || "ClusterIP", selector: labels, ports: [{ port: Number(f.port || 80), targetPort: /^\d+$/.test(f.target_port || "") ? Number(f.target_port) : f.target_port || Number(f.port || 80), protocol: f.protocol || "TCP" }] },
      };
    case "NetworkPolicy":
      return { apiVersion: "networking.k8s.io/v1", kind, metadata: { name: f.name, namespace: ns }, spec: { podSelector: { matchLabels: labels }, policyTypes: ["Ingress"], ingress: [] } };
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

const PALETTE_FIELDS = {
  Namespace: ["name", "labels"],
  Node: ["name", "internal_ip", "labels"],
  Pod: ["name", "namespace", "node", "labels", "image", "port"],
  Service: ["name", "namespace", "type", "labels", "port", "target_port", "protocol"],
  NetworkPolicy: ["name", "namespace", "labels"],
};
const FIELD_HINT = { labels: "app=web,tier=fe (selector for Services and policies)", internal_ip: "192.168.56.11", port: "8080", target_port: "8080 or a port name", type: "ClusterIP | NodePort | LoadBalancer", protocol: "TCP" };

export function parseLabels(text) {
  const out = {};
  for (const part of (text ?? "").split(/[,\n]/)) {
    const t = part.trim();
    if (!t) continue;
    const i = t.indexOf("=");
    if (i < 0) out[t] = "";
    else out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

class Editor {
  constructor(root) {
    this.root = root;
    this.clusterId = root.dataset.clusterId;
    this.canWrite = root.dataset.canWrite === "true";
    this.api = clusterApi(root.dataset.apiBase);
    this.state = null;
    this.selected = null;
    this.undo = [];
    this.player = null;
    this.trace = null;
    this.lastDryRun = null;
    const theme = localStorage.getItem("clusterlab-theme") ?? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    document.documentElement.dataset.theme = theme;
    this.canvas = new Canvas($("#canvas"), { theme, onSelect: (o) => this.select(o), onMove: (o, x, y) => this.move(o, x, y) });
    this.yaml = new EditorView({ doc: "", extensions: [basicSetup, yamlLang()], parent: $("#yaml-editor") });
    this.wire();
    this.load();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.live = new LiveSocket(`${scheme}://${location.host}/ws/clusters/${this.clusterId}/`, {
      open: () => this.status("live"),
      close: (e) => this.status(e.code === 4403 || e.code === 4404 ? "no access" : "reconnecting…"),
      "cluster.changed": (m) => this.onChanged(m),
      presence: (m) => this.onPresence(m),
      "trace.started": (m) => this.onTraceStarted(m),
      "trace.hop": (m) => this.onTraceHop(m),
      "trace.finished": (m) => this.onTraceFinished(m),
      error: (m) => this.flash(m.error, "error"),
    });
    requestAnimationFrame((t) => this.frame(t));
  }

  async load() {
    try {
      this.state = fromFetch(await this.api.fetch());
      this.render();
    } catch (e) {
      this.flash(`Could not load the cluster: ${e.message}`, "error");
    }
  }

  render() {
    this.canvas.render(this.state);
    const meta = this.state.meta;
    $("#cluster-version").textContent = `v${this.state.resourceVersion}`;
    const cni = meta.config?.cni ?? { plugin: "flannel", mode: "vxlan" };
    $("#cni-info").textContent = `${cni.plugin} ${cni.mode ?? ""}${cni.crossSubnet ? " (CrossSubnet)" : ""}`;
    const warn = $("#policy-warning");
    warn.hidden = (cni.plugin ?? "flannel") !== "flannel" || listKind(this.state, "networkpolicies").length === 0;
    this.fillTraceChoices();
    if (this.selected) {
      const fresh = this.state.objects.get(objectKey(this.selected));
      this.select(fresh ?? null, true);
    }
  }

  onChanged(msg) {
    if (!this.state) return;
    const { state, stale } = applyChange(this.state, msg);
    if (stale) return this.load();
    if (state !== this.state) {
      this.state = state;
      this.render();
      if (msg.by && msg.by !== this.root.dataset.username) this.flash(`${msg.by} changed the cluster (v${msg.resource_version})`);
    }
    // Derived objects (allocated IPs, endpoints, pods of a Deployment) may have moved too.
    if (msg.refetch) {
      clearTimeout(this.refetchTimer);
      this.refetchTimer = setTimeout(() => this.load(), 150);
    }
  }

  onPresence(msg) {
    const names = (msg.viewers ?? []).map((v) => v.username);
    $("#presence").textContent = names.length ? `viewing: ${[...new Set(names)].join(", ")}` : "";
  }

  status(text) {
    $("#live-status").textContent = text;
  }

  flash(text, kind = "info") {
    const box = $("#flash");
    box.textContent = text;
    box.className = `flash ${kind}`;
    box.hidden = false;
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 9000 : 3500);
  }

  // ------------------------------------------------------------------ selection / inspector

  select(obj, keepYaml = false) {
    this.selected = obj;
    const box = $("#inspector-body");
    box.replaceChildren();
    if (!obj) {
      box.append(el("p", { class: "muted" }, "Select a node, pod or Service on the canvas, or add one from the palette."));
      this.canvas.highlight(null);
      return;
    }
    if (obj.kind === "External") {
      box.append(el("h3", {}, `External ${obj.name}`), el("p", { class: "muted" }, "A host outside the cluster; use it as a traffic source."));
      return;
    }
    box.append(el("h3", {}, `${obj.kind} ${obj.namespace ? obj.namespace + "/" : ""}${obj.name}`));
    const facts = el("dl", { class: "facts" });
    const add = (k, v) => v !== undefined && v !== null && v !== "" && facts.append(el("dt", {}, k), el("dd", {}, String(v)));
    const st = obj.status ?? {};
    add("IP", st.ip ?? obj.ip);
    add("Node", st.node_name ?? obj.node_name);
    add("InternalIP", st.internal_ip ?? obj.internal_ip);
    add("PodCIDR", st.pod_cidr ?? obj.pod_cidr);
    add("ClusterIP", st.cluster_ip ?? obj.cluster_ip);
    add("Type", obj.type ?? obj.manifest?.spec?.type);
    add("Ready", obj.ready === undefined ? undefined : obj.ready ? "True" : "False");
    add("Labels", Object.entries(obj.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "<none>");
    box.append(facts);
    if (obj.kind === "NetworkPolicy") this.highlightPolicy(obj);
    else if (obj.kind === "Pod") this.highlightPodPolicies(obj);
    else this.canvas.highlight(null);
    if (this.canWrite) {
      const form = el("form", { class: "inspector-form", onsubmit: (e) => { e.preventDefault(); this.saveLabels(obj, form); } },
        el("label", { for: "insp-labels" }, "Labels"),
        el("input", { id: "insp-labels", name: "labels", value: Object.entries(obj.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",") }),
        el("div", { class: "field-errors", "data-field": "metadata.labels" }),
        el("div", { class: "row" },
          el("button", { type: "submit" }, "Save labels"),
          el("button", { type: "button", onclick: () => this.showYaml(obj) }, "Edit YAML"),
          el("button", { type: "button", class: "danger", onclick: () => this.remove(obj) }, "Delete")));
      box.append(form);
    } else {
      box.append(el("button", { type: "button", onclick: () => this.showYaml(obj) }, "Show YAML"));
    }
    if (!keepYaml && $("#yaml-follow").checked) this.showYaml(obj);
  }

  highlightPolicy(pol) {
    const sel = pol.manifest?.spec?.podSelector ?? {};
    const ids = listKind(this.state, "pods").filter((p) => p.namespace === pol.namespace && matchesLabelSelector(sel, p.labels)).map((p) => objectKey(p));
    this.canvas.highlight(ids);
    const describe = pol.describe ?? pol.status?.describe;
    if (describe) $("#inspector-body").append(el("pre", { class: "describe" }, describe));
  }

  highlightPodPolicies(pod) {
    const pols = listKind(this.state, "networkpolicies").filter((p) => p.namespace === pod.namespace && matchesLabelSelector(p.manifest?.spec?.podSelector ?? {}, pod.labels));
    if (pols.length) {
      $("#inspector-body").append(el("p", {}, "Selected by: ", pols.map((p) => `${p.namespace}/${p.name}`).join(", ")));
    }
    this.canvas.highlight([objectKey(pod)]);
  }

  showFieldErrors(root, err) {
    for (const box of root.querySelectorAll(".field-errors")) {
      const errs = err instanceof ApiError ? err.forField(box.dataset.field) : [];
      box.replaceChildren(...errs.map((e) => el("div", { class: "error" }, e.message)));
    }
    if (err instanceof ApiError && err.status === 409) this.flash(`Someone else changed the cluster first (now v${err.body.resource_version}). Your edit was not applied; it is still in the form.`, "error");
    else if (err) this.flash(err.message, "error");
  }

  async saveLabels(obj, form) {
    const manifest = structuredClone(obj.manifest);
    manifest.metadata = { ...(manifest.metadata ?? {}), labels: parseLabels(form.labels.value) };
    try {
      await this.api.update(PLURAL[obj.kind], obj.namespace, obj.name, manifest, this.state.resourceVersion);
      this.showFieldErrors(form, null);
      this.flash("Saved");
      await this.refreshIfBehind();
    } catch (e) {
      this.showFieldErrors(form, e);
    }
  }

  async remove(obj) {
    try {
      await this.api.remove(PLURAL[obj.kind], obj.namespace, obj.name, this.state.resourceVersion);
      this.undo.push(obj);
      this.flash(`Deleted ${obj.kind} ${obj.name} — press Undo to restore it`);
      $("#undo").disabled = false;
      this.select(null);
      await this.refreshIfBehind();
    } catch (e) {
      this.flash(e.message, "error");
    }
  }

  async undoDelete() {
    const obj = this.undo.pop();
    $("#undo").disabled = this.undo.length === 0;
    if (!obj) return;
    try {
      await this.api.create(PLURAL[obj.kind], obj.manifest, { x: obj.x, y: obj.y }, this.state.resourceVersion);
      this.flash(`Restored ${obj.kind} ${obj.name}`);
      await this.refreshIfBehind();
    } catch (e) {
      this.undo.push(obj);
      this.flash(e.message, "error");
    }
  }

  async move(obj, x, y) {
    if (!this.canWrite || !obj || !PLURAL[obj.kind]) return;
    try {
      await this.api.move(PLURAL[obj.kind], obj.namespace, obj.name, Math.round(x), Math.round(y));
    } catch (e) {
      this.flash(`Position not saved: ${e.message}`, "error");
    }
  }

  /** After our own write, fetch if the WebSocket event has not arrived yet. */
  async refreshIfBehind() {
    const version = this.state.resourceVersion;
    setTimeout(() => {
      if (this.state.resourceVersion === version) this.load();
    }, 600);
  }

  // ------------------------------------------------------------------ palette

  openPalette(kind) {
    const box = $("#inspector-body");
    box.replaceChildren(el("h3", {}, `Add ${kind}`));
    const form = el("form", { class: "inspector-form", "data-kind": kind });
    const nodes = listKind(this.state, "nodes").map((n) => n.name);
    const namespaces = listKind(this.state, "namespaces").map((n) => n.name);
    for (const f of PALETTE_FIELDS[kind]) {
      const id = `pal-${f}`;
      form.append(el("label", { for: id }, f.replace("_", " ")));
      if (f === "node") form.append(el("select", { id, name: f }, el("option", { value: "" }, "(scheduler decides)"), nodes.map((n) => el("option", { value: n }, n))));
      else if (f === "namespace") form.append(el("select", { id, name: f }, namespaces.map((n) => el("option", { value: n, selected: n === "default" }, n))));
      else form.append(el("input", { id, name: f, placeholder: FIELD_HINT[f] ?? "", required: f === "name" }));
      const path = { name: "metadata.name", labels: kind === "Service" ? "spec.selector" : "metadata.labels", port: kind === "Service" ? "spec.ports" : "spec.containers", internal_ip: "status.addresses", type: "spec.type", namespace: "metadata.namespace" }[f];
      if (path) form.append(el("div", { class: "field-errors", "data-field": path }));
    }
    form.append(el("div", { class: "row" }, el("button", { type: "submit" }, `Add ${kind}`)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      const manifest = JSON.parse(JSON.stringify(manifestTemplate(kind, values)));
      try {
        await this.api.create(PLURAL[kind], manifest, {}, this.state.resourceVersion);
        this.flash(`Added ${kind} ${values.name}`);
        await this.refreshIfBehind();
        this.showFieldErrors(form, null);
      } catch (err) {
        this.showFieldErrors(form, err);
      }
    });
    box.append(form);
    form.querySelector("input")?.focus();
  }

  // ------------------------------------------------------------------ YAML pane

  setYaml(text) {
    this.yaml.dispatch({ changes: { from: 0, to: this.yaml.state.doc.length, insert: text } });
    this.lastDryRun = null;
    $("#yaml-apply").disabled = true;
  }

  showYaml(obj) {
    this.setYaml(YAML.stringify(obj.manifest));
  }

  async showWholeCluster() {
    try {
      this.setYaml(await this.api.exportYaml());
    } catch (e) {
      this.flash(e.message, "error");
    }
  }

  async dryRun() {
    const text = this.yaml.state.doc.toString();
    const out = $("#yaml-result");
    try {
      const r = await this.api.apply(text, { dryRun: true, prune: $("#yaml-prune").checked });
      const line = (label, items) => (items?.length ? el("div", { class: `diff-${label}` }, `${label}: `, items.map((i) => `${i.kind} ${i.namespace ? i.namespace + "/" : ""}${i.name}`).join(", ")) : null);
      out.replaceChildren(el("strong", {}, "Dry run — nothing saved yet"), ...["created", "updated", "deleted"].map((k) => line(k, r[k])).filter(Boolean));
      if (r.matrix_diff?.summary) out.append(el("div", {}, r.matrix_diff.summary));
      this.lastDryRun = text;
      $("#yaml-apply").disabled = !this.canWrite;
    } catch (e) {
      out.replaceChildren(el("strong", { class: "error" }, e.message), ...(e.errors ?? []).map((x) => el("div", { class: "error" }, x.message)));
    }
  }

  async applyYaml() {
    const text = this.yaml.state.doc.toString();
    if (text !== this.lastDryRun) return this.dryRun();
    try {
      await this.api.apply(text, { prune: $("#yaml-prune").checked, version: this.state.resourceVersion });
      $("#yaml-result").replaceChildren(el("strong", {}, "Applied"));
      $("#yaml-apply").disabled = true;
      await this.refreshIfBehind();
    } catch (e) {
      $("#yaml-result").replaceChildren(el("strong", { class: "error" }, e.message), ...(e.errors ?? []).map((x) => el("div", { class: "error" }, x.message)));
    }
  }

  // ------------------------------------------------------------------ traces

  fillTraceChoices() {
    const src = $("#trace-from");
    const current = src.value;
    const pods = listKind(this.state, "pods");
    src.replaceChildren(
      el("optgroup", { label: "Pods" }, pods.map((p) => el("option", { value: `${p.namespace}/${p.name}` }, `${p.namespace}/${p.name}`))),
      el("optgroup", { label: "Hosts" },
        listKind(this.state, "nodes").map((n) => el("option", { value: `node:${n.name}` }, `node ${n.name} (host network)`)),
        el("option", { value: "ip:203.0.113.9" }, "external client 203.0.113.9")),
    );
    if (current) src.value = current;
    const list = $("#trace-targets");
    list.replaceChildren(
      ...pods.map((p) => el("option", { value: `${p.namespace}/${p.name}` })),
      ...listKind(this.state, "services").flatMap((s) => [el("option", { value: `${s.name}.${s.namespace}` }), el("option", { value: `${s.name}.${s.namespace}.svc.cluster.local` })]),
    );
  }

  sendTrace(e) {
    e?.preventDefault();
    const from = $("#trace-from").value;
    const source = from.startsWith("node:") ? { node: from.slice(5) } : from.startsWith("ip:") ? { ip: from.slice(3) } : from;
    const port = $("#trace-port").value.trim();
    const msg = { type: "trace", source, target: $("#trace-to").value.trim(), port: /^\d+$/.test(port) ? Number(port) : port, protocol: $("#trace-protocol").value };
    const via = $("#trace-via").value.trim();
    if (via) msg.via_node = via;
    this.live.send(msg);
    $("#verdict").textContent = "tracing…";
    $("#verdict").className = "verdict";
  }

  onTraceStarted(msg) {
    this.trace = { id: msg.trace_id, hops: [], request: msg.request, by: msg.by };
    $("#hops").replaceChildren();
  }

  onTraceHop(msg) {
    if (!this.trace || msg.trace_id !== this.trace.id) return;
    this.trace.hops.push(msg.hop);
  }

  onTraceFinished(msg) {
    if (!this.trace || msg.trace_id !== this.trace.id) return;
    this.trace.result = msg;
    const v = $("#verdict");
    v.textContent = `${msg.verdict.toUpperCase()} — ${msg.reason ?? ""}`;
    v.className = `verdict ${msg.verdict}`;
    v.style.borderColor = VERDICT[msg.verdict] ?? "";
    this.renderHops();
    this.player = reduce(initialPlayer(buildTimeline(this.trace.hops)), { type: "play" });
    this.drawn = false;
  }

  renderHops() {
    const fmt = (p) => (p ? `${p.src ?? "?"}${p.sport ? ":" + p.sport : ""} → ${p.dst ?? "?"}${p.dport ? ":" + p.dport : ""} ${p.proto ?? ""} ttl ${p.ttl ?? "?"}` : "");
    const rows = this.trace.hops.map((h, i) => {
      const bad = ["drop", "reject", "policy-deny"].includes(h.action);
      const place = `${h.place?.node ? h.place.node + " · " : ""}${h.place?.name ?? h.place?.kind ?? ""}`;
      const change = headerChanges(h);
      const outer = h.packet_out?.outer;
      return el("li", { "data-index": i, class: `hop${bad ? " bad" : ""}`, tabindex: 0, onclick: () => this.dispatch({ type: "seek", index: i }) },
        el("div", { class: "hop-head" }, el("span", { class: "seq" }, String(h.seq ?? i)), el("strong", {}, h.action), el("span", { class: "muted" }, place)),
        el("div", { class: "mono" }, fmt(h.packet_in)),
        change ? el("div", { class: "mono change" }, change) : null,
        outer ? el("div", { class: "mono outer" }, `outer ${outer.src} → ${outer.dst} ${outer.proto}${outer.dport ? " " + outer.dport : ""}${outer.vni !== undefined ? " VNI " + outer.vni : ""} size ${outer.size ?? ""}`) : null,
        h.rule ? el("div", { class: "mono rule" }, h.rule) : null,
        h.explain ? el("div", { class: "explain" }, h.explain) : null);
    });
    $("#hops").replaceChildren(...rows.map((r) => r));
  }

  dispatch(event) {
    if (!this.player) return;
    this.player = reduce(this.player, event);
    this.drawn = false; // the next animation frame redraws
  }

  frame(now) {
    const dt = this.lastFrame ? now - this.lastFrame : 0;
    this.lastFrame = now;
    this.frames = (this.frames ?? 0) + 1;
    if (this.player) {
      const before = this.player;
      this.player = reduce(this.player, { type: "tick", dt });
      if (before !== this.player || !this.drawn) {
        const f = frameAt(this.player.timeline, this.player.t);
        this.canvas.drawPacket(f, this.player.timeline.hops);
        for (const row of document.querySelectorAll("#hops .hop")) row.classList.toggle("current", Number(row.dataset.index) === f.index);
        $("#play").textContent = this.player.playing ? "Pause" : "Play";
        this.drawn = true;
      }
    }
    requestAnimationFrame((t) => this.frame(t));
  }

  // ------------------------------------------------------------------ wiring

  wire() {
    for (const btn of document.querySelectorAll("[data-add]")) btn.addEventListener("click", () => this.openPalette(btn.dataset.add));
    $("#undo").addEventListener("click", () => this.undoDelete());
    $("#yaml-whole").addEventListener("click", () => this.showWholeCluster());
    $("#yaml-dryrun").addEventListener("click", () => this.dryRun());
    $("#yaml-apply").addEventListener("click", () => this.applyYaml());
    $("#trace-form").addEventListener("submit", (e) => this.sendTrace(e));
    $("#play").addEventListener("click", () => this.dispatch({ type: this.player?.playing ? "pause" : "play" }));
    $("#step-back").addEventListener("click", () => this.dispatch({ type: "stepBack" }));
    $("#step-forward").addEventListener("click", () => this.dispatch({ type: "stepForward" }));
    $("#replay").addEventListener("click", () => this.dispatch({ type: "replay" }));
    const speed = $("#speed");
    speed.replaceChildren(...SPEEDS.map((s) => el("option", { value: s, selected: s === 1 }, `${s}×`)));
    speed.addEventListener("change", () => this.dispatch({ type: "speed", speed: Number(speed.value) }));
    $("#theme").addEventListener("click", () => {
      const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      localStorage.setItem("clusterlab-theme", next);
      this.canvas.setTheme(next);
    });
    $("#fit").addEventListener("click", () => this.canvas.fit());
    $("#png").addEventListener("click", () => {
      const a = el("a", { href: this.canvas.png(), download: `cluster-${this.clusterId}.png` });
      a.click();
    });
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.addEventListener("click", () => {
        for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t === tab));
        for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== tab.dataset.tab;
      });
    }
    if (!this.canWrite) for (const b of document.querySelectorAll("[data-add], #yaml-apply, #undo")) b.disabled = true;
    window.clusterlab = this; // for the browser tests and the curious
  }
}

const root = typeof document !== "undefined" ? document.getElementById("editor") : null;
if (root) new Editor(root);
