"""Pod×pod reachability for one port/protocol, and what-if diffs between two versions.

Why pod groups: a 10k-pod cluster has 10⁸ pairs, but policies only tell apart the pod
groups of `PolicyIndex` (usually a few thousand); at Kubernetes' limit (150k pods) a
dense pod×pod array would need 2.8 GB even as bits. So the matrix is a bit-packed
groups×groups array `rows[src_group]` and pod pairs are expanded only on demand.

How a row is made — computed *as a row*, never by transposing a column-built array:

    row(s) = EG[σ(s)]  &  ( NOTISO | ALL | ALLPODS·pod(s) | NS[ns(s)]·pod(s) | RP[π(s)] )

* `EG[σ]`: what the egress rules of the policies selecting s (σ) admit, as a destination
  vector (all ones when nothing isolates s for egress);
* the ingress half, as seen from source s: destinations not isolated for ingress
  (`NOTISO`), plus, OR-ed, each ingress rule's "selected pods whose port matches"
  vector `S_r` for every rule that admits s — bucketed by how it admits: rules without
  peers (`ALL`), `namespaceSelector: {}` (`ALLPODS`), namespace-wide peers (`NS[ns]`),
  and pod-level/ipBlock peers (`RP[π]`, π = the set of such rules admitting s).

Per-rule vectors, `EG` and `RP` entries are cached by policy object identity, so after
one policy is edited `Matrix.update` recomputes only what mentions that policy and
re-assembles the rows with a few vectorised gathers.

Exceptions applied pod by pod (network-policies page): a pod always reaches itself, and
a pod and a hostNetwork pod on the same node (its node's IP) always reach each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from clusterlab.sim.policy import (
    ALL_PODS,
    IP_BLOCK,
    NAMESPACES,
    PODS,
    CompiledPolicy,
    CompiledRule,
    PodGroup,
    PolicyIndex,
)

DENSE_LIMIT = 20_000  # pods; above this `to_dense` refuses (20k² bools = 400 MB)
_CHUNK = 2048  # rows unpacked at a time when counting


def _pack(v: np.ndarray) -> np.ndarray:
    return np.packbits(v)


@dataclass
class _Cache:
    """Vectors reusable across matrices of the same port/protocol and group partition."""

    n_groups: int
    groups: tuple[PodGroup, ...]
    rules: dict[tuple[int, str, int], tuple[Any, np.ndarray]] = field(default_factory=dict)
    eg: dict[tuple[int, ...], tuple[tuple[Any, ...], np.ndarray]] = field(default_factory=dict)
    rp: dict[tuple[tuple[int, int], ...], tuple[tuple[Any, ...], np.ndarray]] = field(
        default_factory=dict)
    named: dict[tuple[str, str, int], np.ndarray] = field(default_factory=dict)


class Matrix:
    """Reachability of every pod pair for one destination port and protocol."""

    def __init__(self, index: PolicyIndex, port: int | str, protocol: str,
                 rows: np.ndarray, cache: _Cache):
        self.index = index
        self.port = port
        self.protocol = protocol
        self.rows = rows  # uint8 [n_groups, ceil(n_groups/8)], bit (s, d) = allowed
        self._cache = cache

    # ------------------------------------------------------------------ building

    @classmethod
    def compute(cls, index: PolicyIndex, port: int | str, protocol: str = "TCP") -> Matrix:
        index = index.for_port(port, protocol)
        cache = _Cache(len(index.groups), index.groups)
        return cls(index, port, protocol, _rows(index, port, protocol, cache), cache)

    def update(self, new_index: PolicyIndex) -> Matrix:
        """The matrix for `new_index` (usually `index.with_policy(...)`), recomputing only
        the vectors of policies that changed; falls back to `compute` otherwise."""
        if new_index is self.index:
            return self
        cache = self._cache
        if new_index.groups is cache.groups:
            new_cache = _Cache(cache.n_groups, cache.groups, dict(cache.rules), dict(cache.eg),
                               dict(cache.rp), cache.named)
        elif getattr(new_index, "_refined_from", None) is cache.groups:
            new_cache = _extend_cache(cache, new_index)
        else:
            return Matrix.compute(new_index, self.port, self.protocol)
        rows = _rows(new_index, self.port, self.protocol, new_cache)
        return Matrix(new_index, self.port, self.protocol, rows, new_cache)

    # ------------------------------------------------------------------ queries

    @property
    def groups(self) -> tuple[PodGroup, ...]:
        return self.index.groups

    @property
    def enforced(self) -> bool:
        return self.index.enforced

    @cached_property
    def pod_keys(self) -> list[str]:
        return self.index.pod_keys()

    @cached_property
    def _sizes(self) -> np.ndarray:
        return np.fromiter((len(g.pods) for g in self.groups), dtype=np.float64,
                           count=len(self.groups))

    def group_allowed(self, src_group: int, dst_group: int) -> bool:
        return bool(self.rows[src_group, dst_group >> 3] >> (7 - (dst_group & 7)) & 1)

    def allowed(self, src_pod_key: str, dst_pod_key: str) -> bool:
        """What the policies say about src → dst on this port (not whether enforced)."""
        pos = self.index._pos
        i, j = pos[src_pod_key], pos[dst_pod_key]
        if i == j or self._node_exception(i, j):
            return True
        gid = self.index._gid_of
        return self.group_allowed(int(gid[i]), int(gid[j]))

    def _node_exception(self, i: int, j: int) -> bool:
        pods = self.index._pods
        a, b = pods[i], pods[j]
        return a.host_network != b.host_network and a.node_name is not None \
            and a.node_name == b.node_name

    def _exception_pairs(self) -> Iterator[tuple[int, int]]:
        """Pod position pairs (i ≠ j) allowed whatever the policies say: hostNetwork pod ↔
        other pods on its node."""
        pods = self.index._pods
        pos = self.index._pos
        for h, pod in enumerate(pods):
            if not pod.host_network or pod.node_name is None:
                continue
            for other in self.index.cluster.pods_by_node.get(pod.node_name, ()):
                if not other.host_network:
                    j = pos[other.key]
                    yield h, j
                    yield j, h

    def _unpacked(self, a: int, b: int) -> np.ndarray:
        return np.unpackbits(self.rows[a:b], axis=1, count=len(self.groups))

    def count_allowed(self) -> int:
        """Allowed ordered pod pairs (a pod to itself included), over groups."""
        sizes = self._sizes
        sizes32 = sizes.astype(np.float32)  # exact: row sums stay far below 2**24
        total = 0.0
        for a in range(0, len(sizes), _CHUNK):
            u = self._unpacked(a, min(a + _CHUNK, len(sizes))).astype(np.float32)
            total += float(sizes[a:a + len(u)] @ (u @ sizes32).astype(np.float64))
        gid = self.index._gid_of
        diag = np.fromiter((self.group_allowed(g, g) for g in range(len(sizes))), dtype=bool,
                           count=len(sizes))
        total += float(sizes[~diag].sum())  # pods reach themselves whatever the policies say
        for i, j in self._exception_pairs():
            if not self.group_allowed(int(gid[i]), int(gid[j])):
                total += 1
        return round(total)

    def to_dense(self) -> np.ndarray:
        """Bool [pod, pod] in `pod_keys` order — for small clusters only."""
        n = len(self.pod_keys)
        if n > DENSE_LIMIT:
            raise ValueError(f"{n} pods: use groups/rows (a dense matrix would need {n * n} B)")
        gid = self.index._gid_of
        dense = self._unpacked(0, len(self.groups)).astype(bool)[np.ix_(gid, gid)]
        np.fill_diagonal(dense, True)
        for i, j in self._exception_pairs():
            dense[i, j] = True
        return dense

    def to_packed(self) -> np.ndarray:
        """Bit-packed [pod, ceil(pods/8)] rows in `pod_keys` order (1.25 MB per 1k×10k):
        the full pod-level matrix, built one source group at a time."""
        index = self.index
        gid = index._gid_of
        n = len(gid)
        out = np.empty((n, (n + 7) // 8), dtype=np.uint8)
        g_count = len(self.groups)
        for a in range(0, g_count, _CHUNK):
            u = self._unpacked(a, min(a + _CHUNK, g_count))
            packed = np.packbits(u[:, gid], axis=1)
            for k in range(len(u)):
                out[index._members[a + k]] = packed[k]
        idx = np.arange(n)
        out[idx, idx >> 3] |= (128 >> (idx & 7)).astype(np.uint8)
        for i, j in self._exception_pairs():
            out[i, j >> 3] |= np.uint8(128 >> (j & 7))
        return out

    def namespace_summary(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(source namespace, destination namespace) → (allowed pod pairs, all pod pairs)."""
        groups = self.groups
        names = sorted({g.namespace for g in groups})
        nidx = {n: k for k, n in enumerate(names)}
        g_ns = np.fromiter((nidx[g.namespace] for g in groups), dtype=np.int64,
                           count=len(groups))
        sizes = self._sizes
        onehot = np.zeros((len(groups), len(names)), dtype=np.float32)
        onehot[np.arange(len(groups)), g_ns] = sizes
        acc = np.zeros((len(names), len(names)))
        for a in range(0, len(groups), _CHUNK):
            u = self._unpacked(a, min(a + _CHUNK, len(groups))).astype(np.float32)
            per_row = (u @ onehot).astype(np.float64)  # allowed destinations per namespace
            np.add.at(acc, g_ns[a:a + len(u)], per_row * sizes[a:a + len(u), None])
        for g in range(len(groups)):
            if not self.group_allowed(g, g):
                acc[g_ns[g], g_ns[g]] += sizes[g]
        gid = self.index._gid_of
        for i, j in self._exception_pairs():
            if not self.group_allowed(int(gid[i]), int(gid[j])):
                acc[g_ns[gid[i]], g_ns[gid[j]]] += 1
        per_ns = np.zeros(len(names))
        np.add.at(per_ns, g_ns, sizes)
        return {(a, b): (round(acc[i, j]), round(per_ns[i] * per_ns[j]))
                for i, a in enumerate(names) for j, b in enumerate(names)}


# --------------------------------------------------------------------------- computing


def _extend_cache(cache: _Cache, index: PolicyIndex) -> _Cache:
    """Re-index cached vectors onto a refined partition: a split-off group behaves like its
    parent for every policy that existed before the split."""
    g_old, parents = cache.n_groups, index._parents

    def ext(v: np.ndarray | None) -> np.ndarray | None:
        if v is None:
            return None
        u = np.unpackbits(v, count=g_old).astype(bool)
        return _pack(np.concatenate([u, u[parents]]))

    def ext_ids(ids: np.ndarray | None) -> np.ndarray | None:
        return None if ids is None else index._extend_gids(ids)

    rules = {k: (obj, ext_ids(v)) for k, (obj, v) in cache.rules.items()}
    eg = {k: (objs, ext(v)) for k, (objs, v) in cache.eg.items()}
    rp = {k: (objs, ext(v)) for k, (objs, v) in cache.rp.items()}
    return _Cache(len(index.groups), index.groups, rules, eg, rp, {})


def _port_vector(index: PolicyIndex, rule: CompiledRule, port: int | str, protocol: str,
                 cache: _Cache) -> bool | np.ndarray:
    """Does the rule's `ports` admit the traffic, per destination group (or everywhere)?"""
    if not rule.ports:
        return True
    n = len(index.groups)
    vec: np.ndarray | None = None
    for p in rule.ports:
        if p.protocol != protocol:
            continue
        if p.port is None:
            return True
        if isinstance(port, int) and isinstance(p.port, int):
            if p.port <= port <= (p.end_port or p.port):
                return True
            continue
        if isinstance(p.port, int):  # numeric rule port, traffic to a named port
            numbers = _resolved(index, port, protocol, cache)
            hit = (numbers >= p.port) & (numbers <= (p.end_port or p.port))
        else:  # named rule port: resolved on each destination pod group
            if isinstance(port, int):
                hit = _named_has(index, p.port, protocol, port, cache)
            else:
                numbers = _resolved(index, port, protocol, cache)
                hit = np.zeros(n, dtype=bool)
                for number in set(numbers[numbers > 0].tolist()):
                    hit |= (numbers == number) & _named_has(index, p.port, protocol, number,
                                                            cache)
        vec = hit if vec is None else vec | hit
    return False if vec is None else vec


def _resolved(index: PolicyIndex, name: str, protocol: str, cache: _Cache) -> np.ndarray:
    """Per group, the number the traffic's named port resolves to (first match, SVC-4)."""
    key = (name, protocol, -1)
    hit = cache.named.get(key)
    if hit is None:
        hit = np.fromiter((pod.find_port(name, protocol) or 0 for pod in index._rep),
                          dtype=np.int64, count=len(index._rep))
        cache.named[key] = hit
    return hit


def _named_has(index: PolicyIndex, name: str, protocol: str, number: int,
               cache: _Cache) -> np.ndarray:
    """Per group: a non-hostNetwork pod declaring `name`/protocol as container port `number`."""
    key = (name, protocol, number)
    hit = cache.named.get(key)
    if hit is None:
        from clusterlab.sim.policy import _named_numbers

        hit = np.fromiter(((not pod.host_network) and number in
                           _named_numbers(pod, name, protocol) for pod in index._rep),
                          dtype=bool, count=len(index._rep))
        cache.named[key] = hit
    return hit


def _peer_targets(index: PolicyIndex, rule: CompiledRule) -> np.ndarray:
    """Group ids a rule's peers admit (as destinations or sources), sorted."""
    n = len(index.groups)
    if not rule.peers:
        return np.arange(n, dtype=np.int32)
    parts = []
    for p in rule.peers:
        if p.kind == ALL_PODS:
            parts.append(np.flatnonzero(index._nonhost).astype(np.int32))
        elif p.kind == NAMESPACES:
            parts += [gids for ns in p.namespaces
                      if (gids := index._ns_gids.get(ns)) is not None]
        elif p.kind in (PODS, IP_BLOCK):
            parts.append(p.gids)
    if not parts:
        return np.empty(0, dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))


def _rule_vector(index: PolicyIndex, cp: CompiledPolicy, rule: CompiledRule,
                 port: int | str, protocol: str, cache: _Cache) -> np.ndarray | None:
    """Destination group ids one rule admits on this port — egress: its peers (`P_r ∧
    Q_r`), ingress: the policy's selected pods (`Sel ∧ Q_r`); None when none. Sparse: most
    rules concern a handful of groups."""
    key = (id(cp.policy), rule.direction, rule.index)
    hit = cache.rules.get(key)
    if hit is not None and hit[0] is cp.policy:
        return hit[1]
    q = _port_vector(index, rule, port, protocol, cache)
    ids = None
    if q is not False:
        ids = _peer_targets(index, rule) if rule.direction == "egress" else cp.selected
        if q is not True:
            ids = ids[q[ids]]
        if not len(ids):
            ids = None
    cache.rules[key] = (cp.policy, ids)
    return ids


def _union(n: int, parts: list[np.ndarray]) -> np.ndarray:
    v = np.zeros(n, dtype=bool)
    for ids in parts:
        v[ids] = True
    return _pack(v)


def _rows(index: PolicyIndex, port: int | str, protocol: str, cache: _Cache) -> np.ndarray:
    n = len(index.groups)
    width = (n + 7) // 8
    nonhost = index._nonhost
    compiled = list(index.compiled.values())

    # ---- ingress half, seen from the source
    notiso = np.ones(n, dtype=bool)
    all_v = np.zeros(n, dtype=bool)      # S_r of rules without peers
    allpods_v = np.zeros(n, dtype=bool)  # S_r of rules with a namespaceSelector {} peer
    ns_names = sorted(index._ns_gids)
    ns_pos = {ns: k for k, ns in enumerate(ns_names)}
    ns_v = np.zeros((len(ns_names) + 1, n), dtype=bool)  # last row: hostNetwork sources
    pair_rules: list[np.ndarray] = []
    pair_groups: list[np.ndarray] = []
    rule_keys: list[tuple[int, int]] = []
    rule_ids: list[np.ndarray] = []
    rule_objs: list[Any] = []
    for cp in compiled:
        if not cp.policy.affects_ingress or not len(cp.selected):
            continue
        notiso[cp.selected] = False
        for rule in cp.ingress:
            ids = _rule_vector(index, cp, rule, port, protocol, cache)
            if ids is None:
                continue
            if not rule.peers:
                all_v[ids] = True
                continue
            rid = -1
            for p in rule.peers:
                if p.kind == ALL_PODS:
                    allpods_v[ids] = True
                elif p.kind == NAMESPACES:
                    rows = [k for ns in p.namespaces if (k := ns_pos.get(ns)) is not None]
                    if rows:
                        ns_v[np.ix_(rows, ids)] = True
                elif p.kind in (PODS, IP_BLOCK) and len(p.gids):
                    if rid < 0:
                        rid = len(rule_keys)
                        rule_keys.append((id(cp.policy), rule.index))
                        rule_ids.append(ids)
                        rule_objs.append(cp.policy)
                    pair_rules.append(np.full(len(p.gids), rid, dtype=np.int64))
                    pair_groups.append(p.gids.astype(np.int64))
    rp_idx = np.zeros(n, dtype=np.int64)
    rp_rows = [np.zeros(width, dtype=np.uint8)]
    if pair_rules:
        rules_arr = np.concatenate(pair_rules)
        groups_arr = np.concatenate(pair_groups)
        order = np.lexsort((rules_arr, groups_arr))
        rules_arr, groups_arr = rules_arr[order], groups_arr[order]
        bounds = np.flatnonzero(np.diff(groups_arr)) + 1
        starts = np.concatenate([[0], bounds]).tolist()
        ends = np.concatenate([bounds, [len(groups_arr)]]).tolist()
        rules_list, groups_list = rules_arr.tolist(), groups_arr.tolist()
        seen: dict[tuple[int, ...], int] = {}
        for a, b in zip(starts, ends, strict=True):
            rids = tuple(dict.fromkeys(rules_list[a:b]))
            row = seen.get(rids)
            if row is None:
                key = tuple(rule_keys[r] for r in rids)
                objs = tuple(rule_objs[r] for r in rids)
                hit = cache.rp.get(key)
                if hit is not None and all(x is y for x, y in zip(hit[0], objs, strict=True)):
                    vec = hit[1]
                else:
                    vec = _union(n, [rule_ids[r] for r in rids])
                    cache.rp[key] = (objs, vec)
                row = seen[rids] = len(rp_rows)
                rp_rows.append(vec)
            rp_idx[groups_list[a]] = row
    rp_tab = np.stack(rp_rows)
    base = _pack(notiso | all_v)
    allpods = _pack(allpods_v)
    ns_tab = np.packbits(ns_v, axis=1)
    g_ns = np.fromiter((ns_pos[g.namespace] if not g.host_network else len(ns_names)
                        for g in index.groups), dtype=np.int64, count=n)

    # ---- egress half: EG[σ], σ = the policies isolating the source for egress
    eg_idx = np.zeros(n, dtype=np.int64)
    eg_rows = [_pack(np.ones(n, dtype=bool))]
    seen_eg: dict[tuple[int, ...], int] = {}
    for g, policies in enumerate(index._eg_of):
        if not policies:
            continue
        key = tuple(id(cp.policy) for cp in policies)
        row = seen_eg.get(key)
        if row is None:
            objs = tuple(cp.policy for cp in policies)
            hit = cache.eg.get(key)
            if hit is not None and all(x is y for x, y in zip(hit[0], objs, strict=True)):
                vec = hit[1]
            else:
                vec = _union(n, [ids for cp in policies for rule in cp.egress
                                 if (ids := _rule_vector(index, cp, rule, port, protocol,
                                                         cache)) is not None])
                cache.eg[key] = (objs, vec)
            row = seen_eg[key] = len(eg_rows)
            eg_rows.append(vec)
        eg_idx[g] = row
    eg_tab = np.stack(eg_rows)

    # ---- assemble rows: EG[σ(s)] & (base | ALLPODS·pod(s) | NS[ns(s)] | RP[π(s)])
    rows = ns_tab[g_ns]
    rows |= rp_tab[rp_idx]
    rows |= base
    if allpods_v.any():
        rows[nonhost] |= allpods
    rows &= eg_tab[eg_idx]
    return rows


# --------------------------------------------------------------------------- diff


@dataclass
class MatrixDiff:
    """Flows (ordered pod pairs on one port) that a change opens or cuts."""

    count_opened: int
    count_cut: int
    added_pods: tuple[str, ...]
    removed_pods: tuple[str, ...]
    _blocks: list[tuple[tuple[str, ...], tuple[str, ...], bool]] = field(repr=False,
                                                                          default_factory=list)
    _skip: frozenset[tuple[str, str]] = field(repr=False, default=frozenset())

    def _expand(self, opened: bool) -> list[tuple[str, str]]:
        out = []
        for src, dst, is_open in self._blocks:
            if is_open != opened:
                continue
            out.extend((s, d) for s in src for d in dst
                       if s != d and (s, d) not in self._skip)
        return out

    @cached_property
    def opened(self) -> list[tuple[str, str]]:
        return self._expand(True)

    @cached_property
    def cut(self) -> list[tuple[str, str]]:
        return self._expand(False)

    @property
    def sentence(self) -> str:
        c, o = self.count_cut, self.count_opened
        if not c and not o:
            text = "this change neither cuts nor opens any flow"
        else:
            text = f"this change cuts {c} flow{'' if c == 1 else 's'} and opens {o}"
        extra = []
        if self.added_pods:
            extra.append(f"{len(self.added_pods)} pod{'' if len(self.added_pods) == 1 else 's'}"
                         " added")
        if self.removed_pods:
            extra.append(f"{len(self.removed_pods)} pod"
                         f"{'' if len(self.removed_pods) == 1 else 's'} removed")
        return text + (f" ({', '.join(extra)})" if extra else "")

    def to_dict(self, limit: int = 1000) -> dict[str, Any]:
        return {"opened": [list(p) for p in self.opened[:limit]],
                "cut": [list(p) for p in self.cut[:limit]],
                "count_opened": self.count_opened, "count_cut": self.count_cut,
                "added_pods": list(self.added_pods), "removed_pods": list(self.removed_pods),
                "summary": self.sentence}


def diff(old: Matrix, new: Matrix) -> MatrixDiff:
    """What changes between two matrices of the same port, over the pods both contain.

    Works on the common refinement of both group partitions, so it costs
    O(groups²), not O(pods²), until `opened`/`cut` are listed.
    """
    old_keys, new_keys = old.pod_keys, new.pod_keys
    if old_keys == new_keys:
        common = old_keys
        pos_old = pos_new = np.arange(len(common))
    else:
        new_set = set(new_keys)
        common = [k for k in old_keys if k in new_set]
        pos_old = np.fromiter((old.index._pos[k] for k in common), dtype=np.int64,
                              count=len(common))
        pos_new = np.fromiter((new.index._pos[k] for k in common), dtype=np.int64,
                              count=len(common))
    go = old.index._gid_of[pos_old].astype(np.int64)
    gn = new.index._gid_of[pos_new].astype(np.int64)
    pair = go * (len(new.groups) + 1) + gn
    uniq, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    c_old, c_new = go[first], gn[first]
    members: list[list[int]] = [[] for _ in uniq]
    for k, c in enumerate(inverse.tolist()):
        members[c].append(k)
    sizes = np.fromiter((len(m) for m in members), dtype=np.float64, count=len(members))
    u_old = np.unpackbits(old.rows, axis=1, count=len(old.groups))
    u_new = np.unpackbits(new.rows, axis=1, count=len(new.groups))
    blocks: list[tuple[tuple[str, ...], tuple[str, ...], bool]] = []
    opened = cut = 0.0
    names = [tuple(common[k] for k in m) for m in members]
    for a in range(0, len(uniq), _CHUNK):
        rows = slice(a, min(a + _CHUNK, len(uniq)))
        bo = u_old[c_old[rows]][:, c_old].astype(bool)
        bn = u_new[c_new[rows]][:, c_new].astype(bool)
        op, ct = bn & ~bo, bo & ~bn
        opened += float(sizes[rows] @ (op @ sizes))
        cut += float(sizes[rows] @ (ct @ sizes))
        for flag, mat in ((True, op), (False, ct)):
            for r, c in zip(*np.nonzero(mat), strict=True):
                blocks.append((names[a + int(r)], names[int(c)], flag))
                if a + int(r) == int(c):  # a pod to itself never changes
                    if flag:
                        opened -= sizes[int(c)]
                    else:
                        cut -= sizes[int(c)]
    # node exceptions: pairs allowed whatever the policies say; correct the block counts
    common_set = set(common)
    skip: set[tuple[str, str]] = set()
    extra: list[tuple[tuple[str, ...], tuple[str, ...], bool]] = []
    exceptions = {(m.pod_keys[i], m.pod_keys[j]) for m in (old, new)
                  for i, j in m._exception_pairs()}
    for s, d in exceptions:
        if s not in common_set or d not in common_set:
            continue
        was, now = old.allowed(s, d), new.allowed(s, d)
        block_was = old.group_allowed(old.index.group_of(s), old.index.group_of(d))
        block_now = new.group_allowed(new.index.group_of(s), new.index.group_of(d))
        opened += (now and not was) - (block_now and not block_was)
        cut += (was and not now) - (block_was and not block_now)
        if was == now and block_was != block_now:
            skip.add((s, d))
        elif was != now and block_was == block_now:
            extra.append(((s,), (d,), now))
    old_set, new_set = set(old_keys), set(new_keys)
    return MatrixDiff(round(opened), round(cut),
                      tuple(k for k in new_keys if k not in old_set),
                      tuple(k for k in old_keys if k not in new_set),
                      blocks + extra, frozenset(skip))


# --------------------------------------------------------------------------- output


def matrix_to_dict(matrix: Matrix, dense_limit: int = 500) -> dict[str, Any]:
    """JSON for `python -m clusterlab.sim matrix --json`: pods and 0/1 rows when small,
    groups and group rows otherwise, plus namespace totals."""
    out: dict[str, Any] = {"port": matrix.port, "protocol": matrix.protocol,
                           "enforced": matrix.enforced,
                           "allowed": matrix.count_allowed(),
                           "total": len(matrix.pod_keys) ** 2}
    if len(matrix.pod_keys) <= dense_limit:
        dense = matrix.to_dense()
        out["pods"] = matrix.pod_keys
        out["matrix"] = ["".join("1" if x else "0" for x in row) for row in dense.tolist()]
    else:
        out["groups"] = [list(g.pods) for g in matrix.groups]
        n = len(matrix.groups)
        u = np.unpackbits(matrix.rows, axis=1, count=n)
        out["group_matrix"] = ["".join(map(str, row)) for row in u.tolist()]
    out["namespaces"] = [{"from": a, "to": b, "allowed": v[0], "total": v[1]}
                         for (a, b), v in matrix.namespace_summary().items()]
    return out


def format_matrix(matrix: Matrix, limit: int = 200) -> str:
    """A truth table (`.` allowed, `X` denied), one row per source pod, for the console."""
    keys = matrix.pod_keys
    head = (f"reachability {matrix.protocol}/{matrix.port}: "
            f"{matrix.count_allowed()} of {len(keys) ** 2} pod pairs allowed")
    if not matrix.enforced:
        head += (f" (NetworkPolicy not enforced by {matrix.index.cluster.config.cni_plugin}:"
                 " this is what the policies say)")
    lines = [head]
    if len(keys) > limit:
        lines.append(f"{len(keys)} pods: too many to print; use --json (namespace totals)")
        for (a, b), (ok, total) in matrix.namespace_summary().items():
            lines.append(f"{a} -> {b}: {ok}/{total}")
        return "\n".join(lines) + "\n"
    dense = matrix.to_dense()
    width = max((len(k) for k in keys), default=0)
    num = len(str(len(keys)))
    lines.append(" " * (width + num + 2) + " ".join(f"{i + 1:>{num}}" for i in range(len(keys))))
    for i, key in enumerate(keys):
        cells = " ".join(f"{'.' if x else 'X':>{num}}" for x in dense[i].tolist())
        lines.append(f"{i + 1:>{num}} {key:<{width}} {cells}")
    lines.append(". allowed   X denied (source row → destination column)")
    return "\n".join(lines) + "\n"


__all__ = ["Matrix", "MatrixDiff", "diff", "format_matrix", "matrix_to_dict"]
