"""Who is viewing a cluster: one roster per cluster per daphne process.

A viewer joining is announced once to the cluster's `frames` group (one delivery per
process, live/fanout.py); each process adds the viewer to its roster, and a process
hearing of another process for the first time answers it with its own local members, so
a process that starts late learns everyone. Each process then writes ONE `presence`
message, encoded once, to its own sockets, at most every PRESENCE_DELAY_S: a class of
1,000 joining at once costs O(viewers x processes) deliveries, not O(viewers²).

A process that dies sends no `leave`. So every process also announces its local members
every HEARTBEAT_S (`alive`, which replaces what the others hold for it, so a lost message
heals too), and drops the members of a process it has not heard from for
MISSED_HEARTBEATS intervals: a crashed replica's viewers leave everyone's list within
about 45 s instead of staying until every process restarts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

PRESENCE_DELAY_S = 0.5
PRESENCE_MAX_NAMES = 50
JOIN = "presence.join"
HERE = "presence.here"
LEAVE = "presence.leave"
ALIVE = "presence.alive"
HEARTBEAT_S = 15.0
MISSED_HEARTBEATS = 3


@dataclass
class Roster:
    """Viewers of one cluster: `local` (this process's sockets) and, per other process,
    that process's members. Keys are viewer ids (a socket's channel name)."""

    local: dict[str, str] = field(default_factory=dict)
    remote: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)  # process → last heard (monotonic)

    def everyone(self) -> dict[str, str]:
        out = dict(self.local)
        for members in self.remote.values():
            out.update(members)
        return out

    def heard_from(self, process: str, members: dict[str, str],
                   now: float | None = None) -> bool:
        """Add another process's members; True when that process was new to us."""
        new = process not in self.remote
        self.remote.setdefault(process, {}).update(members)
        self.seen[process] = time.monotonic() if now is None else now
        return new

    def alive(self, process: str, members: dict[str, str], now: float | None = None) -> bool:
        """Another process's heartbeat: its members are exactly `members` now. True when
        that changes who is viewing."""
        self.seen[process] = time.monotonic() if now is None else now
        if self.remote.get(process, {}) == members:
            return False
        if members:
            self.remote[process] = dict(members)
        else:
            self.remote.pop(process, None)
        return True

    def expire(self, silent_since: float) -> bool:
        """Drop the members of processes not heard from since `silent_since` (they died
        without saying so). True when anyone was dropped."""
        gone = [p for p, at in self.seen.items() if at < silent_since]
        dropped = False
        for process in gone:
            del self.seen[process]
            dropped |= bool(self.remote.pop(process, None))
        return dropped

    def forget(self, process: str, viewer: str) -> bool:
        members = self.remote.get(process)
        if members is None or members.pop(viewer, None) is None:
            return False
        if not members:
            del self.remote[process]
            self.seen.pop(process, None)
        return True

    def frame(self) -> str:
        """The `presence` message as sockets receive it: the count and at most
        PRESENCE_MAX_NAMES viewers (username and a short id), in a stable order."""
        everyone = self.everyone()
        viewers: list[dict[str, Any]] = [
            {"username": name, "id": viewer[-8:]}
            for viewer, name in sorted(everyone.items())[:PRESENCE_MAX_NAMES]]
        return json.dumps({"type": "presence", "count": len(everyone), "viewers": viewers})
