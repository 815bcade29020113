"""NetworkPolicy semantics (networking.k8s.io/v1), compiled once per snapshot.

Why an index: a verdict must cost microseconds and a 10k-pod matrix milliseconds, so the
snapshot is compiled once. Pods are grouped by everything a policy can tell apart —
namespace, the label values selectors mention, the named ports rules mention, which
`ipBlock`s contain the pod IP, hostNetwork (+ node IP) — and every policy's selection
and every peer's admitted set is precomputed over those groups. `reachability.py`
builds the pod×pod matrix on the same groups.

Semantics reproduced (validation.md VAL-4, VAL-5, VAL-10; kubernetes.io
network-policies "Isolated and Non-isolated Pods", "Behavior of to and from selectors"):

* a pod is isolated for a direction only if a policy *selecting it* has that policy type
  (policyTypes arrive defaulted in the model); rules are additive allow-lists;
* a flow needs the source's egress **and** the destination's ingress to allow it; a
  non-pod endpoint (external IP, node) has no side of its own to check;
* peers: `podSelector` alone = pods of the policy's namespace, `namespaceSelector`
  alone = every pod of the matching namespaces, both in one peer = AND, separate
  peers = OR, `{}` = everything; a rule without peers admits everyone, without ports
  every port;
* ports: number, number range (`endPort`), or a name resolved on the *destination*
  pod's container ports of that protocol (for egress rules too: on the peer); a named
  port never matches a destination that is not a pod;
* exceptions written in the network-policies page: a pod cannot block traffic to
  itself, and traffic between a pod and the node it runs on is always allowed;
* hostNetwork pods are not subject to policies and are seen by their node IP, so only
  an `ipBlock` can match them (NET-1: their IP is the node's).

`ipBlock` and pod IPs: Kubernetes leaves it implementation-defined whether an
`ipBlock` matches pod IPs ("These should be cluster-external IPs"). The simulator does
what Calico does and matches pod IPs too. Cilium does not: its CIDR selectors never
select cluster endpoints (cilium/cilium#19601, #12783) — a difference the UI can explain.

Whether any of this is *enforced* depends on the CNI (NET-4.6: plain Flannel enforces
nothing); verdicts always say what the policies say and carry `enforced`.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

import numpy as np

from clusterlab.sim.console.multiline import annotations_lines, labels_lines
from clusterlab.sim.console.tabwriter import describe_text
from clusterlab.sim.model import (
    PROTOCOLS,
    Cluster,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Pod,
)

if TYPE_CHECKING:
    from clusterlab.sim.reachability import Matrix

INGRESS = "ingress"
EGRESS = "egress"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

# --------------------------------------------------------------------------- peers & rules

_NO_IDS = np.empty(0, dtype=np.int32)

# Peer kinds, from cheapest to most specific to evaluate:
ALL = "all"          # a rule without peers: every source/destination, pods or not
ALL_PODS = "allpods"  # every (non-hostNetwork) pod of every namespace
NAMESPACES = "ns"    # every pod of some namespaces
PODS = "pods"        # some pod groups (a non-empty podSelector)
IP_BLOCK = "ipblock"  # addresses in a CIDR minus exceptions (pod IPs included, Calico-style)
NOTHING = "nothing"  # an invalid empty peer (the API server rejects it, VAL-10)


@dataclass(frozen=True, eq=False, slots=True)
class CompiledPeer:
    index: int
    peer: NetworkPolicyPeer
    kind: str
    namespaces: frozenset[str] = frozenset()
    gids: np.ndarray | None = None  # PODS / IP_BLOCK: admitted pod groups, sorted
    gidset: frozenset[int] = frozenset()


@dataclass(frozen=True, eq=False, slots=True)
class CompiledRule:
    policy_key: str
    direction: str
    index: int
    rule: NetworkPolicyRule
    peers: tuple[CompiledPeer, ...]  # empty = kind ALL

    @property
    def ports(self) -> tuple[NetworkPolicyPort, ...]:
        return self.rule.ports


@dataclass(frozen=True, eq=False, slots=True)
class CompiledPolicy:
    policy: NetworkPolicy
    selected: np.ndarray  # pod group ids the podSelector selects (sorted)
    ingress: tuple[CompiledRule, ...]  # empty when the policy does not affect ingress
    egress: tuple[CompiledRule, ...]
    referenced: np.ndarray = field(default_factory=lambda: _NO_IDS)  # selected + peer ids

    def __post_init__(self) -> None:
        parts = [self.selected] + [p.gids for r in self.ingress + self.egress
                                   for p in r.peers if p.gids is not None and len(p.gids)]
        object.__setattr__(self, "referenced",
                           parts[0] if len(parts) == 1 else np.concatenate(parts))

    @property
    def key(self) -> str:
        return self.policy.key


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule that admitted a flow: `NetworkPolicy prod/allow-frontend ingress rule 0`."""

    policy: str
    direction: str
    rule: int  # index within spec.ingress / spec.egress
    peer: int | None  # index within from/to; None when the rule has no peers (admits all)
    port: int | None  # index within ports; None when the rule has no ports (all ports)
    detail: str = ""

    @property
    def text(self) -> str:
        return f"NetworkPolicy {self.policy} {self.direction} rule {self.rule}"

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "direction": self.direction, "rule": self.rule,
                "peer": self.peer, "port": self.port, "text": self.text,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class DirectionVerdict:
    """What one side's policies say (egress of the source, ingress of the destination)."""

    allowed: bool
    isolated: bool
    isolated_by: tuple[str, ...] = ()
    allowed_by: tuple[RuleRef, ...] = ()
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"isolated": self.isolated, "isolated_by": list(self.isolated_by),
                "allowed_by": [r.to_dict() for r in self.allowed_by]}


@dataclass(frozen=True, slots=True)
class PolicyVerdict:
    allowed: bool  # what the policies say
    enforced: bool  # whether the CNI enforces them (NET-4.6)
    egress: DirectionVerdict
    ingress: DirectionVerdict
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The `policy` query's result shape (issue #3), plus `isolated_by` per direction."""
        return {"allowed": self.allowed, "enforced": self.enforced,
                "egress": self.egress.to_dict(), "ingress": self.ingress.to_dict(),
                "reason": self.reason}


# --------------------------------------------------------------------------- pod groups


@dataclass(frozen=True, slots=True)
class PodGroup:
    """Pods every NetworkPolicy of the snapshot treats alike: same namespace, same values of
    the labels selectors mention, same named ports, same ipBlock membership of the address
    they are seen as (hostNetwork pods: their node IP, and no labels or ports count)."""

    id: int
    namespace: str
    pods: tuple[str, ...]  # pod keys, cluster order
    host_network: bool


@dataclass(frozen=True, slots=True)
class _Features:
    """What policies look at. Labels per namespace: a label value matters for the pods of
    namespace N only if a selector that can be applied to N's pods mentions it (the
    podSelector of N's policies, their same-namespace peers, and the pod part of peers
    whose namespaceSelector matches N); an empty value set means presence only. Named
    ports (name, protocol) and ipBlocks are cluster-wide."""

    labels: Mapping[str, Mapping[str, frozenset[str]]]  # namespace → key → values
    named_ports: frozenset[tuple[str, str]]
    ip_blocks: tuple[IPBlock, ...]

    @staticmethod
    def of(policies: Iterable[NetworkPolicy],
           namespaces_matching: Callable[[LabelSelector], Iterable[str]]) -> _Features:
        labels: dict[str, dict[str, set[str]]] = {}
        named: set[tuple[str, str]] = set()
        blocks: dict[IPBlock, None] = {}
        spread: set[tuple[LabelSelector, LabelSelector]] = set()

        def add(ns: str, s: LabelSelector) -> None:
            if s.is_empty:
                return
            keys = labels.setdefault(ns, {})
            for k, v in s.match_labels:
                keys.setdefault(k, set()).add(v)
            for req in s.match_expressions:
                keys.setdefault(req.key, set()).update(req.values)

        for policy in policies:
            add(policy.namespace, policy.pod_selector)
            for rule in _active_rules(policy):
                for port in rule.ports:
                    if isinstance(port.port, str):
                        named.add((port.port, port.protocol))
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        blocks[peer.ip_block] = None
                    elif peer.pod_selector is None:
                        continue
                    elif peer.namespace_selector is None:
                        add(policy.namespace, peer.pod_selector)
                    elif (peer.namespace_selector, peer.pod_selector) not in spread:
                        spread.add((peer.namespace_selector, peer.pod_selector))
                        for ns in namespaces_matching(peer.namespace_selector):
                            add(ns, peer.pod_selector)
        return _Features({ns: {k: frozenset(v) for k, v in keys.items()}
                          for ns, keys in labels.items()}, frozenset(named), tuple(blocks))

    def missing_from(self, other: _Features) -> _Features | None:
        """The part of self that `other` does not cover, or None if it covers all of it."""
        labels: dict[str, dict[str, frozenset[str]]] = {}
        for ns, keys in self.labels.items():
            have_ns = other.labels.get(ns, {})
            for k, vals in keys.items():
                have = have_ns.get(k)
                if have is None:
                    labels.setdefault(ns, {})[k] = vals
                elif not vals <= have:
                    labels.setdefault(ns, {})[k] = vals - have
        named = self.named_ports - other.named_ports
        known = set(other.ip_blocks)
        blocks = tuple(b for b in self.ip_blocks if b not in known)
        if not labels and not named and not blocks:
            return None
        return _Features(labels, frozenset(named), blocks)

    def merged(self, other: _Features) -> _Features:
        labels = {ns: dict(keys) for ns, keys in self.labels.items()}
        for ns, keys in other.labels.items():
            mine = labels.setdefault(ns, {})
            for k, vals in keys.items():
                mine[k] = mine.get(k, frozenset()) | vals
        known = set(self.ip_blocks)
        return _Features(labels, self.named_ports | other.named_ports,
                         self.ip_blocks + tuple(b for b in other.ip_blocks if b not in known))


def _active_rules(policy: NetworkPolicy) -> Iterable[NetworkPolicyRule]:
    if policy.affects_ingress:
        yield from policy.ingress
    if policy.affects_egress:
        yield from policy.egress


class _Signer:
    """Computes the per-pod signature w.r.t. a feature set (the pod-group key)."""

    def __init__(self, feats: _Features, pods: tuple[Pod, ...],
                 host_ips: list[IPv4Address | None]):
        self.feats = feats
        self.named = sorted(feats.named_ports)
        # Replicas of one workload often share their labels/containers objects: identity
        # caches (checked with `is`, so a recycled id can never give a wrong answer).
        self._labels_cache: dict[int, tuple[Any, str, tuple]] = {}
        self._containers_cache: dict[int, tuple[Any, tuple]] = {}
        self.ipsig = _ip_signatures(feats.ip_blocks, host_ips, pods)

    def labels(self, pod: Pod) -> tuple:
        lv = self.feats.labels.get(pod.namespace)
        if not lv:
            return ()
        labels = pod.labels
        hit = self._labels_cache.get(id(labels))
        if hit is not None and hit[0] is labels and hit[1] == pod.namespace:
            return hit[2]
        items = [(k, v if v in vals else None)
                 for k, v in labels.items() if (vals := lv.get(k)) is not None]
        if len(items) > 1:
            items.sort()
        sig = tuple(items)
        self._labels_cache[id(labels)] = (labels, pod.namespace, sig)
        return sig

    def named_ports(self, pod: Pod) -> tuple:
        if not self.named:
            return ()
        containers = pod.containers
        hit = self._containers_cache.get(id(containers))
        if hit is not None and hit[0] is containers:
            return hit[1]
        declared: dict[tuple[str, str], tuple[int, ...]] = {}
        for c in containers:
            for p in c.ports:
                if p.name:
                    k = (p.name, p.protocol)
                    declared[k] = (*declared.get(k, ()), p.container_port)
        sig = tuple(declared.get(f, ()) for f in self.named)
        self._containers_cache[id(containers)] = (containers, sig)
        return sig

    def key(self, i: int, pod: Pod) -> tuple:
        if pod.host_network:  # seen as the node IP: only ipBlocks tell them apart
            return (pod.namespace, True, self.ipsig[i])
        return (pod.namespace, False, self.labels(pod), self.named_ports(pod), self.ipsig[i])


def _named_numbers(pod: Pod, name: str, protocol: str) -> tuple[int, ...]:
    return tuple(p.container_port for c in pod.containers for p in c.ports
                 if p.name == name and p.protocol == protocol)


def _ip_signatures(blocks: tuple[IPBlock, ...], ips: list[IPv4Address | None],
                   pods: tuple[Pod, ...]) -> list[bytes]:
    """Which ipBlocks contain each pod's IP, as bytes (vectorised; pod IPs, Calico-style)."""
    n = len(pods)
    if not blocks:
        return [b""] * n
    addr = np.fromiter((int(ip) if ip is not None else 0 for ip in ips), dtype=np.uint32,
                       count=n)
    has = np.fromiter((ip is not None for ip in ips), dtype=bool, count=n)
    member = np.zeros((n, len(blocks)), dtype=bool)
    for j, block in enumerate(blocks):
        m = has & _in_net(addr, block.cidr)
        for exc in block.except_:
            m &= ~_in_net(addr, exc)
        member[:, j] = m
    packed = np.packbits(member, axis=1)
    return [row.tobytes() for row in packed]


def _in_net(addr: np.ndarray, net: Any) -> np.ndarray:
    mask = np.uint32(int(net.netmask))
    return (addr & mask) == np.uint32(int(net.network_address))


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True, slots=True)
class _Endpoint:
    kind: str  # "pod" | "host" (hostNetwork pod) | "ip"
    desc: str
    pod: Pod | None = None
    ip: IPv4Address | None = None
    gid: int | None = None
    node: str | None = None  # node the endpoint runs on (pods) or is (a node's IP)


class PolicyIndex:
    """NetworkPolicy answers for one snapshot; build with `PolicyIndex.build(cluster)`."""

    cluster: Cluster
    groups: tuple[PodGroup, ...]

    def __init__(self) -> None:  # use build() / with_policy()
        self._matrix_cache: dict[tuple[int | str, str], Matrix] = {}
        self._parent: weakref.ref[PolicyIndex] | None = None
        self._parents: np.ndarray | None = None
        self._refined_from: tuple[PodGroup, ...] | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, cluster: Cluster) -> PolicyIndex:
        self = cls()
        self.cluster = cluster
        with no_gc():
            self._init_pods()
            self._init_namespaces()
            self._feats = _Features.of(cluster.network_policies, self._namespaces_matching)
            self._group_pods()
            self._compiled = {p.key: self._compile(p) for p in cluster.network_policies}
            self._index_selection()
        return self

    def _init_pods(self) -> None:
        pods = self.cluster.pods
        self._pods = pods
        self._keys = [f"{p.namespace}/{p.name}" for p in pods]
        self._pos = {k: i for i, k in enumerate(self._keys)}
        nodes = self.cluster.node_by_name
        host_ips: list[IPv4Address | None] = []
        for p in pods:
            if p.host_network:
                node = nodes.get(p.node_name) if p.node_name else None
                host_ips.append(p.ip or (node.internal_ip if node else None))
            else:
                host_ips.append(p.ip)
        self._ips = host_ips  # the address each pod is seen as (node IP for hostNetwork)

    def _group_pods(self) -> None:
        signer = _Signer(self._feats, self._pods, self._ips)
        by_key: dict[tuple, list[int]] = {}
        for i, pod in enumerate(self._pods):
            by_key.setdefault(signer.key(i, pod), []).append(i)
        order = sorted(by_key, key=lambda k: k[0])  # stable: namespaces contiguous
        self._set_groups([by_key[k] for k in order])

    def _set_groups(self, members: list[list[int]]) -> None:
        pods, keys = self._pods, self._keys
        groups = []
        gid_of = np.empty(len(pods), dtype=np.int32)
        for gid, idx in enumerate(members):
            first = pods[idx[0]]
            groups.append(PodGroup(gid, first.namespace, tuple(keys[i] for i in idx),
                                   first.host_network))
            gid_of[idx] = gid
        self.groups = tuple(groups)
        self._members = members
        self._gid_of = gid_of
        self._rep = [pods[idx[0]] for idx in members]
        self._nonhost = np.fromiter((not g.host_network for g in groups), dtype=bool,
                                    count=len(groups))
        ns_gids: dict[str, list[int]] = {}
        for g in groups:
            if not g.host_network:
                ns_gids.setdefault(g.namespace, []).append(g.id)
        self._ns_gids = {ns: np.asarray(v, dtype=np.int32) for ns, v in ns_gids.items()}
        self._block_gids = self._block_members(self._feats.ip_blocks)
        self._sel_cache: dict[tuple[str | None, LabelSelector], np.ndarray] = {}
        self._peer_cache: dict[tuple, tuple[np.ndarray, frozenset[int]]] = {}
        self._port_cache: dict[tuple, np.ndarray] = {}  # reachability's per-group port vectors

    def _init_namespaces(self) -> None:
        labels = {ns.name: ns.labels for ns in self.cluster.namespaces}
        for name in {p.namespace for p in self._pods}:
            labels.setdefault(name, {NAMESPACE_NAME_LABEL: name})
        self._ns_labels = labels
        self._nssel_cache: dict[LabelSelector, frozenset[str]] = {}
        self._pod_facts: dict[str, Any] = {}  # per pod set, shared by with_policy indexes

    def _namespaces_matching(self, selector: LabelSelector) -> frozenset[str]:
        hit = self._nssel_cache.get(selector)
        if hit is None:
            hit = frozenset(n for n, lab in self._ns_labels.items() if selector.matches(lab))
            self._nssel_cache[selector] = hit
        return hit

    def _select_all(self, selector: LabelSelector) -> np.ndarray:
        """Non-hostNetwork groups of every namespace whose labels the selector matches."""
        key = (None, selector)
        hit = self._sel_cache.get(key)
        if hit is None:
            rep, nonhost = self._rep, self._nonhost
            hit = np.asarray([g for g in range(len(rep))
                              if nonhost[g] and selector.matches(rep[g].labels)], dtype=np.int32)
            self._sel_cache[key] = hit
        return hit

    def _select(self, namespaces: Iterable[str], selector: LabelSelector) -> np.ndarray:
        """Non-hostNetwork groups of these namespaces whose labels the selector matches."""
        parts = []
        for ns in namespaces:
            key = (ns, selector)
            hit = self._sel_cache.get(key)
            if hit is None:
                gids = self._ns_gids.get(ns)
                if gids is None:
                    hit = np.empty(0, dtype=np.int32)
                elif selector.is_empty:
                    hit = gids
                else:
                    rep = self._rep
                    hit = np.asarray([g for g in gids.tolist() if selector.matches(rep[g].labels)],
                                     dtype=np.int32)
                self._sel_cache[key] = hit
            if len(hit):
                parts.append(hit)
        if not parts:
            return np.empty(0, dtype=np.int32)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def _compile(self, policy: NetworkPolicy) -> CompiledPolicy:
        selected = self._select((policy.namespace,), policy.pod_selector)
        ingress = tuple(self._compile_rule(policy, INGRESS, i, r)
                        for i, r in enumerate(policy.ingress)) if policy.affects_ingress else ()
        egress = tuple(self._compile_rule(policy, EGRESS, i, r)
                       for i, r in enumerate(policy.egress)) if policy.affects_egress else ()
        return CompiledPolicy(policy, selected, ingress, egress)

    def _compile_rule(self, policy: NetworkPolicy, direction: str, index: int,
                      rule: NetworkPolicyRule) -> CompiledRule:
        peers = tuple(self._compile_peer(policy, i, p) for i, p in enumerate(rule.peers))
        return CompiledRule(policy.key, direction, index, rule, peers)

    def _compile_peer(self, policy: NetworkPolicy, index: int,
                      peer: NetworkPolicyPeer) -> CompiledPeer:
        if peer.ip_block is not None:
            key: tuple = ("ip", peer.ip_block)
            hit = self._peer_cache.get(key)
            if hit is None:
                gids = self._block_gids[self._feats.ip_blocks.index(peer.ip_block)]
                hit = self._peer_cache[key] = (gids, frozenset(gids.tolist()))
            return CompiledPeer(index, peer, IP_BLOCK, gids=hit[0], gidset=hit[1])
        pod_sel, ns_sel = peer.pod_selector, peer.namespace_selector
        if pod_sel is None and ns_sel is None:
            return CompiledPeer(index, peer, NOTHING)
        if ns_sel is None:
            namespaces = frozenset((policy.namespace,))
        elif ns_sel.is_empty:
            if pod_sel is None or pod_sel.is_empty:
                return CompiledPeer(index, peer, ALL_PODS)
            namespaces = frozenset(self._ns_labels)
        else:
            namespaces = self._namespaces_matching(ns_sel)
        if pod_sel is None or pod_sel.is_empty:
            return CompiledPeer(index, peer, NAMESPACES, namespaces=namespaces)
        key = (policy.namespace if ns_sel is None else ns_sel, pod_sel)
        hit = self._peer_cache.get(key)
        if hit is None:
            if ns_sel is not None and ns_sel.is_empty:
                gids = self._select_all(pod_sel)
            else:
                gids = self._select(sorted(namespaces), pod_sel)
            hit = self._peer_cache[key] = (gids, frozenset(gids.tolist()))
        return CompiledPeer(index, peer, PODS, namespaces=namespaces, gids=hit[0],
                            gidset=hit[1])

    def _index_selection(self) -> None:
        """Per pod group: the policies selecting it for ingress and for egress."""
        ing: list[list[CompiledPolicy]] = [[] for _ in self.groups]
        eg: list[list[CompiledPolicy]] = [[] for _ in self.groups]
        for cp in self._compiled.values():
            gids = cp.selected.tolist()
            if cp.policy.affects_ingress:
                for g in gids:
                    ing[g].append(cp)
            if cp.policy.affects_egress:
                for g in gids:
                    eg[g].append(cp)
        self._ing_of = [tuple(x) for x in ing]
        self._eg_of = [tuple(x) for x in eg]

    # ------------------------------------------------------------------ incremental

    def with_policy(self, changed_or_new: NetworkPolicy | None = None,
                    removed_key: str | None = None) -> PolicyIndex:
        """A new index for the snapshot with one policy added/replaced and/or one removed.

        Pod groups are kept (refined only if the new policy looks at labels, named ports
        or ipBlocks no policy looked at before) and unchanged policies are not
        recompiled, so `Matrix.update` can recompute only what the edit touches.
        """
        with no_gc():
            return self._with_policy(changed_or_new, removed_key)

    def _with_policy(self, changed_or_new: NetworkPolicy | None,
                     removed_key: str | None) -> PolicyIndex:
        policies: list[NetworkPolicy] = []
        placed = False
        for p in self.cluster.network_policies:
            if p.key == removed_key:
                continue
            if changed_or_new is not None and p.key == changed_or_new.key:
                policies.append(changed_or_new)  # keeps its position
                placed = True
            else:
                policies.append(p)
        if changed_or_new is not None and not placed:
            policies.append(changed_or_new)
        cluster = replace(self.cluster, network_policies=tuple(policies))
        new = PolicyIndex()
        new.cluster = cluster
        new._pods, new._keys, new._pos, new._ips = self._pods, self._keys, self._pos, self._ips
        new._ns_labels, new._nssel_cache = self._ns_labels, self._nssel_cache
        new._pod_facts = self._pod_facts
        delta = (_Features.of([changed_or_new], self._namespaces_matching)
                 .missing_from(self._feats) if changed_or_new is not None else None)
        ing, eg = self._ing_of, self._eg_of
        compiled = dict(self._compiled)
        if delta is None:
            new._feats = self._feats
            new._adopt_groups(self)
        else:
            new._feats = self._feats.merged(delta)
            if new._refine_groups(self, delta):
                ing, eg = new._split_selection(self, compiled)
        touched = {k for k in (removed_key, changed_or_new.key if changed_or_new else None)
                   if k}
        before = {k: compiled[k] for k in touched if k in compiled}
        if removed_key is not None:
            compiled.pop(removed_key, None)
        if changed_or_new is not None:
            compiled[changed_or_new.key] = new._compile(changed_or_new)
        new._compiled = {p.key: compiled[p.key] for p in policies}
        new._update_selection(ing, eg, before, touched)
        new._parent = weakref.ref(self)
        return new

    def _adopt_groups(self, old: PolicyIndex) -> None:
        for name in ("groups", "_members", "_gid_of", "_rep", "_nonhost", "_ns_gids",
                     "_block_gids", "_sel_cache", "_peer_cache", "_port_cache"):
            setattr(self, name, getattr(old, name))

    def _refine_groups(self, old: PolicyIndex, delta: _Features) -> bool:
        """Split old groups by the new features; split-off parts get new ids at the end,
        so every old group id keeps meaning a subset of what it meant before."""
        signer = _Signer(delta, self._pods, self._ips)
        members = list(old._members)  # member lists are never mutated: share them
        parents: list[int] = []
        if delta.named_ports or delta.ip_blocks:
            candidates = range(len(old._members))
        else:  # only labels of some namespaces: only their (non-hostNetwork) groups can split
            candidates = sorted(g for ns in delta.labels
                                for g in old._ns_gids.get(ns, np.empty(0, np.int32)).tolist())
        for gid in candidates:
            idx = old._members[gid]
            if len(idx) == 1:
                continue
            by_sig: dict[tuple, list[int]] = {}
            for i in idx:
                by_sig.setdefault(signer.key(i, self._pods[i]), []).append(i)
            if len(by_sig) == 1:
                continue
            parts = list(by_sig.values())
            members[gid] = parts[0]
            for part in parts[1:]:
                members.append(part)
                parents.append(gid)
        if not parents:  # nothing split: keep the very same groups (matrices update cheaply)
            self._adopt_groups(old)
            self._block_gids = old._block_gids + self._block_members(
                self._feats.ip_blocks[len(old._block_gids):])
            return False
        self._parents = np.asarray(parents, dtype=np.int32)
        self._n_old_groups = n_old = len(old._members)
        self._is_parent = np.zeros(n_old, dtype=bool)
        self._is_parent[self._parents] = True
        self._children: dict[int, list[int]] = {}
        for k, parent in enumerate(parents):
            self._children.setdefault(parent, []).append(n_old + k)
        self._split_groups(old, members)
        self._refined_from = old.groups
        return True

    def _split_groups(self, old: PolicyIndex, members: list[list[int]]) -> None:
        """`_set_groups` for a refinement, reusing everything of the groups that did not
        split (split-off groups are appended: old ids keep their meaning)."""
        pods, keys = self._pods, self._keys
        n_old = self._n_old_groups
        groups = list(old.groups)
        for gid in self._children:
            g = groups[gid]
            groups[gid] = PodGroup(gid, g.namespace, tuple(keys[i] for i in members[gid]),
                                   g.host_network)
        gid_of = old._gid_of.copy()
        rep = list(old._rep)
        ns_gids = dict(old._ns_gids)
        for gid in range(n_old, len(members)):
            idx = members[gid]
            first = pods[idx[0]]
            groups.append(PodGroup(gid, first.namespace, tuple(keys[i] for i in idx),
                                   first.host_network))
            gid_of[idx] = gid
            rep.append(first)
            if not first.host_network:
                ns_gids[first.namespace] = np.append(ns_gids[first.namespace],
                                                     np.int32(gid))
        self.groups = tuple(groups)
        self._members, self._gid_of, self._rep, self._ns_gids = members, gid_of, rep, ns_gids
        self._nonhost = np.concatenate([old._nonhost, np.fromiter(
            (not g.host_network for g in groups[n_old:]), dtype=bool, count=len(groups) - n_old)])
        self._block_gids = [self._extend_gids(b) for b in old._block_gids] + \
            self._block_members(self._feats.ip_blocks[len(old._block_gids):])
        self._sel_cache, self._peer_cache, self._port_cache = {}, {}, {}

    def _block_members(self, blocks: Iterable[IPBlock]) -> list[np.ndarray]:
        """Per ipBlock, the groups whose address it contains (pod IPs too, Calico-style)."""
        blocks = tuple(blocks)
        if not blocks:
            return []
        ips = [self._ips[idx[0]] for idx in self._members]
        addr = np.fromiter((int(ip) if ip is not None else 0 for ip in ips), dtype=np.uint32,
                           count=len(ips))
        has = np.fromiter((ip is not None for ip in ips), dtype=bool, count=len(ips))
        out = []
        for block in blocks:
            m = has & _in_net(addr, block.cidr)
            for exc in block.except_:
                m &= ~_in_net(addr, exc)
            out.append(np.flatnonzero(m).astype(np.int32))
        return out

    def _extend_gids(self, gids: np.ndarray) -> np.ndarray:
        """Old group ids → the same set on the refined partition (children follow parents)."""
        parents = self._parents
        if parents is None or not len(parents) or not len(gids):
            return gids
        hit = gids[self._is_parent[gids]]
        if not len(hit):
            return gids
        added = [c for p in hit.tolist() for c in self._children[p]]
        return np.concatenate([gids, np.asarray(added, dtype=np.int32)])

    def _extend_compiled(self, cp: CompiledPolicy) -> CompiledPolicy:
        """The compiled policy on the refined groups; the same object when nothing of it
        involves a split group."""
        if not self._is_parent[cp.referenced].any():
            return cp
        def peer(p: CompiledPeer) -> CompiledPeer:
            if p.gids is None:
                return p
            gids = self._extend_gids(p.gids)
            if gids is p.gids:
                return p
            return replace(p, gids=gids, gidset=frozenset(gids.tolist()))

        def rules(rs: tuple[CompiledRule, ...]) -> tuple[CompiledRule, ...]:
            out = []
            for r in rs:
                peers = tuple(peer(p) for p in r.peers)
                same = all(a is b for a, b in zip(peers, r.peers, strict=True))
                out.append(r if same else replace(r, peers=peers))
            return tuple(out)

        selected = self._extend_gids(cp.selected)
        ingress, egress = rules(cp.ingress), rules(cp.egress)
        if selected is cp.selected and all(a is b for a, b in zip(
                ingress + egress, cp.ingress + cp.egress, strict=True)):
            return cp
        return CompiledPolicy(cp.policy, selected, ingress, egress)

    def _split_selection(self, old: PolicyIndex, compiled: dict[str, CompiledPolicy],
                         ) -> tuple[list, list]:
        """After a split: extend every compiled policy (in `compiled`, in place) and the
        per-group selection lists (children start with their parent's)."""
        parents = self._parents.tolist()
        ing = list(old._ing_of) + [old._ing_of[p] for p in parents]
        eg = list(old._eg_of) + [old._eg_of[p] for p in parents]
        for key, cp in list(compiled.items()):
            new_cp = self._extend_compiled(cp)
            if new_cp is cp:
                continue
            compiled[key] = new_cp
            for g in new_cp.selected.tolist():
                ing[g] = tuple(new_cp if x is cp else x for x in ing[g])
                eg[g] = tuple(new_cp if x is cp else x for x in eg[g])
        return ing, eg

    def _update_selection(self, ing: list, eg: list, before: dict[str, CompiledPolicy],
                          touched: set[str]) -> None:
        """Per-group selection lists from the previous ones: take out the touched policies'
        old forms (`before`), put in their new ones, in cluster order."""
        ing, eg = list(ing), list(eg)
        gids: set[int] = set()
        for cp in before.values():
            gids.update(cp.selected.tolist())
        for g in gids:
            ing[g] = tuple(cp for cp in ing[g] if cp.key not in touched)
            eg[g] = tuple(cp for cp in eg[g] if cp.key not in touched)
        order = {k: i for i, k in enumerate(self._compiled)}
        for key in touched:
            cp = self._compiled.get(key)
            if cp is None:
                continue
            for g in cp.selected.tolist():
                if cp.policy.affects_ingress:
                    ing[g] = tuple(sorted((*ing[g], cp), key=lambda c: order[c.key]))
                if cp.policy.affects_egress:
                    eg[g] = tuple(sorted((*eg[g], cp), key=lambda c: order[c.key]))
        self._ing_of, self._eg_of = ing, eg

    # ------------------------------------------------------------------ queries

    @property
    def enforced(self) -> bool:
        return self.cluster.config.enforces_network_policy

    @property
    def compiled(self) -> Mapping[str, CompiledPolicy]:
        return self._compiled

    def node_exceptions(self) -> tuple[np.ndarray, np.ndarray]:
        """Pod position pairs (i ≠ j) allowed whatever the policies say: a hostNetwork pod
        (seen as its node's IP) and the other pods on its node, both ways (network-policies
        page: traffic to and from the node a pod runs on is always allowed)."""
        hit = self._pod_facts.get("node_exceptions")
        if hit is None:
            src: list[int] = []
            dst: list[int] = []
            by_node: dict[str, list[int]] = {}
            hosts: list[tuple[int, str]] = []
            for i, pod in enumerate(self._pods):
                if pod.node_name is None:
                    continue
                if pod.host_network:
                    hosts.append((i, pod.node_name))
                else:
                    by_node.setdefault(pod.node_name, []).append(i)
            for h, node in hosts:
                for j in by_node.get(node, ()):
                    src += (h, j)
                    dst += (j, h)
            hit = (np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64))
            self._pod_facts["node_exceptions"] = hit
        return hit

    def group_of(self, pod_key: str) -> int:
        return int(self._gid_of[self._pos[pod_key]])

    def pod_keys(self) -> list[str]:
        return list(self._keys)

    def selecting(self, pod: Pod) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(policies isolating the pod for ingress, … for egress) — keys, cluster order."""
        pos = self._pos.get(pod.key)
        if pos is None or pod.host_network:
            return (), ()
        g = int(self._gid_of[pos])
        return tuple(cp.key for cp in self._ing_of[g]), tuple(cp.key for cp in self._eg_of[g])

    def selected_pods(self, policy_key: str) -> tuple[str, ...]:
        """Pod keys the policy's podSelector selects (cluster order)."""
        cp = self._compiled[policy_key]
        positions = sorted(i for g in cp.selected.tolist() for i in self._members[g])
        return tuple(self._keys[i] for i in positions)

    def matrix(self, port: int | str, protocol: str = "TCP") -> Matrix:
        """Pod×pod reachability for one destination port/protocol (see reachability.py).

        Cached per (port, protocol); an index made by `with_policy` updates its parent's
        cached matrix instead of computing afresh. A named port resolves on each
        destination pod (a Service's targetPort would); a destination that does not
        declare it is judged with no port number, so only rules admitting every port
        can allow it — the same as `verdict`.
        """
        from clusterlab.sim.reachability import Matrix

        _check_protocol(protocol)
        key = (port, protocol)
        hit = self._matrix_cache.get(key)
        parent = self._parent() if self._parent is not None else None
        if hit is None and parent is not None and key in parent._matrix_cache:
            hit = parent._matrix_cache[key].update(self)  # one edit away: incremental
            self._matrix_cache[key] = hit
        if hit is None:
            hit = Matrix.compute(self, port, protocol)
            self._matrix_cache[key] = hit
        return hit

    def for_port(self, port: int | str, protocol: str) -> PolicyIndex:
        """The index whose groups a matrix for this port needs: self, unless traffic goes
        to a named port no policy mentions (then groups must also agree on its number)."""
        if isinstance(port, str) and (port, protocol) not in self._feats.named_ports:
            return self._with_named_port(port, protocol)
        return self

    def _with_named_port(self, name: str, protocol: str) -> PolicyIndex:
        """This index with groups refined so `name` resolves alike within each group."""
        new = PolicyIndex()
        new.cluster = self.cluster
        new._pods, new._keys, new._pos, new._ips = self._pods, self._keys, self._pos, self._ips
        new._ns_labels, new._nssel_cache = self._ns_labels, self._nssel_cache
        new._pod_facts = self._pod_facts
        delta = _Features({}, frozenset({(name, protocol)}), ())
        new._feats = self._feats.merged(delta)
        if new._refine_groups(self, delta):
            new._compiled = {k: new._extend_compiled(cp) for k, cp in self._compiled.items()}
            new._index_selection()
        else:
            new._compiled, new._ing_of, new._eg_of = self._compiled, self._ing_of, self._eg_of
        return new

    # ------------------------------------------------------------------ verdicts

    def verdict(self, src: Pod | IPv4Address, dst: Pod | IPv4Address, port: int | str,
                protocol: str = "TCP") -> PolicyVerdict:
        """What the NetworkPolicies say about src → dst:port/protocol, with attribution.

        Endpoints are pods or IPv4 addresses (an address owned by a pod means that pod;
        a hostNetwork pod is its node's IP). Policy is evaluated pod IP to pod IP; a
        Service IP is just an address here — `trace` evaluates after DNAT (DNS-11).
        """
        _check_protocol(protocol)
        s, d = self._endpoint(src), self._endpoint(dst)
        number = self._resolve_port(d, port, protocol)
        port_text = _port_text(port, number, protocol, d)
        egress = self._direction(EGRESS, s, d, d, protocol, number, port_text)
        ingress = self._direction(INGRESS, d, s, d, protocol, number, port_text)
        note = ""
        if s.kind == "pod" and d.kind == "pod" and s.pod is d.pod:
            note = f"a pod cannot block traffic to itself ({s.desc})"
            egress, ingress = _forced(egress, note), _forced(ingress, note)
        else:
            if d.kind == "pod" and s.kind != "pod" and s.node and s.node == d.node:
                note = (f"traffic from the node a pod runs on is always allowed "
                        f"({s.desc} is node {s.node})")
                ingress = _forced(ingress, note)
            if s.kind == "pod" and d.kind != "pod" and d.node and d.node == s.node:
                note = (f"traffic to the node a pod runs on is always allowed "
                        f"({d.desc} is node {d.node})")
                egress = _forced(egress, note)
        allowed = egress.allowed and ingress.allowed
        reason = _reason(allowed, egress, ingress, note)
        enforced = self.enforced
        if not enforced:
            plugin = self.cluster.config.cni_plugin
            reason += (f" (not enforced: the {plugin} CNI does not implement NetworkPolicy"
                       + (", so this traffic is not actually blocked)" if not allowed else ")"))
        return PolicyVerdict(allowed, enforced, egress, ingress, reason)

    def _endpoint(self, ep: Pod | IPv4Address) -> _Endpoint:
        if isinstance(ep, IPv4Address):
            pod = self.cluster.pod_by_ip.get(ep)
            if pod is None:
                node = self.cluster.node_by_ip.get(ep)
                return _Endpoint("ip", str(ep), ip=ep, node=node.name if node else None)
            ep = pod
        if not isinstance(ep, Pod):
            raise TypeError(f"endpoint must be a Pod or an IPv4Address, not {type(ep).__name__}")
        pos = self._pos.get(ep.key)
        if pos is None:
            raise ValueError(f"pod {ep.key} is not in this cluster snapshot")
        pod = self._pods[pos]
        gid = int(self._gid_of[pos])
        ip = self._ips[pos]
        if pod.host_network:
            return _Endpoint("host", f"{pod.key} (host network, seen as {ip})", pod, ip, gid,
                             pod.node_name)
        return _Endpoint("pod", pod.key, pod, ip, gid, pod.node_name)

    @staticmethod
    def _resolve_port(d: _Endpoint, port: int | str, protocol: str) -> int | None:
        if isinstance(port, bool) or not isinstance(port, int | str):
            raise TypeError("port must be a number or a port name")
        if isinstance(port, int):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} must be between 1 and 65535, inclusive")
            return port
        if d.pod is None:
            return None
        return d.pod.find_port(port, protocol)

    def _direction(self, direction: str, subject: _Endpoint, peer: _Endpoint, dst: _Endpoint,
                   protocol: str, number: int | None, port_text: str) -> DirectionVerdict:
        if subject.kind == "ip":
            return DirectionVerdict(True, False, explanation=f"{subject.desc} is not a pod")
        if subject.kind == "host":
            return DirectionVerdict(True, False, explanation=(
                f"{subject.pod.key} uses the host network and is not subject to NetworkPolicy"))
        g = subject.gid
        policies = self._eg_of[g] if direction == EGRESS else self._ing_of[g]
        if not policies:
            return DirectionVerdict(True, False, explanation=(
                f"pod {subject.pod.key} is not isolated for {direction}"))
        refs = []
        for cp in policies:
            for rule in (cp.egress if direction == EGRESS else cp.ingress):
                port_i = _match_ports(rule.ports, protocol, number, dst)
                if port_i is False:
                    continue
                peer_i = self._match_peer(rule, peer)
                if peer_i is False:
                    continue
                refs.append(RuleRef(cp.key, direction, rule.index, peer_i, port_i,
                                    _ref_detail(rule, peer_i, port_i, dst, number)))
        isolated_by = tuple(cp.key for cp in policies)
        other = peer.desc if peer.kind != "pod" else peer.pod.key
        if refs:
            texts = ", ".join(r.text for r in refs)
            side = f"from {subject.pod.key}" if direction == EGRESS else f"to {subject.pod.key}"
            return DirectionVerdict(True, True, isolated_by, tuple(refs),
                                    f"{direction} {side} allowed by {texts}")
        return DirectionVerdict(False, True, isolated_by, (), (
            f"pod {subject.pod.key} is isolated for {direction} by {', '.join(isolated_by)}; "
            f"no rule admits {other} on {port_text}"))

    @staticmethod
    def _match_peer(rule: CompiledRule, ep: _Endpoint) -> int | bool | None:
        """Index of the first peer admitting the endpoint, None for a rule without peers,
        False if none does."""
        if not rule.peers:
            return None
        for p in rule.peers:
            kind = p.kind
            if kind == IP_BLOCK:
                if ep.ip is not None and p.peer.ip_block.contains(ep.ip):
                    return p.index
            elif ep.kind != "pod":
                continue
            elif kind == ALL_PODS:
                return p.index
            elif kind == NAMESPACES:
                if ep.pod.namespace in p.namespaces:
                    return p.index
            elif kind == PODS and ep.gid in p.gidset:
                return p.index
        return False


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many small, acyclic objects: at 150k pods its
    full collections cost a third of the build. Restores the previous state."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol {protocol!r} is not one of "TCP", "UDP", "SCTP"')


def _match_ports(ports: tuple[NetworkPolicyPort, ...], protocol: str, number: int | None,
                 dst: _Endpoint) -> int | bool | None:
    """Index of the first port entry matching, None for a rule without ports, else False.

    A named port matches when the destination pod declares a container port of that
    name and protocol whose number is the traffic's port (VAL-5; any container, as
    Calico's named-port sets do); it never matches a non-pod destination.
    """
    if not ports:
        return None
    for i, p in enumerate(ports):
        if p.protocol != protocol:
            continue
        if p.port is None:
            return i
        if number is None:
            continue
        if isinstance(p.port, int):
            if p.port <= number <= (p.end_port or p.port):
                return i
        elif dst.kind == "pod" and number in _named_numbers(dst.pod, p.port, protocol):
            return i
    return False


def _forced(d: DirectionVerdict, note: str) -> DirectionVerdict:
    return replace(d, allowed=True, explanation=note) if not d.allowed else d


def _port_text(port: int | str, number: int | None, protocol: str, d: _Endpoint) -> str:
    if isinstance(port, int):
        return f"{protocol} {port}"
    if number is not None:
        return f"{protocol} {port} ({number})"
    owner = d.pod.key if d.pod is not None else d.desc
    return f"{protocol} {port} (no such named port on {owner})"


def _ref_detail(rule: CompiledRule, peer_i: int | None, port_i: int | None, dst: _Endpoint,
                number: int | None) -> str:
    word = "from" if rule.direction == INGRESS else "to"
    if peer_i is None:
        peer_text = f"{word} <any>"
    else:
        peer_text = f"{word}[{peer_i}] {_peer_text(rule.rule.peers[peer_i])}"
    if port_i is None:
        port_text = "port <any>"
    else:
        p = rule.ports[port_i]
        port_text = f"ports[{port_i}] {_policy_port_text(p)}"
        if isinstance(p.port, str) and dst.pod is not None:
            port_text += f" (= {number} on {dst.pod.key})"
    return f"{peer_text}; {port_text}"


def _peer_text(peer: NetworkPolicyPeer) -> str:
    if peer.ip_block is not None:
        text = f"ipBlock {peer.ip_block.cidr}"
        if peer.ip_block.except_:
            text += " except " + ", ".join(str(e) for e in peer.ip_block.except_)
        return text
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {format_label_selector(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {format_label_selector(peer.pod_selector)}")
    return " + ".join(parts) or "<empty peer>"


def _policy_port_text(p: NetworkPolicyPort) -> str:
    if p.port is None:
        return f"<any>/{p.protocol}"
    if p.end_port is not None:
        return f"{p.port}-{p.end_port}/{p.protocol}"
    return f"{p.port}/{p.protocol}"


def _reason(allowed: bool, egress: DirectionVerdict, ingress: DirectionVerdict,
            note: str) -> str:
    if allowed:
        if note and egress.explanation == note and ingress.explanation == note:
            return note
        return f"{egress.explanation}; {ingress.explanation}"
    denied = [d.explanation for d in (egress, ingress) if not d.allowed]
    return ". ".join(denied)


# --------------------------------------------------------------------------- describe

_ZERO_TIME = "0001-01-01 00:00:00 +0000 UTC"  # what kubectl prints for an unset timestamp


def format_label_selector(selector: LabelSelector | None) -> str:
    """`metav1.FormatLabelSelector` (KCTL-5): the model's `str(selector)`; None → `<none>`."""
    return "<none>" if selector is None else str(selector)


def format_go_time(ts: datetime) -> str:
    """Go's default `time.Time.String()` for a UTC instant (`Created on`, KCTL-7)."""
    ts = ts.astimezone(UTC) if ts.tzinfo else ts
    out = ts.strftime("%Y-%m-%d %H:%M:%S")
    if ts.microsecond:
        out += f".{ts.microsecond:06d}".rstrip("0")
    return out + " +0000 UTC"


def describe_network_policy(policy: NetworkPolicy, created: str | datetime = _ZERO_TIME) -> str:
    """`kubectl describe networkpolicy` output (KCTL-7, KCTL-8; kubectl describe.go
    `describeNetworkPolicy`, `printNetworkPolicySpecIngressFrom/EgressTo`)."""
    if isinstance(created, datetime):
        created = format_go_time(created)
    out = [f"Name:\t{policy.name}\n", f"Namespace:\t{policy.namespace}\n",
           f"Created on:\t{created}\n"]
    out += labels_lines("Labels", policy.labels)
    out += annotations_lines("Annotations", policy.annotations)
    out.append("Spec:\n")
    if policy.pod_selector.is_empty:
        out.append("  PodSelector:     <none> (Allowing the specific traffic to all pods in "
                   "this namespace)\n")
    else:
        out.append(f"  PodSelector:     {format_label_selector(policy.pod_selector)}\n")
    for direction, affects, rules in (("ingress", policy.affects_ingress, policy.ingress),
                                      ("egress", policy.affects_egress, policy.egress)):
        if affects:
            out.append(f"  Allowing {direction} traffic:\n")
            out += _describe_rules(direction, rules)
        else:
            out.append(f"  Not affecting {direction} traffic\n")
    types = ", ".join(policy.policy_types) or "<none>"
    out.append(f"  Policy Types: {types}\n")
    return go_tabwriter("".join(out))


def _describe_rules(direction: str, rules: tuple[NetworkPolicyRule, ...]) -> list[str]:
    ind = "    "
    if not rules:
        return [f"{ind}<none> (Selected pods are isolated for {direction} connectivity)\n"]
    word = "From" if direction == "ingress" else "To"
    out = []
    for i, rule in enumerate(rules):
        if not rule.ports:
            out.append(f"{ind}To Port: <any> (traffic allowed to all ports)\n")
        for p in rule.ports:
            port = "<nil>" if p.port is None else str(p.port)  # Go prints a nil IntOrString so
            if p.end_port is None:
                out.append(f"{ind}To Port: {port}/{p.protocol}\n")
            else:
                out.append(f"{ind}To Port Range: {port}-{p.end_port}/{p.protocol}\n")
        if not rule.peers:
            what = "source" if direction == "ingress" else "destination"
            out.append(f"{ind}{word}: <any> (traffic not restricted by {what})\n")
        for peer in rule.peers:
            out.append(f"{ind}{word}:\n")
            if peer.pod_selector is not None and peer.namespace_selector is not None:
                out.append(f"  {ind}NamespaceSelector: "
                           f"{format_label_selector(peer.namespace_selector)}\n")
                out.append(f"  {ind}PodSelector: {format_label_selector(peer.pod_selector)}\n")
            elif peer.pod_selector is not None:
                out.append(f"  {ind}PodSelector: {format_label_selector(peer.pod_selector)}\n")
            elif peer.namespace_selector is not None:
                out.append(f"  {ind}NamespaceSelector: "
                           f"{format_label_selector(peer.namespace_selector)}\n")
            elif peer.ip_block is not None:
                out.append(f"  {ind}IPBlock:\n")
                out.append(f"    {ind}CIDR: {peer.ip_block.cidr}\n")
                out.append(f"    {ind}Except: "
                           + ", ".join(str(e) for e in peer.ip_block.except_) + "\n")
        if i != len(rules) - 1:
            out.append(f"{ind}----------\n")
    return out


# kubectl describe's tabwriter set-up, under the name this module has always exported
go_tabwriter = describe_text


__all__ = [
    "EGRESS", "INGRESS", "CompiledPeer", "CompiledPolicy", "CompiledRule", "DirectionVerdict",
    "PodGroup", "PolicyIndex", "PolicyVerdict", "RuleRef", "describe_network_policy",
    "format_go_time", "format_label_selector", "go_tabwriter",
]
