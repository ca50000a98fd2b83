"""``to_line_protocol``: DataFrames and Arrow data to InfluxDB line protocol.

The formatting is the Rust core's (``influxlp._influxlp._to_line_protocol``); this module only
brings inputs to Arrow: pandas frames through pyarrow (their ``DatetimeIndex`` as the time),
polars and pyarrow objects through the Arrow PyCapsule interface, influxlp tables with their
own name as the measurement.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._influxlp import Batch, Table, _to_line_protocol

# The column a pandas DatetimeIndex becomes; never written (the time column has no name in
# line protocol); underscores are added while a frame column has that name.
_INDEX_TIME = "__influxlp_index_time__"


def to_line_protocol(
    data: Any,
    *,
    measurement: str | None = None,
    measurement_column: str | None = None,
    tag_columns: Sequence[str] | None = None,
    field_columns: Sequence[str] | None = None,
    time_column: str | None = None,
    precision: str = "ns",
    default_tags: Mapping[str, str] | None = None,
    chunk_rows: int | None = None,
    threads: int | None = None,
) -> bytes | Iterator[bytes]:
    """Write ``data`` as InfluxDB line protocol, one line per row, in row order.

    ``data``: a pandas or polars DataFrame, a pyarrow Table / RecordBatch / RecordBatchReader,
    an influxlp ``Table`` or ``Batch``, or anything with ``__arrow_c_stream__``.

    - Measurement: ``measurement`` (a name) or ``measurement_column`` (a string column); an
      influxlp ``Table`` defaults to its own name.
    - Time: ``time_column``, else a pandas ``DatetimeIndex``, else a column named ``time``, else
      no timestamp. Datetimes of any unit and time zone are taken as instants (UTC); integer
      columns are taken as already in ``precision``. Timestamps are written in ``precision``
      (``ns``, ``us``, ``ms``, ``s``, ``m``, ``h``), sub-unit digits floored.
    - Tags: ``tag_columns`` (strings, categoricals, integers) plus ``default_tags``, sorted by
      key; a null or empty value leaves the tag out of that line, as InfluxDB drops it.
    - Fields: ``field_columns``, else every other column. Floats are written as the shortest
      text that reads back to the same value, int64 as ``i``, uint64 as ``u``, booleans, strings
      quoted. Null and NaN leave the field out of that line; a row with no field left is skipped
      (a ``UserWarning`` gives the count), as InfluxDB refuses points without fields.

    Returns ``bytes``, or with ``chunk_rows`` an iterator of ``bytes`` of at most that many lines
    each, formatted one at a time. ``threads``: how many cores format (default all); the output
    is the same for any number. The GIL is released while formatting.

    Raises ``TypeError`` for a column whose type has no line protocol form (lists, structs,
    binary, decimals, durations), and ``ValueError`` for unknown or repeated columns, a column in
    two roles, names InfluxDB refuses (empty, a field or tag key ``time``), null measurements, ±inf
    and times outside InfluxDB's range; both name the column (``.column``) and, for values, the
    0-based row (``.row``).
    """
    if isinstance(data, Batch):
        return _batch(
            data,
            measurement=measurement,
            measurement_column=measurement_column,
            tag_columns=tag_columns,
            field_columns=field_columns,
            time_column=time_column,
            precision=precision,
            default_tags=default_tags,
            chunk_rows=chunk_rows,
            threads=threads,
        )
    if isinstance(data, Table):
        if measurement is None and measurement_column is None:
            measurement = data.name
    elif _is_pandas(data):
        data, time_column = _from_pandas(data, time_column)
    elif not (hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")):
        if hasattr(data, "to_arrow"):  # older polars
            data = data.to_arrow()
        else:
            raise TypeError(
                "to_line_protocol takes a pandas or polars DataFrame, pyarrow data, an influxlp "
                f"Table or Batch, or an object with __arrow_c_stream__; not {type(data).__name__}"
            )
    return _to_line_protocol(
        data,
        measurement=measurement,
        measurement_column=measurement_column,
        tag_columns=None if tag_columns is None else list(tag_columns),
        field_columns=None if field_columns is None else list(field_columns),
        time_column=time_column,
        precision=precision,
        default_tags=None if default_tags is None else list(default_tags.items()),
        chunk_rows=chunk_rows,
        threads=threads,
    )


def _batch(batch: Batch, **options: Any) -> bytes | Iterator[bytes]:
    """Every table of a parsed ``Batch``, each under its own name unless one is given."""
    parts = [to_line_protocol(table, **options) for table in batch.values()]
    if options["chunk_rows"] is None:
        return b"".join(parts)  # type: ignore[arg-type]
    return (chunk for part in parts for chunk in part)  # type: ignore[union-attr]


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.partition(".")[0] == "pandas" and hasattr(data, "iloc")


def _from_pandas(frame: Any, time_column: str | None) -> tuple[Any, str | None]:
    """A pandas DataFrame as a pyarrow Table, its DatetimeIndex (when it is the time) a column."""
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError(
            "to_line_protocol reads pandas DataFrames through pyarrow, which is not installed: "
            "pip install pyarrow"
        ) from None
    import numpy as np
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    names = [str(name) for name in frame.columns]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _column_error(ValueError, name, "more than one column has this name")
        seen.add(name)
    columns = {name: frame.iloc[:, i] for i, name in enumerate(names)}
    if time_column is None and isinstance(frame.index, pd.DatetimeIndex):
        time_column = _INDEX_TIME
        while time_column in columns:
            time_column = f"_{time_column}_"
        columns[time_column] = frame.index
    arrays = {}
    for name, values in columns.items():
        # NaN is left out of a line as null is, so numpy float columns need no null mask: they
        # are taken as they are, without a pass over them.
        numpy_float = isinstance(values.dtype, np.dtype) and values.dtype.kind == "f"
        try:
            arrays[name] = pa.array(values, from_pandas=not numpy_float)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise _column_error(
                TypeError, name, f"cannot be read as one Arrow type ({error})"
            ) from None
    return pa.table(arrays), time_column


def _column_error(kind: type[Exception], column: str, message: str) -> Exception:
    error = kind(f'column "{column}": {message}')
    error.column = column  # type: ignore[attr-defined]
    error.row = None  # type: ignore[attr-defined]
    return error
