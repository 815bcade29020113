"""Channel-layer group names, declared in one place."""


def frames_group(cluster_id: int) -> str:
    """One channel per daphne process serving the cluster (live/fanout.py): frames
    (traces, changes) and presence events cross the layer once per process."""
    return f"frames.{cluster_id}"
