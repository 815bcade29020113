"""Kubernetes manifests in and out of the simulator (issue #3, "Input: real Kubernetes manifests").

`load` reads multi-document YAML or JSON (also `kind: List`); `load_documents` takes
objects that are already parsed. Both check every object with the API server's rules
and words (`validation.py`, VAL-1 …), apply the API's defaults, keep the values a real
cluster filled in (a `kubectl get ns,nodes,pods,svc,netpol -A -o yaml` dump loads as it
is), expand Deployments and ReplicaSets into pods, add what every kubeadm cluster has
(system namespaces, `default/kubernetes`, CoreDNS and `kube-system/kube-dns`), schedule
the pods that have no node and give addresses to everything that has none the way the
CNI and the API server would (`ipam.py`). The result is one immutable `model.Cluster` —
or `ManifestError` with every problem found; nothing is half-loaded.

`export` / `to_documents` write the normalised, allocated cluster back as manifests that
load to the same cluster (load → export → load → export is byte-identical).

Choices worth knowing:

* Duplicate objects are refused with the API's AlreadyExists wording on the name:
  `metadata.name: Duplicate value: "web": services "web" already exists`.
* An object in a namespace no manifest creates is refused as `kubectl apply` would be
  (`namespaces "shop" not found`), except the four system namespaces.
* Unknown fields are refused as with server-side strict field validation, the
  `kubectl apply` default: `spec.prots: strict decoding error: unknown field "spec.prots"`.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import heapq
import json
import re
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from operator import attrgetter
from types import MappingProxyType
from typing import Any

import yaml

from clusterlab.sim import ipam
from clusterlab.sim.errors import (
    DUPLICATE,
    INVALID,
    NOT_FOUND,
    REQUIRED,
    UNSUPPORTED,
    FieldError,
    ManifestError,
    ObjectRef,
    Problem,
)
from clusterlab.sim.model import (
    CNI_MODES,
    EMPTY_LABELS,
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    ExternalHost,
    Faults,
    HostPort,
    HostRoute,
    IPBlock,
    LabelSelector,
    LabelSelectorRequirement,
    Namespace,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Pod,
    PodDNSConfig,
    Service,
    ServicePort,
    Subnet,
)

__all__ = [
    "CLUSTERLAB_API_VERSION",
    "KINDS",
    "SYSTEM_NAMESPACES",
    "export",
    "implicit_objects",
    "load",
    "load_documents",
    "parse",
    "to_documents",
]

# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True, slots=True)
class KindInfo:
    api_version: str
    namespaced: bool
    resource: str  # lower-case plural, group-qualified: how the API's messages name it


CLUSTERLAB_API_VERSION = "clusterlab.io/v1alpha1"

KINDS: Mapping[str, KindInfo] = MappingProxyType({
    "ClusterConfig": KindInfo(CLUSTERLAB_API_VERSION, False, "clusterconfigs.clusterlab.io"),
    "Namespace": KindInfo("v1", False, "namespaces"),
    "Node": KindInfo("v1", False, "nodes"),
    "Pod": KindInfo("v1", True, "pods"),
    "Service": KindInfo("v1", True, "services"),
    "EndpointSlice": KindInfo("discovery.k8s.io/v1", True, "endpointslices.discovery.k8s.io"),
    "NetworkPolicy": KindInfo("networking.k8s.io/v1", True,
                              "networkpolicies.networking.k8s.io"),
    "Deployment": KindInfo("apps/v1", True, "deployments.apps"),
    "ReplicaSet": KindInfo("apps/v1", True, "replicasets.apps"),
})

_KIND_INFO: dict[str, KindInfo] = dict(KINDS)  # a plain dict is faster to ask per document

# Namespaces every kubeadm cluster has; objects may use them without a Namespace document.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
LABEL_NAMESPACE_NAME = "kubernetes.io/metadata.name"
LABEL_POD_TEMPLATE_HASH = "pod-template-hash"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io"
CONTROL_PLANE_KEYS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")

# Where a node has no InternalIP, one is given from the first configured subnet or from
# this network, starting at .10 (the example topology of the reference: 192.168.56.10 …).
DEFAULT_NODE_NETWORK = IPv4Network("192.168.56.0/24")
FIRST_NODE_HOST = 10

# Non-API problem kinds (FieldError.type), for what is not an object field check.
PARSE_ERROR = "error parsing YAML"
UNKNOWN_FIELD = "strict decoding error"
SANDBOX_ERROR = "Failed to create pod sandbox"
INTERNAL_ERROR = "Internal error occurred"

MAX_DEPTH = 100  # nesting levels a manifest document may have
ALIAS_EXPANSION_LIMIT = 10_000  # expanded nodes beyond which aliases must stay modest …
ALIAS_EXPANSION_RATIO = 10      # … at most this many times the distinct nodes

_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_IPV4_ONLY = "only IPv4 is simulated"

# --------------------------------------------------------------------------- parsing

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _YamlLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader whose timestamps stay strings, as in sigs.k8s.io/yaml's YAML → JSON."""


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_str)


def _check_node(root: yaml.Node) -> str | None:
    """Refuse a composed document that is too deep or that aliases expand into a bomb.

    PyYAML composes an alias as a reference to the anchored node, so a "billion laughs"
    document is small until someone walks it. This walk sizes every distinct node once
    (memoised), so it stays linear in the text, and answers before anything is built.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    open_: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            if key not in size:
                size[key], height[key] = 1, 1
                distinct += 1
            continue
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if height[key] > MAX_DEPTH:
                return f"document nesting exceeds {MAX_DEPTH} levels"
            continue
        if key in size:
            continue
        if key in open_:
            return "document contains a recursive alias"
        open_.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    total = size[id(root)]
    if total > ALIAS_EXPANSION_LIMIT and total > ALIAS_EXPANSION_RATIO * distinct:
        return ("document contains excessive aliasing "
                f"({distinct} nodes expand to {total})")
    return None


def _data_too_deep(data: Any) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def parse(source: str, text: str) -> tuple[list[tuple[str, Any]], list[Problem]]:
    """Split one file into documents `(f"{source}#{n}", object)`; problems for what cannot be read.

    JSON (one object, or an array of objects) and multi-document YAML are accepted;
    empty YAML documents are skipped as kubectl does. A document that would expand into
    an alias bomb, or that nests deeper than MAX_DEPTH, is refused before it is built.
    """
    docs: list[tuple[str, Any]] = []
    problems: list[Problem] = []
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except RecursionError:
            problems.append(Problem(FieldError(
                f"{source}#1", PARSE_ERROR, detail=f"document nesting exceeds {MAX_DEPTH} levels")))
            return docs, problems
        except ValueError:
            pass  # not JSON after all: YAML flow style, or broken (YAML says where)
        else:
            items = data if isinstance(data, list) else [data]
            for n, item in enumerate(items, 1):
                if _data_too_deep(item):
                    problems.append(Problem(FieldError(
                        f"{source}#{n}", PARSE_ERROR,
                        detail=f"document nesting exceeds {MAX_DEPTH} levels")))
                else:
                    docs.append((f"{source}#{n}", item))
            return docs, problems
    loader = _YamlLoader(text)
    n = 0
    try:
        while loader.check_node():
            n += 1
            node = loader.get_node()
            label = f"{source}#{n}"
            reason = _check_node(node) if node is not None else None
            if reason:
                problems.append(Problem(FieldError(label, PARSE_ERROR, detail=reason)))
                continue
            data = loader.construct_document(node)
            if data is not None:
                docs.append((label, data))
    except yaml.YAMLError as exc:
        problems.append(Problem(FieldError(source, PARSE_ERROR, detail=_yaml_error_text(exc))))
    finally:
        loader.dispose()
    return docs, problems


def _yaml_error_text(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{problem} ({context})" if context else problem
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {text}"
    return text


# --------------------------------------------------------------------------- public API


def load(texts: list[tuple[str, str]]) -> Cluster:
    """Load `(source name, YAML or JSON text)` pairs into one cluster.

    Raises `ManifestError` listing every problem (parse errors, API validation errors,
    cross-object and allocation errors), each located by `ObjectRef(source="app.yaml#2")`.
    """
    docs: list[tuple[str, Any]] = []
    problems: list[tuple[int, Problem]] = []
    for source, text in texts:
        got, bad = parse(source, text)
        docs.extend(got)
        problems.extend((len(docs), p) for p in bad)  # after the file's readable documents
    return _Build(docs, problems).run()


def load_documents(docs: list[tuple[str, dict[str, Any]]]) -> Cluster:
    """Load already-parsed objects `(source label, object)`; same rules as `load`.

    The objects are read, never modified.
    """
    return _Build(list(docs), []).run()


# --------------------------------------------------------------------------- reading helpers


class _Bad(Exception):
    """A field that cannot be read; carries the field error to report."""

    def __init__(self, error: FieldError):
        super().__init__(str(error))
        self.error = error


def _map(value: Any, path: str) -> Mapping[str, Any]:
    if type(value) is dict:  # the common case, without the ABC isinstance cost
        return value
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    raise _Bad(FieldError(path, INVALID, value, "expected object"))


def _seq(value: Any, path: str) -> list[Any]:
    if type(value) is list:
        return value
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise _Bad(FieldError(path, INVALID, value, "expected array"))


def _text(value: Any, path: str, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    raise _Bad(FieldError(path, INVALID, value, "expected string"))


def _number(value: Any, path: str, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Bad(FieldError(path, INVALID, value, "expected integer"))


def _flag(value: Any, path: str, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise _Bad(FieldError(path, INVALID, value, "expected boolean"))


def _string_map(value: Any, path: str) -> Mapping[str, str]:
    items = _map(value, path)
    if not items:
        return EMPTY_LABELS
    copy = dict(items)  # a snapshot: the caller's dict may change later
    for k, v in copy.items():
        if type(k) is not str or type(v) is not str:
            return MappingProxyType({str(k): "" if v is None else str(v)
                                     for k, v in items.items()})
    return MappingProxyType(copy)


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


# Field getters: read `m[key]` and check its JSON type, building the error path only when
# there is an error (formatting a path for every field read was a third of the load time).


def _get_text(m: Mapping[str, Any], key: str, parent: str, default: str = "") -> str:
    value = m.get(key)
    if type(value) is str:
        return value
    return default if value is None else _text(value, _join(parent, key))


def _get_int(m: Mapping[str, Any], key: str, parent: str, default: int | None = None) -> Any:
    value = m.get(key)
    if type(value) is int:
        return value
    return default if value is None else _number(value, _join(parent, key))


def _get_bool(m: Mapping[str, Any], key: str, parent: str, default: bool = False) -> bool:
    value = m.get(key)
    if type(value) is bool:
        return value
    return default if value is None else _flag(value, _join(parent, key))


def _get_map(m: Mapping[str, Any], key: str, parent: str) -> Mapping[str, Any]:
    value = m.get(key)
    if type(value) is dict:
        return value
    return _map(value, _join(parent, key))


def _get_list(m: Mapping[str, Any], key: str, parent: str) -> list[Any]:
    value = m.get(key)
    if type(value) is list:
        return value
    return _seq(value, _join(parent, key))


def _get_labels(m: Mapping[str, Any], key: str, parent: str) -> Mapping[str, str]:
    value = m.get(key)
    if not value:
        return EMPTY_LABELS
    if type(value) is dict:
        copy = dict(value)  # a snapshot: the caller's dict may change later
        for k, v in copy.items():
            if type(k) is not str or type(v) is not str:
                break
        else:
            return MappingProxyType(copy)
    return _string_map(value, _join(parent, key))


# Dotted-quad text, leading zeros allowed (`netutils.ParseIPSloppy`); `[0-9]` is ASCII only.
_IPV4_TEXT = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)")


def _sloppy_ip(value: str) -> Any:
    if type(value) is str and ":" not in value:
        # IPv4 without ip_address()'s per-octet parsing. inet_pton takes the canonical
        # dotted quad (no leading zeros); the regex the rest of what ParseIPSloppy takes.
        # ip_address() accepts a subset of either, with the same value.
        try:
            return IPv4Address(socket.inet_pton(socket.AF_INET, value))
        except (OSError, ValueError):
            pass
        match = _IPV4_TEXT.fullmatch(value)
        if match is None:
            return None
        a, b, c, d = (int(x) for x in match.groups())
        if a > 255 or b > 255 or c > 255 or d > 255:
            return None
        return IPv4Address((a << 24) | (b << 16) | (c << 8) | d)
    try:
        return ip_address(value)
    except ValueError:
        module = _validation()
        return module.parse_ip_sloppy(value) if module is not None else None


def _ip(value: Any, path: str) -> IPv4Address:
    text = _text(value, path)
    ip = _sloppy_ip(text)
    if ip is None:
        raise _Bad(FieldError(path, INVALID, text, _IP_MSG))
    if not isinstance(ip, IPv4Address):
        raise _Bad(FieldError(path, INVALID, text, _IPV4_ONLY))
    return ip


def _first_ipv4(values: Iterable[Any], path: str) -> IPv4Address | None:
    """The IPv4 address of a dual-stack list (`podIPs`, `clusterIPs`); error if none is."""
    found = None
    for i, value in enumerate(values):
        ip = _sloppy_ip(value if type(value) is str else _text(value, f"{path}[{i}]"))
        if ip is None:
            raise _Bad(FieldError(f"{path}[{i}]", INVALID, value, _IP_MSG))
        if isinstance(ip, IPv4Address):
            return ip
        found = found or (f"{path}[{i}]", value)
    if found is not None:
        raise _Bad(FieldError(found[0], INVALID, found[1], _IPV4_ONLY))
    return None


@functools.lru_cache(maxsize=4096)
def _parse_cidr(text: str) -> Any:
    """Networks repeat a lot in policies (10.0.0.0/8 …); ip_network is slow, so cache."""
    try:
        return ip_network(text, strict=False)
    except ValueError:
        module = _validation()
        return module.parse_cidr_sloppy(text) if module is not None else None


def _cidr(value: Any, path: str) -> IPv4Network:
    text = _text(value, path)
    net = _parse_cidr(text)
    if net is None:
        raise _Bad(FieldError(path, INVALID, text, _CIDR_MSG))
    if not isinstance(net, IPv4Network):
        raise _Bad(FieldError(path, INVALID, text, _IPV4_ONLY))
    return net


def _selector(value: Any, path: str) -> LabelSelector:
    sel = _map(value, path)
    exprs = []
    for i, expr in enumerate(_get_list(sel, "matchExpressions", path)):
        epath = f"{path}.matchExpressions[{i}]"
        expr = _map(expr, epath)
        exprs.append(LabelSelectorRequirement(
            _get_text(expr, "key", epath), _get_text(expr, "operator", epath),
            tuple(str(v) for v in _get_list(expr, "values", epath))))
    return LabelSelector.of(_get_labels(sel, "matchLabels", path), tuple(exprs))


_validation_module: Any = None


def _validation() -> Any:
    """`validation.py` (the API server's checks), imported on first use; None if absent."""
    global _validation_module
    if _validation_module is None:
        try:
            from clusterlab.sim import validation
        except ModuleNotFoundError as exc:  # pragma: no cover - only while it is being written
            if exc.name != "clusterlab.sim.validation":
                raise
            return None
        _validation_module = validation
    return _validation_module


# --------------------------------------------------------------------------- drafts


@dataclass(slots=True)
class _Doc:
    seq: int
    source: str
    obj: Mapping[str, Any]
    kind: str
    name: str
    namespace: str
    ref: ObjectRef = field(init=False)

    def __post_init__(self) -> None:
        self.ref = ObjectRef(self.kind, self.name, self.namespace, self.source)


Taint = tuple[str, str, str]              # key, value, effect
Toleration = tuple[str, str, str, str]    # key, operator, value, effect


@dataclass(slots=True)
class _NodeDraft:
    seq: int
    ref: ObjectRef
    name: str
    ip: IPv4Address | None
    ip_path: str
    pod_cidr: IPv4Network | None
    ready: bool
    unschedulable: bool
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    taints: tuple[Taint, ...]


@dataclass(slots=True)
class _PodDraft:
    seq: int
    ref: ObjectRef
    namespace: str
    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    containers: tuple[Container, ...]
    host_network: bool
    hostname: str
    subdomain: str
    dns_policy: str
    dns_config: PodDNSConfig | None
    owner: str
    terminating: bool
    node_name: str | None
    ip: IPv4Address | None
    phase: str
    ready: bool
    tolerations: tuple[Toleration, ...] = ()
    node_selector: tuple[tuple[str, str], ...] = ()
    path_prefix: str = ""  # "spec.template." for pods of a workload
    pinned: bool = False  # node and IP from the workload's status.pods: kept when they fit

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def build(self) -> Pod:
        return Pod(self.namespace, self.name, self.labels, self.annotations, self.node_name,
                   self.ip, self.ready, self.phase, self.containers, self.host_network,
                   self.hostname, self.subdomain, self.dns_policy, self.dns_config, self.owner,
                   self.terminating)


# `replace(service, cluster_ip=ip)` once per Service without a given IP: replace() looks
# up the dataclass fields and goes through keyword arguments on every call.
_SERVICE_FIELDS = fields(Service)
_SERVICE_VALUES = attrgetter(*(f.name for f in _SERVICE_FIELDS))
_CLUSTER_IP_AT = [f.name for f in _SERVICE_FIELDS].index("cluster_ip")
_SERVICE_POSITIONAL = all(f.init and not f.kw_only for f in _SERVICE_FIELDS)


def _with_cluster_ip(service: Service, ip: IPv4Address) -> Service:
    if not _SERVICE_POSITIONAL:
        return replace(service, cluster_ip=ip)
    values = list(_SERVICE_VALUES(service))
    values[_CLUSTER_IP_AT] = ip
    return Service(*values)


_DRAFT_FIELDS = fields(_PodDraft)
_DRAFT_VALUES = attrgetter(*(f.name for f in _DRAFT_FIELDS))  # in __init__ order
_DRAFT_NAME_AT = [f.name for f in _DRAFT_FIELDS].index("name")
assert all(f.init and not f.kw_only for f in _DRAFT_FIELDS)


@dataclass(slots=True)
class _ServiceDraft:
    seq: int
    ref: ObjectRef
    service: Service  # cluster_ip / node ports / healthCheckNodePort as given (or None)
    needs_ip: bool


# --------------------------------------------------------------------------- converters


def _ready_condition(status: Mapping[str, Any], path: str) -> bool | None:
    conds = status.get("conditions")
    if type(conds) is not list:
        conds = _seq(conds, f"{path}.conditions")
    for i, cond in enumerate(conds):
        if type(cond) is not dict:
            cond = _map(cond, f"{path}.conditions[{i}]")
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return None


def _owner(meta: Mapping[str, Any]) -> str:
    refs = [r for r in _seq(meta.get("ownerReferences"), "metadata.ownerReferences")
            if isinstance(r, Mapping)]
    chosen = next((r for r in refs if r.get("controller") is True), refs[0] if refs else None)
    if chosen is None:
        return ""
    return f"{chosen.get('kind', '')}/{chosen.get('name', '')}"


def _containers(spec: Mapping[str, Any], path: str) -> tuple[Container, ...]:
    out = []
    for i, c in enumerate(_get_list(spec, "containers", path)):
        container = _plain_container(c)
        if container is None:  # not plain JSON: read field by field, errors with their path
            cpath = f"{path}.containers[{i}]"
            c = _map(c, cpath)
            ports = []
            for j, p in enumerate(_get_list(c, "ports", cpath)):
                ppath = f"{cpath}.ports[{j}]"
                p = _map(p, ppath)
                ports.append(ContainerPort(
                    _get_int(p, "containerPort", ppath, 0),
                    _get_text(p, "protocol", ppath) or "TCP",
                    _get_text(p, "name", ppath), _get_int(p, "hostPort", ppath, 0)))
            container = Container(_get_text(c, "name", cpath), _get_text(c, "image", cpath),
                                  tuple(ports))
        out.append(container)
    return tuple(out)


# Containers repeat across a cluster's pods (every replica, every pod of an app): equal
# ones are shared, found by their plain values. Only exact str and int values make a key,
# so an equal key always means an equal container of the same types.
_SHARED_CONTAINERS: dict[tuple[Any, ...], Container] = {}
_SHARED_CONTAINERS_LIMIT = 4096


_WRONG = object()


def _exact(value: Any, kind: type, default: Any) -> Any:
    """`default` for an absent/null field, the value when of exactly `kind` (no bool for
    int), else _WRONG: the fast path then leaves the container to the full readers."""
    if value is None:
        return default
    return value if type(value) is kind else _WRONG


def _plain_container(c: Any) -> Container | None:
    """What the field readers make of a container whose fields (and ports' fields) are
    absent, null or of their exact JSON type; None for anything else."""
    if type(c) is not dict:
        return None
    name, image = _exact(c.get("name"), str, ""), _exact(c.get("image"), str, "")
    ports = c.get("ports")
    if name is _WRONG or image is _WRONG:
        return None
    raw = []
    if ports is not None:
        if type(ports) is not list:
            return None
        for p in ports:
            if type(p) is not dict:
                return None
            number, protocol, port_name, host = (
                _exact(p.get("containerPort"), int, 0), _exact(p.get("protocol"), str, ""),
                _exact(p.get("name"), str, ""), _exact(p.get("hostPort"), int, 0))
            if _WRONG in (number, protocol, port_name, host):
                return None
            raw.append((number, protocol or "TCP", port_name, host))
    key = (name, image, tuple(raw))
    container = _SHARED_CONTAINERS.get(key)
    if container is None:
        if len(_SHARED_CONTAINERS) >= _SHARED_CONTAINERS_LIMIT:
            _SHARED_CONTAINERS.clear()
        container = _SHARED_CONTAINERS[key] = Container(
            name, image, tuple(ContainerPort(*r) for r in raw))
    return container


def _dns_config(spec: Mapping[str, Any], path: str) -> PodDNSConfig | None:
    raw = spec.get("dnsConfig")
    if raw is None:
        return None
    cfg = _map(raw, f"{path}.dnsConfig")
    options = []
    for i, opt in enumerate(_seq(cfg.get("options"), f"{path}.dnsConfig.options")):
        opt = _map(opt, f"{path}.dnsConfig.options[{i}]")
        value = opt.get("value")
        options.append((str(opt.get("name", "")), None if value is None else str(value)))
    return PodDNSConfig(
        tuple(str(s) for s in _seq(cfg.get("nameservers"), f"{path}.dnsConfig.nameservers")),
        tuple(str(s) for s in _seq(cfg.get("searches"), f"{path}.dnsConfig.searches")),
        tuple(options))


def _tolerations(spec: Mapping[str, Any], path: str) -> tuple[Toleration, ...]:
    out = []
    for i, t in enumerate(_get_list(spec, "tolerations", path)):
        t = _map(t, f"{path}.tolerations[{i}]")
        out.append((str(t.get("key") or ""), str(t.get("operator") or "Equal"),
                    str(t.get("value") or ""), str(t.get("effect") or "")))
    return tuple(out)


def _pod_spec_fields(spec: Mapping[str, Any], path: str) -> dict[str, Any]:
    return {
        "containers": _containers(spec, path),
        "host_network": _get_bool(spec, "hostNetwork", path),
        "hostname": _get_text(spec, "hostname", path),
        "subdomain": _get_text(spec, "subdomain", path),
        "dns_policy": _get_text(spec, "dnsPolicy", path) or "ClusterFirst",
        "dns_config": _dns_config(spec, path),
        "node_name": _get_text(spec, "nodeName", path) or None,
        "tolerations": _tolerations(spec, path) if "tolerations" in spec else (),
        "node_selector": tuple(sorted(_get_labels(spec, "nodeSelector", path).items())),
    }


def _pod(doc: _Doc) -> _PodDraft:
    obj = doc.obj
    meta = _get_map(obj, "metadata", "")
    spec = _get_map(obj, "spec", "")
    status = _get_map(obj, "status", "")
    ip = None
    ready = True
    phase = "Running"
    if status:
        phase = _get_text(status, "phase", "status") or "Running"
        ips = [(p if type(p) is dict else _map(p, f"status.podIPs[{i}]")).get("ip")
               for i, p in enumerate(_seq(status.get("podIPs"), "status.podIPs"))]
        if ips:
            ip = _first_ipv4(ips, "status.podIPs")
        elif status.get("podIP"):
            ip = _ip(status.get("podIP"), "status.podIP")
        cond = _ready_condition(status, "status")
        ready = cond if cond is not None else phase == "Running"
    return _PodDraft(
        seq=doc.seq, ref=doc.ref, namespace=doc.namespace, name=doc.name,
        labels=_get_labels(meta, "labels", "metadata"),
        annotations=_get_labels(meta, "annotations", "metadata"),
        owner=_owner(meta) if "ownerReferences" in meta else "",
        terminating=meta.get("deletionTimestamp") is not None,
        ip=ip, phase=phase, ready=ready,
        **_pod_spec_fields(spec, "spec"))


def _node(doc: _Doc) -> _NodeDraft:
    obj = doc.obj
    meta = _map(obj.get("metadata"), "metadata")
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    ip = None
    ip_path = "status.addresses"
    for i, addr in enumerate(_seq(status.get("addresses"), "status.addresses")):
        addr = _map(addr, f"status.addresses[{i}]")
        if addr.get("type") == "InternalIP":
            path = f"status.addresses[{i}].address"
            text = _text(addr.get("address"), path)
            parsed = _sloppy_ip(text)
            if parsed is None:
                raise _Bad(FieldError(path, INVALID, text, _IP_MSG))
            if isinstance(parsed, IPv4Address):
                ip, ip_path = parsed, path
                break
    if ip is None and any(isinstance(a, Mapping) and a.get("type") == "InternalIP"
                          for a in _seq(status.get("addresses"), "status.addresses")):
        raise _Bad(FieldError("status.addresses", INVALID, None,
                              "no IPv4 InternalIP: " + _IPV4_ONLY))
    pod_cidr = None
    cidrs = _seq(spec.get("podCIDRs"), "spec.podCIDRs")
    if cidrs:
        for i, c in enumerate(cidrs):
            net = _cidr(c, f"spec.podCIDRs[{i}]") if _is_v4_text(c) else None
            if net is not None:
                pod_cidr = net
                break
    elif spec.get("podCIDR"):
        pod_cidr = _cidr(spec.get("podCIDR"), "spec.podCIDR")
    labels = dict(_string_map(meta.get("labels"), "metadata.labels"))
    # What the kubelet labels every node with (well-known labels).
    labels.setdefault("kubernetes.io/arch", "amd64")
    labels.setdefault("kubernetes.io/hostname", doc.name)
    labels.setdefault("kubernetes.io/os", "linux")
    cond = _ready_condition(status, "status")
    if "taints" in spec:
        taints = []
        for i, t in enumerate(_seq(spec.get("taints"), "spec.taints")):
            t = _map(t, f"spec.taints[{i}]")
            taints.append((str(t.get("key") or ""), str(t.get("value") or ""),
                           str(t.get("effect") or "")))
        taint_tuple = tuple(taints)
    else:  # kubeadm taints the control plane; a drawn node with the role label gets it too
        taint_tuple = tuple((k, "", "NoSchedule") for k in CONTROL_PLANE_KEYS[:1]
                            if any(key in labels for key in CONTROL_PLANE_KEYS))
    return _NodeDraft(
        seq=doc.seq, ref=doc.ref, name=doc.name, ip=ip, ip_path=ip_path, pod_cidr=pod_cidr,
        ready=cond if cond is not None else True,
        unschedulable=_flag(spec.get("unschedulable"), "spec.unschedulable"),
        labels=MappingProxyType(labels),
        annotations=_string_map(meta.get("annotations"), "metadata.annotations"),
        taints=taint_tuple)


def _is_v4_text(value: Any) -> bool:
    return isinstance(value, str) and ":" not in value


def _namespace(doc: _Doc) -> Namespace:
    meta = _map(doc.obj.get("metadata"), "metadata")
    labels = dict(_string_map(meta.get("labels"), "metadata.labels"))
    labels[LABEL_NAMESPACE_NAME] = doc.name  # set (and kept) by the API server
    return Namespace(doc.name, MappingProxyType(labels),
                     _string_map(meta.get("annotations"), "metadata.annotations"))


def _service(doc: _Doc) -> _ServiceDraft:
    obj = doc.obj
    meta = _get_map(obj, "metadata", "")
    spec = _get_map(obj, "spec", "")
    status = _get_map(obj, "status", "")
    svc_type = _get_text(spec, "type", "spec") or "ClusterIP"
    ports = []
    for i, p in enumerate(_get_list(spec, "ports", "spec")):
        path = f"spec.ports[{i}]"
        p = _map(p, path)
        port = _get_int(p, "port", path, 0)
        target = p.get("targetPort")
        if target is None or target == 0 or target == "":
            target = port  # SVC-1 default: targetPort = port
        elif not isinstance(target, int | str) or isinstance(target, bool):
            raise _Bad(FieldError(f"{path}.targetPort", INVALID, target,
                                  "expected integer or string"))
        ports.append(ServicePort(
            port, _get_text(p, "protocol", path) or "TCP", _get_text(p, "name", path), target,
            _get_int(p, "nodePort", path) or None, _get_text(p, "appProtocol", path)))
    cluster_ip = None
    headless = False
    given = _get_text(spec, "clusterIP", "spec")
    ips = _get_list(spec, "clusterIPs", "spec")
    if svc_type != "ExternalName":
        if given == "None" or (not given and ips and ips[0] == "None"):
            headless = True
        elif ips:
            cluster_ip = _first_ipv4(ips, "spec.clusterIPs")
        elif given:
            cluster_ip = _ip(given, "spec.clusterIP")
    affinity = _get_text(spec, "sessionAffinity", "spec") or "None"
    timeout = 10800
    if "sessionAffinityConfig" in spec:
        client = _get_map(_get_map(spec, "sessionAffinityConfig", "spec"), "clientIP",
                          "spec.sessionAffinityConfig")
        timeout = _get_int(client, "timeoutSeconds", "spec.sessionAffinityConfig.clientIP",
                           10800) or 10800
    etp = _get_text(spec, "externalTrafficPolicy", "spec")
    if not etp and svc_type in ("NodePort", "LoadBalancer"):
        etp = "Cluster"
    ingress: list[str] = []
    ip_mode = ""
    lb = _get_map(status, "loadBalancer", "status")
    for i, entry in enumerate(_get_list(lb, "ingress", "status.loadBalancer")):
        epath = f"status.loadBalancer.ingress[{i}]"
        entry = _map(entry, epath)
        if entry.get("ip"):
            ingress.append(str(_ip(entry.get("ip"), f"{epath}.ip")))
            ip_mode = ip_mode or _text(entry.get("ipMode"), f"{epath}.ipMode")
        elif entry.get("hostname"):
            ingress.append(_text(entry.get("hostname"), f"{epath}.hostname"))
    selector = _get_labels(spec, "selector", "spec")
    service = Service(
        namespace=doc.namespace, name=doc.name, type=svc_type,
        selector=selector or None,  # an empty selector is no selector (VAL-4)
        ports=tuple(ports), cluster_ip=cluster_ip, headless=headless,
        labels=_get_labels(meta, "labels", "metadata"),
        annotations=_get_labels(meta, "annotations", "metadata"),
        external_ips=tuple(_ip(v, f"spec.externalIPs[{i}]")
                           for i, v in enumerate(_get_list(spec, "externalIPs", "spec"))),
        load_balancer_ingress=tuple(ingress), load_balancer_ip_mode=ip_mode or "VIP",
        load_balancer_source_ranges=tuple(
            _cidr(v, f"spec.loadBalancerSourceRanges[{i}]")
            for i, v in enumerate(_get_list(spec, "loadBalancerSourceRanges", "spec"))),
        allocate_load_balancer_node_ports=_get_bool(spec, "allocateLoadBalancerNodePorts",
                                                    "spec", True),
        external_name=_get_text(spec, "externalName", "spec"),
        session_affinity=affinity, session_affinity_timeout=timeout,
        external_traffic_policy=etp,
        internal_traffic_policy=_get_text(spec, "internalTrafficPolicy", "spec") or "Cluster",
        health_check_node_port=_get_int(spec, "healthCheckNodePort", "spec") or None,
        publish_not_ready_addresses=_get_bool(spec, "publishNotReadyAddresses", "spec"))
    needs_ip = cluster_ip is None and not headless and svc_type != "ExternalName"
    return _ServiceDraft(doc.seq, doc.ref, service, needs_ip)


def _endpoint_slice(doc: _Doc) -> EndpointSlice:
    obj = doc.obj
    meta = _map(obj.get("metadata"), "metadata")
    labels = _string_map(meta.get("labels"), "metadata.labels")
    endpoints = []
    for i, ep in enumerate(_seq(obj.get("endpoints"), "endpoints")):
        path = f"endpoints[{i}]"
        ep = _map(ep, path)
        cond = _map(ep.get("conditions"), f"{path}.conditions")
        # nil ready/serving mean "unknown", which consumers treat as ready (discovery/v1 docs)
        ready = _flag(cond.get("ready"), f"{path}.conditions.ready", True)
        target = _map(ep.get("targetRef"), f"{path}.targetRef")
        target_pod = ""
        if target.get("kind") == "Pod" and target.get("name"):
            target_pod = f"{target.get('namespace') or doc.namespace}/{target.get('name')}"
        endpoints.append(Endpoint(
            tuple(str(a) for a in _seq(ep.get("addresses"), f"{path}.addresses")),
            ready, _flag(cond.get("serving"), f"{path}.conditions.serving", ready),
            _flag(cond.get("terminating"), f"{path}.conditions.terminating"),
            _text(ep.get("nodeName"), f"{path}.nodeName") or None,
            _text(ep.get("hostname"), f"{path}.hostname"), target_pod))
    ports = []
    for i, p in enumerate(_seq(obj.get("ports"), "ports")):
        p = _map(p, f"ports[{i}]")
        ports.append(EndpointPort(_number(p.get("port"), f"ports[{i}].port", 0) or 0,
                                  _text(p.get("protocol"), f"ports[{i}].protocol") or "TCP",
                                  _text(p.get("name"), f"ports[{i}].name")))
    return EndpointSlice(doc.namespace, doc.name, labels.get(LABEL_SERVICE_NAME, ""),
                         _text(obj.get("addressType"), "addressType") or "IPv4",
                         tuple(endpoints), tuple(ports),
                         managed=labels.get(LABEL_MANAGED_BY) == ENDPOINTSLICE_CONTROLLER)


def _policy_rules(rules: list[Any], path: str, peers_key: str) -> tuple[NetworkPolicyRule, ...]:
    out = []
    for i, rule in enumerate(rules):
        rpath = f"{path}[{i}]"
        rule = _map(rule, rpath)
        peers = []
        for j, peer in enumerate(_get_list(rule, peers_key, rpath)):
            ppath = f"{rpath}.{peers_key}[{j}]"
            peer = _map(peer, ppath)
            block = None
            if peer.get("ipBlock") is not None:
                raw = _map(peer.get("ipBlock"), f"{ppath}.ipBlock")
                # lenient parser: 10.0.0.1/8 is taken as 10.0.0.0/8 (VAL-6)
                block = IPBlock(_cidr(raw.get("cidr"), f"{ppath}.ipBlock.cidr"), tuple(
                    _cidr(e, f"{ppath}.ipBlock.except[{k}]")
                    for k, e in enumerate(_seq(raw.get("except"), f"{ppath}.ipBlock.except"))))
            peers.append(NetworkPolicyPeer(
                _selector(peer["podSelector"], f"{ppath}.podSelector")
                if peer.get("podSelector") is not None else None,
                _selector(peer["namespaceSelector"], f"{ppath}.namespaceSelector")
                if peer.get("namespaceSelector") is not None else None,
                block))
        ports = []
        for j, port in enumerate(_get_list(rule, "ports", rpath)):
            ppath = f"{rpath}.ports[{j}]"
            port = _map(port, ppath)
            number = port.get("port")
            if number is not None and (isinstance(number, bool)
                                       or not isinstance(number, int | str)):
                raise _Bad(FieldError(f"{ppath}.port", INVALID, number,
                                      "expected integer or string"))
            ports.append(NetworkPolicyPort(_get_text(port, "protocol", ppath) or "TCP", number,
                                           _get_int(port, "endPort", ppath)))
        out.append(NetworkPolicyRule(tuple(peers), tuple(ports)))
    return tuple(out)


def _network_policy(doc: _Doc) -> NetworkPolicy:
    obj = doc.obj
    meta = _get_map(obj, "metadata", "")
    spec = _get_map(obj, "spec", "")
    ingress = _policy_rules(_get_list(spec, "ingress", "spec"), "spec.ingress", "from")
    egress = _policy_rules(_get_list(spec, "egress", "spec"), "spec.egress", "to")
    types = tuple(str(t) for t in _get_list(spec, "policyTypes", "spec"))
    if not types:
        # SetDefaults_NetworkPolicySpec: Ingress, plus Egress when there are egress rules (VAL-10)
        types = ("Ingress", "Egress") if egress else ("Ingress",)
    return NetworkPolicy(doc.namespace, doc.name,
                         _selector(spec.get("podSelector"), "spec.podSelector"), types,
                         ingress, egress, _get_labels(meta, "labels", "metadata"),
                         _get_labels(meta, "annotations", "metadata"))


def _cluster_config(obj: Mapping[str, Any]) -> ClusterConfig:
    """The ClusterLab `ClusterConfig` kind (issue #3); absent fields take the model's defaults,
    an absent `clusterCIDR` the chosen plugin's own default range (ipam.DEFAULT_CLUSTER_CIDRS)."""
    spec = _map(obj.get("spec"), "spec")
    cni = _map(spec.get("cni"), "spec.cni")
    plugin = _text(cni.get("plugin"), "spec.cni.plugin") or "flannel"
    if plugin not in CNI_MODES:
        raise _Bad(FieldError("spec.cni.plugin", UNSUPPORTED, plugin,
                              "supported values: " + ", ".join(f'"{p}"' for p in CNI_MODES)))
    mode = _text(cni.get("mode"), "spec.cni.mode") or CNI_MODES[plugin][0]
    if spec.get("clusterCIDR") is not None:
        cluster_cidr = _cidr(spec.get("clusterCIDR"), "spec.clusterCIDR")
    else:
        cluster_cidr = ipam.default_cluster_cidr(plugin)
    defaults = ClusterConfig()
    service_cidr = _cidr(spec["serviceCIDR"], "spec.serviceCIDR") \
        if spec.get("serviceCIDR") is not None else defaults.service_cidr
    port_range = defaults.node_port_range
    if spec.get("nodePortRange") is not None:
        text = _text(spec.get("nodePortRange"), "spec.nodePortRange")
        try:
            low, high = (int(p) for p in text.strip().split("-"))
        except ValueError:
            raise _Bad(FieldError("spec.nodePortRange", INVALID, text,
                                  'must be "<first>-<last>", e.g. "30000-32767"')) from None
        port_range = (low, high)
    dns = _map(spec.get("dns"), "spec.dns")
    upstream = {}
    for name, records in _map(dns.get("upstream"), "spec.dns.upstream").items():
        path = f"spec.dns.upstream[{name}]"
        records = _map(records, path)
        entry: dict[str, tuple[str, ...]] = {}
        for rtype, value in records.items():
            if isinstance(value, list):
                entry[str(rtype)] = tuple(str(v) for v in value)
            elif value is not None:
                entry[str(rtype)] = (str(value),)
        upstream[str(name)] = MappingProxyType(entry)
    resolv = _map(dns.get("nodeResolvConf"), "spec.dns.nodeResolvConf")
    hosts = []
    for i, host in enumerate(_seq(spec.get("externalHosts"), "spec.externalHosts")):
        path = f"spec.externalHosts[{i}]"
        host = _map(host, path)
        hosts.append(ExternalHost(
            _ip(host.get("ip"), f"{path}.ip"), _text(host.get("name"), f"{path}.name"),
            tuple(HostPort(_number(_map(p, f"{path}.listens[{j}]").get("port"),
                                   f"{path}.listens[{j}].port", 0) or 0,
                           _text(_map(p, f"{path}.listens[{j}]").get("protocol"),
                                 f"{path}.listens[{j}].protocol") or "TCP")
                  for j, p in enumerate(_seq(host.get("listens"), f"{path}.listens"))),
            tuple(HostRoute(_cidr(_map(r, f"{path}.routes[{j}]").get("dst"),
                                  f"{path}.routes[{j}].dst"),
                            _ip(_map(r, f"{path}.routes[{j}]").get("via"),
                                f"{path}.routes[{j}].via"))
                  for j, r in enumerate(_seq(host.get("routes"), f"{path}.routes")))))
    subnets = []
    for i, sub in enumerate(_seq(spec.get("subnets"), "spec.subnets")):
        path = f"spec.subnets[{i}]"
        sub = _map(sub, path)
        subnets.append(Subnet(_text(sub.get("name"), f"{path}.name"),
                              _cidr(sub.get("cidr"), f"{path}.cidr"),
                              _ip(sub["gateway"], f"{path}.gateway")
                              if sub.get("gateway") else None))
    faults = _map(spec.get("faults"), "spec.faults")
    return ClusterConfig(
        cni_plugin=plugin, cni_mode=mode,
        cross_subnet=_flag(cni.get("crossSubnet"), "spec.cni.crossSubnet"),
        cluster_cidr=cluster_cidr, service_cidr=service_cidr,
        cluster_domain=_text(spec.get("clusterDomain"), "spec.clusterDomain") or "cluster.local",
        kube_proxy_mode=_text(spec.get("kubeProxyMode"), "spec.kubeProxyMode") or "iptables",
        kube_proxy_replacement=_flag(spec.get("kubeProxyReplacement"), "spec.kubeProxyReplacement"),
        node_port_range=port_range,
        node_cidr_mask_size=_number(spec.get("nodeCIDRMaskSize"), "spec.nodeCIDRMaskSize",
                                    defaults.node_cidr_mask_size) or defaults.node_cidr_mask_size,
        dns_pods_mode=_text(dns.get("pods"), "spec.dns.pods") or "insecure",
        dns_upstream=MappingProxyType(upstream),
        node_nameservers=tuple(str(s) for s in _seq(resolv.get("nameservers"),
                                                    "spec.dns.nodeResolvConf.nameservers")),
        node_search=tuple(str(s) for s in _seq(resolv.get("search"),
                                               "spec.dns.nodeResolvConf.search")),
        external_hosts=tuple(hosts), subnets=tuple(subnets),
        faults=Faults(
            nodes_down=frozenset(str(n) for n in _seq(faults.get("nodesDown"),
                                                      "spec.faults.nodesDown")),
            kube_proxy_stopped=frozenset(str(n) for n in _seq(faults.get("kubeProxyStopped"),
                                                              "spec.faults.kubeProxyStopped")),
            cut_links=frozenset(frozenset(str(s) for s in _seq(link, f"spec.faults.cutLinks[{i}]"))
                                for i, link in enumerate(_seq(faults.get("cutLinks"),
                                                              "spec.faults.cutLinks"))),
            coredns_scaled_to_zero=_flag(faults.get("corednsScaledToZero"),
                                         "spec.faults.corednsScaledToZero"),
            node_mtu=MappingProxyType({
                str(k): int(v)
                for k, v in _map(faults.get("nodeMTU"), "spec.faults.nodeMTU").items()})))


# --------------------------------------------------------------------------- workloads

# apimachinery's utilrand alphabet: no vowels, no confusable characters.
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_SUFFIX_PAIRS = tuple(a + b for b in _ALPHANUMS for a in _ALPHANUMS)  # [i + 27*j] = A[i] + A[j]


# What `json.dumps(template, sort_keys=True, separators=(",", ":"), default=str)` builds
# per call, built once.
_TEMPLATE_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def pod_template_hash(template: Mapping[str, Any]) -> str:
    """`pod-template-hash` of a Deployment's pod template, deterministic from the template.

    The controller hashes the template to a 32-bit number (FNV-32a) and prints its
    decimal digits through `rand.SafeEncodeString`, so hashes only contain `4-9`, `b`,
    `c`, `d`, `f` (`7c5d8b9f6`). Go hashes its spew dump of the struct, which cannot be
    reproduced here; the 32-bit number is taken from the template's canonical JSON
    instead, so the value differs from a real cluster's but has its shape.
    """
    data = _TEMPLATE_JSON.encode(template).encode()
    number = int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "big")
    return str(number).translate(_SAFE_DIGITS)


# rand.SafeEncodeString on decimal digits: digit d becomes _ALPHANUMS[ord(d) % 27].
_SAFE_DIGITS = str.maketrans({d: _ALPHANUMS[ord(d) % len(_ALPHANUMS)] for d in "0123456789"})


def name_suffix(seed: str, length: int = 5) -> str:
    """A `generateName` style suffix (`2xkqp`), seeded instead of random."""
    n = ipam.seed_int(seed)
    if length == 5:  # two base-27 digits per table lookup
        return (_SUFFIX_PAIRS[n % 729] + _SUFFIX_PAIRS[n // 729 % 729]
                + _ALPHANUMS[n // 531441 % 27])
    out = []
    for _ in range(length):
        n, r = divmod(n, len(_ALPHANUMS))
        out.append(_ALPHANUMS[r])
    return "".join(out)


def _workload_pods(doc: _Doc) -> list[_PodDraft]:
    """Pods of a Deployment (`<deploy>-<pod-template-hash>-<5>`, through its ReplicaSet
    `<deploy>-<hash>`) or of a bare ReplicaSet (`<rs>-<5>`); all Running and Ready.

    `status.pods` (`[{name, nodeName, podIP}]`, what ClusterLab's API server recorded)
    keeps a running pod on its node with its IP: a real cluster never moves one when a node
    joins or a replica is added. Only pods of the current template carry those names."""
    obj = doc.obj
    pins = _observed_pods(_get_map(obj, "status", ""))
    spec = _get_map(obj, "spec", "")
    replicas = _get_int(spec, "replicas", "spec", 1)
    template = _get_map(spec, "template", "spec")
    tmeta = _get_map(template, "metadata", "spec.template")
    tspec = _get_map(template, "spec", "spec.template")
    labels = dict(_get_labels(tmeta, "labels", "spec.template.metadata"))
    if doc.kind == "Deployment":
        template_hash = pod_template_hash(template)
        rs_name = f"{doc.name}-{template_hash}"
        labels[LABEL_POD_TEMPLATE_HASH] = template_hash
    else:
        rs_name = doc.name
    fields = _pod_spec_fields(tspec, "spec.template.spec")
    frozen_labels = MappingProxyType(labels)
    annotations = _get_labels(tmeta, "annotations", "spec.template.metadata")
    pods: list[_PodDraft] = []
    if replicas <= 0:
        return pods
    # One draft by keyword, the replicas from its values with their own names.
    first = _PodDraft(
        seq=doc.seq, ref=doc.ref, namespace=doc.namespace, name="", labels=frozen_labels,
        annotations=annotations, owner=f"ReplicaSet/{rs_name}", terminating=False, ip=None,
        phase="Running", ready=True, path_prefix="spec.template.", **fields)
    values = list(_DRAFT_VALUES(first))
    seen: set[str] = set()
    for i in range(replicas):
        salt = 0
        name = f"{rs_name}-{name_suffix(f'{doc.namespace}/{rs_name}/{i}')}"
        while name in seen:
            salt += 1
            name = f"{rs_name}-{name_suffix(f'{doc.namespace}/{rs_name}/{i}/{salt}')}"
        seen.add(name)
        values[_DRAFT_NAME_AT] = name
        pod = _PodDraft(*values)
        pin = pins.get(name)
        if pin is not None and pod.node_name in (None, pin[0]):
            pod.node_name, pod.ip = pin
            pod.pinned = True
        pods.append(pod)
    return pods


def _observed_pods(status: Mapping[str, Any]) -> dict[str, tuple[str, IPv4Address | None]]:
    """name → (nodeName, podIP) from a workload's `status.pods`; malformed entries are
    skipped (status is the server's record, never the user's request)."""
    out: dict[str, tuple[str, IPv4Address | None]] = {}
    pods = status.get("pods") if status else None
    for pod in pods if isinstance(pods, list) else ():
        if not isinstance(pod, dict):
            continue
        name, node, ip = pod.get("name"), pod.get("nodeName"), pod.get("podIP")
        if isinstance(name, str) and isinstance(node, str) and node:
            try:
                address = IPv4Address(ip) if isinstance(ip, str) else None
            except ValueError:
                address = None
            out[name] = (node, address)
    return out


# --------------------------------------------------------------------------- implicit objects

COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.0"
COREDNS_REPLICAS = 2
_COREDNS_PORTS = (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp"),
                  ContainerPort(9153, "TCP", "metrics"))
_COREDNS_TEMPLATE: dict[str, Any] = {  # kubeadm's CoreDNS Deployment pod template (DNS-1)
    "metadata": {"labels": {"k8s-app": "kube-dns"}},
    "spec": {
        "containers": [{
            "name": "coredns", "image": COREDNS_IMAGE,
            "ports": [{"containerPort": p.container_port, "name": p.name, "protocol": p.protocol}
                      for p in _COREDNS_PORTS]}],
        "dnsPolicy": "Default",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-cluster-critical",
        "serviceAccountName": "coredns",
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}],
    },
}
COREDNS_TEMPLATE_HASH = pod_template_hash(_COREDNS_TEMPLATE)


def _is_control_plane(labels: Mapping[str, str]) -> bool:
    return any(key in labels for key in CONTROL_PLANE_KEYS)


def _kubernetes_service(config: ClusterConfig) -> Service:
    """`default/kubernetes` at the first address of the service range (SVC-1)."""
    return Service(
        "default", "kubernetes", ports=(ServicePort(443, "TCP", "https", 6443),),
        cluster_ip=ipam.ServiceIPAllocator(config.service_cidr).nth(1),
        labels=MappingProxyType({"component": "apiserver", "provider": "kubernetes"}))


def _kube_dns_service(config: ClusterConfig) -> Service:
    """`kube-system/kube-dns` at the 10th address of the service range (SVC-1, DNS-1)."""
    return Service(
        "kube-system", "kube-dns", selector=MappingProxyType({"k8s-app": "kube-dns"}),
        ports=(ServicePort(53, "UDP", "dns", 53), ServicePort(53, "TCP", "dns-tcp", 53),
               ServicePort(9153, "TCP", "metrics", 9153)),
        cluster_ip=ipam.ServiceIPAllocator(config.service_cidr).nth(10),
        labels=MappingProxyType({"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                 "kubernetes.io/name": "CoreDNS"}),
        annotations=MappingProxyType({"prometheus.io/port": "9153",
                                      "prometheus.io/scrape": "true"}))


def _api_server_node(nodes: Sequence[Node]) -> Node | None:
    return next((n for n in nodes if _is_control_plane(n.labels)), nodes[0] if nodes else None)


def _kubernetes_slice(nodes: Sequence[Node]) -> EndpointSlice | None:
    """The API server's endpoint: the first control-plane node's InternalIP, port 6443."""
    node = _api_server_node(nodes)
    if node is None:
        return None
    return EndpointSlice("default", "kubernetes", "kubernetes",
                         endpoints=(Endpoint((str(node.internal_ip),)),),
                         ports=(EndpointPort(6443, "TCP", "https"),))


def _coredns_pods(config: ClusterConfig, nodes: Sequence[Node]) -> list[Pod]:
    """kubeadm's two CoreDNS replicas, on the control plane (they tolerate its taint and
    start before workers join), else on the first nodes; none without nodes or when the
    fault `corednsScaledToZero` is set. `ip` is left None (allocated by the loader)."""
    if not nodes or config.faults.coredns_scaled_to_zero:
        return []
    ready = [n for n in nodes if n.ready]
    control = [n for n in ready if _is_control_plane(n.labels)]
    candidates = control or [n for n in ready if not n.unschedulable] or ready or list(nodes)
    rs_name = f"coredns-{COREDNS_TEMPLATE_HASH}"
    labels = MappingProxyType({"k8s-app": "kube-dns",
                               LABEL_POD_TEMPLATE_HASH: COREDNS_TEMPLATE_HASH})
    container = Container("coredns", COREDNS_IMAGE, _COREDNS_PORTS)
    return [Pod("kube-system", f"{rs_name}-{name_suffix(f'kube-system/{rs_name}/{i}')}", labels,
                node_name=candidates[i % len(candidates)].name, containers=(container,),
                dns_policy="Default", owner=f"ReplicaSet/{rs_name}")
            for i in range(COREDNS_REPLICAS)]


def implicit_objects(cluster: Cluster) -> dict[str, list[Any]]:
    """What the loader adds to `cluster`'s config and nodes when the manifests lack it,
    by collection name (`namespaces`, `services`, `endpoint_slices`, `pods`; pods without IP)."""
    slice_ = _kubernetes_slice(cluster.nodes)
    return {
        "namespaces": [Namespace(n, MappingProxyType({LABEL_NAMESPACE_NAME: n}))
                       for n in SYSTEM_NAMESPACES],
        "services": [_kubernetes_service(cluster.config), _kube_dns_service(cluster.config)],
        "endpoint_slices": [slice_] if slice_ is not None else [],
        "pods": _coredns_pods(cluster.config, cluster.nodes),
    }


# --------------------------------------------------------------------------- the loader


@dataclass(slots=True)
class _Problems:
    items: list[tuple[int, int, Problem]] = field(default_factory=list)

    def add(self, seq: int, error: FieldError, ref: ObjectRef | None) -> None:
        self.items.append((seq, len(self.items), Problem(error, ref)))

    def sorted(self) -> list[Problem]:
        return [p for _, _, p in sorted(self.items, key=lambda t: (t[0], t[1]))]


def _tolerates(tolerations: tuple[Toleration, ...], taint: Taint) -> bool:
    key, value, effect = taint
    for t_key, operator, t_value, t_effect in tolerations:
        if t_effect and t_effect != effect:
            continue
        if operator == "Exists":
            if not t_key or t_key == key:
                return True
        elif t_key == key and t_value == value:
            return True
    return False


class _Build:
    """One load: documents in, a Cluster (or every problem) out. See `load`."""

    def __init__(self, raw: list[tuple[str, Any]], parse_problems: list[tuple[int, Problem]]):
        self.raw = raw
        self.problems = _Problems()
        for seq, problem in parse_problems:
            self.problems.items.append((seq, len(self.problems.items), problem))
        self.docs: list[_Doc] = []
        self.seq = 0

    # ---- documents

    def _flatten(self, label: str, obj: Any, seq: int) -> None:
        # `type(x) is dict` first: isinstance against the Mapping ABC is slow per document.
        if type(obj) is not dict and not isinstance(obj, Mapping):
            self.problems.add(seq, FieldError(label, INVALID, detail=(
                "a manifest document must be an object with apiVersion, kind and metadata")), None)
            return
        kind = obj.get("kind")
        if isinstance(kind, str) and kind.endswith("List"):
            items = obj.get("items")
            if isinstance(items, list) and (kind == "List" or kind[:-4] in KINDS):
                for i, item in enumerate(items):
                    self._flatten(f"{label}:items[{i}]", item, seq)
                return
        meta = obj.get("metadata")
        if type(meta) is not dict and not isinstance(meta, Mapping):
            meta = {}
        name = meta.get("name")
        if not isinstance(name, str):
            name = ""
        namespace = meta.get("namespace")
        if not isinstance(namespace, str):
            namespace = ""
        kind_s = kind if isinstance(kind, str) else ""
        info = _KIND_INFO.get(kind_s)
        if not name and isinstance(meta.get("generateName"), str) and meta["generateName"]:
            base = meta["generateName"]
            name = base + name_suffix(f"{kind_s}/{namespace}/{base}/{len(self.docs)}")
        if kind_s == "ClusterConfig" and not name:
            name = "cluster"  # the singleton's name when it has none (as exported)
        if info is not None and info.namespaced:
            namespace = namespace or "default"
        elif info is not None:
            namespace = ""
        self.docs.append(_Doc(seq, label, obj, kind_s, name, namespace))

    def _known(self, doc: _Doc) -> bool:
        obj = doc.obj
        api = obj.get("apiVersion")
        info = _KIND_INFO.get(doc.kind)
        if info is not None and info.api_version == api:
            return True  # the common case, decided without building a reference
        ref = ObjectRef(doc.kind or "<unknown>", doc.name, doc.namespace, doc.source)
        missing = False
        if not isinstance(api, str) or not api:
            self.problems.add(doc.seq, FieldError("apiVersion", REQUIRED,
                                                  detail="apiVersion not set"), ref)
            missing = True
        if not doc.kind:
            self.problems.add(doc.seq, FieldError("kind", REQUIRED, detail="kind not set"), ref)
            missing = True
        if missing:
            return False
        info = KINDS.get(doc.kind)
        if info is None or info.api_version != api:
            supported = ", ".join(f"{i.api_version} {k}" for k, i in KINDS.items())
            self.problems.add(doc.seq, FieldError(
                "kind" if info is None else "apiVersion", UNSUPPORTED,
                doc.kind if info is None else api,
                f'no matches for kind "{doc.kind}" in version "{api}" '
                f"(ClusterLab simulates {supported})"), ref)
            return False
        return True

    def _validate(self, doc: _Doc) -> bool:
        module = _validation()
        if module is None:
            return True
        errors, unknown = module.check_object(doc.kind, doc.obj)  # one decoding walk
        decode_failed = bool(errors) and all(
            e.type == INVALID and e.detail.startswith("expected ") for e in errors)
        if unknown and not decode_failed:
            # Strict decoding rejects the object (400 BadRequest) before validation runs,
            # so the API answers with the unknown fields only (VAL-1).
            errors = [FieldError(path, UNKNOWN_FIELD, detail=f'unknown field "{path}"')
                      for path in unknown]
        for error in errors:
            self.problems.add(doc.seq, error, doc.ref)
        return not errors

    def _convert(self, doc: _Doc, converter: Any) -> Any:
        try:
            return converter(doc)
        except _Bad as bad:
            self.problems.add(doc.seq, bad.error, doc.ref)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            self.problems.add(doc.seq, FieldError(doc.kind or "object", INVALID,
                                                  detail=f"cannot be read: {exc}"), doc.ref)
        return None

    # ---- the pipeline

    def run(self) -> Cluster:
        # A load allocates a large acyclic graph of small objects; the cyclic collector's
        # passes over it find nothing and cost ~20% of the time, so it waits till the end.
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if paused:
                gc.enable()

    def _run(self) -> Cluster:
        for label, obj in self.raw:
            self._flatten(label, obj, self.seq)
            self.seq += 1
        docs = [d for d in self.docs if self._known(d)]
        valid = {id(d): self._validate(d) for d in docs}

        # Identities: duplicates, and the names that exist (even if invalid) so that one
        # bad object does not also make its dependents fail.
        first: dict[tuple[str, str, str], _Doc] = {}
        config_doc: _Doc | None = None
        kept: list[_Doc] = []
        for doc in docs:
            if doc.kind == "ClusterConfig":
                if config_doc is not None:
                    self.problems.add(doc.seq, FieldError(
                        "kind", DUPLICATE, "ClusterConfig",
                        f"a cluster has one ClusterConfig (first in {config_doc.source})"), doc.ref)
                    continue
                config_doc = doc
                continue
            if not doc.name:
                continue  # validation reported the missing name
            key = (doc.kind, doc.namespace, doc.name)
            if key in first:
                info = KINDS[doc.kind]
                self.problems.add(doc.seq, FieldError(
                    "metadata.name", DUPLICATE, doc.name,
                    f'{info.resource} "{doc.name}" already exists (first in {first[key].source})'),
                    doc.ref)
                continue
            first[key] = doc
            kept.append(doc)
        namespace_names = {d.name for d in kept if d.kind == "Namespace"} | set(SYSTEM_NAMESPACES)
        node_doc_names = {d.name for d in kept if d.kind == "Node"}
        usable = []
        for doc in kept:
            if doc.namespace and doc.namespace not in namespace_names:
                self.problems.add(doc.seq, FieldError(
                    "metadata.namespace", NOT_FOUND, doc.namespace,
                    f'namespaces "{doc.namespace}" not found'), doc.ref)
                continue
            if valid[id(doc)]:
                usable.append(doc)

        config = ClusterConfig()
        if config_doc is not None and valid[id(config_doc)]:
            got = self._convert(config_doc, lambda d: _cluster_config(d.obj))
            if got is not None:
                config = got
        self.config = config

        # Workloads whose pods (or ReplicaSets) are in the input were dumped from a real
        # cluster: their pods are already there, so they are not expanded again.
        owners: set[tuple[str, str, str]] = set()
        for doc in usable:
            if doc.kind in ("Pod", "ReplicaSet"):
                meta = doc.obj.get("metadata") or {}
                for ref in meta.get("ownerReferences") or ():
                    if isinstance(ref, Mapping):
                        owners.add((str(ref.get("kind")), doc.namespace, str(ref.get("name"))))

        namespaces: list[Namespace] = []
        node_drafts: list[_NodeDraft] = []
        pods: list[_PodDraft] = []
        services: list[_ServiceDraft] = []
        slices: list[EndpointSlice] = []
        policies: list[NetworkPolicy] = []
        for doc in usable:
            kind = doc.kind
            if kind == "Namespace":
                got = self._convert(doc, _namespace)
                if got is not None:
                    namespaces.append(got)
            elif kind == "Node":
                got = self._convert(doc, _node)
                if got is not None:
                    node_drafts.append(got)
            elif kind == "Pod":
                got = self._convert(doc, _pod)
                if got is not None:
                    pods.append(got)
            elif kind in ("Deployment", "ReplicaSet"):
                if (kind, doc.namespace, doc.name) in owners:
                    continue
                got = self._convert(doc, _workload_pods)
                if got is not None:
                    pods.extend(got)
            elif kind == "Service":
                got = self._convert(doc, _service)
                if got is not None:
                    services.append(got)
            elif kind == "EndpointSlice":
                got = self._convert(doc, _endpoint_slice)
                if got is not None:
                    slices.append(got)
            elif kind == "NetworkPolicy":
                got = self._convert(doc, _network_policy)
                if got is not None:
                    policies.append(got)

        nodes = self._nodes(node_drafts)
        node_by_name = {n.name: n for n in nodes}

        # Implicit objects (kubeadm): system namespaces first, as they exist first.
        declared = {n.name for n in namespaces}
        namespaces = [Namespace(n, MappingProxyType({LABEL_NAMESPACE_NAME: n}))
                      for n in SYSTEM_NAMESPACES if n not in declared] + namespaces
        service_keys = {d.service.key for d in services}
        implicit_services = []
        for svc in (_kubernetes_service(config), _kube_dns_service(config)):
            if svc.key not in service_keys:
                implicit_services.append(_ServiceDraft(
                    -1, ObjectRef("Service", svc.name, svc.namespace), svc, False))
        services = implicit_services + services
        if not any(s.namespace == "default" and "kubernetes" in (s.service_name, s.name)
                   for s in slices):
            slice_ = _kubernetes_slice(nodes)
            if slice_ is not None:
                slices.insert(0, slice_)
        has_dns_pods = any(p.namespace == "kube-system" and p.labels.get("k8s-app") == "kube-dns"
                           for p in pods)
        implicit_pods = []
        if not has_dns_pods:
            for pod in _coredns_pods(config, nodes):
                implicit_pods.append(_PodDraft(
                    seq=-1, ref=ObjectRef("Pod", pod.name, pod.namespace), namespace=pod.namespace,
                    name=pod.name, labels=pod.labels, annotations=pod.annotations,
                    containers=pod.containers, host_network=False, hostname="", subdomain="",
                    dns_policy=pod.dns_policy, dns_config=None, owner=pod.owner,
                    terminating=False, node_name=pod.node_name, ip=None, phase="Running",
                    ready=True))
        pods = implicit_pods + pods

        pods = self._check_pod_keys(pods)
        self._schedule(pods, node_drafts, nodes)
        pods = self._place(pods, node_by_name, node_doc_names)
        self._address_pods(pods, nodes, node_by_name)
        final_services = self._allocate_services(services)

        if self.problems.items:
            raise ManifestError(self.problems.sorted())
        return Cluster(config=config, namespaces=tuple(namespaces), nodes=tuple(nodes),
                       pods=tuple(p.build() for p in pods), services=tuple(final_services),
                       network_policies=tuple(policies), endpoint_slices=tuple(slices))

    # ---- nodes

    def _nodes(self, drafts: list[_NodeDraft]) -> list[Node]:
        config = self.config
        # InternalIPs: keep given ones (unique), give the others the next free address.
        owner: dict[IPv4Address, str] = {}
        for d in drafts:
            if d.ip is None:
                continue
            if d.ip in owner:
                self.problems.add(d.seq, FieldError(
                    d.ip_path, DUPLICATE, str(d.ip),
                    f'already the InternalIP of node "{owner[d.ip]}"'), d.ref)
            else:
                owner[d.ip] = d.name
        network = config.subnets[0].cidr if config.subnets else DEFAULT_NODE_NETWORK
        gateway = config.subnets[0].gateway if config.subnets else None
        taken = {int(ip) for ip in owner} | ({int(gateway)} if gateway else set())
        host = int(network.network_address) + FIRST_NODE_HOST
        last = int(network.broadcast_address) - 1
        for d in drafts:
            if d.ip is not None:
                continue
            while host <= last and host in taken:
                host += 1
            if host > last:
                self.problems.add(d.seq, FieldError(
                    "status.addresses", REQUIRED,
                    detail=f"no InternalIP given and no free address left in {network}"), d.ref)
                continue
            d.ip = IPv4Address(host)
            taken.add(host)
        # podCIDRs (NET-2): kept when given (they must not overlap), else allocated in order.
        given = sorted((d for d in drafts if d.pod_cidr is not None),
                       key=lambda d: (int(d.pod_cidr.network_address), d.seq))  # type: ignore[union-attr]
        reach = -1
        previous: _NodeDraft | None = None
        for d in given:
            assert d.pod_cidr is not None
            if previous is not None and int(d.pod_cidr.network_address) <= reach:
                self.problems.add(d.seq, FieldError(
                    "spec.podCIDR", INVALID, str(d.pod_cidr),
                    f'overlaps the podCIDR {previous.pod_cidr} of node "{previous.name}"'), d.ref)
            if int(d.pod_cidr.broadcast_address) > reach:
                reach, previous = int(d.pod_cidr.broadcast_address), d
        cidrs = ipam.allocate_node_cidrs(config.cluster_cidr, config.node_cidr_mask_size,
                                         [d.pod_cidr for d in drafts])
        nodes = []
        for d, cidr in zip(drafts, cidrs, strict=True):
            if cidr is None and config.cni_plugin in ("flannel", "canal"):
                self.problems.add(d.seq, FieldError(
                    "spec.podCIDR", REQUIRED,
                    detail=f"no free /{config.node_cidr_mask_size} left in clusterCIDR "
                           f"{config.cluster_cidr} (kube-controller-manager: CIDRNotAvailable)"),
                    d.ref)
            if d.ip is None:
                continue
            d.pod_cidr = cidr
            nodes.append(Node(d.name, d.ip, cidr, d.ready, d.unschedulable, d.labels,
                              d.annotations))
        return nodes

    # ---- pods

    def _check_pod_keys(self, pods: list[_PodDraft]) -> list[_PodDraft]:
        """Pods made from workloads may collide with pods written by hand."""
        seen: dict[str, _PodDraft] = {}
        out = []
        for pod in pods:
            other = seen.get(pod.key)
            if other is not None:
                if pod.path_prefix or other.path_prefix:  # same names from two sources
                    self.problems.add(pod.seq, FieldError(
                        "metadata.name", DUPLICATE, pod.name,
                        f'pods "{pod.name}" already exists (first from {other.ref})'), pod.ref)
                continue
            seen[pod.key] = pod
            out.append(pod)
        return out

    def _schedule(self, pods: list[_PodDraft], drafts: list[_NodeDraft],
                  nodes: list[Node]) -> None:
        """Place pods without `spec.nodeName`: the least loaded eligible node, ties by name —
        round robin over Ready, schedulable nodes whose taints the pod tolerates (kubeadm's
        control-plane taint) and whose labels match its nodeSelector. No node: Pending."""
        present = {n.name for n in nodes}
        for pod in pods:
            if pod.pinned and pod.node_name not in present:  # its node is gone: reschedule
                pod.node_name, pod.ip, pod.pinned = None, None, False
        pending = [p for p in pods if p.node_name is None]
        if not pending or not nodes:
            return
        by_name = {d.name: d for d in drafts if d.name in present}
        if self.config.cni_plugin in ("flannel", "canal"):
            # A pod whose IP was given belongs on the node whose podCIDR holds it.
            for pod in pending:
                if pod.ip is not None:
                    pod.node_name = next(
                        (n.name for n in nodes if n.pod_cidr and pod.ip in n.pod_cidr), None)
        load: dict[str, int] = dict.fromkeys(by_name, 0)
        for pod in pods:
            if pod.node_name in load:
                load[pod.node_name] += 1
        base = sorted((d for d in by_name.values() if d.ready and not d.unschedulable),
                      key=lambda d: d.name)
        heaps: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
        for pod in pending:
            if pod.node_name is not None:
                continue
            key = (pod.tolerations, pod.node_selector)
            heap = heaps.get(key)
            if heap is None:
                heap = [(load[d.name], d.name) for d in base
                        if all(_tolerates(pod.tolerations, t) for t in d.taints
                               if t[2] in ("NoSchedule", "NoExecute"))
                        and all(d.labels.get(k) == v for k, v in pod.node_selector)]
                heapq.heapify(heap)
                heaps[key] = heap
            while heap and heap[0][0] != load[heap[0][1]]:
                heapq.heapreplace(heap, (load[heap[0][1]], heap[0][1]))
            if not heap:
                continue
            count, name = heap[0]
            pod.node_name = name
            load[name] = count + 1
            heapq.heapreplace(heap, (count + 1, name))

    def _place(self, pods: list[_PodDraft], node_by_name: Mapping[str, Node],
               node_doc_names: set[str]) -> list[_PodDraft]:
        out = []
        for pod in pods:
            if pod.node_name is None:
                # Unschedulable or no node at all: Pending, no IP.
                pod.phase, pod.ready, pod.ip = "Pending", False, None
            elif pod.node_name not in node_by_name:
                if pod.node_name not in node_doc_names:
                    self.problems.add(pod.seq, FieldError(
                        pod.path_prefix + "spec.nodeName", NOT_FOUND, pod.node_name,
                        f'nodes "{pod.node_name}" not found'), pod.ref)
                continue
            elif pod.host_network:
                pod.ip = node_by_name[pod.node_name].internal_ip  # status.podIP == hostIP (NET-1)
            out.append(pod)
        return out

    def _address_pods(self, pods: list[_PodDraft], nodes: list[Node],
                      node_by_name: Mapping[str, Node]) -> None:
        network = ipam.pod_network(self.config, nodes)
        holder: dict[IPv4Address, _PodDraft] = {}
        for pod in pods:
            if pod.ip is None or pod.host_network or pod.node_name is None \
                    or pod.phase in ipam.TERMINATED_PHASES:
                continue
            other = holder.get(pod.ip)
            if pod.pinned and (other is not None or network.check(pod.node_name, pod.ip)):
                pod.ip = None  # the recorded IP no longer fits (the CIDR changed): a new one
                continue
            if other is not None:
                self.problems.add(pod.seq, FieldError(
                    "status.podIP", DUPLICATE, str(pod.ip),
                    f"already the IP of pod {other.key}"), pod.ref)
                continue
            holder[pod.ip] = pod
            reason = network.check(pod.node_name, pod.ip)
            if reason:
                self.problems.add(pod.seq, FieldError("status.podIP", INVALID, str(pod.ip), reason),
                                  pod.ref)
            network.reserve(pod.node_name, pod.ip)
        network.setup()
        for pod in pods:
            if pod.ip is not None or pod.node_name is None or pod.host_network \
                    or pod.phase != "Running":
                continue
            try:
                pod.ip = network.allocate(pod.node_name, pod.key)
            except ipam.AllocationError as exc:
                self.problems.add(pod.seq, FieldError("status.podIP", SANDBOX_ERROR,
                                                      detail=str(exc)), pod.ref)

    # ---- services

    def _allocate_services(self, drafts: list[_ServiceDraft]) -> list[Service]:
        """ClusterIPs then NodePorts (SVC-2, SVC-3, VAL-9). Requested values are reserved
        first, in manifest order; the rest is allocated from the dynamic bands."""
        config = self.config
        ips = ipam.ServiceIPAllocator(config.service_cidr)
        special = {"default/kubernetes": 1, "kube-system/kube-dns": 10}
        for d in drafts:  # kubeadm's fixed addresses
            if d.needs_ip and d.service.key in special:
                d.service = replace(d.service, cluster_ip=ips.nth(special[d.service.key]))
                d.needs_ip = False
        ordered = sorted(drafts, key=lambda d: (d.service.key not in special, d.seq))
        for d in ordered:
            ip = d.service.cluster_ip
            if ip is None or d.needs_ip:
                continue
            try:
                ips.allocate(ip)
            except ipam.AllocationError as exc:
                self.problems.add(d.seq, FieldError("spec.clusterIPs", INVALID, [str(ip)],
                                                    f"failed to allocate IP {ip}: {exc}"), d.ref)
        for d in drafts:
            if d.needs_ip:
                try:
                    d.service = _with_cluster_ip(d.service, ips.allocate_next(d.service.key))
                except ipam.AllocationError as exc:
                    self.problems.add(d.seq, FieldError(
                        "spec.clusterIPs", INTERNAL_ERROR,
                        detail=f"failed to allocate a serviceIP: {exc}"), d.ref)

        ports = ipam.NodePortAllocator(config.node_port_range)

        def wants_node_ports(svc: Service) -> bool:
            return svc.type == "NodePort" or (svc.type == "LoadBalancer"
                                              and svc.allocate_load_balancer_node_ports)

        def wants_health_check(svc: Service) -> bool:
            return svc.type == "LoadBalancer" and svc.external_traffic_policy == "Local"

        for d in drafts:
            svc = d.service
            if svc.type not in ("NodePort", "LoadBalancer"):
                continue
            shared: dict[int, int] = {}
            for i, port in enumerate(svc.ports):
                if port.node_port is None or shared.get(port.port) == port.node_port:
                    continue
                try:
                    ports.allocate(port.node_port)
                    shared[port.port] = port.node_port
                except ipam.AllocationError as exc:
                    self.problems.add(d.seq, FieldError(f"spec.ports[{i}].nodePort", INVALID,
                                                        port.node_port, str(exc)), d.ref)
            if svc.health_check_node_port is not None and wants_health_check(svc):
                try:
                    ports.allocate(svc.health_check_node_port)
                except ipam.AllocationError as exc:
                    self.problems.add(d.seq, FieldError(
                        "spec.healthCheckNodePort", INVALID, svc.health_check_node_port,
                        f"failed to allocate requested HealthCheck NodePort "
                        f"{svc.health_check_node_port}: {exc}"), d.ref)
        out = []
        for d in drafts:
            svc = d.service
            if wants_node_ports(svc) and any(p.node_port is None for p in svc.ports):
                # Ports with the same number share one nodePort (53/UDP + 53/TCP), as in
                # the registry's initNodePorts.
                shared = {p.port: p.node_port for p in svc.ports if p.node_port is not None}
                new_ports = []
                for port in svc.ports:
                    if port.node_port is None:
                        if port.port not in shared:
                            try:
                                shared[port.port] = ports.allocate_next(f"{svc.key}:{port.port}")
                            except ipam.AllocationError as exc:
                                self.problems.add(d.seq, FieldError(
                                    "spec.ports", INTERNAL_ERROR,
                                    detail=f"failed to allocate a nodePort: {exc}"), d.ref)
                                shared[port.port] = None  # type: ignore[assignment]
                        port = replace(port, node_port=shared[port.port])
                    new_ports.append(port)
                svc = replace(svc, ports=tuple(new_ports))
            if wants_health_check(svc) and svc.health_check_node_port is None:
                try:
                    svc = replace(svc, health_check_node_port=ports.allocate_next(
                        f"{svc.key}:healthCheckNodePort"))
                except ipam.AllocationError as exc:
                    self.problems.add(d.seq, FieldError(
                        "spec.healthCheckNodePort", INTERNAL_ERROR,
                        detail=f"failed to allocate a nodePort: {exc}"), d.ref)
            out.append(svc)
        return out


# --------------------------------------------------------------------------- export

_OWNER_API_VERSIONS = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1", "DaemonSet": "apps/v1",
                       "StatefulSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}
DELETION_TIMESTAMP = "1970-01-01T00:00:00Z"  # the model keeps "terminating", not when


def _meta(name: str, namespace: str = "", labels: Mapping[str, str] = EMPTY_LABELS,
          annotations: Mapping[str, str] = EMPTY_LABELS) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if namespace:
        out["namespace"] = namespace
    if labels:
        out["labels"] = dict(labels)
    if annotations:
        out["annotations"] = dict(annotations)
    return out


def _selector_doc(sel: LabelSelector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = dict(sel.match_labels)
    if sel.match_expressions:
        out["matchExpressions"] = [
            {"key": r.key, "operator": r.operator,
             **({"values": list(r.values)} if r.values else {})}
            for r in sel.match_expressions]
    return out


def _config_doc(config: ClusterConfig) -> dict[str, Any]:
    """Every field written out, except a `clusterCIDR` equal to the plugin's default: left
    out it loads back the same, and Cilium's default 10.0.0.0/8 written out would be
    refused for overlapping the default service range."""
    faults = config.faults
    upstream = {}
    for name, records in config.dns_upstream.items():
        upstream[name] = {
            rtype: values[0] if rtype == "CNAME" and len(values) == 1 else list(values)
            for rtype, values in records.items()}
    return {
        "apiVersion": CLUSTERLAB_API_VERSION, "kind": "ClusterConfig",
        "metadata": {"name": "cluster"},
        "spec": {
            "cni": {"plugin": config.cni_plugin, "mode": config.cni_mode,
                    "crossSubnet": config.cross_subnet},
            **({} if config.cluster_cidr == ipam.default_cluster_cidr(config.cni_plugin)
               else {"clusterCIDR": str(config.cluster_cidr)}),
            "serviceCIDR": str(config.service_cidr),
            "clusterDomain": config.cluster_domain, "kubeProxyMode": config.kube_proxy_mode,
            "kubeProxyReplacement": config.kube_proxy_replacement,
            "nodePortRange": f"{config.node_port_range[0]}-{config.node_port_range[1]}",
            "nodeCIDRMaskSize": config.node_cidr_mask_size,
            "dns": {"pods": config.dns_pods_mode, "upstream": upstream,
                    "nodeResolvConf": {"nameservers": list(config.node_nameservers),
                                       "search": list(config.node_search)}},
            "externalHosts": [
                {"ip": str(h.ip), **({"name": h.name} if h.name else {}),
                 "listens": [{"port": p.port, "protocol": p.protocol} for p in h.listens],
                 "routes": [{"dst": str(r.dst), "via": str(r.via)} for r in h.routes]}
                for h in config.external_hosts],
            "subnets": [{"name": s.name, "cidr": str(s.cidr),
                         **({"gateway": str(s.gateway)} if s.gateway else {})}
                        for s in config.subnets],
            "faults": {
                "nodesDown": sorted(faults.nodes_down),
                "kubeProxyStopped": sorted(faults.kube_proxy_stopped),
                "cutLinks": sorted(sorted(pair) for pair in faults.cut_links),
                "corednsScaledToZero": faults.coredns_scaled_to_zero,
                "nodeMTU": dict(faults.node_mtu),
            },
        },
    }


def _namespace_doc(ns: Namespace) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": _meta(ns.name, labels=ns.labels, annotations=ns.annotations)}


def _node_doc(node: Node) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if node.pod_cidr is not None:
        spec["podCIDR"] = str(node.pod_cidr)
        spec["podCIDRs"] = [str(node.pod_cidr)]
    if node.unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": _meta(node.name, labels=node.labels, annotations=node.annotations),
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": str(node.internal_ip)},
                          {"type": "Hostname", "address": node.name}],
            "conditions": [{"type": "Ready", "status": "True" if node.ready else "False"}],
        },
    }


def _pod_doc(pod: Pod, node_ips: Mapping[str, IPv4Address]) -> dict[str, Any]:
    meta = _meta(pod.name, pod.namespace, pod.labels, pod.annotations)
    if pod.owner:
        kind, _, name = pod.owner.partition("/")
        meta["ownerReferences"] = [{
            "apiVersion": _OWNER_API_VERSIONS.get(kind, "v1"), "kind": kind, "name": name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"clusterlab:{pod.namespace}/{pod.owner}")),
            "controller": True, "blockOwnerDeletion": True}]
    if pod.terminating:
        meta["deletionTimestamp"] = DELETION_TIMESTAMP
    containers = []
    for c in pod.containers:
        doc: dict[str, Any] = {"name": c.name}
        if c.image:
            doc["image"] = c.image
        if c.ports:
            doc["ports"] = [{"containerPort": p.container_port, "protocol": p.protocol,
                             **({"name": p.name} if p.name else {}),
                             **({"hostPort": p.host_port} if p.host_port else {})}
                            for p in c.ports]
        containers.append(doc)
    spec: dict[str, Any] = {"containers": containers, "dnsPolicy": pod.dns_policy}
    if pod.node_name:
        spec["nodeName"] = pod.node_name
    if pod.host_network:
        spec["hostNetwork"] = True
    if pod.hostname:
        spec["hostname"] = pod.hostname
    if pod.subdomain:
        spec["subdomain"] = pod.subdomain
    if pod.dns_config is not None:
        cfg: dict[str, Any] = {}
        if pod.dns_config.nameservers:
            cfg["nameservers"] = list(pod.dns_config.nameservers)
        if pod.dns_config.searches:
            cfg["searches"] = list(pod.dns_config.searches)
        if pod.dns_config.options:
            cfg["options"] = [{"name": n, **({"value": v} if v is not None else {})}
                              for n, v in pod.dns_config.options]
        spec["dnsConfig"] = cfg
    status: dict[str, Any] = {"phase": pod.phase}
    conditions = [{"type": "Ready", "status": "True" if pod.ready else "False"}]
    if pod.node_name is None:
        conditions.insert(0, {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"})
    status["conditions"] = conditions
    host_ip = node_ips.get(pod.node_name or "")
    if host_ip is not None:
        status["hostIP"] = str(host_ip)
        status["hostIPs"] = [{"ip": str(host_ip)}]
    if pod.ip is not None:
        status["podIP"] = str(pod.ip)
        status["podIPs"] = [{"ip": str(pod.ip)}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _service_doc(svc: Service) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": svc.type}
    if svc.selector:
        spec["selector"] = dict(svc.selector)
    if svc.ports:
        ports = []
        for p in svc.ports:
            doc: dict[str, Any] = {"port": p.port, "protocol": p.protocol,
                                   "targetPort": p.target_port}
            if p.name:
                doc["name"] = p.name
            if p.node_port is not None:
                doc["nodePort"] = p.node_port
            if p.app_protocol:
                doc["appProtocol"] = p.app_protocol
            ports.append(doc)
        spec["ports"] = ports
    if svc.type == "ExternalName":
        spec["externalName"] = svc.external_name
    else:
        if svc.headless:
            spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
        elif svc.cluster_ip is not None:
            spec["clusterIP"], spec["clusterIPs"] = str(svc.cluster_ip), [str(svc.cluster_ip)]
        spec["ipFamilies"] = ["IPv4"]
        spec["ipFamilyPolicy"] = "SingleStack"
        spec["internalTrafficPolicy"] = svc.internal_traffic_policy
    spec["sessionAffinity"] = svc.session_affinity
    if svc.session_affinity == "ClientIP":
        spec["sessionAffinityConfig"] = {
            "clientIP": {"timeoutSeconds": svc.session_affinity_timeout}}
    if svc.external_ips:
        spec["externalIPs"] = [str(ip) for ip in svc.external_ips]
    if svc.external_traffic_policy:
        spec["externalTrafficPolicy"] = svc.external_traffic_policy
    if svc.health_check_node_port is not None:
        spec["healthCheckNodePort"] = svc.health_check_node_port
    if svc.type == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = svc.allocate_load_balancer_node_ports
    if svc.load_balancer_source_ranges:
        spec["loadBalancerSourceRanges"] = [str(n) for n in svc.load_balancer_source_ranges]
    if svc.publish_not_ready_addresses:
        spec["publishNotReadyAddresses"] = True
    ingress = []
    for value in svc.load_balancer_ingress:
        try:
            ip_address(value)
        except ValueError:
            ingress.append({"hostname": value})
        else:
            ingress.append({"ip": value, "ipMode": svc.load_balancer_ip_mode})
    status: dict[str, Any] = {"loadBalancer": {"ingress": ingress} if ingress else {}}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": _meta(svc.name, svc.namespace, svc.labels, svc.annotations),
            "spec": spec, "status": status}


def _slice_doc(es: EndpointSlice) -> dict[str, Any]:
    labels = {LABEL_SERVICE_NAME: es.service_name} if es.service_name else {}
    if es.managed:
        labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER
    endpoints = []
    for ep in es.endpoints:
        doc: dict[str, Any] = {"addresses": list(ep.addresses), "conditions": {
            "ready": ep.ready, "serving": ep.serving, "terminating": ep.terminating}}
        if ep.node_name:
            doc["nodeName"] = ep.node_name
        if ep.hostname:
            doc["hostname"] = ep.hostname
        if ep.target_pod:
            ns, _, name = ep.target_pod.partition("/")
            doc["targetRef"] = {"kind": "Pod", "namespace": ns, "name": name}
        endpoints.append(doc)
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": _meta(es.name, es.namespace, labels),
            "addressType": es.address_type, "endpoints": endpoints,
            "ports": [{"port": p.port, "protocol": p.protocol,
                       **({"name": p.name} if p.name else {})} for p in es.ports]}


def _peer_doc(peer: NetworkPolicyPeer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if peer.pod_selector is not None:
        out["podSelector"] = _selector_doc(peer.pod_selector)
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = _selector_doc(peer.namespace_selector)
    if peer.ip_block is not None:
        block: dict[str, Any] = {"cidr": str(peer.ip_block.cidr)}
        if peer.ip_block.except_:
            block["except"] = [str(n) for n in peer.ip_block.except_]
        out["ipBlock"] = block
    return out


def _rules_doc(rules: tuple[NetworkPolicyRule, ...], peers_key: str) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        doc: dict[str, Any] = {}
        if rule.peers:
            doc[peers_key] = [_peer_doc(p) for p in rule.peers]
        if rule.ports:
            doc["ports"] = [{"protocol": p.protocol,
                             **({"port": p.port} if p.port is not None else {}),
                             **({"endPort": p.end_port} if p.end_port is not None else {})}
                            for p in rule.ports]
        out.append(doc)
    return out


def _policy_doc(np: NetworkPolicy) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": _selector_doc(np.pod_selector),
                            "policyTypes": list(np.policy_types)}
    if np.ingress:
        spec["ingress"] = _rules_doc(np.ingress, "from")
    if np.egress:
        spec["egress"] = _rules_doc(np.egress, "to")
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": _meta(np.name, np.namespace, np.labels, np.annotations), "spec": spec}


def to_documents(cluster: Cluster, include_implicit: bool = False) -> list[dict[str, Any]]:
    """The cluster as Kubernetes objects: ClusterConfig, Namespaces, Nodes, Pods, Services,
    EndpointSlices, NetworkPolicies, each in the cluster's order, with every default and
    allocation written out (so they load back to the same cluster).

    Pods made from Deployments and ReplicaSets are written as Pods (with their
    `ownerReferences`); the workloads themselves are not kept by the model. Without
    `include_implicit`, what the loader would add again by itself is left out (system
    namespaces with nothing of the user's, `default/kubernetes`, `kube-dns`, the API
    server's EndpointSlice, kubeadm's CoreDNS pods) and so are controller-managed
    EndpointSlices from a dump.
    """
    skip: set[int] = set()
    if not include_implicit:
        implicit = implicit_objects(cluster)
        for name in ("namespaces", "services", "endpoint_slices"):
            mine = implicit[name]
            skip.update(id(o) for o in getattr(cluster, name) if o in mine)
        dns_pods = implicit["pods"]
        skip.update(id(p) for p in cluster.pods_by_namespace.get("kube-system", ())
                    if p.labels.get("k8s-app") == "kube-dns" and replace(p, ip=None) in dns_pods)
        skip.update(id(s) for s in cluster.endpoint_slices if s.managed)
    node_ips = {n.name: n.internal_ip for n in cluster.nodes}
    docs: list[dict[str, Any]] = [_config_doc(cluster.config)]
    docs += [_namespace_doc(n) for n in cluster.namespaces if id(n) not in skip]
    docs += [_node_doc(n) for n in cluster.nodes]
    docs += [_pod_doc(p, node_ips) for p in cluster.pods if id(p) not in skip]
    docs += [_service_doc(s) for s in cluster.services if id(s) not in skip]
    docs += [_slice_doc(s) for s in cluster.endpoint_slices if id(s) not in skip]
    docs += [_policy_doc(p) for p in cluster.network_policies]
    return docs


def export(cluster: Cluster, include_implicit: bool = False) -> str:
    """`to_documents` as multi-document YAML, keys sorted as kubectl prints them."""
    return yaml.dump_all(to_documents(cluster, include_implicit), Dumper=_BaseDumper,
                         sort_keys=True, default_flow_style=False, explicit_start=True,
                         allow_unicode=True)
