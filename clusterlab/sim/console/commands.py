"""The kubectl command line: sub-commands, flags, resource arguments, errors.

Error texts are kubectl's (cobra/pflag and `cmdutil.CheckErr`): `error: unknown flag:
--foo` + `See 'kubectl get --help' for usage.`, `error: the server doesn't have a
resource type "podz"`, `Error from server (NotFound): pods "x" not found`, all on stderr
with exit status 1. Nothing raises: every problem becomes text and a status.
"""

from __future__ import annotations

from collections.abc import Callable

from clusterlab.sim.console import documents
from clusterlab.sim.console.argv import Flag, Parsed, UsageError, parse, split_command
from clusterlab.sim.console.describe import (
    describe_endpoints,
    describe_namespace,
    describe_netpol,
    describe_node,
    describe_pod,
    describe_service,
)
from clusterlab.sim.console.facts import Clock
from clusterlab.sim.console.get import object_name, table_rows
from clusterlab.sim.console.objects import (
    ENDPOINTS,
    NAMESPACES,
    NETWORKPOLICIES,
    NODES,
    PODS,
    SERVICES,
    Kind,
    Obj,
    find_kind,
    get_object,
    labels_of,
    list_objects,
    not_simulated,
)
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.console.selectors import SelectorError, matches, parse_selector
from clusterlab.sim.console.tabwriter import table
from clusterlab.sim.console.tools import run_tool
from clusterlab.sim.engine import Engine

CLIENT_VERSION = "v1.33.1"
KUSTOMIZE_VERSION = "v5.6.0"
NAMESPACE = Flag("namespace", "n")
GLOBAL_FLAGS = [NAMESPACE, Flag("context"), Flag("kubeconfig"), Flag("cluster"), Flag("user"),
                Flag("request-timeout"), Flag("v", "v")]
GET_FLAGS = [*GLOBAL_FLAGS, Flag("all-namespaces", "A", True), Flag("output", "o"),
             Flag("selector", "l"), Flag("show-labels", boolean=True),
             Flag("no-headers", boolean=True), Flag("watch", "w", True),
             Flag("ignore-not-found", boolean=True), Flag("show-kind", boolean=True)]
DESCRIBE_FLAGS = [*GLOBAL_FLAGS, Flag("all-namespaces", "A", True), Flag("selector", "l"),
                  Flag("show-events", boolean=True)]
EXEC_FLAGS = [*GLOBAL_FLAGS, Flag("container", "c"), Flag("stdin", "i", True),
              Flag("tty", "t", True), Flag("quiet", "q", True)]
KNOWN_COMMANDS = ("annotate", "api-resources", "api-versions", "apply", "attach", "auth",
                  "autoscale", "certificate", "cluster-info", "completion", "config", "cordon",
                  "cp", "create", "debug", "delete", "describe", "diff", "drain", "edit",
                  "events", "exec", "explain", "expose", "get", "help", "kustomize", "label",
                  "logs", "patch", "plugin", "port-forward", "proxy", "replace", "rollout",
                  "run", "scale", "set", "taint", "top", "uncordon", "version", "wait")
SUPPORTED = ("get", "describe", "exec", "version", "apply", "create", "delete", "label", "help")
# Written by the Django side through the cluster's write path (console/writes.py plans them)
WRITE_COMMANDS = ("apply", "create", "delete", "label")
OUTPUT_FORMATS = ("custom-columns,custom-columns-file,go-template,go-template-file,json,"
                  "jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml")
# The API server's warning header on every v1 Endpoints request (KCTL-4)
ENDPOINTS_WARNING = ("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 "
                     "EndpointSlice\n")
HELP = """kubectl controls the Kubernetes cluster manager.

 Find more information at: https://kubernetes.io/docs/reference/kubectl/

Commands available in the ClusterLab console:
  get           Display one or many resources
  describe      Show details of a specific resource or group of resources
  exec          Execute a command in a container (ping, curl, nslookup, cat, hostname)
  version       Print the client and server version information
  apply         Apply a configuration to a resource by file name or stdin
  create        Create a resource from a file or from stdin
  delete        Delete resources by file names, stdin, resources and names, or by resources and
                label selector
  label         Update the labels on a resource

Paste manifests as a here-document:
  kubectl apply -f - <<'EOF'
  apiVersion: v1
  kind: Pod
  ...
  EOF

Usage:
  kubectl [flags] [options]

Use "kubectl <command> --help" for more information about a given command.
"""


def _err(text: str, code: int = 1) -> CommandResult:
    return CommandResult("", text if text.endswith("\n") else text + "\n", code)


def _usage(cmd: str, msg: str) -> CommandResult:
    return _err(f"error: {msg}\nSee 'kubectl {cmd} --help' for usage.\n")


def _not_found(kind: Kind, name: str) -> str:
    resource = f"{kind.resource}.{kind.group}" if kind.group else kind.resource
    return f'Error from server (NotFound): {resource} "{name}" not found\n'


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _unknown_command(name: str) -> CommandResult:
    """cobra: suggestions within Levenshtein distance 2, or sharing the typed prefix."""
    near = [c for c in KNOWN_COMMANDS
            if _levenshtein(name.lower(), c) <= 2 or c.startswith(name.lower())]
    text = f'error: unknown command "{name}" for "kubectl"'
    if near:
        text += "\n\nDid you mean this?\n" + "".join(f"\t{c}\n" for c in near)
    return _err(text)


# --------------------------------------------------------------------------- resources

Target = tuple[Kind, list[str] | None]  # names, or None for a list


class _ArgError(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def _kind(name: str) -> Kind:
    kind = find_kind(name)
    if kind is not None:
        return kind
    plural = not_simulated(name)
    if plural is not None:
        raise _ArgError(f"error: the ClusterLab console does not show {plural}: the simulator "
                        "keeps the pods, Services, EndpointSlices, NetworkPolicies, nodes and "
                        "namespaces they result in\n")
    raise _ArgError(f'error: the server doesn\'t have a resource type "{name}"\n')


# cli-runtime's resource builder, for `TYPE TYPE/NAME` mixed on one command line
NAME_FORM_ERROR = (
    "error: there is no need to specify a resource type as a separate argument when passing "
    "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
    "'kubectl get resource resource/<resource_name>'")


def resource_targets(args: list[str]) -> list[Target]:
    """`TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…` (kubectl's resource builder)."""
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise _ArgError(NAME_FORM_ERROR + "\n")
        out: list[Target] = []
        for a in args:
            type_name, _, name = a.partition("/")
            kind = _kind(type_name)
            if not name:
                raise _ArgError("error: arguments in resource/name form must have a single "
                                "resource and name\n")
            for k, names in out:
                if k is kind and names is not None:
                    names.append(name)
                    break
            else:
                out.append((kind, [name]))
        return out
    types: list[Kind] = []
    for t in args[0].split(","):
        if not t:
            continue
        if t.lower() == "all":
            types += [PODS, SERVICES]
        else:
            types.append(_kind(t))
    names = args[1:]
    return [(k, list(names) if names else None) for k in dict.fromkeys(types)]


# --------------------------------------------------------------------------- get


def _selected(engine: Engine, objs: list[Obj], selector: str | None) -> list[Obj]:
    if not selector:
        return objs
    reqs = parse_selector(selector)
    return [o for o in objs if matches(reqs, labels_of(engine, o))]


def _collect(engine: Engine, targets: list[Target], namespace: str, all_ns: bool,
             selector: str | None) -> tuple[list[tuple[Kind, list[Obj]]], list[str]]:
    found: list[tuple[Kind, list[Obj]]] = []
    errors: list[str] = []
    for kind, names in targets:
        ns = None if (all_ns or not kind.namespaced) else namespace
        if names is None:
            objs = _selected(engine, list_objects(engine, kind, ns), selector)
        else:
            objs = []
            for name in names:
                obj = get_object(engine, kind, namespace if kind.namespaced else "", name)
                if obj is None:
                    errors.append(_not_found(kind, name))
                else:
                    objs.append(obj)
        found.append((kind, objs))
    return found, errors


def _no_resources(targets: list[Target], namespace: str, all_ns: bool) -> str:
    if all_ns or not any(k.namespaced for k, _ in targets):
        return "No resources found\n"
    return f"No resources found in {namespace} namespace.\n"


def cmd_get(engine: Engine, p: Parsed, namespace: str, clock: Clock) -> CommandResult:
    fmt = p.text("output") or ""
    if fmt not in ("", "wide", "name", "yaml", "json"):
        base = fmt.split("=", 1)[0]
        if base in OUTPUT_FORMATS.split(","):
            return _err(f"error: the ClusterLab console does not support -o {base}; use -o "
                        "yaml, -o json, -o name or -o wide")
        return _err(f'error: unable to match a printer suitable for the output format "{fmt}", '
                    f"allowed formats are: {OUTPUT_FORMATS}")
    if p.flag("watch"):
        return _err("error: the ClusterLab console cannot watch: run the command again to see "
                    "changes")
    if not p.args:
        return _err('You must specify the type of resource to get. Use "kubectl api-resources" '
                    "for a complete list of supported resources.\n\nerror: Required resource not "
                    'specified.\nUse "kubectl explain <resource>" for a detailed description of '
                    "that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help "
                    "and examples")
    all_ns = p.flag("all-namespaces")
    try:
        targets = resource_targets(p.args)
    except _ArgError as exc:
        return _err(exc.text)
    named = any(names is not None for _, names in targets)
    if named and all_ns:
        return _err("error: a resource cannot be retrieved by name across all namespaces")
    selector = p.text("selector")
    try:
        found, errors = _collect(engine, targets, namespace, all_ns, selector)
    except SelectorError as exc:
        return _err(f"error: {exc}")
    if p.flag("ignore-not-found"):
        errors = []
    warning = ENDPOINTS_WARNING if any(k is ENDPOINTS for k, _ in targets) else ""
    stderr = warning + "".join(errors)
    code = 1 if errors else 0
    objects = [(k, o) for k, objs in found for o in objs]

    if fmt in ("yaml", "json"):
        docs = [documents.document(engine, k, o, clock) for k, o in objects]
        single = len(targets) == 1 and targets[0][1] is not None and len(targets[0][1]) == 1
        if single and not docs:
            return CommandResult("", stderr, code)
        doc = docs[0] if single else documents.list_document(docs)
        text = documents.to_yaml(doc) if fmt == "yaml" else documents.to_json(doc)
        return CommandResult(text, stderr, code)
    if not objects:
        if not errors and not named:
            stderr = warning + _no_resources(targets, namespace, all_ns)
        return CommandResult("", stderr, code)
    if fmt == "name":
        return CommandResult("".join(object_name(k, o.name) + "\n" for k, o in objects),
                             stderr, code)
    with_kind = len(targets) > 1 or p.flag("show-kind")
    sections = []
    for kind, objs in found:
        if not objs:
            continue
        rows = table_rows(engine, kind, objs, clock, wide=fmt == "wide", all_namespaces=all_ns,
                          show_labels=p.flag("show-labels"), prefix_kind=with_kind)
        if p.flag("no-headers"):
            rows = rows[1:]
        sections.append(table(rows))
    return CommandResult("\n".join(sections), stderr, code)


# --------------------------------------------------------------------------- describe

Describer = Callable[[Engine, Obj, Clock], str]
DESCRIBERS: dict[str, Describer] = {
    PODS.resource: describe_pod,  # type: ignore[dict-item]
    SERVICES.resource: describe_service,  # type: ignore[dict-item]
    NETWORKPOLICIES.resource: describe_netpol,  # type: ignore[dict-item]
    NODES.resource: describe_node,  # type: ignore[dict-item]
    NAMESPACES.resource: describe_namespace,  # type: ignore[dict-item]
    ENDPOINTS.resource: describe_endpoints,  # type: ignore[dict-item]
}


def cmd_describe(engine: Engine, p: Parsed, namespace: str, clock: Clock) -> CommandResult:
    if not p.args:
        return _err("You must specify the type of resource to describe. Use \"kubectl "
                    "api-resources\" for a complete list of supported resources.\n\nerror: "
                    "Required resource not specified.\nSee 'kubectl describe -h' for help and "
                    "examples")
    try:
        targets = resource_targets(p.args)
    except _ArgError as exc:
        return _err(exc.text)
    all_ns = p.flag("all-namespaces")
    outputs: list[str] = []
    errors: list[str] = []
    try:
        for kind, names in targets:
            describer = DESCRIBERS.get(kind.resource)
            if describer is None:
                errors.append(f"error: the ClusterLab console cannot describe {kind.resource}; "
                              f"use kubectl get {kind.resource} -o yaml\n")
                continue
            ns = None if (all_ns or not kind.namespaced) else namespace
            if names is None:
                objs = _selected(engine, list_objects(engine, kind, ns), p.text("selector"))
            else:
                objs = []
                for name in names:
                    obj = get_object(engine, kind, namespace if kind.namespaced else "", name)
                    if obj is not None:
                        objs.append(obj)
                        continue
                    # describe falls back to every object whose name starts with NAME
                    prefixed = [o for o in list_objects(engine, kind, ns)
                                if o.name.startswith(name)]
                    if prefixed:
                        objs += prefixed
                    else:
                        errors.append(_not_found(kind, name))
            outputs += [describer(engine, o, clock) for o in objs]
    except SelectorError as exc:
        return _err(f"error: {exc}")
    warning = ENDPOINTS_WARNING if any(k is ENDPOINTS for k, _ in targets) else ""
    if not outputs and not errors:
        return CommandResult("", warning + _no_resources(targets, namespace, all_ns), 0)
    return CommandResult("\n\n".join(outputs), warning + "".join(errors), 1 if errors else 0)


# --------------------------------------------------------------------------- exec


def cmd_exec(engine: Engine, p: Parsed, namespace: str, clock: Clock) -> CommandResult:
    if not p.args:
        return _err("error: pod, type/name or --filename must be specified")
    if p.after_dash is None:
        if len(p.args) > 1:
            return _err("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] "
                        "-- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples")
        return _err("error: you must specify at least one command for the container")
    if not p.after_dash:
        return _err("error: you must specify at least one command for the container")
    ref = p.args[0]
    if "/" in ref:
        type_name, _, name = ref.partition("/")
        if find_kind(type_name) is not PODS:
            try:
                _kind(type_name)
            except _ArgError as exc:
                return _err(exc.text)
            return _err(f"error: cannot attach to {type_name}: selector for {type_name} not "
                        "implemented")
        ref = name
    pod = engine.cluster.pod_by_key.get(f"{namespace}/{ref}")
    if pod is None:
        return _err(_not_found(PODS, ref))
    if pod.phase in ("Succeeded", "Failed"):
        return _err(f"error: cannot exec into a container in a completed pod; current phase is "
                    f"{pod.phase}")
    if pod.node_name is None:
        return _err(f"Error from server (BadRequest): pod {pod.name} does not have a host "
                    "assigned")
    node = engine.cluster.node_by_name.get(pod.node_name)
    if node is not None and node.name in engine.cluster.config.faults.nodes_down:
        return _err(f"Error from server: error dialing backend: dial tcp {node.internal_ip}:10250: "
                    "i/o timeout")
    names = [c.name for c in pod.containers]
    container = p.text("container")
    stderr = ""
    if container is None:
        if len(names) > 1 and not p.flag("quiet"):
            stderr = f'Defaulted container "{names[0]}" out of: {", ".join(names)}\n'
        container = names[0] if names else ""
    if (container not in names and names) or pod.phase == "Pending":
        return _err(f'error: unable to upgrade connection: container not found ("{container}")')
    result = run_tool(engine, pod, p.after_dash, clock.now, tty=p.flag("tty"))
    stderr += result.stderr
    if result.exit_code not in (0, 130):
        stderr += f"command terminated with exit code {result.exit_code}\n"
    return CommandResult(result.stdout, stderr, result.exit_code)


# --------------------------------------------------------------------------- entry


def cmd_version(engine: Engine, p: Parsed, namespace: str, clock: Clock) -> CommandResult:
    server = clock.node_info(engine.cluster.nodes[0].name).kubelet_version \
        if engine.cluster.nodes else CLIENT_VERSION
    return CommandResult(f"Client Version: {CLIENT_VERSION}\nKustomize Version: "
                         f"{KUSTOMIZE_VERSION}\nServer Version: {server}\n", "", 0)


COMMANDS: dict[str, tuple[list[Flag], Callable[[Engine, Parsed, str, Clock], CommandResult]]] = {
    "get": (GET_FLAGS, cmd_get),
    "describe": (DESCRIBE_FLAGS, cmd_describe),
    "exec": (EXEC_FLAGS, cmd_exec),
    "version": (GLOBAL_FLAGS, cmd_version),
}


def _find_command(words: list[str]) -> int | None:
    """Index of the sub-command: global flags may come first (`kubectl -n shop get pods`)."""
    valued = {"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user",
              "--request-timeout", "-v"}
    i = 0
    while i < len(words):
        w = words[i]
        if w in valued:
            i += 2
            continue
        if w.startswith("-"):
            i += 1
            continue
        return i
    return None


def run(engine: Engine, line: str, namespace: str, clock: Clock) -> CommandResult:
    try:
        words = split_command(line)
    except ValueError:
        quote = '"' if line.count('"') % 2 else "'"
        return _err(f"bash: unexpected EOF while looking for matching `{quote}'", 2)
    if not words:
        return CommandResult("", "", 0)
    if words[0] != "kubectl":
        return _err(f"bash: {words[0]}: command not found", 127)
    rest = words[1:]
    at = _find_command(rest)
    if at is None:
        return CommandResult(HELP, "", 0)
    name = rest[at]
    if name == "help" or name in ("--help", "-h"):
        return CommandResult(HELP, "", 0)
    if name in WRITE_COMMANDS:
        return _err(f"error: kubectl {name} needs a ClusterLab cluster you can write to")
    if name not in COMMANDS:
        if name in KNOWN_COMMANDS:
            return _err(f"error: the ClusterLab console does not run kubectl {name}; it "
                        f"supports {', '.join(c for c in SUPPORTED if c != 'help')}")
        return _unknown_command(name)
    flags, handler = COMMANDS[name]
    head = rest[:rest.index("--")] if "--" in rest else rest
    if "--help" in head or "-h" in head:
        return CommandResult(HELP, "", 0)
    try:
        parsed = parse(rest[:at] + rest[at + 1:], flags)
    except UsageError as exc:
        return _usage(name, str(exc))
    ns = parsed.text("namespace") or namespace
    return handler(engine, parsed, ns, clock)
