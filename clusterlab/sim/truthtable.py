"""Pod-level views of a reachability `Matrix` for the heatmap (issue #7).

The heatmap asks for *parts* of the pod×pod truth table: the pods some filter keeps
(namespaces, a label selector), one namespace against another on drill-down, and
namespace×namespace totals for clusters too big to draw pod by pod. `reachability.py`
keeps the table as groups×groups bits; this module gathers a rectangle of pod cells
from those rows, and sums any pod subset into namespace totals with a few matrix
products over groups, so nothing here costs O(pods²) unless pod cells are asked for.

Two readings of a cell (NET-4.6):

* what the NetworkPolicies say (`effective=False`, the default): the verdict a policy
  author wants to see, whatever the CNI;
* what packets do (`effective=True`): under a plugin that enforces no NetworkPolicy
  (plain Flannel) every pair is reachable.

Cells that hold whatever the policies say are applied pod by pod, as in the matrix: a
pod always reaches itself, and a pod and a hostNetwork pod on the same node always reach
each other (network-policies page, "Isolated and Non-isolated Pods").
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from clusterlab.sim.model import Pod
from clusterlab.sim.reachability import Matrix

__all__ = ["NamespaceTotals", "cells", "exception_pairs", "group_ids", "namespace_totals",
           "pack_cells", "select_pods"]

_CHUNK = 1024  # group rows unpacked at a time


# --------------------------------------------------------------------------- per matrix


@dataclass(frozen=True)
class _Facts:
    gid: np.ndarray  # group id per pod position (pod_keys order)
    ns_names: tuple[str, ...]  # sorted namespace names of the pods
    ns_of: np.ndarray  # namespace index per pod position
    exceptions: tuple[np.ndarray, np.ndarray]  # node-exception pairs (positions)


_facts: weakref.WeakKeyDictionary[Matrix, _Facts] = weakref.WeakKeyDictionary()


def _facts_of(matrix: Matrix) -> _Facts:
    hit = _facts.get(matrix)
    if hit is not None:
        return hit
    keys = matrix.pod_keys
    pos = {k: i for i, k in enumerate(keys)}
    gid = np.empty(len(keys), dtype=np.int64)
    for g in matrix.groups:
        gid[[pos[k] for k in g.pods]] = g.id
    namespaces = [k.partition("/")[0] for k in keys]
    names = tuple(sorted(set(namespaces)))
    nidx = {n: i for i, n in enumerate(names)}
    ns_of = np.fromiter((nidx[n] for n in namespaces), dtype=np.int64, count=len(keys))
    src: list[int] = []
    dst: list[int] = []
    cluster = matrix.index.cluster
    for pod in cluster.pods:
        if not pod.host_network or pod.node_name is None:
            continue
        h = pos[pod.key]
        for other in cluster.pods_by_node.get(pod.node_name, ()):
            if not other.host_network:
                j = pos[other.key]
                src += (h, j)
                dst += (j, h)
    hit = _Facts(gid, names, ns_of, (np.asarray(src, dtype=np.int64),
                                     np.asarray(dst, dtype=np.int64)))
    _facts[matrix] = hit
    return hit


def group_ids(matrix: Matrix) -> np.ndarray:
    """The pod group of each pod position (the order of `matrix.pod_keys`)."""
    return _facts_of(matrix).gid


def exception_pairs(matrix: Matrix) -> tuple[np.ndarray, np.ndarray]:
    """(sources, destinations) positions allowed whatever the policies say, besides a pod
    to itself: a hostNetwork pod (seen as its node's IP) and the other pods on its node."""
    return _facts_of(matrix).exceptions


# --------------------------------------------------------------------------- selecting


def select_pods(matrix: Matrix, namespaces: Collection[str] | None = None,
                keep: Callable[[Pod], bool] | None = None) -> np.ndarray:
    """Pod positions kept by the filters, ordered by namespace then name (the heatmap's
    order: a namespace's pods are contiguous)."""
    pods = matrix.index.cluster.pods
    wanted = set(namespaces) if namespaces else None
    chosen = [i for i, p in enumerate(pods)
              if (wanted is None or p.namespace in wanted) and (keep is None or keep(p))]
    chosen.sort(key=lambda i: (pods[i].namespace, pods[i].name))
    return np.asarray(chosen, dtype=np.int64)


# --------------------------------------------------------------------------- cells


def _group_block(matrix: Matrix, row_groups: np.ndarray, col_groups: np.ndarray) -> np.ndarray:
    """Bits [row_groups × col_groups] of the group matrix."""
    n = len(matrix.groups)
    out = np.empty((len(row_groups), len(col_groups)), dtype=bool)
    for a in range(0, len(row_groups), _CHUNK):
        u = np.unpackbits(matrix.rows[row_groups[a:a + _CHUNK]], axis=1, count=n)
        out[a:a + _CHUNK] = u[:, col_groups].astype(bool)
    return out


def cells(matrix: Matrix, rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray,
          effective: bool = False) -> np.ndarray:
    """Bool [rows × cols]: may the pod at position rows[i] reach cols[j] on the matrix's
    port (see the module docstring for `effective`)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if effective and not matrix.enforced:
        return np.ones((len(rows), len(cols)), dtype=bool)
    facts = _facts_of(matrix)
    gr, gc = facts.gid[rows], facts.gid[cols]
    ur, inv_r = np.unique(gr, return_inverse=True)
    uc, inv_c = np.unique(gc, return_inverse=True)
    block = _group_block(matrix, ur, uc)
    out = block[inv_r[:, None], inv_c[None, :]]
    col_at = {int(c): j for j, c in enumerate(cols.tolist())}
    for i, r in enumerate(rows.tolist()):
        j = col_at.get(r)
        if j is not None:
            out[i, j] = True
    s, d = facts.exceptions
    if len(s):
        row_at = {int(r): i for i, r in enumerate(rows.tolist())}
        for a, b in zip(s.tolist(), d.tolist(), strict=True):
            i, j = row_at.get(a), col_at.get(b)
            if i is not None and j is not None:
                out[i, j] = True
    return out


def pack_cells(table: np.ndarray) -> bytes:
    """Rows of bits, most significant bit first, each row padded to whole bytes (what the
    browser's heatmap decodes)."""
    return np.packbits(table, axis=1).tobytes()


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True)
class NamespaceTotals:
    """Allowed and total ordered pod pairs per (source namespace, destination namespace)."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    row_pods: tuple[int, ...]  # pods per source namespace
    col_pods: tuple[int, ...]
    allowed: np.ndarray  # int64 [rows × cols]
    total: np.ndarray

    def as_dict(self) -> dict[tuple[str, str], tuple[int, int]]:
        return {(a, b): (int(self.allowed[i, j]), int(self.total[i, j]))
                for i, a in enumerate(self.rows) for j, b in enumerate(self.cols)}


def namespace_totals(matrix: Matrix, rows: Sequence[int] | np.ndarray,
                     cols: Sequence[int] | np.ndarray, effective: bool = False
                     ) -> NamespaceTotals:
    """Sum the cells of rows × cols per namespace pair, over groups: Wᵣᵀ·G·W꜀ with W the
    (group × namespace) pod counts, then the pod-by-pod exceptions."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    facts = _facts_of(matrix)
    r_ns, r_idx = np.unique(facts.ns_of[rows], return_inverse=True)
    c_ns, c_idx = np.unique(facts.ns_of[cols], return_inverse=True)
    r_count = np.bincount(r_idx, minlength=len(r_ns))
    c_count = np.bincount(c_idx, minlength=len(c_ns))
    total = np.outer(r_count, c_count).astype(np.int64)
    names = facts.ns_names

    def result(allowed: np.ndarray) -> NamespaceTotals:
        return NamespaceTotals(tuple(names[i] for i in r_ns), tuple(names[i] for i in c_ns),
                               tuple(int(x) for x in r_count), tuple(int(x) for x in c_count),
                               allowed, total)

    if effective and not matrix.enforced:
        return result(total.copy())
    if not len(rows) or not len(cols):
        return result(np.zeros_like(total))
    gr, gc = facts.gid[rows], facts.gid[cols]
    ur, gr_i = np.unique(gr, return_inverse=True)
    uc, gc_i = np.unique(gc, return_inverse=True)
    w_r = np.zeros((len(ur), len(r_ns)))
    np.add.at(w_r, (gr_i, r_idx), 1.0)
    w_c = np.zeros((len(uc), len(c_ns)), dtype=np.float32)
    np.add.at(w_c, (gc_i, c_idx), 1.0)
    acc = np.zeros((len(r_ns), len(c_ns)))
    n = len(matrix.groups)
    for a in range(0, len(ur), _CHUNK):
        u = np.unpackbits(matrix.rows[ur[a:a + _CHUNK]], axis=1, count=n)[:, uc]
        per_ns = (u.astype(np.float32) @ w_c).astype(np.float64)  # exact: ≤ pods < 2**24
        acc += w_r[a:a + _CHUNK].T @ per_ns
    # pod-by-pod: self pairs and node exceptions whose group bit is 0
    in_rows = {int(p): i for i, p in enumerate(rows.tolist())}
    in_cols = {int(p): j for j, p in enumerate(cols.tolist())}
    extra: list[tuple[int, int]] = [(p, p) for p in in_rows if p in in_cols]
    s, d = facts.exceptions
    extra += [(a, b) for a, b in zip(s.tolist(), d.tolist(), strict=True)
              if a in in_rows and b in in_cols]
    gid = facts.gid
    for a, b in extra:
        if not matrix.group_allowed(int(gid[a]), int(gid[b])):
            acc[r_idx[in_rows[a]], c_idx[in_cols[b]]] += 1
    return result(np.rint(acc).astype(np.int64))
