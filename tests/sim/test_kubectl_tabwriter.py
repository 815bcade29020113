"""Go text/tabwriter as kubectl configures it (KCTL-1 get: minwidth 6, padding 3; KCTL-7
describe: minwidth 0, padding 2), apimachinery HumanDuration, the label selector parser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.console.selectors import SelectorError, matches, parse_selector
from clusterlab.sim.console.tabwriter import describe_text, table, tabwrite
from clusterlab.sim.console.timefmt import human_duration


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


def test_get_columns_are_longest_cell_plus_three_and_at_least_six():
    assert table([["A", "B", "C"], ["x", "yy", "z"]]) == "A     B     C\nx     yy    z\n"
    assert table([["NAME", "AGE"], ["kubernetes", "12d"]]) == (
        "NAME         AGE\nkubernetes   12d\n")


def test_the_last_column_is_never_padded_and_an_empty_cell_still_is():
    assert table([["NAME", "ENDPOINTS", "AGE"], ["notready", "", "2m"]]) == (
        "NAME       ENDPOINTS   AGE\nnotready" + " " * (3 + 12) + "2m\n")
    out = table([["NAME", "LABELS"], ["a", "x=1,y=2"], ["bb", ""]])
    assert out == "NAME   LABELS\na      x=1,y=2\nbb     \n"


def test_columns_are_blocks_of_consecutive_lines_go_elastic_example():
    """Go's Example_elastic (left-aligned): the b's and the d's, though both in the second
    cell of their line, are in different columns because the line between them has only
    one tab-terminated cell."""
    text = "a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n"
    assert tabwrite(text, minwidth=0, padding=1) == (
        "a    b  c\naa   bb cc\naaa  \naaaa dddd eeee\n")


def test_a_line_without_a_tab_ends_the_alignment_block():
    """KCTL-7: `Containers:` restarts alignment; the next block is measured on its own."""
    text = "Name:\tweb\nLongest Key Here:\tx\nContainers:\n  web:\n    Image:\tnginx\n"
    assert describe_text(text) == (
        "Name:              web\nLongest Key Here:  x\nContainers:\n  web:\n"
        "    Image:  nginx\n")


def test_describe_conditions_keep_kubectls_trailing_spaces():
    text = "Conditions:\n  Type\tStatus\n  Ready \tTrue \n"
    assert describe_text(text) == "Conditions:\n  Type    Status\n  Ready   True \n"


def test_text_without_a_final_newline_and_counting_characters_not_bytes():
    assert tabwrite("a\tb", 0, 1) == "a b"
    assert table([["NAME", "X"], ["é", "1"]]) == "NAME   X\né      1\n"


@given(st.lists(st.lists(st.text(alphabet="abc- ", max_size=8), min_size=3, max_size=3),
                min_size=1, max_size=6))
def test_every_row_of_a_rectangular_table_aligns(rows):
    out = table(rows).split("\n")[:-1]
    widths = [max(max(len(r[i]) for r in rows) + 3, 6) for i in range(2)]
    for line, row in zip(out, rows, strict=True):
        assert line == row[0].ljust(widths[0]) + row[1].ljust(widths[1]) + row[2]


@given(st.lists(st.lists(st.text(alphabet="ab\t -é", max_size=6), min_size=1, max_size=4),
                min_size=1, max_size=6))
def test_the_table_fast_path_equals_the_general_algorithm(rows):
    assert table(rows) == tabwrite("".join("\t".join(r) + "\n" for r in rows))


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=-5), "<invalid>"), (timedelta(seconds=-1), "0s"), (timedelta(0), "0s"),
    (timedelta(seconds=45), "45s"), (timedelta(seconds=119), "119s"),
    (timedelta(minutes=2), "2m"), (timedelta(minutes=5, seconds=12), "5m12s"),
    (timedelta(minutes=9, seconds=59), "9m59s"), (timedelta(minutes=10, seconds=30), "10m"),
    (timedelta(minutes=47), "47m"), (timedelta(minutes=90), "90m"),
    (timedelta(hours=2, minutes=59), "179m"), (timedelta(hours=3), "3h"),
    (timedelta(hours=3, minutes=4), "3h4m"), (timedelta(hours=7, minutes=59), "7h59m"),
    (timedelta(hours=8), "8h"), (timedelta(hours=26), "26h"), (timedelta(hours=47), "47h"),
    (timedelta(days=2), "2d"), (timedelta(days=2, hours=3), "2d3h"),
    (timedelta(days=7, hours=23), "7d23h"), (timedelta(days=8), "8d"),
    (timedelta(days=120), "120d"), (timedelta(days=729), "729d"), (timedelta(days=730), "2y"),
    (timedelta(days=365 * 3 + 12), "3y12d"), (timedelta(days=365 * 8), "8y"),
    (timedelta(days=365 * 9 + 100), "9y"),
])
def test_human_duration_matches_apimachinery(delta, text):
    assert human_duration(delta) == text


def test_label_selectors():
    labels = {"app": "web", "tier": "backend", "n": "7"}
    assert matches(parse_selector("app=web,tier in (backend, frontend)"), labels)
    assert matches(parse_selector("app==web"), labels)
    assert not matches(parse_selector("app!=web"), labels)
    assert matches(parse_selector("team!=x"), labels)  # != matches a missing key
    assert matches(parse_selector("tier notin (db),!team,app"), labels)
    assert matches(parse_selector("n>5,n<8"), labels)
    assert matches(parse_selector("app="), {"app": ""})
    for bad, message in (("app in", "found '', expected: '('"),
                         ("app in (a", "found '', expected: ',', ')' or identifier"),
                         ("app=web,", "found '', expected: identifier"),
                         ("=web", "found '=', expected: identifier")):
        with pytest.raises(SelectorError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_selector(bad)
