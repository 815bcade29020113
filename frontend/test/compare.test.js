import { test } from "node:test";
import assert from "node:assert/strict";
import { CNI_CHOICES, comparisonRows, comparisonWarnings, enforcementText } from "../src/compare.js";
import { podAttribution, policyAttribution } from "../src/attribution.js";

const side = (over) => ({
  plugin: "calico", mode: "ipip", label: "calico ipip", enforces_network_policy: true, pod_mtu: { n1: 1480, n2: 1480 },
  encapsulation: { kind: "ipip", overhead: 20, text: "IP-in-IP (IP protocol 4)" }, encapsulated: true,
  outer: { proto: "IPIP", src: "192.168.56.12", dst: "192.168.56.11", size: 80 },
  verdict: "dropped", reason: "ingress NetworkPolicy: …", hop_count: 8, devices: ["cali1", "tunl0", "eth0", "cali2"],
  source_ip: "192.168.1.2", destination_ip: "192.168.2.3", last_hop: { action: "policy-deny", rule: "NetworkPolicy shop/default-deny ingress" }, ...over,
});
const FLANNEL = side({
  plugin: "flannel", mode: "vxlan", label: "flannel vxlan", enforces_network_policy: false, pod_mtu: { n1: 1450 },
  encapsulation: { kind: "vxlan", overhead: 50, text: "VXLAN (UDP 8472, VNI 1)" }, outer: { proto: "UDP", src: "192.168.56.12", dst: "192.168.56.11", dport: 8472, vni: 1 },
  verdict: "delivered", reason: "delivered", hop_count: 12, devices: ["veth1", "cni0", "flannel.1", "eth0", "veth2"], last_hop: { action: "deliver", rule: "" },
  warning: "flannel does not enforce NetworkPolicy: policies are stored and shown, but no packet is ever dropped by them (NET-4.6)",
});

test("every plugin and mode of the engine can be chosen", () => {
  assert.equal(CNI_CHOICES.length, 12);
  assert.ok(CNI_CHOICES.some(([p, m]) => p === "cilium" && m === "geneve"));
});

test("a packet side by side: differing rows flagged, enforcement loud", () => {
  const rows = comparisonRows({ kind: "flow", current: side({}), alternative: FLANNEL });
  const get = (label) => rows.find((r) => r.label === label);
  assert.deepEqual(get("Verdict"), { label: "Verdict", current: "dropped", alternative: "delivered", differs: true, loud: false });
  assert.equal(get("NetworkPolicy enforced").alternative, "NO — flannel ignores every NetworkPolicy");
  assert.equal(get("NetworkPolicy enforced").loud, true);
  assert.equal(get("Encapsulation").current, "IP-in-IP (IP protocol 4), +20 bytes");
  assert.equal(get("Outer header").alternative, "UDP 192.168.56.12 → 192.168.56.11 :8472 VNI 1");
  assert.deepEqual([get("Pod MTU").current, get("Pod MTU").alternative], ["1480", "1450"]);
  assert.equal(get("Path").alternative, "12 hops: veth1 → cni0 → flannel.1 → eth0 → veth2");
  assert.equal(get("Last hop").current, "policy-deny: NetworkPolicy shop/default-deny ingress");
  assert.deepEqual(comparisonWarnings({ current: side({}), alternative: FLANNEL }), [`flannel vxlan: ${FLANNEL.warning}`]);
});

test("host-gw says it does not encapsulate", () => {
  const hostgw = side({ encapsulated: false, encapsulation: null, outer: null, label: "flannel host-gw" });
  const rows = comparisonRows({ kind: "flow", current: side({}), alternative: hostgw });
  assert.equal(rows.find((r) => r.label === "Encapsulation").alternative, "none (routed natively)");
  assert.equal(rows.find((r) => r.label === "Outer header").alternative, "—");
});

test("the whole matrix: allowed by policy versus delivered", () => {
  const rows = comparisonRows({ kind: "matrix", current: side({ allowed_by_policy: 40, delivered: 40, total: 64 }), alternative: { ...FLANNEL, allowed_by_policy: 40, delivered: 64, total: 64 } });
  const get = (label) => rows.find((r) => r.label === label);
  assert.equal(get("Allowed by the policies").differs, false);
  assert.deepEqual([get("Delivered (what packets do)").current, get("Delivered (what packets do)").alternative], ["40 of 64", "64 of 64"]);
  assert.equal(enforcementText(side({})), "yes");
});

test("attribution of a pod: its policies per direction and the peers to mark", () => {
  const v = podAttribution({
    pod: "shop/db", enforced: true,
    ingress: { policies: ["shop/default-deny", "shop/db"], isolated: true, peers: ["shop/api", "shop/db"], any_address: false },
    egress: { policies: [], isolated: false, peers: [], any_address: false },
  });
  assert.deepEqual(v.targets, ["Pod/shop/db"]);
  assert.deepEqual(v.peers, ["Pod/shop/api"], "the pod itself is a target, not a peer");
  assert.deepEqual(v.lines, ["ingress: isolated by shop/default-deny, shop/db — admits from 2 pods", "egress: not isolated (no policy selects it for egress): any destination"]);
  assert.deepEqual(v.policies, ["shop/default-deny", "shop/db"]);
});

test("attribution of a policy: targets and peers, any-address rules", () => {
  const v = policyAttribution({
    targets: ["shop/db"], ingress_peers: ["shop/api"], egress_peers: [], affects_ingress: true, affects_egress: true,
    ingress_any_address: false, egress_any_address: true,
  });
  assert.deepEqual(v.targets, ["Pod/shop/db"]);
  assert.deepEqual(v.peers, ["Pod/shop/api"]);
  assert.deepEqual(v.lines, ["selects 1 pod", "ingress admits 1 pod(s)", "egress admits any address"]);
});
