"""influxlp.parse(): the Python contract, errors, and what numpy, pandas, pyarrow and polars see."""

import datetime
import sys

import influxlp
import numpy as np
import pytest

T0 = 1_700_000_000_000_000_000


def test_parse_returns_a_mapping_of_tables(telegraf_lines):
    batch = influxlp.parse(telegraf_lines)
    assert list(batch) == ["cpu"]
    assert len(batch) == 1 and "cpu" in batch and "mem" not in batch
    assert batch.get("mem") is None
    assert batch.num_points == 10
    assert batch.errors == []
    table = batch["cpu"]
    assert table.name == "cpu"
    assert table.num_rows == 10 == len(table)
    assert table.column_names == [
        "time",
        "cpu",
        "host",
        "region",
        "usage_idle",
        "usage_iowait",
        "usage_system",
        "usage_user",
    ]
    assert table.tag_columns == ["cpu", "host", "region"]
    assert table.field_columns == ["usage_idle", "usage_iowait", "usage_system", "usage_user"]
    assert table.field_types == {
        "usage_idle": "float",
        "usage_iowait": "float",
        "usage_system": "float",
        "usage_user": "float",
    }
    with pytest.raises(KeyError):
        batch["mem"]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda b: b.decode()])
def test_parse_accepts_bytes_bytearray_memoryview_and_str(kind):
    batch = influxlp.parse(kind(b"m v=1i 5\n"))
    assert batch["m"].to_numpy()["v"].tolist() == [1]


def test_parse_rejects_other_types():
    with pytest.raises(TypeError, match="line protocol must be"):
        influxlp.parse(12)


def test_parse_reads_any_buffer_of_single_bytes_and_no_other():
    import array
    import mmap

    assert influxlp.parse(array.array("B", b"m v=2i 5\n"))["m"].to_numpy()["v"].tolist() == [2]
    assert influxlp.parse(memoryview(b"xm v=3i 5\n")[1:])["m"].to_numpy()["v"].tolist() == [3]
    with mmap.mmap(-1, 9) as mapped:
        mapped.write(b"m v=4i 5\n")
        assert influxlp.parse(mapped)["m"].to_numpy()["v"].tolist() == [4]
    # a buffer of wider items is not text: refused, not reinterpreted byte by byte
    with pytest.raises(TypeError, match="not array"):
        influxlp.parse(array.array("i", [1, 2]))
    with pytest.raises(TypeError, match="not list"):
        influxlp.parse([109, 32])


def test_every_field_type_keeps_its_influxdb_type():
    data = b'm f=1.5,i=-3i,u=7u,b=true,s="a \\"q\\"" 1\n'
    table = influxlp.parse(data)["m"]
    assert table.field_types == {
        "b": "boolean",
        "f": "float",
        "i": "integer",
        "s": "string",
        "u": "unsigned",
    }
    arrays = table.to_numpy()
    assert arrays["f"].dtype == np.float64 and arrays["f"][0] == 1.5
    assert arrays["i"].dtype == np.int64 and arrays["i"][0] == -3
    assert arrays["u"].dtype == np.uint64 and arrays["u"][0] == 7
    assert arrays["b"].dtype == np.bool_ and bool(arrays["b"][0]) is True
    assert arrays["s"].dtype == object and arrays["s"][0] == 'a "q"'
    assert arrays["time"].dtype == np.dtype("datetime64[ns]")
    assert arrays["time"].astype(np.int64).tolist() == [1]


def test_precision_scales_timestamps():
    for precision, factor in [
        ("ns", 1),
        ("u", 1_000),
        ("ms", 10**6),
        ("s", 10**9),
        ("h", 3600 * 10**9),
    ]:
        table = influxlp.parse(b"m v=1 2", precision=precision)["m"]
        assert table.to_numpy()["time"].astype(np.int64).tolist() == [2 * factor]


def test_bad_precision_is_a_value_error():
    with pytest.raises(ValueError, match="invalid precision"):
        influxlp.parse(b"m v=1", precision="fortnight")


def test_lines_without_timestamp_share_the_default_time():
    batch = influxlp.parse(b"m v=1\nm v=2\n", default_time=42)
    assert batch["m"].to_numpy()["time"].astype(np.int64).tolist() == [42, 42]


def test_default_time_is_now_truncated_to_the_precision():
    before = datetime.datetime.now(datetime.timezone.utc).timestamp()
    stamp = influxlp.parse(b"m v=1", precision="s")["m"].to_numpy()["time"].astype(np.int64)[0]
    after = datetime.datetime.now(datetime.timezone.utc).timestamp()
    assert stamp % 10**9 == 0
    assert int(before) * 10**9 <= stamp <= int(after) * 10**9


def test_default_time_accepts_datetime():
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
    stamp = influxlp.parse(b"m v=1", default_time=when)["m"].to_numpy()["time"][0]
    assert stamp == np.datetime64("2024-01-02T03:04:05.678901000")


def test_first_bad_line_raises_with_line_column_text_and_message():
    with pytest.raises(influxlp.LineProtocolError) as caught:
        influxlp.parse(b"m v=1 1\n\nm v=+1 2\n")
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.line == 3
    assert error.column >= 1
    assert error.text == "m v=+1 2"
    assert error.message == "invalid boolean"
    assert str(error) == "unable to parse 'm v=+1 2': invalid boolean"


def test_collect_skips_bad_lines_and_lists_them():
    batch = influxlp.parse(b"m v=1 1\nbad\nm v=2 2\nm v= 3\n", errors="collect")
    assert batch["m"].num_rows == 2
    assert [(e.line, e.message) for e in batch.errors] == [
        (2, "missing fields"),
        (4, "missing field value"),
    ]


def test_errors_argument_is_checked():
    with pytest.raises(ValueError, match="errors must be"):
        influxlp.parse(b"m v=1", errors="ignore")


def test_unsigned_can_be_refused_as_influxdb_1x_does():
    assert influxlp.parse(b"m v=1u 1")["m"].field_types == {"v": "unsigned"}
    with pytest.raises(influxlp.LineProtocolError, match="invalid number"):
        influxlp.parse(b"m v=1u 1", allow_unsigned=False)


def test_type_change_within_a_batch_names_the_line():
    with pytest.raises(influxlp.LineProtocolError) as caught:
        influxlp.parse(b"m v=1 1\nm v=1i 2\n")
    assert caught.value.line == 2
    assert caught.value.kind == "rejected"
    assert caught.value.message == (
        'field type conflict: input field "v" on measurement "m" is type integer, '
        "already exists as type float"
    )


def test_columns_first_seen_later_are_null_before():
    batch = influxlp.parse(b"m a=1 1\nm,t=x a=2,b=3i 2\n")
    arrays = batch["m"].to_numpy()
    assert arrays["t"].tolist() == [None, "x"]
    assert isinstance(arrays["b"], np.ma.MaskedArray)
    assert arrays["b"].mask.tolist() == [True, False]
    assert arrays["b"][1] == 3


def test_tag_and_field_with_the_same_key_are_both_kept():
    table = influxlp.parse(b"m,host=a host=1i 1\n")["m"]
    assert table.tag_columns == ["host"]
    assert table.field_columns == ["host_1"]
    assert table.to_numpy()["host_1"].tolist() == [1]


def test_numpy_views_are_read_only_and_share_memory():
    table = influxlp.parse(b"m v=1 1\nm v=2 2\n")["m"]
    first = table.to_numpy()["v"]
    second = table.to_numpy()["v"]
    assert not first.flags.writeable
    assert np.shares_memory(first, second)


def test_pandas_dtypes():
    pd = pytest.importorskip("pandas")
    data = b'm,host=a f=1.5,i=1i,u=1u,b=t,s="x" 1\nm,host=b f=2.5 2\nm g=1 3\n'
    frame = influxlp.parse(data)["m"].to_pandas()
    assert list(frame.columns) == ["time", "host", "b", "f", "g", "i", "s", "u"]
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(frame["host"].dtype, pd.CategoricalDtype)
    assert frame["host"].tolist()[:2] == ["a", "b"] and pd.isna(frame["host"].iloc[2])
    assert frame["f"].dtype == "Float64"  # nullable: absent on the third row
    assert frame["i"].dtype == "Int64"
    assert frame["u"].dtype == "UInt64"
    assert frame["b"].dtype == "boolean"
    assert frame["s"].dtype == "string"
    assert frame["g"].dtype == "Float64"
    full = influxlp.parse(b"m f=1.5,i=1i 1\n")["m"].to_pandas()
    assert full["f"].dtype == np.float64 and full["i"].dtype == np.int64
    assert frame["time"].iloc[0] == pd.Timestamp(1, unit="ns", tz="UTC")


def test_pandas_frames_are_writable_and_leave_the_table_as_it_was():
    pd = pytest.importorskip("pandas")
    data = (
        b'm,host=a f=1.5,i=-5i,u=1u,b=t,s="x" -5\n'
        b'm,host=b f=2.5,i=2i,u=2u,b=f,s="y" 1700000000000000000\n'
        b'm f=3.5,i=3i,u=3u,b=t,s="z" 7\n'
    )
    table = influxlp.parse(data)["m"]
    before = table.to_pandas()
    assert before["time"].array.asi8.tolist() == [-5, 1700000000000000000, 7]
    assert str(before["time"].dtype) == "datetime64[ns, UTC]"
    assert before["host"].cat.codes.tolist() == [0, 1, -1]
    assert before["host"].cat.categories.tolist() == ["a", "b"]
    written = {
        "time": pd.Timestamp("2020-01-01", tz="UTC"),
        "host": "b",
        "f": 9.5,
        "i": 9,
        "u": 9,
        "b": False,
        "s": "w",
    }
    for column, value in written.items():
        frame = table.to_pandas()
        frame.loc[0, column] = value
        assert frame[column].iloc[0] == value, column
    pd.testing.assert_frame_equal(table.to_pandas(), before)
    assert table.to_numpy()["f"].tolist() == [1.5, 2.5, 3.5]


def test_pandas_string_columns_from_arrow_equal_those_from_python_strings(monkeypatch):
    pd = pytest.importorskip("pandas")
    from influxlp import _frames

    data = b'm s="",t="x",u="\xc3\xa9" 1\nm t="y",u="" 2\nm s="\xff bad",t="z",u="\\"q\\"" 3\n'
    table = influxlp.parse(data)["m"]
    frame = table.to_pandas()
    # Where pandas keeps strings in Arrow memory the columns are built from Arrow; the frame must
    # be exactly the one built from Python strings.
    monkeypatch.setattr(_frames, "_arrow_string_dtypes", lambda pd: None)
    pd.testing.assert_frame_equal(frame, table.to_pandas(), check_exact=True)
    assert frame["s"].tolist()[::2] == ["", "\ufffd bad"] and pd.isna(frame["s"].iloc[1])
    assert frame["u"].tolist() == ["\u00e9", "", '"q"']


def test_pyarrow_reads_the_capsule_with_influxdb_types():
    pa = pytest.importorskip("pyarrow")
    table = influxlp.parse(b'm,host=a f=1.5,i=1i,u=1u,b=t,s="x" 1\n')["m"]
    arrow = pa.table(table)
    assert arrow.schema.field("time").type == pa.timestamp("ns", tz="UTC")
    assert arrow.schema.field("host").type == pa.dictionary(pa.int32(), pa.string())
    assert arrow.schema.field("f").type == pa.float64()
    assert arrow.schema.field("i").type == pa.int64()
    assert arrow.schema.field("u").type == pa.uint64()
    assert arrow.schema.field("b").type == pa.bool_()
    assert arrow.schema.field("s").type == pa.string()
    assert arrow.schema.field("host").metadata == {b"influxlp.role": b"tag"}
    assert table.to_arrow().equals(arrow)
    assert arrow.column("s").to_pylist() == ["x"]


def test_polars_reads_the_capsule():
    pl = pytest.importorskip("polars")
    frame = influxlp.parse(b"m,host=a f=1.5,i=1i 1\nm,host=b f=2 2\n")["m"].to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame.schema["time"] == pl.Datetime("ns", "UTC")
    assert frame.schema["host"] in (pl.Categorical, pl.Enum) or str(
        frame.schema["host"]
    ).startswith("Categorical")
    assert frame.schema["f"] == pl.Float64
    assert frame["i"].to_list() == [1, None]


def test_pandas_from_the_capsule_via_pyarrow():
    pytest.importorskip("pyarrow")
    frame = influxlp.parse(b"m v=1 1\n")["m"].to_arrow().to_pandas()
    assert frame["v"].tolist() == [1.0]


def test_invalid_utf8_reads_back_as_influxdb_clients_see_it():
    batch = influxlp.parse(b'm,t=a\xffb s="x\xfey" 1\n')
    arrays = batch["m"].to_numpy()
    assert arrays["t"][0] == "a\ufffdb"
    assert arrays["s"][0] == "x\ufffdy"
    # each invalid byte is replaced on its own, as Go's JSON encoder does
    assert influxlp.parse(b'm s="a\xe2\x82" 1\n')["m"].to_numpy()["s"][0] == "a\ufffd\ufffd"


def test_empty_input_gives_an_empty_batch():
    batch = influxlp.parse(b"\n# comment\n   \n")
    assert len(batch) == 0 and batch.num_points == 0 and batch.errors == []


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="minor page faults as Linux counts them"
)
def test_a_second_large_parse_reuses_the_pages_the_first_one_freed():
    import resource

    # Columns of 8 MB each: blocks jemalloc would otherwise purge as soon as they are freed.
    body = b"cpu,host=a v=1.5,w=2i 1\n" * 1_000_000

    def minor_faults() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    counts = []
    for _ in range(3):
        before = minor_faults()
        # One thread: pieces parsed on several threads land in several arenas, whose freed
        # blocks the next round's threads reuse only in part.
        batch = influxlp.parse(body, threads=1)
        counts.append(minor_faults() - before)
        assert batch.num_points == 1_000_000
        del batch
    # The first round may fault its columns in; the later ones land in the freed pages (8 MB of
    # columns would be about 2,000 faults each).
    assert max(counts[1:]) < 1_000, counts
