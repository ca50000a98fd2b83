"""Type stubs of the Rust extension module ``influxlp._influxlp``."""

import datetime
from collections.abc import Iterator, Mapping
from typing import Any, Literal, Optional, Union, overload

import numpy as np

_Data = Union[bytes, bytearray, memoryview, str]
_Time = Union[int, datetime.datetime, datetime.date, Any]

class LineProtocolError(ValueError):
    """A line InfluxDB would refuse."""

    line: int
    """1-based line number."""
    column: int
    """1-based byte column within the line."""
    text: str
    """The line's text."""
    message: str
    """InfluxDB's own message, e.g. ``invalid boolean``."""
    kind: Literal["syntax", "rejected"]
    """``syntax``: not valid line protocol; ``rejected``: refused at write time."""
    errors: list[LineProtocolError]
    """On a raised error of an atomic write: every bad line."""

class DatabaseNotFoundError(LookupError):
    """The database does not exist."""

class RetentionPolicyNotFoundError(LookupError):
    """The retention policy does not exist."""

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
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def _columns(
        self,
    ) -> list[tuple[str, str, str, np.ndarray, Optional[np.ndarray], Optional[list[str]]]]: ...
    def to_numpy(self) -> dict[str, np.ndarray]: ...
    def to_pandas(self) -> Any: ...
    def to_arrow(self) -> Any: ...
    def to_polars(self) -> Any: ...

class Batch(Mapping[str, Table]):
    """What ``parse`` returns: measurement name → ``Table``."""

    def __getitem__(self, measurement: str) -> Table: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def __contains__(self, measurement: object) -> bool: ...
    @overload
    def get(self, measurement: str) -> Optional[Table]: ...
    @overload
    def get(self, measurement: str, default: Any) -> Any: ...
    @property
    def errors(self) -> list[LineProtocolError]: ...
    @property
    def num_points(self) -> int: ...

def parse(
    data: _Data,
    *,
    precision: str = "ns",
    default_time: Optional[_Time] = None,
    errors: Literal["raise", "collect"] = "raise",
    allow_unsigned: bool = True,
) -> Batch:
    """Parse line protocol into one ``Table`` per measurement."""

class WriteResult:
    """What a write did."""

    @property
    def points_written(self) -> int: ...
    @property
    def points_dropped(self) -> int: ...
    @property
    def errors(self) -> list[LineProtocolError]: ...

class Store:
    """An in-memory InfluxDB: databases → retention policies → measurements."""

    def __init__(self) -> None: ...
    def write(
        self,
        data: _Data,
        *,
        db: str,
        rp: Optional[str] = None,
        precision: str = "ns",
        default_time: Optional[_Time] = None,
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
        duration: Union[None, int, float, datetime.timedelta, Any] = None,
        default: bool = False,
    ) -> None: ...
    def table(
        self,
        measurement: str,
        *,
        db: str,
        rp: Optional[str] = None,
        start: Optional[_Time] = None,
        stop: Optional[_Time] = None,
        tags: Optional[dict[str, str]] = None,
    ) -> Table: ...
    def databases(self) -> list[str]: ...
    def retention_policies(self, db: str) -> list[dict[str, Any]]: ...
    def measurements(self, db: str, rp: Optional[str] = None) -> list[str]: ...
    def field_keys(self, measurement: str, *, db: str, rp: Optional[str] = None) -> dict[str, str]: ...
    def tag_keys(self, measurement: str, *, db: str, rp: Optional[str] = None) -> list[str]: ...
    def tag_values(
        self, measurement: str, key: str, *, db: str, rp: Optional[str] = None
    ) -> list[str]: ...
    def series(
        self, measurement: Optional[str] = None, *, db: str, rp: Optional[str] = None
    ) -> list[str]: ...
    def count(
        self, measurement: Optional[str] = None, *, db: Optional[str] = None, rp: Optional[str] = None
    ) -> int: ...
    def drop_database(self, db: str) -> None: ...
    def drop_measurement(self, measurement: str, *, db: str, rp: Optional[str] = None) -> None: ...
    def clear(self) -> None: ...
    def memory_usage(self) -> int: ...
