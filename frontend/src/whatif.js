// What-if before apply: how a dry run's `matrix_diff` (flows the change would open and
// cut, labs/api/reachability.py) is shown — a headline, the namespace pairs it touches,
// the listed pod pairs — and whether the change needs an explicit "apply".
// Pure: node's test runner checks it; main.js turns the view into DOM.

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A dry run's diff as something to render:
 * `{headline, tone, notes, groups, cut, opened, moreCut, moreOpened, changes}`.
 * `changes` is false when no flow moves and no pod goes (the caller may then apply at
 * once).
 */
export function whatIfView(diff, { maxGroups = 12 } = {}) {
  if (!diff) return null;
  const where = `${diff.protocol}/${diff.port}`;
  const cut = diff.count_cut ?? 0;
  const opened = diff.count_opened ?? 0;
  let headline;
  if (!cut && !opened) headline = `No flow changes on ${where}`;
  else {
    const parts = [];
    if (cut) parts.push(`cuts ${plural(cut, "flow")}`);
    if (opened) parts.push(`opens ${plural(opened, "flow")}`);
    headline = `This change ${parts.join(" and ")} on ${where}`;
  }
  const extra = [];
  if (diff.added_pods?.length) extra.push(`${plural(diff.added_pods.length, "pod")} added`);
  if (diff.removed_pods?.length) extra.push(`${plural(diff.removed_pods.length, "pod")} removed`);
  if (extra.length) headline += ` (${extra.join(", ")})`;
  const groups = [...(diff.by_namespace ?? [])]
    .sort((a, b) => b.cut + b.opened - (a.cut + a.opened) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
    .map((g) => ({ ...g, text: `${g.from} → ${g.to}: ${[g.cut ? `cuts ${g.cut}` : "", g.opened ? `opens ${g.opened}` : ""].filter(Boolean).join(", ")}` }));
  const pair = ([s, d]) => `${s} → ${d}`;
  const notes = [...(diff.notes ?? [])];
  return {
    headline,
    tone: cut ? "cut" : opened ? "opened" : "none",
    notes,
    loud: diff.enforced_after === false,
    groups: groups.slice(0, maxGroups),
    moreGroups: Math.max(0, groups.length - maxGroups),
    cut: (diff.cut ?? []).map(pair),
    opened: (diff.opened ?? []).map(pair),
    moreCut: cut - (diff.cut?.length ?? 0),
    moreOpened: opened - (diff.opened?.length ?? 0),
    // removed pods take their flows along (the counts cover pods on both sides only)
    changes: cut + opened + (diff.removed_pods?.length ?? 0) > 0,
  };
}

/** The query string of a dry run asking for the what-if on the heatmap's port. */
export function dryRunParams({ port = 80, protocol = "TCP", limit = 500 } = {}) {
  const q = new URLSearchParams({ dryRun: "All", port: String(port), protocol });
  if (limit !== 500) q.set("limit", String(limit));
  return q;
}

/** The manifest an inspector label edit would store (labels replaced, rest kept). */
export function withLabels(manifest, labels) {
  const out = structuredClone(manifest ?? {});
  out.metadata = { ...(out.metadata ?? {}), labels };
  return out;
}
