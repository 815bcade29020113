"""curl 8.x inside a pod (KCTL-9): outcome, error texts, exit codes, `-v`, progress meter.

The outcome comes from the traced connection (`trace.trace_connect`): delivered → the
server's answer (`httpserver`), rejected → `(7)` after a few ms, dropped → `(28)`
(`Connection timed out after …` with `-m`/`--connect-timeout`, else the kernel's ~130 s
of SYN retries), a name that does not resolve → `(6)`. Error texts are curl 8.9+'s
(`Could not connect to server`). After the connection is up, the first data segment of
the response is walked back from the server (`probe.path_engine`, no policies: replies
belong to an established flow): an MTU black hole there stalls the transfer
(`(28) Operation timed out after … with 0 bytes received` with `-m`).

Like the real tool run through `kubectl exec` (stdout is a pipe, not a terminal): the
progress meter goes to stderr unless `-s`, and an error message is glued to the meter's
last line (curl does not end the meter line on failure); `-s` also hides the error
unless `-S`. With `kubectl exec -t` (a terminal) there is no meter. Carriage-return
redraws are reduced to the first and last state of the meter. Times are derived from
the path and the timeouts, never random. `https://` URLs are handled like `http://`
(no TLS in the simulator). A transfer that would hang forever without `-m` is reported
as interrupted (exit status 130, as after Ctrl-C).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from clusterlab.sim import resolver
from clusterlab.sim.console import probe
from clusterlab.sim.console.httpserver import serve
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Pod
from clusterlab.sim.trace import trace_connect

VERSION = "8.11.1"
USER_AGENT = f"curl/{VERSION}"
TRY_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
SYN_RETRIES_MS = 130254  # tcp_syn_retries=6: 1+2+4+…+64 s of backoff, then ETIMEDOUT
ARP_FAIL_MS = 3070  # 3 unanswered ARP probes, then EHOSTUNREACH
DNS_TIMEOUT_MS = 10000  # glibc: timeout 5 s × attempts 2, on the first name of the walk
TIMER_SLACK_MS = 2
STALL_INTERRUPT_MS = 60000

_BOOL = {"-s": "silent", "--silent": "silent", "-S": "show_error", "--show-error": "show_error",
         "-v": "verbose", "--verbose": "verbose", "-I": "head", "--head": "head",
         "-k": "insecure", "--insecure": "insecure", "-L": "location", "--location": "location",
         "-f": "fail", "--fail": "fail", "-i": "include", "--include": "include",
         "--no-progress-meter": "no_meter", "-4": "ipv4", "--ipv4": "ipv4"}
_VALUE = {"-m": "max_time", "--max-time": "max_time", "--connect-timeout": "connect_timeout",
          "-o": "output", "--output": "output", "-w": "write_out", "--write-out": "write_out",
          "-H": "header", "--header": "header", "-X": "request", "--request": "request",
          "-A": "user_agent", "--user-agent": "user_agent", "--retry": "retry",
          "-d": "data", "--data": "data"}
_NUMERIC = {"max_time", "connect_timeout", "retry"}


class _Usage(Exception):
    pass


@dataclass
class Options:
    flags: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    url: str | None = None

    def has(self, name: str) -> bool:
        return name in self.flags


def parse_args(args: list[str]) -> Options:
    o = Options()
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("--"):
            name, eq, inline = a.partition("=")
            if name in _BOOL and not eq:
                o.flags.add(_BOOL[name])
                continue
            if name in _VALUE:
                if eq:
                    value = inline
                elif i < len(args):
                    value = args[i]
                    i += 1
                else:
                    raise _Usage(f"curl: option {name}: requires parameter\n")
                _set(o, name, _VALUE[name], value)
                continue
            raise _Usage(f"curl: option {a}: is unknown\n")
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                opt = "-" + a[j]
                if opt in _BOOL:
                    o.flags.add(_BOOL[opt])
                    j += 1
                    continue
                if opt in _VALUE:
                    value = a[j + 1:]
                    if not value:
                        if i >= len(args):
                            raise _Usage(f"curl: option {opt}: requires parameter\n")
                        value = args[i]
                        i += 1
                    _set(o, opt, _VALUE[opt], value)
                    break
                raise _Usage(f"curl: option {opt}: is unknown\n")
            continue
        o.url = a
    return o


def _set(o: Options, flag: str, key: str, value: str) -> None:
    if key in _NUMERIC:
        try:
            if float(value) < 0:
                raise ValueError
        except ValueError:
            raise _Usage(f"curl: option {flag}: expected a proper numerical parameter\n") from None
    o.values[key] = value


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


_URL = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<rest>.*)$", re.S)


def parse_url(text: str) -> Url:
    """curl's URL handling for the cases the console needs; raises (code, message)."""
    m = _URL.match(text)
    assert m is not None
    scheme = (m.group("scheme") or "http").lower()
    rest = m.group("rest")
    if scheme not in ("http", "https"):
        raise CurlError(1, f'Protocol "{scheme}" not supported')
    hostport, slash, path = rest.partition("/")
    hostport = hostport.rpartition("@")[2]
    hostport, _, _ = hostport.partition("?")
    host, colon, port_text = hostport.partition(":")
    if not host:
        raise CurlError(3, "URL rejected: No host part in the URL")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", host):
        raise CurlError(3, "URL rejected: Bad hostname")
    port = 443 if scheme == "https" else 80
    if colon and port_text:
        if not port_text.isdigit() or int(port_text) > 65535:
            raise CurlError(3, "URL rejected: Port number was not a decimal number between "
                               "0 and 65535")
        port = int(port_text)
    path = "/" + path.partition("#")[0] if slash else "/"
    return Url(scheme, host.lower().rstrip(".") or host, port, path)


class CurlError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- meter


def _max5(n: int) -> str:
    """progress.c `max5data`."""
    kb, mb, gb = 1024, 1024 * 1024, 1024 ** 3
    if n < 100000:
        return f"{n:5d}"
    if n < 10000 * kb:
        return f"{n // kb:4d}k"
    if n < 100 * mb:
        return f"{n // mb:2d}.{(n % mb) // (mb // 10)}M"
    if n < 10000 * mb:
        return f"{n // mb:4d}M"
    return f"{n // gb:4d}G"


def _time2str(seconds: int) -> str:
    if seconds <= 0:
        return "--:--:--"
    h, rem = divmod(seconds, 3600)
    return f"{h:2d}:{rem // 60:02d}:{rem % 60:02d}"


METER_HEAD = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
              "                                 Dload  Upload   Total   Spent    Left  Speed\n")


def meter_line(size: int, received: int, elapsed_ms: int) -> str:
    """One `Curl_pgrsUpdate` line (without the leading carriage return)."""
    speed = received * 1000 // max(elapsed_ms, 1)
    pct = (received * 100 // size if size <= 10000 else received // (size // 100)) if size else 0
    return (f"{pct:3d} {_max5(size)}  {pct:3d} {_max5(received)}  {0:3d} {_max5(0)}  "
            f"{_max5(speed)}  {_max5(0)} {_time2str(0)} {_time2str(elapsed_ms // 1000)} "
            f"{_time2str(0)} {_max5(speed)}")


# --------------------------------------------------------------------------- run


@dataclass
class _Out:
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)


def curl(engine: Engine, pod: Pod, args: list[str], now: datetime,
         tty: bool = False) -> CommandResult:
    try:
        opts = parse_args(args)
    except _Usage as exc:
        return CommandResult("", str(exc) + TRY_HELP, 2)
    if opts.url is None:
        return CommandResult("", "curl: no URL specified\n" + TRY_HELP, 2)
    silent = opts.has("silent")
    show_errors = not silent or opts.has("show_error")
    verbose = opts.has("verbose")
    meter = not silent and not opts.has("no_meter") and (not tty or "output" in opts.values)
    out = _Out()
    if meter:
        out.stderr.append(METER_HEAD + "\r" + meter_line(0, 0, 0))

    def note(line: str) -> None:
        if verbose:
            out.stderr.append(f"* {line}\n")

    def fail(code: int, message: str, elapsed_ms: int = 0) -> CommandResult:
        if meter and elapsed_ms >= 1000:
            out.stderr.append("\r" + meter_line(0, 0, elapsed_ms))
        if verbose:
            out.stderr.append("* closing connection #0\n")
        if show_errors:
            out.stderr.append(f"curl: ({code}) {message}\n")
        if "write_out" in opts.values:
            out.stdout.append(_write_out(opts.values["write_out"], 0, "", elapsed_ms))
        return CommandResult("".join(out.stdout), "".join(out.stderr), code)

    try:
        url = parse_url(opts.url)
    except CurlError as exc:
        return fail(exc.code, exc.message)
    max_ms = _ms(opts.values.get("max_time"))
    connect_ms_limit = min(x for x in (max_ms, _ms(opts.values.get("connect_timeout")),
                                       math.inf) if x is not None)

    # ---- name resolution (DNS-12), with reachability decided on the path (DNS-11)
    dns_ms = 0
    if probe.is_ip_literal(url.host):
        ip = url.host
    else:
        res = probe.resolve_name(engine, pod, url.host)
        if res.rcode in (resolver.TIMEOUT,):
            if connect_ms_limit < DNS_TIMEOUT_MS:
                spent = int(connect_ms_limit) + TIMER_SLACK_MS
                note(f"Resolving timed out after {spent} milliseconds")
                return fail(28, f"Resolving timed out after {spent} milliseconds", spent)
            note(f"Could not resolve host: {url.host}")
            return fail(6, f"Could not resolve host: {url.host}", DNS_TIMEOUT_MS)
        if not res.ok:
            note(f"Could not resolve host: {url.host}")
            return fail(6, f"Could not resolve host: {url.host}", len(res.tried))
        ip = res.answers[0]
        dns_ms = max(1, len(res.tried))
        note(f"Host {url.host}:{url.port} was resolved.")
        note("IPv6: (none)")
        note(f"IPv4: {', '.join(res.answers)}")
    note(f"  Trying {ip}:{url.port}...")

    # ---- connect (SVC-17: DNAT, policy, routing, …)
    t = trace_connect(engine, pod.key, ip, url.port, "TCP")
    rtt_ms = max(1, probe.path_rtt_us(t) * 2 // 1000)
    first = next((h.packet_out for h in t.hops if h.packet_out is not None), None)
    sport = first.sport if first is not None else 0
    last = t.hops[-1] if t.hops else None
    host_unreachable = t.verdict == "dropped" and last is not None and (
        last.rule.startswith("ARP who-has") or last.rule == "no such pod"
        or "nothing answers ARP" in last.explain)
    if t.verdict == "rejected" or host_unreachable:
        why = "No route to host" if host_unreachable else "Connection refused"
        spent = dns_ms + (ARP_FAIL_MS if host_unreachable else 1 + len(t.hops) // 3)
        if spent > connect_ms_limit:
            return _timeout(fail, note, connect_ms_limit, url, max_ms)
        text = f"Failed to connect to {url.host} port {url.port} after {spent} ms: " \
               "Could not connect to server"
        note(f"connect to {ip} port {url.port} from {pod.ip} port {sport} failed: {why}")
        note(text)
        return fail(7, text, spent)
    if t.verdict != "delivered":
        return _timeout(fail, note, connect_ms_limit, url, max_ms, dns_ms)

    # ---- connected: what answers, and does the answer come back?
    backend = t.backend or ip
    answer = serve(engine, backend, t.backend_port or url.port, url.path, url.host_header, now)
    elapsed = dns_ms + rtt_ms
    if answer.kind == "refused":
        text = f"Failed to connect to {url.host} port {url.port} after {elapsed} ms: " \
               "Could not connect to server"
        note(f"connect to {ip} port {url.port} from {pod.ip} port {sport} failed: "
             "Connection refused")
        note(text)
        return fail(7, text, elapsed)
    note(f"Connected to {url.host} ({ip}) port {url.port}")
    note("using HTTP/1.x")
    method = opts.values.get("request") or ("HEAD" if opts.has("head") else "GET")
    if verbose:
        agent = opts.values.get("user_agent", USER_AGENT)
        out.stderr.append(f"> {method} {url.path} HTTP/1.1\n> Host: {url.host_header}\n"
                          f"> User-Agent: {agent}\n> Accept: */*\n> \n")
    note("Request completely sent off")
    if answer.kind == "empty":
        note("Empty reply from server")
        return fail(52, "Empty reply from server", elapsed + 1)
    if answer.kind == "http09":
        return fail(1, "Received HTTP/0.9 when not allowed", elapsed + 1)
    resp = answer.response
    assert resp is not None
    if _stalls(engine, t, resp.size):
        if max_ms is not None:
            spent = int(max_ms) + 1
            text = f"Operation timed out after {spent} milliseconds with 0 bytes received"
            note(text)
            return fail(28, text, spent)
        if meter:
            out.stderr.append("\r" + meter_line(0, 0, STALL_INTERRUPT_MS))
        return CommandResult("".join(out.stdout), "".join(out.stderr), 130)

    body = "" if method == "HEAD" else resp.body
    elapsed += 1
    if verbose:
        out.stderr.append(f"< {resp.http_version} {resp.status} {resp.reason}\n")
        out.stderr += [f"< {k}: {v}\n" for k, v in resp.headers]
        out.stderr.append("< \n")
        if body:
            out.stderr.append(f"{{ [{len(body.encode())} bytes data]\n")
    if opts.has("fail") and resp.status >= 400:
        return fail(22, f"The requested URL returned error: {resp.status}", elapsed)
    size = len(body.encode())
    if meter:
        out.stderr.append("\r" + meter_line(size, size, elapsed) + "\n")
    if verbose:
        out.stderr.append(f"* Connection #0 to host {url.host} left intact\n")
    shown = ""
    if opts.has("head") or opts.has("include"):
        shown += resp.head_text()
    shown += body
    if "output" not in opts.values:
        out.stdout.append(shown)
    if "write_out" in opts.values:
        out.stdout.append(_write_out(opts.values["write_out"], resp.status, ip, elapsed))
    return CommandResult("".join(out.stdout), "".join(out.stderr), 0)


def _timeout(fail, note, limit: float, url: Url, max_ms: float | None,  # type: ignore[no-untyped-def]
             dns_ms: int = 0) -> CommandResult:
    if limit != math.inf:
        spent = int(limit) + TIMER_SLACK_MS
        note(f"Connection timed out after {spent} milliseconds")
        return fail(28, f"Connection timed out after {spent} milliseconds", spent)
    spent = SYN_RETRIES_MS + dns_ms
    text = f"Failed to connect to {url.host} port {url.port} after {spent} ms: " \
           "Could not connect to server"
    note(text)
    return fail(28, text, spent)


def _ms(value: str | None) -> float | None:
    return float(value) * 1000 if value is not None else None


def _stalls(engine: Engine, t, size: int) -> bool:  # type: ignore[no-untyped-def]
    """Does the response's first data segment make it back to the client? It is walked from
    the backend pod to the address the backend saw (no policies: an established flow)."""
    pod = engine.cluster.pod_by_key.get(t.backend or "")
    if pod is None or pod.host_network or not t.source_ip_at_backend:
        return False
    segment = min(size + 52, engine.dataplane.pod_mtu(pod.node_name or ""))
    back = trace_connect(probe.path_engine(engine), pod.key, t.source_ip_at_backend,
                         t.hops[0].packet_out.sport if t.hops and t.hops[0].packet_out else 80,
                         "TCP", size=segment)
    last = back.hops[-1] if back.hops else None
    return back.verdict == "dropped" and last is not None and "MTU black hole" in last.explain


def _write_out(fmt: str, code: int, ip: str, elapsed_ms: int) -> str:
    text = fmt.replace("\\n", "\n").replace("\\t", "\t")
    text = text.replace("%{http_code}", f"{code:03d}").replace("%{response_code}", f"{code:03d}")
    text = text.replace("%{remote_ip}", ip)
    return text.replace("%{time_total}", f"{elapsed_ms / 1000:.6f}")
