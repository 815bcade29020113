"""`kubectl exec` tools in the console (KCTL-9): ping, curl, nslookup, cat, hostname —
every outcome row of the reference, on clusters loaded from manifests (so kube-dns,
CoreDNS and the CNI dataplane are the loader's)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

import pytest

from clusterlab.sim import manifests
from clusterlab.sim.console.ping import format_rtt, rtt_summary
from clusterlab.sim.engine import Engine
from clusterlab.sim.kubectl import CommandResult, run_command

NOW = datetime(2025, 5, 1, 10, 5, 12, tzinfo=UTC)

BASE = """
apiVersion: clusterlab.io/v1alpha1
kind: ClusterConfig
spec:
  cni: {plugin: flannel, mode: vxlan}
  dns:
    upstream:
      db.example.com: {A: [203.0.113.50]}
      example.com: {A: [93.184.215.14]}
  externalHosts:
  - {ip: 203.0.113.50, name: db-host, listens: [{port: 5432, protocol: TCP}]}
  clusterCIDR: 10.244.0.0/16
---
apiVersion: v1
kind: Node
metadata: {name: cp-1, labels: {node-role.kubernetes.io/control-plane: ""}}
spec: {podCIDR: 10.244.0.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.56.10}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDR: 10.244.1.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.56.11}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
spec: {podCIDR: 10.244.2.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.56.12}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
spec: {nodeName: node-1, containers: [{name: c, image: "curlimages/curl:8.11.1"}]}
status: {phase: Running, podIP: 10.244.1.9}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec:
  nodeName: node-1
  containers: [{name: web, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
status: {phase: Running, podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: default, labels: {app: web}}
spec:
  nodeName: node-2
  containers: [{name: web, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
status: {phase: Running, podIP: 10.244.2.7}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: default, labels: {app: db}}
spec:
  nodeName: node-2
  hostname: db-0
  subdomain: db
  containers: [{name: db, image: "postgres:17", ports: [{name: postgres, containerPort: 5432}]}]
status: {phase: Running, podIP: 10.244.2.9}
---
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: default}
spec:
  nodeName: node-2
  containers: [{name: app, image: "busybox:1.36"}, {name: sidecar, image: "busybox:1.36"}]
status: {phase: Running, podIP: 10.244.2.10}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: default}
spec: {nodeName: node-2, containers: [{name: c, image: "busybox:1.36"}]}
status: {phase: Succeeded}
---
apiVersion: v1
kind: Pod
metadata: {name: starting, namespace: default}
spec: {nodeName: node-2, containers: [{name: c, image: "busybox:1.36"}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.100.10
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: postgres, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec:
  clusterIP: 10.96.100.20
  selector: {app: nothing}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext-db, namespace: default}
spec: {type: ExternalName, externalName: db.example.com}
"""

DENY_DNS = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: default}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
"""

WEB_TCP_ONLY = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-tcp-only, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080, protocol: TCP}]}]
"""

WEB_FROM_ANYWHERE = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-any, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
"""


@pytest.fixture(autouse=True)
def _plain_static_storage():
    """Overrides tests/conftest.py's Django fixture: these engine tests run with -p no:django."""


@lru_cache(maxsize=32)
def engine(cni: str = "flannel, mode: vxlan", extra: str = "", config: str = "") -> Engine:
    text = BASE.replace("cni: {plugin: flannel, mode: vxlan}", f"cni: {{plugin: {cni}}}" + config)
    return Engine(manifests.load([("exec.yaml", text + extra)]))


def kexec(command: str, e: Engine | None = None, namespace: str = "default") -> CommandResult:
    return run_command(e or engine(), command, namespace=namespace, now=NOW)


def terminated(code: int) -> str:
    return f"command terminated with exit code {code}\n"


# --------------------------------------------------------------------------- ping

KCTL9_PING = """PING 10.244.2.7 (10.244.2.7) 56(84) bytes of data.
64 bytes from 10.244.2.7: icmp_seq=1 ttl=62 time=0.512 ms
64 bytes from 10.244.2.7: icmp_seq=2 ttl=62 time=0.431 ms
64 bytes from 10.244.2.7: icmp_seq=3 ttl=62 time=0.498 ms

--- 10.244.2.7 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2003ms
rtt min/avg/max/mdev = 0.431/0.480/0.512/0.035 ms
"""


def _untimed(text: str) -> str:
    text = re.sub(r"time=[0-9.]+ ms", "time=T ms", text)
    return re.sub(r"rtt min/avg/max/mdev = [0-9./]+ ms", "rtt min/avg/max/mdev = R ms", text)


def test_ping_cross_node_matches_kctl9_apart_from_the_times():
    r = kexec("kubectl exec client -- ping -c 3 10.244.2.7")
    assert _untimed(r.stdout) == _untimed(KCTL9_PING)
    assert (r.stderr, r.exit_code) == ("", 0)


def test_ping_times_are_deterministic_and_formatted_like_iputils():
    a = kexec("kubectl exec client -- ping -c 3 10.244.2.7").stdout
    assert a == kexec("kubectl exec client -- ping -c 3 10.244.2.7").stdout
    times = re.findall(r"time=([0-9.]+) ms", a)
    assert all(re.fullmatch(r"0\.\d{3}", t) for t in times), times  # < 1 ms: 3 decimals
    assert format_rtt(512) == "0.512"
    assert format_rtt(1234) == "1.23"
    assert format_rtt(12345) == "12.3"
    assert format_rtt(123456) == "123"
    assert rtt_summary([512, 431, 498]) == "rtt min/avg/max/mdev = 0.431/0.480/0.512/0.035 ms"


@pytest.mark.parametrize(("cni", "target", "ttl"), [
    ("flannel, mode: vxlan", "10.244.1.5", 64),   # same node, bridge: not routed
    ("flannel, mode: vxlan", "10.244.2.7", 62),   # cross node: routed on both nodes
    ("calico, mode: ipip", "10.244.1.5", 63),     # same node, routed cali* interfaces
    ("calico, mode: ipip", "10.244.2.7", 62),
    ("weave, mode: fastdp", "10.244.2.7", 64),    # one L2 segment over the overlay
])
def test_ping_ttl_follows_net_3_1(cni, target, ttl):
    e = engine(cni)
    pod_ip = e.cluster.pod_by_key["default/" + ("web-1" if target.endswith(".1.5") else "web-2")].ip
    r = kexec(f"kubectl exec client -- ping -c 1 {pod_ip}", e)
    assert f"icmp_seq=1 ttl={ttl} time=" in r.stdout, r.stdout


def test_ping_a_cluster_ip_in_iptables_mode_gets_no_reply():
    r = kexec("kubectl exec client -- ping -c 3 web")
    assert r.stdout == (
        "PING web.default.svc.cluster.local (10.96.100.10) 56(84) bytes of data.\n\n"
        "--- web.default.svc.cluster.local ping statistics ---\n"
        "3 packets transmitted, 0 received, 100% packet loss, time 2055ms\n\n")
    assert (r.stderr, r.exit_code) == (terminated(1), 1)


def test_ping_a_cluster_ip_in_ipvs_mode_is_rejected_by_the_filter():
    e = engine(config="\n  kubeProxyMode: ipvs")
    r = kexec("kubectl exec client -- ping -c 3 10.96.100.10", e)
    assert r.stdout == (
        "PING 10.96.100.10 (10.96.100.10) 56(84) bytes of data.\n"
        "From 10.96.100.10 icmp_seq=1 Destination Port Unreachable\n"
        "From 10.96.100.10 icmp_seq=2 Destination Port Unreachable\n"
        "From 10.96.100.10 icmp_seq=3 Destination Port Unreachable\n\n"
        "--- 10.96.100.10 ping statistics ---\n"
        "3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2003ms\n\n")
    assert r.exit_code == 1


def test_ping_a_missing_address_on_the_pods_bridge_is_host_unreachable_from_itself():
    r = kexec("kubectl exec client -- ping -c 2 10.244.1.99")
    assert r.stdout.splitlines()[1:3] == [
        "From 10.244.1.9 icmp_seq=1 Destination Host Unreachable",
        "From 10.244.1.9 icmp_seq=2 Destination Host Unreachable"]
    assert "2 packets transmitted, 0 received, +2 errors, 100% packet loss" in r.stdout


def test_ping_a_headless_name_shows_the_endpoint_ptr_names():
    r = kexec("kubectl exec client -- ping -c 1 db")
    assert r.stdout.splitlines()[:2] == [
        "PING db.default.svc.cluster.local (10.244.2.9) 56(84) bytes of data.",
        r.stdout.splitlines()[1]]
    assert re.fullmatch(r"64 bytes from db-0\.db\.default\.svc\.cluster\.local \(10\.244\.2\.9\): "
                        r"icmp_seq=1 ttl=62 time=0\.\d{3} ms", r.stdout.splitlines()[1])
    numeric = kexec("kubectl exec client -- ping -n -c 1 db").stdout
    assert "64 bytes from 10.244.2.9: icmp_seq=1" in numeric


def test_ping_an_outside_host_and_an_unknown_name():
    r = kexec("kubectl exec client -- ping -c 1 203.0.113.50")
    # routed by the node and by the underlay's gateway, both ways
    assert "64 bytes from 203.0.113.50: icmp_seq=1 ttl=62" in r.stdout
    r = kexec("kubectl exec client -- ping -c 1 nope")
    assert r == CommandResult("", "ping: nope: Name or service not known\n" + terminated(2), 2)


def test_ping_special_addresses():
    assert "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64" in kexec(
        "kubectl exec client -- ping -c 1 0.0.0.0").stdout  # 0.0.0.0 is the local host
    assert "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64" in kexec(
        "kubectl exec client -- ping -c 1 127.0.0.1").stdout
    assert kexec("kubectl exec client -- ping -c 1 255.255.255.255").stderr.startswith(
        "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n")


def test_ping_without_count_sends_four_and_quiet_prints_the_summary_only():
    r = kexec("kubectl exec client -- ping 10.244.2.7")
    assert "4 packets transmitted, 4 received, 0% packet loss, time 3004ms" in r.stdout
    q = kexec("kubectl exec client -- ping -q -c 2 10.244.2.7").stdout
    assert "icmp_seq" not in q and "2 received" in q


def test_ping_usage_errors():
    r = kexec("kubectl exec client -- ping -x 10.244.2.7")
    assert r.stderr.startswith("ping: invalid option -- 'x'\n")
    assert r.exit_code == 2
    assert kexec("kubectl exec client -- ping").stderr.startswith(
        "ping: usage error: Destination address required\n")
    assert kexec("kubectl exec client -- ping -c abc x").stderr.startswith(
        "ping: invalid argument: 'abc'\n")


def test_ping_dns_blocked_by_policy_is_a_temporary_failure():
    e = engine("calico, mode: ipip", DENY_DNS)
    r = kexec("kubectl exec client -- ping -c 1 web", e)
    assert r == CommandResult(
        "", "ping: web: Temporary failure in name resolution\n" + terminated(2), 2)


def test_icmp_and_network_policy_rules_with_ports_never_admit_ping():
    """A rule listing TCP 8080 isolates the pod for everything else, ICMP included; a rule
    without ports admits every protocol."""
    tcp_only = engine("calico, mode: ipip", WEB_TCP_ONLY)
    r = kexec("kubectl exec client -- ping -c 1 10.244.2.7", tcp_only)
    assert "1 packets transmitted, 0 received, 100% packet loss" in r.stdout
    curl = kexec("kubectl exec client -- curl -s http://10.244.2.7:8080/", tcp_only)
    assert curl.exit_code == 0
    anywhere = engine("calico, mode: ipip", WEB_FROM_ANYWHERE)
    assert "1 received" in kexec("kubectl exec client -- ping -c 1 10.244.2.7", anywhere).stdout
    flannel = engine("flannel, mode: vxlan", WEB_TCP_ONLY)  # flannel enforces nothing
    assert "1 received" in kexec("kubectl exec client -- ping -c 1 10.244.2.7", flannel).stdout


# --------------------------------------------------------------------------- curl

NGINX_FIRST_LINE = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n"


def test_curl_success_prints_the_backends_page():
    r = kexec("kubectl exec client -- curl -s http://web")
    assert r.stdout.startswith(NGINX_FIRST_LINE)
    assert len(r.stdout.encode()) == 615
    assert (r.stderr, r.exit_code) == ("", 0)
    echo = kexec("kubectl exec client -- curl -s http://10.244.2.10:9000")  # busybox: echo
    assert echo.stdout == "multi\n"


def test_curl_refused_by_kube_proxy_reject():
    r = kexec("kubectl exec client -- curl -sS http://10.96.100.20")
    assert r == CommandResult("", "curl: (7) Failed to connect to 10.96.100.20 port 80 after "
                                  "2 ms: Could not connect to server\n" + terminated(7), 7)


def test_curl_refused_when_the_pod_does_not_listen_on_the_port():
    r = kexec("kubectl exec client -- curl -sS http://10.244.2.7:9090")
    assert r.stderr.startswith("curl: (7) Failed to connect to 10.244.2.7 port 9090 after ")
    assert r.exit_code == 7


@pytest.mark.parametrize("flag", ["-m 5", "--max-time 5", "--connect-timeout 5",
                                  "--connect-timeout=5"])
def test_curl_no_answer_with_a_timeout(flag):
    """A port the Service does not define has no kube-proxy rule: the SYN is routed to the
    node's default gateway and lost (SVC-11)."""
    r = kexec(f"kubectl exec client -- curl -sS {flag} http://10.96.100.10:81")
    assert r == CommandResult(
        "", "curl: (28) Connection timed out after 5002 milliseconds\n" + terminated(28), 28)


def test_curl_no_answer_without_a_timeout_waits_for_the_kernels_syn_retries():
    r = kexec("kubectl exec client -- curl -sS http://10.96.100.10:81")
    assert r.stderr == ("curl: (28) Failed to connect to 10.96.100.10 port 81 after 130254 ms: "
                        "Could not connect to server\n" + terminated(28))


def test_curl_dns_failure():
    r = kexec("kubectl exec client -- curl -sS http://nope")
    assert r == CommandResult("", "curl: (6) Could not resolve host: nope\n" + terminated(6), 6)


def test_curl_dns_blocked_by_policy():
    e = engine("calico, mode: ipip", DENY_DNS)
    assert kexec("kubectl exec client -- curl -sS web", e).stderr == (
        "curl: (6) Could not resolve host: web\n" + terminated(6))
    assert kexec("kubectl exec client -- curl -sS -m 3 web", e).stderr == (
        "curl: (28) Resolving timed out after 3002 milliseconds\n" + terminated(28))


def test_curl_empty_reply_from_a_non_http_server():
    r = kexec("kubectl exec client -- curl -sS db:5432")
    assert r == CommandResult("", "curl: (52) Empty reply from server\n" + terminated(52), 52)
    # ExternalName → CNAME → the outside PostgreSQL host; it listens on 5432 only
    assert kexec("kubectl exec client -- curl -sS ext-db:5432").exit_code == 52
    assert kexec("kubectl exec client -- curl -sS ext-db").stderr.startswith(
        "curl: (7) Failed to connect to ext-db port 80 after ")


def test_curl_transfer_stalls_behind_an_mtu_black_hole():
    """The client's node eth0 MTU was lowered under the CNI (fault): the SYN and the request
    are small and pass; the response's data segment is dropped silently on the way back."""
    e = engine(config="\n  faults: {nodeMTU: {node-1: 700}}")
    r = kexec("kubectl exec client -- curl -sS -m 5 http://10.244.2.7:8080/", e)
    assert r == CommandResult(
        "", "curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received\n"
        + terminated(28), 28)
    hang = kexec("kubectl exec client -- curl -s http://10.244.2.7:8080/", e)
    assert (hang.stdout, hang.stderr, hang.exit_code) == ("", "", 130)  # interrupted


def test_curl_policy_drop_times_out():
    e = engine("calico, mode: ipip", DENY_DNS)
    r = kexec("kubectl exec client -- curl -sS -m 2 http://10.244.2.7:8080", e)
    assert r.stderr == "curl: (28) Connection timed out after 2002 milliseconds\n" + terminated(28)


def test_curl_silent_hides_the_error_and_the_meter_glues_it_otherwise():
    assert kexec("kubectl exec client -- curl -s nope") == CommandResult("", terminated(6), 6)
    r = kexec("kubectl exec client -- curl nope")
    assert r.stderr == (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "                                 Dload  Upload   Total   Spent    Left  Speed\n"
        "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
        "curl: (6) Could not resolve host: nope\n" + terminated(6))
    ok = kexec("kubectl exec client -- curl http://web")
    assert re.search(r"\r100   615  100   615    0     0  [ 0-9]{4}k      0 --:--:-- --:--:-- "
                     r"--:--:-- [ 0-9]{4}k\n$", ok.stderr), ok.stderr
    timeout = kexec("kubectl exec client -- curl -m 5 http://10.96.100.10:81").stderr
    assert "\r  0     0    0     0    0     0      0      0 --:--:--  0:00:05 --:--:--     0curl:" \
        in timeout
    tty = kexec("kubectl exec -t client -- curl nope")  # stdout is a terminal: no meter
    assert tty.stderr == "curl: (6) Could not resolve host: nope\n" + terminated(6)


def test_curl_verbose_trace():
    r = kexec("kubectl exec client -- curl -sv http://web/")
    lines = r.stderr.splitlines()
    assert lines[:7] == [
        "* Host web:80 was resolved.", "* IPv6: (none)", "* IPv4: 10.96.100.10",
        "*   Trying 10.96.100.10:80...", "* Connected to web (10.96.100.10) port 80",
        "* using HTTP/1.x", "> GET / HTTP/1.1"]
    assert "< HTTP/1.1 200 OK" in lines
    assert "< Server: nginx/1.27.5" in lines
    assert "{ [615 bytes data]" in lines
    assert lines[-1] == "* Connection #0 to host web left intact"
    refused = kexec("kubectl exec client -- curl -sv http://10.96.100.20").stderr.splitlines()
    assert refused[0] == "*   Trying 10.96.100.20:80..."
    assert re.fullmatch(r"\* connect to 10\.96\.100\.20 port 80 from 10\.244\.1\.9 port \d+ "
                        r"failed: Connection refused", refused[1])


def test_curl_http_details():
    head = kexec("kubectl exec client -- curl -sI http://web").stdout
    assert head.startswith("HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\n")
    assert head.endswith("\r\n\r\n")
    code = kexec("kubectl exec client -- curl -s -o /dev/null -w '%{http_code}\\n' web/nope")
    assert code == CommandResult("404\n", "", 0)
    failed = kexec("kubectl exec client -- curl -sSf web/nope")
    assert failed.stderr.startswith("curl: (22) The requested URL returned error: 404\n")
    assert kexec("kubectl exec client -- curl -s -w '%{http_code}' nope").stdout == "000"


def test_curl_usage_and_url_errors():
    assert kexec("kubectl exec client -- curl").stderr.startswith(
        "curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more "
        "information\n")
    assert kexec("kubectl exec client -- curl --bogus web").stderr.startswith(
        "curl: option --bogus: is unknown\n")
    assert kexec("kubectl exec client -- curl -m").stderr.startswith(
        "curl: option -m: requires parameter\n")
    assert kexec("kubectl exec client -- curl -m x web").stderr.startswith(
        "curl: option -m: expected a proper numerical parameter\n")
    assert kexec("kubectl exec client -- curl -sS ftp://web").stderr.startswith(
        'curl: (1) Protocol "ftp" not supported\n')
    assert kexec("kubectl exec client -- curl -sS web:99999").stderr.startswith(
        "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")


# --------------------------------------------------------------------------- nslookup

KCTL9_NSLOOKUP = """Server:\t\t10.96.0.10
Address:\t10.96.0.10#53

Name:\tweb.default.svc.cluster.local
Address: 10.96.100.10

"""


def test_nslookup_matches_kctl9():
    assert kexec("kubectl exec client -- nslookup web") == CommandResult(KCTL9_NSLOOKUP, "", 0)


def test_nslookup_nxdomain_srv_cname_and_external():
    r = kexec("kubectl exec client -- nslookup nope")
    assert r.stdout.endswith("** server can't find nope: NXDOMAIN\n\n")
    assert (r.stderr, r.exit_code) == (terminated(1), 1)
    srv = kexec("kubectl exec client -- nslookup -type=SRV "
                "_http._tcp.web.default.svc.cluster.local")
    assert "_http._tcp.web.default.svc.cluster.local\tservice = 0 100 80 " \
           "web.default.svc.cluster.local.\n" in srv.stdout
    cname = kexec("kubectl exec client -- nslookup ext-db").stdout
    assert "ext-db.default.svc.cluster.local\tcanonical name = db.example.com.\n" in cname
    ext = kexec("kubectl exec client -- nslookup example.com.").stdout
    assert "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.215.14\n" in ext


def test_nslookup_timeout_when_dns_is_blocked():
    e = engine("calico, mode: ipip", DENY_DNS)
    r = kexec("kubectl exec client -- nslookup web", e)
    assert r.stdout == (";; communications error to 10.96.0.10#53: timed out\n" * 3
                        + ";; no servers could be reached\n\n")
    assert r.exit_code == 1


# --------------------------------------------------------------------------- files, exec


def test_cat_resolv_conf_and_hostname():
    assert kexec("kubectl exec client -- cat /etc/resolv.conf").stdout == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n")
    assert kexec("kubectl exec client -- hostname").stdout == "client\n"
    assert kexec("kubectl exec db-0 -- hostname -f").stdout == "db-0.db.default.svc.cluster.local\n"
    assert kexec("kubectl exec client -- cat /nope") == CommandResult(
        "", "cat: /nope: No such file or directory\n" + terminated(1), 1)
    assert kexec("kubectl exec client -- sh -c 'hostname'").stdout == "client\n"


def test_exec_errors():
    assert kexec("kubectl exec nope -- hostname") == CommandResult(
        "", 'Error from server (NotFound): pods "nope" not found\n', 1)
    assert kexec("kubectl exec client hostname").stderr.startswith(
        "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] "
        "instead\n")
    assert kexec("kubectl exec client").stderr == (
        "error: you must specify at least one command for the container\n")
    assert kexec("kubectl exec done -- hostname").stderr == (
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n")
    assert kexec("kubectl exec starting -- hostname").stderr == (
        'error: unable to upgrade connection: container not found ("c")\n')
    assert kexec("kubectl exec client -c x -- hostname").stderr == (
        'error: unable to upgrade connection: container not found ("x")\n')
    assert kexec("kubectl exec client -- wget web") == CommandResult(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: "
        '"wget": executable file not found in $PATH: unknown\n', terminated(126), 126)


def test_exec_defaults_to_the_first_container_and_says_so():
    r = kexec("kubectl exec multi -- hostname")
    assert r == CommandResult("multi\n", 'Defaulted container "app" out of: app, sidecar\n', 0)
    assert kexec("kubectl exec multi -c sidecar -- hostname").stderr == ""
    assert kexec("kubectl exec pod/multi -it -- hostname").stdout == "multi\n"


def test_exec_on_a_powered_off_node_cannot_reach_the_kubelet():
    e = engine(config="\n  faults: {nodesDown: [node-2]}")
    assert kexec("kubectl exec web-2 -- hostname", e).stderr == (
        "Error from server: error dialing backend: dial tcp 192.168.56.12:10250: i/o timeout\n")
