"""Which policies select a pod and whom they admit; whom a policy selects and admits.

"Which policy allowed or dropped this?" is users' first ask (peers-and-user-asks.md §4.1).
Before any packet is sent, the editor answers its static half: selecting a pod shows
the policies isolating it for ingress and for egress and the peers their rules admit;
selecting a policy shows its targets and its peers. Read from the compiled
`PolicyIndex` (the same selection the verdicts use), so the picture and the verdicts
cannot disagree. Ports are not considered here: a peer is admitted on *some* port.
"""

from __future__ import annotations

from typing import Any

from clusterlab.sim.model import NetworkPolicyPeer
from clusterlab.sim.policy import (
    ALL_PODS,
    EGRESS,
    INGRESS,
    IP_BLOCK,
    NAMESPACES,
    NOTHING,
    PODS,
    CompiledPolicy,
    CompiledRule,
    PolicyIndex,
    format_label_selector,
)

__all__ = ["peer_text", "pod_attribution", "policy_attribution"]


def peer_text(peer: NetworkPolicyPeer | None, direction: str) -> str:
    """A peer as one line, in kubectl describe's words (KCTL-8)."""
    word = "From" if direction == INGRESS else "To"
    if peer is None:
        what = "source" if direction == INGRESS else "destination"
        return f"{word}: <any> (traffic not restricted by {what})"
    if peer.ip_block is not None:
        text = f"{word}: IPBlock {peer.ip_block.cidr}"
        if peer.ip_block.except_:
            text += " except " + ", ".join(str(e) for e in peer.ip_block.except_)
        return text
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"NamespaceSelector: {format_label_selector(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"PodSelector: {format_label_selector(peer.pod_selector)}")
    return f"{word}: " + (" AND ".join(parts) or "<empty peer>")


def _rule_peers(index: PolicyIndex, rule: CompiledRule) -> tuple[set[str], bool]:
    """Pod keys a rule's peers admit, and whether it admits any address at all."""
    if not rule.peers:
        return set(index.pod_keys()), True
    groups = index.groups
    keys: set[str] = set()
    for p in rule.peers:
        if p.kind == ALL_PODS:
            keys.update(k for g in groups if not g.host_network for k in g.pods)
        elif p.kind == NAMESPACES:
            keys.update(k for g in groups if not g.host_network and g.namespace in p.namespaces
                        for k in g.pods)
        elif p.kind in (PODS, IP_BLOCK) and p.gids is not None:
            keys.update(k for g in p.gids.tolist() for k in groups[g].pods)
        elif p.kind == NOTHING:
            continue
    return keys, False


def _rules(index: PolicyIndex, cp: CompiledPolicy, direction: str) -> list[dict[str, Any]]:
    out = []
    for rule in (cp.ingress if direction == INGRESS else cp.egress):
        keys, anyone = _rule_peers(index, rule)
        ports = [("<any>" if p.port is None else f"{p.port}"
                  + (f"-{p.end_port}" if p.end_port is not None else "")) + f"/{p.protocol}"
                 for p in rule.ports] or ["<any>"]
        out.append({"direction": direction, "index": rule.index, "ports": ports,
                    "peers": [peer_text(p.peer, direction) for p in rule.peers]
                    or [peer_text(None, direction)],
                    "any_address": anyone, "pods": sorted(keys)})
    return out


def policy_attribution(index: PolicyIndex, policy_key: str) -> dict[str, Any]:
    """A policy's targets, its rules and the pods each direction admits."""
    cp = index.compiled[policy_key]
    policy = cp.policy
    rules = _rules(index, cp, INGRESS) + _rules(index, cp, EGRESS)
    out: dict[str, Any] = {"policy": policy_key,
                           "targets": sorted(index.selected_pods(policy_key)),
                           "affects_ingress": policy.affects_ingress,
                           "affects_egress": policy.affects_egress, "rules": rules,
                           "enforced": index.enforced}
    for direction in (INGRESS, EGRESS):
        mine = [r for r in rules if r["direction"] == direction]
        out[f"{direction}_peers"] = sorted({k for r in mine for k in r["pods"]})
        out[f"{direction}_any_address"] = any(r["any_address"] for r in mine)
    return out


def pod_attribution(index: PolicyIndex, pod_key: str) -> dict[str, Any]:
    """The policies isolating a pod, per direction, and the peers they admit together."""
    pod = index.cluster.pod_by_key.get(pod_key)
    if pod is None:
        raise ValueError(f"pod: pods {pod_key!r} not found")
    ingress, egress = index.selecting(pod)
    out: dict[str, Any] = {"pod": pod_key, "host_network": pod.host_network,
                           "enforced": index.enforced}
    for direction, keys in ((INGRESS, ingress), (EGRESS, egress)):
        peers: set[str] = set()
        anyone = False
        for key in keys:
            for r in _rules(index, index.compiled[key], direction):
                peers.update(r["pods"])
                anyone |= r["any_address"]
        out[direction] = {"policies": list(keys), "isolated": bool(keys),
                          "peers": sorted(peers), "any_address": anyone}
    if pod.host_network:
        out["note"] = (f"{pod_key} uses the host network: NetworkPolicy does not apply to it "
                       "and it is seen as its node's IP")
    return out
