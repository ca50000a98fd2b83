"""The ``influxlp`` command line: ``influxlp serve`` runs a fake InfluxDB until stopped;
``influxlp convert`` turns line protocol files into a Parquet, Arrow IPC or CSV dataset, or
(``--format lp``) line protocol, exports and datasets back into line protocol or an export."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence

from . import LineProtocolError, Server, Store, __version__, convert
from ._influxlp import SERVER_DEFAULTS

# Beside a saved store's data (see ``Store.save``).
_CATALOG_FILE = "_influxlp_catalog.json"


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
        help="an admin user (turns authentication on; repeatable); without users or tokens a "
        "v2 server is open until onboarded (POST /api/v2/setup)",
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
    serve.add_argument(
        "--data-dir",
        metavar="DIR",
        help="load the store saved in DIR at start and save it there on a clean stop "
        "(Ctrl-C, SIGTERM): a snapshot on stop, not a crash-safe log",
    )
    _convert_parser(commands)
    return parser


def _convert_parser(commands: argparse._SubParsersAction) -> None:
    convert = commands.add_parser(
        "convert",
        help="turn line protocol files (plain, gzip, InfluxDB exports) into a dataset",
        description="Convert line protocol into a Hive-partitioned Parquet, Arrow IPC or CSV "
        "dataset: DEST/[database=<db>/retention_policy=<rp>/]measurement=<m>/[day=<d>/]part-N.",
    )
    convert.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a file, gzip or not (with --format lp also a dataset directory)",
    )
    convert.add_argument(
        "--to",
        required=True,
        metavar="DEST",
        help="the dataset directory (with --format lp the file, gzip when it ends in .gz)",
    )
    convert.add_argument(
        "--format",
        default="parquet",
        choices=["parquet", "ipc", "csv", "lp"],
        help="lp: one line protocol file, an InfluxDB export when a source has databases",
    )
    convert.add_argument(
        "--partition-by",
        default="measurement",
        metavar="measurement[,day]",
        help="partition keys (default: measurement)",
    )
    convert.add_argument("--precision", default="ns", help="timestamp precision (default ns)")
    convert.add_argument(
        "--errors",
        default="raise",
        choices=["raise", "collect"],
        help="stop at the first bad line (default) or skip and count bad lines",
    )
    convert.add_argument("--compression", default="zstd", choices=["zstd", "snappy", "none"])
    convert.add_argument(
        "--overwrite", action="store_true", help="replace a dataset already in DEST"
    )
    convert.add_argument(
        "--quiet", action="store_true", help="no progress bar, only the closing summary"
    )


# Bad lines the command prints when errors are collected.
_ERRORS_SHOWN = 10


def convert_command(args: argparse.Namespace) -> int:
    try:
        result = convert(
            args.sources,
            args.to,
            format=args.format,
            partition_by=tuple(key.strip() for key in args.partition_by.split(",")),
            precision=args.precision,
            errors=args.errors,
            compression=args.compression,
            overwrite=args.overwrite,
            progress=False if args.quiet else None,
        )
    except KeyboardInterrupt:
        print("influxlp: interrupted; nothing was left in the destination", file=sys.stderr)
        return 130
    except LineProtocolError as error:
        source = getattr(error, "source", "")
        print(f"influxlp: {source}: line {error.line}: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"influxlp: {error}", file=sys.stderr)
        return 1
    for error in result.errors[:_ERRORS_SHOWN]:
        print(f"influxlp: {error.source}: line {error.line}: {error}", file=sys.stderr)
    megabytes = result.bytes_read / 1e6
    rate = megabytes / result.seconds if result.seconds > 0 else 0.0
    print(
        f"influxlp: {result.lines:,} lines ({megabytes:,.1f} MB, {rate:,.1f} MB/s) -> "
        f"{result.points_written:,} points in {len(result.files):,} files under {args.to} "
        f"in {result.seconds:.2f} s; {result.points_dropped:,} points dropped, "
        f"{len(result.errors):,} bad lines",
        file=sys.stderr,
    )
    return 0


def _load_store(data_dir: str | None) -> Store | None:
    """The store saved in ``data_dir``; an empty one when nothing was saved there yet."""
    if data_dir is None:
        return None
    if os.path.exists(os.path.join(data_dir, _CATALOG_FILE)):
        return Store.load(data_dir)
    return Store()


class _StopSignals:
    """Waits for SIGINT or SIGTERM without running Python code in a signal handler.

    A handler runs in the main thread between any two bytecodes; one that took a lock (as
    ``threading.Event.set`` does) would deadlock whenever the signal landed while the main thread
    held that lock. Where POSIX allows, both signals are blocked before the server's threads
    start (so that they inherit the mask and none of them is chosen to receive one) and
    ``sigwait`` takes them in the main thread; elsewhere the handler only sets a flag, which the
    main thread polls.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)
    _POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self._blocked = hasattr(signal, "pthread_sigmask") and hasattr(signal, "sigwait")
        self._received: list[int] = []
        if self._blocked:
            self._previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, self._SIGNALS)
        else:
            self._previous_handlers = [signal.getsignal(signum) for signum in self._SIGNALS]
            for signum in self._SIGNALS:
                signal.signal(signum, lambda signum, _frame: self._received.append(signum))

    def restore(self) -> None:
        """Puts the mask or the handlers back as they were (when serving could not start)."""
        if self._blocked:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._previous_mask)
        else:
            for signum, handler in zip(self._SIGNALS, self._previous_handlers, strict=True):
                signal.signal(signum, handler)

    def wait(self) -> int:
        """Returns the first stop signal's number once one has arrived."""
        if self._blocked:
            return signal.sigwait(self._SIGNALS)
        while not self._received:
            time.sleep(self._POLL_SECONDS)
        return self._received[0]


def serve(args: argparse.Namespace) -> int:
    store = _load_store(args.data_dir)
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
        store=store,
    )
    # Before the server's threads start, so that they inherit the mask (see `_StopSignals`).
    stop_signals = _StopSignals()
    try:
        server.start()
    except BaseException:
        stop_signals.restore()
        raise
    print(
        f"influxlp {__version__}: serving InfluxDB {server.flavor} ({server.version}) "
        f"on {server.url}; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    stop_signals.wait()
    server.stop()
    if store is not None:
        store.save(args.data_dir)
        print(f"influxlp: store saved in {args.data_dir}", file=sys.stderr, flush=True)
    print("influxlp: stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "convert":
        return convert_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
