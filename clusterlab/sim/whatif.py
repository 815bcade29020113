"""What a change does to reachability before it is applied: the flows it opens and cuts.

`reachability.diff` counts them; the editor's what-if preview (issue #7) also needs them
per namespace pair (to mark the heatmap's summary) and a bounded list of pod pairs
(to list and highlight), without ever expanding every changed pair — a default-deny
over a 10k-pod cluster cuts ~10⁸ of them.

Work is done on the common refinement of both group partitions ("combos": pods that
are in the same group before and after), so it costs O(combos²) bit operations; pods
of one group share a namespace, so combos carry their namespace. Pairs that hold
whatever the policies say (a pod to itself; a hostNetwork pod and the pods on its node)
are corrected one by one, exactly as the matrix does.

`effective=True` compares what packets do rather than what policies say: under a CNI
that enforces no NetworkPolicy (NET-4.6, plain Flannel) every pair is reachable, which
is how a CNI comparison shows "switching to Calico cuts these flows".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clusterlab.sim.reachability import Matrix
from clusterlab.sim.truthtable import exception_pairs, group_ids

__all__ = ["FlowChanges", "flow_changes"]

_CHUNK = 1024


@dataclass
class FlowChanges:
    """Ordered pod pairs on one port whose verdict a change flips."""

    port: int | str
    protocol: str
    count_opened: int
    count_cut: int
    opened: list[tuple[str, str]]  # at most `limit`
    cut: list[tuple[str, str]]
    by_namespace: list[dict[str, Any]]  # {"from", "to", "opened", "cut"}, non-zero only
    added_pods: tuple[str, ...] = ()
    removed_pods: tuple[str, ...] = ()
    enforced_before: bool = True
    enforced_after: bool = True
    limit: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return len(self.opened) < self.count_opened or len(self.cut) < self.count_cut

    @property
    def sentence(self) -> str:
        """Same wording as `reachability.MatrixDiff.sentence`."""
        c, o = self.count_cut, self.count_opened
        if not c and not o:
            text = "this change neither cuts nor opens any flow"
        else:
            text = f"this change cuts {c} flow{'' if c == 1 else 's'} and opens {o}"
        extra = []
        for n, word in ((len(self.added_pods), "added"), (len(self.removed_pods), "removed")):
            if n:
                extra.append(f"{n} pod{'' if n == 1 else 's'} {word}")
        return text + (f" ({', '.join(extra)})" if extra else "")

    def to_dict(self) -> dict[str, Any]:
        return {"port": self.port, "protocol": self.protocol,
                "count_opened": self.count_opened, "count_cut": self.count_cut,
                "opened": [list(p) for p in self.opened], "cut": [list(p) for p in self.cut],
                "truncated": self.truncated, "limit": self.limit,
                "by_namespace": self.by_namespace,
                "added_pods": list(self.added_pods), "removed_pods": list(self.removed_pods),
                "enforced_before": self.enforced_before, "enforced_after": self.enforced_after,
                "summary": self.sentence, "notes": list(self.notes)}


class _Side:
    """One matrix seen through the common pods: group bits, or all-ones when its CNI
    enforces nothing and packets are what counts."""

    def __init__(self, matrix: Matrix, positions: np.ndarray, effective: bool):
        self.matrix = matrix
        self.all_on = effective and not matrix.enforced
        self.gid = group_ids(matrix)[positions]

    def block(self, g_rows: np.ndarray, g_cols: np.ndarray) -> np.ndarray:
        if self.all_on:
            return np.ones((len(g_rows), len(g_cols)), dtype=bool)
        n = len(self.matrix.groups)
        u = np.unpackbits(self.matrix.rows[g_rows], axis=1, count=n)
        return u[:, g_cols].astype(bool)

    def bit(self, g_row: int, g_col: int) -> bool:
        return self.all_on or self.matrix.group_allowed(g_row, g_col)

    def allowed(self, src: str, dst: str) -> bool:
        return self.all_on or self.matrix.allowed(src, dst)


def flow_changes(old: Matrix, new: Matrix, limit: int = 500,
                 effective: bool = False) -> FlowChanges:
    """Flows opened and cut going from `old` to `new` (same port), over the pods both
    contain; at most `limit` pairs of each are listed, all are counted."""
    old_keys, new_keys = old.pod_keys, new.pod_keys
    new_pos = {k: i for i, k in enumerate(new_keys)}
    common_old = [i for i, k in enumerate(old_keys) if k in new_pos]
    keys = [old_keys[i] for i in common_old]
    pos_o = np.asarray(common_old, dtype=np.int64)
    pos_n = np.fromiter((new_pos[k] for k in keys), dtype=np.int64, count=len(keys))
    a, b = _Side(old, pos_o, effective), _Side(new, pos_n, effective)

    # combos: pods in the same group on both sides
    width = len(new.groups) + 1
    uniq, first, inverse = np.unique(a.gid * width + b.gid, return_index=True,
                                     return_inverse=True)
    inverse = inverse.reshape(-1)
    k = len(uniq)
    c_old, c_new = a.gid[first], b.gid[first]
    sizes = np.bincount(inverse, minlength=k).astype(np.float64)
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=k))])
    members = [order[bounds[c]:bounds[c + 1]] for c in range(k)]
    ns_names = sorted({key.partition("/")[0] for key in keys})
    nidx = {n: i for i, n in enumerate(ns_names)}
    c_ns = np.fromiter((nidx[keys[int(first[c])].partition("/")[0]] for c in range(k)),
                       dtype=np.int64, count=k)
    w_ns = np.zeros((k, len(ns_names)))
    w_ns[np.arange(k), c_ns] = sizes
    by_ns = {True: np.zeros((len(ns_names), len(ns_names))),
             False: np.zeros((len(ns_names), len(ns_names)))}

    # pairs allowed whatever the policies say, on either side: correct them one by one
    skip: set[tuple[int, int]] = set()
    extra: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    common_at = {kk: i for i, kk in enumerate(keys)}
    pairs: set[tuple[int, int]] = set()
    for side in (old, new):
        s_arr, d_arr = exception_pairs(side)
        side_keys = side.pod_keys
        for s, d in zip(s_arr.tolist(), d_arr.tolist(), strict=True):
            i, j = common_at.get(side_keys[s]), common_at.get(side_keys[d])
            if i is not None and j is not None:
                pairs.add((i, j))
    for i, j in sorted(pairs):
        ci, cj = int(inverse[i]), int(inverse[j])
        was, now = a.allowed(keys[i], keys[j]), b.allowed(keys[i], keys[j])
        block_was = a.bit(int(c_old[ci]), int(c_old[cj]))
        block_now = b.bit(int(c_new[ci]), int(c_new[cj]))
        for flag, real, block in ((True, now and not was, block_now and not block_was),
                                  (False, was and not now, block_was and not block_now)):
            delta = int(real) - int(block)
            if delta:
                by_ns[flag][c_ns[ci], c_ns[cj]] += delta
        if block_was != block_now:  # listed below from the blocks: list the real flip
            skip.add((i, j))
        if was != now:
            extra[now and not was].append((i, j))

    listed: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    for start in range(0, k, _CHUNK):
        rows = slice(start, min(start + _CHUNK, k))
        bo = a.block(c_old[rows], c_old)
        bn = b.block(c_new[rows], c_new)
        for flag, mat in ((True, bn & ~bo), (False, bo & ~bn)):
            if not mat.any():
                continue
            per_ns = mat.astype(np.float64) @ w_ns  # [combo row, namespace] pod counts
            np.add.at(by_ns[flag], c_ns[rows], per_ns * sizes[rows, None])
            diag = np.flatnonzero(mat[np.arange(mat.shape[0]), np.arange(start, rows.stop)])
            for r in diag.tolist():  # a pod to itself never changes
                c = start + r
                by_ns[flag][c_ns[c], c_ns[c]] -= sizes[c]
            if len(listed[flag]) < limit:
                for r, c in zip(*np.nonzero(mat), strict=True):
                    _expand(members[start + int(r)], members[int(c)], skip, listed[flag],
                            limit)
                    if len(listed[flag]) >= limit:
                        break
    for flag in (True, False):
        for pair in extra[flag]:
            if len(listed[flag]) < limit and pair not in listed[flag]:
                listed[flag].append(pair)

    counts = {flag: int(np.rint(by_ns[flag].sum())) for flag in (True, False)}
    rows_out = []
    for x, src in enumerate(ns_names):
        for y, dst in enumerate(ns_names):
            o, c = int(np.rint(by_ns[True][x, y])), int(np.rint(by_ns[False][x, y]))
            if o or c:
                rows_out.append({"from": src, "to": dst, "opened": o, "cut": c})
    old_set, new_set = set(old_keys), set(new_keys)
    out = FlowChanges(
        old.port, old.protocol, counts[True], counts[False],
        sorted((keys[i], keys[j]) for i, j in listed[True]),
        sorted((keys[i], keys[j]) for i, j in listed[False]),
        rows_out, tuple(kk for kk in new_keys if kk not in old_set),
        tuple(kk for kk in old_keys if kk not in new_set), old.enforced, new.enforced, limit)
    if not new.enforced and not effective:
        plugin = new.index.cluster.config.cni_plugin
        out.notes.append(f"{plugin} does not enforce NetworkPolicy: these are the flows the "
                         "policies would open or cut; no packet is actually dropped (NET-4.6)")
    return out


def _expand(src: Iterable[int], dst: np.ndarray, skip: set[tuple[int, int]],
            into: list[tuple[int, int]], limit: int) -> None:
    for i in src:
        for j in dst.tolist():
            if i == j or (int(i), j) in skip:
                continue
            into.append((int(i), j))
            if len(into) >= limit:
                return
