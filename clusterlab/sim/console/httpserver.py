"""What answers a TCP connection that reached a pod, a node or an outside host.

The snapshot does not say which processes listen where, so the console assumes:

* a pod listens on the TCP ports its containers declare (`containerPort`); a pod that
  declares none is taken to listen on any port (the simulator cannot know better). A
  connection to an undeclared port of a pod that declares ports gets a TCP RST —
  SVC-11's "Service with endpoints, the pod does not listen on targetPort";
* what it serves follows the image: nginx serves its welcome page on `/` (and a 404
  page elsewhere), httpd "It works!", and every other image a small echo server that
  answers with the pod's hostname (like agnhost `serve-hostname`). Well-known non-HTTP
  ports close the connection on an HTTP request (PostgreSQL 5432, Redis 6379, DNS 53 …:
  curl's `(52) Empty reply from server`), MySQL greets first (`(1) Received HTTP/0.9
  when not allowed`);
* a node's own address answers only on ports of its hostNetwork pods, the kubelet
  (10250) and the API server (6443, on control-plane nodes) — both TLS-only, so plain
  HTTP gets Go's `400 Client sent an HTTP request to an HTTPS server.`;
* an outside host answers on the ports it `listens` on (all ports when it lists none)
  with a small page naming it — or like the well-known non-HTTP servers above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from clusterlab.sim.console.timefmt import http_date
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Pod

NGINX_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_404 = """<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx/{version}</center>
</body>
</html>
"""

HTTPD_PAGE = "<html><body><h1>It works!</h1></body></html>\n"
TLS_ONLY_BODY = "Client sent an HTTP request to an HTTPS server.\n"
NGINX_VERSIONS = {"1.25": "1.25.5", "1.26": "1.26.3", "1.27": "1.27.5", "1.28": "1.28.0",
                  "1.29": "1.29.0"}
NGINX_DEFAULT = "1.27.5"
NGINX_LAST_MODIFIED = "Wed, 16 Apr 2025 12:01:11 GMT"
EMPTY_REPLY_PORTS = {5432: "postgres", 6379: "redis", 53: "dns", 2379: "etcd", 9042: "cassandra",
                     11211: "memcached", 27017: "mongodb", 5672: "amqp", 9092: "kafka"}
EMPTY_REPLY_NAMES = frozenset({"postgres", "postgresql", "pg", "redis", "dns", "dns-tcp",
                               "etcd", "cassandra", "memcached", "mongodb", "mongo", "amqp",
                               "kafka", "grpc"})
MYSQL_PORTS = frozenset({3306})


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str
    http_version: str = "HTTP/1.1"

    def head_text(self) -> str:
        lines = [f"{self.http_version} {self.status} {self.reason}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        return "\r\n".join(lines) + "\r\n\r\n"

    @property
    def size(self) -> int:
        return len(self.head_text().encode()) + len(self.body.encode())


@dataclass(frozen=True)
class Answer:
    """`kind`: http (a `response`), refused (RST), empty (closed, no reply), http09."""

    kind: str
    response: Response | None = None
    who: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _nginx_version(image: str) -> str:
    tag = image.rsplit("/", 1)[-1].partition(":")[2].split("-")[0]
    if tag.count(".") == 2:
        return tag
    return NGINX_VERSIONS.get(tag, NGINX_DEFAULT)


def _image_name(image: str) -> str:
    return image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]


def _listens(pod: Pod, port: int) -> tuple[bool, str, str]:
    """(listens, port name, image of the container that owns the port)."""
    declared = [(c, p) for c in pod.containers for p in c.ports if p.protocol == "TCP"]
    if not declared:
        image = pod.containers[0].image if pod.containers else ""
        return True, "", image
    for c, p in declared:
        if p.container_port == port:
            return True, p.name, c.image
    return False, "", ""


def _pod_hostname(pod: Pod) -> str:
    return (pod.hostname or pod.name)[:63]


def serve_pod(pod: Pod, port: int, path: str, host_header: str, now: datetime) -> Answer:
    listens, port_name, image = _listens(pod, port)
    if not listens:
        return Answer("refused", who=pod.key, notes=(
            f"{pod.key} declares no container port {port}/TCP: nothing listens, the kernel "
            "answers with a TCP RST",))
    if port in MYSQL_PORTS or port_name == "mysql":
        return Answer("http09", who=pod.key)
    if port in EMPTY_REPLY_PORTS or port_name in EMPTY_REPLY_NAMES:
        return Answer("empty", who=pod.key)
    name = _image_name(image)
    date = http_date(now)
    if name == "nginx":
        version = _nginx_version(image)
        if path in ("/", "/index.html"):
            body = NGINX_PAGE
            headers = (("Server", f"nginx/{version}"), ("Date", date),
                       ("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                       ("Last-Modified", NGINX_LAST_MODIFIED), ("Connection", "keep-alive"),
                       ("ETag", '"67ff9c07-267"'), ("Accept-Ranges", "bytes"))
            return Answer("http", Response(200, "OK", headers, body), pod.key)
        body = NGINX_404.format(version=version)
        headers = (("Server", f"nginx/{version}"), ("Date", date),
                   ("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                   ("Connection", "keep-alive"))
        return Answer("http", Response(404, "Not Found", headers, body), pod.key)
    if name == "httpd":
        body = HTTPD_PAGE
        headers = (("Date", date), ("Server", "Apache/2.4.63 (Unix)"),
                   ("Last-Modified", "Mon, 11 Jun 2007 18:53:14 GMT"),
                   ("ETag", '"2d-432a5e4a73a80"'), ("Accept-Ranges", "bytes"),
                   ("Content-Length", str(len(body))), ("Content-Type", "text/html"))
        return Answer("http", Response(200, "OK", headers, body), pod.key)
    body = _pod_hostname(pod) + "\n"
    headers = (("Date", date), ("Content-Length", str(len(body))),
               ("Content-Type", "text/plain; charset=utf-8"))
    return Answer("http", Response(200, "OK", headers, body), pod.key)


def _tls_only(now: datetime) -> Response:
    return Response(400, "Bad Request", (), TLS_ONLY_BODY, "HTTP/1.0")


def serve(engine: Engine, backend: str, port: int, path: str, host_header: str,
          now: datetime) -> Answer:
    """Who answers at `backend` (a pod key, a node name or an outside IP) on `port`."""
    cluster = engine.cluster
    pod = cluster.pod_by_key.get(backend)
    if pod is not None and not pod.host_network:
        return serve_pod(pod, port, path, host_header, now)
    node_name = pod.node_name if pod is not None else backend
    node = cluster.node_by_name.get(node_name or "")
    if node is not None:
        for hp in cluster.pods_by_node.get(node.name, ()):
            if hp.host_network and any(p.container_port == port and p.protocol == "TCP"
                                       for c in hp.containers for p in c.ports):
                return serve_pod(hp, port, path, host_header, now)
        control_plane = any(k.startswith("node-role.kubernetes.io/control-plane")
                            for k in node.labels)
        if port == 10250 or (port == 6443 and control_plane):
            return Answer("http", _tls_only(now), node.name)
        return Answer("refused", who=node.name, notes=(
            f"nothing on {node.name} listens on {port}/TCP",))
    host = next((h for h in cluster.config.external_hosts if str(h.ip) == backend), None)
    if port in MYSQL_PORTS:
        return Answer("http09", who=backend)
    if port in EMPTY_REPLY_PORTS:
        return Answer("empty", who=backend)
    label = (host.name if host is not None and host.name else backend)
    body = f"<html><body><h1>{label}</h1></body></html>\n"
    headers = (("Date", http_date(now)), ("Content-Type", "text/html"),
               ("Content-Length", str(len(body))))
    return Answer("http", Response(200, "OK", headers, body), backend)
