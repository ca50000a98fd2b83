"""Type stubs of the Rust extension module ``influxlp._influxlp``."""

import datetime
import os
import pathlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, Self, final, overload

import numpy as np

from influxlp._headers import Headers

__version__: str  # the crate's version (Cargo.toml), also the package's

__all__ = [
    "LineProtocolError",
    "DatabaseNotFoundError",
    "RetentionPolicyNotFoundError",
    "Table",
    "Batch",
    "BatchIterator",
    "ConvertResult",
    "LineProtocolChunks",
    "Store",
    "WriteResult",
    "Server",
    "User",
    "Request",
    "SERVER_DEFAULTS",
    "convert",
    "iter_batches",
    "parse",
    "read",
    "_to_line_protocol",
    "__version__",
]

_Data = bytes | bytearray | memoryview | str
_Time = int | datetime.datetime | datetime.date | Any
_Source = str | os.PathLike[str] | bytes | bytearray | memoryview | Any

class LineProtocolError(ValueError):
    """A line InfluxDB would refuse; ``str()`` is InfluxDB's ``unable to parse '<line>':
    <message>`` (the message alone for a rejected point)."""

    def __init__(
        self,
        message: str,
        line: int = 0,
        column: int = 0,
        text: str = "",
        kind: Literal["syntax", "rejected"] = "syntax",
        errors: list[LineProtocolError] | None = None,
        source: str | None = None,
    ) -> None: ...
    @property
    def line(self) -> int:
        """1-based line number."""
    @property
    def column(self) -> int:
        """1-based byte column within the line."""
    @property
    def text(self) -> str:
        """The line's text."""
    @property
    def message(self) -> str:
        """InfluxDB's own message, e.g. ``invalid boolean``."""
    @property
    def kind(self) -> Literal["syntax", "rejected"]:
        """``syntax``: not valid line protocol; ``rejected``: refused at write time."""
    @property
    def errors(self) -> list[LineProtocolError]:
        """On a raised error of an atomic write: every bad line (else empty)."""
    @property
    def source(self) -> str | None:
        """From ``convert``: the source the line is in (its path, or ``<bytes>``)."""

SERVER_DEFAULTS: dict[str, Any]
"""``Server``'s defaults as the core sets them: ``host``, ``flavor``, ``max_body_size``,
``read_timeout``, ``max_connections``, ``shutdown_timeout``."""

class DatabaseNotFoundError(LookupError):
    """The database does not exist."""

class RetentionPolicyNotFoundError(LookupError):
    """The retention policy does not exist."""

@final
class Table:
    """The rows of one measurement: ``time``, then tag columns, then field columns."""

    @property
    def name(self) -> str: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def num_columns(self) -> int: ...
    @property
    def column_names(self) -> list[str]: ...
    @property
    def tag_columns(self) -> list[str]: ...
    @property
    def field_columns(self) -> list[str]: ...
    @property
    def field_types(self) -> dict[str, str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def _columns(
        self, *, string_objects: bool = True
    ) -> list[tuple[str, str, str, np.ndarray | None, np.ndarray | None, list[str] | None]]: ...
    def to_numpy(self) -> dict[str, np.ndarray]: ...
    def to_pandas(self) -> Any: ...
    def to_arrow(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def to_line_protocol(
        self,
        *,
        measurement: str | None = None,
        precision: str = "ns",
        chunk_rows: int | None = None,
    ) -> bytes | LineProtocolChunks:
        """The rows as line protocol, or chunks of at most ``chunk_rows`` lines."""

@final
class Batch(Mapping[str, Table]):
    """What ``parse`` returns: measurement name → ``Table``."""

    def __getitem__(self, measurement: str, /) -> Table: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def __contains__(self, measurement: object, /) -> bool: ...
    def keys(self) -> list[str]: ...  # type: ignore[override]
    def values(self) -> list[Table]: ...  # type: ignore[override]
    def items(self) -> list[tuple[str, Table]]: ...  # type: ignore[override]
    @overload
    def get(self, measurement: str) -> Table | None: ...
    @overload
    def get(self, measurement: str, default: Any) -> Any: ...
    @property
    def errors(self) -> list[LineProtocolError]: ...
    @property
    def num_points(self) -> int: ...
    @property
    def database(self) -> str | None:
        """The database an InfluxDB export puts these points in (``None``: plain line protocol)."""
    @property
    def retention_policy(self) -> str | None:
        """The retention policy an export puts these points in (``None``: plain line protocol)."""
    def to_line_protocol(
        self, *, precision: str = "ns", chunk_rows: int | None = None
    ) -> bytes | LineProtocolChunks:
        """Every table as line protocol, or chunks of at most ``chunk_rows`` lines."""

@final
class LineProtocolChunks(Iterator[bytes]):
    """Line protocol chunks of at most ``chunk_rows`` lines, each formatted when asked for."""

    def __iter__(self) -> LineProtocolChunks: ...
    def __next__(self) -> bytes: ...
    @property
    def lines_written(self) -> int:
        """Lines returned so far."""

def _to_line_protocol(
    data: Any,
    *,
    measurement: str | None = None,
    measurement_column: str | None = None,
    tag_columns: list[str] | None = None,
    field_columns: list[str] | None = None,
    time_column: str | None = None,
    precision: str = "ns",
    default_tags: list[tuple[str, str]] | None = None,
    chunk_rows: int | None = None,
    threads: int | None = None,
) -> bytes | LineProtocolChunks: ...
def parse(
    data: _Data,
    *,
    precision: str = "ns",
    default_time: _Time | None = None,
    errors: Literal["raise", "collect"] = "raise",
    allow_unsigned: bool = True,
    threads: int | None = None,
) -> Batch:
    """Parse line protocol into one ``Table`` per measurement.

    A large body is parsed on ``threads`` threads (``None``: every core) with the result of one
    pass; small bodies never start a thread.
    """

def read(
    source: _Source,
    *,
    precision: str = "ns",
    default_time: _Time | None = None,
    errors: Literal["raise", "collect"] = "raise",
    allow_unsigned: bool = True,
    byte_range: tuple[int, int] | None = None,
    threads: int | None = None,
) -> Batch:
    """Read a whole source into one ``Batch``.

    ``source`` is a path, a binary file object or bytes-like; gzip is recognised by its magic
    bytes. An InfluxDB export (``# DDL``, ``# CONTEXT-DATABASE:``) with one context gives a batch
    with ``.database`` and ``.retention_policy``; one with several raises ``ValueError`` (use
    ``iter_batches``). ``byte_range=(start, stop)`` reads the lines that start in
    ``[start, stop)`` of an uncompressed source; their line numbers count from the range's first
    line.
    """

def iter_batches(
    source: _Source,
    *,
    batch_bytes: int = 64 * 2**20,
    precision: str = "ns",
    default_time: _Time | None = None,
    errors: Literal["raise", "collect"] = "raise",
    allow_unsigned: bool = True,
    threads: int | None = None,
) -> Iterator[Batch]:
    """Read a source as ``Batch``es of about ``batch_bytes`` of line protocol each.

    Memory stays a small multiple of ``batch_bytes``; each batch holds one export context and
    error line numbers count over the whole input.
    """

@final
class BatchIterator(Iterator[Batch]):
    """What ``iter_batches`` returns."""

    def __iter__(self) -> BatchIterator: ...
    def __next__(self) -> Batch: ...

@final
class WriteResult:
    """What a write did."""

    @property
    def points_written(self) -> int: ...
    @property
    def points_dropped(self) -> int: ...
    @property
    def errors(self) -> list[LineProtocolError]: ...

@final
class Store:
    """An in-memory InfluxDB: databases → retention policies → measurements."""

    def __new__(cls, *, max_memory: int | None = None) -> Self: ...
    @property
    def max_memory(self) -> int | None: ...
    def write(
        self,
        data: _Data,
        *,
        db: str,
        rp: str | None = None,
        precision: str = "ns",
        default_time: _Time | None = None,
        atomic: bool = False,
        create_database: bool = True,
        allow_unsigned: bool = True,
    ) -> WriteResult: ...
    def create_database(self, name: str) -> None: ...
    def create_retention_policy(
        self,
        db: str,
        name: str,
        *,
        duration: None | int | float | datetime.timedelta | Any = None,
        default: bool = False,
    ) -> None: ...
    def table(
        self,
        measurement: str,
        *,
        db: str,
        rp: str | None = None,
        start: _Time | None = None,
        stop: _Time | None = None,
        tags: dict[str, str] | None = None,
    ) -> Table: ...
    def databases(self) -> list[str]: ...
    def retention_policies(self, db: str) -> list[dict[str, Any]]: ...
    def measurements(self, db: str, rp: str | None = None) -> list[str]: ...
    def field_keys(self, measurement: str, *, db: str, rp: str | None = None) -> dict[str, str]: ...
    def tag_keys(self, measurement: str, *, db: str, rp: str | None = None) -> list[str]: ...
    def tag_values(
        self, measurement: str, key: str, *, db: str, rp: str | None = None
    ) -> list[str]: ...
    def series(
        self, measurement: str | None = None, *, db: str, rp: str | None = None
    ) -> list[str]: ...
    def count(
        self, measurement: str | None = None, *, db: str | None = None, rp: str | None = None
    ) -> int: ...
    def drop_database(self, db: str) -> None: ...
    def drop_measurement(self, measurement: str, *, db: str, rp: str | None = None) -> None: ...
    def delete(
        self,
        measurement: str | None = None,
        *,
        db: str,
        rp: str | None = None,
        start: _Time | None = None,
        stop: _Time | None = None,
        tags: dict[str, str] | None = None,
    ) -> int: ...
    def clear(self) -> None: ...
    def memory_usage(self) -> int: ...
    def write_file(
        self,
        source: _Source,
        *,
        db: str | None = None,
        rp: str | None = None,
        precision: str = "ns",
        atomic: bool = False,
        create_database: bool = True,
        allow_unsigned: bool = True,
    ) -> WriteResult:
        """Write a file, file object or bytes of any size (gzip or not); an InfluxDB export
        creates its databases and policies and writes each context where it belongs."""
    def export(
        self,
        destination: str | os.PathLike[str],
        *,
        db: str | None = None,
        rp: str | None = None,
        measurements: Sequence[str] | None = None,
        start: _Time | None = None,
        stop: _Time | None = None,
    ) -> int:
        """Write the store (or the databases, policy, measurements and ``[start, stop)``
        selected) in InfluxDB's export format, gzip when the name ends in ``.gz``, which
        ``write_file`` and ``influx -import`` read back; the file appears only when complete.
        Returns the number of points written."""
    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the store into ``directory`` as a Parquet dataset with a catalog of its
        databases and policies, replacing a store saved there before (swapped in when
        complete)."""
    @staticmethod
    def load(directory: str | os.PathLike[str], *, max_memory: int | None = None) -> Store:
        """The store saved in ``directory`` by ``save``: same databases, policies, series,
        types and values."""

@final
class User:
    """A user the server accepts: an admin, or read/write privileges on the listed databases."""

    def __new__(
        cls,
        name: str,
        password: str,
        *,
        admin: bool = False,
        read: Sequence[str] = ...,
        write: Sequence[str] = ...,
    ) -> Self: ...
    @property
    def name(self) -> str: ...
    @property
    def admin(self) -> bool: ...
    @property
    def read(self) -> list[str]: ...
    @property
    def write(self) -> list[str]: ...

@final
class Request:
    """One entry of a server's request log; passwords and tokens show as ``[REDACTED]``."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str:
        """The path, without the query string."""
    @property
    def params(self) -> list[tuple[str, str]]:
        """Decoded query parameters in request order."""
    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
    @property
    def headers(self) -> Headers:
        """Request headers: case-insensitive, repeats joined with ``", "`` and listed by
        ``get_all(name)``."""
    @property
    def body(self) -> bytes:
        """The body as received (gzip still compressed)."""
    @property
    def decoded_body(self) -> bytes | None:
        """The body as the server read it (gzip inflated); ``None`` if it does not inflate."""
    @property
    def status(self) -> int | None:
        """The answer's status; ``None`` when the connection was dropped without one."""
    @property
    def response_headers(self) -> Headers:
        """The answer's headers, as ``headers``."""
    @property
    def response_body(self) -> bytes: ...
    @property
    def duration(self) -> float:
        """Seconds from arrival to answer (injected latency included)."""
    @property
    def time(self) -> datetime.datetime:
        """When the request arrived (UTC)."""
    @property
    def fault(self) -> str | None:
        """``fail_next``, ``fail_rate``, ``drop_next``, ``blackhole``, ``quota``, ``latency``
        (only delayed), or ``None``."""
    @property
    def latency(self) -> float:
        """Seconds of injected latency."""

@final
class Server:
    """A fake InfluxDB serving InfluxDB's HTTP API over an in-memory store."""

    def __new__(
        cls,
        *,
        host: str = ...,
        port: int = 0,
        flavor: Literal["v1", "v2", "v3", "cloud"] = "v1",
        store: Store | None = None,
        users: None | Sequence[User] | Mapping[str, str] = None,
        tokens: None | Sequence[str] | Mapping[str, User | None] = None,
        auto_create_databases: bool | None = None,
        max_body_size: int = ...,
        version: str | None = None,
        max_decompressed_size: int | None = None,
        log_requests: bool = False,
        request_log_size: int = ...,
        request_log_bytes: int = ...,
        read_timeout: float = ...,
        max_connections: int = ...,
        shutdown_timeout: float = ...,
        databases: Sequence[str] | None = None,
    ) -> Self:
        """``databases``: created in the store when the server starts, as the pytest
        fixtures' ``databases=`` does.

        ``users`` and ``tokens`` turn authentication on; without them a ``v2``/``cloud``
        server is open and un-onboarded until ``POST /api/v2/setup`` creates its first user,
        organization, bucket and token (then it asks for credentials, as 2.x does). Users,
        organizations and tokens made through the API belong to this server alone."""
    def start(self) -> None:
        """Bind and serve in the background; returns once the port accepts connections."""
    def stop(self) -> None:
        """Stop accepting, let in-flight requests finish (for up to ``shutdown_timeout``
        seconds, then close their connections), free the port; idempotent."""
    def reset(self) -> None:
        """Empty the store and the request log and clear every injected fault."""
    @property
    def requests(self) -> list[Request]:
        """Every request answered so far (the newest ``request_log_size``), oldest first."""
    @property
    def last_request(self) -> Request | None:
        """The newest request, or ``None``."""
    def points(
        self, measurement: str, db: str | None = None, rp: str | None = None
    ) -> list[dict[str, Any]]:
        """Stored points of ``measurement`` as ``{"time": ns, "tags": {...}, "fields": {...}}``
        dicts in stored order; ``db=None`` reads the only database; unknown ones give ``[]``."""
    def wait_for(
        self,
        count: int,
        measurement: str | None = None,
        db: str | None = None,
        timeout: float = 5.0,
    ) -> int:
        """Wait until at least ``count`` points are stored; returns the count or raises
        ``TimeoutError`` saying what the store holds."""
    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        retry_after: float | None = None,
        body: str | bytes | None = None,
    ) -> None:
        """Answer the next ``n`` writes with ``status`` in the flavor's error shape (or ``body``),
        with ``Retry-After`` (whole seconds, rounded up) when given."""
    def fail_rate(
        self,
        fraction: float,
        *,
        status: int = 503,
        retry_after: float | None = None,
        seed: int = 0,
        body: str | bytes | None = None,
    ) -> None:
        """Answer each write with ``status`` with probability ``fraction`` (seeded, deterministic);
        ``0`` turns it off."""
    def set_latency(self, seconds: float) -> None:
        """Delay every write's answer by ``seconds`` (the write is applied first); ``0`` is off."""
    def drop_next(self, n: int = 1) -> None:
        """Read the next ``n`` writes, then close their connections without answering."""
    def blackhole(self, enabled: bool = True) -> None:
        """While on, answer every write 204 and store nothing."""
    def set_quota(
        self, points_per_second: float | None = None, bytes_per_second: float | None = None
    ) -> None:
        """Answer writes over the quota 429 with ``Retry-After`` as InfluxDB Cloud does; ``None``
        lifts a limit."""
    def clear_faults(self) -> None:
        """Remove every injected fault."""
    def __enter__(self) -> Server: ...
    def __exit__(self, *exc: object) -> None: ...
    @property
    def is_running(self) -> bool: ...
    @property
    def url(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def flavor(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def store(self) -> Store: ...

@final
class ConvertResult:
    """What ``convert`` did."""

    @property
    def lines(self) -> int: ...
    @property
    def points_written(self) -> int: ...
    @property
    def points_dropped(self) -> int: ...
    @property
    def errors(self) -> list[LineProtocolError]:
        """Bad lines (each with ``.source``), in input order; the first 10,000."""
    @property
    def files(self) -> list[pathlib.Path]:
        """The dataset's files, sorted."""
    @property
    def bytes_read(self) -> int: ...
    @property
    def seconds(self) -> float: ...

def convert(
    sources: _Source | Sequence[_Source],
    destination: str | os.PathLike[str],
    *,
    format: Literal["parquet", "ipc", "csv", "lp"] = "parquet",
    partition_by: Sequence[str] = ...,  # ("measurement",)
    precision: str = "ns",
    default_time: _Time | None = None,
    errors: Literal["raise", "collect"] = "raise",
    allow_unsigned: bool = True,
    compression: Literal["zstd", "snappy", "none"] = "zstd",
    overwrite: bool = False,
    threads: int | None = None,
    progress: bool | Callable[[dict[str, Any]], object] | None = None,
) -> ConvertResult:
    """Convert line protocol sources into a Hive-partitioned Parquet, Arrow IPC or CSV dataset;
    with ``format="lp"``, line protocol, exports and Parquet datasets written by influxlp (a
    source that is a directory) into one line protocol file at ``destination`` (gzip when it
    ends in ``.gz``), an InfluxDB export when a source has databases."""
