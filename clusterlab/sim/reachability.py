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

The ingress side is kept as counts and per-namespace / per-group rule sets (`_State`), so
after one policy is edited `Matrix.update` removes that policy's old contributions, adds
the new ones, recomputes only the namespace rows, π and σ signatures it touched, and
re-assembles the rows with a few vectorised gathers.

Exceptions applied pod by pod (network-policies page): a pod always reaches itself, and
a pod and a hostNetwork pod on the same node (its node's IP) always reach each other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
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
    no_gc,
)

DENSE_LIMIT = 20_000  # pods; above this `to_dense` refuses (20k² bools = 400 MB)
_CHUNK = 2048  # rows unpacked at a time when counting


def _pack(v: np.ndarray) -> np.ndarray:
    return np.packbits(v)


class Matrix:
    """Reachability of every pod pair for one destination port and protocol."""

    def __init__(self, index: PolicyIndex, port: int | str, protocol: str,
                 rows: np.ndarray, state: _State):
        self.index = index
        self.port = port
        self.protocol = protocol
        self.rows = rows  # uint8 [n_groups, ceil(n_groups/8)], bit (s, d) = allowed
        self._state = state

    # ------------------------------------------------------------------ building

    @classmethod
    def compute(cls, index: PolicyIndex, port: int | str, protocol: str = "TCP") -> Matrix:
        with no_gc():
            index = index.for_port(port, protocol)
            state = _State(index, port, protocol)
            for cp in index.compiled.values():
                state.add(cp)
            rows = state.finish()
        return cls(index, port, protocol, rows, state)

    def update(self, new_index: PolicyIndex) -> Matrix:
        """The matrix for `new_index` (usually `index.with_policy(...)`): only the edited
        policies' contributions are recomputed (when the edit split pod groups, the
        split-off groups first inherit their parents' state). This matrix stays valid."""
        if new_index is self.index:
            return self
        split = new_index.groups is not self.index.groups
        if split and getattr(new_index, "_refined_from", None) is not self.index.groups:
            return Matrix.compute(new_index, self.port, self.protocol)
        state = self._state.fork()
        old, new = self.index.compiled, new_index.compiled
        changed = [k for k in old.keys() | new.keys() if old.get(k) is not new.get(k)]
        for key in changed:  # take out the old forms (on the old groups)
            if key in old:
                state.add(old[key], -1)
        if split:  # split-off groups inherit from their parents
            state.extend(new_index)
        state.index = new_index
        for key in changed:
            if key in new:
                state.add(new[key])
        return Matrix(new_index, self.port, self.protocol, state.finish(), state)

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

    @property
    def _exceptions(self) -> tuple[np.ndarray, np.ndarray]:
        return self.index.node_exceptions()

    def _exception_pairs(self) -> Iterator[tuple[int, int]]:
        yield from zip(*(a.tolist() for a in self._exceptions), strict=True)

    def _group_bits(self, gs: np.ndarray, gd: np.ndarray) -> np.ndarray:
        """Vectorised `group_allowed` for arrays of group ids."""
        return (self.rows[gs, gd >> 3] >> (7 - (gd & 7)).astype(np.uint8)) & 1 == 1

    def _corrections(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs whose group bit is 0 but which are allowed: (source positions, dest
        positions), self pairs included."""
        gid = self.index._gid_of.astype(np.int64)
        every = np.arange(len(gid))
        i, j = self._exceptions
        i, j = np.concatenate([every, i]), np.concatenate([every, j])
        missing = ~self._group_bits(gid[i], gid[j])
        return i[missing], j[missing]

    def _unpacked(self, a: int, b: int) -> np.ndarray:
        return np.unpackbits(self.rows[a:b], axis=1, count=len(self.groups))

    def count_allowed(self) -> int:
        """Allowed ordered pod pairs (a pod to itself included), without unpacking: a
        (byte position, byte value) → weight table turns each packed row into its sum."""
        sizes = self._sizes
        width = self.rows.shape[1]
        padded = np.zeros(width * 8)
        padded[:len(sizes)] = sizes
        bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.float64)
        table = padded.reshape(width, 8) @ bits.T  # [byte position, byte value]
        cols = np.arange(width)[None, :]
        total = 0.0
        for a in range(0, len(sizes), 512):
            chunk = self.rows[a:a + 512]
            total += float(sizes[a:a + len(chunk)] @ table[cols, chunk].sum(axis=1))
        return round(total) + len(self._corrections()[0])

    def to_dense(self) -> np.ndarray:
        """Bool [pod, pod] in `pod_keys` order — for small clusters only."""
        n = len(self.pod_keys)
        if n > DENSE_LIMIT:
            raise ValueError(f"{n} pods: use groups/rows (a dense matrix would need {n * n} B)")
        gid = self.index._gid_of
        dense = self._unpacked(0, len(self.groups)).astype(bool)[np.ix_(gid, gid)]
        i, j = self._corrections()
        dense[i, j] = True
        return dense

    def to_packed(self) -> np.ndarray:
        """Bit-packed [pod, ceil(pods/8)] rows in `pod_keys` order (12.5 MB at 10k pods):
        the full pod-level matrix, expanded once per *distinct* group row."""
        gid = self.index._gid_of
        seen: dict[bytes, int] = {}
        which = np.fromiter((seen.setdefault(r.tobytes(), len(seen)) for r in self.rows),
                            dtype=np.int64, count=len(self.rows))
        distinct = self.rows[np.unique(which, return_index=True)[1]]
        pod_rows = np.empty((len(distinct), (len(gid) + 7) // 8), dtype=np.uint8)
        for a in range(0, len(distinct), 512):
            u = np.unpackbits(distinct[a:a + 512], axis=1, count=len(self.groups))
            pod_rows[a:a + len(u)] = np.packbits(u[:, gid], axis=1)
        out = pod_rows[which[gid]]
        i, j = self._corrections()
        np.bitwise_or.at(out, (i, j >> 3), (128 >> (j & 7)).astype(np.uint8))
        return out

    def namespace_summary(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(source namespace, destination namespace) → (allowed pod pairs, all pod pairs)."""
        groups = self.groups
        names = sorted({g.namespace for g in groups})
        nidx = {n: k for k, n in enumerate(names)}
        g_ns = np.fromiter((nidx[g.namespace] for g in groups), dtype=np.int64,
                           count=len(groups))
        sizes = self._sizes
        order = np.argsort(g_ns, kind="stable")  # columns grouped by namespace
        starts = np.flatnonzero(np.r_[True, np.diff(g_ns[order]) != 0])
        weights = sizes[order].astype(np.float32)
        acc = np.zeros((len(names), len(names)))
        for a in range(0, len(groups), 512):
            u = self._unpacked(a, min(a + 512, len(groups)))[:, order] * weights
            per_ns = np.add.reduceat(u, starts, axis=1).astype(np.float64)
            np.add.at(acc, g_ns[a:a + len(u)], per_ns * sizes[a:a + len(u), None])
        gid = self.index._gid_of
        i, j = self._corrections()
        np.add.at(acc, (g_ns[gid[i]], g_ns[gid[j]]), 1)
        per_ns_pods = np.zeros(len(names))
        np.add.at(per_ns_pods, g_ns, sizes)
        return {(a, b): (round(acc[x, y]), round(per_ns_pods[x] * per_ns_pods[y]))
                for x, a in enumerate(names) for y, b in enumerate(names)}


# --------------------------------------------------------------------------- computing


def _port_vector(index: PolicyIndex, rule: CompiledRule, port: int | str, protocol: str,
                 cache: dict[tuple[str, str, int], np.ndarray]) -> bool | np.ndarray:
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


def _resolved(index: PolicyIndex, name: str, protocol: str,
              cache: dict[tuple[str, str, int], np.ndarray]) -> np.ndarray:
    """Per group, the number the traffic's named port resolves to (first match, SVC-4)."""
    key = (name, protocol, -1)
    hit = cache.get(key)
    if hit is None:
        hit = np.fromiter((pod.find_port(name, protocol) or 0 for pod in index._rep),
                          dtype=np.int64, count=len(index._rep))
        cache[key] = hit
    return hit


def _named_has(index: PolicyIndex, name: str, protocol: str, number: int,
               cache: dict[tuple[str, str, int], np.ndarray]) -> np.ndarray:
    """Per group: a non-hostNetwork pod declaring `name`/protocol as container port `number`."""
    key = (name, protocol, number)
    hit = cache.get(key)
    if hit is None:
        numbers = _declared(index, name, protocol, cache)
        hit = np.fromiter((number in ns for ns in numbers), dtype=bool, count=len(numbers))
        cache[key] = hit
    return hit


def _declared(index: PolicyIndex, name: str, protocol: str, cache: dict) -> list:
    """Per group, the container port numbers named `name`/protocol (none for hostNetwork)."""
    key = ("declared", name, protocol)
    hit = cache.get(key)
    if hit is None:
        seen: dict[int, tuple[Any, tuple[int, ...]]] = {}
        hit = []
        for pod in index._rep:
            containers = pod.containers
            memo = seen.get(id(containers))
            if memo is None or memo[0] is not containers:
                memo = seen[id(containers)] = (containers, tuple(
                    p.container_port for c in containers for p in c.ports
                    if p.name == name and p.protocol == protocol))
            hit.append(() if pod.host_network else memo[1])
        cache[key] = hit
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


def _union(n: int, parts: Iterable[np.ndarray]) -> np.ndarray:
    v = np.zeros(n, dtype=bool)
    for ids in parts:
        v[ids] = True
    return _pack(v)


class _Table:
    """Append-only packed rows with a dict from signature to row (grows by doubling)."""

    def __init__(self, width: int, first: np.ndarray):
        self.rows = np.zeros((16, width), dtype=np.uint8)
        self.rows[0] = first
        self.count = 1
        self.index: dict[Any, int] = {}
        self.shared = False

    def fork(self) -> _Table:
        new = copy.copy(self)
        new.shared = self.shared = True
        return new

    def unshare(self) -> None:
        if self.shared:  # another state appends to the same array: copy on first write
            self.rows, self.index, self.shared = self.rows.copy(), dict(self.index), False

    def row(self, sig: Any, make: Callable[[], np.ndarray]) -> int:
        k = self.index.get(sig)
        if k is None:
            self.unshare()
            if self.count == len(self.rows):
                self.rows = np.concatenate([self.rows, np.zeros_like(self.rows)])
            self.rows[self.count] = make()
            k = self.index[sig] = self.count
            self.count += 1
        return k


class _State:
    """Everything a matrix is assembled from, kept so that one policy can be taken out
    and put back in (see the module docstring for the row formula). Namespace rows and
    π sets hold (rule, peer index) keys; their group ids live once in `rule_ids`."""

    def __init__(self, index: PolicyIndex, port: int | str, protocol: str):
        n = len(index.groups)
        self.index, self.port, self.protocol, self.n = index, port, protocol, n
        self.named = index._port_cache  # per-group port facts, shared by the partition
        self.rule_ids: dict[CompiledRule, np.ndarray | None] = {}
        self.sel_count = np.zeros(n, dtype=np.int32)      # ingress policies selecting d
        self.all_count = np.zeros(n, dtype=np.int32)      # peerless rules admitting → d
        self.allpods_count = np.zeros(n, dtype=np.int32)  # `namespaceSelector: {}` rules
        self.ns_names = sorted(index._ns_gids)
        self.ns_pos = {ns: k for k, ns in enumerate(self.ns_names)}
        self.ns_members: list[set[tuple[CompiledRule, int]]] = [
            set() for _ in range(len(self.ns_names) + 1)]  # last row: hostNetwork sources
        width = (n + 7) // 8
        self.ns_tab = np.zeros((len(self.ns_names) + 1, width), dtype=np.uint8)
        self.pi: list[set[tuple[CompiledRule, int]] | None] = [None] * n
        self.rp = _Table(width, np.zeros(width, dtype=np.uint8))
        self.rp.index[frozenset()] = 0
        self.rp_idx = np.zeros(n, dtype=np.int64)
        self.eg = _Table(width, _pack(np.ones(n, dtype=bool)))
        self.eg.index[()] = 0
        self.eg_idx = np.zeros(n, dtype=np.int64)
        self.g_ns = np.fromiter((self.ns_pos[g.namespace] if not g.host_network
                                 else len(self.ns_names) for g in index.groups),
                                dtype=np.int64, count=n)
        self.dirty_ns: set[int] = set()
        self.dirty_pi: set[int] = set()
        self.dirty_eg: set[int] = set()
        self.own_ns: set[int] | None = None  # copy-on-write after fork(); None = all owned
        self.own_pi: set[int] | None = None

    def fork(self) -> _State:
        """A copy to update while this one keeps describing its matrix (copy-on-write for
        the rule sets and tables; caches keyed by compiled rules are shared)."""
        new = copy.copy(self)
        for name in ("sel_count", "all_count", "allpods_count", "ns_tab", "rp_idx", "eg_idx"):
            setattr(new, name, getattr(self, name).copy())
        new.ns_members, new.pi = list(self.ns_members), list(self.pi)
        new.own_ns, new.own_pi = set(), set()
        new.rp, new.eg = self.rp.fork(), self.eg.fork()
        new.dirty_ns, new.dirty_pi, new.dirty_eg = set(), set(), set()
        return new

    def extend(self, index: PolicyIndex) -> None:
        """Move onto `index`'s refined groups: every split-off group inherits its parent's
        counts, rule sets and columns. Valid for the policies still added — they cannot
        tell a child from its parent (the caller took out those that can)."""
        parents = index._parents
        n_old, n = self.n, len(index.groups)
        children = np.arange(n_old, n)
        for name in ("sel_count", "all_count", "allpods_count", "rp_idx", "eg_idx", "g_ns"):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr, arr[parents]]))
        self.rule_ids = {rule: index._extend_gids(ids) if ids is not None else None
                         for rule, ids in self.rule_ids.items()}
        self.pi = list(self.pi) + [set(self.pi[p]) if self.pi[p] is not None else None
                                   for p in parents.tolist()]
        self.own_pi = None if self.own_pi is None else self.own_pi | set(children.tolist())
        self.dirty_pi.update(children.tolist())  # parents' rows may be about to change
        self.dirty_eg.update(children.tolist())
        self.ns_tab = _extend_columns(self.ns_tab, n_old, n, parents)
        for table in (self.rp, self.eg):
            table.unshare()
            table.rows = _extend_columns(table.rows, n_old, n, parents)
        self.index, self.n, self.named = index, n, index._port_cache

    def _ns_set(self, k: int) -> set:
        if self.own_ns is not None and k not in self.own_ns:
            self.ns_members[k] = set(self.ns_members[k])
            self.own_ns.add(k)
        return self.ns_members[k]

    def _pi_set(self, g: int) -> set:
        members = self.pi[g]
        if members is None:
            members = self.pi[g] = set()
            if self.own_pi is not None:
                self.own_pi.add(g)
        elif self.own_pi is not None and g not in self.own_pi:
            members = self.pi[g] = set(members)
            self.own_pi.add(g)
        return members

    def ids(self, cp: CompiledPolicy, rule: CompiledRule) -> np.ndarray | None:
        """Destination groups one rule admits on this port — egress: its peers (`P_r ∧
        Q_r`), ingress: the policy's selected pods (`Sel ∧ Q_r`); None when none. Sparse:
        most rules concern a handful of groups."""
        if rule in self.rule_ids:
            return self.rule_ids[rule]
        q = _port_vector(self.index, rule, self.port, self.protocol, self.named)
        ids = None
        if q is not False:
            ids = _peer_targets(self.index, rule) if rule.direction == "egress" \
                else cp.selected
            if q is not True:
                ids = ids[q[ids]]
            if not len(ids):
                ids = None
        self.rule_ids[rule] = ids
        return ids

    def add(self, cp: CompiledPolicy, sign: int = 1) -> None:
        """Add (sign 1) or take out (sign -1) one policy's contributions."""
        if cp.policy.affects_egress:
            self.dirty_eg.update(cp.selected.tolist())
        if not cp.policy.affects_ingress or not len(cp.selected):
            return
        self.sel_count[cp.selected] += sign
        for rule in cp.ingress:
            ids = self.ids(cp, rule)
            if ids is None:
                continue
            if not rule.peers:
                self.all_count[ids] += sign
            for p in rule.peers:
                key = (rule, p.index)
                if p.kind == ALL_PODS:
                    self.allpods_count[ids] += sign
                elif p.kind == NAMESPACES:
                    for ns in p.namespaces:
                        k = self.ns_pos.get(ns)
                        if k is not None:
                            _put(self._ns_set(k), key, sign)
                            self.dirty_ns.add(k)
                elif p.kind in (PODS, IP_BLOCK):
                    gids = p.gids.tolist()
                    for g in gids:
                        _put(self._pi_set(g), key, sign)
                    self.dirty_pi.update(gids)

    def _union_of(self, keys: Iterable[tuple[CompiledRule, int]]) -> np.ndarray:
        ids = self.rule_ids
        return _union(self.n, (ids[rule] for rule, _ in keys))

    def finish(self) -> np.ndarray:
        """Recompute what the added/removed policies touched and assemble the rows:
        `EG[σ(s)] & (NOTISO | ALL | ALLPODS·pod(s) | NS[ns(s)] | RP[π(s)])`."""
        n = self.n
        for k in self.dirty_ns:
            self.ns_tab[k] = self._union_of(self.ns_members[k])
        for g in self.dirty_pi:
            members = frozenset(self.pi[g] or ())
            self.rp_idx[g] = self.rp.row(members, lambda m=members: self._union_of(m))
        eg_of = self.index._eg_of
        for g in self.dirty_eg:
            sigma = eg_of[g]
            self.eg_idx[g] = self.eg.row(sigma, lambda s=sigma: _union(n, (
                ids for cp in s for rule in cp.egress
                if (ids := self.ids(cp, rule)) is not None)))
        self.dirty_ns, self.dirty_pi, self.dirty_eg = set(), set(), set()
        base = _pack((self.sel_count == 0) | (self.all_count > 0))
        rows = self.ns_tab[self.g_ns]
        rows |= self.rp.rows[self.rp_idx]
        rows |= base
        allpods = self.allpods_count > 0
        if allpods.any():
            rows[self.index._nonhost] |= _pack(allpods)
        rows &= self.eg.rows[self.eg_idx]
        return rows


def _put(members: set, key: Any, sign: int) -> None:
    if sign > 0:
        members.add(key)
    else:
        members.discard(key)


def _extend_columns(rows: np.ndarray, n_old: int, n: int, parents: np.ndarray) -> np.ndarray:
    """Packed rows over n_old groups → over n, column n_old+k copying column parents[k]."""
    width = (n + 7) // 8
    if width > rows.shape[1]:
        rows = np.pad(rows, ((0, 0), (0, width - rows.shape[1])))
    for k, p in enumerate(parents.tolist()):
        c = n_old + k
        bit = (rows[:, p >> 3] >> np.uint8(7 - (p & 7))) & np.uint8(1)
        rows[:, c >> 3] |= bit << np.uint8(7 - (c & 7))
    return rows


# --------------------------------------------------------------------------- diff


@dataclass
class MatrixDiff:
    """Flows (ordered pod pairs on one port) that a change opens or cuts.

    Counts are exact and cheap; `opened`/`cut` expand the changed group blocks into pod
    pairs when first read (they can be long: a default-deny on a busy namespace cuts
    every flow into it)."""

    count_opened: int
    count_cut: int
    added_pods: tuple[str, ...]
    removed_pods: tuple[str, ...]
    _names: list[tuple[str, ...]] = field(repr=False, default_factory=list)
    _blocks: list[tuple[np.ndarray, np.ndarray, bool]] = field(repr=False,
                                                               default_factory=list)
    _extra: list[tuple[str, str, bool]] = field(repr=False, default_factory=list)
    _skip: frozenset[tuple[str, str]] = field(repr=False, default=frozenset())

    def _expand(self, opened: bool, limit: int | None = None) -> list[tuple[str, str]]:
        """The pod pairs, stopping after `limit` (a default-deny can cut millions)."""
        out: list[tuple[str, str]] = []
        names, skip = self._names, self._skip
        for rows, cols, is_open in self._blocks:
            if is_open != opened:
                continue
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                out.extend((s, d) for s in names[r] for d in names[c]
                           if s != d and (s, d) not in skip)
                if limit is not None and len(out) >= limit:
                    return out[:limit]
        out.extend((s, d) for s, d, is_open in self._extra if is_open == opened)
        return out if limit is None else out[:limit]

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

    def __str__(self) -> str:
        return self.sentence

    def to_dict(self, limit: int = 1000) -> dict[str, Any]:
        """Exact counts, and at most `limit` listed flows each way (never all of them)."""
        return {"opened": [list(p) for p in self._expand(True, limit)],
                "cut": [list(p) for p in self._expand(False, limit)],
                "count_opened": self.count_opened, "count_cut": self.count_cut,
                "added_pods": list(self.added_pods), "removed_pods": list(self.removed_pods),
                "summary": self.sentence}


def diff(old: Matrix, new: Matrix) -> MatrixDiff:
    """What changes between two matrices of the same port, over the pods both contain.

    Works block by block on the common refinement of both group partitions, so it costs
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
    uniq, first, inverse = np.unique(go * (len(new.groups) + 1) + gn, return_index=True,
                                     return_inverse=True)
    c_old, c_new = go[first], gn[first]
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    names = [tuple(common[k] for k in part.tolist()) for part in np.split(order, bounds)]
    sizes = np.fromiter((len(m) for m in names), dtype=np.float64, count=len(names))
    n_old, n_new = len(old.groups), len(new.groups)
    blocks: list[tuple[np.ndarray, np.ndarray, bool]] = []
    opened = cut = 0.0
    for a in range(0, len(uniq), 512):
        rows = np.arange(a, min(a + 512, len(uniq)))
        bo = np.unpackbits(old.rows[c_old[rows]], axis=1, count=n_old)[:, c_old].astype(bool)
        bn = np.unpackbits(new.rows[c_new[rows]], axis=1, count=n_new)[:, c_new].astype(bool)
        for flag, mat in ((True, bn & ~bo), (False, bo & ~bn)):
            r, c = np.nonzero(mat)
            if not len(r):
                continue
            r = r + a
            weight = float(sizes[r] @ sizes[c]) - float(sizes[r[r == c]].sum())  # not p→p
            if flag:
                opened += weight
            else:
                cut += weight
            blocks.append((r, c, flag))
    # node exceptions: pairs allowed whatever the policies say; correct the block counts
    common_set = set(common)
    skip: set[tuple[str, str]] = set()
    extra: list[tuple[str, str, bool]] = []
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
            extra.append((s, d, now))
    old_set, new_set = set(old_keys), set(new_keys)
    return MatrixDiff(round(opened), round(cut),
                      tuple(k for k in new_keys if k not in old_set),
                      tuple(k for k in old_keys if k not in new_set),
                      names, blocks, extra, frozenset(skip))


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
