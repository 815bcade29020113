"""The API server's answers for bad objects, byte for byte (validation.md VAL-1..VAL-11).

Expected strings are copied from the reference (or, where it elides them, built from
the reference's own fragments), never from the module under test.
"""

from __future__ import annotations

import copy
from ipaddress import IPv4Network

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.errors import InvalidObject, ObjectRef
from clusterlab.sim.validation import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_cidr,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    parse_cidr_sloppy,
    parse_ip_sloppy,
    unknown_fields,
    validate_cluster_config,
    validate_label_selector,
    validate_labels,
    validate_object,
    validate_object_meta,
    validate_update,
)

# --------------------------------------------------------------------------- reference texts

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
SUBDOMAIN_US_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')"
)
IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
RANGE_MSG = "must be between 1 and 65535, inclusive"
LB_ONLY = "may only be used when `type` is 'LoadBalancer'"

# --------------------------------------------------------------------------- builders


def ctr(name: str = "app", **kw):
    return {"name": name, "image": "nginx:1.25", **kw}


def pod(spec=None, name="web", **meta):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **meta},
            "spec": {"containers": [ctr()]} if spec is None else spec}


def svc(spec, name="web", **meta):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "shop", **meta}, "spec": spec}


def port(number=80, **kw):
    return {"port": number, "targetPort": 8080, **kw}


def netpol(spec, name="allow"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name}, "spec": {"podSelector": {}, **spec}}


def workload(spec, kind="Deployment"):
    base = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [ctr()]}}}
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web"}, "spec": base}


def slice_(**kw):
    base = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "ext-1", "labels": {"kubernetes.io/service-name": "ext"}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["192.0.2.10"]}],
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
    base.update(kw)
    return base


def node(spec=None, status=None, name="worker-1"):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": spec or {}, "status": status or {}}


def config(spec):
    return {"apiVersion": "clusterlab.io/v1alpha1", "kind": "ClusterConfig",
            "metadata": {"name": "lab"}, "spec": spec}


def messages(kind, obj):
    return [str(e) for e in validate_object(kind, obj)]


# --------------------------------------------------------------------------- the table

CASES = [
    # VAL-2 object names
    ("Namespace", {"metadata": {"name": "Web_1"}},
     [f'metadata.name: Invalid value: "Web_1": {LABEL_MSG}'], "ns-label"),
    ("Namespace", {"metadata": {"name": "team.a"}},
     ['metadata.name: Invalid value: "team.a": must not contain dots'], "ns-dots"),
    ("Namespace", {"metadata": {"name": "a" * 64}},
     [f'metadata.name: Invalid value: "{"a" * 64}": must be no more than 63 characters'],
     "ns-too-long"),
    ("Namespace", {"metadata": {"name": "A" * 64}},
     [f'metadata.name: Invalid value: "{"A" * 64}": must be no more than 63 characters',
      f'metadata.name: Invalid value: "{"A" * 64}": {LABEL_MSG}'], "too-long-before-regex"),
    ("Pod", pod(name="My.Pod"), [f'metadata.name: Invalid value: "My.Pod": {SUBDOMAIN_MSG}'],
     "pod-subdomain"),
    ("Pod", pod(name="x" * 254),
     [f'metadata.name: Invalid value: "{"x" * 254}": must be no more than 253 characters'],
     "pod-too-long"),
    ("Pod", pod(name="1web"), [], "pod-may-start-with-digit"),
    ("Service", svc({"ports": [port()]}, name="1web"),
     [f'metadata.name: Invalid value: "1web": {DNS1035_MSG}'], "svc-dns1035"),
    ("Pod", {"metadata": {}, "spec": {"containers": [ctr()]}},
     ["metadata.name: Required value: name or generateName is required"], "name-required"),
    ("Pod", {"metadata": {"generateName": "web-"}, "spec": {"containers": [ctr()]}}, [],
     "generate-name-trailing-dash"),
    ("Pod", {"metadata": {"generateName": "Web-"}, "spec": {"containers": [ctr()]}},
     [f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}'], "generate-name-bad"),
    ("Pod", pod(namespace="Shop"), [f'metadata.namespace: Invalid value: "Shop": {LABEL_MSG}'],
     "namespace-label"),
    ("NetworkPolicy", netpol({}, name="Allow_All"),
     [f'metadata.name: Invalid value: "Allow_All": {SUBDOMAIN_MSG}'], "np-name"),
    ("EndpointSlice", slice_(metadata={"name": "Ext"}),
     [f'metadata.name: Invalid value: "Ext": {SUBDOMAIN_MSG}'], "slice-name"),
    ("Node", node(name="Worker_1"), [f'metadata.name: Invalid value: "Worker_1": {SUBDOMAIN_MSG}'],
     "node-name"),
    ("Node", node(name="worker-1.lab.local"), [], "node-name-dots"),
    ("Pod", pod({"containers": [ctr("App")]}),
     [f'spec.containers[0].name: Invalid value: "App": {LABEL_MSG}'], "container-name"),
    ("Pod", pod({"containers": [ctr()], "hostname": "web.1", "subdomain": "Web"}),
     ['spec.hostname: Invalid value: "web.1": must not contain dots',
      f'spec.subdomain: Invalid value: "Web": {LABEL_MSG}'], "hostname-subdomain"),
    # VAL-3 labels and annotations
    ("Pod", pod(labels={"-app": "web"}),
     [f'metadata.labels: Invalid value: "-app": {NAME_PART_MSG}'], "label-name-part"),
    ("Pod", pod(labels={"Example.com/app": "web"}),
     [f'metadata.labels: Invalid value: "Example.com/app": prefix part {SUBDOMAIN_MSG}'],
     "label-prefix"),
    ("Pod", pod(labels={"/app": "web"}),
     ['metadata.labels: Invalid value: "/app": prefix part must be non-empty'], "label-no-prefix"),
    ("Pod", pod(labels={"app": "web app"}),
     [f'metadata.labels: Invalid value: "web app": {LABEL_VALUE_MSG}'], "label-value"),
    ("Pod", pod(labels={"App.Tier_2": "Front-End", "example.com/x": ""}), [],
     "label-upper-case-allowed"),
    ("Pod", pod(labels={"k" * 64: "v"}),
     [f'metadata.labels: Invalid value: "{"k" * 64}": name part must be no more than 63 '
      "characters"], "label-name-too-long"),
    ("Pod", pod(labels={"app": "v" * 64}),
     [f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters'],
     "label-value-too-long"),
    ("Pod", pod(labels={"a/b/c": "x"}),
     ['metadata.labels: Invalid value: "a/b/c": a qualified name must consist of alphanumeric '
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
      "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and "
      "'/' (e.g. 'example.com/MyName')"], "label-two-slashes"),
    ("Pod", pod(annotations={"Example.COM/Note": "free text: anything goes ✓"}), [],
     "annotation-key-case-insensitive"),
    ("Pod", pod(annotations={"-note": "x"}),
     [f'metadata.annotations: Invalid value: "-note": {NAME_PART_MSG}'], "annotation-key"),
    ("Pod", pod(annotations={"a": "x" * 262144}),
     ["metadata.annotations: Too long: may not be more than 262144 bytes"], "annotations-size"),
    # VAL-4 selectors
    ("NetworkPolicy", netpol({"podSelector": {"matchExpressions": [{"key": "tier",
                                                                    "operator": "In"}]}}),
     ["spec.podSelector.matchExpressions[0].values: Required value: must be specified when "
      "`operator` is 'In' or 'NotIn'"], "selector-in-without-values"),
    ("NetworkPolicy", netpol({"podSelector": {"matchExpressions": [
        {"key": "tier", "operator": "DoesNotExist", "values": ["db"]}]}}),
     ["spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when "
      "`operator` is 'Exists' or 'DoesNotExist'"], "selector-exists-with-values"),
    ("NetworkPolicy", netpol({"podSelector": {"matchExpressions": [
        {"key": "tier", "operator": "in", "values": ["db"]}]}}),
     ['spec.podSelector.matchExpressions[0].operator: Invalid value: "in": not a valid '
      "selector operator"], "selector-operator"),
    ("NetworkPolicy", netpol({"podSelector": {"matchExpressions": [
        {"key": "-tier", "operator": "Exists"}]}}),
     [f'spec.podSelector.matchExpressions[0].key: Invalid value: "-tier": {NAME_PART_MSG}'],
     "selector-key"),
    ("NetworkPolicy", netpol({"podSelector": {"matchLabels": {"app": "web app"}}}),
     [f'spec.podSelector.matchLabels: Invalid value: "web app": {LABEL_VALUE_MSG}'],
     "selector-match-labels"),
    ("Service", svc({"ports": [port()], "selector": {"app": "web app"}}),
     [f'spec.selector: Invalid value: "web app": {LABEL_VALUE_MSG}'], "svc-selector-labels"),
    # VAL-5 ports and protocols
    ("Service", svc({"ports": [port(70000, targetPort=0)]}),
     ["spec.ports[0].port: Invalid value: 70000: " + RANGE_MSG,
      "spec.ports[0].targetPort: Invalid value: 70000: " + RANGE_MSG], "svc-port-defaults-target"),
    ("Service", svc({"ports": [port(80, targetPort=70000)]}),
     ["spec.ports[0].targetPort: Invalid value: 70000: " + RANGE_MSG], "svc-target-port-int"),
    ("Service", svc({"ports": [port(80, targetPort="http_port")]}),
     ['spec.ports[0].targetPort: Invalid value: "http_port": must contain only alpha-numeric '
      "characters (a-z, 0-9), and hyphens (-)"], "svc-target-port-name"),
    ("Service", svc({"ports": [port(80, targetPort="8080")]}),
     ['spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'],
     "svc-target-port-numeric-string"),
    ("Service", svc({"ports": [port(80, name="http"), port(443)]}),
     ["spec.ports[1].name: Required value"], "svc-port-name-required"),
    ("Service", svc({"ports": [port(80), port(443)]}),
     ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"],
     "svc-port-names-required"),
    ("Service", svc({"ports": [port(80, name="http"), port(443, name="http")]}),
     ['spec.ports[1].name: Duplicate value: "http"'], "svc-port-name-duplicate"),
    ("Service", svc({"ports": [port(80, name="http"), port(80, name="web")]}),
     ['spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}'], "svc-port-duplicate"),
    ("Service", svc({"ports": [port(53, name="dns", protocol="UDP"),
                               port(53, name="dns-tcp", protocol="TCP")]}), [],
     "svc-same-port-two-protocols"),
    ("Service", svc({"ports": [port(name="metrics-endpoint-1")]}), [],
     "svc-port-name-is-dns-label"),
    ("Service", svc({"ports": [port(name="Http")]}),
     [f'spec.ports[0].name: Invalid value: "Http": {LABEL_MSG}'], "svc-port-name-label"),
    ("Service", svc({"ports": [port(protocol="tcp")]}),
     ['spec.ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'],
     "svc-protocol"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 0}, {"name": "http"}])]}),
     ["spec.containers[0].ports[0].containerPort: Required value",
      "spec.containers[0].ports[1].containerPort: Required value"], "container-port-required"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 70000}])]}),
     ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: " + RANGE_MSG],
     "container-port-range"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 80, "hostPort": 70000}])]}),
     ["spec.containers[0].ports[0].hostPort: Invalid value: 70000: " + RANGE_MSG],
     "host-port-range"),
    ("Pod", pod({"hostNetwork": True,
                 "containers": [ctr(ports=[{"containerPort": 8080, "hostPort": 8081}])]}),
     ["spec.containers[0].ports[0].hostPort: Invalid value: 8081: must match `containerPort` "
      "when `hostNetwork` is true"], "host-network-host-port"),
    ("Pod", pod({"hostNetwork": True, "containers": [ctr(ports=[{"containerPort": 8080}])]}),
     [], "host-network-host-port-defaulted"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 80, "name": "http"},
                                           {"containerPort": 81, "name": "http"}])]}),
     ['spec.containers[0].ports[1].name: Duplicate value: "http"'], "container-port-name-dup"),
    ("Pod", pod({"containers": [ctr("a", ports=[{"containerPort": 80, "name": "http"}]),
                                ctr("b", ports=[{"containerPort": 81, "name": "http"}])]}),
     [], "port-name-reused-across-containers"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 80, "name": "metrics-endpoint-1"},
                                           {"containerPort": 81, "name": "HTTP"}])]}),
     ['spec.containers[0].ports[0].name: Invalid value: "metrics-endpoint-1": must be no more '
      "than 15 characters",
      'spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric '
      "characters (a-z, 0-9), and hyphens (-)",
      'spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain at least one '
      "letter (a-z)"], "container-port-name-iana"),
    ("Pod", pod({"containers": [ctr(ports=[{"containerPort": 80, "protocol": "udp"}])]}),
     ['spec.containers[0].ports[0].protocol: Unsupported value: "udp": supported values: '
      '"SCTP", "TCP", "UDP"'], "container-protocol"),
    ("Pod", pod({"containers": [ctr("a", ports=[{"containerPort": 80, "hostPort": 8080}]),
                                ctr("b", ports=[{"containerPort": 81, "hostPort": 8080}])]}),
     ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'], "host-port-conflict"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"port": 0}, {"port": "http_x"}]}]}),
     ["spec.ingress[0].ports[0].port: Invalid value: 0: " + RANGE_MSG,
      'spec.ingress[0].ports[1].port: Invalid value: "http_x": must contain only alpha-numeric '
      "characters (a-z, 0-9), and hyphens (-)"], "np-port"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"port": 8080, "endPort": 80}]}]}),
     ["spec.ingress[0].ports[0].endPort: Invalid value: 8080: must be greater than or equal "
      "to `port`"], "np-endport-prints-port"),
    ("NetworkPolicy", netpol({"egress": [{"ports": [{"port": 80, "endPort": 70000}]}]}),
     ["spec.egress[0].ports[0].endPort: Invalid value: 70000: " + RANGE_MSG], "np-endport-range"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}),
     ["spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is "
      "non-numeric"], "np-endport-named"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"protocol": "TCP", "endPort": 90}]}]}),
     ["spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is "
      "not specified"], "np-endport-alone"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"protocol": "tcp", "port": 80}]}]}),
     ['spec.ingress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "TCP", '
      '"UDP", "SCTP"'], "np-protocol-order"),
    ("NetworkPolicy", netpol({"ingress": [{"ports": [{"port": 32000, "endPort": 32768}]}]}), [],
     "np-port-range-ok"),
    # VAL-6 IPs and CIDRs
    ("Service", svc({"ports": [port()], "clusterIP": "10.96.0.300"}),
     ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": ' + IP_MSG], "cluster-ip-syntax"),
    ("Service", svc({"ports": [port()], "clusterIP": "10.96.0.10"}), [], "cluster-ip-ok"),
    ("Service", svc({"ports": [port()], "externalIPs": ["203.0.113.5", "203.0.113"]}),
     ['spec.externalIPs[1]: Invalid value: "203.0.113": ' + IP_MSG], "external-ip-syntax"),
    ("Service", svc({"ports": [port()], "externalIPs": ["127.0.0.1"],
                     "externalTrafficPolicy": "Cluster"}),
     ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range '
      "(127.0.0.0/8, ::1/128)"], "external-ip-loopback"),
    ("Pod", pod({"containers": [ctr()], "dnsConfig": {"nameservers": ["1.1.1"]}}),
     ['spec.dnsConfig.nameservers[0]: Invalid value: "1.1.1": ' + IP_MSG], "nameserver-ip"),
    ("Service", svc({"type": "LoadBalancer", "ports": [port()],
                     "loadBalancerSourceRanges": ["10.0.0.0/33"]}),
     ['spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": ' + CIDR_MSG],
     "source-range-cidr"),
    ("Node", node({"podCIDR": "10.244.1.0/33"}),
     ['spec.podCIDRs[0]: Invalid value: "10.244.1.0/33": ' + CIDR_MSG], "node-pod-cidr"),
    ("Node", node({"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]}), [],
     "node-pod-cidr-ok"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8",
                                                                 "except": ["10.1.2.3/16"]}}]}]}),
     [], "ipblock-lenient"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                                                 "except": ["10.0.0.0/8"]}}]}]}),
     ['spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict '
      "subset of `cidr`"], "ipblock-except-strict-subset"),
    ("NetworkPolicy", netpol({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                                              "except": ["192.168.0.0/16"]}}]}]}),
     ['spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict '
      "subset of `cidr`"], "ipblock-except-outside"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"ipBlock": {"except": ["10.0.0.0/8"]}}]}]}),
     ["spec.ingress[0].from[0].ipBlock.cidr: Required value"], "ipblock-cidr-required"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0"}}]}]}),
     ['spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0": ' + CIDR_MSG],
     "ipblock-cidr-syntax"),
    # VAL-7 Pod fields
    ("Pod", pod({}), ["spec.containers: Required value"], "containers-required"),
    ("Pod", pod({"containers": [{"name": "app"}]}), ["spec.containers[0].image: Required value"],
     "image-required"),
    ("Pod", pod({"containers": [{"image": "nginx"}]}), ["spec.containers[0].name: Required value"],
     "container-name-required"),
    ("Pod", pod({"containers": [ctr(), ctr()]}),
     ['spec.containers[1].name: Duplicate value: "app"'], "container-name-duplicate"),
    ("Pod", pod({"containers": [ctr()], "dnsPolicy": "clusterfirst"}),
     ['spec.dnsPolicy: Unsupported value: "clusterfirst": supported values: '
      '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'], "dns-policy"),
    ("Pod", pod({"containers": [ctr()], "dnsPolicy": "None"}),
     ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"],
     "dns-config-required"),
    ("Pod", pod({"containers": [ctr()], "dnsPolicy": "None", "dnsConfig": {"searches": ["a.b"]}}),
     ["spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver "
      "when `dnsPolicy` is None"], "dns-nameserver-required"),
    ("Pod", pod({"containers": [ctr()], "dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "10.96.0.10"]}}),
     ['spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","8.8.8.8","9.9.9.9","10.96.0.10"]: '
      "must not have more than 3 nameservers"], "dns-too-many-nameservers"),
    ("Pod", pod({"containers": [ctr()], "dnsConfig": {"searches": [f"d{i}.x" for i in range(33)]}}),
     ["spec.dnsConfig.searches: Invalid value: ["
      + ",".join(f'"d{i}.x"' for i in range(33))
      + "]: must not have more than 32 search paths"], "dns-too-many-searches"),
    ("Pod", pod({"containers": [ctr()], "dnsConfig": {"searches": ["a" * 63 + ".x"] * 32}}),
     ["spec.dnsConfig.searches: Invalid value: [" + ",".join(['"' + "a" * 63 + '.x"'] * 32)
      + "]: must not have more than 2048 characters (including spaces) in the search list"],
     "dns-search-list-too-long"),
    ("Pod", pod({"containers": [ctr()], "dnsConfig": {"searches": ["Corp.example", "svc.", "_x.y",
                                                                    "."]}}),
     [f'spec.dnsConfig.searches[0]: Invalid value: "Corp.example": {SUBDOMAIN_US_MSG}'],
     "dns-search-entry"),
    ("Pod", pod({"containers": [ctr()], "restartPolicy": "Sometimes"}),
     ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
      '"OnFailure", "Never"'], "restart-policy"),
    ("Pod", pod({"containers": [ctr()], "nodeName": "Worker_1"}),
     [f'spec.nodeName: Invalid value: "Worker_1": {SUBDOMAIN_MSG}'], "node-name-field"),
    ("Pod", pod({"containers": [ctr()], "nodeSelector": {"disk": "fast ssd"}}),
     [f'spec.nodeSelector: Invalid value: "fast ssd": {LABEL_VALUE_MSG}'], "node-selector"),
    ("Pod", pod({"containers": [ctr()], "initContainers": [ctr("app")]}),
     ['spec.initContainers[0].name: Duplicate value: "app"'], "init-container-name"),
    ("Pod", {**pod(), "status": {"podIP": "10.244.1.300", "hostIP": "172.18.0.3"}},
     ['status.podIPs[0]: Invalid value: "10.244.1.300": ' + IP_MSG], "status-pod-ip"),
    # VAL-8 Service spec rules
    ("Service", svc({"type": "Nodeport", "ports": [port()]}),
     ['spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "ExternalName", '
      '"LoadBalancer", "NodePort"'], "svc-type"),
    ("Service", svc({"selector": {"app": "web"}}), ["spec.ports: Required value"],
     "svc-ports-required"),
    ("Service", svc({"clusterIP": "None", "selector": {"app": "web"}}), [],
     "svc-headless-no-ports"),
    ("Service", svc({"type": "NodePort", "clusterIP": "None", "ports": [port()]}),
     ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort '
      "services"], "svc-nodeport-headless"),
    ("Service", svc({"type": "LoadBalancer", "clusterIP": "None", "ports": [port()]}),
     ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for LoadBalancer '
      "services"], "svc-lb-headless"),
    ("Service", svc({"type": "ExternalName", "externalName": "db.example.com",
                     "clusterIP": "10.96.0.50"}),
     ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"],
     "svc-externalname-cluster-ip"),
    ("Service", svc({"type": "ExternalName"}), ["spec.externalName: Required value"],
     "svc-externalname-required"),
    ("Service", svc({"type": "ExternalName", "externalName": "DB.example.com"}),
     [f'spec.externalName: Invalid value: "DB.example.com": {SUBDOMAIN_MSG}'],
     "svc-externalname-subdomain"),
    ("Service", svc({"type": "ExternalName", "externalName": "db.example.com.",
                     "ports": [port(5432)]}), [], "svc-externalname-trailing-dot"),
    ("Service", svc({"ports": [port(80, name="a", nodePort=30080), port(81, name="b",
                                                                       nodePort=30081)]}),
     ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      "spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
     "svc-nodeport-on-clusterip"),
    ("Service", svc({"type": "NodePort", "ports": [port(80, name="a", nodePort=30080),
                                                   port(81, name="b", nodePort=30080)]}),
     ["spec.ports[1].nodePort: Duplicate value: 30080"], "svc-nodeport-duplicate"),
    ("Service", svc({"type": "NodePort", "ports": [port(80, nodePort=8080)]}), [],
     "svc-nodeport-range-is-ipam"),
    ("Service", svc({"type": "LoadBalancer", "ports": [port(10250)]}), [],
     "svc-lb-10250-allowed-since-1.33"),
    ("Service", svc({"ports": [port()], "sessionAffinity": "client"}),
     ['spec.sessionAffinity: Unsupported value: "client": supported values: "ClientIP", "None"'],
     "svc-affinity"),
    ("Service", svc({"ports": [port()], "sessionAffinity": "ClientIP",
                     "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}}}),
     ["spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater "
      "than 0 and less than 86400"], "svc-affinity-timeout"),
    ("Service", svc({"ports": [port()], "sessionAffinity": "ClientIP"}), [],
     "svc-affinity-timeout-defaulted"),
    ("Service", svc({"ports": [port()], "sessionAffinityConfig": {"clientIP": {
        "timeoutSeconds": 60}}}),
     ["spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None"],
     "svc-affinity-config-without-affinity"),
    ("Service", svc({"ports": [port()], "externalTrafficPolicy": "Local"}),
     ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for '
      "externally-accessible services"], "svc-etp-clusterip"),
    ("Service", svc({"type": "NodePort", "ports": [port()], "externalTrafficPolicy": "local"}),
     ['spec.externalTrafficPolicy: Unsupported value: "local": supported values: "Cluster", '
      '"Local"'], "svc-etp-value"),
    ("Service", svc({"ports": [port()], "externalIPs": ["203.0.113.5"],
                     "externalTrafficPolicy": "Local"}), [], "svc-etp-with-external-ips"),
    ("Service", svc({"ports": [port()], "internalTrafficPolicy": "Node"}),
     ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", '
      '"Local"'], "svc-itp"),
    ("Service", svc({"type": "NodePort", "ports": [port()], "healthCheckNodePort": 32000}),
     ["spec.healthCheckNodePort: Invalid value: 32000: may only be set when `type` is "
      "'LoadBalancer' and `externalTrafficPolicy` is 'Local'"], "svc-hcnp"),
    ("Service", svc({"type": "LoadBalancer", "ports": [port()], "externalTrafficPolicy": "Local",
                     "healthCheckNodePort": 32000}), [], "svc-hcnp-ok"),
    ("Service", svc({"ports": [port()], "loadBalancerSourceRanges": ["10.0.0.0/8"]}),
     ["spec.LoadBalancerSourceRanges: Forbidden: " + LB_ONLY], "svc-source-ranges-lb-only"),
    ("Service", svc({"ports": [port()]}, annotations={
        "service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8"}),
     ["metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: "
      "Forbidden: " + LB_ONLY], "svc-source-ranges-annotation"),
    ("Service", svc({"type": "NodePort", "ports": [port()],
                     "allocateLoadBalancerNodePorts": False}),
     ["spec.allocateLoadBalancerNodePorts: Forbidden: " + LB_ONLY], "svc-alloc-lb-node-ports"),
    ("Service", svc({"ports": [port()], "loadBalancerClass": "example.com/lb"}),
     ["spec.loadBalancerClass: Forbidden: " + LB_ONLY], "svc-lb-class"),
    ("Service", svc({"ports": [port()], "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.11"]}),
     ['spec.clusterIPs: Invalid value: ["10.96.0.11"]: first value must match `clusterIP`'],
     "svc-cluster-ips-mismatch"),
    ("Service", svc({"ports": [port()], "clusterIPs": ["10.96.0.11", "10.96.0.12"],
                     "clusterIP": "10.96.0.11"}),
     ['spec.clusterIPs: Invalid value: ["10.96.0.11","10.96.0.12"]: may specify no more than '
      "one IP for each IP family"], "svc-cluster-ips-same-family"),
    ("Service", svc({"ports": [port()], "ipFamilies": ["IPv5"]}),
     ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
     "svc-ip-family"),
    # VAL-10 NetworkPolicy
    ("NetworkPolicy", netpol({"policyTypes": ["ingress"]}),
     ['spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Ingress", "Egress"'],
     "np-policy-type"),
    ("NetworkPolicy", netpol({"policyTypes": ["Ingress", "Egress", "Ingress"]}),
     ['spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more '
      "than two policyTypes"], "np-policy-types-three"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{}]}]}),
     ["spec.ingress[0].from[0]: Required value: must specify a peer"], "np-empty-peer"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"},
                                                     "namespaceSelector": {}}]}]}),
     ["spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"],
     "np-ipblock-and-selector"),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"podSelector": {}, "namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "shop"}}}]}], "egress": [{}],
        "policyTypes": ["Ingress", "Egress"]}), [], "np-and-peer-ok"),
    # VAL-11 EndpointSlice
    ("EndpointSlice", slice_(addressType="IP"),
     ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'],
     "slice-address-type"),
    ("EndpointSlice", slice_(addressType=None), ["addressType: Required value"],
     "slice-address-type-required"),
    ("EndpointSlice", slice_(endpoints=[{"addresses": []}]),
     ["endpoints[0].addresses: Required value: must contain at least 1 address"],
     "slice-address-required"),
    ("EndpointSlice", slice_(endpoints=[{"addresses": [f"192.0.2.{i % 250 + 1}"
                                                       for i in range(101)]}]),
     ["endpoints[0].addresses: Too many: 101: must have at most 100 items"], "slice-too-many"),
    ("EndpointSlice", slice_(endpoints=[{"addresses": ["2001:db8::1"]}]),
     ['endpoints[0].addresses[0]: Invalid value: "2001:db8::1": must be a valid IPv4 address'],
     "slice-address-family"),
    ("EndpointSlice", slice_(endpoints=[{"addresses": ["127.0.0.1"]}]),
     ['endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range '
      "(127.0.0.0/8, ::1/128)"], "slice-loopback"),
    ("EndpointSlice", slice_(addressType="FQDN", endpoints=[{"addresses": ["db.example.com"]}]),
     [], "slice-fqdn"),
    ("EndpointSlice", slice_(ports=[{"name": "Http", "port": 80}, {"name": "a", "port": 81},
                                    {"name": "a", "port": 82}]),
     [f'ports[0].name: Invalid value: "Http": {LABEL_MSG}', 'ports[2].name: Duplicate value: "a"'],
     "slice-port-names"),
    ("EndpointSlice", slice_(ports=[{"port": 80}]), [], "slice-unnamed-port"),
    # workloads
    ("Deployment", workload({"template": {"metadata": {"labels": {"app": "api"}},
                                          "spec": {"containers": [ctr()]}}}),
     ['spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match '
      "template `labels`"], "deploy-selector-mismatch"),
    ("Deployment", workload({"selector": None}),
     ["spec.selector: Required value",
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match '
      "template `labels`"], "deploy-selector-required"),
    ("ReplicaSet", workload({"selector": {}}, kind="ReplicaSet"),
     ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"],
     "rs-empty-selector"),
    ("Deployment", workload({"selector": {"matchExpressions": [{"key": "app",
                                                                 "operator": "in"}]}}),
     ['spec.selector.matchExpressions[0].operator: Invalid value: "in": not a valid selector '
      "operator",
      'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"in"}]}: '
      "invalid label selector"], "deploy-invalid-selector"),
    ("Deployment", workload({"selector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["web", "api"]}]}}), [],
     "deploy-set-selector-matches"),
    ("Deployment", workload({"replicas": -1}),
     ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"], "deploy-replicas"),
    ("Deployment", workload({"template": {"metadata": {"labels": {"app": "web"}},
                                          "spec": {"containers": [{"name": "app"}],
                                                   "restartPolicy": "Never"}}}),
     ["spec.template.spec.containers[0].image: Required value",
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: '
      '"Always"'], "deploy-template-spec"),
    ("Deployment", workload({"selector": {"matchLabels": {"app": "web"}},
                             "template": {"metadata": {"labels": {"app": "web", "v": "1 0"}},
                                          "spec": {"containers": [ctr()]}}}),
     [f'spec.template.labels: Invalid value: "1 0": {LABEL_VALUE_MSG}'], "deploy-template-labels"),
    # Node
    ("Node", node(status={"addresses": [{"type": "InternalIP", "address": "172.18.0.300"},
                                        {"type": "Hostname", "address": "worker-1"}]}),
     ['status.addresses[0].address: Invalid value: "172.18.0.300": ' + IP_MSG],
     "node-internal-ip"),
    # decoding: a wrong JSON type stops before validation
    ("Pod", pod(labels={"version": 1}, name="Bad_Name"),
     ["metadata.labels[version]: Invalid value: 1: expected string, got integer"],
     "type-label-value"),
    ("Service", svc({"ports": [{"port": "80"}]}),
     ['spec.ports[0].port: Invalid value: "80": expected integer, got string'], "type-port"),
    ("Pod", pod({"containers": {"name": "app"}}),
     ['spec.containers: Invalid value: {"name":"app"}: expected array, got object'],
     "type-containers"),
    ("Pod", pod({"containers": [ctr()], "hostNetwork": "yes"}),
     ['spec.hostNetwork: Invalid value: "yes": expected boolean, got string'], "type-bool"),
]


@pytest.mark.parametrize(("kind", "obj", "expected"),
                         [pytest.param(k, o, e, id=i) for k, o, e, i in CASES])
def test_api_server_messages(kind, obj, expected):
    assert messages(kind, obj) == expected


def test_case_ids_are_unique():
    ids = [c[3] for c in CASES]
    assert len(ids) == len(set(ids))


def test_validation_does_not_mutate_the_object():
    obj = svc({"ports": [{"port": 80}], "clusterIP": "10.96.0.10"})
    before = copy.deepcopy(obj)
    validate_object("Service", obj)
    assert obj == before


def test_unknown_kind_is_not_ours():
    assert validate_object("ConfigMap", {"metadata": {"name": "Bad_Name"}}) == []
    assert unknown_fields("ConfigMap", {"spec": {"x": 1}}) == []


# --------------------------------------------------------------------------- VAL-1 rendering


def test_kubectl_prints_one_error_on_one_line():
    errors = validate_object("Service", svc({"ports": [{"port": 0, "targetPort": 8080}]}))
    exc = InvalidObject(ObjectRef("Service", "web", "shop"), errors)
    assert exc.kubectl_message() == ('The Service "web" is invalid: spec.ports[0].port: Invalid '
                                     "value: 0: must be between 1 and 65535, inclusive")


def test_kubectl_prints_several_errors_as_bullets():
    errors = validate_object("Service", svc({"ports": [
        {"name": "a", "port": 80, "nodePort": 30080},
        {"name": "b", "port": 81, "nodePort": 30081}]}))
    exc = InvalidObject(ObjectRef("Service", "web", "shop"), errors)
    assert exc.kubectl_message() == (
        'The Service "web" is invalid: \n'
        "* spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'\n"
        "* spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")


def test_errors_keep_upstream_order_across_rules():
    """Ports, then selector, affinity, clusterIPs, type, nodePorts: ValidateService's order."""
    obj = svc({"type": "Bogus", "clusterIP": "nope", "sessionAffinity": "x",
               "selector": {"a": "b c"}, "ports": [{"port": 0, "targetPort": 1}]})
    assert [e.path for e in validate_object("Service", obj)] == [
        "spec.ports[0].port", "spec.selector", "spec.sessionAffinity", "spec.clusterIPs[0]",
        "spec.type"]


# --------------------------------------------------------------------------- strict decoding


@pytest.mark.parametrize(("kind", "obj", "expected"), [
    ("Service", svc({"prots": [{"port": 80}]}), ["spec.prots"]),
    ("Service", svc({"ports": [{"port": 80, "targetport": 8080}]}), ["spec.ports[0].targetport"]),
    ("Pod", pod({"containers": [ctr(imagee="x", ports=[{"containerPort": 80, "hostIp": "x"}])]},
                lables={"a": "b"}),
     ["metadata.lables", "spec.containers[0].imagee", "spec.containers[0].ports[0].hostIp"]),
    ("NetworkPolicy", netpol({"ingress": [{"from": [{"podselector": {}}]}]}),
     ["spec.ingress[0].from[0].podselector"]),
    ("NetworkPolicy", netpol({"podSelector": {"matchLabel": {"a": "b"}}}),
     ["spec.podSelector.matchLabel"]),
    ("Deployment", workload({"template": {"metadata": {"labels": {"app": "web"}},
                                          "spec": {"containers": [ctr()], "hostnetwork": True}}}),
     ["spec.template.spec.hostnetwork"]),
    ("EndpointSlice", slice_(endpoint=[]), ["endpoint"]),
    ("Node", node({"podCidr": "10.244.0.0/24"}), ["spec.podCidr"]),
    ("Namespace", {"metadata": {"name": "a"}, "sepc": {}}, ["sepc"]),
    ("ClusterConfig", config({"cni": {"plugin": "calico", "modes": "ipip"}}), ["spec.cni.modes"]),
    ("ClusterConfig", config({"dns": {"upstream": {"example.com": {"AAAA": []}}}}),
     ["spec.dns.upstream[example.com].AAAA"]),
])
def test_unknown_fields(kind, obj, expected):
    assert unknown_fields(kind, obj) == expected


def test_status_may_hold_anything():
    obj = {**pod(), "status": {"futureField": {"x": 1}, "phase": "Running"}}
    assert unknown_fields("Pod", obj) == []
    assert validate_object("Pod", obj) == []


# --------------------------------------------------------------------------- real dumps

POD_DUMP = """
apiVersion: v1
kind: Pod
metadata:
  annotations:
    cni.projectcalico.org/containerID: 3f2a1b4c5d6e
    cni.projectcalico.org/podIP: 10.244.1.5/32
    kubectl.kubernetes.io/restartedAt: "2024-05-02T10:11:12Z"
  creationTimestamp: "2024-05-02T10:11:12Z"
  generateName: web-7d9c8b6f5-
  labels:
    app: web
    pod-template-hash: 7d9c8b6f5
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:generateName: {}
        f:labels:
          .: {}
          f:app: {}
      f:spec:
        f:containers:
          k:{"name":"nginx"}:
            .: {}
            f:image: {}
    manager: kube-controller-manager
    operation: Update
    time: "2024-05-02T10:11:12Z"
  name: web-7d9c8b6f5-x2kqp
  namespace: shop
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: web-7d9c8b6f5
    uid: 0b0e3c9e-5a1f-4c1e-9d55-1b2c3d4e5f60
  resourceVersion: "123456"
  uid: 9d3f4c1e-0000-4000-8000-000000000001
spec:
  containers:
  - image: nginx:1.25
    imagePullPolicy: IfNotPresent
    name: nginx
    ports:
    - containerPort: 80
      name: http
      protocol: TCP
    readinessProbe:
      failureThreshold: 3
      httpGet:
        path: /
        port: http
        scheme: HTTP
      periodSeconds: 10
      successThreshold: 1
      timeoutSeconds: 1
    resources:
      limits:
        memory: 128Mi
      requests:
        cpu: 100m
        memory: 64Mi
    securityContext:
      allowPrivilegeEscalation: false
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      name: kube-api-access-abcde
      readOnly: true
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  nodeName: worker-1
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  volumes:
  - name: kube-api-access-abcde
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2024-05-02T10:11:14Z"
    status: "True"
    type: Ready
  containerStatuses:
  - containerID: containerd://abc
    image: docker.io/library/nginx:1.25
    imageID: docker.io/library/nginx@sha256:0123
    lastState: {}
    name: nginx
    ready: true
    restartCount: 0
    started: true
    state:
      running:
        startedAt: "2024-05-02T10:11:13Z"
  hostIP: 172.18.0.3
  hostIPs:
  - ip: 172.18.0.3
  phase: Running
  podIP: 10.244.1.5
  podIPs:
  - ip: 10.244.1.5
  qosClass: Burstable
  startTime: "2024-05-02T10:11:12Z"
"""

SERVICE_DUMPS = """
apiVersion: v1
kind: Service
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"web"}}
  creationTimestamp: "2024-05-02T10:00:00Z"
  labels:
    app: web
  name: web
  namespace: shop
  resourceVersion: "1234"
  uid: 7c1d0000-0000-4000-8000-000000000002
spec:
  clusterIP: 10.96.12.34
  clusterIPs:
  - 10.96.12.34
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    nodePort: 31080
    port: 80
    protocol: TCP
    targetPort: http
  selector:
    app: web
  sessionAffinity: None
  type: NodePort
status:
  loadBalancer: {}
---
apiVersion: v1
kind: Service
metadata:
  annotations:
    prometheus.io/port: "9153"
    prometheus.io/scrape: "true"
  labels:
    k8s-app: kube-dns
    kubernetes.io/cluster-service: "true"
    kubernetes.io/name: CoreDNS
  name: kube-dns
  namespace: kube-system
spec:
  clusterIP: 10.96.0.10
  clusterIPs:
  - 10.96.0.10
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - name: dns
    port: 53
    protocol: UDP
    targetPort: 53
  - name: dns-tcp
    port: 53
    protocol: TCP
    targetPort: 53
  - name: metrics
    port: 9153
    protocol: TCP
    targetPort: 9153
  selector:
    k8s-app: kube-dns
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
---
apiVersion: v1
kind: Service
metadata:
  name: shop-lb
  namespace: shop
spec:
  allocateLoadBalancerNodePorts: true
  clusterIP: 10.96.200.7
  clusterIPs:
  - 10.96.200.7
  externalTrafficPolicy: Local
  healthCheckNodePort: 32456
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  loadBalancerSourceRanges:
  - 203.0.113.0/24
  ports:
  - name: https
    nodePort: 30443
    port: 443
    protocol: TCP
    targetPort: 8443
  selector:
    app: shop
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
    - ip: 172.18.255.200
      ipMode: VIP
      ports:
      - port: 443
        protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  externalName: db.prod.example.com
  sessionAffinity: None
  type: ExternalName
status:
  loadBalancer: {}
"""

NODE_DUMP = """
apiVersion: v1
kind: Node
metadata:
  annotations:
    kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock
    node.alpha.kubernetes.io/ttl: "0"
    volumes.kubernetes.io/controller-managed-attach-detach: "true"
  creationTimestamp: "2024-05-01T09:00:00Z"
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/hostname: worker-1
    node-role.kubernetes.io/control-plane: ""
    topology.kubernetes.io/zone: zone-a
  name: worker-1
  resourceVersion: "4242"
  uid: 11111111-2222-4333-8444-555555555555
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs:
  - 10.244.1.0/24
  providerID: kind://docker/kind/worker-1
  taints:
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
status:
  addresses:
  - address: 172.18.0.3
    type: InternalIP
  - address: worker-1
    type: Hostname
  allocatable:
    cpu: "8"
    memory: 16273460Ki
    pods: "110"
  capacity:
    cpu: "8"
    memory: 16375860Ki
    pods: "110"
  conditions:
  - lastHeartbeatTime: "2024-05-02T10:00:00Z"
    lastTransitionTime: "2024-05-01T09:00:30Z"
    message: kubelet is posting ready status
    reason: KubeletReady
    status: "True"
    type: Ready
  daemonEndpoints:
    kubeletEndpoint:
      Port: 10250
  nodeInfo:
    architecture: amd64
    containerRuntimeVersion: containerd://1.7.13
    kubeletVersion: v1.34.1
    operatingSystem: linux
"""

OTHER_DUMPS = """
apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: "2024-05-01T09:00:00Z"
  labels:
    kubernetes.io/metadata.name: shop
  name: shop
  resourceVersion: "300"
  uid: 22222222-2222-4333-8444-555555555555
spec:
  finalizers:
  - kubernetes
status:
  phase: Active
---
addressType: IPv4
apiVersion: discovery.k8s.io/v1
endpoints:
- addresses:
  - 10.244.1.5
  conditions:
    ready: true
    serving: true
    terminating: false
  nodeName: worker-1
  targetRef:
    kind: Pod
    name: web-7d9c8b6f5-x2kqp
    namespace: shop
    uid: 9d3f4c1e-0000-4000-8000-000000000001
  zone: zone-a
kind: EndpointSlice
metadata:
  annotations:
    endpoints.kubernetes.io/last-change-trigger-time: "2024-05-02T10:11:14Z"
  generateName: web-
  generation: 3
  labels:
    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
    kubernetes.io/service-name: web
  name: web-8xk2p
  namespace: shop
  ownerReferences:
  - apiVersion: v1
    blockOwnerDeletion: true
    controller: true
    kind: Service
    name: web
    uid: 7c1d0000-0000-4000-8000-000000000002
ports:
- name: http
  port: 80
  protocol: TCP
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  generation: 1
  name: api-allow-frontend
  namespace: shop
spec:
  egress:
  - ports:
    - port: 53
      protocol: UDP
    to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ingress:
  - from:
    - podSelector:
        matchExpressions:
        - key: tier
          operator: In
          values:
          - frontend
          - edge
    - ipBlock:
        cidr: 172.18.0.0/16
        except:
        - 172.18.5.0/24
    ports:
    - port: http
      protocol: TCP
    - endPort: 9100
      port: 9000
      protocol: TCP
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  - Egress
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "1"
  generation: 1
  labels:
    app: web
  name: web
  namespace: shop
spec:
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.25
        imagePullPolicy: IfNotPresent
        name: nginx
        ports:
        - containerPort: 80
          name: http
          protocol: TCP
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  availableReplicas: 3
  conditions:
  - lastTransitionTime: "2024-05-02T10:11:20Z"
    message: Deployment has minimum availability.
    reason: MinimumReplicasAvailable
    status: "True"
    type: Available
  observedGeneration: 1
  readyReplicas: 3
  replicas: 3
  updatedReplicas: 3
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  labels:
    app: web
    pod-template-hash: 7d9c8b6f5
  name: web-7d9c8b6f5
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
      pod-template-hash: 7d9c8b6f5
  template:
    metadata:
      labels:
        app: web
        pod-template-hash: 7d9c8b6f5
    spec:
      containers:
      - image: nginx:1.25
        name: nginx
status:
  replicas: 3
"""


def _docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.mark.parametrize("doc", _docs(POD_DUMP) + _docs(SERVICE_DUMPS) + _docs(NODE_DUMP)
                         + _docs(OTHER_DUMPS), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_real_cluster_dump_validates_clean(doc):
    assert unknown_fields(doc["kind"], doc) == []
    assert validate_object(doc["kind"], doc) == []


# --------------------------------------------------------------------------- reusable checks


@pytest.mark.parametrize(("value", "expected"), [
    ("metrics-endpoint-1", ["must be no more than 15 characters"]),
    ("http_port", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]),
    ("8080", ["must contain at least one letter (a-z)"]),
    ("web--ui", ["must not contain consecutive hyphens"]),
    ("-web", ["must not begin or end with a hyphen"]),
    ("web-", ["must not begin or end with a hyphen"]),
    ("HTTP", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
              "must contain at least one letter (a-z)"]),
    ("", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
          "must contain at least one letter (a-z)"]),
    ("http", []),
    ("h2c-8080", []),
])
def test_is_valid_port_name(value, expected):
    assert is_valid_port_name(value) == expected


def test_name_checks():
    assert is_dns1123_label("web-1") == []
    assert is_dns1123_label("web.1") == ["must not contain dots"]
    assert is_dns1123_subdomain("web.shop.svc") == []
    assert is_dns1035_label("web") == []
    assert is_dns1035_label("1web") == [DNS1035_MSG]
    assert is_qualified_name("app.kubernetes.io/Name_1") == []
    assert is_qualified_name("") == ["name part must be non-empty", NAME_PART_MSG]
    assert is_valid_label_value("") == []
    assert is_valid_port_num(65535) == []
    assert is_valid_port_num(0) == [RANGE_MSG]


def test_validate_labels_and_selector_entry_points():
    assert [str(e) for e in validate_labels({"a": "-x"}, "spec.selector")] == [
        'spec.selector: Invalid value: "-x": ' + LABEL_VALUE_MSG]
    assert [str(e) for e in validate_label_selector(
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["b c"]}]},
        "spec.namespaceSelector")] == [
        'spec.namespaceSelector.matchExpressions[0].values[0]: Invalid value: "b c": '
        + LABEL_VALUE_MSG]
    assert validate_label_selector({}, "spec.podSelector") == []
    assert validate_label_selector(None, "spec.podSelector") == []


def test_validate_object_meta_entry_point():
    errors = validate_object_meta({"name": "Web", "namespace": "ignored-for-cluster-scope"},
                                  "metadata", is_dns1123_label, namespaced=False)
    assert [str(e) for e in errors] == [f'metadata.name: Invalid value: "Web": {LABEL_MSG}']
    assert validate_object_meta({"name": "web"}, namespaced=True) == []


@pytest.mark.parametrize(("value", "canonical"), [
    ("10.0.0.1", "10.0.0.1"),
    ("010.000.000.001", "10.0.0.1"),  # Go's sloppy parser reads leading zeros as decimal
    ("2001:db8::1", "2001:db8::1"),
    ("10.0.0.256", None),
    ("10.0.0", None),
    ("fe80::1%eth0", None),
    ("", None),
])
def test_parse_ip_sloppy(value, canonical):
    ip = parse_ip_sloppy(value)
    assert (None if ip is None else str(ip)) == canonical
    assert is_valid_ip(value) == ([] if canonical else [IP_MSG])


@pytest.mark.parametrize(("value", "network"), [
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("10.0.0.1/8", "10.0.0.0/8"),
    ("10.0.0.0/024", "10.0.0.0/24"),
    ("2001:db8::1/64", "2001:db8::/64"),
    ("10.0.0.0/33", None),
    ("10.0.0.0", None),
    ("10.0.0.0/", None),
])
def test_parse_cidr_sloppy(value, network):
    net = parse_cidr_sloppy(value)
    assert (None if net is None else str(net)) == network
    assert is_valid_cidr(value) == ([] if network else [CIDR_MSG])


@given(st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True))
def test_every_dns_label_is_also_a_subdomain_and_a_label_value(name):
    assert is_dns1123_label(name) == []
    assert is_dns1123_subdomain(name) == []
    assert is_valid_label_value(name) == []


@given(st.text(max_size=70))
def test_label_checks_never_raise_and_agree_on_case(text):
    """Label values are case-sensitive; DNS labels are not allowed upper case at all."""
    assert isinstance(is_valid_label_value(text), list)
    if text and text != text.lower():
        assert is_dns1123_label(text) != []


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_sloppy_cidr_masks_host_bits(addr, prefix):
    value = f"{addr >> 24}.{addr >> 16 & 255}.{addr >> 8 & 255}.{addr & 255}/{prefix}"
    assert parse_cidr_sloppy(value) == IPv4Network(value, strict=False)


# --------------------------------------------------------------------------- ClusterConfig

CONFIG_CASES = [
    ({}, [], "defaults"),
    ({"cni": {"plugin": "calico", "mode": "vxlan", "crossSubnet": True},
      "clusterCIDR": "192.168.0.0/16", "serviceCIDR": "10.96.0.0/12",
      "clusterDomain": "cluster.local", "kubeProxyMode": "ipvs", "nodePortRange": "30000-32767",
      "nodeCIDRMaskSize": 26,
      "dns": {"pods": "verified", "upstream": {"example.com.": {"A": ["93.184.216.34"]},
                                               "www.example.com": {"CNAME": "example.com."}},
              "nodeResolvConf": {"nameservers": ["172.18.0.1"], "search": ["corp.example"]}},
      "externalHosts": [{"ip": "203.0.113.10", "name": "db.corp.example",
                         "listens": [{"port": 5432}, {"port": 53, "protocol": "UDP"}],
                         "routes": [{"dst": "10.244.0.0/16", "via": "172.18.0.2"}]}],
      "subnets": [{"name": "rack-a", "cidr": "172.18.0.0/24", "gateway": "172.18.0.1"},
                  {"name": "rack-b", "cidr": "172.19.0.0/24"}],
      "faults": {"nodesDown": ["worker-2"], "kubeProxyStopped": ["worker-1"],
                 "cutLinks": [["rack-a", "rack-b"]], "corednsScaledToZero": True,
                 "nodeMTU": {"worker-1": 1450}}}, [], "full-valid"),
    ({"cni": {"plugin": "kindnet"}},
     ['spec.cni.plugin: Unsupported value: "kindnet": supported values: "flannel", "canal", '
      '"calico", "weave", "cilium"'], "cni-plugin"),
    ({"cni": {"plugin": "calico", "mode": "gre"}},
     ['spec.cni.mode: Unsupported value: "gre": supported values: "ipip", "vxlan", "bgp"'],
     "cni-mode"),
    ({"cni": {"mode": "ipip"}},
     ['spec.cni.mode: Unsupported value: "ipip": supported values: "vxlan", "host-gw"'],
     "cni-mode-of-default-plugin"),
    ({"clusterCIDR": "10.244.0.1/16"},
     ['spec.clusterCIDR: Invalid value: "10.244.0.1/16": must be in canonical form '
      '("10.244.0.0/16")'], "cidr-canonical"),
    ({"clusterCIDR": "10.244.0.0"},
     ['spec.clusterCIDR: Invalid value: "10.244.0.0": ' + CIDR_MSG], "cidr-syntax"),
    ({"serviceCIDR": "fd00::/108"},
     ['spec.serviceCIDR: Invalid value: "fd00::/108": must be an IPv4 CIDR (ClusterLab '
      "simulates IPv4 clusters)"], "cidr-ipv4-only"),
    ({"serviceCIDR": "10.0.0.0/8", "clusterCIDR": "192.168.0.0/16"},
     ['spec.serviceCIDR: Invalid value: "10.0.0.0/8": is too large; for 32-bit addresses, the '
      "mask must be >= 12"], "service-cidr-too-large"),
    ({"serviceCIDR": "10.244.0.0/20"},
     ['spec.serviceCIDR: Invalid value: "10.244.0.0/20": must not overlap with `clusterCIDR` '
      "(10.244.0.0/16)"], "cidrs-overlap"),
    ({"clusterDomain": "Cluster.Local"},
     [f'spec.clusterDomain: Invalid value: "Cluster.Local": {SUBDOMAIN_MSG}'], "cluster-domain"),
    ({"kubeProxyMode": "nftables"},
     ['spec.kubeProxyMode: Unsupported value: "nftables": supported values: "iptables", "ipvs"'],
     "kube-proxy-mode"),
    ({"kubeProxyReplacement": True},
     ["spec.kubeProxyReplacement: Forbidden: may only be used when `cni.plugin` is 'cilium'"],
     "kpr-not-cilium"),
    ({"cni": {"plugin": "cilium", "mode": "native"}, "kubeProxyReplacement": True}, [],
     "kpr-cilium"),
    ({"nodePortRange": "30000:32767"},
     ['spec.nodePortRange: Invalid value: "30000:32767": must be "<first>-<last>", e.g. '
      '"30000-32767"'], "node-port-range-syntax"),
    ({"nodePortRange": "32767-30000"},
     ['spec.nodePortRange: Invalid value: "32767-30000": first port must not be greater than '
      "the last"], "node-port-range-order"),
    ({"nodePortRange": "0-70000"},
     ['spec.nodePortRange: Invalid value: "0-70000": ports ' + RANGE_MSG],
     "node-port-range-bounds"),
    ({"nodeCIDRMaskSize": 16},
     ["spec.nodeCIDRMaskSize: Invalid value: 16: must be greater than the prefix length of "
      "`clusterCIDR` (16)"], "mask-not-longer"),
    ({"nodeCIDRMaskSize": 31},
     ["spec.nodeCIDRMaskSize: Invalid value: 31: must be no more than 30"], "mask-too-long"),
    ({"clusterCIDR": "10.0.0.0/8", "serviceCIDR": "192.168.0.0/16", "nodeCIDRMaskSize": 28},
     ["spec.nodeCIDRMaskSize: Invalid value: 28: must be at most 16 more than the prefix length "
      "of `clusterCIDR` (8)"], "mask-too-many-ranges"),
    ({"dns": {"pods": "secure"}},
     ['spec.dns.pods: Unsupported value: "secure": supported values: "insecure", "verified", '
      '"disabled"'], "dns-pods"),
    ({"dns": {"upstream": {"Example.com": {"A": ["1.2.3"]}}}},
     [f'spec.dns.upstream[Example.com]: Invalid value: "Example.com": {SUBDOMAIN_MSG}',
      'spec.dns.upstream[Example.com].A[0]: Invalid value: "1.2.3": ' + IP_MSG],
     "dns-upstream"),
    ({"dns": {"upstream": {"a.example": {"A": ["1.2.3.4"], "CNAME": "b.example"}}}},
     ["spec.dns.upstream[a.example].CNAME: Forbidden: may not be set together with `A` "
      "(RFC 1034 3.6.2)"], "dns-cname-and-a"),
    ({"dns": {"nodeResolvConf": {"nameservers": ["2001:db8::53"], "search": ["Corp"]}}},
     ['spec.dns.nodeResolvConf.nameservers[0]: Invalid value: "2001:db8::53": must be a valid '
      "IPv4 address",
      f'spec.dns.nodeResolvConf.search[0]: Invalid value: "Corp": {SUBDOMAIN_MSG}'],
     "node-resolv-conf"),
    ({"externalHosts": [{"name": "client", "listens": [{"port": 70000}]},
                        {"ip": "203.0.113.10", "listens": [{"port": 80}, {"port": 80}],
                         "routes": [{"dst": "10.244.0.1/16"}]},
                        {"ip": "203.0.113.010"}]},
     ["spec.externalHosts[0].ip: Required value",
      "spec.externalHosts[0].listens[0].port: Invalid value: 70000: " + RANGE_MSG,
      'spec.externalHosts[1].listens[1]: Duplicate value: {"port":80,"protocol":"TCP"}',
      'spec.externalHosts[1].routes[0].dst: Invalid value: "10.244.0.1/16": must be in '
      'canonical form ("10.244.0.0/16")',
      "spec.externalHosts[1].routes[0].via: Required value",
      'spec.externalHosts[2].ip: Invalid value: "203.0.113.010": must be in canonical form '
      '("203.0.113.10")'], "external-hosts"),
    ({"externalHosts": [{"ip": "203.0.113.10"}, {"ip": "203.0.113.10"}]},
     ['spec.externalHosts[1].ip: Duplicate value: "203.0.113.10"'], "external-host-dup-ip"),
    ({"subnets": [{"name": "rack-a", "cidr": "172.18.0.0/24", "gateway": "172.19.0.1"},
                  {"name": "rack-a", "cidr": "172.19.0.0/24"}, {"name": "Rack.C"}]},
     ['spec.subnets[0].gateway: Invalid value: "172.19.0.1": must be inside `cidr` '
      "(172.18.0.0/24)",
      'spec.subnets[1].name: Duplicate value: "rack-a"',
      f'spec.subnets[2].name: Invalid value: "Rack.C": {LABEL_MSG}',
      "spec.subnets[2].cidr: Required value"], "subnets"),
    ({"subnets": [{"name": "a", "cidr": "10.0.0.0/24"}],
      "faults": {"cutLinks": [["a", "dmz"], ["a", "a"], ["a"]], "nodeMTU": {"worker-1": 100},
                 "nodesDown": ["Worker_1"]}},
     [f'spec.faults.nodesDown[0]: Invalid value: "Worker_1": {SUBDOMAIN_MSG}',
      'spec.faults.cutLinks[0][1]: Not found: "dmz"',
      'spec.faults.cutLinks[1]: Invalid value: ["a","a"]: must name two different subnets',
      'spec.faults.cutLinks[2]: Invalid value: ["a"]: must name exactly two subnets',
      "spec.faults.nodeMTU[worker-1]: Invalid value: 100: must be between 576 and 9000, "
      "inclusive"], "faults"),
    ({"nodeCIDRMaskSize": "24"},
     ['spec.nodeCIDRMaskSize: Invalid value: "24": expected integer, got string'], "type-error"),
]


@pytest.mark.parametrize(("spec", "expected"),
                         [pytest.param(s, e, id=i) for s, e, i in CONFIG_CASES])
def test_cluster_config(spec, expected):
    assert [str(e) for e in validate_cluster_config(config(spec))] == expected
    assert messages("ClusterConfig", config(spec)) == expected


def test_cluster_config_api_version():
    obj = {**config({}), "apiVersion": "clusterlab.io/v1"}
    assert [str(e) for e in validate_cluster_config(obj)] == [
        'apiVersion: Unsupported value: "clusterlab.io/v1": supported values: '
        '"clusterlab.io/v1alpha1"']


def test_cluster_config_unknown_fields_clean_for_full_config():
    full = config(CONFIG_CASES[1][0])
    assert unknown_fields("ClusterConfig", full) == []


# --------------------------------------------------------------------------- never a 500

_FIELDS = [
    "metadata", "name", "generateName", "namespace", "labels", "annotations", "spec",
    "status", "ports", "port", "targetPort", "nodePort", "protocol", "containers", "image",
    "initContainers", "containerPort", "hostPort", "hostNetwork", "dnsPolicy", "dnsConfig",
    "nameservers", "searches", "options", "selector", "matchLabels", "matchExpressions",
    "key", "operator", "values", "podSelector", "namespaceSelector", "ipBlock", "cidr",
    "except", "ingress", "egress", "from", "to", "endPort", "policyTypes", "type",
    "clusterIP", "clusterIPs", "externalIPs", "externalName", "sessionAffinity",
    "sessionAffinityConfig", "clientIP", "timeoutSeconds", "externalTrafficPolicy",
    "healthCheckNodePort", "loadBalancerSourceRanges", "ipFamilies", "template", "replicas",
    "addressType", "endpoints", "addresses", "podCIDR", "podCIDRs", "podIP", "podIPs", "ip",
    "cni", "plugin", "mode", "clusterCIDR", "serviceCIDR", "nodeCIDRMaskSize",
    "nodePortRange", "dns", "pods", "upstream", "A", "CNAME", "nodeResolvConf", "search",
    "externalHosts", "listens", "routes", "dst", "via", "subnets", "gateway", "faults",
    "cutLinks", "nodeMTU", "nodesDown", "apiVersion", "kind", "x",
]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-70000, 70000)
    | st.sampled_from(["", "None", "TCP", "In", "10.0.0.0/8", "10.0.0.1", "web", "a.b", "-"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=5),
    max_leaves=40)
_KINDS = ["Namespace", "Node", "Pod", "Service", "EndpointSlice", "NetworkPolicy", "Deployment",
          "ReplicaSet", "ClusterConfig"]


@given(st.sampled_from(_KINDS), st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=6))
def test_any_input_gets_field_errors_never_an_exception(kind, obj):
    for error in validate_object(kind, obj):
        assert str(error).startswith(f"{error.path}: ")
    assert all(isinstance(p, str) for p in unknown_fields(kind, obj))


# --------------------------------------------------------------------------- updates (VAL-1)

SVC = {"type": "ClusterIP", "ports": [{"port": 80}], "selector": {"app": "web"}}


@pytest.mark.parametrize(("old", "allocated", "new", "errors"), [
    (SVC, {"clusterIP": "10.96.0.20"}, SVC, []),  # left out: the allocation stays
    (SVC, {"clusterIP": "10.96.0.20"}, {**SVC, "clusterIP": "10.96.0.20"}, []),
    (SVC, {"clusterIP": "10.96.0.20"}, {**SVC, "clusterIPs": ["10.96.0.21"]},
     ['spec.clusterIPs[0]: Invalid value: ["10.96.0.21"]: may not change once set']),
    (SVC, {"clusterIP": "10.96.0.20"}, {**SVC, "clusterIP": "None"},
     ['spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set']),
    ({**SVC, "clusterIP": "None"}, {"clusterIP": "None"}, {**SVC, "clusterIP": "10.96.0.5"},
     ['spec.clusterIPs[0]: Invalid value: ["10.96.0.5"]: may not change once set']),
    ({**SVC, "clusterIP": "None"}, {"clusterIP": "None"}, {**SVC, "clusterIP": "None"}, []),
    (SVC, {"clusterIP": "10.96.0.20"}, {"type": "ExternalName", "externalName": "x.example"},
     []),
    ({"type": "ExternalName", "externalName": "x"}, {}, {**SVC, "clusterIP": "10.96.0.9"}, []),
])
def test_a_services_cluster_ip_may_not_change_once_set(old, allocated, new, errors):
    got = validate_update("Service", {"spec": old}, allocated, {"spec": new})
    assert [str(e) for e in got] == errors


def test_a_nodes_pod_cidr_changes_only_from_empty():
    forbidden = ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" '
                 "to valid"]
    allocated = {"podCIDR": "10.244.1.0/24"}
    assert validate_update("Node", {}, allocated, {"spec": {}}) == []
    assert validate_update("Node", {}, allocated, {"spec": {"podCIDR": "10.244.1.0/24"}}) == []
    assert [str(e) for e in validate_update(
        "Node", {}, allocated, {"spec": {"podCIDRs": ["10.244.7.0/24"]}})] == forbidden
    assert validate_update("Node", {}, {}, {"spec": {"podCIDR": "10.244.7.0/24"}}) == []
    assert validate_update("Pod", {"spec": {"nodeName": "a"}}, {}, {"spec": {}}) == []
