"""The programs `kubectl exec` can run in a pod: ping, curl, nslookup, cat, hostname.

Every pod is assumed to have these tools (a real image may lack them — busybox has no
curl, distroless images have nothing); `nslookup` is BIND 9's (the `dnsutils` image),
`ping` iputils', `curl` 8.x. Anything else fails as containerd reports a missing
binary: `OCI runtime exec failed: … executable file not found in $PATH`, status 126.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime

from clusterlab.sim import resolver
from clusterlab.sim.console import probe
from clusterlab.sim.console.curl import curl
from clusterlab.sim.console.ping import ping
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Pod

SHELLS = frozenset({"sh", "bash", "ash"})
NSLOOKUP_QTYPES = frozenset({"A", "AAAA", "SRV", "PTR", "CNAME", "TXT", "MX", "NS", "SOA", "ANY"})


def nslookup(engine: Engine, pod: Pod, args: list[str]) -> CommandResult:
    """BIND 9 `nslookup [-type=T] NAME [SERVER]` (KCTL-9) through `resolver.format_nslookup`."""
    qtype = "A"
    typed = False
    names: list[str] = []
    for a in args:
        low = a.lower()
        if low.startswith(("-type=", "-querytype=", "-q=", "-query=")):
            qtype = a.partition("=")[2].upper()
            typed = True
            if qtype not in NSLOOKUP_QTYPES:
                return CommandResult(f"unknown query type: {a.partition('=')[2]}\n", "", 1)
        elif a.startswith("-"):
            continue  # other BIND options (-debug, -timeout=…) do not change the answer here
        else:
            names.append(a)
    if not names:
        return CommandResult("", "nslookup: interactive mode is not available in the "
                                 "console; give a name: nslookup <name>\n", 1)
    name = names[0]
    res = probe.resolve_name(engine, pod, name, qtype, client=resolver.NSLOOKUP_CLIENT)
    text, code = resolver.format_nslookup(res, default_lookups=None if not typed else False)
    return CommandResult(text, "", code)


def cat(engine: Engine, pod: Pod, args: list[str]) -> CommandResult:
    files = [a for a in args if not a.startswith("-")]
    out: list[str] = []
    err: list[str] = []
    for path in files:
        if path == "/etc/resolv.conf":
            out.append(resolver.render_resolv_conf(engine.cluster, pod))
        elif path == "/etc/hostname":
            out.append(_hostname(pod) + "\n")
        elif path == "/etc/hosts":
            out.append(etc_hosts(engine, pod))
        else:
            err.append(f"cat: {path}: No such file or directory\n")
    return CommandResult("".join(out), "".join(err), 1 if err else 0)


def _hostname(pod: Pod) -> str:
    if pod.host_network:
        return pod.node_name or pod.name
    return (pod.hostname or pod.name)[:63]


def _fqdn(engine: Engine, pod: Pod) -> str | None:
    """kubelet's /etc/hosts names a pod with `hostname` + `subdomain` by its FQDN."""
    if pod.hostname and pod.subdomain and not pod.host_network:
        zone = engine.cluster.config.cluster_domain.strip(".")
        return f"{pod.hostname}.{pod.subdomain}.{pod.namespace}.svc.{zone}"
    return None


def etc_hosts(engine: Engine, pod: Pod) -> str:
    """The kubelet-managed /etc/hosts (`managedHostsHeader`)."""
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
             "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    if pod.ip is not None and not pod.host_network:
        fqdn = _fqdn(engine, pod)
        names = f"{fqdn}\t{_hostname(pod)}" if fqdn else _hostname(pod)
        lines.append(f"{pod.ip}\t{names}")
    return "\n".join(lines) + "\n"


def hostname(engine: Engine, pod: Pod, args: list[str]) -> CommandResult:
    if any(a in ("-f", "--fqdn", "--long") for a in args):
        return CommandResult((_fqdn(engine, pod) or _hostname(pod)) + "\n", "", 0)
    if any(a in ("-i", "--ip-address") for a in args):
        ip = pod.ip if pod.ip is not None else ""
        return CommandResult(f"{ip}\n", "", 0)
    return CommandResult(_hostname(pod) + "\n", "", 0)


Tool = Callable[[Engine, Pod, list[str], datetime, bool], CommandResult]
TOOLS: dict[str, Tool] = {
    "ping": lambda e, p, a, now, tty: ping(e, p, a),
    "curl": lambda e, p, a, now, tty: curl(e, p, a, now, tty),
    "nslookup": lambda e, p, a, now, tty: nslookup(e, p, a),
    "cat": lambda e, p, a, now, tty: cat(e, p, a),
    "hostname": lambda e, p, a, now, tty: hostname(e, p, a),
}


def run_tool(engine: Engine, pod: Pod, argv: list[str], now: datetime,
             tty: bool = False) -> CommandResult:
    """Run `argv` in the pod; a path like /usr/bin/curl finds the same tool."""
    program = argv[0].rsplit("/", 1)[-1]
    if program in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        try:
            words = shlex.split(argv[2])
        except ValueError:
            return CommandResult("", f"{program}: syntax error: unterminated quoted string\n", 2)
        return run_tool(engine, pod, words, now, tty) if words else CommandResult("", "", 0)
    tool = TOOLS.get(program)
    if tool is None:
        return CommandResult(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{argv[0]}": executable file not found in $PATH: unknown\n', "", 126)
    return tool(engine, pod, argv[1:], now, tty)
