"""The engine's question language: one JSON query in, one JSON result out.

Shared by the CLI (`check --queries`), the REST API and the WebSocket console, so
all three answer the same question the same way. Bad input raises `QueryError`
naming the field (`to: …`), never a bare KeyError.
"""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address
from typing import Any

from clusterlab.sim.engine import Engine
from clusterlab.sim.model import PROTOCOLS, Pod

QUERY_KINDS = ("connect", "policy", "dns", "healthcheck")
DNS_TYPES = ("A", "AAAA", "SRV", "CNAME", "PTR", "TXT")


class QueryError(ValueError):
    """A query the engine cannot answer as asked; the message starts with the field path."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def run_query(engine: Engine, query: Any, index: int | None = None) -> dict[str, Any]:
    """Answer one query (see issue #3 for the shapes)."""
    prefix = f"[{index}]." if index is not None else ""
    if not isinstance(query, dict):
        raise QueryError(prefix.rstrip(".") or "query", "must be a JSON object")
    kind = query.get("kind")
    if kind not in QUERY_KINDS:
        raise QueryError(f"{prefix}kind", f"Unsupported value: {kind!r}: supported values: "
                         + ", ".join(f'"{k}"' for k in QUERY_KINDS))
    try:
        return _HANDLERS[kind](engine, query)
    except QueryError as exc:
        raise QueryError(prefix + exc.field, str(exc)[len(exc.field) + 2:]) from None


def run_queries(engine: Engine, queries: Any) -> list[dict[str, Any]]:
    if not isinstance(queries, list):
        raise QueryError("queries", "must be a JSON array of query objects")
    return [run_query(engine, q, i) for i, q in enumerate(queries)]


# --------------------------------------------------------------------------- helpers


def _protocol(query: dict) -> str:
    protocol = query.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        raise QueryError("protocol", f"Unsupported value: {protocol!r}: supported values: "
                         '"TCP", "UDP", "SCTP"')
    return protocol


def _port(query: dict, required: bool = True) -> int | str | None:
    port = query.get("port")
    if port is None:
        if required:
            raise QueryError("port", "Required value")
        return None
    if isinstance(port, bool) or not isinstance(port, int | str):
        raise QueryError("port", "must be a port number or a port name")
    if isinstance(port, int) and not 1 <= port <= 65535:
        raise QueryError("port", f"Invalid value: {port}: must be between 1 and 65535, inclusive")
    if isinstance(port, str) and port.isdigit():
        return _port({"port": int(port)})
    return port


def _pod(engine: Engine, field: str, ref: Any) -> Pod:
    if not isinstance(ref, str) or not ref:
        raise QueryError(field, 'must be "namespace/pod"')
    pod = engine.cluster.find_pod(ref)
    if pod is None:
        ns, _, name = ref.rpartition("/")
        raise QueryError(field, f'pods "{name}" not found in namespace "{ns or "default"}"')
    return pod


def _ip(field: str, value: Any) -> IPv4Address:
    try:
        ip = ip_address(value)
    except ValueError:
        raise QueryError(field, f"Invalid value: {value!r}: must be a valid IP address") from None
    if not isinstance(ip, IPv4Address):
        raise QueryError(field, "only IPv4 is simulated")
    return ip


def _endpoint(engine: Engine, field: str, value: Any) -> Pod | IPv4Address:
    """A policy endpoint: a pod reference or {"ip": ...}."""
    if isinstance(value, dict):
        if set(value) != {"ip"}:
            raise QueryError(field, 'must be "namespace/pod" or {"ip": "a.b.c.d"}')
        return engine.cluster.pod_by_ip.get(_ip(field + ".ip", value["ip"])) or \
            _ip(field + ".ip", value["ip"])
    return _pod(engine, field, value)


# --------------------------------------------------------------------------- handlers


def _policy(engine: Engine, query: dict) -> dict[str, Any]:
    src = _endpoint(engine, "from", query.get("from"))
    dst = _endpoint(engine, "to", query.get("to"))
    verdict = engine.policy.verdict(src, dst, _port(query), _protocol(query))
    return verdict.to_dict()


def _dns(engine: Engine, query: dict) -> dict[str, Any]:
    from clusterlab.sim import dns, trace

    pod = _pod(engine, "from", query.get("from"))
    name = query.get("name")
    if not isinstance(name, str) or not name:
        raise QueryError("name", "Required value")
    qtype = query.get("type", "A")
    if qtype not in DNS_TYPES:
        raise QueryError("type", f"Unsupported value: {qtype!r}: supported values: "
                         + ", ".join(f'"{t}"' for t in DNS_TYPES))
    res = dns.resolve(engine.cluster, engine.dns, pod, name, qtype)
    # The query is ordinary UDP 53 traffic to kube-dns (DNS-11): a policy or fault that drops
    # it means no answer at all, whatever CoreDNS knows.
    blocked = trace.dns_server_unreachable(engine, pod, query.get("seed"))
    if blocked is not None:
        return dns.dns_unreachable_result(blocked[0], name=name, qtype=qtype, server=res.server,
                                          tried=res.tried[:1]).to_dict()
    return res.to_dict()


def _healthcheck(engine: Engine, query: dict) -> dict[str, Any]:
    from clusterlab.sim import kubeproxy

    ref = query.get("service")
    if not isinstance(ref, str) or "/" not in ref:
        raise QueryError("service", 'must be "namespace/name"')
    service = engine.cluster.service_by_key.get(ref)
    if service is None:
        ns, _, name = ref.partition("/")
        raise QueryError("service", f'services "{name}" not found in namespace "{ns}"')
    node = query.get("node")
    if node not in engine.cluster.node_by_name:
        raise QueryError("node", f'nodes "{node}" not found')
    return kubeproxy.health_check(engine.cluster, service, engine.cluster.node_by_name[node],
                                  endpoints=engine.endpoints)


def _connect(engine: Engine, query: dict) -> dict[str, Any]:
    from clusterlab.sim import trace

    src = query.get("from")
    if isinstance(src, dict):
        if "ip" in src:
            src = {"ip": str(_ip("from.ip", src["ip"]))}
        elif "node" in src:
            if src["node"] not in engine.cluster.node_by_name:
                raise QueryError("from.node", f'nodes "{src["node"]}" not found')
        else:
            raise QueryError("from", 'must be "namespace/pod", {"ip": …} or {"node": …}')
    else:
        src = _pod(engine, "from", src).key
    dst = query.get("to")
    if not isinstance(dst, str) or not dst:
        raise QueryError("to", "must be a pod (ns/pod), an IP address or a Service name")
    via = query.get("via_node")
    if via is not None and via not in engine.cluster.node_by_name:
        raise QueryError("via_node", f'nodes "{via}" not found')
    seed = query.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise QueryError("seed", "must be an integer")
    result = trace.trace_connect(engine, src, dst, _port(query), _protocol(query),
                                 via_node=via, seed=seed)
    return result.to_dict()


_HANDLERS = {"connect": _connect, "policy": _policy, "dns": _dns, "healthcheck": _healthcheck}
