// Auto-layout for a cluster drawn on the canvas. Pure: objects in, positions out.
//
// Nodes are boxes on a grid; a node's pods sit inside it on their own small grid
// (the box is drawn around them by the canvas library's compound nodes); Services
// line up in a band above the nodes, grouped by namespace; external clients and the
// load balancer stand on the left. Positions the user saved (x/y) are kept, except a
// pod whose saved spot is no longer inside its node's box (it moved to another node).

export const POD = { w: 150, h: 64, gap: 18 };
export const NODE_PAD = 40;
export const NODE_GAP = 90;
export const SERVICE_BAND_H = 170;

function podColumns(n) {
  return Math.max(1, Math.min(4, Math.ceil(Math.sqrt(n))));
}

/** Size of a node's box for n pods. */
export function nodeBox(n) {
  const cols = podColumns(n);
  const rows = Math.max(1, Math.ceil(n / cols));
  return {
    w: cols * POD.w + (cols - 1) * POD.gap + 2 * NODE_PAD,
    h: rows * POD.h + (rows - 1) * POD.gap + 2 * NODE_PAD + 30,
  };
}

const byName = (a, b) => (a.namespace + "/" + a.name).localeCompare(b.namespace + "/" + b.name);

/**
 * @param {{nodes: object[], pods: object[], services: object[], externals?: object[]}} objects
 *   each object has kind/namespace/name and optional x, y; pods have node_name.
 * @returns {Map<string, {x: number, y: number}>} keyed by `${kind}/${namespace}/${name}`.
 */
export function layoutCluster(objects) {
  const positions = new Map();
  const nodes = [...objects.nodes].sort(byName);
  const podsByNode = new Map(nodes.map((n) => [n.name, []]));
  const unscheduled = [];
  for (const pod of [...objects.pods].sort(byName)) {
    (podsByNode.get(pod.node_name) ?? unscheduled).push(pod);
  }

  const cols = Math.max(1, Math.ceil(Math.sqrt(nodes.length)));
  const boxes = nodes.map((n) => nodeBox(podsByNode.get(n.name).length));
  const colWidth = Math.max(400, ...boxes.map((b) => b.w)) + NODE_GAP;
  const rowHeights = [];
  boxes.forEach((b, i) => {
    const row = Math.floor(i / cols);
    rowHeights[row] = Math.max(rowHeights[row] ?? 0, b.h);
  });
  const rowTop = [];
  let y = SERVICE_BAND_H;
  for (const h of rowHeights) {
    rowTop.push(y);
    y += h + NODE_GAP;
  }

  nodes.forEach((node, i) => {
    const box = boxes[i];
    const auto = { x: (i % cols) * colWidth + box.w / 2, y: rowTop[Math.floor(i / cols)] + box.h / 2 };
    const center = hasPosition(node) ? { x: node.x, y: node.y } : auto;
    positions.set(key(node, "Node"), center);
    const pods = podsByNode.get(node.name);
    const pc = podColumns(pods.length);
    const left = center.x - box.w / 2 + NODE_PAD + POD.w / 2;
    const top = center.y - box.h / 2 + NODE_PAD + 30 + POD.h / 2;
    pods.forEach((pod, j) => {
      const spot = { x: left + (j % pc) * (POD.w + POD.gap), y: top + Math.floor(j / pc) * (POD.h + POD.gap) };
      const inside = hasPosition(pod) && Math.abs(pod.x - center.x) <= box.w / 2 && Math.abs(pod.y - center.y) <= box.h / 2;
      positions.set(key(pod, "Pod"), inside ? { x: pod.x, y: pod.y } : spot);
    });
  });

  // Pending pods (no node) wait in a row below everything.
  unscheduled.forEach((pod, j) => {
    positions.set(key(pod, "Pod"), hasPosition(pod) ? { x: pod.x, y: pod.y } : { x: j * (POD.w + POD.gap), y: y + POD.h });
  });

  const services = [...objects.services].sort(byName);
  services.forEach((svc, j) => {
    positions.set(key(svc, "Service"), hasPosition(svc) ? { x: svc.x, y: svc.y } : { x: j * 190 + 90, y: 60 });
  });
  (objects.externals ?? []).forEach((ext, j) => {
    positions.set(key(ext, "External"), hasPosition(ext) ? { x: ext.x, y: ext.y } : { x: -260, y: SERVICE_BAND_H + 80 + j * 120 });
  });
  return positions;
}

export function key(obj, kind = obj.kind) {
  return `${kind}/${obj.namespace ?? ""}/${obj.name}`;
}

function hasPosition(obj) {
  return Number.isFinite(obj.x) && Number.isFinite(obj.y);
}

/** Level of detail: what a pod shows at a zoom level, so 1,000 pods stay readable. */
export function podDetail(zoom) {
  if (zoom >= 0.8) return "full"; // name, IP, labels
  if (zoom >= 0.35) return "name";
  return "dot";
}
