"""The ``influxlp`` command line: ``influxlp serve`` runs a fake InfluxDB until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from . import Server, __version__
from ._influxlp import SERVER_DEFAULTS


def _user(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="influxlp", description=__doc__)
    parser.add_argument("--version", action="version", version=f"influxlp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve InfluxDB's HTTP API from memory")
    host, flavor = SERVER_DEFAULTS["host"], SERVER_DEFAULTS["flavor"]
    serve.add_argument("--host", default=host, help=f"address to bind (default {host})")
    serve.add_argument("--port", type=int, default=8086, help="port (default 8086; 0 = any free)")
    serve.add_argument(
        "--flavor",
        default=flavor,
        choices=["v1", "v2", "v3", "cloud"],
        help=f"InfluxDB to imitate (default {flavor})",
    )
    serve.add_argument(
        "--user",
        action="append",
        type=_user,
        default=[],
        metavar="NAME:PASSWORD",
        help="an admin user (turns authentication on; repeatable)",
    )
    serve.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="an API token with every privilege (turns authentication on; repeatable)",
    )
    serve.add_argument(
        "--auto-create-databases",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create databases on first write (default: as the flavor does)",
    )
    serve.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="NAME",
        help="a database created at start (repeatable)",
    )
    serve.add_argument(
        "--max-body-size",
        type=int,
        default=SERVER_DEFAULTS["max_body_size"],
        help=f"largest request body, bytes (default {SERVER_DEFAULTS['max_body_size']:,})",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def serve(args: argparse.Namespace) -> int:
    server = Server(
        host=args.host,
        port=args.port,
        flavor=args.flavor,
        users=dict(args.user) or None,
        tokens=args.token or None,
        auto_create_databases=args.auto_create_databases,
        max_body_size=args.max_body_size,
        databases=args.database,
        log_requests=not args.quiet,
        request_log_size=0,  # a long-running server keeps no request history
    )
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server.start()
    print(
        f"influxlp {__version__}: serving InfluxDB {server.flavor} ({server.version}) "
        f"on {server.url}; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    while not stopping.wait(0.5):
        pass
    server.stop()
    print("influxlp: stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
