"""iputils `ping` inside a pod (KCTL-9): its lines, statistics and exit status.

Without `-c` real ping runs until interrupted; the console sends 4 echo requests, which
prints exactly what Ctrl-C after the fourth reply would. Times are derived from the
traced path (`probe.path_rtt_us`), never random, so the same cluster prints the same
text. Formats follow iputils `ping_common.c`: reply time with 3/2/1/0 decimals by
magnitude, `rtt min/avg/max/mdev` from integer microsecond sums, `%g` packet loss, and
the statistics block always ends with a newline after the rtt line (an empty line when
there is none).
"""

from __future__ import annotations

import math

from clusterlab.sim import resolver
from clusterlab.sim.console import probe
from clusterlab.sim.console.result import CommandResult as ToolResult
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Pod

DEFAULT_COUNT = 4
USAGE = """
Usage
  ping [options] <destination>

Options:
  <destination>      DNS name or IP address
  -c <count>         stop after <count> replies
  -i <interval>      seconds between sending each packet
  -n                 no reverse DNS name resolution
  -q                 quiet output
  -W <timeout>       time to wait for response

For more details see ping(8).
"""


def format_rtt(us: int) -> str:
    """iputils reply time: `%ld.%03ld` < 1 ms, `.%02ld` < 10 ms, `.%01ld` < 100 ms, else ms."""
    if us >= 100000 - 50:
        return f"{(us + 500) // 1000}"
    if us >= 10000 - 5:
        return f"{(us + 50) // 1000}.{((us + 50) % 1000) // 100}"
    if us >= 1000:
        return f"{(us + 5) // 1000}.{((us + 5) % 1000) // 10:02d}"
    return f"{us // 1000}.{us % 1000:03d}"


def _ms3(us: int) -> str:
    return f"{us // 1000}.{us % 1000:03d}"


def rtt_summary(samples: list[int]) -> str:
    """`rtt min/avg/max/mdev` exactly as iputils computes it (integer µs, llsqrt)."""
    total = len(samples)
    tsum = sum(samples)
    tsum2 = sum(s * s for s in samples)
    tmavg = tsum // total
    tmvar = (tsum2 - (tsum * tsum) // total) // total
    tmdev = math.isqrt(max(tmvar, 0))
    return (f"rtt min/avg/max/mdev = {_ms3(min(samples))}/{_ms3(tmavg)}/{_ms3(max(samples))}/"
            f"{_ms3(tmdev)} ms")


def _parse(args: list[str]) -> tuple[dict[str, str | bool], str | None, str | None]:
    opts: dict[str, str | bool] = {}
    target = None
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in "nq46":
                    opts[c] = True
                    j += 1
                    continue
                if c in "ciWws":
                    value = a[j + 1:]
                    if not value:
                        if i >= len(args):
                            return opts, None, f"ping: option requires an argument -- '{c}'"
                        value = args[i]
                        i += 1
                    opts[c] = value
                    break
                return opts, None, f"ping: invalid option -- '{c}'"
            continue
        target = a
    return opts, target, None


def ping(engine: Engine, pod: Pod, args: list[str]) -> ToolResult:
    opts, target, problem = _parse(args)
    if problem is not None:
        return ToolResult("", problem + "\n" + USAGE, 2)
    if target is None:
        return ToolResult("", "ping: usage error: Destination address required\n", 1)
    try:
        count = int(str(opts.get("c", DEFAULT_COUNT)))
        interval_ms = int(float(str(opts.get("i", "1"))) * 1000)
    except ValueError:
        bad = str(opts.get("c", opts.get("i")))
        return ToolResult("", f"ping: invalid argument: '{bad}'\n", 1)
    if count <= 0 or count > 2147483647:
        return ToolResult("", f"ping: invalid argument: '{opts.get('c')}': out of range: "
                              "1 <= value <= 2147483647\n", 1)

    # Name resolution: getaddrinfo through the pod's resolver (DNS-12); a literal is used
    # as is and printed numerically (iputils sets numeric mode for a literal).
    numeric = bool(opts.get("n"))
    if probe.is_ip_literal(target):
        ip, shown = target, target
        numeric = True
    else:
        res = probe.resolve_name(engine, pod, target)
        err = resolver.gai_error(res)
        if err is not None:
            return ToolResult("", f"ping: {target}: {err}\n", 2)
        ip = res.answers[0]
        shown = res.canonical_name or target
    if ip == "255.255.255.255":
        return ToolResult("", "ping: Do you want to ping broadcast? Then -b. If not, check your "
                              "local firewall rules\n", 2)
    out = [f"PING {shown} ({ip}) 56(84) bytes of data.\n"]
    outcome = probe.echo(engine, pod, ip)
    source = outcome.reply_from or ip

    def who(addr: str) -> str:
        if numeric:
            return addr
        name = probe.reverse_name(engine, pod, addr)
        return f"{name} ({addr})" if name and name != addr else addr

    samples: list[int] = []
    errors = 0
    quiet = bool(opts.get("q"))
    seed = f"{pod.key}>{ip}"
    for seq in range(1, count + 1):
        if outcome.kind == "reply":
            us = probe.rtt_sample(outcome.rtt_us, seed, seq)
            samples.append(us)
            if not quiet:
                out.append(f"64 bytes from {who(source)}: icmp_seq={seq} ttl={outcome.ttl} "
                           f"time={format_rtt(us)} ms\n")
        elif outcome.kind in ("host-unreachable", "port-unreachable"):
            errors += 1
            text = "Destination Host Unreachable" if outcome.kind == "host-unreachable" \
                else "Destination Port Unreachable"
            if not quiet:
                out.append(f"From {who(outcome.error_from)} icmp_seq={seq} {text}\n")
    received = len(samples)
    elapsed = (count - 1) * interval_ms + (count if received or errors else 40 + 5 * count)
    loss = (count - received) * 100 / count
    stats = f"{count} packets transmitted, {received} received"
    if errors:
        stats += f", +{errors} errors"
    stats += f", {loss:g}% packet loss, time {elapsed}ms"
    out += ["\n", f"--- {shown} ping statistics ---\n", stats + "\n"]
    out.append((rtt_summary(samples) if samples else "") + "\n")
    return ToolResult("".join(out), "", 0 if received else 1)
