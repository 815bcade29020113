"""The kubectl console (`sim/kubectl.py`): `kubectl get` byte for byte against the
reference examples (KCTL-1 … KCTL-6), flags and errors, output formats, and the console's
contract that any input gives text and an exit status, never an exception.

The clusters below are built so that names, IPs and ages are those of the examples. The
API server lists objects sorted by name; the examples list them in another order, so the
tests name the objects on the command line in the example's order (kubectl prints named
objects in argument order) — or compare against the example rows sorted by name.
"""

# ruff: noqa: E501  (the reference examples are kept verbatim, as wide as kubectl prints them)
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv4Network

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterlab.sim.engine import Engine
from clusterlab.sim.kubectl import CommandResult, Facts, run_command
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    LabelSelector,
    LabelSelectorRequirement,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    ServicePort,
)

IP = IPv4Address
NOW = datetime(2025, 5, 1, 10, 5, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def kubectl(engine: Engine, command: str, facts: Facts | None = None,
            namespace: str = "default") -> CommandResult:
    return run_command(engine, command, namespace=namespace, now=NOW, facts=facts)


def block(text: str) -> str:
    """A reference example as printed: the text between the fences, newline-terminated."""
    return text.strip("\n") + "\n"


def sorted_rows(text: str) -> str:
    """Header first, then the rows sorted as the API server lists them (by name)."""
    head, *rows = text.strip("\n").split("\n")
    return "\n".join([head, *sorted(rows)]) + "\n"


# --------------------------------------------------------------------------- clusters

NODE_1 = Node("node-1", IP("192.168.56.11"), IPv4Network("10.244.1.0/24"))
NODE_2 = Node("node-2", IP("192.168.56.12"), IPv4Network("10.244.2.0/24"))


def web_container(*ports: tuple[int, str]) -> tuple[Container, ...]:
    return (Container("web", "nginx:1.27",
                      tuple(ContainerPort(p, "TCP", n) for p, n in ports)),)


def pods_cluster() -> tuple[Engine, Facts]:
    """KCTL-2."""
    pods = (
        Pod("default", "web-7c5d8b9f6-2xkqp", {"app": "web"}, node_name="node-1",
            ip=IP("10.244.1.5"), containers=web_container((8080, "http")),
            owner="ReplicaSet/web-7c5d8b9f6"),
        Pod("default", "web-7c5d8b9f6-9fz4l", {"app": "web"}, node_name="node-2",
            ip=IP("10.244.2.7"), ready=False, containers=web_container((8080, "http")),
            owner="ReplicaSet/web-7c5d8b9f6"),
        Pod("default", "db-0", {"app": "db"}, node_name="node-2", ip=IP("10.244.2.9"),
            containers=(Container("db", "postgres:17", (ContainerPort(5432),)),),
            owner="StatefulSet/db"),
        Pod("default", "client", {"app": "client"}, node_name="node-1", ready=False,
            phase="Pending", containers=(Container("c", "curlimages/curl:8.11.1"),)),
        Pod("default", "pending-x", node_name=None, ready=False, phase="Pending",
            containers=(Container("c", "busybox:1.36"),)),
    )
    facts = Facts(
        created={"pods/default/web-7c5d8b9f6-2xkqp": ago(minutes=5, seconds=12),
                 "pods/default/web-7c5d8b9f6-9fz4l": ago(minutes=5, seconds=12),
                 "pods/default/db-0": ago(days=2, hours=3),
                 "pods/default/client": ago(seconds=4),
                 "pods/default/pending-x": ago(seconds=9)},
        restarts={"default/db-0": (2, ago(hours=3, minutes=4))})
    return Engine(Cluster(nodes=(NODE_1, NODE_2), pods=pods)), facts


def services_cluster() -> tuple[Engine, Facts]:
    """KCTL-3."""
    svcs = (
        Service("default", "kubernetes", ports=(ServicePort(443, name="https",
                                                            target_port=6443),),
                cluster_ip=IP("10.96.0.1"), labels={"component": "apiserver",
                                                    "provider": "kubernetes"}),
        Service("default", "web", selector={"app": "web"}, cluster_ip=IP("10.96.100.10"),
                ports=(ServicePort(80, name="http", target_port=8080),
                       ServicePort(443, name="https", target_port=8443))),
        Service("default", "web-np", "NodePort", {"app": "web"}, cluster_ip=IP("10.96.100.20"),
                ports=(ServicePort(80, target_port=8080, node_port=30080),),
                external_traffic_policy="Cluster"),
        Service("default", "web-lb", "LoadBalancer", {"app": "web"},
                cluster_ip=IP("10.96.100.30"), load_balancer_ingress=("203.0.113.10",),
                ports=(ServicePort(80, name="http", target_port="http", node_port=31380),),
                external_traffic_policy="Local", health_check_node_port=32456),
        Service("default", "web-lb2", "LoadBalancer", {"app": "web"},
                cluster_ip=IP("10.96.100.31"),
                ports=(ServicePort(80, target_port=8080, node_port=31381),),
                external_traffic_policy="Cluster"),
        Service("default", "db", selector={"app": "db"}, headless=True,
                ports=(ServicePort(5432, target_port=5432),)),
        Service("default", "ext-db", "ExternalName", external_name="db.example.com",
                internal_traffic_policy=""),
    )
    facts = Facts(created={
        "services/default/kubernetes": ago(days=12), "services/default/web": ago(minutes=5,
                                                                                  seconds=12),
        "services/default/web-np": ago(minutes=3), "services/default/web-lb": ago(minutes=3),
        "services/default/web-lb2": ago(seconds=8), "services/default/db": ago(days=2, hours=3),
        "services/default/ext-db": ago(hours=3)})
    return Engine(Cluster(nodes=(NODE_1, NODE_2), services=svcs)), facts


def endpoints_cluster() -> tuple[Engine, Facts]:
    """KCTL-4 `get endpoints`: two ready web pods, one not-ready pod, a selector that
    matches nothing, and the API server's `kubernetes` endpoint."""
    port_pair = web_container((8080, "http"), (8443, "https"))
    pods = (
        Pod("default", "web-a", {"app": "web"}, node_name="node-1", ip=IP("10.244.1.5"),
            containers=port_pair),
        Pod("default", "web-b", {"app": "web"}, node_name="node-2", ip=IP("10.244.2.7"),
            containers=port_pair),
        Pod("default", "nr-1", {"app": "nr"}, node_name="node-2", ip=IP("10.244.2.11"),
            ready=False, containers=web_container((8080, "http"))),
    )
    svcs = (
        Service("default", "kubernetes", cluster_ip=IP("10.96.0.1"),
                ports=(ServicePort(443, name="https", target_port=6443),)),
        Service("default", "web", selector={"app": "web"}, cluster_ip=IP("10.96.100.10"),
                ports=(ServicePort(80, name="http", target_port=8080),
                       ServicePort(443, name="https", target_port=8443))),
        Service("default", "web-np", "NodePort", {"app": "web"}, cluster_ip=IP("10.96.100.20"),
                ports=(ServicePort(80, target_port=8080, node_port=30080),)),
        Service("default", "notready", selector={"app": "nr"}, cluster_ip=IP("10.96.100.40"),
                ports=(ServicePort(80, target_port=8080),)),
        Service("default", "nosel", selector={"app": "nothing"}, cluster_ip=IP("10.96.100.41"),
                ports=(ServicePort(80, target_port=8080),)),
    )
    api = EndpointSlice("default", "kubernetes", "kubernetes",
                        endpoints=(Endpoint(("192.168.56.10",)),),
                        ports=(EndpointPort(6443, name="https"),))
    facts = Facts(created={
        "services/default/kubernetes": ago(days=12),
        "services/default/web": ago(minutes=5, seconds=12),
        "services/default/web-np": ago(minutes=3), "services/default/notready": ago(minutes=2),
        "services/default/nosel": ago(minutes=2)})
    cluster = Cluster(nodes=(NODE_1, NODE_2), pods=pods, services=svcs, endpoint_slices=(api,))
    return Engine(cluster), facts


def slices_cluster() -> tuple[Engine, Facts]:
    """KCTL-4 `get endpointslices`, with the example's slice names (user-made slices of
    selector-less Services: the controller's names are random)."""
    svcs = tuple(Service("default", n, cluster_ip=IP(ip), ports=(ServicePort(80),))
                 for n, ip in (("kubernetes", "10.96.0.1"), ("web", "10.96.100.10"),
                               ("notready", "10.96.100.40"), ("nomatch", "10.96.100.41")))
    slices = (
        EndpointSlice("default", "kubernetes", "kubernetes",
                      endpoints=(Endpoint(("192.168.56.10",)),),
                      ports=(EndpointPort(6443, name="https"),)),
        EndpointSlice("default", "web-x7k2p", "web",
                      endpoints=(Endpoint(("10.244.1.5",)), Endpoint(("10.244.2.7",)),
                                 Endpoint(("10.244.2.9",), ready=False, serving=False)),
                      ports=(EndpointPort(8080, name="http"), EndpointPort(8443, name="https"))),
        EndpointSlice("default", "notready-4hq8d", "notready",
                      endpoints=(Endpoint(("10.244.2.11",), ready=False, serving=False),),
                      ports=(EndpointPort(8080),)),
        EndpointSlice("default", "nomatch-t9wzc", "nomatch"),
    )
    facts = Facts(created={
        "services/default/kubernetes": ago(days=12),
        "services/default/web": ago(minutes=5, seconds=12),
        "services/default/notready": ago(minutes=2), "services/default/nomatch": ago(minutes=2)})
    return Engine(Cluster(nodes=(NODE_1,), services=svcs, endpoint_slices=slices)), facts


def policies_cluster() -> tuple[Engine, Facts]:
    """KCTL-5."""
    pols = (
        NetworkPolicy("default", "default-deny"),
        NetworkPolicy("default", "allow-frontend", LabelSelector.of({"app": "web"})),
        NetworkPolicy("default", "db-policy", LabelSelector.of(
            {"app": "db"}, (LabelSelectorRequirement("tier", "In", ("backend",)),))),
    )
    facts = Facts(created={"networkpolicies/default/default-deny": ago(minutes=10),
                           "networkpolicies/default/allow-frontend": ago(minutes=10),
                           "networkpolicies/default/db-policy": ago(minutes=2)})
    return Engine(Cluster(config=ClusterConfig(cni_plugin="calico", cni_mode="ipip"),
                          nodes=(NODE_1,), network_policies=pols)), facts


def nodes_cluster() -> tuple[Engine, Facts]:
    """KCTL-6."""
    nodes = (
        Node("cp-1", IP("192.168.56.10"), IPv4Network("10.244.0.0/24"),
             labels={"node-role.kubernetes.io/control-plane": "",
                     "kubernetes.io/hostname": "cp-1"}),
        NODE_1,
        Node("node-2", IP("192.168.56.12"), IPv4Network("10.244.2.0/24"), ready=False,
             unschedulable=True),
    )
    return Engine(Cluster(nodes=nodes)), Facts(cluster_created=ago(days=12))


# --------------------------------------------------------------------------- KCTL-2


KCTL2 = block("""
NAME                  READY   STATUS              RESTARTS       AGE
web-7c5d8b9f6-2xkqp   1/1     Running             0              5m12s
web-7c5d8b9f6-9fz4l   0/1     Running             0              5m12s
db-0                  1/1     Running             2 (3h4m ago)   2d3h
client                0/1     ContainerCreating   0              4s
""")

KCTL2_WIDE = block("""
NAME                  READY   STATUS              RESTARTS   AGE     IP           NODE     NOMINATED NODE   READINESS GATES
web-7c5d8b9f6-2xkqp   1/1     Running             0          5m12s   10.244.1.5   node-1   <none>           <none>
web-7c5d8b9f6-9fz4l   0/1     Running             0          5m12s   10.244.2.7   node-2   <none>           <none>
client                0/1     ContainerCreating   0          4s      <none>       node-1   <none>           <none>
pending-x             0/1     Pending             0          9s      <none>       <none>   <none>           <none>
""")


def test_get_pods_matches_kctl2():
    engine, facts = pods_cluster()
    r = kubectl(engine, "kubectl get pods web-7c5d8b9f6-2xkqp web-7c5d8b9f6-9fz4l db-0 client",
                facts)
    assert (r.stdout, r.stderr, r.exit_code) == (KCTL2, "", 0)


def test_get_pods_wide_matches_kctl2():
    engine, facts = pods_cluster()
    r = kubectl(engine, "kubectl get po -o wide web-7c5d8b9f6-2xkqp web-7c5d8b9f6-9fz4l client "
                        "pending-x", facts)
    assert r.stdout == KCTL2_WIDE


def test_pod_list_comes_sorted_by_name_like_the_api_server():
    engine, facts = pods_cluster()
    r = kubectl(engine, "kubectl get pods", facts)
    names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert names == ["client", "db-0", "pending-x", "web-7c5d8b9f6-2xkqp",
                     "web-7c5d8b9f6-9fz4l"]


def test_all_namespaces_prepends_namespace_and_show_labels_appends_labels():
    engine, facts = pods_cluster()
    r = kubectl(engine, "kubectl get pods -A --show-labels -l app=web", facts)
    assert r.stdout == block("""
NAMESPACE   NAME                  READY   STATUS    RESTARTS   AGE     LABELS
default     web-7c5d8b9f6-2xkqp   1/1     Running   0          5m12s   app=web
default     web-7c5d8b9f6-9fz4l   0/1     Running   0          5m12s   app=web
""")


def test_terminating_and_finished_pods_status():
    pods = (Pod("default", "gone", node_name="node-1", ip=IP("10.244.1.9"), terminating=True),
            Pod("default", "job-x", node_name="node-1", phase="Succeeded", ready=False),
            Pod("default", "job-y", node_name="node-1", phase="Failed", ready=False))
    engine = Engine(Cluster(nodes=(NODE_1,), pods=pods))
    r = kubectl(engine, "kubectl get pods")
    assert r.stdout == block("""
NAME    READY   STATUS        RESTARTS   AGE
gone    0/1     Terminating   0          10m
job-x   0/1     Completed     0          10m
job-y   0/1     Error         0          10m
""")


# --------------------------------------------------------------------------- KCTL-3

KCTL3 = block("""
NAME         TYPE           CLUSTER-IP     EXTERNAL-IP      PORT(S)          AGE     SELECTOR
kubernetes   ClusterIP      10.96.0.1      <none>           443/TCP          12d     <none>
web          ClusterIP      10.96.100.10   <none>           80/TCP,443/TCP   5m12s   app=web
web-np       NodePort       10.96.100.20   <none>           80:30080/TCP     3m      app=web
web-lb       LoadBalancer   10.96.100.30   203.0.113.10     80:31380/TCP     3m      app=web
web-lb2      LoadBalancer   10.96.100.31   <pending>        80:31381/TCP     8s      app=web
db           ClusterIP      None           <none>           5432/TCP         2d3h    app=db
ext-db       ExternalName   <none>         db.example.com   <none>           1h      <none>
""")


def test_get_svc_wide_matches_kctl3():
    """KCTL-3's `ext-db … 1h` cannot be printed: HumanDuration writes 60–179 minutes as
    `60m`…`179m` and switches to hours at 3h. The test uses a 3h-old ext-db (same width)."""
    engine, facts = services_cluster()
    r = kubectl(engine, "kubectl get svc -o wide kubernetes web web-np web-lb web-lb2 db ext-db",
                facts)
    assert r.stdout == KCTL3.replace("<none>           1h      ", "<none>           3h      ")


def test_long_load_balancer_hostname_is_cut_without_wide():
    svc = Service("default", "aws", "LoadBalancer", {"app": "x"}, cluster_ip=IP("10.96.1.2"),
                  load_balancer_ingress=("a1b2c3-123456789.eu-west-1.elb.amazonaws.com",),
                  ports=(ServicePort(80, node_port=30001),))
    engine = Engine(Cluster(services=(svc,)))
    narrow = kubectl(engine, "kubectl get svc aws").stdout.splitlines()[1].split()
    wide = kubectl(engine, "kubectl get svc aws -o wide").stdout.splitlines()[1].split()
    assert narrow[3] == "a1b2c3-123456..."  # 13 characters + "..." (loadBalancerWidth 16)
    assert wide[3] == "a1b2c3-123456789.eu-west-1.elb.amazonaws.com"


def test_external_ips_of_a_cluster_ip_service():
    svc = Service("default", "ext", selector={"a": "b"}, cluster_ip=IP("10.96.1.3"),
                  external_ips=(IP("198.51.100.1"), IP("198.51.100.2")), ports=(ServicePort(80),))
    r = kubectl(Engine(Cluster(services=(svc,))), "kubectl get svc")
    assert "198.51.100.1,198.51.100.2" in r.stdout


# --------------------------------------------------------------------------- KCTL-4

KCTL4_EP = block("""
NAME         ENDPOINTS                                                     AGE
kubernetes   192.168.56.10:6443                                            12d
web          10.244.1.5:8080,10.244.2.7:8080,10.244.1.5:8443 + 1 more...   5m12s
web-np       10.244.1.5:8080,10.244.2.7:8080                               3m
notready                                                                   2m
nosel        <none>                                                        2m
""")
ENDPOINTS_WARNING = ("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 "
                     "EndpointSlice\n")

KCTL4_SLICES = block("""
NAME             ADDRESSTYPE   PORTS       ENDPOINTS                          AGE
kubernetes       IPv4          6443        192.168.56.10                      12d
web-x7k2p        IPv4          8080,8443   10.244.1.5,10.244.2.7,10.244.2.9   5m12s
notready-4hq8d   IPv4          8080        10.244.2.11                        2m
nomatch-t9wzc    IPv4          <unset>     <unset>                            2m
""")


def test_get_endpoints_matches_kctl4_with_the_deprecation_warning():
    engine, facts = endpoints_cluster()
    r = kubectl(engine, "kubectl get endpoints kubernetes web web-np notready nosel", facts)
    assert (r.stdout, r.stderr, r.exit_code) == (KCTL4_EP, ENDPOINTS_WARNING, 0)
    listed = kubectl(engine, "kubectl get ep", facts)
    assert listed.stdout == sorted_rows(KCTL4_EP)
    assert listed.stderr == ENDPOINTS_WARNING


def test_get_endpointslices_matches_kctl4():
    engine, facts = slices_cluster()
    r = kubectl(engine, "kubectl get endpointslices", facts)
    assert r.stdout == sorted_rows(KCTL4_SLICES)
    named = kubectl(engine, "kubectl get endpointslice kubernetes web-x7k2p notready-4hq8d "
                            "nomatch-t9wzc", facts)
    assert named.stdout == KCTL4_SLICES


def test_not_ready_pod_is_in_the_slice_but_not_in_endpoints():
    """KCTL-4's teaching trap, on controller-made slices."""
    engine, facts = endpoints_cluster()
    slices = kubectl(engine, "kubectl get endpointslices -l kubernetes.io/service-name=notready",
                     facts).stdout
    assert "10.244.2.11" in slices
    ep = kubectl(engine, "kubectl get ep notready", facts).stdout
    assert "10.244.2.11" not in ep


# --------------------------------------------------------------------------- KCTL-5, 6

KCTL5 = block("""
NAME             POD-SELECTOR               AGE
default-deny     <none>                     10m
allow-frontend   app=web                    10m
db-policy        app=db,tier in (backend)   2m
""")

KCTL6 = block("""
NAME     STATUS                        ROLES           AGE   VERSION   INTERNAL-IP     EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION     CONTAINER-RUNTIME
cp-1     Ready                         control-plane   12d   v1.33.1   192.168.56.10   <none>        Ubuntu 24.04.2 LTS   6.8.0-60-generic   containerd://1.7.27
node-1   Ready                         <none>          12d   v1.33.1   192.168.56.11   <none>        Ubuntu 24.04.2 LTS   6.8.0-60-generic   containerd://1.7.27
node-2   NotReady,SchedulingDisabled   <none>          12d   v1.33.1   192.168.56.12   <none>        Ubuntu 24.04.2 LTS   6.8.0-60-generic   containerd://1.7.27
""")


def test_get_netpol_matches_kctl5():
    engine, facts = policies_cluster()
    r = kubectl(engine, "kubectl get netpol default-deny allow-frontend db-policy", facts)
    assert r.stdout == KCTL5
    assert kubectl(engine, "kubectl get networkpolicies", facts).stdout == sorted_rows(KCTL5)


def test_get_nodes_wide_matches_kctl6():
    engine, facts = nodes_cluster()
    assert kubectl(engine, "kubectl get nodes -o wide", facts).stdout == KCTL6
    narrow = kubectl(engine, "kubectl get no", facts).stdout
    assert narrow.splitlines()[0] == ("NAME     STATUS                        ROLES           "
                                      "AGE   VERSION")


def test_powered_off_node_is_not_ready():
    from clusterlab.sim.model import Faults

    cluster = Cluster(config=ClusterConfig(faults=Faults(nodes_down=frozenset({"node-1"}))),
                      nodes=(NODE_1,))
    r = kubectl(Engine(cluster), "kubectl get nodes")
    assert r.stdout.splitlines()[1].split()[1] == "NotReady"


def test_get_namespaces():
    engine = Engine(Cluster(namespaces=(Namespace("shop", {"team": "a"}),),
                            pods=(Pod("default", "p"),)))
    r = kubectl(engine, "kubectl get ns --show-labels")
    assert r.stdout == block("""
NAME      STATUS   AGE   LABELS
default   Active   10m   kubernetes.io/metadata.name=default
shop      Active   10m   team=a
""")


# --------------------------------------------------------------------------- lists, errors


def test_empty_list_says_no_resources_found_on_stderr():
    engine = Engine(Cluster(nodes=(NODE_1,)))
    r = kubectl(engine, "kubectl get pods")
    assert (r.stdout, r.stderr, r.exit_code) == ("", "No resources found in default namespace.\n",
                                                 0)
    r = kubectl(engine, "kubectl get pods -n shop")
    assert r.stderr == "No resources found in shop namespace.\n"
    assert kubectl(engine, "kubectl get pods -A").stderr == "No resources found\n"


def test_missing_names_are_not_found_errors_and_found_ones_still_print():
    engine, facts = pods_cluster()
    r = kubectl(engine, "kubectl get pods db-0 nope", facts)
    assert r.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    assert r.stdout.splitlines()[1].startswith("db-0 ")
    assert r.exit_code == 1
    r = kubectl(engine, "kubectl get netpol x", facts)
    assert r.stderr == ('Error from server (NotFound): networkpolicies.networking.k8s.io "x" '
                        "not found\n")
    assert kubectl(engine, "kubectl get pods nope --ignore-not-found").exit_code == 0


def test_unknown_resource_flag_and_command_errors():
    engine, _ = pods_cluster()
    assert kubectl(engine, "kubectl get podz") == CommandResult(
        "", 'error: the server doesn\'t have a resource type "podz"\n', 1)
    assert kubectl(engine, "kubectl get pods --foo") == CommandResult(
        "", "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n", 1)
    assert kubectl(engine, "kubectl get pods -z").stderr.startswith(
        "error: unknown shorthand flag: 'z' in -z\n")
    assert kubectl(engine, "kubectl get pods -n").stderr.startswith(
        "error: flag needs an argument: 'n' in -n\n")
    assert kubectl(engine, "kubectl get pods --show-labels=maybe").stderr.startswith(
        'error: invalid argument "maybe" for "--show-labels" flag: strconv.ParseBool: parsing '
        '"maybe": invalid syntax\n')
    r = kubectl(engine, "kubectl gett pods")
    assert r.stderr == 'error: unknown command "gett" for "kubectl"\n\nDid you mean this?\n\tget' \
                       "\n\tset\n"
    assert r.exit_code == 1
    assert kubectl(engine, "ls -l") == CommandResult("", "bash: ls: command not found\n", 127)
    assert kubectl(engine, "") == CommandResult("", "", 0)
    assert kubectl(engine, "kubectl get pods 'web").exit_code == 2


def test_get_without_a_type_and_other_usage_errors():
    engine, _ = pods_cluster()
    r = kubectl(engine, "kubectl get")
    assert r.stderr.startswith("You must specify the type of resource to get.")
    assert "error: Required resource not specified." in r.stderr
    assert kubectl(engine, "kubectl get pods web -A").stderr == (
        "error: a resource cannot be retrieved by name across all namespaces\n")
    assert kubectl(engine, "kubectl get pods -o table").stderr.startswith(
        'error: unable to match a printer suitable for the output format "table", allowed '
        "formats are: custom-columns,")
    assert kubectl(engine, "kubectl get pods -l 'app in'").stderr == (
        "error: unable to parse requirement: found '', expected: '('\n")


def test_flags_anywhere_and_namespace_before_the_command():
    engine, facts = pods_cluster()
    a = kubectl(engine, "kubectl -n default get pods -owide", facts)
    b = kubectl(engine, "kubectl get --output=wide pods --namespace default", facts)
    assert a == b
    assert a.stdout.startswith("NAME ")


def test_type_slash_name_and_multiple_types():
    engine, facts = services_cluster()
    r = kubectl(engine, "kubectl get svc/web svc/db", facts)
    assert r.stdout.splitlines()[1].startswith("web ")  # one kind: no kind prefix
    engine2, facts2 = endpoints_cluster()
    r = kubectl(engine2, "kubectl get pods,svc", facts2)
    assert r.stdout.split("\n\n")[0].splitlines()[1].startswith("pod/nr-1 ")
    assert r.stdout.split("\n\n")[1].splitlines()[1].startswith("service/kubernetes ")
    assert kubectl(engine2, "kubectl get svc pod/x").stderr.startswith(
        "error: there is no need to specify a resource type as a separate argument")


def test_selectors_equality_set_and_existence():
    engine, facts = pods_cluster()

    def names(sel: str) -> list[str]:
        out = kubectl(engine, f"kubectl get pods -l '{sel}' -o name", facts).stdout
        return out.split()

    assert names("app=web") == ["pod/web-7c5d8b9f6-2xkqp", "pod/web-7c5d8b9f6-9fz4l"]
    assert names("app!=web") == ["pod/client", "pod/db-0", "pod/pending-x"]
    assert names("app in (db,client)") == ["pod/client", "pod/db-0"]
    assert names("app notin (web),app") == ["pod/client", "pod/db-0"]
    assert names("!app") == ["pod/pending-x"]


def test_output_name_yaml_and_json():
    engine, facts = services_cluster()
    assert kubectl(engine, "kubectl get svc web db -o name", facts).stdout == \
        "service/web\nservice/db\n"
    text = kubectl(engine, "kubectl get svc web -o yaml", facts).stdout
    assert '  creationTimestamp: "2025-05-01T10:00:00Z"\n' in text  # go-yaml quotes with "
    doc = yaml.safe_load(text)
    assert doc["kind"] == "Service"
    assert doc["metadata"]["creationTimestamp"] == "2025-05-01T10:00:00Z"
    assert doc["spec"]["clusterIP"] == "10.96.100.10"
    text = kubectl(engine, "kubectl get svc -o json", facts).stdout
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [')  # 4-space indent
    listed = json.loads(text)
    assert listed["kind"] == "List"
    assert [i["metadata"]["name"] for i in listed["items"]] == [
        "db", "ext-db", "kubernetes", "web", "web-lb", "web-lb2", "web-np"]
    engine2, facts2 = endpoints_cluster()
    ep = yaml.safe_load(kubectl(engine2, "kubectl get ep web -o yaml", facts2).stdout)
    assert ep["subsets"][0]["addresses"] == [{"ip": "10.244.1.5"}, {"ip": "10.244.2.7"}]


def test_unsupported_kinds_and_watch_are_refused_honestly():
    engine, _ = pods_cluster()
    r = kubectl(engine, "kubectl get deployments")
    assert r.exit_code == 1 and "does not show deployments" in r.stderr
    assert kubectl(engine, "kubectl get pods -w").exit_code == 1
    assert kubectl(engine, "kubectl delete pod x").stderr == (
        "error: kubectl delete needs a ClusterLab cluster you can write to\n")
    assert kubectl(engine, "kubectl patch pod x").stderr.startswith(
        "error: the ClusterLab console does not run kubectl patch")


def test_version():
    engine, _ = nodes_cluster()
    assert kubectl(engine, "kubectl version").stdout == (
        "Client Version: v1.33.1\nKustomize Version: v5.6.0\nServer Version: v1.33.1\n")


# --------------------------------------------------------------------------- properties

_NAME = st.from_regex(r"[a-z]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True)
_LABELS = st.dictionaries(st.sampled_from(["app", "tier", "team", "k8s-app"]),
                          st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True), max_size=3)


@st.composite
def random_cluster(draw) -> tuple[Engine, Facts]:
    names = draw(st.lists(_NAME, min_size=1, max_size=8, unique=True))
    namespaces = draw(st.lists(st.sampled_from(["default", "shop", "kube-system", "a"]),
                               min_size=len(names), max_size=len(names)))
    pods = []
    created = {}
    for i, (name, ns) in enumerate(zip(names, namespaces, strict=True)):
        phase = draw(st.sampled_from(["Running", "Pending", "Succeeded"]))
        node = draw(st.sampled_from([None, "node-1", "node-2"]))
        pods.append(Pod(ns, name, draw(_LABELS), node_name=node,
                        ip=IP(f"10.244.9.{i + 1}") if node and phase == "Running" else None,
                        ready=draw(st.booleans()), phase=phase,
                        terminating=draw(st.booleans())))
        created[f"pods/{ns}/{name}"] = NOW - timedelta(
            seconds=draw(st.integers(min_value=0, max_value=10 ** 9)))
    restarts = {f"{p.namespace}/{p.name}": (draw(st.integers(0, 30)),
                                            NOW - timedelta(seconds=draw(st.integers(0, 10 ** 7))))
                for p in pods if draw(st.booleans())}
    svcs = [Service(ns, f"svc-{n}", selector=draw(_LABELS) or None,
                    cluster_ip=IP(f"10.96.0.{i + 20}"),
                    ports=tuple(ServicePort(p) for p in draw(st.lists(
                        st.integers(1, 65535), max_size=3, unique=True))))
            for i, (n, ns) in enumerate(zip(names, namespaces, strict=True)) if draw(st.booleans())]
    cluster = Cluster(nodes=(NODE_1, NODE_2), pods=tuple(pods), services=tuple(svcs))
    return Engine(cluster), Facts(created=created, restarts=restarts)


def _column_starts(header: str) -> list[int]:
    cells = re.split(r" {3,}", header)
    starts, pos = [], 0
    for cell in cells:
        pos = header.index(cell, pos)
        starts.append(pos)
        pos += len(cell)
    return starts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cluster(), st.sampled_from([
    "kubectl get pods -A -o wide --show-labels", "kubectl get pods -A",
    "kubectl get svc -A -o wide", "kubectl get ep -A", "kubectl get endpointslices -A",
    "kubectl get pods,svc -A"]))
def test_get_columns_always_align_with_the_header(cluster_facts, command):
    """KCTL-1: every cell of a row starts where its header starts, at least 3 spaces after
    the previous cell, and no line ends in padding."""
    engine, facts = cluster_facts
    r = kubectl(engine, command, facts)
    assert r.exit_code == 0
    for section in r.stdout.split("\n\n"):
        lines = section.rstrip("\n").split("\n")
        if not lines[0]:
            continue
        starts = _column_starts(lines[0])
        for line in lines:
            bounds = [*starts, max(len(line), starts[-1])]
            for i in range(len(starts)):
                cell = line[bounds[i]:bounds[i + 1]]
                last = i == len(starts) - 1
                content = cell.rstrip(" ")
                assert not content.startswith(" "), (line, i)  # starts at the header's column
                if not last:
                    # padded with at least 3 spaces (or an empty cell)
                    assert content == "" or cell.endswith("   "), (line, i)
                else:
                    assert cell == content, line  # the last column is not padded


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "kubectl", "get", "describe", "exec", "pods", "po", "svc", "ep", "netpol", "nodes", "ns",
    "all", "-n", "shop", "-A", "-o", "wide", "yaml", "json", "name", "-l", "app=web", "app in (",
    "--show-labels", "--", "ping", "curl", "nslookup", "-c", "2", "web", "client", "x/y",
    "pod/client", "'", '"', "-it", "--foo", "-m", "1", "cat", "/etc/resolv.conf", "hostname",
    "-v", "10.96.0.10", ":::", "http://web:99999", "\x00", "é", "$(x)"]), max_size=10))
def test_any_input_gives_text_and_a_status_never_an_exception(words):
    engine, facts = endpoints_cluster()
    r = kubectl(engine, " ".join(words), facts)
    assert isinstance(r.stdout, str) and isinstance(r.stderr, str)
    assert isinstance(r.exit_code, int)
    assert "internal error" not in r.stderr, r.stderr
