"""Conversions of ``Table`` into numpy, pandas, pyarrow and polars objects.

Fixed-width columns (time, integers, floats, tag codes) come from Rust as read-only numpy views
of the Arrow buffers, so the conversions copy only what a target format forces them to: a
pandas DataFrame is the caller's to write to, so its fixed-width columns are copied once.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._influxlp import Table

_MASKED_PANDAS_ARRAYS = {
    "float": "FloatingArray",
    "integer": "IntegerArray",
    "unsigned": "IntegerArray",
    "boolean": "BooleanArray",
}


def _decode_tags(codes: np.ndarray, categories: list[str]) -> np.ndarray:
    lookup = np.empty(len(categories) + 1, dtype=object)
    lookup[:-1] = categories
    lookup[-1] = None  # code -1 (null) indexes the last slot
    return lookup[codes]


def to_numpy(table: Table) -> dict[str, np.ndarray]:
    """A dict of numpy arrays: ``time`` as ``datetime64[ns]`` (UTC), tags and strings as object
    arrays (``None`` where absent), numbers and booleans as numpy dtypes; a numeric or boolean
    column with absent values is a ``numpy.ma.MaskedArray``."""
    out: dict[str, np.ndarray] = {}
    for name, _role, kind, values, mask, categories in table._columns():
        if kind == "timestamp":
            out[name] = values.view("datetime64[ns]")
        elif kind == "dictionary":
            out[name] = _decode_tags(values, categories)
        elif mask is not None and kind != "string":
            out[name] = np.ma.MaskedArray(values, mask=mask)
        else:
            out[name] = values
    return out


def to_pandas(table: Table) -> Any:
    """A pandas DataFrame: ``time`` as ``datetime64[ns, UTC]``, tags as categoricals, fields in
    numpy dtypes, or pandas' nullable dtypes (``Float64``, ``Int64``, ``UInt64``, ``boolean``,
    ``string``) where a column has absent values. The frame's columns are its own: writing to
    them leaves the table as it was."""
    import pandas as pd

    arrow_strings = _arrow_string_dtypes(pd)
    arrow_table = None
    columns: dict[str, Any] = {}
    for name, _role, kind, values, mask, categories in table._columns(
        string_objects=arrow_strings is None
    ):
        if kind == "timestamp":
            # Integers are read as UTC epoch nanoseconds: one copy, no localizing pass.
            columns[name] = pd.DatetimeIndex(_writable(values), dtype=_UTC_NANOSECONDS, copy=False)
        elif kind == "dictionary":
            columns[name] = pd.Categorical.from_codes(
                values, categories=categories, **_trusted_codes(pd)
            )
        elif kind == "string" and arrow_strings is not None:
            if arrow_table is None:
                arrow_table = to_arrow(table)
            dtype = arrow_strings[0] if mask is None else arrow_strings[1]
            columns[name] = pd.array(arrow_table.column(name), dtype=dtype)
        elif mask is None:
            columns[name] = _writable(values)
        elif kind == "string":
            columns[name] = pd.array(values, dtype="string")
        else:
            array_type = getattr(pd.arrays, _MASKED_PANDAS_ARRAYS[kind])
            columns[name] = array_type(_writable(values), mask)
    return pd.DataFrame(columns, copy=False)


_UTC_NANOSECONDS = "datetime64[ns, UTC]"


def _writable(values: np.ndarray) -> np.ndarray:
    """``values``, copied if it is a read-only view of the table: pandas writes into the arrays
    it is given (``frame.loc[...] = ...``) and fails on a read-only one."""
    return values if values.flags.writeable else values.copy()


@functools.cache
def _trusted_codes(pd: Any) -> dict[str, bool]:
    """``from_codes`` arguments that skip checking each code against the categories (pandas 2.1
    and later): the codes come from the table's own dictionary, in range by construction."""
    import inspect

    parameters = inspect.signature(pd.Categorical.from_codes).parameters
    return {"validate": False} if "validate" in parameters else {}


def _arrow_string_dtypes(pd: Any) -> tuple[Any, Any] | None:
    """The dtypes pandas gives a string column without and with absent values (from Python
    strings, and ``"string"``) when both keep their values in Arrow memory (pandas 3 with
    pyarrow): such columns are then built from the Arrow column, without a Python object per
    value. ``None`` when either is another dtype (object, or Python storage)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    dtypes = (pd.Series(["a"]).dtype, pd.api.types.pandas_dtype("string"))
    if all(isinstance(d, pd.StringDtype) and d.storage == "pyarrow" for d in dtypes):
        return dtypes
    return None


def to_arrow(table: Table) -> Any:
    """A ``pyarrow.Table`` through the Arrow PyCapsule stream (no copy)."""
    import pyarrow as pa

    return pa.table(table)


def to_polars(table: Table) -> Any:
    """A ``polars.DataFrame`` through the Arrow PyCapsule stream."""
    import polars as pl

    return pl.DataFrame(table)
