"""influxlp: InfluxDB's write path for Python.

Parse line protocol into Arrow tables (``parse``), keep writes in an in-memory store with
InfluxDB's semantics (``Store``), and serve InfluxDB's HTTP write API (``Server``).
"""

from collections.abc import Mapping

from ._interpreter import require_supported_interpreter

# Before the extension module loads: a free-threaded CPython gets a clear ImportError.
require_supported_interpreter()

from ._headers import Headers  # noqa: E402
from ._influxlp import (  # noqa: E402
    SERVER_DEFAULTS,
    Batch,
    BatchIterator,
    ConvertResult,
    DatabaseNotFoundError,
    LineProtocolChunks,
    LineProtocolError,
    Request,
    RetentionPolicyNotFoundError,
    Server,
    Store,
    Table,
    User,
    WriteResult,
    convert,
    iter_batches,
    parse,
    read,
)
from ._influxlp import __version__ as __version__  # noqa: E402
from ._serialize import to_line_protocol  # noqa: E402

Mapping.register(Batch)

__all__ = [
    "Batch",
    "BatchIterator",
    "ConvertResult",
    "DatabaseNotFoundError",
    "LineProtocolChunks",
    "Headers",
    "LineProtocolError",
    "Request",
    "RetentionPolicyNotFoundError",
    "SERVER_DEFAULTS",
    "Server",
    "Store",
    "Table",
    "User",
    "WriteResult",
    "convert",
    "iter_batches",
    "parse",
    "read",
    "to_line_protocol",
]
