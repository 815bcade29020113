"""The load path's shortcuts give exactly what the full checks give (issue #3 performance).

`validation.py` and `manifests.py` answer the common case — plain JSON of the right types,
valid names — without building error paths or parsing twice; anything unusual goes the
long way. Each shortcut is compared here with the code it stands in for, or with an
independent statement of the rule (VAL-1, VAL-2, VAL-3, VAL-5, VAL-6), on generated input.
"""

from __future__ import annotations

import dataclasses
import re
from ipaddress import IPv4Address, ip_address
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterlab.sim import manifests, validation
from clusterlab.sim.errors import ManifestError
from clusterlab.sim.model import Container, ContainerPort, Service, ServicePort
from clusterlab.sim.validation import (
    check_object,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    unknown_fields,
    validate_object,
)

KINDS = ["Namespace", "Node", "Pod", "Service", "EndpointSlice", "NetworkPolicy", "Deployment",
         "ReplicaSet", "ClusterConfig"]


def _walk_clean(kind: str, obj: object) -> bool:
    """The full decoding walk found neither an unknown field nor a type error."""
    unknown: list[str] = []
    wrong: list[object] = []
    validation._walk(validation._SCHEMAS[kind], obj, "", unknown, wrong)
    return not unknown and not wrong


def _answers(kind: str, obj: object) -> tuple[list[str], list[str]]:
    return [str(e) for e in validate_object(kind, obj)], unknown_fields(kind, obj)


def _pod(**spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}], **spec}}


# --------------------------------------------------------------------------- decoding (VAL-1)

# Values of every JSON type and a few non-JSON ones a caller of load_documents may pass
_SCALARS = (st.none() | st.booleans() | st.integers(-3, 70000) | st.floats(allow_nan=False)
            | st.sampled_from(["", "web", "TCP", "10.0.0.1", "None", "Bad_Name"]))
_FIELDS = ["metadata", "name", "namespace", "labels", "annotations", "spec", "status",
           "containers", "image", "ports", "port", "containerPort", "hostPort", "protocol",
           "targetPort", "nodePort", "selector", "matchLabels", "matchExpressions", "key",
           "operator", "values", "podSelector", "namespaceSelector", "ipBlock", "cidr", "except",
           "ingress", "egress", "from", "to", "endPort", "policyTypes", "template", "replicas",
           "hostNetwork", "dnsConfig", "nameservers", "options", "clusterIPs", "type", "cni",
           "upstream", "A", "cutLinks", "nodeMTU", "endpoints", "addresses", "conditions",
           "ready", "sessionAffinityConfig", "clientIP", "timeoutSeconds", "prots", "x"]
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=4)
    | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=2).map(MappingProxyType),
    max_leaves=30)


@settings(max_examples=600)
@given(st.sampled_from(KINDS), st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=6))
def test_decoding_shortcut_agrees_with_the_full_walk(kind, obj):
    assert validation._CHECKS[kind].ok(obj) == _walk_clean(kind, obj)


@settings(max_examples=400)
@given(st.sampled_from(KINDS), st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=6))
def test_check_object_is_validate_object_and_unknown_fields(kind, obj):
    errors, unknown = check_object(kind, obj)
    assert ([str(e) for e in errors], unknown) == _answers(kind, obj)


def test_an_unknown_field_is_reported_even_when_null():
    """Strict decoding knows the field name before it looks at the value."""
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"ports": [{"port": 80}], "clusterIp": None}, "unschedulable": None}
    assert unknown_fields("Service", svc) == ["spec.clusterIp", "unschedulable"]
    assert check_object("Service", svc)[1] == ["spec.clusterIp", "unschedulable"]


def test_null_known_fields_decode_to_zero_values():
    assert check_object("Pod", _pod(hostNetwork=None, nodeName=None)) == ([], [])


@pytest.mark.parametrize("wrap", [MappingProxyType, dict])
def test_a_mapping_that_is_not_a_dict_gets_the_same_answers(wrap):
    class Name(str):
        pass

    obj = _pod(containers=[wrap({"name": Name("web"), "image": "nginx",
                                 "ports": [wrap({"containerPort": 80, "protocol": Name("TCP")})]})])
    assert _answers("Pod", obj) == ([], [])
    bad = _pod(containers=[wrap({"name": "web", "image": "nginx", "ports": [wrap({"port": 80})]})])
    assert check_object("Pod", bad)[1] == _answers("Pod", bad)[1] == \
        ["spec.containers[0].ports[0].port"]


def test_bool_is_not_an_integer_and_int_is_not_a_string():
    obj = _pod(containers=[{"name": "web", "image": "nginx", "ports": [{"containerPort": True}]}])
    assert [str(e) for e in check_object("Pod", obj)[0]] == [
        "spec.containers[0].ports[0].containerPort: Invalid value: true: "
        "expected integer, got boolean"]
    obj = {**_pod(), "metadata": {"name": "web", "labels": {"version": 1}}}
    assert [str(e) for e in check_object("Pod", obj)[0]] == [
        "metadata.labels[version]: Invalid value: 1: expected string, got integer"]


# --------------------------------------------------------------------------- names (VAL-2, 3, 5)

_NAME_TEXT = st.text(alphabet="ab-z09AZ_./\n é", max_size=18)


def _port_name_ok(name: str) -> bool:
    """IsValidPortName written out rule by rule (VAL-5)."""
    return (len(name.encode()) <= 15 and re.fullmatch("[-a-z0-9]+", name) is not None
            and re.search("[a-z]", name) is not None and "--" not in name
            and not name.startswith("-") and not name.endswith("-"))


@settings(max_examples=1000)
@given(_NAME_TEXT)
def test_port_name_shortcut_is_every_rule_at_once(name):
    assert (validation._VALID_PORT_NAME_RE.fullmatch(name) is not None) == _port_name_ok(name)
    assert (is_valid_port_name(name) == []) == _port_name_ok(name)


@settings(max_examples=500)
@given(_NAME_TEXT)
def test_remembered_names_are_answered_as_before(name):
    for check in (is_valid_port_name, is_qualified_name, is_valid_label_value,
                  validation.is_dns1123_label, validation.is_dns1123_subdomain,
                  validation.is_dns1035_label):
        first, second = check(name), check(name)
        assert first == second
        assert first is not second  # a fresh list each time: callers may extend it


def test_invalid_names_are_never_remembered():
    assert is_valid_label_value("bad value") == is_valid_label_value("bad value") != []
    assert "bad value" not in validation._VALID_LABEL_VALUES
    assert "-web" not in validation._VALID_PORT_NAMES and is_valid_port_name("-web")


def test_label_checks_count_bytes_not_characters():
    value = "é" * 32  # 64 bytes, 32 characters
    assert validation.is_dns1123_label("a" * 64) != []
    assert "must be no more than 63 characters" in is_valid_label_value(value)


# --------------------------------------------------------------------------- IPs, CIDRs (VAL-6)

_IPISH = st.text(alphabet="0123456789./:%af ", max_size=20) | st.builds(
    lambda parts, pad: ".".join(str(p).zfill(pad) for p in parts),
    st.lists(st.integers(0, 300), min_size=3, max_size=5), st.integers(1, 4))


@settings(max_examples=1500)
@given(_IPISH)
def test_ip_and_cidr_shortcuts_agree_with_the_sloppy_parsers(text):
    assert validation._ip_ok(text) == (parse_ip_sloppy(text) is not None)
    assert validation._cidr_ok(text) == (parse_cidr_sloppy(text) is not None)
    if ":" not in text and "%" not in text and text:
        assert validation._sloppy_ipv4_ok(text) == (validation._sloppy_ipv4(text) is not None)


def _reference_sloppy_ip(text: str) -> object:
    """The loader's address reader before its IPv4 shortcut."""
    try:
        return ip_address(text)
    except ValueError:
        return parse_ip_sloppy(text)


@settings(max_examples=1500)
@given(_IPISH | st.sampled_from(["::1", "fe80::1%eth0", "1.2.3.4\x00", "١.2.3.4", "01.2.3.4"]))
def test_loader_ip_shortcut_gives_the_same_address(text):
    got, want = manifests._sloppy_ip(text), _reference_sloppy_ip(text)
    assert got == want and type(got) is type(want)


def test_leading_zeros_are_read_as_decimal():
    assert manifests._sloppy_ip("010.001.000.009") == IPv4Address("10.1.0.9")


# --------------------------------------------------------------------------- loader values


_PORT = st.fixed_dictionaries({}, optional={
    "containerPort": st.none() | st.integers(0, 70000), "protocol": st.none() | st.sampled_from(
        ["", "TCP", "UDP", "SCTP"]), "name": st.none() | st.sampled_from(["", "http", "dns"]),
    "hostPort": st.none() | st.integers(0, 9000)})
_CONTAINER = st.fixed_dictionaries({}, optional={
    "name": st.none() | st.sampled_from(["", "web", "db"]),
    "image": st.none() | st.sampled_from(["", "nginx"]),
    "ports": st.none() | st.lists(_PORT, max_size=3)})


class _Plain(dict):
    """A dict the shortcut does not take: read field by field, as before."""


@settings(max_examples=500)
@given(_CONTAINER)
def test_shared_containers_equal_the_ones_read_field_by_field(container):
    slow_container = _Plain(container)
    if container.get("ports"):
        slow_container["ports"] = [_Plain(p) for p in container["ports"]]
    fast = manifests._containers({"containers": [container]}, "spec")
    slow = manifests._containers({"containers": [slow_container]}, "spec")
    assert fast == slow
    assert all(type(a) is type(b) for a, b in zip(fast[0].ports, slow[0].ports, strict=True))


def test_containers_that_are_not_plain_json_are_not_shared():
    class Port(int):
        pass

    got = manifests._containers({"containers": [{"name": "web", "ports": [
        {"containerPort": Port(80)}]}]}, "spec")
    assert type(got[0].ports[0].container_port) is Port
    plain = manifests._containers({"containers": [{"name": "web", "ports": [
        {"containerPort": 80}]}]}, "spec")
    assert type(plain[0].ports[0].container_port) is int
    assert plain == (Container("web", "", (ContainerPort(80),)),)


def test_generated_names_and_hashes_are_unchanged():
    """Values computed with the loader before its shortcuts (table lookups, one encoder)."""
    assert manifests.name_suffix("shop/web-7c5d8b9f6/0") == "6tggk"
    assert manifests.name_suffix("shop/web-7c5d8b9f6/1") == "bplpp"
    assert manifests.name_suffix("x", 8) == "tg2l6ghr"
    assert manifests.name_suffix("y", 3) == "b7s"
    assert manifests.pod_template_hash({"metadata": {"labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]}}) \
        == "59cd55c6bd"
    assert manifests.COREDNS_TEMPLATE_HASH == "595f8fc585"


def test_cluster_ip_replacement_is_dataclasses_replace():
    svc = Service("shop", "web", type="NodePort", ports=(ServicePort(80, "TCP", "http", 8080),))
    ip = IPv4Address("10.96.0.7")
    assert manifests._with_cluster_ip(svc, ip) == dataclasses.replace(svc, cluster_ip=ip)


def test_replicas_are_the_drafts_of_one_template():
    docs = [("d#1", {"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "web", "namespace": "default"},
                     "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                              "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                                  "containers": [{"name": "web", "image": "nginx"}]}}}}),
            ("n#1", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}})]
    pods = [p for p in manifests.load_documents(docs).pods if p.owner.startswith("ReplicaSet/web")]
    assert len({p.name for p in pods}) == 3
    assert {(p.labels["app"], p.containers, p.dns_policy, p.phase) for p in pods} == {
        ("web", (Container("web", "nginx"),), "ClusterFirst", "Running")}


def test_a_bad_document_is_still_refused_with_every_problem():
    docs = [("a#1", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                     "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [
                         {"containerPort": 80, "name": "http--x"}]}]}}),
            ("a#2", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                     "spec": {"ports": [{"port": 80}]}, "unschedulable": None})]
    with pytest.raises(ManifestError) as exc:
        manifests.load_documents(docs)
    assert [str(p) for p in exc.value.problems] == [
        "spec.containers[0].ports[0].name: Invalid value: \"http--x\": must not contain "
        "consecutive hyphens [Pod default/web in a#1]",
        'unschedulable: strict decoding error: unknown field "unschedulable" '
        "[Service default/web in a#2]"]
