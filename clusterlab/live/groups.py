"""Channel-layer group names, declared in one place."""


def cluster_group(cluster_id: int) -> str:
    """Every viewer's consumer of one cluster (presence, console-free group events)."""
    return f"cluster.{cluster_id}"


def frames_group(cluster_id: int) -> str:
    """One channel per daphne process serving the cluster (live/fanout.py)."""
    return f"frames.{cluster_id}"
