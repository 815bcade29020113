"""kubectl's write commands, pure side: plans, and the texts kubectl v1.33 prints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim import manifests
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.console.writes import (
    WritePlan,
    apply_patch,
    forbidden,
    go_json,
    plan_write,
    report,
    server_error,
)
from clusterlab.sim.engine import Engine
from clusterlab.sim.errors import FieldError, InvalidObject, ObjectRef
from clusterlab.sim.kubectl import run_command

WEB_POD = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
STORED: dict[tuple[str, str, str], Any] = {
    ("Pod", "default", "web"): WEB_POD,
    ("Pod", "default", "db"): {"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "db", "namespace": "default",
                                            "labels": {"app": "db"}},
                               "spec": {"containers": [{"name": "db", "image": "pg"}]}},
    ("Service", "default", "web"): {"apiVersion": "v1", "kind": "Service",
                                    "metadata": {"name": "web"},
                                    "spec": {"selector": {"app": "web"},
                                             "ports": [{"port": 80}]}},
    ("Deployment", "shop", "api"): {"apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": {"name": "api", "namespace": "shop"}},
    ("Namespace", "", "shop"): {"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": "shop"}},
    ("Namespace", "", "default"): {"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": "default"}},
    ("Node", "", "n1"): {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}},
}
POD_YAML = """apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.27
"""
SVC_YAML = """apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80}]
"""


def heredoc(command: str, *docs: str) -> str:
    return f"{command} <<'EOF'\n" + "---\n".join(docs) + "EOF\n"


def plan(line: str, namespace: str = "default", stored: Any = None) -> WritePlan:
    got = plan_write(line, namespace, STORED if stored is None else stored)
    assert isinstance(got, WritePlan), got
    return got


def answer(line: str, namespace: str = "default", stored: Any = None) -> CommandResult:
    got = plan_write(line, namespace, STORED if stored is None else stored)
    assert isinstance(got, CommandResult), got
    return got


def err(text: str, code: int = 1) -> CommandResult:
    return CommandResult("", text, code)


# --------------------------------------------------------------------------- not writes


def test_read_commands_and_help_are_left_to_the_read_console():
    for line in ("kubectl get pods", "kubectl describe pod web", "ping x", "",
                 "kubectl apply --help", "kubectl -n shop get pods"):
        assert plan_write(line, "default", STORED) is None, line


def test_the_snapshot_console_cannot_write():
    engine = Engine(manifests.load([("c.yaml", POD_YAML)]))
    for verb in ("apply -f -", "create -f -", "delete pod web", "label pod web a=b"):
        r = run_command(engine, f"kubectl {verb}")
        name = verb.split()[0]
        assert r == err(f"error: kubectl {name} needs a ClusterLab cluster you can write to\n")
    assert "  apply         Apply a configuration to a resource by file name or stdin" in \
        run_command(engine, "kubectl help").stdout


# --------------------------------------------------------------------------- apply


def test_apply_plans_objects_in_input_order_with_the_namespace_filled_in():
    p = plan(heredoc("kubectl apply -f -", SVC_YAML, POD_YAML))
    assert p.verb == "apply" and p.dry_run == "none" and p.source == "STDIN"
    assert not p.create_only and p.deletes == ()
    assert p.order == (("Service", "default", "api"), ("Pod", "default", "web"))
    assert [m["metadata"]["namespace"] for _, m in p.upserts] == ["default", "default"]
    assert p.upserts[0][0] == "STDIN"
    assert p.existing == {("Pod", "default", "web")}
    assert p.same == {("Pod", "default", "web")}  # the stored manifest is the same


def test_apply_report_words_and_kubectl_type_names():
    docs = [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
        "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n",
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs1}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n",
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x}\n",
        POD_YAML, SVC_YAML,
    ]
    p = plan(heredoc("kubectl apply -f -", *docs))
    assert p.order[0] == ("Namespace", "", "team") and p.order[1] == ("Node", "", "n2")
    assert p.order[2] == ("Deployment", "shop", "api")  # the manifest's namespace wins
    r = report(p, created=p.order[:2] + p.order[3:6] + p.order[7:],
               updated=[p.order[2]], unchanged=[p.order[6]])
    assert r == CommandResult(
        "namespace/team created\n"
        "node/n2 created\n"
        "deployment.apps/api configured\n"
        "replicaset.apps/rs1 created\n"
        "networkpolicy.networking.k8s.io/deny created\n"
        "endpointslice.discovery.k8s.io/x created\n"
        "pod/web unchanged\n"
        "service/api created\n", "", 0)


def test_apply_namespace_flag_and_mismatch():
    p = plan(heredoc("kubectl apply -n shop -f -", SVC_YAML))
    assert p.order == (("Service", "shop", "api"),)
    doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default}\n"
    r = answer(heredoc("kubectl apply -f - -n shop", doc))
    assert r == err('error: the namespace from the provided object "default" does not match the '
                    "namespace \"shop\". You must pass '--namespace=default' to perform this "
                    "operation.\n")
    # the console's namespace is the context's: a manifest may name another one
    assert plan(heredoc("kubectl apply -f -", doc), namespace="shop").order == \
        (("Pod", "default", "a"),)


def test_apply_dry_run_suffixes():
    # client: kubectl asks the server nothing; existing objects always say "configured"
    r = answer(heredoc("kubectl apply --dry-run=client -f -", SVC_YAML, POD_YAML))
    assert r == CommandResult("service/api created (dry run)\npod/web configured (dry run)\n",
                              "", 0)
    p = plan(heredoc("kubectl apply --dry-run=server -f -", SVC_YAML, POD_YAML))
    assert p.dry_run == "server"
    assert report(p, created=[p.order[0]], unchanged=[p.order[1]]).stdout == (
        "service/api created (server dry run)\npod/web unchanged (server dry run)\n")


def test_bare_and_boolean_dry_run_follow_kubectl_with_its_klog_warning():
    r = answer(heredoc("kubectl apply -f - --dry-run", SVC_YAML))
    assert r.stdout == "service/api created (dry run)\n"
    assert r.stderr == ("W0501 10:05:12.000000   12345 helpers.go:698] --dry-run is deprecated "
                        "and can be replaced with --dry-run=client.\n")
    r = answer(heredoc("kubectl apply -f - --dry-run=true", SVC_YAML))
    assert "--dry-run=true is deprecated (boolean value) and can be replaced with " \
           "--dry-run=client." in r.stderr
    assert plan(heredoc("kubectl apply -f - --dry-run=false", SVC_YAML)).dry_run == "none"
    assert answer(heredoc("kubectl apply -f - --dry-run=maybe", SVC_YAML)) == err(
        'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n')


def test_apply_output_name():
    p = plan(heredoc("kubectl apply -o name -f -", SVC_YAML))
    assert report(p, created=p.order).stdout == "service/api\n"
    assert answer(heredoc("kubectl apply -o name --dry-run=client -f -", SVC_YAML)).stdout == \
        "service/api\n"
    assert "allowed formats are: go-template," in answer(
        heredoc("kubectl apply -o table -f -", SVC_YAML)).stderr


def test_apply_file_and_flag_errors():
    assert answer("kubectl apply -f pod.yaml") == err('error: the path "pod.yaml" does not exist\n')
    assert answer("kubectl apply") == err("error: must specify one of -f and -k\n")
    assert answer("kubectl apply -f - <<EOF\nEOF") == err("error: no objects passed to apply\n")
    assert answer("kubectl apply -f -") == err("error: no objects passed to apply\n")
    assert answer("kubectl create -f - <<EOF\n---\nEOF") == \
        err("error: no objects passed to create\n")
    assert answer(heredoc("kubectl apply -f - web", SVC_YAML)) == err(
        "error: Unexpected args: [web]\nSee 'kubectl apply -h' for help and examples\n")
    assert answer("kubectl apply --bogus -f -") == err(
        "error: unknown flag: --bogus\nSee 'kubectl apply --help' for usage.\n")
    assert answer("kubectl apply -k dir/").stderr.startswith(
        "error: the ClusterLab console does not run kustomize")


def test_apply_keeps_good_objects_and_reports_bad_ones():
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
    p = plan(heredoc("kubectl apply -f -", SVC_YAML, cm))
    assert p.order == (("Service", "default", "api"),)
    r = report(p, created=p.order)
    assert r.stdout == "service/api created\n" and r.exit_code == 1
    assert r.stderr == (
        'error: resource mapping not found for name: "cfg" namespace: "" from "STDIN": no '
        'matches for kind "ConfigMap" in version "v1" (ClusterLab simulates v1 Namespace, v1 '
        "Node, v1 Pod, v1 Service, discovery.k8s.io/v1 EndpointSlice, networking.k8s.io/v1 "
        "NetworkPolicy, apps/v1 Deployment, apps/v1 ReplicaSet)\n")
    typo = answer(heredoc("kubectl apply -f -", "apiVersion: v1\nkind: Pood\nmetadata: {name: "
                                                "x, namespace: a}\n"))
    assert typo.stderr.startswith('error: resource mapping not found for name: "x" namespace: '
                                  '"a" from "STDIN": no matches for kind "Pood" in version "v1"')
    assert typo.stderr.endswith("\nensure CRDs are installed first\n")


def test_missing_kind_parse_errors_and_generate_name():
    r = answer(heredoc("kubectl apply -f -", "metadata: {name: x}\n"))
    assert r == err('error: error validating "STDIN": error validating data: [apiVersion not '
                    "set, kind not set]; if you choose to ignore these errors, turn validation "
                    "off with --validate=false\n")
    r = answer(heredoc("kubectl apply -f -", "apiVersion: v1\nmetadata: {name: x}\n"))
    assert "error validating data: kind not set; if you" in r.stderr
    bad = "kind: Pod\nmetadata:\n  a: b: c\n"
    r = answer(heredoc("kubectl apply -f -", bad))
    assert r == err("error: error parsing STDIN: error converting YAML to JSON: yaml: line 3: "
                    "mapping values are not allowed in this context\n")
    # the documents before the broken one are still applied; lines count per document
    p = plan(heredoc("kubectl apply -f -", SVC_YAML, bad))
    assert p.order == (("Service", "default", "api"),)
    assert p.errors == ("error parsing STDIN: error converting YAML to JSON: yaml: line 3: "
                        "mapping values are not allowed in this context",)
    gen = "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n"
    assert answer(heredoc("kubectl apply -f -", gen)) == err(
        "error: from web-: cannot use generate name with apply\n")
    created = plan(heredoc("kubectl create -f -", gen)).order[0]
    assert created[2].startswith("web-") and len(created[2]) == 9


def test_an_alias_bomb_is_refused_as_a_parse_error():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True))
    r = answer(heredoc("kubectl apply -f -", bomb))
    assert r == err("error: error parsing STDIN: error converting YAML to JSON: yaml: document "
                    "contains excessive aliasing\n")


def test_bash_warning_of_an_unterminated_heredoc_comes_first():
    r = answer("kubectl apply --dry-run=client -f - <<EOF\n" + SVC_YAML)
    assert r.stderr == ("bash: warning: here-document at line 1 delimited by end-of-file "
                        "(wanted `EOF')\n")
    assert r.stdout == "service/api created (dry run)\n"
    p = plan("cat <<EOF | kubectl apply -f -\n" + SVC_YAML)
    assert p.warnings.startswith("bash: warning: here-document")


def test_server_side_apply():
    p = plan(heredoc("kubectl apply --server-side -f -", SVC_YAML))
    assert report(p, created=p.order).stdout == "service/api serverside-applied\n"
    assert answer(heredoc("kubectl apply --server-side --dry-run=client -f -", SVC_YAML)) == err(
        "error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server "
        "instead?)\n")


# --------------------------------------------------------------------------- create


def test_create_and_already_exists():
    p = plan(heredoc("kubectl create -f -", POD_YAML, SVC_YAML))
    assert p.create_only and p.existing == {("Pod", "default", "web")}
    r = report(p, created=[("Service", "default", "api")],
               failures=[(("Pod", "default", "web"), "AlreadyExists",
                          'pods "web" already exists')])
    assert r == CommandResult(
        "service/api created\n",
        'Error from server (AlreadyExists): error when creating "STDIN": pods "web" already '
        "exists\n", 1)
    one = plan(heredoc("kubectl create -f -", POD_YAML))
    assert server_error(one, "AlreadyExists", 'pods "web" already exists') == err(
        'Error from server (AlreadyExists): error when creating "STDIN": pods "web" already '
        "exists\n")
    assert answer(heredoc("kubectl create --dry-run=client -f -", POD_YAML)).stdout == \
        "pod/web created (dry run)\n"


def test_create_namespace_imperatively():
    p = plan("kubectl create namespace team")
    assert p.upserts == (("", {"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": "team"}}),)
    assert report(p, created=p.order).stdout == "namespace/team created\n"
    assert server_error(plan("kubectl create ns shop"), "AlreadyExists",
                        'namespaces "shop" already exists') == err(
        'Error from server (AlreadyExists): namespaces "shop" already exists\n')
    assert answer("kubectl create ns") == err(
        "error: exactly one NAME is required, got 0\n"
        "See 'kubectl create namespace -h' for help and examples\n")
    assert answer("kubectl create redis.yaml") == err(
        'Error: must specify one of -f and -k\n\nerror: unknown command "redis.yaml"\n'
        "See 'kubectl create -h' for help and examples\n")
    assert answer("kubectl create").stderr.startswith("Error: must specify one of -f and -k\n\n")
    assert "does not run kubectl create deployment" in \
        answer("kubectl create deployment web --image=nginx").stderr


# --------------------------------------------------------------------------- delete


def test_delete_several_names_one_missing():
    p = plan("kubectl delete pod web nope db")
    assert p.deletes == (("Pod", "default", "web"), ("Pod", "default", "db"))
    r = report(p, deleted=p.deletes)
    assert r == CommandResult('pod "web" deleted\npod "db" deleted\n',
                              'Error from server (NotFound): pods "nope" not found\n', 1)
    assert p.stderr == 'Error from server (NotFound): pods "nope" not found\n'


def test_delete_forms_and_wording():
    p = plan("kubectl delete svc/web deploy/api -n shop")
    assert p.order == (("Service", "shop", "web"), ("Deployment", "shop", "api"))
    assert report(p, deleted=p.deletes).stdout == 'deployment.apps "api" deleted\n'
    assert report(p, deleted=p.deletes).stderr == \
        'Error from server (NotFound): services "web" not found\n'
    p = plan("kubectl delete po,svc web")
    assert p.order == (("Pod", "default", "web"), ("Service", "default", "web"))
    assert report(p, deleted=p.deletes).stdout == 'pod "web" deleted\nservice "web" deleted\n'
    assert report(p, deleted=p.deletes, ).exit_code == 0
    assert report(plan("kubectl delete pod web -o name"), deleted=[("Pod", "default", "web")]) \
        .stdout == "pod/web\n"
    p = plan("kubectl delete pod web --dry-run=server")
    assert report(p, deleted=p.deletes).stdout == 'pod "web" deleted (server dry run)\n'


def test_delete_client_dry_run_asks_the_server_nothing():
    assert answer("kubectl delete pod web nope --dry-run=client") == CommandResult(
        'pod "web" deleted (dry run)\npod "nope" deleted (dry run)\n', "", 0)


def test_delete_by_selector_all_and_from_stdin():
    p = plan("kubectl delete pods -l app=db")
    assert p.deletes == (("Pod", "default", "db"),)
    p = plan("kubectl delete pods --all")
    assert p.deletes == (("Pod", "default", "db"), ("Pod", "default", "web"))
    assert answer("kubectl delete pods --all -n team") == CommandResult(
        "No resources found\n", "", 0)
    p = plan(heredoc("kubectl delete -f -", POD_YAML, SVC_YAML))
    assert p.source == "STDIN"
    r = report(p, deleted=p.deletes)
    assert r == CommandResult('pod "web" deleted\n', 'Error from server (NotFound): error when '
                              'deleting "STDIN": services "api" not found\n', 1)
    assert plan("kubectl delete pod web nope --ignore-not-found").refusals == ()


def test_delete_argument_errors():
    assert answer("kubectl delete pods") == err(
        "error: resource(s) were provided, but no name was specified\n")
    assert answer("kubectl delete") == err(
        "error: You must provide one or more resources by argument or filename.\n"
        "Example resource specifications include:\n   '-f rsrc.yaml'\n"
        "   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n")
    assert answer("kubectl delete podz web") == err(
        'error: the server doesn\'t have a resource type "podz"\n')
    assert answer("kubectl delete pod web -l app=web") == err(
        "error: name cannot be provided when a selector is specified\n")
    assert answer("kubectl delete pod web -o yaml") == err(
        "error: unexpected -o output mode: yaml. We only support '-o name'\n")
    assert answer("kubectl delete configmap cfg").stderr.startswith(
        "error: ClusterLab does not simulate configmaps")


def test_delete_force_cluster_scope_and_immortal_namespaces():
    p = plan("kubectl delete pod web --force")
    assert report(p, deleted=p.deletes) == CommandResult(
        'pod "web" force deleted\n',
        "Warning: Immediate deletion does not wait for confirmation that the running resource "
        "has been terminated. The resource may continue to run on the cluster indefinitely.\n", 0)
    assert report(plan("kubectl delete pod web --grace-period=0"),
                  deleted=[("Pod", "default", "web")]).stdout == 'pod "web" deleted\n'
    p = plan("kubectl delete node n1 -n shop")
    assert report(p, deleted=p.deletes).stderr == (
        "Warning: deleting cluster-scoped resources, not scoped to the provided namespace\n")
    p = plan("kubectl delete ns default shop")
    assert p.deletes == (("Namespace", "", "shop"),)
    assert report(p, deleted=p.deletes) == CommandResult(
        'namespace "shop" deleted\n',
        'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may '
        "not be deleted\n", 1)


# --------------------------------------------------------------------------- label


def test_label_overwrite_rules():
    assert answer("kubectl label pod web app=api") == err(
        "error: 'app' already has a value (web), and --overwrite is false\n")
    p = plan("kubectl label pod web app=api --overwrite")
    assert p.upserts[0][1]["metadata"]["labels"] == {"app": "api"}
    assert p.upserts[0][1]["metadata"]["namespace"] == "default"
    assert report(p, updated=p.order).stdout == "pod/web labeled\n"
    p = plan("kubectl label pod web app=web")  # the same value needs no --overwrite
    assert report(p, unchanged=p.order).stdout == "pod/web not labeled\n"


def test_label_messages():
    p = plan("kubectl label pod web app-")
    assert p.upserts[0][1]["metadata"]["labels"] == {}
    assert report(p, updated=p.order).stdout == "pod/web unlabeled\n"
    # v1.33 compares JSON lengths, and only without --overwrite
    assert report(p := plan("kubectl label pod web app- --overwrite"),
                  updated=p.order).stdout == "pod/web labeled\n"
    assert report(p := plan("kubectl label pod web app- t=x"), updated=p.order).stdout == \
        "pod/web unlabeled\n"
    assert report(p := plan("kubectl label pod web app- tier=frontend"),
                  updated=p.order).stdout == "pod/web labeled\n"
    p = plan("kubectl label pod web gone-")
    assert report(p, unchanged=p.order).stdout == 'label "gone" not found.\npod/web not labeled\n'
    assert answer("kubectl label pod web gone- --dry-run=client").stdout == \
        "pod/web not labeled (dry run)\n"
    p = plan("kubectl label pods web db tier=x --dry-run=server -o name")
    assert report(p, updated=p.order).stdout == "pod/web\npod/db\n"
    p = plan("kubectl label no n1 zone=a")
    assert report(p, updated=p.order).stdout == "node/n1 labeled\n"


def test_label_errors():
    assert answer("kubectl label pod web") == err("error: at least one label update is required\n")
    assert answer("kubectl label app=x") == err(
        "error: one or more resources must be specified as <resource> <name> or "
        "<resource>/<name>\n")
    assert answer("kubectl label pod web a=b c") == err(
        "error: all resources must be specified before label changes: c\n")
    assert answer("kubectl label pod web a=b=c") == err("error: invalid label spec: a=b=c\n")
    assert answer("kubectl label pod web a=b a-") == err(
        "error: can not both modify and remove a label in the same command\n")
    r = answer("kubectl label pod web 'a=b c'")
    assert r.stderr.startswith('error: invalid label value: "a=b c": a valid label must be an '
                               "empty string or consist of alphanumeric characters")
    assert answer("kubectl label pod nope a=b") == err(
        'Error from server (NotFound): pods "nope" not found\n')
    p = plan("kubectl label pod web nope a=b")
    assert p.keys == (("Pod", "default", "web"),)
    assert report(p, updated=p.keys) == CommandResult(
        "pod/web labeled\n", 'Error from server (NotFound): pods "nope" not found\n', 1)


def test_label_list_is_a_read():
    assert answer("kubectl label pod web --list") == CommandResult("app=web\n", "", 0)
    assert answer("kubectl label pods web db --list").stdout == (
        "Listing labels for Pod./web:\n app=web\nListing labels for Pod./db:\n app=db\n")


# --------------------------------------------------------------------------- forbidden


def test_forbidden_apply_create_and_patch():
    p = plan(heredoc("kubectl apply -f -", SVC_YAML,
                     "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n", POD_YAML,
                     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, "
                     "namespace: shop}\nspec: {replicas: 2}\n"))
    r = forbidden(p, "alice")
    assert r.stdout == "pod/web unchanged\n" and r.exit_code == 1  # nothing to send for it
    patch = apply_patch(STORED[("Deployment", "shop", "api")], p.upserts[3][1])
    assert r.stderr == (
        'Error from server (Forbidden): error when creating "STDIN": services is forbidden: '
        'User "alice" cannot create resource "services" in API group "" in the namespace '
        '"default"\n'
        'Error from server (Forbidden): error when creating "STDIN": namespaces is forbidden: '
        'User "alice" cannot create resource "namespaces" in API group "" at the cluster scope\n'
        "Error from server (Forbidden): error when applying patch:\n"
        f"{patch}\nto:\n"
        'Resource: "apps/v1, Resource=deployments", GroupVersionKind: "apps/v1, '
        'Kind=Deployment"\nName: "api", Namespace: "shop"\n'
        'for: "STDIN": error when patching "STDIN": deployments.apps "api" is forbidden: User '
        '"alice" cannot patch resource "deployments" in API group "apps" in the namespace '
        '"shop"\n')
    assert patch == (
        '{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":'
        '"{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\"Deployment\\",\\"metadata\\":'
        '{\\"name\\":\\"api\\",\\"namespace\\":\\"shop\\"},\\"spec\\":{\\"replicas\\":2}}\\n"}},'
        '"spec":{"replicas":2}}')


def test_forbidden_single_object_delete_label_and_create():
    assert forbidden(plan(heredoc("kubectl create -f -", SVC_YAML)), "alice") == err(
        'Error from server (Forbidden): error when creating "STDIN": services is forbidden: User '
        '"alice" cannot create resource "services" in API group "" in the namespace "default"\n')
    assert forbidden(plan("kubectl delete pod web"), "alice") == err(
        'Error from server (Forbidden): pods "web" is forbidden: User "alice" cannot delete '
        'resource "pods" in API group "" in the namespace "default"\n')
    # authorization comes first: a missing object is Forbidden too, not NotFound
    r = forbidden(plan("kubectl delete node n1 gone"), "alice")
    assert r.stderr == (
        'Error from server (Forbidden): nodes "n1" is forbidden: User "alice" cannot delete '
        'resource "nodes" in API group "" at the cluster scope\n'
        'Error from server (Forbidden): nodes "gone" is forbidden: User "alice" cannot delete '
        'resource "nodes" in API group "" at the cluster scope\n')
    assert forbidden(plan("kubectl label pod web tier=x"), "alice") == err(
        'Error from server (Forbidden): pods "web" is forbidden: User "alice" cannot patch '
        'resource "pods" in API group "" in the namespace "default"\n')
    assert forbidden(plan("kubectl create ns team"), "bob") == err(
        'Error from server (Forbidden): namespaces is forbidden: User "bob" cannot create '
        'resource "namespaces" in API group "" at the cluster scope\n')
    r = forbidden(plan(heredoc("kubectl delete -f -", POD_YAML)), "alice")
    assert r.stderr.startswith('Error from server (Forbidden): error when deleting "STDIN": pods '
                               '"web" is forbidden: User "alice" cannot delete')
    assert answer("kubectl label netpol -n shop p x=y") == err(
        'Error from server (NotFound): networkpolicies.networking.k8s.io "p" not found\n')
    # the GET before the patch answers NotFound; the patch of the other one is forbidden
    r = forbidden(plan("kubectl label pod nope web x=y"), "alice")
    assert r.stderr == (
        'Error from server (NotFound): pods "nope" not found\n'
        'Error from server (Forbidden): pods "web" is forbidden: User "alice" cannot patch '
        'resource "pods" in API group "" in the namespace "default"\n')
    r = forbidden(plan("kubectl label deploy api x=y -n shop"), "a<b")
    assert 'User "a&lt;b" cannot patch resource "deployments" in API group "apps"' in r.stderr


# --------------------------------------------------------------------------- server errors


def test_invalid_is_printed_like_kubectl_for_one_object():
    p = plan(heredoc("kubectl apply -f -", SVC_YAML))
    one = 'Service "api" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 ' \
          "and 65535, inclusive"
    assert server_error(p, "Invalid", one) == err(
        'The Service "api" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 '
        "and 65535, inclusive\n")
    two = ('Service "api" is invalid: [spec.ports[0].nodePort: Forbidden: may not be used when '
           "`type` is 'ClusterIP', spec.type: Unsupported value: \"X\": supported values: "
           '"ClusterIP", "NodePort"]')
    assert server_error(p, "Invalid", two) == err(
        'The Service "api" is invalid: \n'
        "* spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'\n"
        '* spec.type: Unsupported value: "X": supported values: "ClusterIP", "NodePort"\n')
    obj = InvalidObject(ObjectRef("Service", "api"), [FieldError("spec.ports", "Required value")])
    assert server_error(p, "Invalid", obj) == err(
        'The Service "api" is invalid: spec.ports: Required value\n')


def test_server_errors_get_their_source_like_kubectl():
    p = plan(heredoc("kubectl apply -f -", SVC_YAML, POD_YAML))
    r = report(p, updated=[("Pod", "default", "web")],
               failures=[(("Service", "default", "api"), "NotFound",
                          'namespaces "default" not found')])
    assert r.stderr == ('Error from server (NotFound): error when creating "STDIN": namespaces '
                        '"default" not found\n')
    # several errors: each on its own line, Invalid in its API form
    r = report(p, failures=[(("Service", "default", "api"), "Invalid",
                             'Service "api" is invalid: spec.ports: Required value'),
                            (("Pod", "default", "web"), "Conflict", "the object has been "
                             "modified")])
    lines = r.stderr.splitlines()
    assert lines[0] == ('Error from server (Invalid): error when creating "STDIN": Service "api" '
                        "is invalid: spec.ports: Required value")
    assert lines[1] == "Error from server (Conflict): error when applying patch:"
    assert lines[-1].startswith('for: "STDIN": error when patching "STDIN": the object has')
    assert server_error(plan("kubectl delete pod web"), "Conflict", "x") == err(
        "Error from server (Conflict): x\n")


# --------------------------------------------------------------------------- properties


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c,
                                                                        max_size=3),
                    max_leaves=10))
def test_go_json_is_json_with_sorted_keys(value):
    text = go_json(value)
    assert json.loads(text) == value
    assert "<" not in text and ">" not in text and "&" not in text


_NAMES = st.sampled_from(["web", "db", "x", "nope"]) | st.from_regex(r"[a-z][a-z0-9]{0,8}",
                                                                    fullmatch=True)


@given(st.lists(_NAMES, min_size=1, max_size=6))
def test_delete_prints_found_names_and_not_found_the_rest(names):
    p = plan("kubectl delete pods " + " ".join(names))
    r = report(p, deleted=p.deletes)
    found = [n for n in dict.fromkeys(names) if ("Pod", "default", n) in STORED]
    assert r.stdout == "".join(f'pod "{n}" deleted\n' for n in found)
    # a name given twice is gone the second time
    missing = [n for i, n in enumerate(names)
               if ("Pod", "default", n) not in STORED or n in names[:i]]
    assert r.stderr == "".join(f'Error from server (NotFound): pods "{n}" not found\n'
                               for n in missing)
    assert r.exit_code == (1 if missing else 0)


@pytest.mark.parametrize("verb", ["apply", "create"])
def test_stored_mappings_need_not_be_dicts(verb):
    from types import MappingProxyType
    frozen = {k: MappingProxyType(dict(v)) for k, v in STORED.items()}
    p = plan(heredoc(f"kubectl {verb} -f -", POD_YAML), stored=frozen)
    assert p.existing == {("Pod", "default", "web")}
