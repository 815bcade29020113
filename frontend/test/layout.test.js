import { test } from "node:test";
import assert from "node:assert/strict";
import { key, layoutCluster, nodeBox, podDetail } from "../src/layout.js";

const node = (name, extra = {}) => ({ kind: "Node", namespace: "", name, ...extra });
const pod = (name, nodeName, extra = {}) => ({ kind: "Pod", namespace: "shop", name, node_name: nodeName, ...extra });

function inside(p, center, box) {
  return Math.abs(p.x - center.x) < box.w / 2 && Math.abs(p.y - center.y) < box.h / 2;
}

test("every pod is placed inside its own node's box and pods never overlap", () => {
  const objects = {
    nodes: [node("node-1"), node("node-2"), node("node-3")],
    pods: Array.from({ length: 17 }, (_, i) => pod(`web-${i}`, `node-${(i % 3) + 1}`)),
    services: [{ kind: "Service", namespace: "shop", name: "web" }],
  };
  const pos = layoutCluster(objects);
  for (const n of objects.nodes) {
    const members = objects.pods.filter((p) => p.node_name === n.name);
    const box = nodeBox(members.length);
    for (const p of members) assert.ok(inside(pos.get(key(p)), pos.get(key(n)), box), `${p.name} outside ${n.name}`);
  }
  const spots = objects.pods.map((p) => `${pos.get(key(p)).x},${pos.get(key(p)).y}`);
  assert.equal(new Set(spots).size, spots.length);
});

test("node boxes do not overlap each other", () => {
  const objects = { nodes: Array.from({ length: 7 }, (_, i) => node(`n${i}`)), pods: Array.from({ length: 30 }, (_, i) => pod(`p${i}`, `n${i % 7}`)), services: [] };
  const pos = layoutCluster(objects);
  const boxes = objects.nodes.map((n) => ({ c: pos.get(key(n)), b: nodeBox(objects.pods.filter((p) => p.node_name === n.name).length) }));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlapX = Math.abs(a.c.x - b.c.x) < (a.b.w + b.b.w) / 2;
      const overlapY = Math.abs(a.c.y - b.c.y) < (a.b.h + b.b.h) / 2;
      assert.ok(!(overlapX && overlapY), `boxes ${i} and ${j} overlap`);
    }
  }
});

test("saved positions are kept; a pod saved outside its (new) node is re-placed", () => {
  const objects = {
    nodes: [node("node-1", { x: 1000, y: 1000 })],
    pods: [pod("a", "node-1", { x: 1010, y: 1020 }), pod("b", "node-1", { x: -5000, y: 0 })],
    services: [{ kind: "Service", namespace: "shop", name: "web", x: 5, y: 6 }],
  };
  const pos = layoutCluster(objects);
  assert.deepEqual(pos.get("Node//node-1"), { x: 1000, y: 1000 });
  assert.deepEqual(pos.get("Pod/shop/a"), { x: 1010, y: 1020 });
  assert.notDeepEqual(pos.get("Pod/shop/b"), { x: -5000, y: 0 });
  assert.deepEqual(pos.get("Service/shop/web"), { x: 5, y: 6 });
});

test("layout is deterministic whatever the input order", () => {
  const a = { nodes: [node("x"), node("y")], pods: [pod("p1", "x"), pod("p2", "y"), pod("p3", "x")], services: [] };
  const b = { nodes: [node("y"), node("x")], pods: [pod("p3", "x"), pod("p2", "y"), pod("p1", "x")], services: [] };
  assert.deepEqual([...layoutCluster(a).entries()].sort(), [...layoutCluster(b).entries()].sort());
});

test("level of detail drops labels when zoomed out", () => {
  assert.equal(podDetail(1), "full");
  assert.equal(podDetail(0.5), "name");
  assert.equal(podDetail(0.1), "dot");
});
