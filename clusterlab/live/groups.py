"""Channel-layer group names, declared in one place."""


def cluster_group(cluster_id: int) -> str:
    return f"cluster.{cluster_id}"


def trace_group(group: str) -> str:
    """The group of per-process trace receivers of a cluster (live/fanout.py)."""
    return f"{group}.traces"
