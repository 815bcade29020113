"""The same cluster under another CNI plugin or mode, side by side (issue #7).

Same YAML, different CNIs, different outcomes (peers-and-user-asks.md §3.3): the path a
packet takes (bridge or not, which devices), its encapsulation and the MTU that leaves
for pods (NET-3.2), and whether NetworkPolicies are enforced at all — plain Flannel
enforces none (NET-4.6), so a flow the policies deny is still delivered.

Both sides are whole engines: the caller builds the alternative cluster (the web layer
reloads the stored manifests under the other ClusterConfig, so pod addresses come
from that plugin's IPAM, as they would after a reinstall — re-using the current
addresses under another plugin's routes would invent drops that no cluster has).
Nothing here saves anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clusterlab.sim.engine import Engine
from clusterlab.sim.query import run_query
from clusterlab.sim.whatif import flow_changes

__all__ = ["compare_flow", "compare_matrix", "dataplane_facts", "flow_facts"]

_INTERFACE_KINDS = ("interface", "tunnel")


def dataplane_facts(engine: Engine, nodes: Iterable[str] = ()) -> dict[str, Any]:
    """Plugin, mode, encapsulation and the pods' MTU on the given nodes."""
    dp = engine.dataplane
    cfg = engine.cluster.config
    encap = dp.encap
    out: dict[str, Any] = {
        "plugin": cfg.cni_plugin, "mode": cfg.cni_mode, "cross_subnet": cfg.cross_subnet,
        "label": dp.name, "enforces_network_policy": cfg.enforces_network_policy,
        "encapsulation": None if encap is None else {
            "kind": encap.kind, "device": encap.device, "overhead": encap.overhead,
            "port": encap.port, "vni": encap.vni, "text": encap.describe()},
        "pod_mtu": {}}
    for node in nodes:
        if node in engine.cluster.node_by_name:
            out["pod_mtu"][node] = dp.pod_mtu(node)
    if not cfg.enforces_network_policy:
        out["warning"] = (f"{cfg.cni_plugin} does not enforce NetworkPolicy: policies are "
                          "stored and shown, but no packet is ever dropped by them (NET-4.6)")
    return out


def flow_facts(engine: Engine, query: dict[str, Any]) -> dict[str, Any]:
    """One `connect` query traced on this engine, reduced to what a comparison shows."""
    result = run_query(engine, {**query, "kind": "connect"})
    hops = [h for h in result["hops"] if h["action"] != "reply"]
    nodes = [h["place"]["node"] for h in hops if h["place"].get("node")]
    facts = dataplane_facts(engine, dict.fromkeys(nodes))
    devices: list[str] = []
    for h in hops:
        place = h["place"]
        if place["kind"] in _INTERFACE_KINDS and place["name"] not in devices:
            devices.append(place["name"])
    outer = next((h["packet_out"]["outer"] for h in hops if h["action"] == "encapsulate"
                  and h.get("packet_out") and h["packet_out"].get("outer")), None)
    first = next((h.get("packet_in") or h.get("packet_out") for h in hops
                  if h.get("packet_in") or h.get("packet_out")), None) or {}
    facts.update({
        "verdict": result["verdict"], "reason": result["reason"],
        "source_ip": first.get("src"), "destination_ip": result.get("resolved_ip")
        or first.get("dst"), "backend": result.get("backend"),
        "hop_count": len(hops), "devices": devices,
        "path": [{"seq": h["seq"], "action": h["action"], "node": h["place"].get("node"),
                  "place": h["place"]["name"], "rule": h["rule"]} for h in hops],
        "encapsulated": outer is not None, "outer": outer,
        "policies": result.get("policies", []),
        "last_hop": hops[-1] if hops else None})
    return facts


def _encap_text(side: dict[str, Any]) -> str:
    if not side["encapsulated"]:
        return "not encapsulated"
    enc = side["encapsulation"]
    return f"{enc['text']} (+{enc['overhead']} bytes)" if enc else "encapsulated"


def _mtu_text(side: dict[str, Any]) -> str:
    values = sorted(set(side["pod_mtu"].values()))
    return "/".join(str(v) for v in values) or "?"


def compare_flow(current: Engine, alternative: Engine, query: dict[str, Any]
                 ) -> dict[str, Any]:
    """Trace one packet on both engines; report each side and what differs, in words."""
    a, b = flow_facts(current, query), flow_facts(alternative, query)
    diffs: list[str] = []
    if a["verdict"] != b["verdict"]:
        diffs.append(f"verdict: {a['verdict']} under {a['label']}, {b['verdict']} under "
                     f"{b['label']}")
    for side, other in ((a, b), (b, a)):
        if not side["enforces_network_policy"] and other["enforces_network_policy"]:
            denying = [p for p in side["policies"] if not p.get("allowed", True)]
            if denying:
                names = ", ".join(k for p in denying for k in p.get("isolated_by", []))
                text = (f"{side['plugin']} does not enforce NetworkPolicy (NET-4.6): "
                        f"{names} would drop this packet")
                if other["verdict"] != "delivered":
                    text += f"; under {other['label']} it is {other['verdict']}"
                diffs.append(text)
            else:
                diffs.append(f"{side['plugin']} does not enforce NetworkPolicy (NET-4.6); "
                             f"{other['plugin']} does")
    if _encap_text(a) != _encap_text(b):
        diffs.append(f"encapsulation: {_encap_text(a)} vs {_encap_text(b)}")
    if _mtu_text(a) != _mtu_text(b):
        diffs.append(f"pod MTU: {_mtu_text(a)} vs {_mtu_text(b)} (NET-3.2: the tunnel's "
                     "overhead comes off the node's 1500)")
    if a["devices"] != b["devices"] or a["hop_count"] != b["hop_count"]:
        diffs.append(f"path: {a['hop_count']} hops via {', '.join(a['devices']) or '-'} vs "
                     f"{b['hop_count']} hops via {', '.join(b['devices']) or '-'}")
    if (a["source_ip"], a["destination_ip"]) != (b["source_ip"], b["destination_ip"]):
        diffs.append(f"addresses: {a['source_ip']} → {a['destination_ip']} vs "
                     f"{b['source_ip']} → {b['destination_ip']} (each plugin's IPAM)")
    return {"kind": "flow", "current": a, "alternative": b, "differences": diffs}


def _matrix_side(engine: Engine, port: int | str, protocol: str) -> tuple[Any, dict[str, Any]]:
    m = engine.policy.matrix(port, protocol)
    total = len(m.pod_keys) ** 2
    said = m.count_allowed()
    facts = dataplane_facts(engine)
    facts.update({"allowed_by_policy": said, "delivered": said if m.enforced else total,
                  "total": total})
    return m, facts


def compare_matrix(current: Engine, alternative: Engine, port: int | str,
                   protocol: str = "TCP", limit: int = 200) -> dict[str, Any]:
    """The pod×pod truth table on both engines: what the policies say and what packets
    do, and the flows that switching would open or cut."""
    ma, a = _matrix_side(current, port, protocol)
    mb, b = _matrix_side(alternative, port, protocol)
    delivered = flow_changes(ma, mb, limit=limit, effective=True)
    said = flow_changes(ma, mb, limit=limit)
    diffs: list[str] = []
    if a["enforces_network_policy"] != b["enforces_network_policy"]:
        off, on = (a, b) if not a["enforces_network_policy"] else (b, a)
        denied = on["total"] - on["allowed_by_policy"]
        diffs.append(f"{off['plugin']} does not enforce NetworkPolicy (NET-4.6): the "
                     f"{denied} pod pair{'s' if denied != 1 else ''} the policies deny on "
                     f"{protocol}/{port} are delivered under {off['label']} and dropped under "
                     f"{on['label']}")
    if said.count_opened or said.count_cut:
        diffs.append(f"the policies themselves answer differently for "
                     f"{said.count_opened + said.count_cut} pairs: pod addresses differ, so "
                     "ipBlock peers match other pods")
    if delivered.count_cut or delivered.count_opened:
        cut = delivered.count_cut
        diffs.append(f"switching from {a['label']} to {b['label']} cuts {cut} delivered "
                     f"flow{'s' if cut != 1 else ''} and opens {delivered.count_opened}")
    else:
        diffs.append(f"the same pod pairs get through on {protocol}/{port} under both")
    return {"kind": "matrix", "port": port, "protocol": protocol, "current": a,
            "alternative": b, "delivered_changes": delivered.to_dict(),
            "policy_changes": said.to_dict(), "differences": diffs}
