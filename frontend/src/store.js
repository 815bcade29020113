// The editor's state: the initial fetch of a cluster plus the `cluster.changed` events
// applied in order (Zulip's discipline). Records are replaced, never mutated, so a
// render can compare identities. Pure: tested with node's test runner.

export const KINDS = ["namespaces", "nodes", "pods", "services", "networkpolicies", "endpointslices"];
const KIND_OF = {
  Namespace: "namespaces",
  Node: "nodes",
  Pod: "pods",
  Service: "services",
  NetworkPolicy: "networkpolicies",
  EndpointSlice: "endpointslices",
};

export function objectKey(obj) {
  return `${obj.kind}/${obj.namespace ?? ""}/${obj.name}`;
}

/** State from `GET /api/clusters/{id}/?include=objects`. */
export function fromFetch(cluster) {
  const objects = new Map();
  for (const kind of KINDS) {
    for (const obj of cluster.objects?.[kind] ?? []) objects.set(objectKey(obj), obj);
  }
  const { objects: _ignored, ...meta } = cluster;
  return { meta, objects, resourceVersion: cluster.resource_version };
}

/**
 * Apply one `cluster.changed` event: `{resource_version, changes: [{kind, namespace,
 * name, action: created|updated|deleted, object}]}`. Events older than the state are
 * ignored; a gap (a missed event) is reported so the caller refetches.
 */
export function applyChange(state, event) {
  if (event.resource_version <= state.resourceVersion) return { state, stale: false, ignored: true };
  if (event.previous_version !== undefined && event.previous_version !== state.resourceVersion) {
    return { state, stale: true, ignored: false };
  }
  const objects = new Map(state.objects);
  for (const change of event.changes ?? []) {
    const k = objectKey(change);
    if (change.action === "deleted") objects.delete(k);
    else if (change.object) objects.set(k, change.object);
  }
  const meta = event.cluster ? { ...state.meta, ...event.cluster } : state.meta;
  return { state: { meta, objects, resourceVersion: event.resource_version }, stale: false, ignored: false };
}

/** Objects of one API kind (plural), sorted by namespace/name. */
export function listKind(state, plural) {
  const out = [];
  for (const obj of state.objects.values()) if (KIND_OF[obj.kind] === plural) out.push(obj);
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** Does a label selector map (Service.spec.selector) select these labels? */
export function selects(selector, labels) {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** metav1.LabelSelector match, the same semantics as the engine (for highlights only). */
export function matchesLabelSelector(sel, labels = {}) {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const val = labels[req.key];
    if (req.operator === "In" && !(has && req.values.includes(val))) return false;
    if (req.operator === "NotIn" && has && req.values.includes(val)) return false;
    if (req.operator === "Exists" && !has) return false;
    if (req.operator === "DoesNotExist" && has) return false;
  }
  return true;
}
