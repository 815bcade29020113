"""Shared test data and helpers for the labs API tests."""

from __future__ import annotations

from pathlib import Path

DEMO_YAML = (Path(__file__).resolve().parents[2] / "clusterlab" / "labs" / "demo" /
             "demo-cluster.yaml").read_text()

SMALL_YAML = """\
apiVersion: v1
kind: Node
metadata: {name: node-1}
status:
  addresses: [{type: InternalIP, address: 192.168.56.11}]
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
status:
  addresses: [{type: InternalIP, address: 192.168.56.12}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, tier: frontend, env: prod}
spec:
  nodeName: node-1
  containers:
  - name: web
    image: nginx
    ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: api-1
  namespace: shop
  labels: {app: api, tier: backend, env: staging}
spec:
  nodeName: node-2
  containers:
  - name: api
    image: api
    ports: [{name: http, containerPort: 9000}]
---
apiVersion: v1
kind: Pod
metadata:
  name: db-1
  namespace: shop
  labels: {app: db, tier: db}
spec:
  nodeName: node-2
  containers: [{name: db, image: postgres}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def pod(name: str, namespace: str = "shop", node: str | None = None, **labels: str) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": spec}


def service(name: str, namespace: str = "shop", port: int = 80, **selector: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector or {"app": name},
                     "ports": [{"port": port, "protocol": "TCP"}]}}


def create_cluster(client, name: str = "lab", yaml_text: str | None = SMALL_YAML,
                   **extra) -> dict:
    response = client.post("/api/clusters/", {"name": name, **extra}, format="json")
    assert response.status_code == 201, response.content
    cluster = response.json()
    if yaml_text:
        applied = client.post(f"/api/clusters/{cluster['id']}/manifests", yaml_text,
                              content_type="application/yaml")
        assert applied.status_code == 200, applied.content
        cluster["resource_version"] = applied.json()["resource_version"]
    return cluster
