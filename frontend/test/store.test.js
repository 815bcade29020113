import { test } from "node:test";
import assert from "node:assert/strict";
import { applyChange, fromFetch, listKind, matchesLabelSelector, selects } from "../src/store.js";

const pod = (name, labels = {}) => ({ kind: "Pod", namespace: "shop", name, labels, manifest: {} });

function fetched(version, pods) {
  return { id: 1, name: "lab", resource_version: version, objects: { pods } };
}

test("applying the events to a stale state equals fetching fresh state", () => {
  const v1 = fromFetch(fetched(1, [pod("a"), pod("b")]));
  const events = [
    { resource_version: 2, previous_version: 1, changes: [{ kind: "Pod", namespace: "shop", name: "c", action: "created", object: pod("c") }] },
    { resource_version: 3, previous_version: 2, changes: [{ kind: "Pod", namespace: "shop", name: "a", action: "deleted" }] },
    { resource_version: 4, previous_version: 3, changes: [{ kind: "Pod", namespace: "shop", name: "b", action: "updated", object: pod("b", { app: "web" }) }] },
  ];
  let state = v1;
  for (const e of events) state = applyChange(state, e).state;
  const fresh = fromFetch(fetched(4, [pod("b", { app: "web" }), pod("c")]));
  assert.deepEqual(listKind(state, "pods"), listKind(fresh, "pods"));
  assert.equal(state.resourceVersion, 4);
});

test("old events are ignored and a gap asks for a refetch", () => {
  const s = fromFetch(fetched(5, [pod("a")]));
  assert.equal(applyChange(s, { resource_version: 5, changes: [] }).ignored, true);
  const gap = applyChange(s, { resource_version: 8, previous_version: 7, changes: [] });
  assert.equal(gap.stale, true);
  assert.equal(gap.state, s, "state is untouched when events were missed");
});

test("states are replaced, not mutated", () => {
  const s = fromFetch(fetched(1, [pod("a")]));
  const next = applyChange(s, { resource_version: 2, previous_version: 1, changes: [{ kind: "Pod", namespace: "shop", name: "a", action: "deleted" }] }).state;
  assert.equal(s.objects.size, 1);
  assert.equal(next.objects.size, 0);
});

test("service selectors and label selectors match like Kubernetes", () => {
  assert.equal(selects({ app: "web" }, { app: "web", tier: "fe" }), true);
  assert.equal(selects({}, { app: "web" }), false, "an empty Service selector selects nothing");
  const sel = { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["cache"] }] };
  assert.equal(matchesLabelSelector(sel, { app: "db" }), true, "NotIn matches a missing key");
  assert.equal(matchesLabelSelector(sel, { app: "db", tier: "cache" }), false);
  assert.equal(matchesLabelSelector({}, { anything: "x" }), true, "an empty LabelSelector selects all");
});
