"""`kubectl get -l`: apimachinery `labels.Parse` (equality- and set-based requirements)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


class SelectorError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # = != in notin exists !exists gt lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op, key = self.op, self.key
        if op == "=":
            return key in labels and labels[key] == self.values[0]
        if op == "!=":
            return key not in labels or labels[key] != self.values[0]
        if op == "in":
            return key in labels and labels[key] in self.values
        if op == "notin":
            return key not in labels or labels[key] not in self.values
        if op == "exists":
            return key in labels
        if op == "!exists":
            return key not in labels
        if key not in labels:
            return False
        try:
            have, want = int(labels[key]), int(self.values[0])
        except ValueError:
            return False
        return have > want if op == "gt" else have < want


_TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|=|!|\(|\)|,|>|<)|(?P<word>[^\s=!(),<>]+))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise SelectorError(f"unable to parse requirement: found '{text[pos:].strip()}'")
        pos = m.end()
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("word"):
            word = m.group("word")
            kind = word if word in ("in", "notin") else "word"
            out.append((kind, word))
    return out


def parse_selector(text: str) -> tuple[Requirement, ...]:
    """The requirements of a `-l` value; raises SelectorError with kubectl's wording."""
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def expect(what: str) -> str:
        nonlocal i
        found = toks[i][1] if i < len(toks) else ""
        raise SelectorError(f"unable to parse requirement: found '{found}', expected: {what}")

    while i < len(toks):
        kind, val = toks[i]
        negate = False
        if kind == "op" and val == "!":
            negate = True
            i += 1
            if i >= len(toks) or toks[i][0] not in ("word", "in", "notin"):
                expect("identifier")
            kind, val = toks[i]
        if kind not in ("word", "in", "notin"):
            expect("identifier")
        key = val
        i += 1
        if negate:
            reqs.append(Requirement(key, "!exists"))
        elif i >= len(toks) or toks[i] == ("op", ","):
            reqs.append(Requirement(key, "exists"))
        else:
            kind, val = toks[i]
            i += 1
            if kind == "op" and val in ("=", "==", "!=", ">", "<"):
                if i < len(toks) and toks[i][0] != "op":
                    value = toks[i][1]
                    i += 1
                elif val in ("=", "==", "!="):
                    value = ""  # `app=` selects an empty value
                else:
                    expect("integer")
                op = {"==": "=", ">": "gt", "<": "lt"}.get(val, val)
                reqs.append(Requirement(key, op, (value,)))
            elif kind in ("in", "notin"):
                if i >= len(toks) or toks[i] != ("op", "("):
                    expect("'('")
                i += 1
                values: list[str] = []
                while True:
                    if i < len(toks) and toks[i][0] != "op":
                        values.append(toks[i][1])
                        i += 1
                    if i < len(toks) and toks[i] == ("op", ","):
                        i += 1
                        continue
                    if i < len(toks) and toks[i] == ("op", ")"):
                        i += 1
                        break
                    expect("',', ')' or identifier")
                reqs.append(Requirement(key, kind, tuple(values)))
            else:
                i -= 1
                expect("'=', '!=', '==', 'in', notin'")
        if i < len(toks):
            if toks[i] != ("op", ","):
                expect("','")
            i += 1
            if i >= len(toks):
                expect("identifier")
    return tuple(reqs)


def matches(reqs: tuple[Requirement, ...], labels: Mapping[str, str]) -> bool:
    return all(r.matches(labels) for r in reqs)
