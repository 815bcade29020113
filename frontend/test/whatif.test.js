import { test } from "node:test";
import assert from "node:assert/strict";
import { dryRunParams, whatIfView, withLabels } from "../src/whatif.js";

// The shape of `matrix_diff` in a dry run's answer (clusterlab/sim/whatif.py to_dict).
const diff = (over = {}) => ({
  port: 80, protocol: "TCP", count_cut: 0, count_opened: 0, cut: [], opened: [], truncated: false,
  by_namespace: [], added_pods: [], removed_pods: [], enforced_before: true, enforced_after: true, notes: [], ...over,
});

test("a default-deny: headline, namespace pairs biggest first, listed pairs, needs apply", () => {
  const v = whatIfView(diff({
    count_cut: 7,
    cut: [["edge/c0", "shop/db"], ["shop/web", "shop/db"]],
    by_namespace: [{ from: "shop", to: "shop", cut: 2, opened: 0 }, { from: "edge", to: "shop", cut: 5, opened: 0 }],
  }));
  assert.equal(v.headline, "This change cuts 7 flows on TCP/80");
  assert.equal(v.tone, "cut");
  assert.deepEqual(v.groups.map((g) => g.text), ["edge → shop: cuts 5", "shop → shop: cuts 2"]);
  assert.deepEqual(v.cut, ["edge/c0 → shop/db", "shop/web → shop/db"]);
  assert.equal(v.moreCut, 5, "only 2 of 7 were listed");
  assert.equal(v.changes, true);
});

test("opening and cutting at once, pods added, groups capped", () => {
  const groups = Array.from({ length: 15 }, (_, i) => ({ from: `ns${i}`, to: "x", cut: 0, opened: 1 }));
  const v = whatIfView(diff({ count_cut: 1, count_opened: 15, cut: [["a/x", "b/y"]], by_namespace: groups, added_pods: ["a/new"] }), { maxGroups: 12 });
  assert.equal(v.headline, "This change cuts 1 flow and opens 15 flows on TCP/80 (1 pod added)");
  assert.equal(v.groups.length, 12);
  assert.equal(v.moreGroups, 3);
  assert.equal(v.groups[0].text, "ns0 → x: opens 1");
});

test("no flow moves: no confirmation needed", () => {
  const v = whatIfView(diff({ port: "http", protocol: "TCP", added_pods: ["shop/new"] }));
  assert.equal(v.headline, "No flow changes on TCP/http (1 pod added)");
  assert.equal(v.changes, false);
  assert.equal(v.tone, "none");
  assert.equal(whatIfView(null), null);
});

test("under a CNI that enforces nothing the notes are loud", () => {
  const note = "flannel does not enforce NetworkPolicy: these are the flows the policies would open or cut; no packet is actually dropped (NET-4.6)";
  const v = whatIfView(diff({ count_cut: 2, cut: [["a/x", "a/y"], ["a/y", "a/x"]], enforced_after: false, notes: [note] }));
  assert.equal(v.loud, true);
  assert.deepEqual(v.notes, [note]);
});

test("dry-run query asks for the heatmap's port", () => {
  assert.equal(String(dryRunParams({ port: 5432, protocol: "TCP" })), "dryRun=All&port=5432&protocol=TCP");
  assert.equal(String(dryRunParams({ port: "dns", protocol: "UDP", limit: 20 })), "dryRun=All&port=dns&protocol=UDP&limit=20");
});

test("a label edit replaces the labels and keeps the rest of the manifest", () => {
  const m = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop", labels: { app: "web", old: "x" } }, spec: { nodeName: "n1" } };
  const out = withLabels(m, { app: "api" });
  assert.deepEqual(out.metadata, { name: "web", namespace: "shop", labels: { app: "api" } });
  assert.deepEqual(out.spec, { nodeName: "n1" });
  assert.deepEqual(m.metadata.labels, { app: "web", old: "x" }, "the original is not mutated");
});

test("a removed pod takes its flows along: the change needs a confirmation", () => {
  const v = whatIfView(diff({ removed_pods: ["default/web"] }));
  assert.equal(v.headline, "No flow changes on TCP/80 (1 pod removed)");
  assert.equal(v.changes, true);
});
