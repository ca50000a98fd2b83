"""influxlp: InfluxDB's write path for Python.

Parse line protocol into Arrow tables (``parse``), keep writes in an in-memory store with
InfluxDB's semantics (``Store``), and serve InfluxDB's HTTP write API (``Server``).
"""

from collections.abc import Mapping

from ._headers import Headers
from ._influxlp import (
    SERVER_DEFAULTS,
    Batch,
    DatabaseNotFoundError,
    LineProtocolError,
    Request,
    RetentionPolicyNotFoundError,
    Server,
    Store,
    Table,
    User,
    WriteResult,
    parse,
)

Mapping.register(Batch)

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "DatabaseNotFoundError",
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
    "parse",
]
