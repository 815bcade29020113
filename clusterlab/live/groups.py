"""Channel-layer group names, declared in one place."""


def cluster_group(cluster_id: int) -> str:
    return f"cluster.{cluster_id}"

