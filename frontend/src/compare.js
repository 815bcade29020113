// CNI comparison: the same packet or the whole matrix under another plugin/mode, side
// by side (`POST …/compare`). Pure: turns the answer into table rows; main.js draws.

export const CNI_CHOICES = [
  ["flannel", "vxlan"], ["flannel", "host-gw"],
  ["canal", "vxlan"], ["canal", "host-gw"],
  ["calico", "ipip"], ["calico", "vxlan"], ["calico", "bgp"],
  ["weave", "fastdp"], ["weave", "sleeve"],
  ["cilium", "vxlan"], ["cilium", "geneve"], ["cilium", "native"],
];

/** Plain Flannel enforces no NetworkPolicy (NET-4.6): the same words wherever shown. */
export function enforcementText(side) {
  return side.enforces_network_policy ? "yes" : `NO — ${side.plugin} ignores every NetworkPolicy`;
}

const encap = (s) => {
  if (!s.encapsulated) return "none (routed natively)";
  const e = s.encapsulation;
  return e ? `${e.text}, +${e.overhead} bytes` : "yes";
};
const outer = (s) => (s.outer ? `${s.outer.proto} ${s.outer.src} → ${s.outer.dst}${s.outer.dport ? " :" + s.outer.dport : ""}${s.outer.vni !== undefined ? " VNI " + s.outer.vni : ""}` : "—");
const mtu = (s) => [...new Set(Object.values(s.pod_mtu ?? {}))].join(" / ") || "—";

/** Rows `{label, current, alternative, differs, loud}` for the side-by-side table. */
export function comparisonRows(result) {
  const a = result.current;
  const b = result.alternative;
  const rows = [
    ["CNI", a.label, b.label],
    ["NetworkPolicy enforced", enforcementText(a), enforcementText(b), true],
  ];
  if (result.kind === "flow") {
    rows.push(
      ["Verdict", a.verdict, b.verdict],
      ["Reason", a.reason, b.reason],
      ["Path", `${a.hop_count} hops: ${a.devices.join(" → ")}`, `${b.hop_count} hops: ${b.devices.join(" → ")}`],
      ["Encapsulation", encap(a), encap(b)],
      ["Outer header", outer(a), outer(b)],
      ["Pod MTU", mtu(a), mtu(b)],
      ["Addresses", `${a.source_ip ?? "?"} → ${a.destination_ip ?? "?"}`, `${b.source_ip ?? "?"} → ${b.destination_ip ?? "?"}`],
      ["Last hop", lastHop(a), lastHop(b)],
    );
  } else {
    const total = a.total;
    rows.push(
      ["Allowed by the policies", `${a.allowed_by_policy} of ${total}`, `${b.allowed_by_policy} of ${b.total}`],
      ["Delivered (what packets do)", `${a.delivered} of ${total}`, `${b.delivered} of ${b.total}`],
      ["Encapsulation", a.encapsulation ? a.encapsulation.text : "none", b.encapsulation ? b.encapsulation.text : "none"],
    );
  }
  return rows.map(([label, current, alternative, loudRow]) => ({
    label,
    current: String(current ?? "—"),
    alternative: String(alternative ?? "—"),
    differs: String(current) !== String(alternative),
    loud: Boolean(loudRow) && (!a.enforces_network_policy || !b.enforces_network_policy),
  }));
}

function lastHop(side) {
  const h = side.last_hop;
  if (!h) return "—";
  return `${h.action}${h.rule ? ": " + h.rule : ""}`;
}

/** Warnings to show loudly above the table (one per side that enforces nothing). */
export function comparisonWarnings(result) {
  return [result.current, result.alternative].filter((s) => s.warning).map((s) => `${s.label}: ${s.warning}`);
}
