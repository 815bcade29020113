"""Who is viewing a cluster: one roster per cluster per daphne process.

A viewer joining is announced once to the cluster's `frames` group (one delivery per
process, live/fanout.py); each process adds the viewer to its roster, and a process
hearing of another process for the first time answers it with its own local members, so
a process that starts late learns everyone. Each process then writes ONE `presence`
message, encoded once, to its own sockets, at most every PRESENCE_DELAY_S: a class of
1,000 joining at once costs O(viewers x processes) deliveries, not O(viewers²).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PRESENCE_DELAY_S = 0.5
PRESENCE_MAX_NAMES = 50
JOIN = "presence.join"
HERE = "presence.here"
LEAVE = "presence.leave"


@dataclass
class Roster:
    """Viewers of one cluster: `local` (this process's sockets) and, per other process,
    that process's members. Keys are viewer ids (a socket's channel name)."""

    local: dict[str, str] = field(default_factory=dict)
    remote: dict[str, dict[str, str]] = field(default_factory=dict)

    def everyone(self) -> dict[str, str]:
        out = dict(self.local)
        for members in self.remote.values():
            out.update(members)
        return out

    def heard_from(self, process: str, members: dict[str, str]) -> bool:
        """Add another process's members; True when that process was new to us."""
        new = process not in self.remote
        self.remote.setdefault(process, {}).update(members)
        return new

    def forget(self, process: str, viewer: str) -> bool:
        members = self.remote.get(process)
        if members is None or members.pop(viewer, None) is None:
            return False
        if not members:
            del self.remote[process]
        return True

    def frame(self) -> str:
        """The `presence` message as sockets receive it: the count and at most
        PRESENCE_MAX_NAMES viewers (username and a short id), in a stable order."""
        everyone = self.everyone()
        viewers: list[dict[str, Any]] = [
            {"username": name, "id": viewer[-8:]}
            for viewer, name in sorted(everyone.items())[:PRESENCE_MAX_NAMES]]
        return json.dumps({"type": "presence", "count": len(everyone), "viewers": viewers})
