"""Line protocol files as a Dask DataFrame, read the way ``dask.dataframe.read_csv`` reads CSV.

Each partition is one ``influxlp.read(path, byte_range=(start, stop))`` call: a plain file is split
into blocks of ``blocksize`` bytes, each reading exactly the lines that start in it (so every
line is read once), and a gzip file is one partition. Needs the ``dask`` extra
(``pip install 'influxlp[dask]'``).
"""

from __future__ import annotations

import functools
import glob
import os
from collections.abc import Sequence
from typing import Any

import influxlp

__all__ = ["read_line_protocol"]

_GZIP_MAGIC = b"\x1f\x8b"


def _paths(urlpath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files a path, a glob pattern or a list of them names, sorted within each pattern."""
    patterns = [urlpath] if isinstance(urlpath, (str, os.PathLike)) else list(urlpath)
    paths: list[str] = []
    for pattern in patterns:
        text = os.path.expanduser(os.fspath(pattern))
        if glob.has_magic(text):
            matched = sorted(glob.glob(text, recursive=True))
            if not matched:
                raise FileNotFoundError(f"{text}: no file matches the pattern")
            paths.extend(matched)
        else:
            if not os.path.exists(text):
                raise FileNotFoundError(f"{text}: no such file")
            paths.append(text)
    if not paths:
        raise FileNotFoundError("no file to read: urlpath is empty")
    return paths


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as file:
        return file.read(2) == _GZIP_MAGIC


def _blocks(path: str, blocksize: int | None) -> list[tuple[int, int] | None]:
    """The byte ranges of one file's partitions; ``None`` reads the file whole."""
    if blocksize is None or _is_gzip(path):
        return [None]
    size = os.path.getsize(path)
    if size <= blocksize:
        return [None]
    return [(start, min(start + blocksize, size)) for start in range(0, size, blocksize)]


def _frame(
    path: str, byte_range: tuple[int, int] | None, measurement: str, options: dict[str, Any]
):
    """One partition as pandas: the measurement's rows in the range (none: an empty frame)."""
    import pandas as pd

    batch = influxlp.read(path, byte_range=byte_range, **options)
    table = batch.get(measurement)
    if table is None:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
    return table.to_pandas()


def _conform(frame, meta, where: str):
    """The partition with exactly the columns (and dtypes) of ``meta``."""
    import pandas as pd

    extra = [c for c in frame.columns if c not in meta.columns]
    if extra:
        raise ValueError(
            f"{where} has columns {extra} that the first partition lacks; a Dask DataFrame has one "
            "schema: convert the files with influxlp.convert() and read the dataset with "
            "dask.dataframe.read_parquet(), which unites the columns of every file"
        )
    columns = {}
    for name, dtype in meta.dtypes.items():
        if name in frame.columns:
            column = frame[name]
            if isinstance(dtype, pd.CategoricalDtype):
                columns[name] = column.astype("category")
            else:
                columns[name] = column.astype(dtype)
        else:
            empty = "category" if isinstance(dtype, pd.CategoricalDtype) else dtype
            columns[name] = pd.Series([None] * len(frame), dtype=empty, index=frame.index)
    return pd.DataFrame(columns, index=frame.index)


def _nullable(meta):
    """``meta`` with the nullable dtype ``to_pandas()`` gives a field column that has nulls:
    a column without nulls in one partition may have some in another."""
    import pandas as pd

    nullable = {"int64": "Int64", "uint64": "UInt64", "bool": "boolean", "object": "string"}
    return meta.astype(
        {
            name: nullable[str(dtype)]
            for name, dtype in meta.dtypes.items()
            if not isinstance(dtype, pd.CategoricalDtype) and str(dtype) in nullable
        }
    )


def _partition(
    part: tuple[str, tuple[int, int] | None], *, measurement: str, options: dict, schema
):
    path, byte_range = part
    frame = _frame(path, byte_range, measurement, options)
    where = path if byte_range is None else f"{path} bytes {byte_range[0]}-{byte_range[1]}"
    return _conform(frame, schema, where)


def read_line_protocol(
    urlpath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    measurement: str,
    blocksize: int | str | None = "128MiB",
    **read_options: Any,
):
    """One measurement of line protocol files as a ``dask.dataframe.DataFrame``.

    ``urlpath`` is a local path, a glob pattern (``"logs/*.lp.gz"``) or a list of them. Plain
    files are split into line-aligned partitions of about ``blocksize`` bytes (``None``: one per
    file); gzip files, recognised by their magic bytes, are one partition each. ``read_options``
    are ``influxlp.read``'s keywords (``precision``, ``default_time``, ``errors``,
    ``allow_unsigned``, ``threads``). The columns and dtypes are those ``Table.to_pandas()`` gives
    for the first partition (tags are categoricals, fields nullable dtypes); a partition where
    the measurement has columns the first lacks is an error, as a Dask DataFrame has one schema.
    With ``errors="raise"`` (the default) a bad line fails the computation; line numbers in
    errors count from the first line of the partition's byte range.
    """
    import dask.dataframe as dd
    from dask.dataframe.utils import clear_known_categories
    from dask.utils import parse_bytes

    if "byte_range" in read_options:
        raise TypeError(
            "read_line_protocol() chooses the byte ranges itself: byte_range is not an option"
        )
    if blocksize is not None:
        blocksize = parse_bytes(blocksize)
        if blocksize < 1:
            raise ValueError(f"blocksize must be positive, not {blocksize}")
    parts = [(path, block) for path in _paths(urlpath) for block in _blocks(path, blocksize)]
    # The schema (dask's "meta") from the first partition that holds the measurement.
    sample = None
    for path, byte_range in parts:
        sample = _frame(path, byte_range, measurement, read_options)
        if len(sample.columns) > 1:
            break
    meta = _nullable(clear_known_categories(sample.iloc[:0]))
    read_part = functools.partial(
        _partition, measurement=measurement, options=read_options, schema=meta
    )
    return dd.from_map(
        read_part,
        parts,
        meta=meta,
        enforce_metadata=False,
        label="read-line-protocol",
    )
