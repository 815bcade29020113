// Where a hop happens on the canvas. A trace hop names its place
// (`{kind: "pod"|"interface"|"node"|"service"|"tunnel"|"external", node, name}`);
// this maps it to a point relative to the drawn elements. Pure, so it is tested.

const TUNNEL_DEVICES = /^(flannel\.\d+|tunl0|vxlan\.calico|cilium_vxlan|cilium_geneve|datapath|vxlan-6784|weave-sleeve|flannel-wg)$/;
const HOST_EDGE_DEVICES = /^(eth\d+|ens\d+|enp\w+)$/;
const POD_SIDE = /^(veth|cali|lxc)/;

/**
 * @param {object} place a hop's place
 * @param {(id: string) => {x:number, y:number, w:number, h:number} | null} box
 *   bounding box of a drawn element by id (`Node//node-1`, `Pod/ns/name`, `Service/ns/name`).
 * @param {object} [packet] the hop's packet (to find the pod behind a veth)
 * @returns {{x:number, y:number} | null}
 */
export function placePoint(place, box, packet) {
  if (!place) return null;
  const nodeBox = place.node ? box(`Node//${place.node}`) : null;
  switch (place.kind) {
    case "pod": {
      const [ns, name] = splitKey(place.name);
      const b = box(`Pod/${ns}/${name}`);
      return b ? center(b) : nodeBox && center(nodeBox);
    }
    case "service": {
      const [ns, name] = splitKey(place.name);
      const b = box(`Service/${ns}/${name}`);
      return b ? center(b) : nodeBox && center(nodeBox);
    }
    case "external": {
      const b = box(`External//${place.name}`) ?? box("External//client");
      return b ? center(b) : { x: -300, y: 0 };
    }
    case "interface": {
      if (!nodeBox) return null;
      const name = place.name ?? "";
      if (TUNNEL_DEVICES.test(name)) return { x: nodeBox.x + nodeBox.w / 2, y: nodeBox.y };
      if (HOST_EDGE_DEVICES.test(name)) return { x: nodeBox.x, y: nodeBox.y + nodeBox.h / 2 };
      if (POD_SIDE.test(name) && place.pod) {
        const [ns, n] = splitKey(place.pod);
        const b = box(`Pod/${ns}/${n}`);
        if (b) return { x: b.x, y: b.y - b.h / 2 - 8 };
      }
      // bridges and host devices (cni0, weave, cilium_host): the node's top edge
      return { x: nodeBox.x, y: nodeBox.y - nodeBox.h / 2 + 18 };
    }
    case "tunnel":
      // between two nodes: the midpoint, drawn as an outer packet carrying the inner one
      if (place.from && place.to) {
        const a = box(`Node//${place.from}`);
        const b = box(`Node//${place.to}`);
        if (a && b) return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      }
      return nodeBox && { x: nodeBox.x + nodeBox.w / 2 + 40, y: nodeBox.y };
    default:
      return nodeBox ? center(nodeBox) : null;
  }
}

function splitKey(key = "") {
  const i = key.indexOf("/");
  return i < 0 ? ["default", key] : [key.slice(0, i), key.slice(i + 1)];
}

function center(b) {
  return { x: b.x, y: b.y };
}
