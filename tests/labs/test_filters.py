"""The Kubernetes label selector syntax (labels.Parse) as the `labelSelector` filter speaks it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.labs.filters import Requirement, parse_selector


@pytest.mark.parametrize(("text", "expected"), [
    ("app=web", [Requirement("app", "=", ("web",))]),
    ("app == web", [Requirement("app", "=", ("web",))]),
    ("tier!=db", [Requirement("tier", "!=", ("db",))]),
    ("env in (a, b)", [Requirement("env", "in", ("a", "b"))]),
    ("env notin (a)", [Requirement("env", "notin", ("a",))]),
    ("app.kubernetes.io/name", [Requirement("app.kubernetes.io/name", "exists")]),
    ("!legacy", [Requirement("legacy", "!")]),
    ("a=1,b in (x,y),!c", [Requirement("a", "=", ("1",)), Requirement("b", "in", ("x", "y")),
                           Requirement("c", "!")]),
    ("app=", [Requirement("app", "=", ("",))]),
    ("", []),
])
def test_parse(text, expected):
    assert parse_selector(text) == expected


@pytest.mark.parametrize("text", ["app in web", "=web", "app=we b", "a,,b", "env in ()",
                                  "env in (a", "-bad=1", "app=web)"])
def test_parse_errors(text):
    with pytest.raises(ValueError):
        parse_selector(text)


labels = st.dictionaries(st.sampled_from(["app", "tier", "env"]),
                         st.sampled_from(["a", "b", "c"]), max_size=3)


@given(labels, st.sampled_from(["app", "tier", "env"]), st.sampled_from(["a", "b"]))
def test_negations_are_complements(labels, key, value):
    """`k=v` and `k!=v` split every label set; so do `k` and `!k` (VAL-4 semantics)."""
    eq, ne = parse_selector(f"{key}={value}")[0], parse_selector(f"{key}!={value}")[0]
    assert eq.matches(labels) != ne.matches(labels)
    ex, nex = parse_selector(key)[0], parse_selector(f"!{key}")[0]
    assert ex.matches(labels) != nex.matches(labels)
    inn, notin = parse_selector(f"{key} in ({value},c)")[0], \
        parse_selector(f"{key} notin ({value},c)")[0]
    assert inn.matches(labels) != notin.matches(labels)
