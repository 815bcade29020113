"""Limits on JSON request bodies, and JSON-safe values out of parsed YAML.

YAML itself is parsed by the engine (`sim.manifests.parse`), which refuses alias bombs
and deep nesting before building anything; JSON bodies parsed by DRF get the same depth
limit here, so a deeply nested body is a 400, never a RecursionError.
"""

from __future__ import annotations

import base64
from typing import Any

MAX_DEPTH = 100  # as sim.manifests.MAX_DEPTH
MAX_NODES = 2_000_000


class DocumentError(ValueError):
    pass


def check_depth(value: Any, source: str) -> None:
    stack = [(value, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise DocumentError(f"{source}: document nesting exceeds {MAX_DEPTH} levels")
        if count > MAX_NODES:
            raise DocumentError(f"{source}: document has more than {MAX_NODES} values")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def jsonable(value: Any) -> Any:
    """What the API server's YAML-to-JSON conversion yields: string keys, no bytes."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)
