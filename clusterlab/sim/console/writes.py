"""kubectl's write commands (`apply`, `create`, `delete`, `label`): the pure half.

The Django side owns the cluster's single write path; this module owns what kubectl
itself decides and prints, so the console behaves like kubectl v1.33.1:

    plan = plan_write(line, namespace, stored)
    None          -> not a write: run the read console
    CommandResult -> kubectl answered without writing (usage and parse errors,
                     `--dry-run=client`, `label --list`, `No resources found`, …)
    WritePlan     -> perform plan.upserts / plan.deletes (with dry_run "server": check
                     them, persist nothing), then print report(plan, …); for a user who may
                     only read the cluster print forbidden(plan, user); for a refusal of
                     the API server print server_error(plan, reason, message, key).

What kubectl does and these functions copy (k8s.io/kubectl v1.33 sources, looked up in
kubernetes/kubernetes `staging/src/k8s.io/kubectl/pkg/cmd/{apply,create,delete,label}`,
`cmd/util/helpers.go` and k8s.io/cli-runtime `pkg/resource/builder.go`):

* objects are visited in input order and every error is collected, not fatal
  (`ContinueOnError`): good objects are still written, errors print at the end on stderr.
  One error prints `error: <msg>` (API errors `Error from server (<Reason>): <msg>`); several
  print one per line without the `error: ` prefix (`checkErr`, `MultipleErrors`).
* API errors get the source on the way: `error when creating "STDIN": …`,
  `error when deleting "STDIN": …` (`AddSourceToErr`); a patch by `apply` is wrapped in
  `error when applying patch:\\n<patch>\\nto:\\n<info>\\nfor: "STDIN": error when patching
  "STDIN": …` (apply.go, patcher.go). One Invalid error prints as
  `The Service "web" is invalid: …` (VAL-1).
* the namespace of an object is the manifest's, else `-n`, else the console's (the
  kubeconfig context's); only an explicit `-n` is enforced (builder `RequireNamespace`).
* `--dry-run=client` never calls the API server (apply: existing objects print
  `configured`, never `unchanged`; delete: names are not even looked up), so plan_write
  answers it itself; `--dry-run` alone means client with klog's deprecation warning.
* v1.33 wording: `pod "web" deleted` (1.34 added `from <ns> namespace`), `label` prints
  `labeled` / `unlabeled` (shorter object, without --overwrite) / `not labeled`
  (1.35 added `labels modified`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from clusterlab.sim import manifests
from clusterlab.sim.console.argv import (
    FALSE_WORDS,
    TRUE_WORDS,
    Flag,
    Parsed,
    UsageError,
    parse,
    split_command,
)
from clusterlab.sim.console.commands import GLOBAL_FLAGS, NAME_FORM_ERROR, _find_command
from clusterlab.sim.console.facts import DEFAULT_NOW
from clusterlab.sim.console.heredoc import ShellInput, split_input
from clusterlab.sim.console.objects import not_simulated
from clusterlab.sim.console.result import CommandResult
from clusterlab.sim.console.selectors import SelectorError, matches, parse_selector
from clusterlab.sim.errors import InvalidObject
from clusterlab.sim.validation import is_valid_label_value

Key = tuple[str, str, str]  # (kind, namespace, name); namespace "" for cluster-scoped kinds

WRITE_VERBS = ("apply", "create", "delete", "label")
SOURCE = "STDIN"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# NamespaceLifecycle admission: these namespaces can never be deleted.
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")

# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True, slots=True)
class WriteKind:
    """A kind ClusterLab stores, with the names kubectl and the API server use for it."""

    kind: str  # "Deployment"
    resource: str  # "deployments"
    group: str  # "apps"; "" for the core group
    version: str  # "v1"
    namespaced: bool
    short: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def type_name(self) -> str:
        """`deployment.apps`: how kubectl names the kind in `deployment.apps/web created`."""
        return self.kind.lower() + (f".{self.group}" if self.group else "")

    @property
    def qualified(self) -> str:
        """`deployments.apps`: the group-qualified resource of API messages."""
        return self.resource + (f".{self.group}" if self.group else "")

    @property
    def names(self) -> tuple[str, ...]:
        singular = self.kind.lower()
        full = (f"{self.resource}.{self.group}", f"{singular}.{self.group}") if self.group else ()
        return (self.resource, singular, *self.short, *full)


_SHORT = {"Namespace": ("ns",), "Node": ("no",), "Pod": ("po",), "Service": ("svc",),
          "NetworkPolicy": ("netpol",), "Deployment": ("deploy",), "ReplicaSet": ("rs",)}
WRITE_KINDS: dict[str, WriteKind] = {}
for _kind, _info in manifests.KINDS.items():
    if _info.api_version.startswith("clusterlab.io/"):
        continue  # ClusterConfig is ClusterLab's own document, not an API object
    _group, _, _version = _info.api_version.rpartition("/")
    WRITE_KINDS[_kind] = WriteKind(_kind, _info.resource.split(".")[0], _group, _version,
                                   _info.namespaced, _SHORT.get(_kind, ()))
_BY_NAME = {n: k for k in WRITE_KINDS.values() for n in k.names}
SIMULATED = ", ".join(f"{k.api_version} {k.kind}" for k in WRITE_KINDS.values())
# kubectl's "all" category, restricted to what ClusterLab stores (category order)
_ALL = ("Pod", "Service", "Deployment", "ReplicaSet")

# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class WritePlan:
    """What a write command asks of the API server, and what kubectl already knows.

    `upserts` and `order` are in input order; `errors` are kubectl's own (client-side)
    error messages and `refusals` the answers the API server is certain to give
    (`(key, reason, message)`, e.g. NotFound for deleting a missing object), both printed
    by report(). Everything a caller needs to print the outcome is in here.
    """

    verb: str  # "apply" | "create" | "delete" | "label"
    dry_run: str  # "none" | "server" ("client" never reaches the server: answered directly)
    upserts: tuple[tuple[str, dict[str, Any]], ...]  # (source, manifest) to create or update
    deletes: tuple[Key, ...]
    order: tuple[Key, ...]  # output order; a key may repeat when the input repeats it
    source: str  # "STDIN" for -f -, "" for objects named on the command line
    create_only: bool  # kubectl create: an existing object is AlreadyExists
    errors: tuple[str, ...] = ()
    refusals: tuple[tuple[Key, str, str], ...] = ()
    warnings: str = ""  # stderr printed first (bash, klog and kubectl warnings)
    existing: frozenset[Key] = frozenset()  # upserted keys the cluster already has
    same: frozenset[Key] = frozenset()  # apply: stored manifest equals the new one
    previous: Mapping[Key, Mapping[str, Any]] = field(default_factory=dict)
    output: str = ""  # "" or "name" (-o name)
    server_side: bool = False  # apply --server-side
    force: bool = False  # delete --force / --grace-period=0: "force deleted"
    words: Mapping[Key, str] = field(default_factory=dict)  # label: labeled/unlabeled/…
    notes: Mapping[Key, tuple[str, ...]] = field(default_factory=dict)  # stdout before a line

    @property
    def keys(self) -> tuple[Key, ...]:
        """The upserted keys, in order (aligned with `upserts`)."""
        return tuple(_key_of(m) for _, m in self.upserts)

    @property
    def stderr(self) -> str:
        """What kubectl prints on stderr if the API server accepts every write."""
        return self.warnings + _render(_entries(self, ()))


# --------------------------------------------------------------------------- helpers


class _Refuse(Exception):
    """kubectl (or the console) answers before any write."""

    def __init__(self, text: str, code: int = 1):
        super().__init__(text)
        self.result = CommandResult("", text if text.endswith("\n") else text + "\n", code)


def _plain(value: Any) -> Any:
    """Mappings and sequences as plain dicts/lists (deep), so they can be copied and dumped."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _go_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _go_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # YAML 1.0 reaches the API as the JSON number 1
    return value


def go_json(value: Any) -> str:
    """Go's `json.Marshal` of unstructured data: sorted keys, compact, HTML-safe escapes."""
    text = json.dumps(_go_value(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _q(text: str) -> str:
    """Go's %q for the plain strings of names and namespaces."""
    return json.dumps(text, ensure_ascii=False)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _key_of(manifest: Mapping[str, Any]) -> Key:
    meta = _meta(manifest)
    return (str(manifest.get("kind", "")), _str(meta.get("namespace")), _str(meta.get("name")))


def _labels(manifest: Mapping[str, Any]) -> dict[str, str]:
    labels = _meta(manifest).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _with_namespace(manifest: Any, kind: WriteKind, namespace: str) -> dict[str, Any]:
    """A plain copy with the namespace kubectl sends: the default filled in for a namespaced
    kind (builder `SetNamespace`), none for a cluster-scoped one (`FilterNamespace`)."""
    obj = _plain(manifest)
    meta = obj.setdefault("metadata", {})
    if isinstance(meta, dict):
        if not kind.namespaced:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            meta["namespace"] = namespace
    return obj


def _all_values(words: list[str], long: str, short: str) -> list[str]:
    """Every value of a repeatable string-slice flag (`-f a -f b,c`), as pflag collects them."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w == "--":
            break
        value = None
        if w in (f"--{long}", f"-{short}"):
            if i < len(words):
                value, i = words[i], i + 1
        elif w.startswith(f"--{long}="):
            value = w[len(long) + 3:]
        elif w.startswith(f"-{short}") and not w.startswith("--"):
            value = w[2:].removeprefix("=")
        if value is not None:
            out += value.split(",") if value else [""]
    return out


def _klog_warning(message: str, now: datetime) -> str:
    """A klog warning line as kubectl writes it to stderr: `W<MMDD> <time> <pid> <file:line>]`.

    The process id and the source line of helpers.go are made up (fixed, for reproducible
    output); the layout and the message are klog's and kubectl's.
    """
    stamp = now.strftime("%m%d %H:%M:%S.%f")
    return f"W{stamp}   12345 helpers.go:698] {message}\n"


def _usage(verb: str, message: str) -> _Refuse:
    """A flag error: cobra prints it with a pointer to --help."""
    return _Refuse(f"error: {message}\nSee 'kubectl {verb} --help' for usage.")


def _usage_error(verb: str, message: str) -> _Refuse:
    """`cmdutil.UsageErrorf`: the message and `See 'kubectl <cmd> -h' for help and examples`."""
    return _Refuse(f"error: {message}\nSee 'kubectl {verb} -h' for help and examples")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class _Entry:
    alone: str  # how `checkErr` prints it when it is the only error
    among: str  # how `MultipleErrors` prints it next to others


def _client(message: str) -> _Entry:
    if message.startswith("Error from server"):  # an API answer kubectl met on the way (GET)
        return _Entry(message, message)
    plain = message.removeprefix("error: ")
    return _Entry(f"error: {plain}", plain)


def _render(entries: Sequence[_Entry]) -> str:
    if not entries:
        return ""
    if len(entries) == 1:
        text = entries[0].alone
        return text if text.endswith("\n") else text + "\n"
    return "".join(e.among + "\n" for e in entries)


_FIELD_TYPES = ("Required value", "Invalid value", "Unsupported value", "Duplicate value",
                "Forbidden", "Too long", "Too many", "Not found", "Internal error",
                "strict decoding error")
_CAUSE_SPLIT = re.compile(r", (?=[A-Za-z0-9_.\[\]/-]+: (?:" + "|".join(_FIELD_TYPES) + "))")
_INVALID = re.compile(r'^(?P<kind>[A-Za-z]+) (?P<name>"(?:[^"\\]|\\.)*") is invalid: (?P<body>.*)$',
                      re.S)


def _invalid_alone(message: str) -> str | None:
    """kubectl's `The Service "web" is invalid: …` from the API's Invalid message (VAL-1)."""
    m = _INVALID.match(message)
    if m is None:
        return None
    body = m.group("body")
    causes = [body]
    if body.startswith("[") and body.endswith("]"):
        causes = _CAUSE_SPLIT.split(body[1:-1])
    head = f"The {m.group('kind')} {m.group('name')} is invalid: "
    if len(causes) == 1:
        return head + causes[0]
    return head + "\n" + "".join(f"* {c}\n" for c in causes)


def _info(kind: WriteKind, namespace: str, name: str) -> str:
    """cli-runtime `Info.String()`."""
    return (f'Resource: "{kind.group}/{kind.version}, Resource={kind.resource}", '
            f'GroupVersionKind: "{kind.group}/{kind.version}, Kind={kind.kind}"\n'
            f"Name: {_q(name)}, Namespace: {_q(namespace)}")


def _merge_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in new.items():
        if k not in old:
            out[k] = v
        elif isinstance(v, dict) and isinstance(old[k], dict):
            sub = _merge_diff(old[k], v)
            if sub:
                out[k] = sub
        elif old[k] != v:
            out[k] = v
    for k in old:
        if k not in new:
            out[k] = None
    return out


def apply_patch(previous: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """The patch `kubectl apply` sends for an existing object, as its errors show it.

    The stored manifest stands for the last-applied configuration; the patch sets the new
    last-applied annotation (Go JSON + newline, as `GetModifiedConfiguration` encodes it)
    and the changed fields. Lists are replaced whole (a JSON merge patch): kubectl's
    strategic merge patch would add `$setElementOrder` directives for keyed lists.
    """
    new = _plain(manifest)
    patch = _merge_diff(_plain(previous), new)
    meta = patch.setdefault("metadata", {})
    if meta is None:
        meta = patch["metadata"] = {}
    annotations = meta.setdefault("annotations", {})
    if annotations is None:
        annotations = meta["annotations"] = {}
    annotations[LAST_APPLIED] = go_json(new) + "\n"
    return go_json(patch)


def _wrap(plan: WritePlan, key: Key | None, message: str) -> str:
    """The message of an API error after kubectl added where it came from."""
    if plan.verb == "delete":
        return f"error when deleting {_q(plan.source)}: {message}" if plan.source else message
    if plan.verb == "label" or not plan.source or plan.server_side:
        return message
    if plan.verb == "apply" and key is not None and key in plan.existing:
        kind = WRITE_KINDS.get(key[0])
        previous = plan.previous.get(key)
        manifest = next((m for _, m in plan.upserts if _key_of(m) == key), None)
        if kind is not None and previous is not None and manifest is not None:
            return (f"error when applying patch:\n{apply_patch(previous, manifest)}\nto:\n"
                    f"{_info(kind, key[1], key[2])}\nfor: {_q(plan.source)}: error when "
                    f"patching {_q(plan.source)}: {message}")
    return f"error when creating {_q(plan.source)}: {message}"


def _api(plan: WritePlan, key: Key | None, reason: str, message: str | InvalidObject) -> _Entry:
    if isinstance(message, InvalidObject):
        text = message.api_message()
        alone = message.kubectl_message()
    else:
        text = message
        alone = _invalid_alone(text) if reason == "Invalid" else None
    among = f"Error from server ({reason}): {_wrap(plan, key, text)}"
    return _Entry(alone or among, among)


def _entries(plan: WritePlan, failures: Iterable[tuple[Key | None, str, Any]]) -> list[_Entry]:
    """Client errors first (the builder's), then the server's answers in object order."""
    out = [_client(e) for e in plan.errors]
    end = len(plan.order)
    first: dict[Key, int] = {}
    slots: dict[Key, list[int]] = {}
    for i, k in enumerate(plan.order):
        first.setdefault(k, i)
        slots.setdefault(k, []).append(i)
    for k in set(plan.deletes):  # a key's first mention is the delete itself
        slots[k].pop(0)

    def known(key: Key) -> int:  # a refusal answers the next mention of its key
        free = slots.get(key)
        return free.pop(0) if free else end

    answers = [(known(k), n, (k, r, m)) for n, (k, r, m) in enumerate(plan.refusals)]
    answers += [(first.get(a[0], end) if a[0] else end, len(answers) + n, a)
                for n, a in enumerate(failures)]
    answers.sort()
    out += [_api(plan, key, reason, message) for _, _, (key, reason, message) in answers]
    return out


# --------------------------------------------------------------------------- arguments

_DRY = Flag("dry-run")
_OUT = Flag("output", "o")
_FILES = [Flag("filename", "f"), Flag("kustomize", "k"), Flag("recursive", "R", True)]
_PRINT = [_OUT, Flag("template"), Flag("allow-missing-template-keys", boolean=True),
          Flag("show-managed-fields", boolean=True)]
APPLY_FLAGS = [*GLOBAL_FLAGS, *_FILES, *_PRINT, _DRY, Flag("validate"),
               Flag("server-side", boolean=True), Flag("force-conflicts", boolean=True),
               Flag("field-manager"), Flag("overwrite", boolean=True),
               Flag("prune", boolean=True), Flag("prune-allowlist"), Flag("applyset"),
               Flag("selector", "l"), Flag("all", boolean=True), Flag("force", boolean=True),
               Flag("grace-period"), Flag("timeout"), Flag("wait", boolean=True),
               Flag("cascade"), Flag("record", boolean=True), Flag("save-config", boolean=True),
               Flag("openapi-patch", boolean=True)]
CREATE_FLAGS = [*GLOBAL_FLAGS, *_FILES, *_PRINT, _DRY, Flag("validate"),
                Flag("save-config", boolean=True), Flag("edit", boolean=True), Flag("raw"),
                Flag("selector", "l"), Flag("windows-line-endings", boolean=True),
                Flag("record", boolean=True), Flag("field-manager")]
CREATE_NAMESPACE_FLAGS = [*GLOBAL_FLAGS, *_PRINT, _DRY, Flag("validate"),
                          Flag("save-config", boolean=True), Flag("field-manager")]
DELETE_FLAGS = [*GLOBAL_FLAGS, *_FILES, _OUT, _DRY, Flag("all", boolean=True),
                Flag("all-namespaces", "A", True), Flag("selector", "l"),
                Flag("field-selector"), Flag("force", boolean=True), Flag("grace-period"),
                Flag("now", boolean=True), Flag("ignore-not-found", boolean=True),
                Flag("wait", boolean=True), Flag("timeout"), Flag("cascade"), Flag("raw"),
                Flag("interactive", "i", True)]
LABEL_FLAGS = [*GLOBAL_FLAGS, *_FILES, *_PRINT, _DRY, Flag("overwrite", boolean=True),
               Flag("list", boolean=True), Flag("local", boolean=True),
               Flag("field-selector"), Flag("all", boolean=True),
               Flag("all-namespaces", "A", True), Flag("resource-version"),
               Flag("field-manager"), Flag("selector", "l"), Flag("record", boolean=True)]
# Flags with pflag's NoOptDefVal: given bare, they take this value and no argument.
_NO_OPT = {"--dry-run": "unchanged", "--validate": "strict", "--cascade": "background"}
_PRINT_FORMATS = ("go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,"
                  "name,template,templatefile,yaml")
_CREATE_SUBCOMMANDS = ("clusterrole", "clusterrolebinding", "configmap", "cm", "cronjob", "cj",
                       "deployment", "deploy", "ingress", "ing", "job", "poddisruptionbudget",
                       "pdb", "priorityclass", "pc", "quota", "resourcequota", "role",
                       "rolebinding", "secret", "service", "svc", "serviceaccount", "sa",
                       "token")


def _dry_run(p: Parsed, now: datetime) -> tuple[str, str]:
    """`cmdutil.GetDryRunStrategy`: the strategy and klog's deprecation warning, if any."""
    value = p.text("dry-run")
    if value is None or value == "none":
        return "none", ""
    if value in ("client", "server"):
        return value, ""
    if value == "unchanged":  # bare --dry-run
        return "client", _klog_warning(
            "--dry-run is deprecated and can be replaced with --dry-run=client.", now)
    if value in TRUE_WORDS or value in FALSE_WORDS:
        strategy = "client" if value in TRUE_WORDS else "none"
        return strategy, _klog_warning(f"--dry-run={value} is deprecated (boolean value) and "
                                       f"can be replaced with --dry-run={strategy}.", now)
    raise _Refuse(f'error: Invalid dry-run value ({value}). Must be "none", "server", or '
                  '"client".')


def _output(p: Parsed) -> str:
    fmt = p.text("output") or ""
    if fmt in ("", "name"):
        return fmt
    base = fmt.split("=", 1)[0]
    if base in _PRINT_FORMATS.split(","):
        raise _Refuse(f"error: the ClusterLab console prints write results as text or -o name, "
                      f"not -o {base}; use kubectl get … -o {base} afterwards")
    raise _Refuse(f'error: unable to match a printer suitable for the output format "{fmt}", '
                  f"allowed formats are: {_PRINT_FORMATS}")


def _find_kind(name: str) -> WriteKind:
    kind = _BY_NAME.get(name.lower())
    if kind is not None:
        return kind
    if name.lower() in ("endpoints", "ep"):
        raise _Refuse("error: ClusterLab derives v1 Endpoints from the EndpointSlices; change "
                      "the Service or its EndpointSlices instead")
    plural = not_simulated(name)
    if plural is not None:
        raise _Refuse(f"error: ClusterLab does not simulate {plural}; it keeps {SIMULATED}")
    raise _Refuse(f'error: the server doesn\'t have a resource type "{name}"')


def _stdin_paths(files: list[str]) -> None:
    """The builder's path checks: only `-` (stdin) exists in the console."""
    errors = []
    for path in files:
        if path == "-":
            continue
        if path.startswith(("http://", "https://")):
            raise _Refuse("error: the ClusterLab console cannot fetch URLs; paste the manifest "
                          "instead: kubectl apply -f - <<'EOF' … EOF")
        errors.append(f'the path "{path}" does not exist')
    if errors:
        raise _Refuse(_render([_client(e) for e in errors]))


def _file_options(verb: str, p: Parsed, words: list[str]) -> list[str]:
    files = [f for f in _all_values(words, "filename", "f") if f]
    if files and p.text("kustomize"):
        raise _Refuse("error: only one of -f or -k can be specified")
    if p.text("kustomize"):
        if p.flag("recursive"):
            raise _Refuse("error: the -k flag can't be used with -f or -R")
        raise _Refuse(f"error: the ClusterLab console does not run kustomize; render the "
                      f"manifests and paste them: kubectl {verb} -f - <<'EOF' … EOF")
    _stdin_paths(files)
    return files


# --------------------------------------------------------------------------- manifests


@dataclass
class _Obj:
    kind: WriteKind
    key: Key
    manifest: dict[str, Any]


_GO_TYPES = {str: "string", list: "array", int: "number", float: "number", bool: "bool"}
_YAML_WORDS = (("mapping values are not allowed here", "mapping values are not allowed in this "
                "context"),)


def _parse_error(detail: str, text: str) -> str:
    """A YAML error as kubectl's stream decoder words it (`error parsing STDIN: …`)."""
    m = re.match(r"line (\d+), column \d+: (.*)", detail, re.S)
    if m is None:
        return f"error parsing {SOURCE}: error converting YAML to JSON: yaml: " \
               + re.sub(r" \(\d+ nodes expand to \d+\)$", "", detail)
    line = int(m.group(1))
    problem = re.sub(r" \((?:while|in) [^)]*\)$", "", m.group(2).strip())
    for pyyaml, goyaml in _YAML_WORDS:
        problem = problem.replace(pyyaml, goyaml)
    if problem.startswith("expected <block end>, but found"):
        problem = "did not find expected key"
    alias = re.match(r"found undefined alias '?([^']*)'?", problem)
    if alias:
        problem = f"unknown anchor '{alias.group(1)}' referenced"
    # kubectl decodes document by document: lines count from the document's start
    lines = text.split("\n")
    start = 0
    for i in range(min(line - 1, len(lines))):
        rest = lines[i][3:].strip()
        if lines[i].startswith("---") and (not rest or rest.startswith("#")):
            start = i + 1
    return (f"error parsing {SOURCE}: error converting YAML to JSON: yaml: line "
            f"{line - start}: {problem}")


def _flatten(data: Any) -> list[Any]:
    if isinstance(data, Mapping):
        kind = data.get("kind")
        items = data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            return [x for item in items for x in _flatten(item)]
    return [data]


def _objects(stdin: str | None, namespace: str, enforce: bool,
             validate: bool) -> list[_Obj | str]:
    """The objects of `-f -` in input order, or error messages in their place."""
    text = stdin or ""
    docs, problems = manifests.parse(SOURCE, text)
    out: list[_Obj | str] = []
    for _, data in docs:
        for obj in _flatten(data):
            out.append(_object(obj, namespace, enforce, validate))
    for problem in problems:
        out.append(_parse_error(problem.error.detail, text))
    return out


def _object(obj: Any, namespace: str, enforce: bool, validate: bool) -> _Obj | str:
    if not isinstance(obj, Mapping):
        go_type = _GO_TYPES.get(type(obj), "value")
        return (f'unable to decode "{SOURCE}": json: cannot unmarshal {go_type} into Go value '
                "of type map[string]interface {}")
    api = obj.get("apiVersion")
    kind_name = obj.get("kind")
    missing = [f"{f} not set" for f, v in (("apiVersion", api), ("kind", kind_name))
               if not isinstance(v, str) or not v]
    if missing:
        if not validate:
            return f"unable to decode \"{SOURCE}\": Object 'Kind' is missing in '{go_json(obj)}'"
        body = missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]"
        return (f'error validating "{SOURCE}": error validating data: {body}; if you choose to '
                "ignore these errors, turn validation off with --validate=false")
    meta = _meta(obj)
    name, obj_ns = _str(meta.get("name")), _str(meta.get("namespace"))
    kind = WRITE_KINDS.get(str(kind_name))
    if kind is None or kind.api_version != api:
        hint = f" (ClusterLab simulates {SIMULATED})"
        if not_simulated(str(kind_name)) is None and kind is None:
            hint += "\nensure CRDs are installed first"
        return (f"resource mapping not found for name: {_q(name)} namespace: {_q(obj_ns)} from "
                f'"{SOURCE}": no matches for kind {_q(str(kind_name))} in version {_q(str(api))}'
                + hint)
    if kind.namespaced:
        if obj_ns and enforce and obj_ns != namespace:
            return (f"the namespace from the provided object {_q(obj_ns)} does not match the "
                    f"namespace {_q(namespace)}. You must pass '--namespace={obj_ns}' to perform "
                    "this operation.")
        ns = obj_ns or namespace
    else:
        ns = ""
    manifest = _with_namespace(obj, kind, ns)
    return _Obj(kind, (kind.kind, ns, name), manifest)


# --------------------------------------------------------------------------- output lines


def _suffix(dry_run: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")


def _line(plan: WritePlan, key: Key, word: str) -> str:
    kind = WRITE_KINDS.get(key[0])
    type_name = kind.type_name if kind else key[0].lower()
    if plan.output == "name":
        return f"{type_name}/{key[2]}\n"
    if plan.verb == "delete":
        return f'{type_name} "{key[2]}" {word}{_suffix(plan.dry_run)}\n'
    return f"{type_name}/{key[2]} {word}{_suffix(plan.dry_run)}\n"


def report(plan: WritePlan, created: Iterable[Key] = (), updated: Iterable[Key] = (),
           unchanged: Iterable[Key] = (), deleted: Iterable[Key] = (),
           failures: Iterable[tuple[Key | None, str, Any]] = ()) -> CommandResult:
    """kubectl's output once the API server has answered: one line per object in
    `plan.order` (`pod/web created`, `service/web configured`, `pod "web" deleted`,
    `pod/web labeled`, with ` (server dry run)` for a server dry run), then on stderr the
    plan's warnings, its errors and refusals, and `failures` — the API server's refusals
    `(key, reason, message)` — in kubectl's words. Exit status 1 if anything failed.
    """
    made, changed, kept, gone = set(created), set(updated), set(unchanged), set(deleted)
    out: list[str] = []
    seen: dict[Key, dict[str, Any]] = {}
    manifests_in_order = [m for _, m in plan.upserts]
    for index, key in enumerate(plan.order):
        word = None
        manifest = manifests_in_order[index] if index < len(manifests_in_order) \
            and plan.verb in ("apply", "create") else None
        if plan.verb == "apply":
            if key in seen and manifest is not None:  # the same object again in one input
                word = "unchanged" if seen[key] == manifest else "configured"
            elif key in made:
                word = "created"
            elif key in changed:
                word = "configured"
            elif key in kept:
                word = "configured" if plan.dry_run == "client" else "unchanged"
            if word and plan.server_side:
                word = "serverside-applied"
        elif plan.verb == "create":
            word = "created" if key in made and key not in seen else None
        elif plan.verb == "delete":
            if key in gone and key not in seen:  # a repeated name is NotFound the second time
                word = "force deleted" if plan.force else "deleted"
                seen[key] = {}
        elif key in plan.existing and key in made | changed | kept:  # label
            word = plan.words.get(key, "labeled")
        if manifest is not None:
            seen.setdefault(key, manifest)
        if word is None:
            continue
        out += [n + "\n" for n in plan.notes.get(key, ())]
        out.append(_line(plan, key, word))
    entries = _entries(plan, failures)
    return CommandResult("".join(out), plan.warnings + _render(entries), 1 if entries else 0)


def server_error(plan: WritePlan, reason: str, message: str | InvalidObject,
                 key: Key | None = None) -> CommandResult:
    """One refusal of the API server, worded by kubectl for the plan's verb.

    `message` is the API's (`Service "web" is invalid: …`, `services "web" already exists`)
    or an `errors.InvalidObject`. `key` says which object failed; without it the plan's
    only object is meant, else the error is worded as for a new object.
    """
    if key is None and len(set(plan.order)) == 1:
        key = plan.order[0]
    return report(plan, failures=[(key, reason, message)])


def _forbidden_message(kind: WriteKind, verb: str, namespace: str, name: str,
                       username: str) -> str:
    """apiserver `responsewriters.Forbidden` + apimachinery `NewForbidden`."""
    user = username.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    where = (f"in the namespace {_q(namespace)}" if kind.namespaced and namespace
             else "at the cluster scope")
    who = f"{kind.qualified} {_q(name)}" if name else kind.qualified
    return (f"{who} is forbidden: User {_q(user)} cannot {verb} resource {_q(kind.resource)} in "
            f"API group {_q(kind.group)} {where}")


def forbidden(plan: WritePlan, username: str) -> CommandResult:
    """What kubectl prints when RBAC lets `username` read but not write the cluster.

    Authorization comes before everything else the server checks, so every request the
    command makes fails: POST (create: no name in the message), PATCH (apply of an existing
    object, label, server-side apply) and DELETE (even of a missing object). kubectl's own
    errors and GET answers (label of a missing object) stay; an apply that changes nothing
    sends no request and still prints `unchanged`.
    """
    failures: list[tuple[Key | None, str, Any]] = []
    unchanged: list[Key] = []
    done: set[Key] = set()
    for key in plan.order:
        kind = WRITE_KINDS.get(key[0])
        if kind is None or (key in done and plan.verb != "apply") or (
                plan.verb == "label" and key not in plan.existing):
            continue
        done.add(key)
        if plan.verb == "delete":
            verb, name = "delete", key[2]
        elif plan.verb == "label" or plan.server_side:
            verb, name = "patch", key[2]
        elif plan.verb == "apply" and key in plan.same:
            unchanged.append(key)
            continue
        elif plan.verb == "apply" and key in plan.existing:
            verb, name = "patch", key[2]
        else:
            verb, name = "create", ""
        failures.append((key, "Forbidden",
                         _forbidden_message(kind, verb, key[1], name, username)))
    kept = plan.refusals if plan.verb == "label" else ()  # label's GET answers first
    return report(replace(plan, refusals=kept), unchanged=unchanged, failures=failures)


# --------------------------------------------------------------------------- plan_write


def plan_write(line: str, namespace: str, stored: Mapping[Key, Mapping[str, Any]],
               now: datetime | None = None) -> WritePlan | CommandResult | None:
    """Parse one console input (a here-document included) as a kubectl write command.

    `stored` maps every stored object to its manifest. Returns None when the line is not
    a write command, a CommandResult when kubectl answers without writing, else the plan.
    `now` dates klog's warnings (default: the console's fixed `DEFAULT_NOW`).
    """
    shell = split_input(line)
    if isinstance(shell, CommandResult):
        return shell
    try:
        words = split_command(shell.command)
    except ValueError:
        return None
    if not words or words[0] != "kubectl":
        return None
    rest = words[1:]
    at = _find_command(rest)
    if at is None or rest[at] not in WRITE_VERBS:
        return None
    head = rest[:rest.index("--")] if "--" in rest else rest
    if "--help" in head or "-h" in head:
        return None
    verb = rest[at]
    args = [f"{w}={_NO_OPT[w]}" if w in _NO_OPT else w for w in rest[:at] + rest[at + 1:]]
    try:
        return _PLANNERS[verb](args, namespace or "default", stored, shell, now or DEFAULT_NOW)
    except _Refuse as exc:
        r = exc.result
        return CommandResult(r.stdout, shell.stderr + r.stderr, r.exit_code)


def _parse(verb: str, args: list[str], flags: list[Flag]) -> Parsed:
    try:
        return parse(args, flags)
    except UsageError as exc:
        raise _usage(verb, str(exc)) from exc


def _namespace(p: Parsed, namespace: str) -> tuple[str, bool]:
    explicit = p.text("namespace")
    return (explicit or namespace), bool(explicit)


# ---- apply / create


def _plan_objects(verb: str, args: list[str], namespace: str,
                  stored: Mapping[Key, Mapping[str, Any]], shell: ShellInput,
                  now: datetime) -> WritePlan | CommandResult:
    if verb == "create":
        at = _find_command(args)  # cobra finds a sub-command before parsing any flag
        if at is not None and args[at] in ("namespace", "ns"):
            return _create_namespace(args[:at] + args[at + 1:], shell, now)
        if at is not None and args[at] in _CREATE_SUBCOMMANDS:
            raise _Refuse(f"error: the ClusterLab console does not run kubectl create "
                          f"{args[at]}; write the manifest and create it with kubectl create "
                          "-f - <<'EOF' … EOF")
        p = _parse(verb, args, CREATE_FLAGS)
    else:
        p = _parse(verb, args, APPLY_FLAGS)
    dry_run, warnings = _dry_run(p, now)
    server_side = verb == "apply" and p.flag("server-side")
    if verb == "apply":
        if p.flag("force-conflicts") and not server_side:
            raise _Refuse("error: --force-conflicts only works with --server-side")
        if dry_run == "client" and server_side:
            raise _Refuse("error: --dry-run=client doesn't work with --server-side (did you "
                          "mean --dry-run=server instead?)")
    files = [f for f in _all_values(args, "filename", "f") if f]
    if verb == "create" and not files and not p.text("kustomize"):
        if not p.args:
            raise _Refuse(_CREATE_HELP)
        raise _Refuse("Error: must specify one of -f and -k\n\nerror: unknown command "
                      f"\"{' '.join(p.args)}\"\nSee 'kubectl create -h' for help and examples")
    if not files and not p.text("kustomize"):
        raise _Refuse("error: must specify one of -f and -k")
    if verb == "apply" and p.args and p.args[0] in ("view-last-applied", "set-last-applied",
                                                    "edit-last-applied"):
        raise _Refuse(f"error: the ClusterLab console does not run kubectl apply {p.args[0]}")
    _file_options(verb, p, args)
    if p.args:
        raise _usage_error(verb, f"Unexpected args: [{' '.join(p.args)}]")
    if verb == "apply" and p.flag("prune"):
        raise _Refuse("error: the ClusterLab console does not prune; delete what you no longer "
                      "want with kubectl delete")
    if verb == "create" and (p.flag("edit") or p.text("raw")):
        raise _Refuse("error: the ClusterLab console does not run kubectl create --edit or --raw")
    output = _output(p)
    ns, enforce = _namespace(p, namespace)
    validate = (p.text("validate") or "strict") not in ("false", "ignore", "0", "f", "F",
                                                          "FALSE", "False")
    selector = None
    if p.text("selector"):
        try:
            selector = parse_selector(p.text("selector") or "")
        except SelectorError as exc:
            raise _Refuse(f"error: {exc}") from exc
    items = _objects(shell.stdin, ns, enforce, validate)
    errors: list[str] = []
    objs: list[_Obj] = []
    for item in items:
        if isinstance(item, str):
            errors.append(item)
            continue
        if selector is not None and not matches(selector, _labels(item.manifest)):
            continue
        name_error = _name_error(verb, item, ns)
        if name_error:
            errors.append(name_error)
            continue
        objs.append(item)
    if not objs and not errors:
        raise _Refuse(f"error: no objects passed to {verb}")
    existing = frozenset(o.key for o in objs if o.key in stored)
    previous = {k: _with_namespace(stored[k], WRITE_KINDS[k[0]], k[1]) for k in existing}
    same = frozenset(o.key for o in objs if o.key in previous and previous[o.key] == o.manifest)
    plan = WritePlan(
        verb=verb, dry_run=dry_run, upserts=tuple((SOURCE, o.manifest) for o in objs),
        deletes=(), order=tuple(o.key for o in objs), source=SOURCE,
        create_only=verb == "create", errors=tuple(errors), warnings=shell.stderr + warnings,
        existing=existing, same=same, previous=previous, output=output,
        server_side=server_side)
    if dry_run == "client":
        if verb == "create":
            return report(plan, created=plan.order)
        return report(plan, created=[k for k in plan.order if k not in existing],
                      unchanged=[k for k in plan.order if k in existing])
    if not objs:
        return report(plan)
    return plan


def _name_error(verb: str, obj: _Obj, namespace: str) -> str | None:
    meta = _meta(obj.manifest)
    if obj.key[2]:
        return None
    generate = _str(meta.get("generateName"))
    if verb == "apply":
        if generate:
            return f"from {generate}: cannot use generate name with apply"
        return (f"error when retrieving current configuration of:\n"
                f"{_info(obj.kind, obj.key[1], '')}\nfrom server for: \"{SOURCE}\": resource "
                "name may not be empty")
    if generate:  # the API server picks the name; do it now so the plan has a key
        name = generate + manifests.name_suffix(go_json(obj.manifest))
        obj.manifest.setdefault("metadata", {})["name"] = name
        obj.key = (obj.key[0], obj.key[1], name)
    return None


_CREATE_HELP = """Error: must specify one of -f and -k

Create a resource from a file or from stdin.

 JSON and YAML formats are accepted.

Examples:
  # Create a pod using the data in pod.json
  kubectl create -f ./pod.json

  # Create a pod based on the JSON passed into stdin
  cat pod.json | kubectl create -f -

Usage:
  kubectl create -f FILENAME [options]

Use "kubectl create <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


def _create_namespace(args: list[str], shell: ShellInput,
                      now: datetime) -> WritePlan | CommandResult:
    """`kubectl create namespace NAME` (create_namespace.go)."""
    verb = "create namespace"
    p = _parse(verb, args, CREATE_NAMESPACE_FLAGS)
    names = p.args
    if len(names) != 1:
        raise _usage_error(verb, f"exactly one NAME is required, got {len(names)}")
    dry_run, warnings = _dry_run(p, now)
    output = _output(p)
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": names[0]}}
    key: Key = ("Namespace", "", names[0])
    plan = WritePlan(verb="create", dry_run=dry_run, upserts=(("", manifest),), deletes=(),
                     order=(key,), source="", create_only=True,
                     warnings=shell.stderr + warnings, output=output)
    if dry_run == "client":
        return report(plan, created=[key])
    return plan


def _plan_apply(args: list[str], namespace: str, stored: Mapping[Key, Mapping[str, Any]],
                shell: ShellInput, now: datetime) -> WritePlan | CommandResult:
    return _plan_objects("apply", args, namespace, stored, shell, now)


def _plan_create(args: list[str], namespace: str, stored: Mapping[Key, Mapping[str, Any]],
                 shell: ShellInput, now: datetime) -> WritePlan | CommandResult:
    return _plan_objects("create", args, namespace, stored, shell, now)


# ---- targets named on the command line (delete, label)


def _split_args(args: list[str]) -> list[tuple[WriteKind, str | None]]:
    """`TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…` as the resource builder reads them."""
    if not args:
        return []
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise _Refuse(NAME_FORM_ERROR)
        out: list[tuple[WriteKind, str | None]] = []
        for a in args:
            type_name, _, name = a.partition("/")
            if not name:
                raise _Refuse("error: arguments in resource/name form must have a single "
                              "resource and name")
            out.append((_find_kind(type_name), name))
        return out
    kinds: list[WriteKind] = []
    for t in dict.fromkeys(t for t in args[0].split(",") if t):
        if t.lower() == "all":
            kinds += [WRITE_KINDS[k] for k in _ALL]
        else:
            kinds.append(_find_kind(t))
    kinds = list(dict.fromkeys(kinds))
    names = args[1:]
    if not names:
        return [(k, None) for k in kinds]
    return [(k, n) for k in kinds for n in names]


def _select(kinds: list[WriteKind], namespace: str | None, selector: str | None,
            stored: Mapping[Key, Mapping[str, Any]]) -> list[Key]:
    """Stored objects of `kinds` matching `selector`, in API list order per kind."""
    try:
        reqs = parse_selector(selector or "")
    except SelectorError as exc:
        raise _Refuse(f"error: {exc}") from exc
    out: list[Key] = []
    for kind in kinds:
        keys = sorted(k for k in stored if k[0] == kind.kind
                      and (namespace is None or not kind.namespaced or k[1] == namespace))
        out += [k for k in keys if matches(reqs, _labels(stored[k]))]
    return out


def _targets(verb: str, p: Parsed, args: list[str], files: list[str], namespace: str,
             enforce: bool, stored: Mapping[Key, Mapping[str, Any]],
             shell: ShellInput) -> tuple[list[Key], list[str], bool]:
    """The keys a delete or label names, the builder's errors, and whether a selector chose."""
    selected = p.flag("all") or p.text("selector") is not None
    all_ns = p.flag("all-namespaces")
    if files:
        if args:
            raise _Refuse("error: when paths, URLs, or stdin is provided as input, you may not "
                          "specify resource arguments as well")
        items = _objects(shell.stdin, namespace, enforce, True)
        keys, errors = [], []
        for item in items:
            if isinstance(item, str):
                errors.append(item)
            elif not item.key[2]:
                errors.append(f'error when {"deleting" if verb == "delete" else "retrieving"} '
                              f'"{SOURCE}": resource name may not be empty')
            else:
                keys.append(item.key)
        return keys, errors, False
    split = _split_args(args)
    if not split:
        if verb == "label":
            raise _Refuse("error: one or more resources must be specified as <resource> <name> "
                          "or <resource>/<name>")
        raise _Refuse("error: You must provide one or more resources by argument or filename.\n"
                      "Example resource specifications include:\n   '-f rsrc.yaml'\n"
                      "   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
    named = [(k, n) for k, n in split if n is not None]
    if selected:
        if named and "/" in args[0]:
            raise _Refuse("error: selectors and the all flag cannot be used when passing "
                          "resource/name arguments")
        if named:
            raise _Refuse("error: name cannot be provided when a selector is specified")
        kinds = list(dict.fromkeys(k for k, _ in split))
        selector = None if p.flag("all") else p.text("selector")
        return _select(kinds, None if all_ns else namespace, selector, stored), [], True
    if len(named) != len(split):
        raise _Refuse("error: resource(s) were provided, but no name was specified")
    if all_ns:
        raise _Refuse("error: a resource cannot be retrieved by name across all namespaces")
    return [(k.kind, namespace if k.namespaced else "", n) for k, n in split
            if n is not None], [], False


# ---- delete


def _plan_delete(args: list[str], namespace: str, stored: Mapping[Key, Mapping[str, Any]],
                 shell: ShellInput, now: datetime) -> WritePlan | CommandResult:
    p = _parse("delete", args, DELETE_FLAGS)
    if p.text("raw"):
        raise _Refuse("error: the ClusterLab console does not run kubectl delete --raw")
    if p.flag("interactive"):
        raise _Refuse("error: the ClusterLab console cannot ask for confirmation; run kubectl "
                      "delete without -i")
    if p.text("field-selector"):
        raise _Refuse("error: the ClusterLab console selects objects by label (-l), not by "
                      "field (--field-selector)")
    grace = -1
    if p.text("grace-period") is not None:
        text = p.text("grace-period") or ""
        try:
            grace = int(text)
        except ValueError:
            raise _usage("delete", f'invalid argument "{text}" for "--grace-period" flag: '
                                   f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    force = p.flag("force")
    dry_run, warnings = _dry_run(p, now)
    if p.flag("now"):
        if grace != -1:
            raise _Refuse("error: --now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not force:
        grace = 1  # kubectl turns --grace-period=0 into 1 unless --force is given
    if force and grace < 0:
        grace = 0
    ns, enforce = _namespace(p, namespace)
    files = _file_options("delete", p, args)
    cascade = p.text("cascade")
    if cascade is not None and cascade not in ("background", "foreground", "orphan"):
        raise _Refuse(f'error: invalid cascade value ({cascade}). Must be "background", '
                      '"foreground", or "orphan".')
    keys, errors, selected = _targets("delete", p, p.args, files, ns, enforce, stored, shell)
    _delete_output(p)
    if force and grace > 0:
        raise _Refuse("error: --force and --grace-period greater than 0 cannot be specified "
                      "together")
    if grace == 0 and force:
        warnings += ("Warning: Immediate deletion does not wait for confirmation that the "
                     "running resource has been terminated. The resource may continue to run "
                     "on the cluster indefinitely.\n")
    if not keys and not errors:
        return CommandResult("No resources found\n", shell.stderr + warnings, 0)
    if enforce and any(not WRITE_KINDS[k[0]].namespaced for k in keys):
        warnings += "Warning: deleting cluster-scoped resources, not scoped to the provided " \
                    "namespace\n"
    ignore = p.flag("ignore-not-found") if "ignore-not-found" in p.values else selected
    refusals: list[tuple[Key, str, str]] = []
    deletes: list[Key] = []
    for key in keys:
        kind = WRITE_KINDS[key[0]]
        if key not in stored or key in deletes:  # gone, or deleted by its first mention
            if not ignore:
                refusals.append((key, "NotFound", f"{kind.qualified} {_q(key[2])} not found"))
        elif kind.kind == "Namespace" and key[2] in IMMORTAL_NAMESPACES:
            refusals.append((key, "Forbidden", f"namespaces {_q(key[2])} is forbidden: this "
                                               "namespace may not be deleted"))
        else:
            deletes.append(key)
    plan = WritePlan(verb="delete", dry_run=dry_run, upserts=(), deletes=tuple(deletes),
                     order=tuple(keys), source=SOURCE if files else "", create_only=False,
                     errors=tuple(errors), refusals=tuple(refusals),
                     warnings=shell.stderr + warnings, output=p.text("output") or "",
                     force=grace == 0)
    if dry_run == "client":  # no request at all: every named object "is deleted"
        return report(replace(plan, refusals=()), deleted=keys)
    if not deletes and not refusals:
        return report(plan)
    return plan


def _delete_output(p: Parsed) -> None:
    fmt = p.text("output") or ""
    if fmt not in ("", "name"):
        raise _Refuse(f"error: unexpected -o output mode: {fmt}. We only support '-o name'")


# ---- label


def _label_pairs(args: list[str]) -> tuple[list[str], list[str]]:
    """`cmdutil.GetResourcesAndPairs`."""
    resources: list[str] = []
    pairs: list[str] = []
    for s in args:
        pair = ("=" in s and not s.startswith("=")) or (s.endswith("-") and s != "-")
        if pair:
            pairs.append(s)
        elif pairs:
            raise _Refuse(f"error: all resources must be specified before label changes: {s}")
        else:
            resources.append(s)
    return resources, pairs


def _parse_labels(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    """label.go `parseLabels`."""
    new: dict[str, str] = {}
    remove: list[str] = []
    for spec in pairs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                raise _Refuse(f"error: invalid label spec: {spec}")
            problems = is_valid_label_value(parts[1])
            if problems:
                raise _Refuse(f"error: invalid label value: {_q(spec)}: {';'.join(problems)}")
            new[parts[0]] = parts[1]
        elif spec.endswith("-"):
            remove.append(spec[:-1])
        else:
            raise _Refuse(f"error: unknown label spec: {spec}")
    if any(r in new for r in remove):
        raise _Refuse("error: can not both modify and remove a label in the same command")
    return new, remove


def _labels_json_len(labels: dict[str, str] | None) -> int:
    """Bytes the labels add to the object's JSON (what label.go compares)."""
    if labels is None:
        return 0
    return len(('"labels":' + go_json(labels) + ",").encode())


def _label_word(old: dict[str, str] | None, new: dict[str, str], overwrite: bool) -> str:
    """v1.33 `updateDataChangeMsg`: the JSON of the object before and after."""
    if old is not None and go_json(old) == go_json(new):
        return "not labeled"
    if not overwrite and _labels_json_len(new) < _labels_json_len(old):
        return "unlabeled"
    return "labeled"


def _plan_label(args: list[str], namespace: str, stored: Mapping[Key, Mapping[str, Any]],
                shell: ShellInput, now: datetime) -> WritePlan | CommandResult:
    p = _parse("label", args, LABEL_FLAGS)
    dry_run, warnings = _dry_run(p, now)
    resources, pairs = _label_pairs(p.args)
    new, remove = _parse_labels(pairs)
    if p.flag("list") and p.text("output"):
        raise _Refuse("error: --list and --output may not be specified together")
    if p.flag("all") and p.text("selector") is not None:
        raise _Refuse("error: cannot set --all and --selector at the same time")
    if p.flag("all") and p.text("field-selector") is not None:
        raise _Refuse("error: cannot set --all and --field-selector at the same time")
    files = _file_options("label", p, args)
    if p.flag("local"):
        raise _Refuse("error: the ClusterLab console does not run kubectl label --local")
    if not resources and not files:
        raise _Refuse("error: one or more resources must be specified as <resource> <name> or "
                      "<resource>/<name>")
    if not new and not remove and not p.flag("list"):
        raise _Refuse("error: at least one label update is required")
    if p.text("field-selector"):
        raise _Refuse("error: the ClusterLab console selects objects by label (-l), not by "
                      "field (--field-selector)")
    output = _output(p)
    ns, enforce = _namespace(p, namespace)
    keys, errors, _ = _targets("label", p, resources, files, ns, enforce, stored, shell)
    if p.flag("list"):
        return _list_labels(keys, errors, stored, shell.stderr + warnings)
    overwrite = p.flag("overwrite")
    upserts: list[tuple[str, dict[str, Any]]] = []
    order = list(dict.fromkeys(keys))
    words: dict[Key, str] = {}
    notes: dict[Key, tuple[str, ...]] = {}
    refusals: list[tuple[Key, str, str]] = []
    for key in order:
        kind = WRITE_KINDS[key[0]]
        if key not in stored:  # the GET before the patch answers NotFound
            refusals.append((key, "NotFound", f"{kind.qualified} {_q(key[2])} not found"))
            continue
        manifest = _with_namespace(stored[key], kind, key[1])
        meta = manifest.setdefault("metadata", {})
        old_raw = meta.get("labels")
        old = _labels(manifest) if isinstance(old_raw, Mapping) else None
        current = dict(old or {})
        if dry_run != "client":
            missing = tuple(f"label {_q(r)} not found." for r in remove if r not in current)
            if missing:
                notes[key] = missing
        if not overwrite:
            clashes = [f"'{k}' already has a value ({current[k]}), and --overwrite is false"
                       for k, v in new.items() if k in current and current[k] != v]
            if clashes:
                errors += clashes
                notes.pop(key, None)
                continue
        current.update(new)
        for r in remove:
            current.pop(r, None)
        meta["labels"] = current
        words[key] = _label_word(old, current, overwrite)
        upserts.append((plan_source(files), manifest))
    planned = [_key_of(m) for _, m in upserts]
    plan = WritePlan(verb="label", dry_run=dry_run, upserts=tuple(upserts), deletes=(),
                     order=tuple(order), source=plan_source(files), create_only=False,
                     errors=tuple(errors), refusals=tuple(refusals),
                     warnings=shell.stderr + warnings, existing=frozenset(planned),
                     previous={k: _with_namespace(stored[k], WRITE_KINDS[k[0]], k[1])
                               for k in planned},
                     output=output, words=words, notes=notes)
    if dry_run == "client":
        return report(plan, updated=planned)
    if not upserts:
        return report(plan)
    return plan


def plan_source(files: list[str]) -> str:
    return SOURCE if files else ""


def _list_labels(keys: list[Key], errors: list[str], stored: Mapping[Key, Mapping[str, Any]],
                 warnings: str) -> CommandResult:
    """`kubectl label --list`: a read, printed from the stored manifests."""
    out: list[str] = []
    found = [k for k in keys if k in stored]
    errors = errors + [f"Error from server (NotFound): {WRITE_KINDS[k[0]].qualified} "
                       f"{_q(k[2])} not found" for k in keys if k not in stored]
    one = len(keys) == 1
    for key in found:
        kind = WRITE_KINDS[key[0]]
        if not one:
            out.append(f"Listing labels for {kind.kind}.{kind.group}/{key[2]}:\n")
        out += [f"{'' if one else ' '}{k}={v}\n" for k, v in sorted(_labels(stored[key]).items())]
    stderr = warnings + _render([_client(e) if not e.startswith("Error from server") else
                                 _Entry(e, e) for e in errors])
    return CommandResult("".join(out), stderr, 1 if errors else 0)


_PLANNERS = {"apply": _plan_apply, "create": _plan_create, "delete": _plan_delete,
             "label": _plan_label}
