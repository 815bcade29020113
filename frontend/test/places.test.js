import { test } from "node:test";
import assert from "node:assert/strict";
import { placePoint } from "../src/places.js";
import { namespaceColour, OKABE_ITO } from "../src/palette.js";

const boxes = {
  "Node//node-1": { x: 100, y: 100, w: 200, h: 100 },
  "Node//node-2": { x: 500, y: 100, w: 200, h: 100 },
  "Pod/shop/web-0": { x: 90, y: 110, w: 50, h: 30 },
  "Service/shop/web": { x: 300, y: 0, w: 60, h: 30 },
};
const box = (id) => boxes[id] ?? null;

test("pods and services map to their own elements", () => {
  assert.deepEqual(placePoint({ kind: "pod", node: "node-1", name: "shop/web-0" }, box), { x: 90, y: 110 });
  assert.deepEqual(placePoint({ kind: "service", name: "shop/web" }, box), { x: 300, y: 0 });
});

test("tunnel devices sit on the node's right edge and eth0 at its bottom", () => {
  assert.deepEqual(placePoint({ kind: "interface", node: "node-1", name: "flannel.1" }, box), { x: 200, y: 100 });
  assert.deepEqual(placePoint({ kind: "interface", node: "node-1", name: "eth0" }, box), { x: 100, y: 150 });
  assert.deepEqual(placePoint({ kind: "interface", node: "node-1", name: "cni0" }, box), { x: 100, y: 68 });
});

test("a tunnel hop between nodes is drawn halfway", () => {
  assert.deepEqual(placePoint({ kind: "tunnel", from: "node-1", to: "node-2" }, box), { x: 300, y: 100 });
});

test("unknown places fall back to the node, then to nothing", () => {
  assert.deepEqual(placePoint({ kind: "node", node: "node-2" }, box), { x: 500, y: 100 });
  assert.equal(placePoint({ kind: "node", node: "nope" }, box), null);
});

test("namespace colours are stable and from the colour-blind-safe palette", () => {
  assert.equal(namespaceColour("shop"), namespaceColour("shop"));
  assert.ok(OKABE_ITO.includes(namespaceColour("monitoring")));
});
