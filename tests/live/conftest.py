"""Fixtures of the live tests: three users and a two-node cluster owned by alice."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from clusterlab.labs.changes import create_cluster

DEMO = """
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {node-role.kubernetes.io/control-plane: ""}}
status: {addresses: [{type: InternalIP, address: 192.168.56.10}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
status: {addresses: [{type: InternalIP, address: 192.168.56.11}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  nodeName: node-2
  containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
"""


@pytest.fixture
def users(db):
    model = get_user_model()
    return {name: model.objects.create_user(name, password="pw-" + name * 3)
            for name in ("alice", "bob", "carol")}


@pytest.fixture
def cluster(users):
    from clusterlab.labs.apply import apply, parse_text

    c = create_cluster(users["alice"], name="lab")
    apply(c, users["alice"], parse_text(DEMO))
    c.refresh_from_db()
    return c
