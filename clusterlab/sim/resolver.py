"""Name resolution from inside a pod (dns.md DNS-9 … DNS-12, kubectl-output.md KCTL-9).

* `resolv_conf(cluster, pod)` is what kubelet computes for the pod (pkg/kubelet/network/dns
  `GetPodDNS`) and `render_resolv_conf` what containerd writes (`parseDNSOptions`).
* `search_order(name, search, ndots)` is glibc's walk (`__res_context_search`).
* `resolve(...)` walks it against `CoreDNS` the way glibc (curl, ping, wget) or BIND's
  `nslookup` does, and reports every name it asked in `tried`.
* `format_nslookup` prints what BIND 9 nslookup prints; `gai_error` the getaddrinfo
  error text ping shows.

Contract with the caller (connect/trace code, console): `resolve` assumes the pod's first
nameserver answers. Whether it can be reached at all — egress/ingress policy on UDP 53,
CoreDNS scaled to zero, kube-dns without endpoints (DNS-11) — is the caller's question,
decided on the real packet path; when it cannot, the caller reports
`dns_unreachable_result("timeout" | "refused", …)` instead (rcode "TIMEOUT" for a
dropped query, "REFUSED" for an ICMP port unreachable / REJECT), which `to_dict`,
`format_nslookup` and `gai_error` render consistently. `resolv_conf(...).nameservers[0]`
is the address to check, on UDP port 53.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address
from typing import Any

from clusterlab.sim.dns import (
    NOERROR,
    NXDOMAIN,
    SERVFAIL,
    CoreDNS,
    DNSAnswer,
    Record,
    reverse_name,
)
from clusterlab.sim.model import Cluster, Pod

TIMEOUT = "TIMEOUT"  # no reply at all (dropped): glibc EAI_AGAIN, nslookup "timed out"
REFUSED = "REFUSED"  # ICMP port unreachable (kube-proxy REJECT): "connection refused"

DEFAULT_NDOTS = 1  # resolv.conf(5) when no `options ndots:`
MAX_NDOTS = 15  # glibc caps ndots (RES_MAXNDOTS)
CLUSTER_FIRST_OPTIONS = ("ndots:5",)  # kubelet defaultDNSOptions
MAX_NAMESERVERS = 3  # validation.MaxDNSNameservers
MAX_SEARCH_PATHS = 32  # validation.MaxDNSSearchPaths
MAX_SEARCH_CHARS = 2048  # validation.MaxDNSSearchListChars
MAX_SEARCH_DOMAIN = 253  # DNS1123SubdomainMaxLength: longer domains are dropped by kubelet
NSLOOKUP_TRIES = 3  # BIND dig/nslookup default tries per server (timeout lines printed)
GLIBC_CLIENT, NSLOOKUP_CLIENT = "glibc", "nslookup"


# --------------------------------------------------------------------------- resolv.conf


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """A pod's /etc/resolv.conf: nameservers, search domains, options (`ndots:5`, …)."""

    nameservers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def ndots(self) -> int:
        """glibc: the last `ndots:N` wins, capped at 15; 1 when absent."""
        ndots = DEFAULT_NDOTS
        for opt in self.options:
            name, _, value = opt.partition(":")
            if name == "ndots" and value.isdigit():
                ndots = min(int(value), MAX_NDOTS)
        return ndots

    @property
    def server(self) -> str:
        """The nameserver glibc asks first (127.0.0.1 when the file names none)."""
        return self.nameservers[0] if self.nameservers else "127.0.0.1"

    def render(self) -> str:
        """containerd CRI `parseDNSOptions`: `search`, `nameserver` lines, `options` (DNS-9).
        Empty when nothing is set (containerd then copies the node's file instead)."""
        out = ""
        if self.search:
            out += f"search {' '.join(self.search)}\n"
        for server in self.nameservers:
            out += f"nameserver {server}\n"
        if self.options:
            out += f"options {' '.join(self.options)}\n"
        return out


def cluster_dns_ip(cluster: Cluster) -> str:
    """kubelet `clusterDNS`: the kube-dns Service's ClusterIP, else the service CIDR's 10th
    address (kubeadm `DefaultClusterDNSIP`, DNS-1)."""
    svc = cluster.service_by_key.get("kube-system/kube-dns")
    if svc is not None and svc.cluster_ip is not None:
        return str(svc.cluster_ip)
    return str(cluster.config.service_cidr.network_address + 10)


def _omit_duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in items if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]


def _merge_options(existing: Sequence[str],
                   extra: Iterable[tuple[str, str | None]]) -> list[str]:
    """kubelet `mergeDNSOptions`: dnsConfig options override same-named ones. (kubelet walks a
    Go map, so its order is random; here: existing order, then new names in given order.)"""
    opts: dict[str, str] = {}
    for op in existing:
        name, sep, value = op.partition(":")
        opts[name] = value if sep else ""
    for name, value in extra:
        opts[name] = value or ""
    return [f"{k}:{v}" if v else k for k, v in opts.items()]


def _fit_search(search: list[str]) -> list[str]:
    """kubelet `formDNSSearchFitsLimits`: ≤ 32 domains, none over 253 characters, the joined
    line ≤ 2048 characters (domains cut from the end)."""
    search = [s for s in search[:MAX_SEARCH_PATHS] if len(s) <= MAX_SEARCH_DOMAIN]
    length = len(" ".join(search))
    while search and length > MAX_SEARCH_CHARS:
        length -= len(search.pop()) + 1
    return search


def resolv_conf(cluster: Cluster, pod: Pod) -> ResolvConf:
    """kubelet `GetPodDNS` for `pod` (DNS-9).

    ClusterFirst → cluster DNS + `<ns>.svc.<zone> svc.<zone> <zone>` + node search domains,
    `ndots:5`; hostNetwork pods with ClusterFirst silently get Default; ClusterFirstWithHostNet
    → cluster DNS always; Default → the node's nameservers/search; None → dnsConfig only.
    `dnsConfig` is merged last; limits are applied as kubelet does.
    """
    cfg = cluster.config
    policy = pod.dns_policy or "ClusterFirst"
    if policy == "None":
        kind = "none"
    elif policy == "Default" or (policy == "ClusterFirst" and pod.host_network):
        kind = "host"
    else:  # ClusterFirst, ClusterFirstWithHostNet (and kubelet's fallback for unknown ones)
        kind = "cluster"
    host_search = [s.rstrip(".") for s in cfg.node_search]
    servers: list[str]
    search: list[str]
    options: list[str]
    if kind == "none":
        servers, search, options = [], [], []
    elif kind == "cluster":
        zone = cfg.cluster_domain.strip(".")
        servers = [cluster_dns_ip(cluster)]
        search = _omit_duplicates([f"{pod.namespace}.svc.{zone}", f"svc.{zone}", zone,
                                   *host_search])
        options = list(CLUSTER_FIRST_OPTIONS)
    else:
        servers, search, options = list(cfg.node_nameservers), host_search, []
    if pod.dns_config is not None:
        servers = _omit_duplicates([*servers, *pod.dns_config.nameservers])
        search = _omit_duplicates([*search, *pod.dns_config.searches])
        options = _merge_options(options, pod.dns_config.options)
    return ResolvConf(tuple(servers[:MAX_NAMESERVERS]), tuple(_fit_search(search)),
                      tuple(options))


def render_resolv_conf(conf: ResolvConf | Cluster, pod: Pod | None = None) -> str:
    """The file's text: `render_resolv_conf(conf)` or `render_resolv_conf(cluster, pod)`."""
    if isinstance(conf, Cluster):
        if pod is None:
            raise TypeError("render_resolv_conf(cluster, pod) needs the pod")
        conf = resolv_conf(conf, pod)
    return conf.render()


# --------------------------------------------------------------------------- search walk


def search_order(name: str, search: Sequence[str], ndots: int) -> list[str]:
    """The names glibc queries for `name`, in order (DNS-10; res_query.c
    `__res_context_search`), as absolute names without the final dot.

    Trailing dot → only the name. Dots ≥ ndots → the name as-is first, then each search
    domain. Otherwise each search domain, then the name as-is. A search entry "." (the
    root) stands for the as-is query, which is then not repeated at the end.
    """
    if name.endswith("."):
        return [name.rstrip(".")]
    dots = name.count(".")
    out: list[str] = []
    as_is_done = False
    if dots >= ndots:
        out.append(name)
        as_is_done = True
    for domain in search:
        domain = domain.strip(".")
        if not domain:
            if not as_is_done:
                out.append(name)
            as_is_done = True
            continue
        out.append(f"{name}.{domain}")
    if not as_is_done:
        out.append(name)
    return out


def _nslookup_order(name: str, search: Sequence[str], ndots: int) -> list[str]:
    """BIND dighost.c: dots ≥ ndots (or a final dot) → the name alone, *no* search list
    afterwards (`next_origin`: labels > ndots ends the walk); else search list, then as-is."""
    if name.endswith(".") or name.count(".") >= ndots:
        return [name.rstrip(".")]
    return [*(f"{name}.{d.strip('.')}" for d in search if d.strip(".")), name]


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving a typed name from a pod.

    `rcode` NOERROR with no `answers` is NODATA; TIMEOUT/REFUSED mean the server was not
    reachable (see module docstring). `answers` are strings: IPs for A, `"<priority>
    <weight> <port> <target>."` for SRV, the target (with final dot) for CNAME/PTR.
    `tried` lists every name queried, in order, without the final dot. `cname` is the
    canonical name the CNAME chain ends at (no final dot), or None.
    """

    name: str
    qtype: str
    rcode: str
    answers: tuple[str, ...] = ()
    cname: str | None = None
    tried: tuple[str, ...] = ()
    server: str = ""
    client: str = GLIBC_CLIENT
    response: DNSAnswer | None = None  # the reply that decided (last one asked)
    followup: DNSAnswer | None = None  # nslookup's AAAA lookup after an A reply

    @property
    def nodata(self) -> bool:
        return self.rcode == NOERROR and not self.answers

    @property
    def ok(self) -> bool:
        return self.rcode == NOERROR and bool(self.answers)

    @property
    def canonical_name(self) -> str | None:
        """What getaddrinfo's `ai_canonname` holds (ping's header): the end of the CNAME
        chain, else the name that answered."""
        if not self.ok:
            return None
        return self.cname or (self.tried[-1] if self.tried else self.name)

    def to_dict(self) -> dict[str, Any]:
        """The `dns` query result of the command line (issue #3)."""
        return {"rcode": self.rcode, "answers": list(self.answers), "cname": self.cname,
                "tried": list(self.tried)}


def dns_unreachable_result(kind: str, *, name: str = "", qtype: str = "A",
                           server: str = "", tried: Sequence[str] = (),
                           client: str = GLIBC_CLIENT) -> Resolution:
    """The Resolution a caller reports when the pod's DNS server cannot be reached
    (DNS-11): kind "timeout" (query dropped: policy, node down, CoreDNS gone) or
    "refused" (kube-dns without endpoints: REJECT → ICMP port unreachable). `tried` is
    what got sent before giving up — usually the first name of the walk."""
    rcode = {"timeout": TIMEOUT, "refused": REFUSED}.get(kind)
    if rcode is None:
        raise ValueError(f"kind must be 'timeout' or 'refused', not {kind!r}")
    return Resolution(name=name, qtype=qtype.upper(), rcode=rcode, tried=tuple(tried),
                      server=server, client=client)


_IP_CHARS = frozenset("0123456789.")


def _is_ip(name: str) -> bool:
    if ":" not in name and not _IP_CHARS.issuperset(name):
        return False  # the common case, without an exception
    try:
        ip_address(name)
    except ValueError:
        return False
    return True


def resolve(cluster: Cluster, coredns: CoreDNS, pod: Pod, name: str, qtype: str = "A",
            client: str = GLIBC_CLIENT, *, conf: ResolvConf | None = None) -> Resolution:
    """Resolve `name` as typed inside `pod` (DNS-12), with glibc's or nslookup's walk.

    glibc continues after NXDOMAIN and NODATA and stops at the first reply carrying
    records; if none does, the result is the as-is query's rcode when that went first,
    else NODATA when some step was NODATA, else the last rcode. nslookup moves on only
    after NXDOMAIN (DNS-10). A pod whose nameserver is not the cluster DNS (dnsPolicy
    Default, or None with other servers) asks the upstream table only.
    """
    qtype = qtype.upper()
    if conf is None:
        key = (pod.namespace, pod.dns_policy, pod.host_network, pod.dns_config)
        conf = coredns.resolv_cache.get(key)
        if conf is None:
            conf = coredns.resolv_cache[key] = resolv_conf(cluster, pod)
    server = conf.server
    ask = coredns.answer if coredns.serves(server) else coredns.upstream.answer
    name = name.strip()

    if _is_ip(name.rstrip(".")) and (qtype in ("A", "AAAA", "PTR")
                                      or client == NSLOOKUP_CLIENT):
        if client != NSLOOKUP_CLIENT and qtype != "PTR":
            # getaddrinfo: a literal needs no DNS at all
            ip = ip_address(name.rstrip("."))
            kind_ok = (qtype == "A") == isinstance(ip, IPv4Address)
            return Resolution(name, qtype, NOERROR, (str(ip),) if kind_ok else (),
                              server=server, client=client)
        # a reverse lookup; nslookup turns any address into one (addlookup → get_reverse)
        qtype = "PTR"
        candidates = [reverse_name(name.rstrip("."))]
    elif client == NSLOOKUP_CLIENT:
        candidates = _nslookup_order(name, conf.search, conf.ndots)
    else:
        candidates = search_order(name, conf.search, conf.ndots)

    tried: list[str] = []
    first_as_is = client != NSLOOKUP_CLIENT and len(candidates) > 1 and \
        candidates[0] == name.rstrip(".")
    first_rcode: str | None = None
    got_nodata = got_servfail = False
    response: DNSAnswer | None = None
    for fqdn in candidates:
        response = ask(fqdn, qtype)
        tried.append(fqdn)
        if first_rcode is None:
            first_rcode = response.rcode
        if response.answers and response.rcode == NOERROR:
            break  # glibc: ancount > 0 ends the walk, even a CNAME-only reply
        if response.rcode == NXDOMAIN or (response.rcode == SERVFAIL
                                          and client != NSLOOKUP_CLIENT):
            got_servfail = got_servfail or response.rcode == SERVFAIL
            continue
        if response.rcode == NOERROR:  # NODATA
            if client == NSLOOKUP_CLIENT:
                break
            got_nodata = True
            continue
        break  # REFUSED and the like: stop (glibc `done++`)
    assert response is not None

    rcode = response.rcode
    if not (response.answers and rcode == NOERROR) and client != NSLOOKUP_CLIENT:
        if first_as_is and first_rcode is not None:
            rcode = first_rcode
        elif got_nodata:
            rcode = NOERROR
        elif got_servfail:
            rcode = SERVFAIL
    answers: tuple[str, ...] = ()
    cname = None
    if rcode == NOERROR and response.rcode == NOERROR:
        answers = tuple(response.values(qtype))
        chain = response.cname
        cname = chain[-1] if chain else None

    followup = None
    if client == NSLOOKUP_CLIENT and qtype == "A" and response.rcode == NOERROR:
        # printmessage(): after an A reply nslookup asks AAAA for the CNAME-chased name
        target = cname or response.qname
        followup = ask(target, "AAAA")
    return Resolution(name=name, qtype=qtype, rcode=rcode, answers=answers, cname=cname,
                      tried=tuple(tried), server=server, client=client, response=response,
                      followup=followup)


# --------------------------------------------------------------------------- console text

_RDATA_LABEL = {  # bind9 nslookup.c rtypetext
    "CNAME": "canonical name = ", "PTR": "name = ", "TXT": "text = ", "SRV": "service = ",
    "MX": "mail exchanger = ", "NS": "nameserver = ", "SOA": "soa = ",
}


def _print_section(records: Iterable[Record]) -> list[str]:
    """nslookup `printsection`: records grouped by owner name in order of appearance; A/AAAA
    as `Name:\\t<owner>` + `Address: <ip>`, the rest as `<owner>\\t<label><rdata>`."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.name.lower(), []).append(record)
    lines: list[str] = []
    for group in groups.values():
        for record in group:
            owner = record.name.rstrip(".")
            if record.type in ("A", "AAAA"):
                lines += [f"Name:\t{owner}", f"Address: {record.data}"]
            else:
                label = _RDATA_LABEL.get(record.type, f"{record.type.lower()} = ")
                lines.append(f"{owner}\t{label}{record.data}")
    return lines


def format_nslookup(resolution: Resolution, server_ip: str | None = None,
                    qtype: str | None = None, *,
                    default_lookups: bool | None = None) -> tuple[str, int]:
    """stdout and exit status of BIND 9 `nslookup <name>` (KCTL-9; nslookup.c printmessage).

    `default_lookups` is nslookup's own flag: True for a plain `nslookup name` (A, then AAAA
    for the canonical name; addresses turn into PTR lookups), False once `-type=` was given.
    By default it is True for A questions and for addresses.
    """
    server = server_ip or resolution.server
    qtype = (resolution.qtype or qtype or "A").upper()  # an address became a PTR question
    if default_lookups is None:
        default_lookups = qtype == "A" or _is_ip(resolution.name.rstrip("."))
    if resolution.rcode in (TIMEOUT, REFUSED):
        why = "timed out" if resolution.rcode == TIMEOUT else "connection refused"
        tries = NSLOOKUP_TRIES if resolution.rcode == TIMEOUT else 1
        lines = [f";; communications error to {server}#53: {why}"] * tries
        lines.append(";; no servers could be reached")
        return "\n".join(lines) + "\n\n", 1

    resp = resolution.response
    textname = resolution.name
    if _is_ip(textname.rstrip(".")):
        textname = reverse_name(textname.rstrip("."))
    lines: list[str] = []
    exit_code = 0
    if not default_lookups or qtype == "A":
        lines += [f"Server:\t\t{server}", f"Address:\t{server}#53", ""]
    if resp is None or resp.rcode != NOERROR:
        rcode = resp.rcode if resp is not None else resolution.rcode
        last = resolution.tried[-1] if resolution.tried else textname.rstrip(".")
        lines.append(f"** server can't find {last}: {rcode}")
        return "\n".join(lines) + "\n\n", 1

    a_noanswer = False
    if not resp.authoritative and (not default_lookups or qtype == "A"):
        lines.append("Non-authoritative answer:")
    if resp.answers:
        lines += _print_section(resp.answers)
    elif default_lookups and qtype == "A":
        a_noanswer = True
    elif not default_lookups:
        lines.append(f"*** Can't find {textname}: No answer")
    if not resp.authoritative and qtype not in ("A", "AAAA"):
        lines += ["", "Authoritative answers can be found from:"]

    follow = resolution.followup
    if default_lookups and qtype == "A" and follow is not None:
        fname = follow.qname.rstrip(".")
        if follow.rcode != NOERROR:
            lines.append(f"** server can't find {fname}: {follow.rcode}")
            exit_code = 1
        elif follow.answers:
            lines += _print_section(follow.answers)
        elif a_noanswer:
            lines.append(f"*** Can't find {fname}: No answer")
    return "\n".join(lines) + "\n\n", exit_code


def gai_error(resolution: Resolution) -> str | None:
    """`gai_strerror` text of a failed getaddrinfo (ping prints `ping: <name>: <text>`,
    KCTL-9); None when the name resolved."""
    if resolution.ok:
        return None
    if resolution.rcode == NXDOMAIN:
        return "Name or service not known"  # EAI_NONAME
    if resolution.rcode == NOERROR:
        return "No address associated with hostname"  # EAI_NODATA
    return "Temporary failure in name resolution"  # EAI_AGAIN: timeout, refused, SERVFAIL
