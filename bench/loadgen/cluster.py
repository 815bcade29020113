"""A deterministic 1,000-pod cluster as Kubernetes manifests (20 nodes × 50 pods).

Plain dicts, no Django: the benchmarks feed them to `labs.changes.create_cluster` in a
`manage.py shell` of the server under test. Calico in IPIP mode, so a cross-node trace
to a Service walks veth → routing → DNAT → IPIP encapsulation → underlay → policy →
delivery (~20 hops with the reply direction), the path the fan-out benchmark sends.
"""

from __future__ import annotations

from typing import Any

NAMESPACES = ("shop", "search", "billing", "media", "infra")
APPS = ("web", "api", "cache", "db", "worker")


def manifests(nodes: int = 20, pods_per_node: int = 50) -> list[dict[str, Any]]:
    """Nodes, namespaces, pods pinned round-robin to nodes, a Service per app and ns,
    default-deny plus allow policies per namespace."""
    out: list[dict[str, Any]] = []
    for i in range(nodes):
        name = f"node-{i + 1:02d}"
        out.append({"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                          "zone": f"zone-{'abc'[i % 3]}"}},
                    "status": {"addresses": [{"type": "InternalIP",
                                              "address": f"192.168.56.{10 + i}"}]}})
    for ns in NAMESPACES:
        out.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"team": ns}}})
    total = nodes * pods_per_node
    for j in range(total):
        ns = NAMESPACES[j % len(NAMESPACES)]
        app = APPS[(j // len(NAMESPACES)) % len(APPS)]
        node = f"node-{j % nodes + 1:02d}"
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": f"{app}-{j:04d}", "namespace": ns,
                                 "labels": {"app": app, "tier": "backend" if app != "web"
                                            else "frontend", "team": ns}},
                    "spec": {"nodeName": node, "containers": [{
                        "name": app, "image": "nginx:1.27",
                        "ports": [{"name": "http", "containerPort": 8080}]}]}})
    for ns in NAMESPACES:
        for app in APPS:
            out.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": app, "namespace": ns},
                        "spec": {"selector": {"app": app},
                                 "ports": [{"port": 80, "targetPort": "http"}]}})
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny", "namespace": ns},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "allow-web-to-api", "namespace": ns},
                    "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                             "policyTypes": ["Ingress"],
                             "ingress": [{"from": [{"podSelector": {"matchLabels": {
                                 "app": "web"}}}], "ports": [{"port": "http"}]}]}})
    return out


CONFIG = {"cni": {"plugin": "calico", "mode": "ipip"}}

# A web pod on node-01 to the `api` Service of its namespace; the endpoint chosen by the
# seed sits on another node, so the packet crosses the IPIP tunnel.
TRACE = {"type": "trace", "source": "shop/web-0000", "target": "api.shop", "port": 80,
         "protocol": "TCP", "seed": 7}


def setup_script(owner: str, password: str, *, viewers: int = 0, nodes: int = 20,
                 pods_per_node: int = 50, name: str = "bench-1000") -> str:
    """Python for `manage.py shell -c` run against the server's database and SECRET_KEY.

    Creates the owner (with `password`, for the browser's login form), the cluster
    through the labs write path (`create_cluster`, so the rows, revision and statuses are
    what the REST API would have stored), `viewers` read-only users the cluster is
    shared with, and one session per user through Django's session engine. Prints one
    JSON line: cluster id, seconds to create, owner and viewer session keys.
    """
    return f"""
import json, time
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from clusterlab.labs.apply import clean
from clusterlab.labs.changes import create_cluster
from clusterlab.labs.kinds import BY_KIND
from clusterlab.labs.models import ClusterShare
from clusterlab.labs.snapshot import Obj
from bench.loadgen.cluster import CONFIG, manifests
User = get_user_model()
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
owner, _ = User.objects.get_or_create(username={owner!r})
owner.set_password({password!r}); owner.save()
state = {{}}
for m in manifests({nodes}, {pods_per_node}):
    key, cleaned = clean(BY_KIND[m["kind"]], m)
    state[key] = Obj(cleaned)
t0 = time.perf_counter()
cluster = create_cluster(owner, name={name!r}, config=CONFIG, objects=state)
created = time.perf_counter() - t0
hashed = make_password({password!r})
viewers = User.objects.bulk_create(
    [User(username=f"viewer-{{i:04d}}", password=hashed) for i in range({viewers})])
viewers = list(User.objects.filter(username__startswith="viewer-").order_by("username"))
ClusterShare.objects.bulk_create([ClusterShare(cluster=cluster, user=u) for u in viewers])

def session(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key

print("SETUP " + json.dumps({{"cluster": cluster.pk, "create_s": round(created, 3),
    "objects": len(state), "owner_session": session(owner),
    "viewer_sessions": [session(u) for u in viewers]}}))
"""


def parse_setup(stdout: str) -> dict[str, Any]:
    import json

    for line in stdout.splitlines():
        if line.startswith("SETUP "):
            return json.loads(line[6:])
    raise RuntimeError(f"setup printed no SETUP line:\n{stdout[-2000:]}")
