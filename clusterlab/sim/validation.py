"""The API server's checks on raw objects, in its own words (validation.md VAL-1..VAL-11).

Objects arrive as plain dicts parsed from YAML/JSON. `validate_object` answers what
`kubectl apply` would be told for that object: a list of `FieldError`s whose `str()` is
the API server's line (`spec.ports[0].port: Invalid value: 0: must be between 1 and
65535, inclusive`), in the order the server reports them. The simulated server is
Kubernetes v1.34: values render as JSON, length limits say "characters", port 10250 may
be exposed by a LoadBalancer (removed in v1.33, kubernetes#129174), a NetworkPolicy
`endPort < port` error still prints the *port* (changed only in v1.36, kubernetes#137960),
IP/CIDR fields use the lenient ("sloppy") parser, Pod DNS search paths use the relaxed
rules (underscores, ".").

Before validating, the API server decodes the object: a wrong JSON type (a label value
`1` instead of `"1"`, `port: "80"`) fails there and nothing else is checked;
`validate_object` does the same. Unknown fields are reported separately by
`unknown_fields` (strict decoding: `unknown field "spec.prots"`). The defaults the API
server applies before validation (Service `type`, port `protocol` and `targetPort`,
`sessionAffinity`, Pod `dnsPolicy`/`restartPolicy`, …) are applied here only as far as
validation needs them; `manifests.py` owns defaulting.

ClusterIP/NodePort *allocation* errors (VAL-9) belong to `ipam.py`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_network,
)
from typing import Any

from clusterlab.sim.errors import (
    TOO_LONG,
    TOO_MANY,
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_found,
    required,
    unsupported,
)
from clusterlab.sim.model import CNI_MODES

__all__ = [
    "check_object",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_cidr",
    "is_valid_ip",
    "is_valid_label_value",
    "is_valid_port_name",
    "is_valid_port_num",
    "parse_cidr_sloppy",
    "parse_ip_sloppy",
    "unknown_fields",
    "validate_annotations",
    "validate_cluster_config",
    "validate_label_selector",
    "validate_labels",
    "validate_object",
    "validate_object_meta",
    "validate_update",
]

NameCheck = Callable[[str], list[str]]

# --------------------------------------------------------------------------- paths


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _key(path: str, key: object) -> str:
    """field.Path.Key: `metadata.annotations[example.com/x]`."""
    return f"{path}[{key}]"


# --------------------------------------------------------------------------- messages
# apimachinery util/validation (VAL-2, VAL-3). v1.34 still says "characters"; the
# `content` package of v1.35+ says "bytes" for label keys and values.

_LENGTH_UNIT = "characters"


def _max_len_error(length: int) -> str:
    return f"must be no more than {length} {_LENGTH_UNIT}"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """`RegexError`, including the two spaces before "or" its concatenation produces."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{example}', "
    return out + f"regex used for validation is '{fmt}')"


def _blen(value: str) -> int:
    """Go's len(): bytes, not code points."""
    return len(value) if value.isascii() else len(value.encode("utf-8"))


_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                      "characters or '-', and must start and end with an alphanumeric character")
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                          "characters, '-' or '.', and must start and end with an alphanumeric "
                          "character")
_DNS1123_LABEL_US_FMT = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_US_FMT = _DNS1123_LABEL_US_FMT + "(\\." + _DNS1123_LABEL_US_FMT + ")*"
_DNS1123_SUBDOMAIN_US_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case "
                             "alphanumeric characters, '_', '-' or '.', and must start and end "
                             "with an alphanumeric character")
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or "
                      "'-', start with an alphabetic character, and end with an alphanumeric "
                      "character")
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                  "and end with an alphanumeric character")
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character")

_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_US_RE = re.compile(_DNS1123_SUBDOMAIN_US_FMT)
_DNS1035_LABEL_RE = re.compile(_DNS1035_LABEL_FMT)
_LABEL_KEY_RE = re.compile(_LABEL_KEY_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_ONE_LETTER_RE = re.compile("[a-z]")
# Every rule of IsValidPortName at once, for the happy path: ≤ 15 of [-a-z0-9] with a
# letter, no "--", no hyphen at either end.
_VALID_PORT_NAME_RE = re.compile(
    r"(?=.{1,15}\Z)(?=[^a-z]*[a-z])(?!.*--)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")

_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
_NEGATIVE_MSG = "must be greater than or equal to 0"


def _full(regex: re.Pattern[str], value: str) -> bool:
    return regex.fullmatch(value) is not None


# The check functions below start with their happy path: the regexes only match ASCII, so
# a value they match has as many bytes as characters and one length test settles it.
# Label keys and values repeat across a cluster's objects: the ones found valid are
# remembered (a bounded set per check, emptied when full) so each is checked once.

_VALID_MEMO_LIMIT = 1 << 15


def _remember(valid: set[str], value: str) -> None:
    if len(valid) >= _VALID_MEMO_LIMIT:
        valid.clear()
    valid.add(value)


_VALID_QUALIFIED_NAMES: set[str] = set()
_VALID_LABEL_VALUES: set[str] = set()
_VALID_PORT_NAMES: set[str] = set()
_VALID_DNS1123_LABELS: set[str] = set()  # namespace names seen valid


# --------------------------------------------------------------------------- checks


def is_dns1123_label(value: str) -> list[str]:
    """`IsDNS1123Label`: names of namespaces, containers, pod hostnames (VAL-2)."""
    if len(value) <= 63 and _DNS1123_LABEL_RE.fullmatch(value) is not None:
        return []
    errs = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_DNS1123_LABEL_RE, value):
        if _full(_DNS1123_SUBDOMAIN_RE, value):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """`IsDNS1123Subdomain`: names of pods, nodes, policies, slices (VAL-2)."""
    if len(value) <= 253 and _DNS1123_SUBDOMAIN_RE.fullmatch(value) is not None:
        return []
    errs = []
    if _blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _full(_DNS1123_SUBDOMAIN_RE, value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def _is_dns1123_subdomain_with_underscore(value: str) -> list[str]:
    errs = []
    if _blen(value) > 253:
        errs.append(_max_len_error(253))
    if not _full(_DNS1123_SUBDOMAIN_US_RE, value):
        errs.append(_regex_error(_DNS1123_SUBDOMAIN_US_MSG, _DNS1123_SUBDOMAIN_US_FMT,
                                 "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """`IsDNS1035Label`: Service names must start with a letter (VAL-2)."""
    if len(value) <= 63 and _DNS1035_LABEL_RE.fullmatch(value) is not None:
        return []
    errs = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_DNS1035_LABEL_RE, value):
        errs.append(_regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_valid_port_name(port: str) -> list[str]:
    """`IsValidPortName` (IANA_SVC_NAME): container port names, string targetPorts (VAL-5)."""
    if port in _VALID_PORT_NAMES:
        return []
    if _VALID_PORT_NAME_RE.fullmatch(port) is not None:
        if type(port) is str:
            _remember(_VALID_PORT_NAMES, port)
        return []
    errs = []
    if _blen(port) > 15:
        errs.append(_max_len_error(15))
    if not _full(_PORT_NAME_CHARSET_RE, port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_ONE_LETTER_RE.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_qualified_name(value: str) -> list[str]:
    """`IsQualifiedName` / `IsLabelKey`: `[prefix/]name`, the name case-sensitive (VAL-3)."""
    if value in _VALID_QUALIFIED_NAMES:
        return []
    errs = _qualified_name_errors(value)
    if not errs and type(value) is str:
        _remember(_VALID_QUALIFIED_NAMES, value)
    return errs


def _qualified_name_errors(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif _blen(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _full(_LABEL_KEY_RE, name):
        errs.append("name part "
                    + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """`IsValidLabelValue`: empty, or ≤ 63 characters of `[-A-Za-z0-9_.]` (VAL-3)."""
    if value in _VALID_LABEL_VALUES:
        return []
    if len(value) <= 63 and _LABEL_VALUE_RE.fullmatch(value) is not None:
        if type(value) is str:
            _remember(_VALID_LABEL_VALUES, value)
        return []
    errs = []
    if _blen(value) > 63:
        errs.append(_max_len_error(63))
    if not _full(_LABEL_VALUE_RE, value):
        errs.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT,
                                 "MyValue", "my_value", "12345"))
    return errs


def is_valid_port_num(port: int) -> list[str]:
    """`IsValidPortNum`: 1..65535 (VAL-5)."""
    return [] if 1 <= port <= 65535 else [_PORT_RANGE_MSG]


def _mask_trailing_dash(name: str) -> str:
    """apimachinery `maskTrailingDash`, its `len-2` slice included, for generateName."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


# --------------------------------------------------------------------------- IPs


def _sloppy_ipv4(value: str) -> IPv4Address | None:
    parts = value.split(".")
    if len(parts) != 4:
        return None
    octets = []
    for part in parts:
        if not part or not part.isascii() or not part.isdigit() or int(part) > 255:
            return None
        octets.append(int(part))
    return IPv4Address(bytes(octets))


# `_sloppy_ipv4`'s rules as one regex: four dot-separated ASCII decimals ≤ 255, leading
# zeros allowed.
_OCTET = "0*(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_SLOPPY_IPV4_RE = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def _sloppy_ipv4_ok(value: str) -> bool:
    """`_sloppy_ipv4(value) is not None`, without building the address."""
    return _SLOPPY_IPV4_RE.fullmatch(value) is not None


def _ip_ok(value: str) -> bool:
    """`parse_ip_sloppy(value) is not None`; IPv4 without building the address."""
    if type(value) is str and value and ":" not in value and "%" not in value:
        return _sloppy_ipv4_ok(value)
    return parse_ip_sloppy(value) is not None


def _cidr_ok(value: str) -> bool:
    """`parse_cidr_sloppy(value) is not None`; IPv4 without building the network."""
    if type(value) is not str or "/" not in value:
        return parse_cidr_sloppy(value) is not None
    addr, _, bits = value.partition("/")
    if not addr or ":" in addr or "%" in addr:
        return parse_cidr_sloppy(value) is not None
    return (_sloppy_ipv4_ok(addr) and bool(bits) and bits.isascii() and bits.isdigit()
            and int(bits) <= 32)


def parse_ip_sloppy(value: str) -> IPv4Address | IPv6Address | None:
    """`netutils.ParseIPSloppy`: like Go's old net.ParseIP, IPv4 octets may have leading zeros."""
    if not isinstance(value, str) or not value or "%" in value:
        return None
    if ":" not in value:
        return _sloppy_ipv4(value)
    try:
        return IPv6Address(value)
    except ValueError:
        return None


def parse_cidr_sloppy(value: str) -> IPv4Network | IPv6Network | None:
    """`netutils.ParseCIDRSloppy`: host bits are allowed and masked off (VAL-6 ipBlock)."""
    if not isinstance(value, str) or "/" not in value:
        return None
    addr, _, bits = value.partition("/")
    ip = parse_ip_sloppy(addr)
    if ip is None or not bits or not bits.isascii() or not bits.isdigit():
        return None
    if int(bits) > ip.max_prefixlen:
        return None
    return ip_network(f"{ip}/{int(bits)}", strict=False)


def is_valid_ip(value: str) -> list[str]:
    """`IsValidIP` for the legacy (sloppy) fields: clusterIPs, externalIPs, nameservers."""
    return [] if _ip_ok(value) else [_IP_MSG]


def is_valid_cidr(value: str) -> list[str]:
    """`IsValidCIDR` for the legacy (sloppy) fields: podCIDRs, ipBlock, source ranges."""
    return [] if _cidr_ok(value) else [_CIDR_MSG]


def _ip_errors(path: str, value: str) -> list[FieldError]:
    return [] if _ip_ok(value) else [invalid(path, value, _IP_MSG)]


def _cidr_errors(path: str, value: str) -> list[FieldError]:
    return [] if _cidr_ok(value) else [invalid(path, value, _CIDR_MSG)]


@functools.lru_cache(maxsize=1024)
def _parse_cidr_cached(value: str) -> IPv4Network | IPv6Network | None:
    """parse_cidr_sloppy for str values: ipBlocks repeat (10.0.0.0/8 …), ip_network is slow."""
    return parse_cidr_sloppy(value)


def _non_special_ip(path: str, value: str) -> list[FieldError]:
    """`ValidateNonSpecialIP` / `ValidateEndpointIP`: externalIPs and endpoint addresses."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    errs = []
    if ip.is_unspecified:
        errs.append(invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errs.append(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip in _LINK_LOCAL:
        errs.append(invalid(path, value,
                            "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip in _LINK_LOCAL_MULTICAST:
        errs.append(invalid(path, value, "may not be in the link-local multicast range "
                                         "(224.0.0.0/24, ff02::/10)"))
    return errs


class _Nets:
    def __init__(self, *cidrs: str):
        self.nets = tuple(ip_network(c) for c in cidrs)

    def __contains__(self, ip: IPv4Address | IPv6Address) -> bool:
        return any(ip.version == n.version and ip in n for n in self.nets)


_LINK_LOCAL = _Nets("169.254.0.0/16", "fe80::/10")
_LINK_LOCAL_MULTICAST = _Nets("224.0.0.0/24", "ff02::/16")


# --------------------------------------------------------------------------- decoding
# A small schema of the fields ClusterLab knows, used twice: for JSON type errors (the
# decode step, before validation) and for unknown fields (strict decoding). `None` marks
# a subtree that may hold anything real clusters put there (status, volumes, probes, …).

_STR, _INT, _BOOL, _INTSTR = "string", "integer", "boolean", "integer or string"


class _MapOf:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_MAP_STR = _MapOf(_STR)
_ANY = None

_OBJECT_META: dict[str, Any] = {
    "name": _STR, "generateName": _STR, "namespace": _STR, "labels": _MAP_STR,
    "annotations": _MAP_STR, "generation": _INT, "uid": _ANY, "resourceVersion": _ANY,
    "selfLink": _ANY, "creationTimestamp": _ANY, "deletionTimestamp": _ANY,
    "deletionGracePeriodSeconds": _ANY, "ownerReferences": _ANY, "finalizers": _ANY,
    "managedFields": _ANY, "clusterName": _ANY,
}
_LABEL_SELECTOR: dict[str, Any] = {
    "matchLabels": _MAP_STR,
    "matchExpressions": [{"key": _STR, "operator": _STR, "values": [_STR]}],
}
_CONTAINER: dict[str, Any] = {
    "name": _STR, "image": _STR, "imagePullPolicy": _STR,
    "ports": [{"name": _STR, "containerPort": _INT, "hostPort": _INT, "protocol": _STR,
               "hostIP": _STR}],
    **dict.fromkeys((
        "command", "args", "workingDir", "env", "envFrom", "resources", "resizePolicy",
        "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
        "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
        "terminationMessagePath", "terminationMessagePolicy", "securityContext", "stdin",
        "stdinOnce", "tty"), _ANY),
}
_POD_SPEC: dict[str, Any] = {
    "containers": [_CONTAINER], "initContainers": [_CONTAINER], "restartPolicy": _STR,
    "dnsPolicy": _STR, "nodeSelector": _MAP_STR, "serviceAccountName": _STR, "nodeName": _STR,
    "hostNetwork": _BOOL, "hostname": _STR, "subdomain": _STR,
    "dnsConfig": {"nameservers": [_STR], "searches": [_STR],
                  "options": [{"name": _STR, "value": _STR}]},
    "activeDeadlineSeconds": _INT,
    **dict.fromkeys((
        "ephemeralContainers", "volumes", "terminationGracePeriodSeconds", "serviceAccount",
        "automountServiceAccountToken", "hostPID", "hostIPC", "shareProcessNamespace",
        "securityContext", "imagePullSecrets", "affinity", "schedulerName", "tolerations",
        "hostAliases", "priorityClassName", "priority", "readinessGates", "runtimeClassName",
        "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims",
        "resources", "hostnameOverride"), _ANY),
}
_POD_TEMPLATE = {"metadata": _OBJECT_META, "spec": _POD_SPEC}
_SERVICE_SPEC: dict[str, Any] = {
    "ports": [{"name": _STR, "protocol": _STR, "appProtocol": _STR, "port": _INT,
               "targetPort": _INTSTR, "nodePort": _INT}],
    "selector": _MAP_STR, "clusterIP": _STR, "clusterIPs": [_STR], "type": _STR,
    "externalIPs": [_STR], "sessionAffinity": _STR, "loadBalancerIP": _STR,
    "loadBalancerSourceRanges": [_STR], "externalName": _STR, "externalTrafficPolicy": _STR,
    "healthCheckNodePort": _INT, "publishNotReadyAddresses": _BOOL,
    "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": _INT}},
    "ipFamilies": [_STR], "ipFamilyPolicy": _STR, "allocateLoadBalancerNodePorts": _BOOL,
    "loadBalancerClass": _STR, "internalTrafficPolicy": _STR, "trafficDistribution": _STR,
}
_NP_PORT = {"protocol": _STR, "port": _INTSTR, "endPort": _INT}
_NP_PEER = {"podSelector": _LABEL_SELECTOR, "namespaceSelector": _LABEL_SELECTOR,
            "ipBlock": {"cidr": _STR, "except": [_STR]}}
_NP_SPEC = {
    "podSelector": _LABEL_SELECTOR, "policyTypes": [_STR],
    "ingress": [{"ports": [_NP_PORT], "from": [_NP_PEER]}],
    "egress": [{"ports": [_NP_PORT], "to": [_NP_PEER]}],
}
_WORKLOAD_SPEC = {
    "replicas": _INT, "minReadySeconds": _INT, "selector": _LABEL_SELECTOR,
    "template": _POD_TEMPLATE,
}


def _top(spec: Any, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": _STR, "kind": _STR, "metadata": _OBJECT_META, "spec": spec,
            "status": _ANY, **extra}


_SCHEMAS: dict[str, dict[str, Any]] = {
    "Namespace": _top({"finalizers": _ANY}),
    "Node": _top({"podCIDR": _STR, "podCIDRs": [_STR], "unschedulable": _BOOL,
                  **dict.fromkeys(("providerID", "taints", "configSource", "externalID"), _ANY)}),
    "Pod": _top(_POD_SPEC),
    "Service": _top(_SERVICE_SPEC),
    "NetworkPolicy": _top(_NP_SPEC),
    "Deployment": _top({**_WORKLOAD_SPEC, **dict.fromkeys(
        ("strategy", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"), _ANY)}),
    "ReplicaSet": _top(_WORKLOAD_SPEC),
    "EndpointSlice": {
        "apiVersion": _STR, "kind": _STR, "metadata": _OBJECT_META, "addressType": _STR,
        "endpoints": [{
            "addresses": [_STR], "hostname": _STR, "nodeName": _STR, "zone": _STR,
            "conditions": {"ready": _BOOL, "serving": _BOOL, "terminating": _BOOL},
            "deprecatedTopology": _MAP_STR, "targetRef": _ANY, "hints": _ANY,
        }],
        "ports": [{"name": _STR, "protocol": _STR, "port": _INT, "appProtocol": _STR}],
    },
    "ClusterConfig": _top({
        "cni": {"plugin": _STR, "mode": _STR, "crossSubnet": _BOOL},
        "clusterCIDR": _STR, "serviceCIDR": _STR, "clusterDomain": _STR,
        "kubeProxyMode": _STR, "kubeProxyReplacement": _BOOL, "nodePortRange": _STR,
        "nodeCIDRMaskSize": _INT,
        "dns": {"pods": _STR, "upstream": _MapOf({"A": [_STR], "CNAME": _STR}),
                "nodeResolvConf": {"nameservers": [_STR], "search": [_STR]}},
        "externalHosts": [{"ip": _STR, "name": _STR,
                           "listens": [{"port": _INT, "protocol": _STR}],
                           "routes": [{"dst": _STR, "via": _STR}]}],
        "subnets": [{"name": _STR, "cidr": _STR, "gateway": _STR}],
        "faults": {"nodesDown": [_STR], "kubeProxyStopped": [_STR], "cutLinks": [[_STR]],
                   "corednsScaledToZero": _BOOL, "nodeMTU": _MapOf(_INT)},
    }),
}

_MISSING = object()
_CHECKS: dict[str, Any] = {}  # kind → compiled schema, filled in below _clean_slow


# What YAML and JSON parsers produce, by exact type: one dict lookup instead of an
# isinstance chain (`isinstance(x, Mapping)` is an ABC check, the slowest of them).
_EXACT_JSON_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number",
                                      str: "string", dict: "object", list: "array"}


def _json_type(value: Any) -> str:
    exact = _EXACT_JSON_TYPES.get(type(value))
    if exact is not None:
        return exact
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _fits(leaf: str, value: Any) -> bool:
    kind = _json_type(value)
    if leaf == _INTSTR:
        return kind in ("integer", "string")
    return kind == leaf


# The happy path of decoding, without formatting a path per field: `_SCHEMAS` compiled
# into nodes whose `ok(value)` is True exactly when `_walk` would find no unknown field
# and no type error. Plain dicts, lists and scalars are checked by exact type (what YAML
# and JSON parsers produce); anything else (a Mapping that is not a dict, a str
# subclass …) is answered by `_fits` / `_walk` themselves, so the two cannot disagree.

_LEAF_TYPES: dict[str, frozenset[type]] = {  # exact types that fit; bool is not an integer
    _STR: frozenset({str}), _INT: frozenset({int}), _BOOL: frozenset({bool}),
    _INTSTR: frozenset({int, str})}
_NONE_TYPE = type(None)


class _Leaf:
    __slots__ = ("exact", "name")

    def __init__(self, name: str):
        self.name = name
        self.exact = _LEAF_TYPES[name] | {_NONE_TYPE}  # JSON null decodes to the zero value


class _Obj:
    __slots__ = ("leaves", "nested", "schema")

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.leaves: dict[str, frozenset[type]] = {}  # leaf field → exact types that fit
        self.nested: dict[str, Any] = {}  # field → node, or None for "anything"

    def ok(self, value: Any) -> bool:
        if type(value) is not dict:
            return _clean_slow(self.schema, value)
        leaves, nested = self.leaves, self.nested
        for key, item in value.items():
            exact = leaves.get(key)
            if exact is not None:
                if type(item) not in exact and not _fits(self.schema[key], item):
                    return False
                continue
            sub = nested.get(key, _MISSING)
            if sub is _MISSING:  # unknown, even when null
                return False
            if sub is not None and item is not None and not sub.ok(item):
                return False
        return True


class _Items:
    """A list schema `[item]`, or a `_MapOf(item)` (`mapping=True`), of objects or lists."""

    __slots__ = ("item", "mapping", "schema")

    def __init__(self, schema: Any, item: Any, mapping: bool):
        self.schema, self.item, self.mapping = schema, item, mapping

    def ok(self, value: Any) -> bool:
        if self.mapping:
            if type(value) is not dict:
                return _clean_slow(self.schema, value)
            items: Iterable[Any] = value.values()
        elif type(value) is list or isinstance(value, list):
            items = value
        else:
            return False
        item = self.item
        if item is None:
            return True
        for x in items:  # noqa: SIM110 - a plain loop is faster than all(<genexpr>)
            if x is not None and not item.ok(x):
                return False
        return True


class _LeafList:
    """`[leaf]`: a list of strings, integers …"""

    __slots__ = ("exact", "name", "schema")

    def __init__(self, schema: Any, leaf: _Leaf):
        self.schema, self.exact, self.name = schema, leaf.exact, leaf.name

    def ok(self, value: Any) -> bool:
        if type(value) is not list and not isinstance(value, list):
            return False
        exact = self.exact
        for x in value:  # noqa: SIM110
            if type(x) not in exact and not _fits(self.name, x):
                return False
        return True


class _LeafMap(_LeafList):
    """`_MapOf(leaf)`: labels, annotations, selectors."""

    __slots__ = ()

    def ok(self, value: Any) -> bool:
        if type(value) is not dict:
            return _clean_slow(self.schema, value)
        exact = self.exact
        for x in value.values():  # noqa: SIM110
            if type(x) not in exact and not _fits(self.name, x):
                return False
        return True


def _compile(schema: Any, done: dict[int, Any]) -> Any:
    if schema is None:
        return None
    if isinstance(schema, str):
        return _Leaf(schema)
    node = done.get(id(schema))
    if node is not None:
        return node
    if isinstance(schema, list | _MapOf):
        mapping = isinstance(schema, _MapOf)
        item = _compile(schema.value if mapping else schema[0], done)
        if isinstance(item, _Leaf):
            node = (_LeafMap if mapping else _LeafList)(schema, item)
        else:
            node = _Items(schema, item, mapping)
    else:
        node = _Obj(schema)
        for key, sub in schema.items():
            compiled = _compile(sub, done)
            if isinstance(compiled, _Leaf):
                node.leaves[key] = compiled.exact
            else:
                node.nested[key] = compiled
    done[id(schema)] = node
    return node


def _clean_slow(schema: Any, value: Any) -> bool:
    unknown: list[str] = []
    wrong: list[FieldError] = []
    _walk(schema, value, "", unknown, wrong)
    return not unknown and not wrong


_compiled: dict[int, Any] = {}
_CHECKS.update((kind, _compile(schema, _compiled)) for kind, schema in _SCHEMAS.items())
del _compiled


def _walk(schema: Any, value: Any, path: str, unknown: list[str] | None,
          wrong: list[FieldError] | None) -> None:
    """Compare `value` with `schema`: unknown fields to `unknown`, type errors to `wrong`."""
    if schema is None or value is None:  # JSON null decodes to the zero value
        return

    def mismatch(expected: str) -> None:
        if wrong is not None:
            wrong.append(invalid(path, value, f"expected {expected}, got {_json_type(value)}"))

    if isinstance(schema, str):
        if not _fits(schema, value):
            mismatch(schema)
    elif isinstance(schema, list):
        if not isinstance(value, list):
            mismatch("array")
            return
        for i, item in enumerate(value):
            _walk(schema[0], item, _index(path, i), unknown, wrong)
    elif isinstance(schema, _MapOf):
        if not isinstance(value, Mapping):
            mismatch("object")
            return
        for key, item in value.items():
            _walk(schema.value, item, _key(path, key), unknown, wrong)
    else:
        if not isinstance(value, Mapping):
            mismatch("object")
            return
        for key, item in value.items():
            sub = schema.get(key, _MISSING)
            if sub is _MISSING:
                if unknown is not None:
                    unknown.append(_child(path, str(key)))
                continue
            _walk(sub, item, _child(path, key), unknown, wrong)


def unknown_fields(kind: str, obj: Mapping[str, Any]) -> list[str]:
    """Paths of fields the API's schema does not have (`spec.prots`), in document order.

    The loader turns each into strict decoding's `unknown field "spec.prots"` (VAL-1).
    `status`, volumes, probes, resources, affinity, securityContext … are not looked into,
    so a `kubectl get -o yaml` dump of a real cluster always loads.
    """
    schema = _SCHEMAS.get(kind)
    if schema is None or not isinstance(obj, Mapping) or _CHECKS[kind].ok(obj):
        return []
    found: list[str] = []
    _walk(schema, obj, "", found, None)
    return found


def _type_errors(kind: str, obj: Mapping[str, Any]) -> list[FieldError]:
    if _CHECKS[kind].ok(obj):
        return []
    wrong: list[FieldError] = []
    _walk(_SCHEMAS[kind], obj, "", None, wrong)
    return wrong


# --------------------------------------------------------------------------- access
# After the decode step every known field has its JSON type; these only turn null or
# absent into the zero value, as Go's decoder does.


def _dict(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # exact types first: ABC isinstance checks are slow
        return value
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if type(value) is list:
        return value
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    if type(value) is str:
        return value
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sorted_map(value: Mapping[Any, Any] | None) -> dict[str, Any] | None:
    """How Go's json.Marshal prints a map: keys sorted."""
    if value is None:
        return None
    return {str(k): value[k] for k in sorted(value, key=str)}


# --------------------------------------------------------------------------- metadata


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[FieldError]:
    """`ValidateLabels`: every error on the map's path, the bad key or value shown (VAL-3)."""
    errs: list[FieldError] = []
    if not labels:
        return errs
    for key, value in _dict(labels).items():
        if type(key) is not str:
            key = str(key)
        if type(value) is not str:
            value = "" if value is None else str(value)
        if key not in _VALID_QUALIFIED_NAMES:
            msgs = is_qualified_name(key)
            if msgs:
                errs.extend(invalid(path, key, m) for m in msgs)
        if value not in _VALID_LABEL_VALUES:
            msgs = is_valid_label_value(value)
            if msgs:
                errs.extend(invalid(path, value, m) for m in msgs)
    return errs


TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> list[FieldError]:
    """`ValidateAnnotations`: label-key rules on lower-cased keys, ≤ 256 KiB in total (VAL-3)."""
    errs: list[FieldError] = []
    if not annotations:
        return errs
    size = 0
    for key, value in _dict(annotations).items():
        key, value = str(key), "" if value is None else str(value)
        msgs = is_qualified_name(key.lower())
        if msgs:
            errs.extend(invalid(path, key, m) for m in msgs)
        size += _blen(key) + _blen(value)
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError(path, TOO_LONG,
                               detail=f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return errs


def validate_object_meta(meta: Mapping[str, Any] | None, path: str = "metadata",
                         name_check: NameCheck = is_dns1123_subdomain,
                         namespaced: bool = True) -> list[FieldError]:
    """`ValidateObjectMeta`: generateName, name, namespace, generation, labels, annotations.

    A namespaced object without `namespace` is fine: kubectl fills in the context's
    namespace. A cluster-scoped object's `namespace` is dropped by the API server
    (`rest.BeforeCreate`), so it is not an error either.
    """
    get = meta.get if type(meta) is dict else _dict(meta).get
    errs: list[FieldError] = []
    generate_name = get("generateName")
    if generate_name is not None:
        generate_name = _str(generate_name)
    if generate_name:
        errs.extend(invalid(_child(path, "generateName"), generate_name, m)
                    for m in name_check(_mask_trailing_dash(generate_name)))
    name = get("name")
    if type(name) is not str:
        name = _str(name)
    if not name:
        if not generate_name:
            errs.append(required(_child(path, "name"), "name or generateName is required"))
    else:
        msgs = name_check(name)
        if msgs:
            errs.extend(invalid(_child(path, "name"), name, m) for m in msgs)
    namespace = get("namespace")
    if namespaced and namespace:
        namespace = _str(namespace)
        if namespace and namespace not in _VALID_DNS1123_LABELS:
            msgs = is_dns1123_label(namespace)
            if msgs:
                errs.extend(invalid(_child(path, "namespace"), namespace, m) for m in msgs)
            elif type(namespace) is str:
                _remember(_VALID_DNS1123_LABELS, namespace)  # namespaces repeat
    generation = get("generation")
    if generation is not None:
        generation = _int(generation)
        if generation < 0:
            errs.append(invalid(_child(path, "generation"), generation, _NEGATIVE_MSG))
    labels = get("labels")
    if labels:
        errs.extend(validate_labels(labels, _child(path, "labels")))
    annotations = get("annotations")
    if annotations:
        errs.extend(validate_annotations(annotations, _child(path, "annotations")))
    return errs


# --------------------------------------------------------------------------- selectors

_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(sel: Mapping[str, Any] | None, path: str) -> list[FieldError]:
    """metav1 `ValidateLabelSelector`: matchLabels, then each matchExpressions entry (VAL-4)."""
    if sel is None:
        return []
    sel = _dict(sel)
    match_labels = sel.get("matchLabels")
    errs = validate_labels(match_labels, _child(path, "matchLabels")) if match_labels else []
    exprs = sel.get("matchExpressions")
    if not exprs:
        return errs
    for i, expr in enumerate(_list(exprs)):
        expr = _dict(expr)
        epath = _index(_child(path, "matchExpressions"), i)
        operator = _str(expr.get("operator"))
        values = [str(v) for v in _list(expr.get("values"))]
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(required(_child(epath, "values"),
                                     "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(_child(epath, "values"), "may not be specified when "
                                      "`operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(invalid(_child(epath, "operator"), operator,
                                "not a valid selector operator"))
        key = _str(expr.get("key"))
        msgs = is_qualified_name(key)
        if msgs:
            errs.extend(invalid(_child(epath, "key"), key, m) for m in msgs)
        for j, value in enumerate(values):
            msgs = is_valid_label_value(value)
            if msgs:
                errs.extend(invalid(_index(_child(epath, "values"), j), value, m) for m in msgs)
    return errs


def _selector_value(sel: Mapping[str, Any]) -> dict[str, Any]:
    """A metav1.LabelSelector as json.Marshal prints it (omitempty fields, sorted map)."""
    out: dict[str, Any] = {}
    if sel.get("matchLabels"):
        out["matchLabels"] = _sorted_map(sel["matchLabels"])
    exprs = []
    for expr in _list(sel.get("matchExpressions")):
        expr = _dict(expr)
        item: dict[str, Any] = {"key": _str(expr.get("key")),
                                "operator": _str(expr.get("operator"))}
        if expr.get("values"):
            item["values"] = expr["values"]
        exprs.append(item)
    if exprs:
        out["matchExpressions"] = exprs
    return out


def _selector_matches(sel: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """LabelSelectorAsSelector(sel).Matches(labels) for a selector that validated."""
    for key, value in _dict(sel.get("matchLabels")).items():
        if str(key) not in labels or str(labels[str(key)]) != str(value):
            return False
    for expr in _list(sel.get("matchExpressions")):
        expr = _dict(expr)
        key, op = _str(expr.get("key")), _str(expr.get("operator"))
        values = {str(v) for v in _list(expr.get("values"))}
        has = key in labels
        if op == "In" and not (has and str(labels[key]) in values):
            return False
        if op == "NotIn" and has and str(labels[key]) in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True


# --------------------------------------------------------------------------- ports

_PROTOCOLS_SORTED = ("SCTP", "TCP", "UDP")  # sets.List(supportedPortProtocols)


def _port_num_errors(path: str, value: int) -> list[FieldError]:
    return [invalid(path, value, m) for m in is_valid_port_num(value)]


def _port_num_or_name(path: str, value: int | str) -> list[FieldError]:
    """`ValidatePortNumOrName`: an int port, or an IANA_SVC_NAME (VAL-5)."""
    if isinstance(value, str):
        return [invalid(path, value, m) for m in is_valid_port_name(value)]
    return _port_num_errors(path, value)


# --------------------------------------------------------------------------- Pod


def _validate_container_ports(ports: list[Any], path: str,
                              host_ports: list[int] | None = None) -> list[FieldError]:
    """`validateContainerPorts`: names unique within one container only (VAL-5).

    Non-zero hostPorts are appended to `host_ports`, so that the pod-wide conflict check
    runs only for pods that have some.
    """
    # The accessors (_dict, _str, _int) are inlined as exact-type tests: this runs for
    # every port of every pod and template.
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        get = port.get if type(port) is dict else _dict(port).get
        name = get("name")
        if type(name) is not str:
            name = _str(name)
        if name:
            msgs = [] if name in _VALID_PORT_NAMES else is_valid_port_name(name)
            if msgs:
                errs.extend(invalid(f"{path}[{i}].name", name, m) for m in msgs)
            elif name in names:
                errs.append(duplicate(f"{path}[{i}].name", name))
            else:
                names.add(name)
        container_port = get("containerPort")
        if type(container_port) is not int:
            container_port = _int(container_port)
        if container_port == 0:
            errs.append(required(f"{path}[{i}].containerPort"))
        elif not 1 <= container_port <= 65535:
            errs.append(invalid(f"{path}[{i}].containerPort", container_port, _PORT_RANGE_MSG))
        host_port = get("hostPort")
        if host_port is not None:
            host_port = _int(host_port)
            if host_port != 0:
                if not 1 <= host_port <= 65535:
                    errs.append(invalid(f"{path}[{i}].hostPort", host_port, _PORT_RANGE_MSG))
                if host_ports is not None:
                    host_ports.append(host_port)
        protocol = get("protocol")
        if protocol is not None and protocol not in _PROTOCOLS_SORTED:
            protocol = _str(protocol) or "TCP"
            if protocol not in _PROTOCOLS_SORTED:
                errs.append(unsupported(f"{path}[{i}].protocol", protocol, _PROTOCOLS_SORTED))
    return errs


def _host_port_conflicts(containers: list[Any], path: str) -> list[FieldError]:
    """`AccumulateUniqueHostPorts`: `Duplicate value: "TCP//8080"` (protocol/hostIP/port)."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    for ci, container in enumerate(containers):
        for pi, port in enumerate(_list(_dict(container).get("ports"))):
            port = _dict(port)
            host_port = _int(port.get("hostPort"))
            if host_port == 0:
                continue
            key = (f"{_str(port.get('protocol')) or 'TCP'}/{_str(port.get('hostIP'))}/"
                   f"{host_port}")
            if key in seen:
                errs.append(duplicate(
                    _child(_index(_child(_index(path, ci), "ports"), pi), "hostPort"), key))
            seen.add(key)
    return errs


_PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def _validate_container_common(container: Mapping[str, Any], path: str,
                               host_ports: list[int] | None = None) -> list[FieldError]:
    """`validateContainerCommon`: name, image, ports, imagePullPolicy (VAL-7)."""
    errs: list[FieldError] = []
    get = container.get
    name = get("name")
    if type(name) is not str:
        name = _str(name)
    if not name:
        errs.append(required(_child(path, "name")))
    else:
        msgs = is_dns1123_label(name)
        if msgs:
            errs.extend(invalid(_child(path, "name"), name, m) for m in msgs)
    image = get("image")
    if not image or (type(image) is not str and not _str(image)):
        errs.append(required(_child(path, "image")))
    ports = get("ports")
    if ports:
        errs.extend(_validate_container_ports(_list(ports), _child(path, "ports"), host_ports))
    policy = get("imagePullPolicy")
    if policy:
        policy = _str(policy)
        if policy and policy not in _PULL_POLICIES:
            errs.append(unsupported(_child(path, "imagePullPolicy"), policy, _PULL_POLICIES))
    return errs


_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048


def _validate_pod_dns_config(config: Mapping[str, Any] | None, dns_policy: str,
                             path: str) -> list[FieldError]:
    """`validatePodDNSConfig` (VAL-7); search paths use the relaxed (v1.34 GA) rules."""
    errs: list[FieldError] = []
    if dns_policy == "None":
        if config is None:
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _list(config.get("nameservers")):
            return [required(_child(path, "nameservers"), "must provide at least one DNS "
                             "nameserver when `dnsPolicy` is None")]
    if config is None:
        return errs
    nameservers = _list(config.get("nameservers"))
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        errs.append(invalid(_child(path, "nameservers"), nameservers,
                            f"must not have more than {MAX_DNS_NAMESERVERS} nameservers"))
    for i, ns in enumerate(nameservers):
        errs.extend(_ip_errors(_index(_child(path, "nameservers"), i), _str(ns)))
    searches = [_str(s) for s in _list(config.get("searches"))]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(invalid(_child(path, "searches"), searches,
                            f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"))
    if _blen(" ".join(searches)) > MAX_DNS_SEARCH_LIST_CHARS:
        errs.append(invalid(_child(path, "searches"), searches,
                            f"must not have more than {MAX_DNS_SEARCH_LIST_CHARS} characters "
                            "(including spaces) in the search list"))
    for i, search in enumerate(searches):
        if search == ".":
            continue
        search = search.removesuffix(".")
        errs.extend(invalid(_index(_child(path, "searches"), i), search, m)
                    for m in _is_dns1123_subdomain_with_underscore(search))
    for i, option in enumerate(_list(config.get("options"))):
        if not _str(_dict(option).get("name")):
            errs.append(required(_index(_child(path, "options"), i), "must not be empty"))
    return errs


def _validate_pod_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    """`ValidatePodSpec`, the parts a networking simulator needs, in the server's order."""
    errs: list[FieldError] = []
    get = spec.get
    containers = _list(get("containers"))
    cpath = _child(path, "containers")
    if not containers:
        errs.append(required(cpath))
    else:
        names: set[str] = set()
        host_ports: list[int] = []
        for i, container in enumerate(containers):
            if type(container) is not dict:
                container = _dict(container)
            errs.extend(_validate_container_common(container, f"{cpath}[{i}]", host_ports))
            name = container.get("name")
            if type(name) is not str:
                name = _str(name)
            if name in names:
                errs.append(duplicate(_child(_index(cpath, i), "name"), name))
            else:
                names.add(name)
        if host_ports:
            errs.extend(_host_port_conflicts(containers, cpath))
    init_containers = get("initContainers")
    if init_containers:
        ipath = _child(path, "initContainers")
        all_names = {_str(_dict(c).get("name")) for c in containers}
        for i, container in enumerate(_list(init_containers)):
            container = _dict(container)
            init_host_ports: list[int] = []
            errs.extend(_validate_container_common(container, _index(ipath, i), init_host_ports))
            name = _str(container.get("name"))
            if name in all_names:
                errs.append(duplicate(_child(_index(ipath, i), "name"), name))
            elif name:
                all_names.add(name)
            if init_host_ports:
                errs.extend(_host_port_conflicts([container], ipath))
    if get("hostNetwork") is True:
        # For a Pod a zero hostPort is first defaulted to containerPort; a template
        # allows zero. Either way only a non-zero, different hostPort is refused.
        for i, container in enumerate(containers):
            for j, port in enumerate(_list(_dict(container).get("ports"))):
                port = _dict(port)
                host_port = _int(port.get("hostPort"))
                if host_port != 0 and host_port != _int(port.get("containerPort")):
                    errs.append(invalid(
                        _child(_index(_child(_index(cpath, i), "ports"), j), "hostPort"),
                        host_port, "must match `containerPort` when `hostNetwork` is true"))
    restart_policy = get("restartPolicy")
    if restart_policy is not None:
        restart_policy = _str(restart_policy) or "Always"
        if restart_policy not in _RESTART_POLICIES:
            errs.append(unsupported(_child(path, "restartPolicy"), restart_policy,
                                    _RESTART_POLICIES))
    dns_policy = get("dnsPolicy")
    dns_policy = "ClusterFirst" if dns_policy is None else _str(dns_policy) or "ClusterFirst"
    if dns_policy not in _DNS_POLICIES:
        errs.append(unsupported(_child(path, "dnsPolicy"), dns_policy, _DNS_POLICIES))
    node_selector = get("nodeSelector")
    if node_selector:
        errs.extend(validate_labels(node_selector, _child(path, "nodeSelector")))
    dns_config = get("dnsConfig")
    if dns_config is not None and type(dns_config) is not dict:
        dns_config = dns_config if isinstance(dns_config, Mapping) else None
    if dns_config is not None or dns_policy == "None":
        errs.extend(_validate_pod_dns_config(dns_config, dns_policy, _child(path, "dnsConfig")))
    for fld, check in _POD_SPEC_NAMES:
        value = get(fld)
        if value:
            value = _str(value)
            if value:
                msgs = check(value)
                if msgs:
                    errs.extend(invalid(_child(path, fld), value, m) for m in msgs)
    return errs


_POD_SPEC_NAMES = (("serviceAccountName", is_dns1123_subdomain), ("nodeName", is_dns1123_subdomain),
                   ("hostname", is_dns1123_label), ("subdomain", is_dns1123_label))


def _status_ips(status: Mapping[str, Any], single: str, plural: str) -> list[str]:
    """v1 → internal conversion: `podIPs` wins, else `[podIP]`."""
    items = [_dict(i).get("ip") for i in _list(status.get(plural))]
    if not items and status.get(single):
        items = [status.get(single)]
    return [i if isinstance(i, str) else str(i) for i in items]


def _validate_pod(obj: Mapping[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_subdomain, True)
    errs.extend(_validate_pod_spec(_dict(obj.get("spec")), "spec"))
    status = _dict(obj.get("status"))
    if status:
        for single, plural in (("podIP", "podIPs"), ("hostIP", "hostIPs")):
            if not status.get(plural) and not status.get(single):
                continue  # _status_ips would give []
            for i, ip in enumerate(_status_ips(status, single, plural)):
                if not _ip_ok(ip):
                    errs.append(invalid(f"status.{plural}[{i}]", ip, _IP_MSG))
    return errs


# --------------------------------------------------------------------------- workloads


def _validate_workload(obj: Mapping[str, Any]) -> list[FieldError]:
    """Deployment/ReplicaSet: `ValidateDeploymentSpec` / `ValidateReplicaSetSpec`."""
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_subdomain, True)
    spec = _dict(obj.get("spec"))
    replicas = _int(spec.get("replicas"))
    if replicas < 0:
        errs.append(invalid("spec.replicas", replicas, _NEGATIVE_MSG))
    min_ready = _int(spec.get("minReadySeconds"))
    if min_ready < 0:
        errs.append(invalid("spec.minReadySeconds", min_ready, _NEGATIVE_MSG))
    sel = spec.get("selector")
    selector_ok = True
    if sel is None:
        errs.append(required("spec.selector"))
    else:
        sel = _dict(sel)
        sel_errs = validate_label_selector(sel, "spec.selector")
        errs.extend(sel_errs)
        selector_ok = not sel_errs
        if not sel.get("matchLabels") and not sel.get("matchExpressions"):
            # ReplicaSet reuses the Deployment wording upstream.
            errs.append(invalid("spec.selector", _selector_value(sel),
                                "empty selector is invalid for deployment"))
    if not selector_ok:
        # LabelSelectorAsSelector fails: the template is then not looked at.
        errs.append(invalid("spec.selector", _selector_value(_dict(sel)), "invalid label selector"))
        return errs
    template = _dict(spec.get("template"))
    tmeta = _dict(template.get("metadata"))
    labels = tmeta.get("labels")
    # A nil selector is labels.Nothing(): it matches no template; `{}` matches all.
    if sel is None or not _selector_matches(_dict(sel), {str(k): v for k, v in
                                                          _dict(labels).items()}):
        errs.append(invalid("spec.template.metadata.labels",
                            _sorted_map(labels) if isinstance(labels, Mapping) else None,
                            "`selector` does not match template `labels`"))
    # ValidatePodTemplateSpec reports template labels on `spec.template.labels` (sic).
    errs.extend(validate_labels(labels, "spec.template.labels"))
    errs.extend(validate_annotations(tmeta.get("annotations"), "spec.template.annotations"))
    tspec = _dict(template.get("spec"))
    errs.extend(_validate_pod_spec(tspec, "spec.template.spec"))
    restart_policy = _str(tspec.get("restartPolicy")) or "Always"
    if restart_policy != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", restart_policy, ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(invalid("spec.template.spec.activeDeadlineSeconds",
                            tspec["activeDeadlineSeconds"],
                            "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


# --------------------------------------------------------------------------- Service

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_AFFINITIES = ("ClientIP", "None")
_TRAFFIC_POLICIES = ("Cluster", "Local")
_IP_FAMILIES = ("IPv4", "IPv6")
_IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400
_LB_ONLY = "may only be used when `type` is 'LoadBalancer'"
_LB_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def _validate_service_port(port: Mapping[str, Any], require_name: bool, names: set[str],
                           path: str) -> list[FieldError]:
    """`validateServicePort` on a defaulted port: protocol TCP, targetPort = port (VAL-5)."""
    errs: list[FieldError] = []
    get = port.get
    name = get("name")
    if type(name) is not str:
        name = _str(name)
    if require_name and not name:
        errs.append(required(_child(path, "name")))
    elif name:
        msgs = is_dns1123_label(name)
        if msgs:
            errs.extend(invalid(_child(path, "name"), name, m) for m in msgs)
        if name in names:
            errs.append(duplicate(_child(path, "name"), name))
        else:
            names.add(name)
    number = get("port")
    if type(number) is not int:
        number = _int(number)
    if not 1 <= number <= 65535:
        errs.append(invalid(_child(path, "port"), number, _PORT_RANGE_MSG))
    protocol = get("protocol")
    if protocol is not None and protocol not in _PROTOCOLS_SORTED:
        protocol = _str(protocol) or "TCP"
        if protocol not in _PROTOCOLS_SORTED:
            errs.append(unsupported(_child(path, "protocol"), protocol, _PROTOCOLS_SORTED))
    target = get("targetPort")
    if target in (None, 0, ""):
        target = number
    if isinstance(target, str):
        msgs = [] if target in _VALID_PORT_NAMES else is_valid_port_name(target)
        if msgs:
            errs.extend(invalid(_child(path, "targetPort"), target, m) for m in msgs)
    elif not 1 <= target <= 65535:
        errs.append(invalid(_child(path, "targetPort"), target, _PORT_RANGE_MSG))
    app_protocol = get("appProtocol")
    if isinstance(app_protocol, str):
        msgs = is_qualified_name(app_protocol)
        if msgs:
            errs.extend(invalid(_child(path, "appProtocol"), app_protocol, m) for m in msgs)
    return errs


def _validate_cluster_ips(spec: Mapping[str, Any], cluster_ip: str,
                          cluster_ips: list[str], given_ips: list[str]) -> list[FieldError]:
    """`ValidateServiceClusterIPsRelatedFields` (not called for ExternalName)."""
    if not (cluster_ip or cluster_ips or given_ips or spec.get("ipFamilies")
            or spec.get("ipFamilyPolicy") is not None):
        return []  # nothing below can fail on an empty ClusterIP spec
    errs: list[FieldError] = []
    field = "spec.clusterIPs"
    if cluster_ip:
        if given_ips and given_ips[0] != cluster_ip:
            errs.append(invalid(field, given_ips, "first value must match `clusterIP`"))
    elif given_ips:
        errs.append(invalid(field, given_ips, "must be empty when `clusterIP` is not specified"))
    families = [_str(f) for f in _list(spec.get("ipFamilies"))]
    seen: set[str] = set()
    for i, family in enumerate(families):
        if family not in _IP_FAMILIES:
            errs.append(unsupported(_index("spec.ipFamilies", i), family, _IP_FAMILIES))
        if family in seen:
            errs.append(duplicate(_index("spec.ipFamilies", i), family))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if isinstance(policy, str) and policy not in _IP_FAMILY_POLICIES:
        errs.append(unsupported("spec.ipFamilyPolicy", policy, _IP_FAMILY_POLICIES))
    bad = False
    for i, ip in enumerate(cluster_ips):
        if i == 0 and ip == "None":
            if len(cluster_ips) > 1:
                bad = True
                errs.append(invalid(field, cluster_ips, "'None' must be the first and only value"))
            continue
        ip_errs = _ip_errors(_index(field, i), ip)
        bad = bad or bool(ip_errs)
        errs.extend(ip_errs)
    if len(cluster_ips) > 2:
        errs.append(invalid(field, cluster_ips, "may only hold up to 2 values"))
    if bad:
        return errs
    if len(cluster_ips) > 1:
        versions = {ip.version for ip in map(parse_ip_sloppy, cluster_ips) if ip is not None}
        if len(versions) < 2:
            errs.append(invalid(field, cluster_ips,
                                "may specify no more than one IP for each IP family"))
    headless = cluster_ips == ["None"]
    if not headless:
        for i, (ip, family) in enumerate(zip(cluster_ips, families, strict=False)):
            parsed = parse_ip_sloppy(ip)
            is_v6 = parsed is not None and parsed.version == 6
            if family == "IPv4" and is_v6:
                errs.append(invalid(_index(field, i), ip, "expected an IPv4 value as indicated "
                                                         f"by `ipFamilies[{i}]`"))
            if family == "IPv6" and not is_v6:
                errs.append(invalid(_index(field, i), ip, "expected an IPv6 value as indicated "
                                                         f"by `ipFamilies[{i}]`"))
    return errs


def _validate_service(obj: Mapping[str, Any]) -> list[FieldError]:
    """`ValidateService` on the defaulted object, rule by rule in upstream order (VAL-8)."""
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1035_label, True)
    spec = _dict(obj.get("spec"))
    stype = _str(spec.get("type")) or "ClusterIP"
    cluster_ip = _str(spec.get("clusterIP"))
    given = spec.get("clusterIPs")
    given_ips = [_str(ip) for ip in _list(given)] if given else []
    # The strategy's normalizeClusterIPs: a lone `clusterIP` becomes `clusterIPs[0]`.
    cluster_ips = given_ips or ([cluster_ip] if cluster_ip else [])
    headless = cluster_ips == ["None"]
    ports = [_dict(p) for p in _list(spec.get("ports"))]

    if not ports and not headless and stype != "ExternalName":
        errs.append(required("spec.ports"))
    if stype in ("LoadBalancer", "NodePort") and headless:
        errs.append(invalid("spec.clusterIPs[0]", "None",
                            f"may not be set to 'None' for {stype} services"))
    elif stype == "ExternalName":
        if cluster_ips:
            errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if _list(spec.get("ipFamilies")):
            errs.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden("spec.ipFamilyPolicy",
                                  "may not be set for ExternalName services"))
        cname = _str(spec.get("externalName")).removesuffix(".")
        if cname:
            errs.extend(invalid("spec.externalName", cname, m) for m in is_dns1123_subdomain(cname))
        else:
            errs.append(required("spec.externalName"))

    names: set[str] = set()
    for i, port in enumerate(ports):
        errs.extend(_validate_service_port(port, len(ports) > 1, names, _index("spec.ports", i)))
    # (protocol, port, nodePort) of each port, for the three checks across ports below
    keys = [(_str(port.get("protocol")) or "TCP", _int(port.get("port")),
             _int(port.get("nodePort"))) for port in ports]

    if spec.get("selector") is not None:
        errs.extend(validate_labels(spec.get("selector"), "spec.selector"))

    affinity = _str(spec.get("sessionAffinity")) or "None"
    if affinity not in _AFFINITIES:
        errs.append(unsupported("spec.sessionAffinity", affinity, _AFFINITIES))
    affinity_config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP":
        # Defaulting fills in clientIP.timeoutSeconds = 10800 when any level is missing.
        timeout = _dict(_dict(affinity_config).get("clientIP")).get("timeoutSeconds")
        if isinstance(timeout, int) and not 0 < timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS:
            errs.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                "must be greater than 0 and less than "
                                f"{MAX_CLIENT_IP_AFFINITY_SECONDS}"))
    elif affinity == "None" and affinity_config is not None:
        errs.append(forbidden("spec.sessionAffinityConfig",
                              "must not be set when session affinity is None"))

    if stype != "ExternalName":
        errs.extend(_validate_cluster_ips(spec, cluster_ip, cluster_ips, given_ips))

    given_external = spec.get("externalIPs")
    external_ips = [_str(ip) for ip in _list(given_external)] if given_external else []
    for i, ip in enumerate(external_ips):
        ip_errs = _ip_errors(_index("spec.externalIPs", i), ip)
        errs.extend(ip_errs or _non_special_ip(_index("spec.externalIPs", i), ip))

    if stype not in _SERVICE_TYPES:
        errs.append(unsupported("spec.type", stype, _SERVICE_TYPES))

    if stype == "ClusterIP":
        for i, (_, _, node_port) in enumerate(keys):
            if node_port != 0:
                errs.append(forbidden(_child(_index("spec.ports", i), "nodePort"),
                                      "may not be used when `type` is 'ClusterIP'"))
    node_ports: set[tuple[str, int]] = set()
    for i, (protocol, _, node_port) in enumerate(keys):
        if node_port == 0:
            continue
        key = (protocol, node_port)
        if key in node_ports:
            errs.append(duplicate(_child(_index("spec.ports", i), "nodePort"), node_port))
        node_ports.add(key)
    port_keys: set[tuple[str, int]] = set()
    for i, (protocol, number, _) in enumerate(keys):
        if (protocol, number) in port_keys:
            errs.append(duplicate(_index("spec.ports", i), {"port": number, "protocol": protocol}))
        port_keys.add((protocol, number))

    ranges = spec.get("loadBalancerSourceRanges")
    ranges = [_str(r) for r in _list(ranges)] if ranges else []
    if ranges:
        # Upstream's path really is `spec.LoadBalancerSourceRanges` (capital L).
        rpath = "spec.LoadBalancerSourceRanges"
        if stype != "LoadBalancer":
            errs.append(forbidden(rpath, _LB_ONLY))
        for i, value in enumerate(ranges):
            errs.extend(_cidr_errors(_index(rpath, i), value.strip()))
    elif _LB_SOURCE_RANGES_ANNOTATION in (
            annotations := _dict(_dict(obj.get("metadata")).get("annotations"))):
        apath = _key("metadata.annotations", _LB_SOURCE_RANGES_ANNOTATION)
        if stype != "LoadBalancer":
            errs.append(forbidden(apath, _LB_ONLY))
        value = str(annotations[_LB_SOURCE_RANGES_ANNOTATION] or "").strip()
        if value:
            for cidr in value.split(","):
                errs.extend(_cidr_errors(apath, cidr.strip()))

    if spec.get("allocateLoadBalancerNodePorts") is not None and stype != "LoadBalancer":
        errs.append(forbidden("spec.allocateLoadBalancerNodePorts", _LB_ONLY))
    lb_class = spec.get("loadBalancerClass")
    if isinstance(lb_class, str):
        errs.extend(invalid("spec.loadBalancerClass", lb_class, m)
                    for m in is_qualified_name(lb_class))
        if stype != "LoadBalancer":
            errs.append(forbidden("spec.loadBalancerClass", _LB_ONLY))

    external = stype in ("LoadBalancer", "NodePort") or (stype == "ClusterIP" and external_ips)
    etp = _str(spec.get("externalTrafficPolicy"))
    if not external:
        if etp:
            errs.append(invalid("spec.externalTrafficPolicy", etp,
                                "may only be set for externally-accessible services"))
    elif etp and etp not in _TRAFFIC_POLICIES:
        errs.append(unsupported("spec.externalTrafficPolicy", etp, _TRAFFIC_POLICIES))
    hcnp = _int(spec.get("healthCheckNodePort"))
    if not (stype == "LoadBalancer" and etp == "Local"):
        if hcnp != 0:
            errs.append(invalid("spec.healthCheckNodePort", hcnp, "may only be set when `type` is "
                                "'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    elif hcnp != 0:  # zero is allocated by the registry before validation
        errs.extend(_port_num_errors("spec.healthCheckNodePort", hcnp))

    itp = spec.get("internalTrafficPolicy")
    if isinstance(itp, str) and itp not in _TRAFFIC_POLICIES:
        errs.append(unsupported("spec.internalTrafficPolicy", itp, _TRAFFIC_POLICIES))
    return errs


# --------------------------------------------------------------------------- NetworkPolicy

_NP_PROTOCOLS = ("TCP", "UDP", "SCTP")
_POLICY_TYPES = ("Ingress", "Egress")


def _validate_np_port(port: Mapping[str, Any], path: str) -> list[FieldError]:
    """`ValidateNetworkPolicyPort` (VAL-5): protocol, port, the endPort quirks."""
    errs: list[FieldError] = []
    get = port.get
    protocol = get("protocol")
    if isinstance(protocol, str) and protocol not in _NP_PROTOCOLS:
        errs.append(unsupported(_child(path, "protocol"), protocol, _NP_PROTOCOLS))
    number = get("port")
    end_port = get("endPort")
    if number is not None:
        if isinstance(number, int):
            if not 1 <= number <= 65535:
                errs.append(invalid(_child(path, "port"), number, _PORT_RANGE_MSG))
            if end_port is not None:
                if end_port < number:
                    # v1.21–v1.35 print the *port* here, not the endPort (VAL-5).
                    errs.append(invalid(_child(path, "endPort"), number,
                                        "must be greater than or equal to `port`"))
                if not 1 <= end_port <= 65535:
                    errs.append(invalid(_child(path, "endPort"), end_port, _PORT_RANGE_MSG))
        else:
            if end_port is not None:
                errs.append(invalid(_child(path, "endPort"), end_port,
                                    "may not be specified when `port` is non-numeric"))
            msgs = is_valid_port_name(number)
            if msgs:
                errs.extend(invalid(_child(path, "port"), number, m) for m in msgs)
    elif end_port is not None:
        errs.append(invalid(_child(path, "endPort"), end_port,
                            "may not be specified when `port` is not specified"))
    return errs


def _validate_ip_block(block: Mapping[str, Any], path: str) -> list[FieldError]:
    """`ValidateIPBlock`: lenient parser, `except` strictly inside `cidr` (VAL-6)."""
    cidr = _str(block.get("cidr"))
    if not cidr:
        return [required(_child(path, "cidr"))]
    net = _parse_cidr_cached(cidr)
    if net is None:
        return [invalid(_child(path, "cidr"), cidr, _CIDR_MSG)]
    errs: list[FieldError] = []
    for i, value in enumerate(_list(block.get("except"))):
        value = _str(value)
        sub = _parse_cidr_cached(value)
        if sub is None:
            errs.append(invalid(_index(_child(path, "except"), i), value, _CIDR_MSG))
            continue
        if (sub.version != net.version or sub.network_address not in net
                or net.prefixlen >= sub.prefixlen):
            errs.append(invalid(_index(_child(path, "except"), i), value,
                                "must be a strict subset of `cidr`"))
    return errs


def _validate_np_peer(peer: Mapping[str, Any], path: str) -> list[FieldError]:
    """`ValidateNetworkPolicyPeer` (VAL-10)."""
    errs: list[FieldError] = []
    count = 0
    for fld in ("podSelector", "namespaceSelector"):
        if peer.get(fld) is not None:
            count += 1
            errs.extend(validate_label_selector(_dict(peer[fld]), _child(path, fld)))
    has_block = peer.get("ipBlock") is not None
    if has_block:
        count += 1
        errs.extend(_validate_ip_block(_dict(peer["ipBlock"]), _child(path, "ipBlock")))
    if count == 0:
        errs.append(required(path, "must specify a peer"))
    elif count > 1 and has_block:
        errs.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return errs


def _validate_network_policy(obj: Mapping[str, Any]) -> list[FieldError]:
    """`ValidateNetworkPolicy` (VAL-10); `policyTypes` is checked as given (not defaulted)."""
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_subdomain, True)
    spec = _dict(obj.get("spec"))
    errs.extend(validate_label_selector(_dict(spec.get("podSelector")), "spec.podSelector"))
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_list(spec.get(direction))):
            rule = _dict(rule)
            rpath = _index(_child("spec", direction), i)
            for j, port in enumerate(_list(rule.get("ports"))):
                errs.extend(_validate_np_port(_dict(port), _index(_child(rpath, "ports"), j)))
            for j, peer in enumerate(_list(rule.get(peers_field))):
                errs.extend(_validate_np_peer(_dict(peer), _index(_child(rpath, peers_field), j)))
    types = _list(spec.get("policyTypes"))
    if len(types) > len(_POLICY_TYPES):
        errs.append(invalid("spec.policyTypes", types, "may not specify more than two policyTypes"))
        return errs
    for i, ptype in enumerate(types):
        if ptype not in _POLICY_TYPES:
            errs.append(unsupported(_index("spec.policyTypes", i), ptype, _POLICY_TYPES))
    return errs


# --------------------------------------------------------------------------- EndpointSlice

_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_SLICE_PORTS = 20000


def _too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, TOO_MANY, actual, f"must have at most {limit} items")


def _fqdn_errors(path: str, name: str) -> list[FieldError]:
    """`IsFullyQualifiedDomainName`: a trailing dot is allowed, ≥ 2 labels."""
    if not name:
        return [required(path)]
    name = name.removesuffix(".")
    msgs = is_dns1123_subdomain(name)
    if msgs:
        return [invalid(path, name, ",".join(msgs))]
    labels = name.split(".")
    if len(labels) < 2:
        return [invalid(path, name, "should be a domain with at least two segments separated "
                                    "by dots")]
    for label in labels:
        msgs = is_dns1123_label(label)
        if msgs:
            return [invalid(path, label, ",".join(msgs))]
    return []


def _validate_endpoint_slice(obj: Mapping[str, Any]) -> list[FieldError]:
    """discovery `ValidateEndpointSlice` (VAL-11): fields sit at the top level, no `spec`."""
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_subdomain, True)
    address_type = _str(obj.get("addressType"))
    if not address_type:
        errs.append(required("addressType"))
    elif address_type not in _ADDRESS_TYPES:
        errs.append(unsupported("addressType", address_type, _ADDRESS_TYPES))
    endpoints = _list(obj.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        errs.append(_too_many("endpoints", len(endpoints), MAX_ENDPOINTS))
        endpoints = []
    for i, endpoint in enumerate(endpoints):
        endpoint = _dict(endpoint)
        epath = _index("endpoints", i)
        apath = _child(epath, "addresses")
        addresses = [_str(a) for a in _list(endpoint.get("addresses"))]
        if not addresses:
            errs.append(required(apath, "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            errs.append(_too_many(apath, len(addresses), MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            path = _index(apath, j)
            if address_type in ("IPv4", "IPv6"):
                ip = parse_ip_sloppy(address)
                if ip is None or ip.version != int(address_type[-1]):
                    errs.append(invalid(path, address, f"must be a valid {address_type} address"))
                errs.extend(_non_special_ip(path, address))
            elif address_type == "FQDN":
                errs.extend(_fqdn_errors(path, address))
        node_name = endpoint.get("nodeName")
        if isinstance(node_name, str):
            errs.extend(invalid(_child(epath, "nodeName"), node_name, m)
                        for m in is_dns1123_subdomain(node_name))
        topology = _dict(endpoint.get("deprecatedTopology"))
        if len(topology) > 16:
            errs.append(_too_many(_child(epath, "deprecatedTopology"), len(topology), 16))
        errs.extend(validate_labels(topology, _child(epath, "deprecatedTopology")))
        hostname = endpoint.get("hostname")
        if isinstance(hostname, str):
            errs.extend(invalid(_child(epath, "hostname"), hostname, m)
                        for m in is_dns1123_label(hostname))
    ports = _list(obj.get("ports"))
    if len(ports) > MAX_SLICE_PORTS:
        errs.append(_too_many("ports", len(ports), MAX_SLICE_PORTS))
        ports = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = _dict(port)
        ppath = _index("ports", i)
        name = _str(port.get("name"))
        if name:
            errs.extend(invalid(_child(ppath, "name"), name, m) for m in is_dns1123_label(name))
        if name in names:
            errs.append(duplicate(_child(ppath, "name"), name))
        names.add(name)
        protocol = _str(port.get("protocol")) or "TCP"
        if protocol not in _PROTOCOLS_SORTED:
            errs.append(unsupported(_child(ppath, "protocol"), protocol, _PROTOCOLS_SORTED))
        app_protocol = port.get("appProtocol")
        if isinstance(app_protocol, str):
            errs.extend(invalid(_child(ppath, "appProtocol"), app_protocol, m)
                        for m in is_qualified_name(app_protocol))
    return errs


# --------------------------------------------------------------------------- Node, Namespace


def _validate_node(obj: Mapping[str, Any]) -> list[FieldError]:
    """`ValidateNode`: name, podCIDRs (`podCIDR` converts to `podCIDRs[0]`), InternalIP."""
    errs = validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_subdomain, False)
    spec = _dict(obj.get("spec"))
    cidrs = [_str(c) for c in _list(spec.get("podCIDRs"))]
    if not cidrs and _str(spec.get("podCIDR")):
        cidrs = [_str(spec.get("podCIDR"))]
    for i, cidr in enumerate(cidrs):
        errs.extend(_cidr_errors(_index("spec.podCIDRs", i), cidr))
    if len(cidrs) > 1:
        nets = [parse_cidr_sloppy(c) for c in cidrs]
        if None not in nets and (len(cidrs) > 2 or len({n.version for n in nets if n}) < 2):
            errs.append(invalid("spec.podCIDRs", cidrs,
                                "may specify no more than one CIDR for each IP family"))
        seen: set[str] = set()
        for i, cidr in enumerate(cidrs):
            if cidr in seen:
                errs.append(duplicate(_index("spec.podCIDRs", i), cidr))
            seen.add(cidr)
    # Not an API-server check (status is optional there), but ClusterLab routes by it.
    for i, address in enumerate(_list(_dict(obj.get("status")).get("addresses"))):
        address = _dict(address)
        if address.get("type") == "InternalIP":
            value = address.get("address")
            errs.extend(_ip_errors(_child(_index("status.addresses", i), "address"),
                                   value if isinstance(value, str) else str(value)))
    return errs


def _validate_namespace(obj: Mapping[str, Any]) -> list[FieldError]:
    return validate_object_meta(obj.get("metadata"), "metadata", is_dns1123_label, False)


_VALIDATORS: dict[str, Callable[[Mapping[str, Any]], list[FieldError]]] = {
    "Namespace": _validate_namespace,
    "Node": _validate_node,
    "Pod": _validate_pod,
    "Service": _validate_service,
    "EndpointSlice": _validate_endpoint_slice,
    "NetworkPolicy": _validate_network_policy,
    "Deployment": _validate_workload,
    "ReplicaSet": _validate_workload,
}


def validate_object(kind: str, obj: Mapping[str, Any]) -> list[FieldError]:
    """What the API server answers for creating `obj`: [] when it would be accepted.

    A JSON type mismatch is reported alone, as the decode step rejects the object before
    validation runs. Kinds other than the simulated ones (and ClusterConfig) give [].
    """
    if kind == "ClusterConfig":
        return validate_cluster_config(obj)
    validator = _VALIDATORS.get(kind)
    if validator is None:
        return []
    if not isinstance(obj, Mapping):
        return [invalid("", obj, f"expected object, got {_json_type(obj)}")]
    return _type_errors(kind, obj) or validator(obj)


def validate_update(kind: str, old: Mapping[str, Any], allocated: Mapping[str, Any],
                    new: Mapping[str, Any]) -> list[FieldError]:
    """What the API server refuses to change on an update, before it validates the new
    object (`ValidateServiceUpdate`, `ValidateNodeUpdate`): a Service's cluster IP and a
    Node's podCIDR stay as allocated. `allocated` is what the server recorded for the old
    object (its status here: `clusterIP`, `podCIDR`). A field the new manifest leaves out
    is the old one (the registry copies allocations forward), so only a different value
    is refused."""
    if kind == "Service":
        return _service_update(_dict(old.get("spec")), allocated, _dict(new.get("spec")))
    if kind == "Node":
        return _node_update(_dict(old.get("spec")), allocated, _dict(new.get("spec")))
    return []


def _requested(spec: Mapping[str, Any], single: str, plural: str) -> list[str]:
    values = spec.get(plural)
    if isinstance(values, list) and values:
        return [str(v) for v in values]
    value = spec.get(single)
    return [str(value)] if isinstance(value, str) and value else []


def _service_update(old: Mapping[str, Any], allocated: Mapping[str, Any],
                    new: Mapping[str, Any]) -> list[FieldError]:
    """validateUpgradeDowngradeClusterIPs for one IP family (the simulator's)."""
    if "ExternalName" in (old.get("type") or "ClusterIP", new.get("type") or "ClusterIP"):
        return []
    before = _requested(old, "clusterIP", "clusterIPs")
    if not before and isinstance(allocated.get("clusterIP"), str):
        before = [allocated["clusterIP"]]
    after = _requested(new, "clusterIP", "clusterIPs") or before
    if before == after or not before or (before == ["None"] and after == ["None"]):
        return []
    if len(before) == len(after):
        return [invalid(f"spec.clusterIPs[{i}]", after, "may not change once set")
                for i, ip in enumerate(before) if ip != after[i]]
    return [invalid("spec.clusterIPs[0]", after, "may not change once set")] \
        if before[0] != after[0] else []


def _node_update(old: Mapping[str, Any], allocated: Mapping[str, Any],
                 new: Mapping[str, Any]) -> list[FieldError]:
    before = _requested(old, "podCIDR", "podCIDRs")
    if not before and isinstance(allocated.get("podCIDR"), str):
        before = [allocated["podCIDR"]]
    after = _requested(new, "podCIDR", "podCIDRs") or before
    if not before or before == after:
        return []
    return [forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" '
                                       "to valid")]


def check_object(kind: str, obj: Mapping[str, Any]) -> tuple[list[FieldError], list[str]]:
    """`(validate_object(kind, obj), unknown_fields(kind, obj))` for a loader that asks both.

    An object whose fields all exist and have their JSON types — nearly every one in a
    real manifest — is looked at once instead of twice.
    """
    validator = _VALIDATORS.get(kind)
    if validator is not None and type(obj) is dict and _CHECKS[kind].ok(obj):
        return validator(obj), []
    return validate_object(kind, obj), unknown_fields(kind, obj)


# --------------------------------------------------------------------------- ClusterConfig
# ClusterLab's own kind; same error style, paths from `spec.`. Networks are IPv4 only
# (the simulator is single-stack) and, unlike the lenient Kubernetes fields, must be
# written in canonical form: a config names networks, it does not guess them.

CLUSTER_CONFIG_API_VERSION = "clusterlab.io/v1alpha1"
_KUBE_PROXY_MODES = ("iptables", "ipvs")
_DNS_POD_MODES = ("insecure", "verified", "disabled")
_UPSTREAM_RECORDS = ("A", "CNAME")
_MTU_RANGE = (576, 9000)
_MAX_SERVICE_CIDR_HOST_BITS = 20  # kube-apiserver: service range mask must be >= 12
_MAX_NODE_CIDR_DIFF = 16  # nodeipam cidrset: at most 2^16 node ranges


def _config_ipv4(errs: list[FieldError], path: str, value: str) -> IPv4Address | None:
    """A canonical IPv4 address, else an error in `errs` and None."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        errs.append(invalid(path, value, _IP_MSG))
    elif not isinstance(ip, IPv4Address):
        errs.append(invalid(path, value, "must be a valid IPv4 address"))
    elif str(ip) != value:
        errs.append(invalid(path, value, f'must be in canonical form ("{ip}")'))
    else:
        return ip
    return None


def _config_cidr(errs: list[FieldError], path: str, value: str) -> IPv4Network | None:
    """A canonical IPv4 CIDR (no host bits), else an error in `errs` and None."""
    net = parse_cidr_sloppy(value)
    if net is None:
        errs.append(invalid(path, value, _CIDR_MSG))
    elif not isinstance(net, IPv4Network):
        errs.append(invalid(path, value,
                            "must be an IPv4 CIDR (ClusterLab simulates IPv4 clusters)"))
    elif str(net) != value:
        errs.append(invalid(path, value, f'must be in canonical form ("{net}")'))
    else:
        return net
    return None


def _names(errs: list[FieldError], values: Iterable[Any], path: str) -> None:
    for i, value in enumerate(values):
        errs.extend(invalid(_index(path, i), value, m) for m in is_dns1123_subdomain(_str(value)))


def validate_cluster_config(obj: Mapping[str, Any]) -> list[FieldError]:
    """Validate `apiVersion: clusterlab.io/v1alpha1, kind: ClusterConfig` (model.ClusterConfig).

    Every field is optional; absent fields take model.ClusterConfig's defaults.
    """
    if not isinstance(obj, Mapping):
        return [invalid("", obj, f"expected object, got {_json_type(obj)}")]
    wrong = _type_errors("ClusterConfig", obj)
    if wrong:
        return wrong
    errs: list[FieldError] = []
    api_version = _str(obj.get("apiVersion"))
    if api_version != CLUSTER_CONFIG_API_VERSION:
        errs.append(unsupported("apiVersion", api_version, (CLUSTER_CONFIG_API_VERSION,)))
    meta = _dict(obj.get("metadata"))
    if _str(meta.get("name")):
        errs.extend(invalid("metadata.name", meta["name"], m)
                    for m in is_dns1123_subdomain(meta["name"]))
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    errs.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    spec = _dict(obj.get("spec"))

    cni = _dict(spec.get("cni"))
    plugin = _str(cni.get("plugin")) or "flannel"
    if plugin not in CNI_MODES:
        errs.append(unsupported("spec.cni.plugin", plugin, tuple(CNI_MODES)))
    else:
        mode = _str(cni.get("mode"))
        if mode and mode not in CNI_MODES[plugin]:
            errs.append(unsupported("spec.cni.mode", mode, CNI_MODES[plugin]))

    cluster_cidr = service_cidr = None
    if "clusterCIDR" in spec and spec["clusterCIDR"] is not None:
        cluster_cidr = _config_cidr(errs, "spec.clusterCIDR", spec["clusterCIDR"])
    else:
        cluster_cidr = IPv4Network("10.244.0.0/16")
    if "serviceCIDR" in spec and spec["serviceCIDR"] is not None:
        service_cidr = _config_cidr(errs, "spec.serviceCIDR", spec["serviceCIDR"])
        if service_cidr is not None and \
                32 - service_cidr.prefixlen > _MAX_SERVICE_CIDR_HOST_BITS:
            errs.append(invalid("spec.serviceCIDR", spec["serviceCIDR"],
                                "is too large; for 32-bit addresses, the mask must be >= "
                                f"{32 - _MAX_SERVICE_CIDR_HOST_BITS}"))
            service_cidr = None
    else:
        service_cidr = IPv4Network("10.96.0.0/12")
    if cluster_cidr is not None and service_cidr is not None and \
            cluster_cidr.overlaps(service_cidr):
        errs.append(invalid("spec.serviceCIDR", str(service_cidr),
                            f"must not overlap with `clusterCIDR` ({cluster_cidr})"))

    domain = _str(spec.get("clusterDomain"))
    if "clusterDomain" in spec and spec["clusterDomain"] is not None:
        errs.extend(invalid("spec.clusterDomain", domain, m) for m in is_dns1123_subdomain(domain))

    mode = spec.get("kubeProxyMode")
    if mode is not None and mode not in _KUBE_PROXY_MODES:
        errs.append(unsupported("spec.kubeProxyMode", mode, _KUBE_PROXY_MODES))
    if spec.get("kubeProxyReplacement") is True and plugin != "cilium":
        errs.append(forbidden("spec.kubeProxyReplacement",
                              "may only be used when `cni.plugin` is 'cilium'"))

    if spec.get("nodePortRange") is not None:
        errs.extend(_validate_node_port_range(spec["nodePortRange"]))

    mask = spec.get("nodeCIDRMaskSize")
    if mask is not None and cluster_cidr is not None:
        if mask <= cluster_cidr.prefixlen:
            errs.append(invalid("spec.nodeCIDRMaskSize", mask, "must be greater than the prefix "
                                f"length of `clusterCIDR` ({cluster_cidr.prefixlen})"))
        elif mask > 30:
            errs.append(invalid("spec.nodeCIDRMaskSize", mask, "must be no more than 30"))
        elif mask - cluster_cidr.prefixlen > _MAX_NODE_CIDR_DIFF:
            errs.append(invalid("spec.nodeCIDRMaskSize", mask,
                                f"must be at most {_MAX_NODE_CIDR_DIFF} more than the prefix "
                                f"length of `clusterCIDR` ({cluster_cidr.prefixlen})"))

    errs.extend(_validate_config_dns(_dict(spec.get("dns"))))
    errs.extend(_validate_external_hosts(_list(spec.get("externalHosts"))))
    subnets_errs, subnet_names = _validate_subnets(_list(spec.get("subnets")))
    errs.extend(subnets_errs)
    errs.extend(_validate_faults(_dict(spec.get("faults")), subnet_names))
    return errs


_PORT_RANGE_RE = re.compile(r"([0-9]+)-([0-9]+)")


def _validate_node_port_range(value: str) -> list[FieldError]:
    """`--service-node-port-range` as `first-last`, e.g. `30000-32767` (SVC-3)."""
    path = "spec.nodePortRange"
    match = _PORT_RANGE_RE.fullmatch(value.strip())
    if match is None:
        return [invalid(path, value, 'must be "<first>-<last>", e.g. "30000-32767"')]
    first, last = int(match[1]), int(match[2])
    if not (1 <= first <= 65535 and 1 <= last <= 65535):
        return [invalid(path, value, "ports " + _PORT_RANGE_MSG)]
    if first > last:
        return [invalid(path, value, "first port must not be greater than the last")]
    return []


def _validate_config_dns(dns: Mapping[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    pods = dns.get("pods")
    if pods is not None and pods not in _DNS_POD_MODES:
        errs.append(unsupported("spec.dns.pods", pods, _DNS_POD_MODES))
    for name, records in _dict(dns.get("upstream")).items():
        path = _key("spec.dns.upstream", name)
        fqdn = str(name).removesuffix(".")
        errs.extend(invalid(path, str(name), m) for m in is_dns1123_subdomain(fqdn))
        records = _dict(records)
        for i, ip in enumerate(_list(records.get("A"))):
            _config_ipv4(errs, _index(_child(path, "A"), i), ip)
        cname = records.get("CNAME")
        if cname is not None:
            errs.extend(invalid(_child(path, "CNAME"), cname, m)
                        for m in is_dns1123_subdomain(cname.removesuffix(".")))
            if _list(records.get("A")):
                errs.append(forbidden(_child(path, "CNAME"),
                                      "may not be set together with `A` (RFC 1034 3.6.2)"))
    resolv = _dict(dns.get("nodeResolvConf"))
    for i, ip in enumerate(_list(resolv.get("nameservers"))):
        _config_ipv4(errs, _index("spec.dns.nodeResolvConf.nameservers", i), ip)
    for i, domain in enumerate(_list(resolv.get("search"))):
        domain = _str(domain)
        errs.extend(invalid(_index("spec.dns.nodeResolvConf.search", i), domain, m)
                    for m in is_dns1123_subdomain(domain.removesuffix(".")))
    return errs


def _validate_external_hosts(hosts: list[Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    seen_ips: set[IPv4Address] = set()
    for i, host in enumerate(hosts):
        host = _dict(host)
        path = _index("spec.externalHosts", i)
        if not _str(host.get("ip")):
            errs.append(required(_child(path, "ip")))
        else:
            ip = _config_ipv4(errs, _child(path, "ip"), host["ip"])
            if ip is not None:
                if ip in seen_ips:
                    errs.append(duplicate(_child(path, "ip"), host["ip"]))
                seen_ips.add(ip)
        name = _str(host.get("name"))
        if name:
            errs.extend(invalid(_child(path, "name"), name, m) for m in is_dns1123_subdomain(name))
        listens: set[tuple[int, str]] = set()
        for j, listen in enumerate(_list(host.get("listens"))):
            listen = _dict(listen)
            lpath = _index(_child(path, "listens"), j)
            port = _int(listen.get("port"))
            if port == 0:
                errs.append(required(_child(lpath, "port")))
            else:
                errs.extend(_port_num_errors(_child(lpath, "port"), port))
            protocol = _str(listen.get("protocol")) or "TCP"
            if protocol not in _PROTOCOLS_SORTED:
                errs.append(unsupported(_child(lpath, "protocol"), protocol, _PROTOCOLS_SORTED))
            if (port, protocol) in listens:
                errs.append(duplicate(lpath, {"port": port, "protocol": protocol}))
            listens.add((port, protocol))
        for j, route in enumerate(_list(host.get("routes"))):
            route = _dict(route)
            rpath = _index(_child(path, "routes"), j)
            for fld, parse in (("dst", _config_cidr), ("via", _config_ipv4)):
                if not _str(route.get(fld)):
                    errs.append(required(_child(rpath, fld)))
                else:
                    parse(errs, _child(rpath, fld), route[fld])
    return errs


def _validate_subnets(subnets: list[Any]) -> tuple[list[FieldError], set[str]]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, subnet in enumerate(subnets):
        subnet = _dict(subnet)
        path = _index("spec.subnets", i)
        name = _str(subnet.get("name"))
        if not name:
            errs.append(required(_child(path, "name")))
        else:
            errs.extend(invalid(_child(path, "name"), name, m) for m in is_dns1123_label(name))
            if name in names:
                errs.append(duplicate(_child(path, "name"), name))
            names.add(name)
        net = None
        if not _str(subnet.get("cidr")):
            errs.append(required(_child(path, "cidr")))
        else:
            net = _config_cidr(errs, _child(path, "cidr"), subnet["cidr"])
        if _str(subnet.get("gateway")):
            gateway = _config_ipv4(errs, _child(path, "gateway"), subnet["gateway"])
            if gateway is not None and net is not None and gateway not in net:
                errs.append(invalid(_child(path, "gateway"), subnet["gateway"],
                                    f"must be inside `cidr` ({net})"))
    return errs, names


def _validate_faults(faults: Mapping[str, Any], subnet_names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    _names(errs, _list(faults.get("nodesDown")), "spec.faults.nodesDown")
    _names(errs, _list(faults.get("kubeProxyStopped")), "spec.faults.kubeProxyStopped")
    for i, link in enumerate(_list(faults.get("cutLinks"))):
        path = _index("spec.faults.cutLinks", i)
        link = [_str(s) for s in _list(link)]
        if len(link) != 2:
            errs.append(invalid(path, link, "must name exactly two subnets"))
            continue
        for j, name in enumerate(link):
            if name not in subnet_names:
                errs.append(not_found(_index(path, j), name))
        if link[0] == link[1]:
            errs.append(invalid(path, link, "must name two different subnets"))
    low, high = _MTU_RANGE
    for node, mtu in _dict(faults.get("nodeMTU")).items():
        path = _key("spec.faults.nodeMTU", node)
        errs.extend(invalid(path, str(node), m) for m in is_dns1123_subdomain(str(node)))
        if not low <= mtu <= high:
            errs.append(invalid(path, mtu, f"must be between {low} and {high}, inclusive"))
    return errs

