"""`python -m clusterlab.sim`: the engine on plain Kubernetes manifests (a stable contract).

    check  MANIFEST... --queries QUERIES.json        JSON array out, one result per query
    matrix MANIFEST... [--port 80 --protocol TCP] [--json]
    export MANIFEST...                               normalised, allocated manifests
    trace  MANIFEST... --from ns/pod --to TARGET --port P [--protocol TCP]
    node   NODE MANIFEST... --show routes|addr|neigh|iptables|ipvs

Problems exit with status 2 and one `error: <field path>: <message>` line each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clusterlab.sim.engine import Engine
from clusterlab.sim.errors import ManifestError
from clusterlab.sim.query import QueryError, run_queries

EXIT_USAGE = 2


class CliError(Exception):
    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8") if path != "-" else sys.stdin.read()
    except FileNotFoundError:
        raise CliError([f"error: {path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError([f"error: {path}: cannot read: {exc}"]) from None


def load_engine(paths: list[str]) -> Engine:
    from clusterlab.sim import manifests

    try:
        cluster = manifests.load([(p, _read(p)) for p in paths])
    except ManifestError as exc:
        raise CliError(exc.cli_lines()) from None
    return Engine(cluster)


def _cmd_check(args: argparse.Namespace) -> int:
    engine = load_engine(args.manifests)
    try:
        queries = json.loads(_read(args.queries))
    except json.JSONDecodeError as exc:
        raise CliError([f"error: {args.queries}: invalid JSON: {exc}"]) from None
    if isinstance(queries, dict):
        queries = [queries]
    try:
        results = run_queries(engine, queries)
    except QueryError as exc:
        raise CliError([f"error: {exc}"]) from None
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _cmd_matrix(args: argparse.Namespace) -> int:
    from clusterlab.sim import reachability

    engine = load_engine(args.manifests)
    port: int | str = int(args.port) if args.port.isdigit() else args.port
    matrix = engine.policy.matrix(port, args.protocol)
    if args.json:
        json.dump(reachability.matrix_to_dict(matrix), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(reachability.format_matrix(matrix))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from clusterlab.sim import manifests

    engine = load_engine(args.manifests)
    sys.stdout.write(manifests.export(engine.cluster))
    return 0


def _cmd_trace(args: argparse.Namespace) -> int:
    from clusterlab.sim import trace
    from clusterlab.sim.query import run_query

    engine = load_engine(args.manifests)
    query: dict[str, Any] = {"kind": "connect", "from": args.src, "to": args.to,
                             "port": int(args.port) if args.port.isdigit() else args.port,
                             "protocol": args.protocol}
    if args.src.startswith("ip:"):
        query["from"] = {"ip": args.src[3:]}
    elif args.src.startswith("node:"):
        query["from"] = {"node": args.src[5:]}
    if args.via_node:
        query["via_node"] = args.via_node
    if args.seed is not None:
        query["seed"] = args.seed
    try:
        run_query(engine, query)  # validates the query with field-level messages
    except QueryError as exc:
        raise CliError([f"error: {exc}"]) from None
    result = trace.trace_connect(engine, query["from"], args.to, query["port"], args.protocol,
                                 via_node=args.via_node, seed=args.seed)
    sys.stdout.write(trace.format_trace_table(result))
    return 0 if result.verdict == "delivered" else 1


def _cmd_node(args: argparse.Namespace) -> int:
    from clusterlab.sim import trace

    engine = load_engine(args.manifests)
    if args.node not in engine.cluster.node_by_name:
        raise CliError([f'error: node: nodes "{args.node}" not found'])
    try:
        sys.stdout.write(trace.node_view(engine, args.node, args.show))
    except ValueError as exc:
        raise CliError([f"error: show: {exc}"]) from None
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clusterlab.sim",
                                     description="ClusterLab's Kubernetes networking engine")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="answer connect/policy/dns/healthcheck queries")
    check.add_argument("manifests", nargs="+")
    check.add_argument("--queries", required=True, help="JSON file with an array of queries")
    check.set_defaults(func=_cmd_check)

    matrix = sub.add_parser("matrix", help="pod-to-pod reachability for one port")
    matrix.add_argument("manifests", nargs="+")
    matrix.add_argument("--port", default="80")
    matrix.add_argument("--protocol", default="TCP", choices=["TCP", "UDP", "SCTP"])
    matrix.add_argument("--json", action="store_true")
    matrix.set_defaults(func=_cmd_matrix)

    export = sub.add_parser("export", help="normalised, allocated manifests")
    export.add_argument("manifests", nargs="+")
    export.set_defaults(func=_cmd_export)

    trace = sub.add_parser("trace", help="the hop-by-hop path of one connection")
    trace.add_argument("manifests", nargs="+")
    trace.add_argument("--from", dest="src", required=True,
                       help="ns/pod, ip:203.0.113.9 (external) or node:node-1 (host network)")
    trace.add_argument("--to", required=True, help="ns/pod, an IP, or a Service name")
    trace.add_argument("--port", required=True)
    trace.add_argument("--protocol", default="TCP", choices=["TCP", "UDP", "SCTP"])
    trace.add_argument("--via-node", dest="via_node")
    trace.add_argument("--seed", type=int)
    trace.set_defaults(func=_cmd_trace)

    node = sub.add_parser("node", help="a node's tables as its tools print them")
    node.add_argument("node")
    node.add_argument("manifests", nargs="+")
    node.add_argument("--show", required=True,
                      choices=["routes", "addr", "neigh", "iptables", "ipvs"])
    node.set_defaults(func=_cmd_node)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
