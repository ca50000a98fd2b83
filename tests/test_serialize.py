"""``influxlp.to_line_protocol``: DataFrames and Arrow → line protocol, read back by ``parse``.

Round trips over random tables with hostile names, every dtype of pandas, polars and pyarrow,
the escapes, nulls and NaN, chunking and threads, bad input, and the same points as
influxdb-client's ``DataframeSerializer``.
"""

from __future__ import annotations

import datetime
import math
import random
import warnings
from decimal import Decimal

import influxlp
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

HOSTILE = [",", "=", " ", '"', "\\", "#", "é", "日本", "🙂", "\t", "a", "Z", "0", "_"]


def points(data: bytes) -> list[tuple]:
    """Every point of a line protocol body: (measurement, time, tags, fields), in input order
    within each measurement."""
    batch = influxlp.parse(data)
    out = []
    for name, table in batch.items():
        tags = set(table.tag_columns)
        for row in table.to_arrow().to_pylist():
            time = ns(row.pop("time"))
            out.append(
                (
                    name,
                    time,
                    {k: v for k, v in row.items() if k in tags and v is not None},
                    {k: v for k, v in row.items() if k not in tags and v is not None},
                )
            )
    return out


def ns(time: datetime.datetime) -> int:
    return int(pd.Timestamp(time).value)


# ------------------------------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------------------------------


def hostile(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(low, high)))


def writable_name(rng: random.Random) -> str:
    while True:
        name = hostile(rng, 1, 6)
        if not name.endswith("\\") and name != "time" and name[0] not in "\t#":
            if "\\ " not in name and not any(
                name[i] in ", =" and (len(name[:i]) - len(name[:i].rstrip("\\"))) % 2
                for i in range(len(name))
            ):
                return name


def random_table(rng: random.Random) -> tuple[pa.Table, list[str]]:
    rows = rng.randint(0, 30)
    columns: dict[str, pa.Array] = {}
    tag_keys = []
    for _ in range(rng.randint(0, 3)):
        key = writable_name(rng)
        if key in columns:
            continue
        values = [
            rng.choice([None, "", writable_name(rng), writable_name(rng)]) for _ in range(rows)
        ]
        columns[key] = pa.array(values, pa.string()).dictionary_encode()
        tag_keys.append(key)
    makers = {
        "float": lambda: rng.choice([None, math.nan, 0.0, -0.0, 0.1, 1e300, 5e-324, rng.random()]),
        "int": lambda: rng.choice([None, 0, -(2**63), 2**63 - 1, rng.randint(-(10**9), 10**9)]),
        "uint": lambda: rng.choice([None, 0, 2**64 - 1, rng.randint(0, 10**12)]),
        "bool": lambda: rng.choice([None, True, False]),
        "string": lambda: rng.choice([None, "", hostile(rng, 0, 8), "line\nbreak"]),
    }
    types = {
        "float": pa.float64(),
        "int": pa.int64(),
        "uint": pa.uint64(),
        "bool": pa.bool_(),
        "string": pa.string(),
    }
    for _ in range(rng.randint(1, 4)):
        key = writable_name(rng)
        if key in columns:
            continue
        kind = rng.choice(list(makers))
        values = [makers[kind]() for _ in range(rows)]
        columns[key] = pa.array(values, types[kind], from_pandas=False)
    low, high = -(2**63) + 2, 2**63 - 2
    columns["time"] = pa.array(
        [rng.randint(low, high) for _ in range(rows)], pa.timestamp("ns", "UTC")
    )
    return pa.table(columns), tag_keys


def expected_points(table: pa.Table, measurement: str, tag_keys: list[str]) -> list[tuple]:
    out = []
    for row in table.to_pylist():
        time = row.pop("time")
        tags = {k: row[k] for k in tag_keys if row[k]}
        fields = {
            k: v
            for k, v in row.items()
            if k not in tag_keys and v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        if fields:
            out.append((measurement, ns(time), tags, fields))
    return out


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal, floats compared by bits (-0.0 differs from 0.0)."""

    def key(value):
        if isinstance(value, float):
            return ("f", value.hex())
        return value

    def canonical(points):
        return [
            (m, t, tags, {k: key(v) for k, v in fields.items()}) for m, t, tags, fields in points
        ]

    return canonical(a) == canonical(b)


def test_parse_of_to_line_protocol_gives_the_table_back():
    rng = random.Random(11)
    for _ in range(300):
        table, tag_keys = random_table(rng)
        measurement = writable_name(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = influxlp.to_line_protocol(table, measurement=measurement, tag_columns=tag_keys)
        want = expected_points(table, measurement, tag_keys)
        assert same(points(data), want), data
        if not want:
            assert data == b""
            continue
        # An influxlp table written and read again is the same table, column for column.
        parsed = influxlp.parse(data)[measurement]
        again = influxlp.parse(parsed.to_line_protocol())[measurement]
        assert pa.table(again).equals(pa.table(parsed))
        assert influxlp.to_line_protocol(parsed) == parsed.to_line_protocol()


def test_chunks_and_threads_give_the_same_bytes():
    rng = np.random.default_rng(5)
    rows = 200_003
    values = rng.normal(size=rows)
    values[::7] = np.nan
    table = pa.table(
        {
            "host": pa.array([f"h {i % 13}" for i in range(rows)]).dictionary_encode(),
            "v": values,
            "n": pa.array(np.arange(rows), pa.int64()),
            "time": pa.array(np.arange(rows), pa.timestamp("ns", "UTC")),
        }
    )
    whole = influxlp.to_line_protocol(table, measurement="m", tag_columns=["host"], threads=1)
    assert whole == influxlp.to_line_protocol(table, measurement="m", tag_columns=["host"])
    assert whole == influxlp.to_line_protocol(
        table, measurement="m", tag_columns=["host"], threads=4
    )
    # Many small batches, chunked across their boundaries.
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=999))
    chunks = influxlp.to_line_protocol(
        reader, measurement="m", tag_columns=["host"], chunk_rows=50_000
    )
    assert isinstance(chunks, influxlp.LineProtocolChunks)
    parts = list(chunks)
    assert b"".join(parts) == whole
    assert all(0 < part.count(b"\n") <= 50_000 for part in parts)
    assert len(parts) == 5
    assert chunks.lines_written == rows
    # Batch and Table methods chunk the same way.
    batch = influxlp.parse(whole[: whole.index(b"\n", 10_000) + 1] + b"other x=1i 5\n")
    assert b"".join(batch.to_line_protocol(chunk_rows=7)) == batch.to_line_protocol()
    assert b"".join(batch["m"].to_line_protocol(chunk_rows=3)) == batch["m"].to_line_protocol()


# ------------------------------------------------------------------------------------------
# The rules
# ------------------------------------------------------------------------------------------


def test_every_element_is_escaped():
    table = pa.table(
        {
            "t k,=": ['v a,l="é\\x'],
            'f k,="': ['s "q" \\ ,= 日本\n'],
            "time": pa.array([1], pa.timestamp("ns")),
        }
    )
    data = influxlp.to_line_protocol(table, measurement='m e,a="🙂', tag_columns=["t k,="])
    assert (
        data
        == (
            'm\\ e\\,a\\=\\"🙂,t\\ k\\,\\==v\\ a\\,l\\="é\\x '
            'f\\ k\\,\\=\\"="s \\"q\\" \\\\ ,= 日本\n" 1\n'
        ).encode()
    )
    assert points(data) == [
        ('m e,a="🙂', 1, {"t k,=": 'v a,l="é\\x'}, {'f k,="': 's "q" \\ ,= 日本\n'})
    ]


def test_nulls_nan_and_empty_tags_are_left_out_and_empty_rows_skipped():
    frame = pd.DataFrame(
        {
            "host": ["a", None, "", "d"],
            "x": [1.0, None, math.nan, math.nan],
            "y": pd.array([None, 2, None, None], dtype="Int64"),
        },
        index=pd.to_datetime([1, 2, 3, 4], unit="s", utc=True),
    )
    with pytest.warns(UserWarning, match="2 row"):
        data = influxlp.to_line_protocol(frame, measurement="m", tag_columns=["host"])
    assert data == b"m,host=a x=1.0 1000000000\nm y=2i 2000000000\n"


def test_precisions_and_time_sources():
    times = pd.to_datetime(
        ["2024-01-01T00:00:01.5", "1969-12-31T23:59:59"], utc=True, format="ISO8601"
    )
    frame = pd.DataFrame({"v": [1, 2]}, index=times)
    cases = {
        "ns": [1704067201500000000, -1000000000],
        "us": [1704067201500000, -1000000],
        "ms": [1704067201500, -1000],
        "s": [1704067201, -1],
        "m": [28401120, -1],
        "h": [473352, -1],
    }
    for precision, want in cases.items():
        data = influxlp.to_line_protocol(frame, measurement="m", precision=precision)
        assert [int(line.split()[-1]) for line in data.splitlines()] == want, precision
    # A column named time, a named time column, integers taken as the precision, no time.
    table = pa.table({"time": pa.array([5], pa.timestamp("s")), "at": [7], "v": [1.0]})
    assert influxlp.to_line_protocol(table, measurement="m", precision="s") == b"m at=7i,v=1.0 5\n"
    assert (
        influxlp.to_line_protocol(
            table.drop_columns(["time"]), measurement="m", time_column="at", precision="ms"
        )
        == b"m v=1.0 7\n"
    )
    assert influxlp.to_line_protocol(pa.table({"v": [1.0]}), measurement="m") == b"m v=1.0\n"


def test_measurement_column_and_default_tags():
    table = pa.table({"name": ["cpu", "mem", "cpu"], "v": [1, 2, 3], "zone": ["a", None, "c"]})
    data = influxlp.to_line_protocol(
        table,
        measurement_column="name",
        tag_columns=["zone"],
        default_tags={"dc": "eu 1"},
    )
    assert data == b"cpu,dc=eu\\ 1,zone=a v=1i\nmem,dc=eu\\ 1 v=2i\ncpu,dc=eu\\ 1,zone=c v=3i\n"


# ------------------------------------------------------------------------------------------
# Every dtype
# ------------------------------------------------------------------------------------------


def test_pandas_dtypes():
    frame = pd.DataFrame(
        {
            "f64": np.array([1.5, np.nan], dtype="float64"),
            "f32": np.array([0.1, 2.0], dtype="float32"),
            "i8": np.array([-8, 8], dtype="int8"),
            "i64": np.array([-(2**63), 2**63 - 1], dtype="int64"),
            "u8": np.array([255, 0], dtype="uint8"),
            "u32": np.array([2**32 - 1, 0], dtype="uint32"),
            "u64": np.array([2**64 - 1, 0], dtype="uint64"),
            "b": [True, False],
            "obj": ["x", None],
            "str": pd.array(["s", None], dtype="string"),
            "cat": pd.Categorical(["c1", None]),
            "Int64": pd.array([None, 3], dtype="Int64"),
            "Float64": pd.array([2.5, None], dtype="Float64"),
            "boolean": pd.array([None, True], dtype="boolean"),
            "tag_cat": pd.Categorical(["t", "u"]),
            "tag_int": [1, 2],
        },
        index=pd.DatetimeIndex(["2024-01-01 01:00", "2024-01-01 02:00"], tz="Europe/Paris"),
    )
    data = influxlp.to_line_protocol(frame, measurement="m", tag_columns=["tag_cat", "tag_int"])
    got = points(data)
    assert got == [
        (
            "m",
            ns(datetime.datetime(2024, 1, 1, 0, tzinfo=datetime.timezone.utc)),
            {"tag_cat": "t", "tag_int": "1"},
            {
                "f64": 1.5,
                "f32": 0.1,
                "i8": -8,
                "i64": -(2**63),
                "u8": 255,
                "u32": 2**32 - 1,
                "u64": 2**64 - 1,
                "b": True,
                "obj": "x",
                "str": "s",
                "cat": "c1",
                "Float64": 2.5,
            },
        ),
        (
            "m",
            ns(datetime.datetime(2024, 1, 1, 1, tzinfo=datetime.timezone.utc)),
            {"tag_cat": "u", "tag_int": "2"},
            {
                "f32": 2.0,
                "i8": 8,
                "i64": 2**63 - 1,
                "u8": 0,
                "u32": 0,
                "u64": 0,
                "b": False,
                "Int64": 3,
                "boolean": True,
            },
        ),
    ]
    table = influxlp.parse(data)["m"]
    types = table.field_types
    assert types["u64"] == "unsigned" and types["u8"] == "integer" and types["f32"] == "float"
    # Naive and other-unit datetime columns; a tz-aware column as the time.
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01 00:00:01"]).astype("datetime64[ms]"),
            "v": [1.0],
        }
    )
    assert influxlp.to_line_protocol(frame, measurement="m", time_column="when", precision="s") == (
        b"m v=1.0 1704067201\n"
    )


def test_polars_dtypes():
    frame = pl.DataFrame(
        {
            "time": pl.Series([1_000, 2_000]).cast(pl.Datetime("us", "Asia/Tokyo")),
            "host": pl.Series(["a", None]).cast(pl.Categorical),
            "f32": pl.Series([0.5, None], dtype=pl.Float32),
            "f64": [1.25, float("nan")],
            "i16": pl.Series([-3, 3], dtype=pl.Int16),
            "u16": pl.Series([3, 4], dtype=pl.UInt16),
            "u64": pl.Series([2**64 - 1, 1], dtype=pl.UInt64),
            "b": [True, None],
            "s": ["x,y", "z"],
            "e": pl.Series(["lo", "hi"], dtype=pl.Enum(["lo", "hi"])),
        }
    )
    data = influxlp.to_line_protocol(frame, measurement="m", tag_columns=["host"])
    assert points(data) == [
        (
            "m",
            1_000_000,
            {"host": "a"},
            {
                "f32": 0.5,
                "f64": 1.25,
                "i16": -3,
                "u16": 3,
                "u64": 2**64 - 1,
                "b": True,
                "s": "x,y",
                "e": "lo",
            },
        ),
        ("m", 2_000_000, {}, {"i16": 3, "u16": 4, "u64": 1, "s": "z", "e": "hi"}),
    ]


def test_pyarrow_inputs_and_string_layouts():
    table = pa.table(
        {
            "a": pa.array(["x"], pa.large_string()),
            "b": pa.array(["y" * 20], pa.string_view()),
            "c": pa.array(["z"]).dictionary_encode(),
            "d": pa.array([1], pa.int32()),
        }
    )
    want = b'm a="x",b="' + b"y" * 20 + b'",c="z",d=1i\n'
    assert influxlp.to_line_protocol(table, measurement="m") == want
    assert influxlp.to_line_protocol(table.to_batches()[0], measurement="m") == want
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert influxlp.to_line_protocol(reader, measurement="m") == want


# ------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column",
    [
        pa.array([[1]]),
        pa.array([{"a": 1}]),
        pa.array([b"x"], pa.binary()),
        pa.array([Decimal("1.5")]),
        pa.array([datetime.timedelta(seconds=1)]),
    ],
    ids=["list", "struct", "binary", "decimal", "duration"],
)
def test_unsupported_dtypes_are_type_errors_naming_the_column(column):
    table = pa.table({"ok": [1.0], "bad": column})
    with pytest.raises(TypeError, match='column "bad"') as error:
        influxlp.to_line_protocol(table, measurement="m")
    assert error.value.column == "bad"


def test_bad_options_and_values_are_value_errors_naming_column_and_row():
    table = pa.table({"a": [1.0, -math.inf], "t": ["x", "y"], "time": [1, 2]})
    cases = [
        ({"measurement": "m"}, 'row 1, column "a": the value is infinite'),
        ({"measurement": "m", "tag_columns": ["nope"]}, 'column "nope": no such column'),
        ({"measurement": "m", "tag_columns": ["t", "t"]}, "listed twice"),
        (
            {"measurement": "m", "tag_columns": ["t"], "field_columns": ["t"]},
            "both as a tag and as a field",
        ),
        ({"measurement": ""}, 'measurement "" is empty'),
        ({"measurement": "m", "measurement_column": "t"}, "not both"),
        ({}, "a measurement is needed"),
        ({"measurement": "m", "precision": "d"}, "invalid precision"),
        ({"measurement": "m", "chunk_rows": 0}, "chunk_rows must be at least 1"),
        ({"measurement": "m", "default_tags": {"t": "v"}, "tag_columns": ["t"]}, "default tag"),
    ]
    for options, message in cases:
        with pytest.raises(ValueError, match=message):
            influxlp.to_line_protocol(table, **options)
    with pytest.raises(TypeError, match='column "t": type Utf8 cannot be the time'):
        influxlp.to_line_protocol(table, measurement="m", time_column="t")
    with pytest.raises(ValueError, match="time outside range") as error:
        influxlp.to_line_protocol(
            pa.table({"v": [1.0, 2.0], "time": [1, 2**62]}), measurement="m", precision="s"
        )
    assert (error.value.row, error.value.column) == (1, "time")
    with pytest.raises(ValueError, match="the measurement is null") as error:
        influxlp.to_line_protocol(
            pa.table({"v": [1.0, 2.0], "m": ["a", None]}), measurement_column="m"
        )
    assert error.value.row == 1
    key_time = pa.table({"ts": pa.array([1], pa.timestamp("s")), "time": [1.0]})
    with pytest.raises(ValueError, match='field key cannot be "time"'):
        influxlp.to_line_protocol(key_time, measurement="m", time_column="ts")
    with pytest.raises(ValueError, match="more than one column"):
        influxlp.to_line_protocol(pd.DataFrame([[1, 2]], columns=["a", "a"]), measurement="m")
    with pytest.raises(TypeError, match='column "x"'):
        influxlp.to_line_protocol(pd.DataFrame({"x": [1, "a"]}), measurement="m")
    with pytest.raises(TypeError, match="not list"):
        influxlp.to_line_protocol([1, 2], measurement="m")


def test_an_error_in_a_later_chunk_stops_the_iterator():
    table = pa.table({"v": [1.0] * 10 + [math.inf]})
    chunks = influxlp.to_line_protocol(table, measurement="m", chunk_rows=5)
    assert next(chunks) == b"m v=1.0\n" * 5
    assert next(chunks) == b"m v=1.0\n" * 5
    with pytest.raises(ValueError, match="row 10"):
        next(chunks)
    assert list(chunks) == []


# ------------------------------------------------------------------------------------------
# The same points as influxdb-client
# ------------------------------------------------------------------------------------------


def test_same_points_as_influxdb_client_dataframe_serializer():
    from influxdb_client.client.write.dataframe_serializer import DataframeSerializer
    from influxdb_client.client.write_api import PointSettings

    rng = np.random.default_rng(7)
    rows = 500
    floats = rng.normal(size=rows)
    floats[::5] = np.nan
    frame = pd.DataFrame(
        {
            "host": rng.choice(["a", "b c", "d,e", "f=g"], rows),
            "region": rng.choice(["eu", "us"], rows),
            "load": floats,
            "count": rng.integers(-(10**6), 10**6, rows),
            "up": rng.random(rows) < 0.5,
            "note": rng.choice(["ok", 'said "hi"', "back\\slash", "a b,c=d"], rows),
        },
        index=pd.DatetimeIndex(1_700_000_000_000_000_000 + np.arange(rows) * 10**9, tz="UTC"),
    )
    tags = ["host", "region"]
    theirs = DataframeSerializer(
        frame,
        PointSettings(),
        precision="ns",
        data_frame_measurement_name="cpu",
        data_frame_tag_columns=tags,
    ).serialize()
    ours = influxlp.to_line_protocol(frame, measurement="cpu", tag_columns=tags)
    assert points(ours) == points("\n".join(theirs).encode())
    assert len(ours.splitlines()) == len(theirs) == rows


def test_pandas_without_pyarrow_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        influxlp.to_line_protocol(pd.DataFrame({"v": [1.0]}), measurement="m")


def test_the_gil_is_released_while_formatting():
    import threading
    import time

    rows = 2_000_000
    table = pa.table({"v": np.arange(rows, dtype="float64") / 3})
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        start = time.perf_counter()
        influxlp.to_line_protocol(table, measurement="m", threads=1)
        end = time.perf_counter()
    finally:
        done.set()
        ticker.join()
    # The other thread kept running during the call.
    assert any(start < t < end for t in ticks)
