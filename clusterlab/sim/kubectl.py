"""The console: parse a kubectl-like command, print what kubectl would (KCTL-1 … KCTL-9).

    run_command(engine, "kubectl get pods -o wide") -> CommandResult(stdout, stderr, exit_code)

Supported: `get` (pods, services, endpoints, endpointslices, networkpolicies, nodes,
namespaces, `all`; `-n`, `-A`, `-o wide|name|yaml|json`, `-l`, `--show-labels`,
`--no-headers`), `describe` (pod, service, networkpolicy, node, namespace, endpoints),
`exec POD -- ping|curl|nslookup|cat /etc/resolv.conf|hostname`, `version`. The
implementation lives in `clusterlab.sim.console`. Write commands (`apply`, `create`,
`delete`, `label`) need a cluster that can be written to: a snapshot answers
`error: kubectl apply needs a ClusterLab cluster you can write to`; the Django console
plans them with `console.writes.plan_write` and performs them.

Determinism: the snapshot has no creation times, so AGE and the other times come from
`now` (default `console.facts.DEFAULT_NOW`, a fixed instant — never the wall clock) and
an optional `Facts` (creation times per object, restarts, node versions); an object
without a known creation time is `DEFAULT_AGE` (10 minutes) old. Ping and curl times are
derived from the traced path.

`run_command` never raises: a bad command, an unknown flag, a missing object and even
an internal error become stderr text and a non-zero exit status.
"""

from __future__ import annotations

from datetime import datetime

from clusterlab.sim.console.commands import run
from clusterlab.sim.console.facts import DEFAULT_AGE, DEFAULT_NOW, Clock, Facts, NodeInfo
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.engine import Engine

__all__ = ["DEFAULT_AGE", "DEFAULT_NOW", "CommandResult", "Facts", "NodeInfo", "run_command"]

MAX_COMMAND_LENGTH = 4096


def run_command(engine: Engine, command: str, namespace: str = "default",
                now: datetime | None = None, facts: Facts | None = None) -> CommandResult:
    """Run one console line against `engine`'s snapshot (see the module docstring)."""
    if not isinstance(command, str):
        return CommandResult("", "error: the command must be text\n", 1)
    if len(command) > MAX_COMMAND_LENGTH:
        return CommandResult("", f"error: command longer than {MAX_COMMAND_LENGTH} "
                                 "characters\n", 1)
    try:
        return run(engine, command, namespace or "default", Clock.of(now, facts))
    except Exception as exc:  # the console must answer, whatever the input
        return CommandResult("", f"error: internal error in the ClusterLab console "
                                 f"({type(exc).__name__}: {exc})\n", 1)
