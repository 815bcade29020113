// Policy attribution on the canvas: selecting a pod highlights the policies' peers it
// is reachable from / may reach; selecting a policy highlights its targets and peers.
// Data from `GET …/pods/{ns}/{name}/policies` and `…/networkpolicies/{ns}/{name}/describe`.
// The pure parts (id sets, lines of text) are tested with node's test runner.

const podId = (key) => `Pod/${key}`;

/** Canvas ids and inspector lines for a pod's attribution. */
export function podAttribution(attr) {
  const lines = [];
  const peers = new Set();
  for (const dir of ["ingress", "egress"]) {
    const d = attr[dir];
    const word = dir === "ingress" ? "from" : "to";
    if (!d.isolated) {
      lines.push(`${dir}: not isolated (no policy selects it for ${dir}): any ${word === "from" ? "source" : "destination"}`);
      continue;
    }
    const admits = d.any_address ? `any address` : d.peers.length ? `${d.peers.length} pod${d.peers.length === 1 ? "" : "s"}` : "nothing";
    lines.push(`${dir}: isolated by ${d.policies.join(", ")} — admits ${word} ${admits}`);
    for (const p of d.peers) peers.add(p);
  }
  if (attr.note) lines.push(attr.note);
  peers.delete(attr.pod);
  return { targets: [podId(attr.pod)], peers: [...peers].map(podId), lines, policies: [...new Set([...attr.ingress.policies, ...attr.egress.policies])] };
}

/** Canvas ids and inspector lines for a policy's attribution. */
export function policyAttribution(attr) {
  const peers = new Set([...attr.ingress_peers, ...attr.egress_peers]);
  const lines = [`selects ${attr.targets.length} pod${attr.targets.length === 1 ? "" : "s"}`];
  if (attr.affects_ingress) lines.push(`ingress admits ${attr.ingress_any_address ? "any address" : `${attr.ingress_peers.length} pod(s)`}`);
  if (attr.affects_egress) lines.push(`egress admits ${attr.egress_any_address ? "any address" : `${attr.egress_peers.length} pod(s)`}`);
  for (const t of attr.targets) peers.delete(t);
  return { targets: attr.targets.map(podId), peers: [...peers].map(podId), lines };
}

const STYLES = [
  { selector: "node.pod.attr-target", style: { "border-color": "#E69F00", "border-width": 6, opacity: 1 } },
  { selector: "node.pod.attr-peer", style: { "border-color": "#0072B2", "border-width": 5, "border-style": "dashed", opacity: 1 } },
];

/** Mark targets (orange, solid) and peers (blue, dashed) on the Cytoscape canvas. */
export function markOnCanvas(canvas, targets, peers) {
  const cy = canvas.cy;
  canvas.highlight([...targets, ...peers]);
  const sheet = cy.style();
  if (!sheet.json().some((r) => r.selector === STYLES[0].selector)) {
    for (const s of STYLES) sheet.selector(s.selector).style(s.style);
    sheet.update();
  }
  cy.batch(() => {
    cy.nodes().removeClass("attr-target attr-peer");
    for (const id of peers) cy.getElementById(id).addClass("attr-peer");
    for (const id of targets) cy.getElementById(id).addClass("attr-target").removeClass("attr-peer");
  });
}

export function clearCanvasMarks(canvas) {
  canvas.cy.nodes().removeClass("attr-target attr-peer");
}
