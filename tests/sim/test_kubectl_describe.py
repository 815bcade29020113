"""`kubectl describe` in the console (KCTL-7, KCTL-8): field order, tabwriter blocks, the
Service Endpoints line rules, the NetworkPolicy spec summary, node addresses and
PodCIDRs — against the reference examples."""

# ruff: noqa: E501, W291  (the reference examples are kept verbatim, trailing spaces included)
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv4Network

import pytest

from clusterlab.sim.engine import Engine
from clusterlab.sim.kubectl import Facts, run_command
from clusterlab.sim.model import (
    Cluster,
    ClusterConfig,
    Container,
    ContainerPort,
    Faults,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    Node,
    Pod,
    Service,
    ServicePort,
)

IP = IPv4Address
NOW = datetime(2025, 5, 1, 10, 5, 12, tzinfo=UTC)
CREATED = datetime(2025, 5, 1, 10, 0, 0, tzinfo=UTC)
NODE_1 = Node("node-1", IP("192.168.56.11"), IPv4Network("10.244.1.0/24"))
NODE_2 = Node("node-2", IP("192.168.56.12"), IPv4Network("10.244.2.0/24"))


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


def describe(engine: Engine, what: str, facts: Facts | None = None,
             namespace: str = "default") -> str:
    r = run_command(engine, f"kubectl describe {what}", namespace=namespace, now=NOW,
                    facts=facts or Facts(cluster_created=CREATED))
    assert (r.stderr, r.exit_code) == ("", 0), r.stderr
    return r.stdout


def block(text: str) -> str:
    return text.strip("\n") + "\n"


# --------------------------------------------------------------------------- pod

KCTL8_POD = block("""
Name:             web-7c5d8b9f6-2xkqp
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/192.168.56.11
Start Time:       Thu, 01 May 2025 10:00:00 +0000
Labels:           app=web
                  pod-template-hash=7c5d8b9f6
Annotations:      <none>
Status:           Running
IP:               10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/web-7c5d8b9f6
Containers:
  web:
    Container ID:   containerd://4f1c2b9e0a7d
    Image:          nginx:1.27
    Image ID:       docker.io/library/nginx@sha256:0a1b2c
    Ports:          8080/TCP (http), 8443/TCP (https)
    Host Ports:     0/TCP (http), 0/TCP (https)
    State:          Running
      Started:      Thu, 01 May 2025 10:00:03 +0000
    Ready:          True
    Restart Count:  0
    Readiness:      http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:    <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-8xq2v (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-8xq2v:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age    From               Message
  ----    ------     ----   ----               -------
  Normal  Scheduled  5m12s  default-scheduler  Successfully assigned default/web-7c5d8b9f6-2xkqp to node-1
  Normal  Pulled     5m11s  kubelet            Container image "nginx:1.27" already present on machine
  Normal  Created    5m11s  kubelet            Created container: web
  Normal  Started    5m10s  kubelet            Started container web
""")


def _generic(text: str) -> str:
    """Values the snapshot cannot know (IDs, probe, the random volume suffix, the second the
    container started) replaced by placeholders; alignment is untouched by them."""
    text = re.sub(r"(Container ID:\s+containerd://)[0-9a-f]+", r"\1ID", text)
    text = re.sub(r"(Image ID:\s+\S+@sha256:)[0-9a-f]+", r"\1HASH", text)
    text = re.sub(r"(      Started:\s+Thu, 01 May 2025 10:00:)0\d", r"\1SS", text)
    text = re.sub(r"kube-api-access-[a-z0-9]{5}", "kube-api-access-XXXXX", text)
    return re.sub(r"    Readiness: .*\n", "", text)


def web_pod(name: str = "web-7c5d8b9f6-2xkqp", **kw) -> Pod:
    defaults = dict(labels={"app": "web", "pod-template-hash": "7c5d8b9f6"}, node_name="node-1",
                    ip=IP("10.244.1.5"), owner="ReplicaSet/web-7c5d8b9f6",
                    containers=(Container("web", "nginx:1.27", (ContainerPort(8080, "TCP", "http"),
                                                                ContainerPort(8443, "TCP", "https"))),))
    return Pod("default", name, **{**defaults, **kw})


def test_describe_pod_matches_kctl8():
    engine = Engine(Cluster(nodes=(NODE_1,), pods=(web_pod(),)))
    out = describe(engine, "pod web-7c5d8b9f6-2xkqp")
    assert _generic(out) == _generic(KCTL8_POD)
    assert re.search(r"Container ID:   containerd://[0-9a-f]{64}\n", out)
    assert describe(engine, "pod web-7c5d8b9f6-2xkqp") == out  # deterministic


def test_describe_pod_prefix_match_and_not_found():
    engine = Engine(Cluster(nodes=(NODE_1,), pods=(web_pod(),)))
    assert describe(engine, "pods web-7c5").startswith("Name:             web-7c5d8b9f6-2xkqp\n")
    r = run_command(engine, "kubectl describe pod db", now=NOW)
    assert (r.stdout, r.stderr, r.exit_code) == (
        "", 'Error from server (NotFound): pods "db" not found\n', 1)


def test_describe_pending_and_not_ready_pods():
    pending = Pod("default", "p", node_name=None, ready=False, phase="Pending",
                  containers=(Container("c", "busybox:1.36"),))
    out = describe(Engine(Cluster(nodes=(NODE_1,), pods=(pending,))), "pod p")
    assert "Node:             <none>\n" in out
    assert "Start Time" not in out
    assert "IPs:              <none>\n" in out
    assert "Conditions:\n  Type           Status\n  PodScheduled   False \n" in out
    assert out.endswith("Events:                      <none>\n")
    notready = describe(Engine(Cluster(nodes=(NODE_1,), pods=(web_pod(ready=False),))),
                        "pod web-7c5d8b9f6-2xkqp")
    assert "    Ready:          False\n" in notready
    assert "  Ready                       False \n" in notready


def test_old_pods_have_no_events_left():
    engine = Engine(Cluster(nodes=(NODE_1,), pods=(web_pod(),)))
    facts = Facts(cluster_created=NOW - timedelta(hours=2))
    assert describe(engine, "pod web-7c5d8b9f6-2xkqp", facts).endswith(
        "Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:                      <none>\n")


def test_describe_several_pods_separated_like_kubectl():
    a, b = web_pod(), web_pod(name="web-7c5d8b9f6-9fz4l", ip=IP("10.244.1.6"))
    out = describe(Engine(Cluster(nodes=(NODE_1,), pods=(a, b))), "pods")
    first, second = out.split("\n\n\nName:")
    assert first.startswith("Name:             web-7c5d8b9f6-2xkqp\n")
    assert second.startswith("             web-7c5d8b9f6-9fz4l\n")


# --------------------------------------------------------------------------- service

KCTL8_SVC_LB = block("""
Name:                     web-lb
Namespace:                default
Labels:                   <none>
Annotations:              <none>
Selector:                 app=web
Type:                     LoadBalancer
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       10.96.100.30
IPs:                      10.96.100.30
LoadBalancer Ingress:     203.0.113.10 (VIP)
Port:                     http  80/TCP
TargetPort:               http/TCP
NodePort:                 http  31380/TCP
Endpoints:                10.244.1.5:8080,10.244.2.7:8081
Session Affinity:         None
External Traffic Policy:  Local
Internal Traffic Policy:  Cluster
HealthCheck NodePort:     32456
Events:                   <none>
""")

KCTL8_SVC_NOT_READY = block("""
Name:                     web
Namespace:                default
Labels:                   app=web
Annotations:              <none>
Selector:                 app=web
Type:                     ClusterIP
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       10.96.100.10
IPs:                      10.96.100.10
Port:                     <unset>  80/TCP
TargetPort:               8080/TCP
Endpoints:                
Session Affinity:         None
Internal Traffic Policy:  Cluster
Events:                   <none>
""")


def _named_port_pod(name: str, ip: str, node: str, port: int, ready: bool = True) -> Pod:
    return Pod("default", name, {"app": "web"}, node_name=node, ip=IP(ip), ready=ready,
               containers=(Container("web", "nginx:1.27", (ContainerPort(port, "TCP", "http"),)),))


def test_describe_load_balancer_service_matches_kctl8():
    """A named targetPort resolves per pod (8080 on one, 8081 on the other): two slices."""
    svc = Service("default", "web-lb", "LoadBalancer", {"app": "web"},
                  cluster_ip=IP("10.96.100.30"), load_balancer_ingress=("203.0.113.10",),
                  ports=(ServicePort(80, name="http", target_port="http", node_port=31380),),
                  external_traffic_policy="Local", health_check_node_port=32456)
    pods = (_named_port_pod("web-a", "10.244.1.5", "node-1", 8080),
            _named_port_pod("web-b", "10.244.2.7", "node-2", 8081))
    engine = Engine(Cluster(nodes=(NODE_1, NODE_2), pods=pods, services=(svc,)))
    out = describe(engine, "svc web-lb")
    # Endpoints come slice by slice in the API's list order (by slice name); the names'
    # suffixes are random in a real cluster, so the order of the two may differ from the
    # example's.
    slices = sorted(engine.endpoints.slices(svc), key=lambda es: es.name)
    order = ",".join(f"{es.endpoints[0].addresses[0]}:{es.ports[0].port}" for es in slices)
    assert out == KCTL8_SVC_LB.replace("10.244.1.5:8080,10.244.2.7:8081", order)


def test_describe_service_with_only_not_ready_endpoints_has_a_blank_endpoints_value():
    svc = Service("default", "web", selector={"app": "web"}, labels={"app": "web"},
                  cluster_ip=IP("10.96.100.10"), ports=(ServicePort(80, target_port=8080),))
    pods = (_named_port_pod("web-a", "10.244.1.5", "node-1", 8080, ready=False),)
    engine = Engine(Cluster(nodes=(NODE_1,), pods=pods, services=(svc,)))
    assert describe(engine, "service web") == KCTL8_SVC_NOT_READY


def test_service_endpoints_line_rules():
    """`<none>` without any slice; at most 3 ready endpoints + ` + N more...`."""
    nosel = Service("default", "manual", cluster_ip=IP("10.96.0.50"), ports=(ServicePort(80),))
    many = Service("default", "many", selector={"app": "web"}, cluster_ip=IP("10.96.0.51"),
                   ports=(ServicePort(80, target_port=8080),))
    pods = tuple(_named_port_pod(f"w{i}", f"10.244.1.{10 + i}", "node-1", 8080) for i in range(5))
    engine = Engine(Cluster(nodes=(NODE_1,), pods=pods, services=(nosel, many)))
    assert "Endpoints:                <none>\n" in describe(engine, "svc manual")
    assert ("Endpoints:                10.244.1.10:8080,10.244.1.11:8080,10.244.1.12:8080 + 2 "
            "more...\n") in describe(engine, "svc many")


def test_describe_headless_and_external_name_services():
    headless = Service("default", "db", selector={"app": "db"}, headless=True,
                       ports=(ServicePort(5432),))
    ext = Service("default", "ext", "ExternalName", external_name="db.example.com",
                  internal_traffic_policy="")
    engine = Engine(Cluster(services=(headless, ext)))
    out = describe(engine, "svc db")
    assert "IP:                       None\nIPs:                      None\n" in out
    ext_out = describe(engine, "svc ext")
    assert "External Name:     db.example.com\n" in ext_out
    assert "Internal Traffic Policy" not in ext_out


# --------------------------------------------------------------------------- netpol

KCTL8_NETPOL = block("""
Name:         db-policy
Namespace:    shop
Created on:   2025-05-01 10:00:00 +0000 UTC
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     app=db
  Allowing ingress traffic:
    To Port: 5432/TCP
    From:
      PodSelector: app=api
    From:
      NamespaceSelector: kubernetes.io/metadata.name=monitoring
      PodSelector: app=prometheus
    ----------
    To Port: <any> (traffic allowed to all ports)
    From:
      IPBlock:
        CIDR: 10.0.0.0/8
        Except: 10.96.0.0/12, 10.244.0.0/16
  Allowing egress traffic:
    To Port: 53/UDP
    To Port: 53/TCP
    To:
      NamespaceSelector: kubernetes.io/metadata.name=kube-system
      PodSelector: k8s-app=kube-dns
  Policy Types: Ingress, Egress
""")

KCTL8_DENY = block("""
Name:         default-deny
Namespace:    shop
Created on:   2025-05-01 10:00:00 +0000 UTC
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)
  Allowing ingress traffic:
    <none> (Selected pods are isolated for ingress connectivity)
  Not affecting egress traffic
  Policy Types: Ingress
""")


def test_describe_network_policies_match_kctl8():
    sel = LabelSelector.of
    db = NetworkPolicy(
        "shop", "db-policy", sel({"app": "db"}), ("Ingress", "Egress"),
        ingress=(
            NetworkPolicyRule(
                (NetworkPolicyPeer(pod_selector=sel({"app": "api"})),
                 NetworkPolicyPeer(pod_selector=sel({"app": "prometheus"}),
                                   namespace_selector=sel({
                                       "kubernetes.io/metadata.name": "monitoring"}))),
                (NetworkPolicyPort("TCP", 5432),)),
            NetworkPolicyRule((NetworkPolicyPeer(ip_block=IPBlock(
                IPv4Network("10.0.0.0/8"),
                (IPv4Network("10.96.0.0/12"), IPv4Network("10.244.0.0/16")))),)),
        ),
        egress=(NetworkPolicyRule(
            (NetworkPolicyPeer(pod_selector=sel({"k8s-app": "kube-dns"}),
                               namespace_selector=sel({
                                   "kubernetes.io/metadata.name": "kube-system"})),),
            (NetworkPolicyPort("UDP", 53), NetworkPolicyPort("TCP", 53))),))
    deny = NetworkPolicy("shop", "default-deny")
    engine = Engine(Cluster(config=ClusterConfig(cni_plugin="calico", cni_mode="ipip"),
                            network_policies=(db, deny)))
    facts = Facts(created={"networkpolicies/shop/db-policy": CREATED,
                           "networkpolicies/shop/default-deny": CREATED})
    assert describe(engine, "netpol db-policy -n shop", facts) == KCTL8_NETPOL
    assert describe(engine, "networkpolicy default-deny", facts, namespace="shop") == KCTL8_DENY


# --------------------------------------------------------------------------- node

KCTL8_NODE = block("""
Name:               node-1
Roles:              <none>
Labels:             beta.kubernetes.io/arch=amd64
                    beta.kubernetes.io/os=linux
                    kubernetes.io/arch=amd64
                    kubernetes.io/hostname=node-1
                    kubernetes.io/os=linux
Annotations:        flannel.alpha.coreos.com/backend-type: vxlan
                    flannel.alpha.coreos.com/public-ip: 192.168.56.11
                    node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Tue, 15 Apr 2025 08:00:00 +0000
Taints:             <none>
Unschedulable:      false
Conditions:
  Type                 Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message
  ----                 ------  -----------------                 ------------------                ------         -------
  NetworkUnavailable   False   Tue, 15 Apr 2025 08:01:10 +0000   Tue, 15 Apr 2025 08:01:10 +0000   FlannelIsUp    Flannel is running on this node
  Ready                True    Thu, 01 May 2025 10:04:00 +0000   Tue, 15 Apr 2025 08:01:20 +0000   KubeletReady   kubelet is posting ready status
Addresses:
  InternalIP:  192.168.56.11
  Hostname:    node-1
Capacity:
  cpu:     2
  memory:  4015084Ki
  pods:    110
System Info:
  Kernel Version:             6.8.0-60-generic
  OS Image:                   Ubuntu 24.04.2 LTS
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://1.7.27
  Kubelet Version:            v1.33.1
PodCIDR:                      10.244.1.0/24
PodCIDRs:                     10.244.1.0/24
""")


def _section(text: str, first: str, last: str) -> str:
    start = text.index(first)
    end = text.index(last, start) + len(last)
    return text[start:end]


def _cells(line: str) -> list[str]:
    return re.split(r" {2,}", line.strip())


def test_describe_node_matches_kctl8_where_the_example_is_complete():
    """KCTL-8's node example elides sections (Lease, three kubelet conditions, part of
    Capacity, Allocatable, …), which changes the width of those blocks; the complete
    parts must match byte for byte, the condition rows cell by cell."""
    node = Node("node-1", IP("192.168.56.11"), IPv4Network("10.244.1.0/24"),
                labels={"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "node-1",
                        "kubernetes.io/os": "linux"},
                annotations={"flannel.alpha.coreos.com/backend-type": "vxlan",
                             "flannel.alpha.coreos.com/public-ip": "192.168.56.11",
                             "node.alpha.kubernetes.io/ttl": "0"})
    engine = Engine(Cluster(nodes=(node,)))
    facts = Facts(created={"nodes/node-1": datetime(2025, 4, 15, 8, 0, 0, tzinfo=UTC)})
    out = describe(engine, "node node-1", facts)
    for first, last in (("Name:", "Unschedulable:      false\n"),
                        ("Addresses:\n", "Hostname:    node-1\n"),
                        ("  Kernel Version:", "PodCIDRs:                     10.244.1.0/24\n")):
        expected = _section(KCTL8_NODE, first, last)
        got = _section(out, first, last)
        if first.startswith("  Kernel"):  # System Info has more rows than the example
            assert all(line in got.splitlines() for line in expected.splitlines())
        else:
            assert got == expected
    rows = {_cells(line)[0]: _cells(line) for line in out.splitlines()
            if line.startswith("  ") and len(_cells(line)) == 6}
    for line in _section(KCTL8_NODE, "  NetworkUnavailable", "ready status").splitlines():
        assert rows[_cells(line)[0]] == _cells(line)
    assert "  cpu:                2\n" in out and "  pods:               110\n" in out


def test_describe_powered_off_node_and_its_pods_table():
    down = Node("node-2", IP("192.168.56.12"), IPv4Network("10.244.2.0/24"))
    pods = (Pod("default", "web-a", node_name="node-2", ip=IP("10.244.2.5")),)
    engine = Engine(Cluster(config=ClusterConfig(faults=Faults(nodes_down=frozenset({"node-2"}))),
                            nodes=(down,), pods=pods))
    out = describe(engine, "node node-2")
    assert "Taints:             node.kubernetes.io/unreachable:NoExecute\n" in out
    assert "NodeStatusUnknown   Kubelet stopped posting node status." in out
    assert "Non-terminated Pods:          (1 in total)\n" in out
    assert re.search(r"\n  default\s+web-a\s+0 \(0%\)\s+0 \(0%\)\s+0 \(0%\)\s+0 \(0%\)\s+5m12s\n", out)


# --------------------------------------------------------------------------- others


def test_describe_endpoints_namespace_and_unsupported_kinds():
    svc = Service("default", "web", selector={"app": "web"}, cluster_ip=IP("10.96.100.10"),
                  ports=(ServicePort(80, name="http", target_port=8080),))
    pods = (_named_port_pod("web-a", "10.244.1.5", "node-1", 8080),
            _named_port_pod("web-b", "10.244.1.6", "node-1", 8080, ready=False))
    engine = Engine(Cluster(nodes=(NODE_1,), pods=pods, services=(svc,)))
    r = run_command(engine, "kubectl describe ep web", now=NOW)
    assert r.stderr.startswith("Warning: v1 Endpoints is deprecated")
    assert "  Addresses:          10.244.1.5\n  NotReadyAddresses:  10.244.1.6\n" in r.stdout
    assert "    http  8080  TCP\n" in r.stdout
    assert describe(engine, "ns default").startswith(
        "Name:         default\nLabels:       kubernetes.io/metadata.name=default\n")
    r = run_command(engine, "kubectl describe endpointslices", now=NOW)
    assert r.exit_code == 1 and "cannot describe endpointslices" in r.stderr
