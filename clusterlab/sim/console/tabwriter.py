"""Go `text/tabwriter`, as kubectl configures it (KCTL-1, KCTL-7).

Text is cut into cells at tabs; a cell is *tab-terminated* text, so the text after the
last tab of a line is not part of any column and is never padded. A column is a block of
**consecutive** lines that all have a cell at that index: a line with fewer cells ends
the block, and the next block is measured on its own (this is why a `Containers:` line
in `kubectl describe pod` restarts the alignment). Each column is as wide as its widest
cell plus `padding`, and at least `minwidth`. Only space padding (kubectl never pads with
tabs), so `tabwidth` does not change the output; it is kept for the record.

Widths count characters (Go counts UTF-8 runes), not bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# cli-runtime printers/tabwriter.go (`kubectl get`)
GET_MINWIDTH, GET_TABWIDTH, GET_PADDING = 6, 4, 3
# kubectl describe.go tabbedString: out.Init(buf, 0, 8, 2, ' ', 0)
DESCRIBE_MINWIDTH, DESCRIBE_TABWIDTH, DESCRIBE_PADDING = 0, 8, 2


def tabwrite(text: str, minwidth: int = GET_MINWIDTH, padding: int = GET_PADDING,
             tabwidth: int = GET_TABWIDTH) -> str:
    """Format `text` the way Go's tabwriter (space padding, no flags) would on Flush."""
    del tabwidth  # only used by Go when padding with tabs
    trailing = text.endswith("\n")
    body = text[:-1] if trailing else text
    lines = [line.split("\t") for line in body.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write(line0: int, line1: int) -> None:
        for cells in lines[line0:line1]:
            parts = []
            last = len(cells) - 1
            for j, cell in enumerate(cells):
                if j < last and j < len(widths):
                    parts.append(cell + " " * (widths[j] - len(cell)))
                else:
                    parts.append(cell)
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        # Go tabwriter.format: recursive over column blocks.
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # a column block starts at `this`: print the lines before it
            write(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write(line0, line1)

    fmt(0, len(lines))
    return "\n".join(out) + ("\n" if trailing else "")


def table(rows: Iterable[Sequence[str]]) -> str:
    """A `kubectl get` table: one row per line, cells separated by tabs (KCTL-1).

    Rows of equal length form one block per column, so the widths are computed directly
    (the general algorithm gives the same text, more slowly: 10k-pod lists are common)."""
    rows = [list(r) for r in rows]
    n = len(rows[0]) if rows else 0
    cells = "".join("".join(r) for r in rows)
    if n == 0 or "\t" in cells or "\n" in cells or any(len(r) != n for r in rows):
        return tabwrite("".join("\t".join(row) + "\n" for row in rows))
    widths = [max(GET_MINWIDTH, max(len(r[i]) for r in rows) + GET_PADDING)
              for i in range(n - 1)]
    return "".join("".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + r[-1] + "\n"
                   for r in rows)


def describe_text(text: str) -> str:
    """A `kubectl describe` body (KCTL-7): minwidth 0, padding 2."""
    return tabwrite(text, DESCRIBE_MINWIDTH, DESCRIBE_PADDING, DESCRIBE_TABWIDTH)
