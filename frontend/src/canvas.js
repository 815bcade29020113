// The topology canvas, drawn with Cytoscape.js (zoom, pan, drag, hit testing and
// compound nodes come from the library). Kubernetes nodes are compound boxes holding
// their pods; Services sit in a band above with dashed edges to the pods they select;
// NetworkPolicies mark the pods they select. A packet is a small node moved along the
// hop places; when encapsulated, a ring (the outer packet) carries it.

import cytoscape from "cytoscape";
import { key, layoutCluster, podDetail } from "./layout.js";
import { namespaceColour, THEMES, VERDICT } from "./palette.js";
import { placePoint } from "./places.js";
import { listKind, matchesLabelSelector, selects } from "./store.js";

const CNI_DEVICES = {
  flannel: { vxlan: "cni0 · flannel.1", "host-gw": "cni0" },
  canal: { vxlan: "cni0 · flannel.1", "host-gw": "cni0" },
  calico: { ipip: "cali* · tunl0", vxlan: "cali* · vxlan.calico", bgp: "cali*" },
  weave: { fastdp: "weave · datapath", sleeve: "weave" },
  cilium: { vxlan: "cilium_host · cilium_vxlan", geneve: "cilium_host · cilium_geneve", native: "cilium_host" },
};

function style(theme) {
  const t = THEMES[theme];
  return [
    { selector: "node", style: { "font-family": "system-ui, sans-serif", color: t.fg, "text-wrap": "wrap", "min-zoomed-font-size": 7 } },
    {
      selector: "node.k8s-node",
      style: {
        shape: "round-rectangle", "background-color": t.node, "border-color": t.nodeBorder, "border-width": 2,
        label: "data(label)", "text-valign": "top", "text-halign": "center", "text-margin-y": -4, "font-size": 13,
        "font-weight": 600, padding: 24,
      },
    },
    { selector: "node.k8s-node.notready", style: { "border-style": "dashed", "border-color": VERDICT.dropped } },
    {
      selector: "node.pod",
      style: {
        shape: "round-rectangle", width: 150, height: 64, "background-color": "data(colour)", "background-opacity": 0.18,
        "border-color": "data(colour)", "border-width": 2, label: "data(label)", "font-size": 10,
        "text-valign": "center", "text-halign": "center", "text-max-width": 140,
      },
    },
    { selector: "node.pod.notready", style: { "border-style": "dashed", "background-opacity": 0.05 } },
    { selector: "node.pod.isolated", style: { "border-width": 5, "border-style": "double" } },
    {
      selector: "node.service",
      style: {
        shape: "hexagon", width: 170, height: 70, "background-color": "#56B4E9", "background-opacity": 0.2,
        "border-color": "#0072B2", "border-width": 2, label: "data(label)", "font-size": 10, "text-max-width": 160,
        "text-valign": "center",
      },
    },
    {
      selector: "node.external",
      style: { shape: "round-diamond", width: 120, height: 70, "background-color": "#CC79A7", "background-opacity": 0.2, "border-color": "#CC79A7", "border-width": 2, label: "data(label)", "font-size": 10, "text-valign": "center" },
    },
    // solid, not dashed: dashed edges are the costliest thing to redraw at a new zoom
    { selector: "edge.selects", style: { width: 1.5, "line-color": "#56B4E9", opacity: 0.6, "curve-style": "straight", "target-arrow-shape": "none" } },
    { selector: "edge.policy", style: { width: 2, "line-color": "#D55E00", "line-style": "dotted", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#D55E00" } },
    // Level of detail (layout.podDetail), after the base rules it overrides: what is drawn
    // must stay readable on screen.
    // Zoomed out, a pod shows its name only, in a font that zoom still draws at >= 7 px;
    // further out only nodes are named (in a large font) and pods are coloured boxes.
    { selector: "node.pod.lod-name", style: { label: "data(short)", "font-size": 20, "text-wrap": "ellipsis" } },
    { selector: "node.pod.lod-dot", style: { label: "" } },
    { selector: "node.k8s-node.lod-name", style: { "font-size": 24 } },
    { selector: "node.k8s-node.lod-dot", style: { label: "data(short)", "font-size": 64 } },
    { selector: "node.service.lod-name", style: { label: "data(short)", "font-size": 20, "text-wrap": "ellipsis" } },
    { selector: "node.service.lod-dot", style: { label: "" } },
    { selector: ":selected", style: { "border-color": "#E69F00", "border-width": 4 } },
    { selector: ".faded", style: { opacity: 0.25 } },
    { selector: ".highlight", style: { "border-color": "#E69F00", "border-width": 5 } },
    {
      selector: "node.packet",
      style: { width: 18, height: 18, shape: "ellipse", "background-color": "#E69F00", "border-color": "#000", "border-width": 2, label: "data(label)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 6, events: "no", "z-index": 999 },
    },
    { selector: "node.packet.outer", style: { width: 34, height: 34, "background-opacity": 0, "border-color": "#0072B2", "border-width": 3, label: "data(label)", "text-valign": "top" } },
    { selector: "node.packet.dead", style: { shape: "polygon", "shape-polygon-points": "-1 -0.8 -0.8 -1 0 -0.2 0.8 -1 1 -0.8 0.2 0 1 0.8 0.8 1 0 0.2 -0.8 1 -1 0.8 -0.2 0", "background-color": VERDICT.dropped, width: 30, height: 30 } },
    { selector: "node.hidden", style: { display: "none" } },
  ];
}

function podLabel(pod) {
  const ip = pod.status?.ip ?? pod.ip ?? "<none>";
  const labels = Object.entries(pod.labels ?? {}).filter(([k]) => k !== "pod-template-hash").map(([k, v]) => `${k}=${v}`).join(" ");
  return `${pod.name}\n${ip}${pod.ready === false ? " · NotReady" : ""}\n${labels}`;
}

function nodeLabel(node, config) {
  const st = node.status ?? {};
  const cni = config?.cni ?? {};
  const devices = CNI_DEVICES[cni.plugin ?? "flannel"]?.[cni.mode ?? "vxlan"] ?? "";
  const parts = [`${node.name}${node.ready === false ? " (NotReady)" : ""}`, `${st.internal_ip ?? node.internal_ip ?? ""}${st.subnet ? " · " + st.subnet : ""}`];
  parts.push(`podCIDR ${st.pod_cidr ?? node.pod_cidr ?? "<none>"}   ${devices}`);
  return parts.join("\n");
}

function serviceLabel(svc) {
  const spec = svc.manifest?.spec ?? {};
  const st = svc.status ?? {};
  const type = spec.type ?? "ClusterIP";
  const ip = spec.clusterIP === "None" ? "None (headless)" : st.cluster_ip ?? svc.cluster_ip ?? spec.clusterIP ?? "";
  const ports = (st.ports ?? spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? ":" + p.nodePort : ""}/${p.protocol ?? "TCP"}`).join(",");
  const ext = type === "ExternalName" ? `\n→ ${spec.externalName}` : "";
  return `${svc.name}\n${type} ${ip}\n${ports}${ext}`;
}

export class Canvas {
  constructor(container, { theme = "light", onSelect, onMove } = {}) {
    this.theme = theme;
    this.onSelect = onSelect ?? (() => {});
    this.onMove = onMove ?? (() => {});
    this.cy = cytoscape({
      container,
      style: style(theme),
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 3,
      boxSelectionEnabled: false,
      // Large clusters: pan/zoom move a cached bitmap, edges hide while moving, one
      // device pixel per CSS pixel; labels below a readable size are not drawn at all.
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      pixelRatio: 1,
    });
    this.cy.on("tap", "node", (e) => {
      if (!e.target.hasClass("packet")) this.onSelect(e.target.data("obj"));
    });
    this.cy.on("tap", (e) => {
      if (e.target === this.cy) this.onSelect(null);
    });
    // Until the user zooms or pans, every render fits the whole cluster in view.
    this.userViewport = false;
    this.cy.on("viewport", () => {
      if (!this.programmatic) this.userViewport = true;
    });
    this.detail = null;
    this.cy.on("zoom", () => this.applyDetail());
    this.cy.on("dragfree", "node", (e) => {
      const n = e.target;
      if (n.hasClass("packet")) return;
      const targets = n.isParent() ? n.children().union(n) : n;
      targets.forEach((t) => {
        const p = t.isParent() ? t.boundingBox() : t.position();
        const pos = t.isParent() ? { x: (p.x1 + p.x2) / 2, y: (p.y1 + p.y2) / 2 } : p;
        this.onMove(t.data("obj"), pos.x, pos.y);
      });
    });
  }

  fit() {
    this.fitQuick();
    this.userViewport = false;
  }

  /**
   * Fit the drawing in view from element boxes without their labels: Cytoscape's own
   * fit measures every wrapped label first (0.6 s of a 1,000-pod first render).
   */
  fitQuick(padding = 40) {
    const bb = this.cy.elements().boundingBox({ includeLabels: false, includeOverlays: false });
    const w = this.cy.width();
    const h = this.cy.height();
    if (!Number.isFinite(bb.w) || bb.w <= 0 || bb.h <= 0 || !w || !h) return;
    const zoom = Math.max(this.cy.minZoom(), Math.min(this.cy.maxZoom(),
      Math.min((w - 2 * padding) / bb.w, (h - 2 * padding) / bb.h)));
    this.programmatic = true;
    this.cy.viewport({ zoom, pan: { x: (w - zoom * (bb.x1 + bb.x2)) / 2, y: (h - zoom * (bb.y1 + bb.y2)) / 2 } });
    this.programmatic = false;
  }

  setTheme(theme) {
    this.theme = theme;
    this.cy.style(style(theme));
  }

  /** Replace the drawing with the state's objects (positions from layout.js). */
  render(state) {
    const config = state.meta?.config ?? {};
    const nodes = listKind(state, "nodes");
    const pods = listKind(state, "pods");
    const services = listKind(state, "services");
    const policies = listKind(state, "networkpolicies");
    const namespaces = new Map(listKind(state, "namespaces").map((n) => [n.name, n]));
    const externals = [];
    if (services.some((s) => ["NodePort", "LoadBalancer"].includes(s.manifest?.spec?.type))) externals.push({ kind: "External", namespace: "", name: "client" });
    for (const h of config.externalHosts ?? []) externals.push({ kind: "External", namespace: "", name: h.name || h.ip, ip: h.ip });

    const positions = layoutCluster({ nodes, pods: pods.map((p) => ({ ...p, node_name: p.status?.node_name ?? p.node_name })), services, externals });
    // Selectors only look inside their own namespace: index pods by namespace once, so
    // services × pods and policies × pods stay linear in practice (10k pods, 2k services).
    const podsByNs = new Map();
    for (const pod of pods) {
      if (!podsByNs.has(pod.namespace)) podsByNs.set(pod.namespace, []);
      podsByNs.get(pod.namespace).push(pod);
    }
    const isolated = new Set();
    for (const pol of policies) {
      const sel = pol.manifest?.spec?.podSelector ?? {};
      for (const pod of podsByNs.get(pol.namespace) ?? []) if (matchesLabelSelector(sel, pod.labels)) isolated.add(key(pod, "Pod"));
    }
    const els = [];
    for (const n of nodes) {
      els.push({ group: "nodes", data: { id: key(n, "Node"), label: nodeLabel(n, config), short: n.name, obj: n }, classes: `k8s-node${n.ready === false ? " notready" : ""}` });
    }
    for (const p of pods) {
      const nodeName = p.status?.node_name ?? p.node_name;
      const parent = nodeName && nodes.some((n) => n.name === nodeName) ? `Node//${nodeName}` : undefined;
      els.push({
        group: "nodes",
        data: { id: key(p, "Pod"), parent, label: podLabel(p), short: p.name, colour: namespaceColour(p.namespace), obj: p, ns: namespaces.get(p.namespace)?.name },
        position: positions.get(key(p, "Pod")),
        classes: `pod${p.ready === false ? " notready" : ""}${isolated.has(key(p, "Pod")) ? " isolated" : ""}`,
      });
    }
    for (const s of services) {
      els.push({ group: "nodes", data: { id: key(s, "Service"), label: serviceLabel(s), short: s.name, obj: s }, position: positions.get(key(s, "Service")), classes: "service" });
      const selector = s.manifest?.spec?.selector;
      for (const p of podsByNs.get(s.namespace) ?? []) {
        if (selects(selector, p.labels)) {
          els.push({ group: "edges", data: { id: `sel:${key(s, "Service")}->${key(p, "Pod")}`, source: key(s, "Service"), target: key(p, "Pod") }, classes: "selects" });
        }
      }
    }
    for (const e of externals) {
      els.push({ group: "nodes", data: { id: key(e, "External"), label: `${e.name === "client" ? "external client" : e.name}${e.ip ? "\n" + e.ip : ""}`, obj: e }, position: positions.get(key(e, "External")), classes: "external" });
    }
    const selected = this.cy.$(":selected").map((e) => e.id());
    const viewport = this.cy.elements().length ? { zoom: this.cy.zoom(), pan: this.cy.pan() } : null;
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(els);
    });
    for (const id of selected) this.cy.getElementById(id).select();
    if (viewport && this.userViewport) {
      this.programmatic = true;
      this.cy.viewport(viewport);
      this.programmatic = false;
    } else {
      this.fitQuick();
    }
    this.detail = null;
    this.applyDetail();
    this.state = state;
  }

  /** Switch labels to the level of detail of the current zoom (only when it changes). */
  applyDetail() {
    const detail = podDetail(this.cy.zoom());
    if (detail === this.detail) return;
    this.detail = detail;
    this.cy.batch(() => {
      this.cy.nodes(".pod, .k8s-node, .service").removeClass("lod-full lod-name lod-dot").addClass(`lod-${detail}`);
    });
  }

  /** Highlight a policy's targets (or a pod's policies); null clears. */
  highlight(ids) {
    this.cy.batch(() => {
      this.cy.elements().removeClass("faded highlight");
      if (!ids) return;
      const set = new Set(ids);
      this.cy.nodes().forEach((n) => {
        if (n.hasClass("k8s-node") || n.hasClass("packet")) return;
        n.addClass(set.has(n.id()) ? "highlight" : "faded");
      });
    });
  }

  box(id) {
    const el = this.cy.getElementById(id);
    if (!el || el.empty()) return null;
    const b = el.boundingBox({ includeLabels: false });
    return { x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2, w: b.w, h: b.h };
  }

  /** Draw one animation frame of the packet player (from timeline.frameAt). */
  /**
   * Draw one animation frame of the packet player (from timeline.frameAt) on an overlay
   * canvas of its own: moving a Cytoscape element would make Cytoscape redraw every
   * node and edge each frame (2.5-7 fps at 1,000 pods; 60 fps this way —
   * docs/performance.md). The packet is a dot with its header; when encapsulated, a ring
   * (the outer packet) carries it; a drop is a cross.
   */
  drawPacket(frame, hops) {
    this.lastPacket = frame && frame.index >= 0 ? { frame, hops } : null;
    const overlay = this.packetLayer();
    const ctx = overlay.getContext("2d");
    const w = overlay.clientWidth;
    const h = overlay.clientHeight;
    if (overlay.width !== w || overlay.height !== h) {
      overlay.width = w;
      overlay.height = h;
    }
    ctx.clearRect(0, 0, w, h);
    if (!this.lastPacket) return;
    const hop = frame.hop;
    const prev = frame.index > 0 ? hops[frame.index - 1] : hop;
    const boxOf = (id) => this.box(id);
    const from = placePoint(prev.place, boxOf, prev.packet_out) ?? placePoint(hop.place, boxOf);
    const to = placePoint(hop.place, boxOf, hop.packet_in) ?? from;
    if (!from || !to) return;
    const k = frame.progress;
    const model = { x: from.x + (to.x - from.x) * k, y: from.y + (to.y - from.y) * k };
    const zoom = this.cy.zoom();
    const pan = this.cy.pan();
    const x = model.x * zoom + pan.x;
    const y = model.y * zoom + pan.y;
    const pkt = frame.packet ?? {};
    const fg = THEMES[this.theme].fg;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    if (frame.outer) {
      const o = frame.outer;
      ctx.strokeStyle = "#0072B2";
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(x, y, 17, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = "#0072B2";
      ctx.fillText(`${o.proto}${o.dport ? " " + o.dport : ""}${o.vni !== undefined ? " VNI " + o.vni : ""}: ${o.src} → ${o.dst}`, x, y - 24);
    }
    if (frame.stopped) {
      ctx.strokeStyle = VERDICT.dropped;
      ctx.lineWidth = 5;
      ctx.beginPath();
      ctx.moveTo(x - 12, y - 12);
      ctx.lineTo(x + 12, y + 12);
      ctx.moveTo(x + 12, y - 12);
      ctx.lineTo(x - 12, y + 12);
      ctx.stroke();
    } else {
      ctx.fillStyle = "#E69F00";
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.fillStyle = fg;
    ctx.fillText(`${pkt.src ?? ""} → ${pkt.dst ?? ""}${pkt.dport ? ":" + pkt.dport : ""}`, x, y + 26);
  }

  packetLayer() {
    if (!this.overlay) {
      const container = this.cy.container();
      const overlay = document.createElement("canvas");
      overlay.className = "packet-layer";
      overlay.setAttribute("aria-hidden", "true");
      Object.assign(overlay.style, { position: "absolute", inset: "0", width: "100%", height: "100%", pointerEvents: "none", zIndex: "10" });
      container.append(overlay);
      this.overlay = overlay;
      // The packet stays on its spot in the model while the user pans or zooms.
      this.cy.on("viewport", () => this.lastPacket && this.drawPacket(this.lastPacket.frame, this.lastPacket.hops));
    }
    return this.overlay;
  }

  png() {
    return this.cy.png({ full: true, scale: 1, bg: THEMES[this.theme].bg });
  }
}
