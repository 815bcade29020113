"""The hop-by-hop trace (issue #4): golden traces per CNI mode, faults, consistency with the
node tables, and hop-sequence properties (NET-3.1 TTL, SVC-17 NAT order and reversal)."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterlab.sim import manifests
from clusterlab.sim.engine import Engine
from clusterlab.sim.netviews import node_view
from clusterlab.sim.trace import Trace, format_trace_table, trace_connect, trace_reply


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


GOLDEN = Path(__file__).parent / "golden" / "traces"
BASE = (GOLDEN / "cluster.yaml").read_text()
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))

MODES = {
    "flannel-vxlan": "cni: {plugin: flannel, mode: vxlan}",
    "flannel-host-gw": "cni: {plugin: flannel, mode: host-gw}",
    "canal-vxlan": "cni: {plugin: canal, mode: vxlan}",
    "calico-ipip": "cni: {plugin: calico, mode: ipip}",
    "calico-ipip-crosssubnet": "cni: {plugin: calico, mode: ipip, crossSubnet: true}",
    "calico-vxlan": "cni: {plugin: calico, mode: vxlan}",
    "calico-bgp": "cni: {plugin: calico, mode: bgp}",
    "weave-fastdp": "cni: {plugin: weave, mode: fastdp}",
    "weave-sleeve": "cni: {plugin: weave, mode: sleeve}",
    "cilium-vxlan": "cni: {plugin: cilium, mode: vxlan}",
    "cilium-geneve": "cni: {plugin: cilium, mode: geneve}",
    "cilium-native": "cni: {plugin: cilium, mode: native}",
    "cilium-vxlan-kpr": "cni: {plugin: cilium, mode: vxlan}\n  kubeProxyReplacement: true",
    "flannel-vxlan-ipvs": "cni: {plugin: flannel, mode: vxlan}\n  kubeProxyMode: ipvs",
}


@lru_cache(maxsize=64)
def engine(mode: str, extra: str = "") -> Engine:
    text = BASE.replace("cni: {plugin: flannel, mode: vxlan}", MODES[mode] + extra)
    return Engine(manifests.load([(mode, text)]))


EXT = {"ip": "203.0.113.9"}

# scenario name → (src, dst, port, kwargs); every mode runs every scenario
SCENARIOS = {
    "pod-pod-same-node": ("default/client", "default/web-1", 8080, {}),
    "pod-pod-cross-node": ("default/client", "default/web-2", 8080, {}),
    "pod-pod-cross-subnet": ("default/client", "default/web-3", 8080, {}),
    "pod-clusterip": ("default/client", "@web", 80, {"seed": 1}),
    "pod-service-name": ("default/client", "web", "http", {"seed": 2}),
    "external-nodeport-cluster-local-endpoint": (EXT, "192.168.56.11", 30080, {"seed": 7}),
    "external-nodeport-cluster-no-local-endpoint": (EXT, "192.168.56.10", 30080, {"seed": 7}),
    "external-nodeport-local-with-endpoint": (EXT, "192.168.56.12", 30081, {}),
    "external-nodeport-local-no-endpoint": (EXT, "192.168.56.10", 30081, {}),
    "external-lb": (EXT, "203.0.113.10", 80, {"seed": 3}),
    "pod-external": ("default/client", "198.51.100.7", 443, {}),
    "policy-egress-drop": ("default/locked", "default/web-2", 8080, {}),
    "policy-ingress-drop": ("default/client", "default/guarded", 8080, {}),
    "no-endpoints-reject": ("default/client", "empty", 80, {}),
    "larger-than-pod-mtu": ("default/client", "default/web-2", 8080, {"size": 1500}),
    "host-to-pod": ({"node": "node-1"}, "default/web-2", 8080, {}),
}


def run(mode: str, scenario: str, extra: str = "") -> Trace:
    e = engine(mode, extra)
    src, dst, port, kw = SCENARIOS[scenario]
    if dst == "@web":
        dst = str(e.cluster.service_by_key["default/web"].cluster_ip)
    return trace_connect(e, src, dst, port, **kw)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_golden(mode: str, scenario: str) -> None:
    got = run(mode, scenario).to_dict()
    path = GOLDEN / mode / f"{scenario}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(path.read_text())
    check_consistent(engine(mode), trace_from(got))


def trace_from(d: dict) -> dict:
    return d


# --------------------------------------------------------------------------- exact behaviour


def hops(t: Trace, action: str | None = None) -> list:
    return [h for h in t.hops if action is None or h.action == action]


def last_forward(t: Trace):
    return t.hops[-1]


def test_flannel_vxlan_cross_node_matches_issue_example() -> None:
    t = run("flannel-vxlan", "pod-pod-cross-node")
    assert t.verdict == "delivered"
    enc = hops(t, "encapsulate")[0]
    assert enc.place.to_dict() == {"kind": "interface", "node": "node-1", "name": "flannel.1"}
    outer = enc.packet_out.to_dict()["outer"]
    assert outer["proto"] == "UDP" and outer["dport"] == 8472 and outer["vni"] == 1
    assert (outer["src"], outer["dst"]) == ("192.168.56.11", "192.168.56.12")
    assert outer["size"] == enc.packet_in.size + 50
    routes = [h.rule for h in hops(t, "route")]
    assert routes == ["route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                      "route 10.244.2.0/24 dev cni0 proto kernel scope link src 10.244.2.1"]
    assert t.hops[-1].packet_in.ttl == 62 and t.source_ip_at_backend == "10.244.1.2"


@pytest.mark.parametrize(("mode", "same", "cross"), [
    ("flannel-vxlan", 64, 62), ("flannel-host-gw", 64, 62), ("canal-vxlan", 63, 62),
    ("calico-ipip", 63, 62), ("calico-vxlan", 63, 62), ("calico-bgp", 63, 62),
    ("weave-fastdp", 64, 64), ("weave-sleeve", 64, 64),
])
def test_ttl_at_receiver_net_3_1(mode: str, same: int, cross: int) -> None:
    assert run(mode, "pod-pod-same-node").hops[-1].packet_in.ttl == same
    assert run(mode, "pod-pod-cross-node").hops[-1].packet_in.ttl == cross


def test_host_gw_across_l3_subnets_is_dropped_and_says_why() -> None:
    t = run("flannel-host-gw", "pod-pod-cross-subnet")
    assert t.verdict == "dropped"
    assert "router 192.168.56.1 has no route" in t.reason
    assert "host-gw needs every node on one L2 network" in t.reason
    assert "10.244.3.0/24 via 192.168.57.13" in t.reason
    assert hops(t, "route")[0].rule == "route default via 192.168.56.1 dev eth0"
    assert "10.244.3.0/24" not in node_view(engine("flannel-host-gw"), "node-1", "routes")


def test_calico_crosssubnet_encapsulates_only_across_subnets() -> None:
    same = run("calico-ipip-crosssubnet", "pod-pod-cross-node")
    across = run("calico-ipip-crosssubnet", "pod-pod-cross-subnet")
    assert not hops(same, "encapsulate")
    assert hops(same, "route")[0].rule.endswith("via 192.168.56.12 dev eth0 proto bird")
    enc = hops(across, "encapsulate")
    assert len(enc) == 1 and enc[0].packet_out.outer.proto == "IPIP"
    assert enc[0].packet_out.outer.size == enc[0].packet_in.size + 20
    assert across.verdict == same.verdict == "delivered"


def test_calico_bgp_across_subnets_dies_at_router() -> None:
    t = run("calico-bgp", "pod-pod-cross-subnet")
    assert t.verdict == "dropped" and "BGP" in t.reason
    assert hops(t, "route")[0].rule.endswith("via 192.168.56.1 dev eth0 proto bird")


@pytest.mark.parametrize(("mode", "proto", "port", "vni"), [
    ("calico-vxlan", "UDP", 4789, 4096), ("weave-fastdp", "UDP", 6784, None),
    ("weave-sleeve", "UDP", 6783, None), ("cilium-geneve", "UDP", 6081, None),
])
def test_outer_headers(mode: str, proto: str, port: int, vni: int | None) -> None:
    outer = hops(run(mode, "pod-pod-cross-node"), "encapsulate")[0].packet_out.to_dict()["outer"]
    assert outer["proto"] == proto and outer["dport"] == port
    if vni is not None:
        assert outer["vni"] == vni


def test_pod_to_service_name_starts_with_dns_hops() -> None:
    t = run("flannel-vxlan", "pod-service-name")
    assert [h.action for h in t.hops[:3]] == ["dns-query", "dns-answer", "send"]
    assert t.hops[0].packet_out.dst == "10.96.0.10" and t.hops[0].packet_out.dport == 53
    assert t.hops[0].packet_out.proto == "UDP"
    assert "web.default.svc.cluster.local." in t.hops[1].rule
    svc = engine("flannel-vxlan").cluster.service_by_key["default/web"]
    assert t.resolved_ip == str(svc.cluster_ip)
    dnat = hops(t, "dnat")[0]
    assert re.match(r"KUBE-SVC-[A-Z2-7]{16} → KUBE-SEP-[A-Z2-7]{16}", dnat.rule)
    assert t.candidates == ["default/web-1:8080", "default/web-2:8080", "default/web-3:8080"]


def test_reply_is_un_natted_so_the_client_sees_the_service() -> None:
    t = run("flannel-vxlan", "pod-clusterip")
    reply = trace_reply(t)
    svc = engine("flannel-vxlan").cluster.service_by_key["default/web"]
    assert all(h.action == "reply" for h in reply)
    end = reply[-1].packet_in
    assert (end.src, end.sport, end.dst) == (str(svc.cluster_ip), 80, "10.244.1.2")
    assert any("un-DNAT" in h.rule for h in reply)
    assert t.to_dict()["hops"][-1]["action"] == "reply"


def test_external_nodeport_cluster_snat_and_extra_hop() -> None:
    t = run("flannel-vxlan", "external-nodeport-cluster-no-local-endpoint")
    assert t.verdict == "delivered"
    snat = hops(t, "snat")[0]
    assert snat.rule == ('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic '
                         'requiring SNAT" -j MASQUERADE --random-fully')
    assert t.source_ip_at_backend == "10.244.0.0"  # flannel.1 of cp (SVC-9)
    assert len(hops(t, "underlay")) == 2  # client → cp, then cp → backend node
    reply = trace_reply(t)
    assert reply[-1].packet_in.src == "192.168.56.10" and reply[-1].packet_in.sport == 30080


def test_external_nodeport_local_keeps_client_ip_or_drops() -> None:
    ok = run("flannel-vxlan", "external-nodeport-local-with-endpoint")
    assert ok.verdict == "delivered" and ok.source_ip_at_backend == "203.0.113.9"
    assert ok.backend == "default/web-2" and not hops(ok, "snat")
    no = run("flannel-vxlan", "external-nodeport-local-no-endpoint")
    assert no.verdict == "dropped" and "has no local endpoints" in no.hops[-1].rule


def test_lb_ip_goes_to_a_node_with_local_endpoint_never_the_control_plane() -> None:
    for seed in range(8):
        t = trace_connect(engine("flannel-vxlan"), EXT, "203.0.113.10", 80, seed=seed)
        assert t.verdict == "delivered"
        assert t.hops[1].to_dict()["packet_out"]["dst"] == "203.0.113.10"
        assert "cp" not in t.hops[0].rule.split("→")[-1]
        assert t.source_ip_at_backend == "203.0.113.9"


def test_pod_to_external_is_masqueraded_to_node_ip() -> None:
    t = run("flannel-vxlan", "pod-external")
    assert t.verdict == "delivered" and t.source_ip_at_backend == "192.168.56.11"
    assert '"flanneld masq"' in hops(t, "snat")[0].rule


def test_external_host_that_does_not_listen_rejects() -> None:
    t = trace_connect(engine("flannel-vxlan"), "default/client", "198.51.100.7", 80)
    assert t.verdict == "rejected" and "does not listen" in t.reason


def test_policy_drops_only_where_enforced() -> None:
    t = run("calico-ipip", "policy-egress-drop")
    assert t.verdict == "dropped" and t.hops[-1].action == "policy-deny"
    assert "default/deny-egress" in t.reason and t.policies[0]["direction"] == "egress"
    t = run("calico-ipip", "policy-ingress-drop")
    assert t.verdict == "dropped" and t.hops[-1].action == "policy-deny"
    assert "default/allow-friends" in t.hops[-1].rule
    flannel = run("flannel-vxlan", "policy-ingress-drop")
    assert flannel.verdict == "delivered"
    assert "would deny" in flannel.reason and "does not enforce NetworkPolicy" in flannel.reason


def test_no_endpoints_rejects_with_the_filter_rule() -> None:
    t = run("flannel-vxlan", "no-endpoints-reject")
    assert t.verdict == "rejected" and t.hops[-1].action == "reject"
    assert t.hops[-1].rule.endswith("-j REJECT --reject-with icmp-port-unreachable")
    assert "has no endpoints" in t.hops[-1].rule


def test_cilium_kpr_translates_at_the_socket_without_kube_chains() -> None:
    t = run("cilium-vxlan-kpr", "pod-clusterip")
    dnat = hops(t, "dnat")[0]
    assert dnat.place.kind == "pod" and dnat.rule.startswith("cilium socket LB")
    assert not any("KUBE-" in h.rule for h in t.all_hops)
    assert t.hops[1].action == "dnat"  # before the packet leaves the pod
    with pytest.raises(ValueError, match="kube-proxy replacement"):
        node_view(engine("cilium-vxlan-kpr"), "node-1", "iptables")


def test_views_refuse_meaningless_modes() -> None:
    with pytest.raises(ValueError, match="iptables mode"):
        node_view(engine("flannel-vxlan"), "node-1", "ipvs")
    with pytest.raises(ValueError, match="ipvs mode"):
        node_view(engine("flannel-vxlan-ipvs"), "node-1", "iptables")
    assert "TCP  " in node_view(engine("flannel-vxlan-ipvs"), "node-1", "ipvs")
    assert "kube-ipvs0" in node_view(engine("flannel-vxlan-ipvs"), "node-1", "addr")


# --------------------------------------------------------------------------- MTU and faults


def test_larger_than_path_mtu_is_dropped_with_frag_needed() -> None:
    t = run("flannel-vxlan", "larger-than-pod-mtu")
    assert t.verdict == "dropped" and "1450" in t.reason
    e = engine("flannel-vxlan", "\n  faults: {nodeMTU: {node-1: 1400}}")
    t = trace_connect(e, "default/client", "default/web-2", 8080, size=1450)
    assert t.verdict == "dropped"
    assert t.hops[-1].rule == "ICMP fragmentation needed (type 3 code 4), mtu 1350"
    assert "lowered to 1400" in t.reason
    t = trace_connect(e, "default/client", "default/web-2", 8080, size=1350)
    assert t.verdict == "delivered"


def test_mtu_lowered_on_receiver_is_a_black_hole() -> None:
    e = engine("flannel-vxlan", "\n  faults: {nodeMTU: {node-2: 1400}}")
    t = trace_connect(e, "default/client", "default/web-2", 8080, size=1450)
    assert t.verdict == "dropped" and "black hole" in t.reason and "node-2" in t.reason


def test_fault_node_down() -> None:
    e = engine("flannel-vxlan", "\n  faults: {nodesDown: [node-2]}")
    t = trace_connect(e, "default/client", "default/web-2", 8080)
    assert t.verdict == "dropped" and "node-2 is powered off (fault)" in t.reason
    t = trace_connect(e, "default/client", "web", 80, seed=5)
    assert t.verdict == "delivered" and t.backend != "default/web-2"
    assert "default/web-2:8080" not in t.candidates


def test_fault_kube_proxy_stopped_keeps_stale_endpoints() -> None:
    e = engine("flannel-vxlan", "\n  faults: {nodesDown: [node-2], kubeProxyStopped: [node-1]}")
    got = {trace_connect(e, "default/client", "web", 80, seed=s).backend for s in range(30)}
    t = next(trace_connect(e, "default/client", "web", 80, seed=s) for s in range(30)
             if trace_connect(e, "default/client", "web", 80, seed=s).verdict == "dropped")
    assert "default/web-2:8080" in t.candidates
    assert "stale" in t.reason and "powered off" in t.reason
    assert {"default/web-1", "default/web-3"} <= got


def test_fault_link_cut() -> None:
    e = engine("flannel-vxlan", "\n  faults: {cutLinks: [[rack-a, rack-b]]}")
    t = trace_connect(e, "default/client", "default/web-3", 8080)
    assert t.verdict == "dropped" and "rack-a and rack-b is cut (fault)" in t.reason
    assert trace_connect(e, "default/client", "default/web-2", 8080).verdict == "delivered"


def test_fault_coredns_scaled_to_zero() -> None:
    e = engine("flannel-vxlan", "\n  faults: {corednsScaledToZero: true}")
    t = trace_connect(e, "default/client", "web", 80)
    assert t.verdict == "rejected" and t.hops[0].action == "dns-query"
    assert t.reason.startswith("DNS query for web.default.svc.cluster.local to 10.96.0.10:53")
    assert "kube-system/kube-dns:dns has no ready endpoints" in t.reason
    assert "fault: CoreDNS is scaled to zero" in t.reason
    assert trace_connect(e, "default/client", "default/web-2", 8080).verdict == "delivered"


def test_dns_blocked_by_egress_policy() -> None:
    t = trace_connect(engine("calico-ipip"), "default/locked", "web", 80)
    assert t.verdict == "dropped" and t.hops[0].action == "dns-query"
    assert t.hops[-1].action == "policy-deny" and "DNS query" in t.reason


def test_table_format() -> None:
    text = format_trace_table(run("flannel-vxlan", "pod-pod-cross-node"))
    assert text.startswith("verdict: delivered\n")
    assert "encapsulate" in text
    assert "route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink" in text


# --------------------------------------------------------------------------- consistency


def check_consistent(e: Engine, t: dict) -> None:
    """Hop packets chain, TTL drops only where the kernel routes, route hops quote the node's
    `ip route`, NAT hops quote its `iptables-save -t nat`, and replies reverse the NAT."""
    fwd = [h for h in t["hops"] if h["action"] not in ("reply", "dns-query", "dns-answer")]
    for a, b in pairwise(fwd):
        if a["packet_out"] is not None and b["packet_in"] is not None:
            assert a["packet_out"] == b["packet_in"], (a, b)
    for h in fwd:
        pin, pout = h["packet_in"], h["packet_out"]
        if pin is None or pout is None:
            continue
        drop = pin["ttl"] - pout["ttl"]
        assert drop in (0, 1)
        if drop:
            assert h["action"] in ("route", "underlay"), h
        node = h["place"]["node"]
        if h["action"] == "route" and h["rule"].startswith("route "):
            assert h["rule"][6:] + "\n" in "\n" + node_view(e, node, "routes") or \
                h["rule"][6:] in node_view(e, node, "routes").splitlines(), h
    cfg = e.cluster.config
    if cfg.kube_proxy_mode == "iptables" and not cfg.kube_proxy_replacement:
        for h in fwd:
            node = h["place"]["node"]
            if h["action"] == "dnat" and node:
                nat = node_view(e, node, "iptables")
                for chain in re.findall(r"KUBE-[A-Z]+-[A-Z2-7]{16}", h["rule"]):
                    assert f":{chain} - [0:0]" in nat, (chain, node)
            if h["action"] == "snat" and node:
                assert h["rule"] in node_view(e, node, "iptables").splitlines(), h
    if t["verdict"] == "delivered":
        replies = [h for h in t["hops"] if h["action"] == "reply"]
        first = next(h for h in fwd if h["action"] == "send")["packet_out"]
        end = replies[-1]["packet_out"] or replies[-1]["packet_in"]
        assert (end["src"], end["sport"]) == (first["dst"], first["dport"])
        assert (end["dst"], end["dport"]) == (first["src"], first["sport"])


MODE_NAMES = sorted(MODES)


@st.composite
def small_cluster(draw) -> str:
    mode = draw(st.sampled_from(MODE_NAMES))
    nodes = draw(st.integers(1, 4))
    two_subnets = draw(st.booleans())
    docs = [MODES[mode].join(("apiVersion: clusterlab.io/v1alpha1\nkind: ClusterConfig\n"
                              "spec:\n  ", "\n"))]
    if two_subnets:
        docs[0] += ("  subnets:\n  - {name: a, cidr: 192.168.56.0/24, gateway: 192.168.56.1}\n"
                    "  - {name: b, cidr: 192.168.57.0/24, gateway: 192.168.57.1}\n")
    for i in range(nodes):
        third = 57 if two_subnets and i % 2 else 56
        docs.append(f"apiVersion: v1\nkind: Node\nmetadata: {{name: n{i}}}\nstatus: "
                    f"{{addresses: [{{type: InternalIP, address: 192.168.{third}.{10 + i}}}]}}\n")
    pods = draw(st.integers(2, 6))
    for j in range(pods):
        node = draw(st.integers(0, nodes - 1))
        app = draw(st.sampled_from(["a", "b"]))
        docs.append(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{j}, labels: {{app: {app}}}}}\n"
                    f"spec: {{nodeName: n{node}, containers: [{{name: c, image: x}}]}}\n")
    etp = draw(st.sampled_from(["Cluster", "Local"]))
    docs.append("apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec:\n  type: NodePort\n"
                f"  externalTrafficPolicy: {etp}\n  selector: {{app: a}}\n"
                "  ports: [{port: 80, targetPort: 8080}]\n")
    return "---\n".join(docs)


@lru_cache(maxsize=256)
def load(text: str) -> Engine:
    return Engine(manifests.load([("gen", text)]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cluster(), st.data())
def test_random_flows_are_consistent_with_node_tables(text: str, data) -> None:
    e = load(text)
    pods = [p for p in e.cluster.pods if p.namespace == "default"]
    src = data.draw(st.sampled_from(pods)).key
    svc = e.cluster.service_by_key["default/svc"]
    nodes = list(e.cluster.nodes)
    choice = data.draw(st.sampled_from(["pod", "svc", "name", "nodeport", "host"]))
    seed = data.draw(st.integers(0, 50))
    if choice == "pod":
        t = trace_connect(e, src, data.draw(st.sampled_from(pods)).key, 8080, seed=seed)
    elif choice == "svc":
        t = trace_connect(e, src, str(svc.cluster_ip), 80, seed=seed)
    elif choice == "name":
        t = trace_connect(e, src, "svc", 80, seed=seed)
    elif choice == "nodeport":
        node = data.draw(st.sampled_from(nodes))
        t = trace_connect(e, {"ip": "203.0.113.9"}, str(node.internal_ip),
                          svc.ports[0].node_port, seed=seed)
    else:
        node = data.draw(st.sampled_from(nodes))
        t = trace_connect(e, {"node": node.name}, data.draw(st.sampled_from(pods)).key, 8080)
    assert t.verdict in ("delivered", "dropped", "rejected")
    assert t.reason
    check_consistent(e, t.to_dict())


def test_hairpin_is_masqueraded_to_the_bridge_address_svc_15() -> None:
    e = engine("flannel-vxlan")
    ip = str(e.cluster.service_by_key["default/web"].cluster_ip)
    t = next(t for s in range(40)
             if (t := trace_connect(e, "default/web-1", ip, 80, seed=s)).backend == "default/web-1")
    assert t.verdict == "delivered" and t.source_ip_at_backend == "10.244.1.1"
    end = t.reply_hops[-1].packet_in
    assert (end.src, end.sport, end.dst) == (ip, 80, "10.244.1.3")
