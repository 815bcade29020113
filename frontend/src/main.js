// The cluster editor: canvas, palette, inspector, YAML pane, packet player, presence.
// State = initial fetch + `cluster.changed` events (store.js); every edit goes through
// the REST API (one validation path, field-level errors); traces and presence come
// over the WebSocket.

import { EditorView, basicSetup } from "codemirror";
import { yaml as yamlLang } from "@codemirror/lang-yaml";
import YAML from "yaml";
import { ApiError, clusterApi, request } from "./api.js";
import { clearCanvasMarks, markOnCanvas, podAttribution, policyAttribution } from "./attribution.js";
import { Canvas } from "./canvas.js";
import { CNI_CHOICES, comparisonRows, comparisonWarnings } from "./compare.js";
import { explainVerdict, HeatmapView, MARGIN, MAX_FIT_CELL, toCSV } from "./heatmap.js";
import { LiveSocket } from "./live.js";
import { VERDICT } from "./palette.js";
import { applyChange, fromFetch, listKind, matchesLabelSelector, objectKey } from "./store.js";
import { appendScrollback, createHistory, enterRuns, historyDown, historyUp, pushHistory, renderResult } from "./console.js";
import { buildTimeline, frameAt, headerChanges, initialPlayer, reduce, SPEEDS } from "./timeline.js";
import { dryRunParams, whatIfView, withLabels } from "./whatif.js";

const PLURAL = { Namespace: "namespaces", Node: "nodes", Pod: "pods", Service: "services", NetworkPolicy: "networkpolicies", EndpointSlice: "endpointslices" };
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
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

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
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
    this.apiBase = root.dataset.apiBase;
    this.reach = { payload: null, stack: [], stale: true, abort: null, explained: new Map(), pending: null, diff: null };
    this.heatmap = new HeatmapView($("#heatmap"), $("#heatmap-tip"), {
      onClick: (d) => this.heatmapClick(d),
      onExplain: (src, dst) => this.explainCell(src, dst),
      onToggle: (ns, view) => (view.grid ? view.toggle(ns) : this.drillDown(ns, null)),
    });
    this.heatmap.setTheme(theme);
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
      "console.output": (m) => this.onConsoleOutput(m),
      access: (m) => this.setCanWrite(m.can_write),
      error: (m) => (m.field === "command" ? this.onConsoleOutput({ stderr: m.error + "\n", exit_code: 1 }) : this.flash(m.error, "error")),
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
    if (meta.name) {
      $("#cluster-name").textContent = meta.name; // a rename reaches every open editor
      document.title = `${meta.name} · ClusterLab`;
    }
    const cni = meta.config?.cni ?? { plugin: "flannel", mode: "vxlan" };
    $("#cni-info").textContent = `${cni.plugin} ${cni.mode ?? ""}${cni.crossSubnet ? " (CrossSubnet)" : ""}`;
    const warn = $("#policy-warning");
    warn.hidden = (cni.plugin ?? "flannel") !== "flannel" || listKind(this.state, "networkpolicies").length === 0;
    this.fillTraceChoices();
    this.reachabilityChanged();
    if (this.selected) {
      const fresh = this.state.objects.get(objectKey(this.selected));
      this.select(fresh ?? null, true);
    } else if ((this.inspectorMode ?? "empty") === "empty") {
      this.select(null, true); // refresh the list of policies
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

  /** The owner changed this viewer's share while the cluster is open. */
  setCanWrite(canWrite) {
    if (canWrite === this.canWrite) return;
    this.canWrite = canWrite;
    for (const b of document.querySelectorAll("[data-add]")) b.disabled = !canWrite;
    if (!canWrite) for (const b of document.querySelectorAll("#yaml-apply, #undo")) b.disabled = true;
    this.flash(canWrite ? "You may now edit this cluster" : "Your access to this cluster is now read-only");
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
    clearCanvasMarks(this.canvas);
    this.inspectorMode = obj ? "object" : "empty";
    if (!obj) {
      box.append(el("p", { class: "muted" }, "Select a node, pod or Service on the canvas, or add one from the palette."));
      const policies = this.state ? listKind(this.state, "networkpolicies") : [];
      if (policies.length) {
        box.append(el("p", {}, "NetworkPolicies (select to see targets, peers and kubectl describe): ",
          ...policies.flatMap((p, i) => [i ? ", " : "", el("button", { type: "button", class: "link", "data-policy": `${p.namespace}/${p.name}`, onclick: () => this.select(p) }, `${p.namespace}/${p.name}`)])));
      }
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
    // At once from the local state, then the engine's answer (targets, peers, describe).
    const sel = pol.manifest?.spec?.podSelector ?? {};
    const ids = listKind(this.state, "pods").filter((p) => p.namespace === pol.namespace && matchesLabelSelector(sel, p.labels)).map((p) => objectKey(p));
    this.canvas.highlight(ids);
    const box = el("div", { class: "attribution", id: "policy-attribution" }, el("p", { class: "muted" }, "Targets and peers…"));
    $("#inspector-body").append(box);
    request("GET", `${this.apiBase}networkpolicies/${pol.namespace}/${pol.name}/describe`).then((attr) => {
      if (this.selected !== pol) return;
      const view = policyAttribution(attr);
      box.replaceChildren(
        attr.warning ? el("p", { class: "warning", role: "alert" }, attr.warning) : "",
        el("p", {}, view.lines.join(" · ")),
        el("p", { class: "legend" }, el("span", { class: "swatch target" }), " targets ", el("span", { class: "swatch peer" }), " peers"),
        el("pre", { class: "describe" }, attr.describe),
      );
      markOnCanvas(this.canvas, view.targets, view.peers);
    }).catch((e) => box.replaceChildren(el("p", { class: "error" }, `Attribution unavailable: ${e.message}`)));
  }

  highlightPodPolicies(pod) {
    this.canvas.highlight([objectKey(pod)]);
    const box = el("div", { class: "attribution", id: "pod-attribution" }, el("p", { class: "muted" }, "Policies…"));
    $("#inspector-body").append(box);
    request("GET", `${this.apiBase}pods/${pod.namespace}/${pod.name}/policies`).then((attr) => {
      if (this.selected !== pod) return;
      const view = podAttribution(attr);
      const link = (key) => {
        const obj = this.state.objects.get(`NetworkPolicy/${key}`);
        return obj ? el("button", { type: "button", class: "link", onclick: () => this.select(obj) }, key) : el("span", {}, key);
      };
      box.replaceChildren(
        attr.warning && view.policies.length ? el("p", { class: "warning", role: "alert" }, attr.warning) : "",
        el("p", {}, "Selected by: ", ...(view.policies.length ? view.policies.flatMap((k, i) => [i ? ", " : "", link(k)]) : ["no NetworkPolicy"])),
        el("ul", { class: "attr-lines" }, view.lines.map((l) => el("li", {}, l))),
        view.peers.length ? el("p", { class: "legend" }, el("span", { class: "swatch target" }), " this pod ", el("span", { class: "swatch peer" }), " admitted peers") : "",
      );
      if (view.policies.length) markOnCanvas(this.canvas, view.targets, view.peers);
    }).catch((e) => box.replaceChildren(el("p", { class: "error" }, `Attribution unavailable: ${e.message}`)));
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
    const manifest = withLabels(obj.manifest, parseLabels(form.labels.value));
    const version = this.state.resourceVersion;
    const commit = async () => {
      try {
        await this.api.update(PLURAL[obj.kind], obj.namespace, obj.name, manifest, version);
        this.showFieldErrors(form, null);
        this.flash("Saved");
        await this.refreshIfBehind();
      } catch (e) {
        this.showFieldErrors(form, e);
      }
    };
    await this.previewThen(manifest, form, commit);
  }

  /**
   * What-if before a form's write: dry-run the manifest, show the flows it opens and
   * cuts; a change that moves no flow is written at once (the flash says so), one that
   * does waits for "Apply" or "Discard".
   */
  async previewThen(manifest, form, commit) {
    let diff;
    try {
      const r = await request("POST", `${this.apiBase}manifests?${dryRunParams(this.reachPort())}`, { json: { yaml: YAML.stringify(manifest) } });
      diff = r.matrix_diff;
    } catch (e) {
      this.showFieldErrors(form, e);
      return;
    }
    form.querySelector(".whatif")?.remove();
    const view = whatIfView(diff);
    if (!view.changes) {
      await commit();
      this.flash(`${view.headline} — applied`);
      return;
    }
    this.setPendingDiff(diff);
    const box = this.renderWhatIf(view, {
      apply: async () => {
        box.remove();
        this.setPendingDiff(null);
        await commit();
      },
      discard: () => {
        box.remove();
        this.setPendingDiff(null);
        this.flash("Discarded: nothing was saved");
      },
    });
    form.append(box);
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
    const target = obj.kind === "Pod" ? this.nodeAt(x, y, obj.status?.node_name ?? obj.node_name) : null;
    if (target) return this.proposeReschedule(obj, target);
    try {
      await this.api.move(PLURAL[obj.kind], obj.namespace, obj.name, Math.round(x), Math.round(y));
    } catch (e) {
      this.flash(`Position not saved: ${e.message}`, "error");
    }
  }

  /** The node whose box holds (x, y), other than `except`. */
  nodeAt(x, y, except) {
    for (const node of listKind(this.state, "nodes")) {
      if (node.name === except) continue;
      const b = this.canvas.box(`Node//${node.name}`);
      if (b && Math.abs(x - b.x) <= b.w / 2 && Math.abs(y - b.y) <= b.h / 2) return node.name;
    }
    return null;
  }

  /**
   * A pod dropped on another node: a real pod never moves (its spec is immutable), it is
   * deleted and created again there. Show that change as a dry run first — the flows it
   * opens and cuts — and let the user apply or discard it from the YAML pane.
   */
  async proposeReschedule(pod, nodeName) {
    this.render(); // the pod goes back to its node until the change is applied
    if (!pod.manifest) {
      this.flash(`${pod.name} belongs to a workload; change the workload's nodeSelector instead`, "error");
      return;
    }
    const manifest = structuredClone(pod.manifest);
    manifest.spec = { ...(manifest.spec ?? {}), nodeName };
    delete manifest.status;
    this.setYaml(YAML.stringify(manifest));
    $("[data-tab=panel-yaml]").click();
    this.flash(`Moving ${pod.namespace}/${pod.name} to ${nodeName} = delete and recreate it there (new IP). Review the flows below, then Apply or Discard.`);
    await this.dryRun();
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
    this.inspectorMode = "palette";
    this.selected = null; // the form owns the inspector until it is done
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
      const version = this.state.resourceVersion;
      await this.previewThen(manifest, form, async () => {
        try {
          await this.api.create(PLURAL[kind], manifest, {}, version);
          this.flash(`Added ${kind} ${values.name}`);
          await this.refreshIfBehind();
          this.showFieldErrors(form, null);
        } catch (err) {
          this.showFieldErrors(form, err);
        }
      });
    });
    box.append(form);
    form.querySelector("input")?.focus();
  }

  // ------------------------------------------------------------------ YAML pane

  setYaml(text) {
    this.yaml.dispatch({ changes: { from: 0, to: this.yaml.state.doc.length, insert: text } });
    this.lastDryRun = null;
    $("#yaml-apply").disabled = true;
    $("#yaml-discard").disabled = true;
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
      const q = dryRunParams(this.reachPort());
      if ($("#yaml-prune").checked) q.set("prune", "true");
      const r = await request("POST", `${this.apiBase}manifests?${q}`, { json: { yaml: text } });
      const line = (label, items) => (items?.length ? el("div", { class: `diff-${label}` }, `${label}: `, items.map((i) => `${i.kind} ${i.namespace ? i.namespace + "/" : ""}${i.name}`).join(", ")) : null);
      out.replaceChildren(el("strong", {}, "Dry run — nothing saved yet"), ...["created", "updated", "deleted"].map((k) => line(k, r[k])).filter(Boolean));
      if (r.matrix_diff) {
        this.setPendingDiff(r.matrix_diff);
        out.append(this.renderWhatIf(whatIfView(r.matrix_diff), null));
      }
      this.lastDryRun = text;
      $("#yaml-apply").disabled = !this.canWrite;
      $("#yaml-discard").disabled = false;
    } catch (e) {
      out.replaceChildren(el("strong", { class: "error" }, e.message), ...(e.errors ?? []).map((x) => el("div", { class: "error" }, x.message)));
    }
  }

  discardYaml() {
    this.lastDryRun = null;
    this.setPendingDiff(null);
    $("#yaml-apply").disabled = true;
    $("#yaml-discard").disabled = true;
    $("#yaml-result").replaceChildren(el("strong", {}, "Discarded — nothing was saved"));
  }

  /** The what-if block: headline, loud notes, namespace pairs, pod pairs, buttons. */
  renderWhatIf(view, actions) {
    const pairs = (label, items, more, cls) => (items.length ? el("details", { open: items.length <= 20 },
      el("summary", {}, `${label} (${items.length + more})`),
      el("ul", { class: `whatif-pairs ${cls}` }, items.map((p) => el("li", { class: "mono" }, p)), more ? el("li", { class: "muted" }, `… and ${more} more`) : "")) : "");
    const box = el("div", { class: `whatif tone-${view.tone}`, "aria-live": "polite" },
      el("strong", { class: "whatif-headline" }, view.headline),
      ...view.notes.map((n) => el("p", { class: "warning", role: "alert" }, n)),
      view.groups.length ? el("ul", { class: "whatif-groups" }, view.groups.map((g) => el("li", {}, g.text)), view.moreGroups ? el("li", { class: "muted" }, `… ${view.moreGroups} more namespace pairs`) : "") : "",
      pairs("Cut", view.cut, view.moreCut, "cut"),
      pairs("Opened", view.opened, view.moreOpened, "opened"),
      view.changes ? el("div", { class: "row" },
        actions ? el("button", { type: "button", class: "whatif-apply", onclick: actions.apply }, "Apply") : "",
        actions ? el("button", { type: "button", class: "whatif-discard", onclick: actions.discard }, "Discard") : "",
        el("button", { type: "button", class: "whatif-show", onclick: () => this.openTab("panel-reach") }, "Show on heatmap")) : "");
    return box;
  }

  setPendingDiff(diff) {
    this.reach.diff = diff;
    this.heatmap.setDiff(diff);
    const note = $("#reach-whatif");
    if (!diff) note.replaceChildren();
    else note.replaceChildren(el("p", { class: "whatif-note" }, el("span", { class: "swatch cut" }), " cut ", el("span", { class: "swatch opened" }), " opened by the pending change: ", whatIfView(diff).headline));
  }

  async applyYaml() {
    const text = this.yaml.state.doc.toString();
    if (text !== this.lastDryRun) return this.dryRun();
    try {
      await this.api.apply(text, { prune: $("#yaml-prune").checked, version: this.state.resourceVersion });
      $("#yaml-result").replaceChildren(el("strong", {}, "Applied"));
      $("#yaml-apply").disabled = true;
      $("#yaml-discard").disabled = true;
      this.setPendingDiff(null);
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
    this.reportHeatmapTrace(msg);
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

  // ------------------------------------------------------------------ reachability

  openTab(id) {
    for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t.dataset.tab === id));
    for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== id;
    if (id === "panel-reach") {
      this.sizeHeatmap();
      if (this.reach.stale || !this.reach.payload) this.loadHeatmap();
    }
  }

  reachPort() {
    const raw = $("#reach-port").value.trim() || "80";
    return { port: /^\d+$/.test(raw) ? Number(raw) : raw, protocol: $("#reach-protocol").value };
  }

  reachQuery() {
    const { port, protocol } = this.reachPort();
    const body = { port, protocol, verdict: $("#reach-verdict").value, effective: $("#reach-effective").checked };
    const ns = $("#reach-namespaces").value.split(",").map((x) => x.trim()).filter(Boolean);
    if (ns.length) body.namespaces = ns;
    const sel = $("#reach-selector").value.trim();
    if (sel) body.labelSelector = sel;
    return body;
  }

  /** The cluster changed: redraw the heatmap if it is on screen, else on next open. */
  reachabilityChanged() {
    const cni = this.state.meta.config?.cni ?? { plugin: "flannel" };
    const loud = (cni.plugin ?? "flannel") === "flannel";
    const warn = $("#reach-warning");
    warn.hidden = !loud;
    warn.textContent = loud ? "Flannel does not enforce NetworkPolicy: red cells are what the policies say, but every packet is delivered. Tick “what packets do” to see that, or compare under Calico in the Compare tab." : "";
    if (this.reach.version === this.state.resourceVersion) return;
    this.reach.stale = true;
    this.reach.explained.clear();
    if (!$("#panel-reach").hidden) {
      clearTimeout(this.reach.timer);
      this.reach.timer = setTimeout(() => this.loadHeatmap({ keepView: true, keepDrill: true }), 100);
    }
  }

  sizeHeatmap() {
    const wrap = $("#heatmap").parentElement;
    const w = Math.max(240, wrap.clientWidth);
    const p = this.reach.payload;
    const rows = p ? (p.level === "pod" ? p.row_count : p.namespaces.rows.length) : Infinity;
    const fits = MARGIN.top + rows * MAX_FIT_CELL + 12; // a small cluster needs little room
    this.heatmap.resize(w, Math.max(200, Math.min(w, window.innerHeight * 0.62, fits)));
  }

  cancelHeatmap() {
    this.reach.abort?.abort();
  }

  /**
   * Fetch and draw. Progress: server time, then download size, then drawing. Cancel
   * aborts the fetch; the server finishes its computation anyway and keeps the matrix
   * in the version's cache, so asking again is quick.
   */
  async loadHeatmap({ keepView = false, keepDrill = false, drill = null } = {}) {
    this.reach.abort?.abort();
    const ctl = new AbortController();
    this.reach.abort = ctl;
    let query = this.reachQuery();
    if (drill) query = { ...query, ...drill };
    else if (keepDrill && this.reach.drill) query = { ...query, ...this.reach.drill };
    else this.reach.stack = [];
    const progress = $("#reach-progress");
    const cancel = $("#reach-cancel");
    const t0 = performance.now();
    const version = this.state?.resourceVersion;
    let phase = "computing on the server";
    const tick = () => (progress.textContent = `${phase}… ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    tick();
    const timer = setInterval(tick, 100);
    cancel.hidden = false;
    try {
      const res = await fetch(`${this.apiBase}reachability`, {
        method: "POST", credentials: "same-origin", signal: ctl.signal,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(query),
      });
      const tServer = performance.now();
      const serverTiming = Object.fromEntries((res.headers.get("Server-Timing") ?? "").split(",").map((x) => x.trim().match(/^(\w+);dur=([\d.]+)/)).filter(Boolean).map((m) => [m[1], Number(m[2])]));
      const total = Number(res.headers.get("Content-Length")) || 0;
      const reader = res.body.getReader();
      const chunks = [];
      let got = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        got += value.length;
        phase = `downloading ${Math.round(got / 1024)}${total ? " of " + Math.round(total / 1024) : ""} KB`;
      }
      const bytes = new Uint8Array(got);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      const data = JSON.parse(new TextDecoder().decode(bytes));
      if (!res.ok) throw new ApiError(res.status, data);
      const tFetched = performance.now();
      phase = "drawing";
      tick();
      this.reach.payload = data;
      this.reach.drill = drill ?? (keepDrill ? this.reach.drill : null);
      this.reach.stale = false;
      this.reach.version = version;
      this.sizeHeatmap();
      this.heatmap.setData(data, { keepView });
      const tDrawn = performance.now();
      this.heatmapTimings = { server_ms: tServer - t0, snapshot_ms: serverTiming.snapshot ?? null, matrix_ms: serverTiming.matrix ?? null, download_ms: tFetched - tServer, draw_ms: tDrawn - tFetched, total_ms: tDrawn - t0, bytes: got, level: data.level, rows: data.row_count, columns: data.column_count };
      progress.textContent = `${data.level === "pod" ? `${data.row_count} × ${data.column_count} pods` : `${data.namespaces.rows.length} × ${data.namespaces.columns.length} namespaces (${data.total_pods} pods: click a cell to drill down)`} · ${(this.heatmapTimings.total_ms / 1000).toFixed(2)} s`;
      $("#reach-summary").textContent = data.summary_text;
      $("#reach-back").hidden = !this.reach.drill;
      this.reach.ready = (this.reach.ready ?? 0) + 1;
    } catch (e) {
      if (e.name === "AbortError") progress.textContent = "Cancelled. The server finishes the computation in the background and keeps it cached: Show again is quick.";
      else {
        progress.replaceChildren(el("span", { class: "error" }, e.message), ...(e.errors ?? []).map((x) => el("div", { class: "error" }, x.message)));
      }
    } finally {
      clearInterval(timer);
      if (this.reach.abort === ctl) {
        cancel.hidden = true;
        this.reach.abort = null;
      }
    }
  }

  /** Summary cell or namespace band → ask for the pods of one namespace against another. */
  drillDown(fromNs, toNs) {
    this.reach.stack.push(this.reach.drill);
    const drill = { from: { namespaces: [fromNs] }, to: { namespaces: [toNs ?? fromNs] } };
    return this.loadHeatmap({ drill });
  }

  drillBack() {
    const previous = this.reach.stack.pop() ?? null;
    this.reach.drill = previous;
    return this.loadHeatmap({ drill: previous, keepDrill: false });
  }

  heatmapClick(d) {
    if (d.level === "namespace") return this.drillDown(d.row.ns, d.col.ns);
    if (d.row.kind !== "pod" || d.col.kind !== "pod") {
      for (const e of [d.row, d.col]) if (e.kind === "ns") this.heatmap.toggle(e.ns);
      return;
    }
    this.playCell(d.row.key, d.col.key);
  }

  /** Play the packet of one cell on the canvas (over the WebSocket, like the Trace tab). */
  playCell(source, target) {
    const { port, protocol } = this.reachPort();
    this.reach.pending = { source, target, port, protocol };
    $("#trace-from").value = source;
    $("#trace-to").value = target;
    $("#trace-port").value = String(port);
    $("#trace-protocol").value = protocol;
    $("#reach-played").replaceChildren(el("span", { class: "muted" }, `Playing ${source} → ${target} on ${protocol}/${port}…`));
    $("#verdict").textContent = "tracing…";
    $("#verdict").className = "verdict";
    this.live.send({ type: "trace", source, target, port, protocol });
  }

  reportHeatmapTrace(msg) {
    const want = this.reach.pending;
    const req = msg.request ?? this.trace?.request ?? {};
    if (!want || req.from !== want.source || req.to !== want.target) return;
    this.reach.pending = null;
    const hops = this.trace.hops;
    const last = hops[hops.length - 1];
    const where = last ? `${last.place?.node ? last.place.node + " · " : ""}${last.place?.name ?? ""}` : "";
    const text = msg.verdict === "delivered"
      ? `Played ${want.source} → ${want.target}: delivered in ${hops.length} hops.`
      : `Played ${want.source} → ${want.target}: ${msg.verdict.toUpperCase()} at ${where} by ${last?.rule ?? "?"} — ${msg.reason ?? ""}`;
    $("#reach-played").replaceChildren(el("p", { class: `played ${msg.verdict}` }, text));
  }

  /** Hover: the deciding policies and rules of one cell, asked once per version. */
  async explainCell(src, dst) {
    const { port, protocol } = this.reachPort();
    const key = `${src}|${dst}|${port}|${protocol}`;
    if (!this.reach.explained.has(key)) {
      this.reach.explained.set(key, request("POST", `${this.apiBase}policy`, { json: { from: src, to: dst, port, protocol } }).then(explainVerdict, (e) => [`(${e.message})`]));
    }
    return this.reach.explained.get(key);
  }

  wireReachability() {
    $("#reach-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.loadHeatmap();
    });
    $("#reach-cancel").addEventListener("click", () => this.cancelHeatmap());
    $("#reach-back").addEventListener("click", () => this.drillBack());
    $("#reach-collapse").addEventListener("click", () => this.heatmap.setCollapsed(true));
    $("#reach-expand").addEventListener("click", () => this.heatmap.setCollapsed(false));
    $("#reach-csv").addEventListener("click", () => {
      if (!this.reach.payload) return;
      const url = URL.createObjectURL(new Blob([toCSV(this.reach.payload)], { type: "text/csv" }));
      el("a", { href: url, download: `reachability-${this.clusterId}-${this.reach.payload.protocol}-${this.reach.payload.port}.csv` }).click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
    $("#reach-png").addEventListener("click", () => {
      if (this.reach.payload) el("a", { href: this.heatmap.png(), download: `reachability-${this.clusterId}.png` }).click();
    });
    $("#reach-wide").addEventListener("click", () => {
      this.root.classList.toggle("wide-side");
      setTimeout(() => this.sizeHeatmap(), 50);
    });
    new ResizeObserver(() => {
      if (!$("#panel-reach").hidden) this.sizeHeatmap();
    }).observe($("#heatmap").parentElement);
  }

  // ------------------------------------------------------------------ CNI comparison

  wireCompare() {
    const select = $("#compare-cni");
    select.replaceChildren(...CNI_CHOICES.map(([p, m]) => el("option", { value: `${p}/${m}` }, `${p} ${m}`)));
    select.value = "calico/ipip";
    $("#compare-flow").addEventListener("click", () => {
      const from = $("#trace-from").value;
      const flow = { from: from.startsWith("node:") ? { node: from.slice(5) } : from.startsWith("ip:") ? { ip: from.slice(3) } : from, to: $("#trace-to").value.trim(), port: /^\d+$/.test($("#trace-port").value.trim()) ? Number($("#trace-port").value.trim()) : $("#trace-port").value.trim(), protocol: $("#trace-protocol").value };
      this.compare({ flow });
    });
    $("#compare-matrix").addEventListener("click", () => this.compare({ matrix: this.reachPort() }));
  }

  async compare(what) {
    const [plugin, mode] = $("#compare-cni").value.split("/");
    const out = $("#compare-result");
    out.replaceChildren(el("p", { class: "muted" }, "Comparing… (nothing is saved)"));
    try {
      const r = await request("POST", `${this.apiBase}compare`, { json: { plugin, mode, crossSubnet: $("#compare-cross").checked, ...what } });
      const rows = comparisonRows(r);
      out.replaceChildren(
        ...comparisonWarnings(r).map((w) => el("p", { class: "warning", role: "alert" }, w)),
        el("table", { class: "compare" },
          el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, `now: ${r.current.label}`), el("th", {}, `under ${r.alternative.label}`))),
          el("tbody", {}, rows.map((row) => el("tr", { class: `${row.differs ? "differs" : ""}${row.loud ? " loud" : ""}` }, el("th", {}, row.label), el("td", {}, row.current), el("td", {}, row.alternative))))),
        el("ul", { class: "compare-differences" }, r.differences.map((d) => el("li", {}, d))),
        el("p", { class: "muted" }, r.note),
      );
    } catch (e) {
      out.replaceChildren(el("strong", { class: "error" }, e.message), ...(e.errors ?? []).map((x) => el("div", { class: "error" }, x.message)));
    }
  }

  // ------------------------------------------------------------------ console

  sendConsole(e) {
    e?.preventDefault();
    const input = $("#console-input");
    const command = input.value;
    if (!command.trim()) return;
    const namespace = $("#console-ns").value.trim() || "default";
    this.history = pushHistory(this.history ?? createHistory(), command);
    this.showConsole(renderResult({ stdout: "", stderr: "", exit_code: 0 }, command, namespace).lines);
    // A write command answers with a what-if on the heatmap's port before it applies.
    this.live.send({ type: "console", command, namespace, ...this.reachPort() });
    input.value = "";
    input.rows = 1;
  }

  onConsoleOutput(msg) {
    this.showConsole(renderResult(msg).lines);
    if (msg.note) this.showConsole([{ stream: "note", text: msg.note }]);
    const box = $("#console-whatif");
    if (msg.pending && msg.whatif) {
      // Flows move: show them and wait for "Apply" or "Discard" (the server keeps the plan).
      this.setPendingDiff(msg.whatif);
      const decide = (type) => {
        box.replaceChildren();
        this.setPendingDiff(null);
        this.live.send({ type, token: msg.pending });
      };
      box.replaceChildren(this.renderWhatIf(whatIfView(msg.whatif), {
        apply: () => decide("console.apply"),
        discard: () => decide("console.discard"),
      }));
    } else if (msg.whatif) {
      box.replaceChildren(this.renderWhatIf(whatIfView(msg.whatif), null)); // --dry-run: shown, nothing to apply
    } else if (msg.resolved) {
      box.replaceChildren();
    }
  }

  showConsole(lines) {
    this.scrollback = appendScrollback(this.scrollback ?? [], lines);
    const out = $("#console-out");
    out.append(...lines.map((l) => el("div", { class: `console-line console-${l.stream}` }, l.text || "\u00a0")));
    while (out.childElementCount > 5000) out.firstElementChild.remove();
    out.scrollTop = out.scrollHeight;
  }

  consoleKey(e) {
    const input = e.target;
    if (e.key === "Enter") {
      // Enter runs the command; Shift+Enter, or Enter inside an open <<EOF, adds a line.
      if (enterRuns(input.value, { shiftKey: e.shiftKey })) {
        this.sendConsole(e);
      } else {
        input.rows = Math.min(20, input.value.split("\n").length + 1);
      }
      return;
    }
    if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
    // In a multi-line command the arrows move the caret; history is above the first
    // line and below the last, as in a shell's line editor.
    const before = input.value.slice(0, input.selectionStart);
    const after = input.value.slice(input.selectionEnd);
    if (e.key === "ArrowUp" && before.includes("\n")) return;
    if (e.key === "ArrowDown" && after.includes("\n")) return;
    e.preventDefault();
    const step = e.key === "ArrowUp" ? historyUp : historyDown;
    const r = step(this.history ?? createHistory(), input.value);
    this.history = r.history;
    input.value = r.text;
    input.rows = Math.min(20, r.text.split("\n").length);
  }

  // ------------------------------------------------------------------ wiring

  wire() {
    for (const btn of document.querySelectorAll("[data-add]")) btn.addEventListener("click", () => this.openPalette(btn.dataset.add));
    $("#undo").addEventListener("click", () => this.undoDelete());
    $("#yaml-whole").addEventListener("click", () => this.showWholeCluster());
    $("#yaml-dryrun").addEventListener("click", () => this.dryRun());
    $("#yaml-apply").addEventListener("click", () => this.applyYaml());
    $("#trace-form").addEventListener("submit", (e) => this.sendTrace(e));
    $("#console-form").addEventListener("submit", (e) => this.sendConsole(e));
    $("#console-input").addEventListener("keydown", (e) => this.consoleKey(e));
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
      this.heatmap.setTheme(next);
    });
    $("#fit").addEventListener("click", () => this.canvas.fit());
    $("#png").addEventListener("click", () => {
      const a = el("a", { href: this.canvas.png(), download: `cluster-${this.clusterId}.png` });
      a.click();
    });
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.addEventListener("click", () => this.openTab(tab.dataset.tab));
    }
    $("#yaml-discard").addEventListener("click", () => this.discardYaml());
    this.wireReachability();
    this.wireCompare();
    if (!this.canWrite) for (const b of document.querySelectorAll("[data-add], #yaml-apply, #undo")) b.disabled = true;
    window.clusterlab = this; // for the browser tests and the curious
  }
}

const root = typeof document !== "undefined" ? document.getElementById("editor") : null;
if (root) new Editor(root);
