"""Cluster DNS as CoreDNS answers it (dns.md DNS-1 … DNS-8).

`CoreDNS.build(cluster)` indexes one snapshot once: Services by name, the ready endpoint
addresses of every Service (from the EndpointSlice controller's view, `endpoints.py`),
reverse (PTR) names and pods by IP. `answer(fqdn, qtype)` then replays what kubeadm's
CoreDNS (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough
in-addr.arpa ip6.arpa; ttl 30 }`, `forward . /etc/resolv.conf`, `cache 30`) sends back:
rcode, answer and additional sections, the AA flag, TTLs.

The code follows CoreDNS's own control flow (plugin/kubernetes `parseRequest`,
`Records`, `findServices`, `findPods`, `serviceRecordForIP`; plugin/backend_lookup.go
`A`, `SRV`, `CNAME`, `TXT`, `PTR`; handler.go) so its quirks come out as in a real
cluster, e.g. an A query for `_http._tcp.web.ns.svc.cluster.local` answers the ClusterIP,
an ExternalName pointing at a missing in-zone Service answers NODATA, a TXT query on
the apex is NXDOMAIN while an A query there is NODATA.

Names outside the zone go to the "upstream" table (`ClusterConfig.dns_upstream`,
`{name: {"A": (ip, …), "CNAME": (target,), "TTL": ("300",)}}`), playing the node's
resolver that `forward . /etc/resolv.conf` uses: unknown names are NXDOMAIN, answers
are not authoritative.

Resolution from a pod (resolv.conf, search list, glibc vs nslookup, console text) lives
in `resolver.py`; its public names are re-exported here (`dns.resolve`, …).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING, Any, NamedTuple

from clusterlab.sim.model import Cluster, EndpointSlice, Service

if TYPE_CHECKING:
    from clusterlab.sim.endpoints import EndpointIndex

NOERROR = "NOERROR"
NXDOMAIN = "NXDOMAIN"
SERVFAIL = "SERVFAIL"

DNS_SCHEMA_VERSION = "1.1.0"  # DNS-2 `dns-version.<zone>` TXT
KUBERNETES_TTL = 30  # kubeadm Corefile `ttl 30` (plugin default 5), DNS-1
DNS_VERSION_TTL = 28800  # what the plugin puts on the dns-version TXT record
CACHE_MAX_TTL = 30  # kubeadm Corefile `cache 30`: every reply's TTLs are capped (see _cap_ttl)
UPSTREAM_TTL = 300  # TTL the upstream table answers with unless an entry says "TTL"
MAX_CNAME_CHAIN = 8  # backend_lookup.go: `len(previousRecords) > 7` stops the chase

REVERSE_ZONES = ("in-addr.arpa", "ip6.arpa")
_SVC, _POD = "svc", "pod"


class _NameError(Exception):
    """CoreDNS `errNoItems` / `errNsNotExposed` / `errInvalidRequest`: answered NXDOMAIN."""



# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Record:
    """One resource record in presentation form: owner and targets end with a dot."""

    name: str
    type: str
    ttl: int
    data: str

    def __str__(self) -> str:
        return f"{self.name} {self.ttl} IN {self.type} {self.data}"

    def with_ttl(self, ttl: int) -> Record:
        return Record(self.name, self.type, ttl, self.data)


@dataclass(frozen=True, slots=True)
class DNSAnswer:
    """A DNS reply. `rcode` NOERROR with no answer records is NODATA (DNS-8)."""

    qname: str
    qtype: str
    rcode: str
    answers: tuple[Record, ...] = ()
    additional: tuple[Record, ...] = ()
    authoritative: bool = False

    @property
    def nodata(self) -> bool:
        return self.rcode == NOERROR and not self.answers

    @property
    def cname(self) -> tuple[str, ...]:
        """The CNAME chain in answer order, as targets without the final dot."""
        return tuple(r.data.rstrip(".") for r in self.answers if r.type == "CNAME")

    def values(self, qtype: str | None = None) -> list[str]:
        """Record data of the asked type (A: IPs, SRV: `0 100 80 web.ns.svc.cluster.local.`)."""
        want = (qtype or self.qtype).upper()
        return [r.data for r in self.answers if r.type == want]


class _Item(NamedTuple):
    """CoreDNS `msg.Service`: host is an IP or (ExternalName) a host name; `domain` is the
    name the item's key spells (`msg.Domain(Key)`), used as SRV target; port -1 = none."""

    host: str
    port: int
    domain: str
    text: str = ""
    ttl: int = KUBERNETES_TTL


class _Addr(NamedTuple):
    ip: str
    label: str  # endpoint hostname, else the dashed IP (DNS-4), lower-case


class _Svc(NamedTuple):
    name: str
    namespace: str
    kind: str  # "clusterip" | "headless" | "external"
    cluster_ips: tuple[str, ...]
    ports: tuple[tuple[str, str, int], ...]  # (name, protocol lower-case, port)
    external_name: str
    # one group per EndpointSlice: its ports ((name, proto, port) or the -1 sentinel) and
    # its ready addresses (CoreDNS object/endpoint.go keeps ready endpoints only)
    endpoints: tuple[tuple[tuple[tuple[str, str, int], ...], tuple[_Addr, ...]], ...]


@lru_cache(maxsize=1 << 16)
def _ip_kind(host: str) -> int:
    """4, 6, or 0 when `host` is not an IP literal (`msg.Service.HostType`); memoised, as
    the same few thousand hosts come back on every query."""
    try:
        ip = ip_address(host)
    except ValueError:
        return 0
    return 4 if isinstance(ip, IPv4Address) else 6


def dashed(ip: str) -> str:
    """`10.244.1.5` → `10-244-1-5` (endpoint and pod record labels, DNS-4, DNS-7)."""
    return ip.replace(".", "-").replace(":", "-")


def reverse_name(ip: str | IPv4Address | IPv6Address) -> str:
    """`10.96.0.10` → `10.0.96.10.in-addr.arpa` (no final dot)."""
    return ip_address(str(ip)).reverse_pointer


def address_from_reverse(name: str) -> str:
    """`dnsutil.ExtractAddressFromReverse`: the IP spelled by an in-addr/ip6.arpa name, or ""."""
    name = name.rstrip(".").lower()
    try:
        if name.endswith(".in-addr.arpa"):
            labels = name[: -len(".in-addr.arpa")].split(".")
            if len(labels) != 4:
                return ""
            return str(IPv4Address(".".join(reversed(labels))))
        if name.endswith(".ip6.arpa"):
            nibbles = name[: -len(".ip6.arpa")].split(".")
            if len(nibbles) != 32 or any(len(n) != 1 for n in nibbles):
                return ""
            hexstr = "".join(reversed(nibbles))
            return str(IPv6Address(int(hexstr, 16)))
    except ValueError:
        return ""
    return ""


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _is_subdomain(child: str, parent: str) -> bool:
    """Case-insensitive `dns.IsSubDomain(parent, child)` (equal names count)."""
    c, p = child.rstrip(".").lower(), parent.rstrip(".").lower()
    return c == p or c.endswith("." + p) or p == ""


def _cap_ttl(records: tuple[Record, ...], cap: int = CACHE_MAX_TTL) -> tuple[Record, ...]:
    """The `cache` plugin rewrites every TTL of a reply to min(lowest TTL, max TTL) before
    it leaves CoreDNS ("Apply capped TTL to this reply"), so with kubeadm's `cache 30`
    pods never see a TTL above 30 — not even the dns-version TXT record's 28800."""
    if not records:
        return records
    ttl = min(cap, *(r.ttl for r in records))
    return tuple(r if r.ttl == ttl else r.with_ttl(ttl) for r in records)


# --------------------------------------------------------------------------- upstream


def _norm_upstream(table: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, entry in (table or {}).items():
        rrsets: dict[str, tuple[str, ...]] = {}
        for rtype, values in (entry or {}).items():
            if isinstance(values, str | int):
                values = (values,)
            rrsets[str(rtype).upper()] = tuple(str(v) for v in values)
        out[str(name).rstrip(".").lower()] = rrsets
    return out


def _present(rtype: str, value: str) -> str:
    """Upstream table values in presentation form (targets get their final dot)."""
    if rtype in ("CNAME", "PTR", "NS"):
        return _fqdn(value)
    if rtype == "TXT" and not value.startswith('"'):
        return f'"{value}"'
    if rtype in ("SRV", "MX"):
        parts = value.split()
        if parts:
            parts[-1] = _fqdn(parts[-1])
        return " ".join(parts)
    return value


class Upstream:
    """The resolver behind `forward . /etc/resolv.conf` (and the node's own resolver for
    dnsPolicy Default pods): a recursive resolver that knows only its table."""

    __slots__ = ("_table",)

    def __init__(self, table: Mapping[str, Mapping[str, Any]]):
        self._table = _norm_upstream(table)

    def knows(self, name: str) -> bool:
        return name.rstrip(".").lower() in self._table

    def answer(self, qname: str, qtype: str = "A") -> DNSAnswer:
        """Recursive answer: CNAMEs are followed inside the table; a chain ending nowhere keeps
        the CNAMEs with the final NXDOMAIN, as recursors reply. Never authoritative."""
        qtype = qtype.upper()
        qname = qname.rstrip(".")
        answers: list[Record] = []
        name = qname
        seen: set[str] = set()
        for _ in range(MAX_CNAME_CHAIN + 1):
            key = name.lower()
            entry = self._table.get(key)
            if entry is None:
                return DNSAnswer(qname, qtype, NXDOMAIN, tuple(answers))
            ttl = int(entry["TTL"][0]) if entry.get("TTL") else UPSTREAM_TTL
            if qtype in entry and qtype != "TTL":
                answers += [Record(_fqdn(name), qtype, ttl, _present(qtype, v))
                            for v in entry[qtype]]
                return DNSAnswer(qname, qtype, NOERROR, tuple(answers))
            if "CNAME" in entry and qtype != "CNAME" and entry["CNAME"] and key not in seen:
                seen.add(key)
                target = entry["CNAME"][0].rstrip(".")
                answers.append(Record(_fqdn(name), "CNAME", ttl, _fqdn(target)))
                name = target
                continue
            return DNSAnswer(qname, qtype, NOERROR, tuple(answers))
        return DNSAnswer(qname, qtype, SERVFAIL, tuple(answers))


# --------------------------------------------------------------------------- CoreDNS


class CoreDNS:
    """The cluster's CoreDNS for one snapshot. Build once (`build`), ask many times."""

    __slots__ = ("_ep_ptr", "_namespaces", "_pods_by_ip", "_svc", "_svc_ptr",
                 "cluster_dns_ip", "pods_mode", "resolv_cache", "server_ips", "upstream", "zone")

    def __init__(self) -> None:  # use build()
        self.zone = "cluster.local"
        self.pods_mode = "insecure"
        self.cluster_dns_ip = ""
        self.server_ips: frozenset[str] = frozenset()
        self.upstream = Upstream({})
        self._namespaces: frozenset[str] = frozenset()
        self._svc: dict[tuple[str, str], _Svc] = {}
        self._svc_ptr: dict[str, str] = {}
        self._ep_ptr: dict[str, list[str]] = {}
        self._pods_by_ip: dict[str, set[str]] = {}
        # resolver.py memoises pods' resolv.conf here: same snapshot, same answer
        self.resolv_cache: dict[tuple[Any, ...], Any] = {}

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, cluster: Cluster, endpoints: EndpointIndex | None = None) -> CoreDNS:
        """Index `cluster` once. `endpoints` (an `EndpointIndex` of the same snapshot) is
        reused when given; otherwise the controller's slices are derived here."""
        from clusterlab.sim.endpoints import slices_for, unready_nodes

        self = cls()
        cfg = cluster.config
        self.zone = cfg.cluster_domain.strip(".").lower()
        self.pods_mode = cfg.dns_pods_mode
        self.upstream = Upstream(cfg.dns_upstream)
        # A namespace exists if the API has it; objects cannot live in a missing one, so
        # a snapshot built without Namespace objects still counts their namespaces.
        names = {n.name for n in cluster.namespaces}
        names.update(s.namespace for s in cluster.services)
        names.update(p.namespace for p in cluster.pods)
        self._namespaces = frozenset(n.lower() for n in names)

        unready = None if endpoints is not None else unready_nodes(cluster)
        for svc in cluster.services:
            if svc.type == "ExternalName":
                slices: tuple[EndpointSlice, ...] = ()
            elif endpoints is not None:
                slices = endpoints.slices(svc)
            else:
                slices = slices_for(cluster, svc, unready)
            entry = self._index_service(svc, slices)
            self._svc[(entry.name, entry.namespace)] = entry

        for pod in cluster.pods:  # `pods verified` (object/pod.go skips terminating pods)
            if pod.ip is not None and not pod.terminating:
                self._pods_by_ip.setdefault(str(pod.ip), set()).add(pod.namespace.lower())

        kube_dns = cluster.service_by_key.get("kube-system/kube-dns")
        if kube_dns is not None and kube_dns.cluster_ip is not None:
            self.cluster_dns_ip = str(kube_dns.cluster_ip)
        else:  # kubeadm's DefaultClusterDNSIP: the 10th address of the service CIDR (DNS-1)
            self.cluster_dns_ip = str(cfg.service_cidr.network_address + 10)
        servers = {self.cluster_dns_ip}
        if kube_dns is not None:
            for group in self._svc[("kube-dns", "kube-system")].endpoints:
                servers.update(a.ip for a in group[1])
        self.server_ips = frozenset(servers)
        return self

    def _index_service(self, svc: Service, slices: Iterable[EndpointSlice]) -> _Svc:
        name, ns = svc.name.lower(), svc.namespace.lower()
        if svc.type == "ExternalName":
            kind = "external"
        elif svc.headless or svc.cluster_ip is None:
            kind = "headless"
        else:
            kind = "clusterip"
        cluster_ips = (str(svc.cluster_ip),) if svc.cluster_ip is not None else ()
        groups = []
        for es in slices:
            if es.address_type not in ("IPv4", "IPv6"):
                continue
            ports = tuple((p.name.lower(), p.protocol.lower(), p.port) for p in es.ports) \
                or (("", "", -1),)  # object/endpoint.go sentinel for a slice without ports
            addrs = tuple(
                _Addr(a, (ep.hostname or dashed(a)).lower())
                for ep in es.endpoints if ep.ready for a in ep.addresses
            )
            groups.append((ports, addrs))
            for addr in addrs:  # serviceRecordForIP, endpoint branch
                self._ep_ptr.setdefault(addr.ip, []).append(
                    f"{addr.label}.{name}.{ns}.{_SVC}.{self.zone}")
        if kind == "clusterip":
            for ip in cluster_ips:
                self._svc_ptr.setdefault(ip, f"{name}.{ns}.{_SVC}.{self.zone}")
        return _Svc(
            name=name, namespace=ns, kind=kind, cluster_ips=cluster_ips,
            ports=tuple((p.name.lower(), p.protocol.lower(), p.port) for p in svc.ports),
            external_name=svc.external_name.rstrip("."), endpoints=tuple(groups),
        )

    # ------------------------------------------------------------------ asking

    def serves(self, ip: str) -> bool:
        """True when a resolver pointed at `ip` talks to this CoreDNS (the kube-dns
        ClusterIP or a CoreDNS pod); anything else is some other (upstream) resolver."""
        return ip in self.server_ips

    def namespace_exists(self, namespace: str) -> bool:
        return namespace.lower() in self._namespaces

    def answer(self, fqdn: str, qtype: str = "A") -> DNSAnswer:
        """What CoreDNS replies to one query (DNS-2 … DNS-8). `fqdn` is absolute, with or
        without the final dot; comparisons are case-insensitive, answer owner names keep
        the case of the question as CoreDNS does."""
        qtype = qtype.upper()
        qname = fqdn.rstrip(".")
        lname = qname.lower()
        zone = self._zone_of(lname)
        if zone is None:  # not ours: `forward . /etc/resolv.conf`, then `cache 30`
            return self._forwarded(qname, qtype)
        zone_text = qname[len(qname) - len(zone):] if zone else ""
        try:
            answers, extra = self._serve(qname, lname, zone, zone_text, qtype)
        except _NameError:
            if zone in REVERSE_ZONES:  # `fallthrough in-addr.arpa ip6.arpa`
                return self._forwarded(qname, qtype)
            return DNSAnswer(qname, qtype, NXDOMAIN, authoritative=True)
        return DNSAnswer(qname, qtype, NOERROR, _cap_ttl(tuple(answers)),
                         _cap_ttl(tuple(extra)), authoritative=True)

    def _forwarded(self, qname: str, qtype: str) -> DNSAnswer:
        up = self.upstream.answer(qname, qtype)
        return DNSAnswer(up.qname, up.qtype, up.rcode, _cap_ttl(up.answers),
                         _cap_ttl(up.additional), authoritative=False)

    def _zone_of(self, lname: str) -> str | None:
        """`plugin.Zones(k.Zones).Matches`: the longest zone of the plugin containing lname."""
        best = None
        for zone in (self.zone, *REVERSE_ZONES):
            if (lname == zone or lname.endswith("." + zone)) and (
                    best is None or len(zone) > len(best)):
                best = zone
        return best

    def _serve(self, qname: str, lname: str, zone: str, zone_text: str,
               qtype: str) -> tuple[list[Record], list[Record]]:
        """handler.go `ServeDNS` type switch; raises _NameError for NXDOMAIN."""
        if qtype in ("A", "AAAA"):
            return self._address(qname, lname, zone, zone_text, qtype, ()), []
        if qtype == "SRV":
            return self._srv(qname, lname, zone, zone_text)
        if qtype == "TXT":
            return self._txt(qname, lname, zone, zone_text), []
        if qtype == "CNAME":
            items = self._services(lname, zone, zone_text, qtype)
            if items and not _ip_kind(items[0].host):
                return [Record(_fqdn(qname), "CNAME", items[0].ttl, _fqdn(items[0].host))], []
            return [], []
        if qtype == "PTR":
            return self._ptr(qname, lname, zone, zone_text), []
        # MX, NS below the apex, SOA, anything else: a "fake A lookup" only tells NXDOMAIN
        # from NODATA (SOA/NS records at the apex are not simulated).
        self._address(qname, lname, zone, zone_text, "A", ())
        return [], []

    # ------------------------------------------------------------------ plugin/kubernetes

    def _services(self, lname: str, zone: str, zone_text: str, qtype: str) -> list[_Item]:
        """kubernetes.go `Services` for every type but TXT."""
        if lname == f"ns.dns.{zone}":  # isDefaultNS: the name servers' own A record
            if qtype == "A" and self.cluster_dns_ip:
                return [_Item(self.cluster_dns_ip, -1, f"ns.dns.{zone_text}")]
            return []
        items = self._records(lname, zone, zone_text)
        if qtype == "SRV":  # "SRV for external services is not yet implemented"
            items = [i for i in items if _ip_kind(i.host)]
        return items

    def _records(self, lname: str, zone: str, zone_text: str) -> list[_Item]:
        """kubernetes.go `Records` + parse.go `parseRequest` (DNS-5 query forms, DNS-8)."""
        base = lname[: -len(zone)].rstrip(".") if zone else lname
        if base in ("", _SVC, _POD):  # apex queries: NODATA
            return []
        segs = base.split(".")
        pod_or_svc = segs[-1]
        if pod_or_svc not in (_SVC, _POD) or zone in REVERSE_ZONES:
            raise _NameError
        namespace = segs[-2]
        service = segs[-3] if len(segs) >= 3 else ""
        rest = segs[:-3]
        endpoint = port = protocol = ""
        if len(rest) == 1:
            endpoint = rest[0]
        elif len(rest) == 2:
            port, protocol = _strip_underscore(rest[0]), _strip_underscore(rest[1])
        elif len(rest) > 2:  # "too long"
            raise _NameError
        if namespace not in self._namespaces:
            raise _NameError
        if not service:  # `<ns>.svc.<zone>` / `<ns>.pod.<zone>`: NODATA
            return []
        if pod_or_svc == _POD:
            return self._find_pod(service, namespace, zone_text)
        return self._find_services(service, namespace, endpoint, port, protocol, zone_text)

    def _find_pod(self, podname: str, namespace: str, zone_text: str) -> list[_Item]:
        """kubernetes.go `findPods` (DNS-7). Extra endpoint/port labels are ignored, as there."""
        if self.pods_mode not in ("insecure", "verified"):
            raise _NameError
        if podname.count("-") == 3 and "--" not in podname:
            ip = podname.replace("-", ".")
        else:
            ip = podname.replace("-", ":")
        domain = f"{podname}.{namespace}.{_POD}.{zone_text}"
        if self.pods_mode == "insecure":
            if not _ip_kind(ip):
                raise _NameError
            return [_Item(str(ip_address(ip)), -1, domain)]
        if namespace in self._pods_by_ip.get(ip, ()):
            return [_Item(ip, -1, domain)]
        raise _NameError

    def _find_services(self, service: str, namespace: str, endpoint: str, port: str,
                       protocol: str, zone_text: str) -> list[_Item]:
        """kubernetes.go `findServices` (DNS-3 … DNS-6)."""
        svc = self._svc.get((service, namespace))
        if svc is None:
            raise _NameError
        base = f"{svc.name}.{svc.namespace}.{_SVC}.{zone_text}"
        if svc.kind == "external":
            if endpoint or port or protocol or _ip_kind(svc.external_name) \
                    or not svc.external_name:
                raise _NameError  # DNS-6: no record for an IP externalName
            return [_Item(svc.external_name, -1, base)]
        items: list[_Item] = []
        found = False
        if svc.kind == "headless" or endpoint:
            for ports, addrs in svc.endpoints:
                for addr in addrs:
                    if endpoint and endpoint != addr.label:
                        continue
                    for p_name, p_proto, p_port in ports:
                        if _port_matches(port, p_name, protocol, p_proto):
                            found = True
                            items.append(_Item(addr.ip, p_port, f"{addr.label}.{base}"))
        else:
            for p_name, p_proto, p_port in svc.ports:
                if _port_matches(port, p_name, protocol, p_proto):
                    found = True
                    items.extend(_Item(ip, p_port, base) for ip in svc.cluster_ips)
        if not found:
            raise _NameError
        return items

    # ------------------------------------------------------------------ backend_lookup.go

    def _address(self, qname: str, lname: str, zone: str, zone_text: str, qtype: str,
                 previous: tuple[Record, ...]) -> list[Record]:
        """backend_lookup.go `A` / `AAAA`, CNAME chase included (DNS-6)."""
        items = self._services(lname, zone, zone_text, qtype)
        want = 4 if qtype == "A" else 6
        records: list[Record] = []
        seen: set[str] = set()
        for item in items:
            kind = _ip_kind(item.host)
            if kind == want:
                if item.host not in seen:
                    seen.add(item.host)
                    records.append(Record(_fqdn(qname), qtype, item.ttl, item.host))
                continue
            if kind:
                continue
            target = item.host
            if _is_subdomain(target, lname):  # x CNAME x (or below x): a direct loop
                continue
            cname = Record(_fqdn(qname), "CNAME", item.ttl, _fqdn(target))
            if len(previous) > MAX_CNAME_CHAIN - 1:
                continue
            if any(r.type == "CNAME" and r.data == cname.data for r in previous):
                continue
            if _is_subdomain(target, zone):  # chase inside the zone from our own data
                try:
                    nxt = self._address(target, target.lower(), zone, target[len(target)
                                        - len(zone):], qtype, (*previous, cname))
                except _NameError:
                    continue
                if nxt:
                    records.append(cname)
                    records.extend(nxt)
                continue
            up = self.upstream.answer(target, qtype)  # k.Upstream.Lookup → forward
            if up.rcode == SERVFAIL:
                continue
            records.append(cname)
            records.extend(up.answers)
        return records

    def _srv(self, qname: str, lname: str, zone: str,
             zone_text: str) -> tuple[list[Record], list[Record]]:
        """backend_lookup.go `SRV` (DNS-5): priority 0, weight ⌊100/n⌋ over all n items."""
        items = self._services(lname, zone, zone_text, "SRV")
        total = 100 * len(items)
        records: list[Record] = []
        extra: list[Record] = []
        dup: set[tuple[str, str, int]] = set()
        for item in items:
            if item.port == -1:
                continue
            weight = math.floor(100.0 / total * 100) or 1
            target = _fqdn(item.domain)
            if ("", target, item.port) not in dup:
                dup.add(("", target, item.port))
                records.append(Record(_fqdn(qname), "SRV", item.ttl,
                                      f"0 {weight} {item.port} {target}"))
            if (item.host, target, 0) not in dup:
                dup.add((item.host, target, 0))
                rtype = "A" if _ip_kind(item.host) == 4 else "AAAA"
                extra.append(Record(target, rtype, item.ttl, item.host))
        return records, extra

    def _txt(self, qname: str, lname: str, zone: str, zone_text: str) -> list[Record]:
        """kubernetes.go `Services`, TXT branch: only `dns-version.<zone>` has TXT data;
        a name with records of another type is NODATA, anything else NXDOMAIN."""
        if lname == f"dns-version.{zone}":
            return [Record(_fqdn(qname), "TXT", DNS_VERSION_TTL, f'"{DNS_SCHEMA_VERSION}"')]
        try:
            exists = bool(self._records(lname, zone, zone_text))
        except _NameError:
            exists = False
        if not exists:
            raise _NameError
        return []

    def _ptr(self, qname: str, lname: str, zone: str, zone_text: str) -> list[Record]:
        """reverse.go `Reverse` + backend_lookup.go `PTR`: a ClusterIP names its Service,
        else every ready endpoint with that IP names `<label>.<svc>.<ns>.svc.<zone>`."""
        ip = address_from_reverse(lname)
        if not ip:
            self._records(lname, zone, zone_text)  # NXDOMAIN or NODATA
            return []
        svc_name = self._svc_ptr.get(ip)
        hosts = [svc_name] if svc_name else self._ep_ptr.get(ip, [])
        if not hosts:
            raise _NameError
        seen: set[str] = set()
        out = []
        for host in hosts:
            if host not in seen:
                seen.add(host)
                out.append(Record(_fqdn(qname), "PTR", KUBERNETES_TTL, _fqdn(host)))
        return out


def _strip_underscore(label: str) -> str:
    return label[1:] if label.startswith("_") else label


def _port_matches(want_port: str, port: str, want_proto: str, proto: str) -> bool:
    """kubernetes.go `matchPortAndProtocol`: empty request labels match anything."""
    return (not want_port or want_port == port) and (not want_proto or want_proto == proto)


# --------------------------------------------------------------------------- re-exports

_RESOLVER_API = frozenset({
    "ResolvConf", "Resolution", "resolv_conf", "render_resolv_conf", "search_order",
    "resolve", "dns_unreachable_result", "format_nslookup", "gai_error", "cluster_dns_ip",
    "TIMEOUT", "REFUSED",
})


def __getattr__(name: str) -> Any:
    """`dns.resolve` & co. live in resolver.py (which imports this module); loaded lazily."""
    if name in _RESOLVER_API:
        from clusterlab.sim import resolver

        return getattr(resolver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
