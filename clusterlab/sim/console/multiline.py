"""kubectl describe's `Labels:` and `Annotations:` blocks (describe.go
`printLabelsMultiline`, `printAnnotationsMultiline`), shared by every describer."""

from __future__ import annotations

from collections.abc import Mapping

SKIP_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
MAX_ANNOTATION_LEN = 140


def labels_lines(title: str, labels: Mapping[str, str]) -> list[str]:
    """Sorted `k=v`, continuation lines start with a tab; `<none>` when empty."""
    if not labels:
        return [f"{title}:\t<none>\n"]
    return [(f"{title}:\t" if i == 0 else "\t") + f"{k}={labels[k]}\n"
            for i, k in enumerate(sorted(labels))]


def annotations_lines(title: str, annotations: Mapping[str, str]) -> list[str]:
    """last-applied-configuration skipped; long or multi-line values go below the key,
    each line cut at 138 characters + `...`."""
    keys = sorted(k for k in annotations if k not in SKIP_ANNOTATIONS)
    if not keys:
        return [f"{title}:\t<none>\n"]
    out = [f"{title}:\t"]
    for i, key in enumerate(keys):
        if i:
            out.append("\t")
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            out.append(f"{key}:\n")
            for s in value.split("\n"):
                if len(s) > MAX_ANNOTATION_LEN - 2:
                    s = s[:MAX_ANNOTATION_LEN - 2] + "..."
                out.append(f"\t  {s}\n")
        else:
            out.append(f"{key}: {value}\n")
    return out
