"""influxlp.read() and influxlp.iter_batches(): every source type, gzip by magic bytes, pieces
and byte ranges equal to one parse, every core equal to one thread, InfluxDB exports, bad input."""

from __future__ import annotations

import gzip
import io
import os
import pathlib
import subprocess
import sys
import textwrap

import influxlp
import pandas as pd
import pytest

# Comments, blank lines and CRLF throughout, so that piece boundaries fall on each of them.
SMALL = (
    b"# a comment\n"
    b"cpu,host=a usage=1.5,count=1i 1\r\n"
    b"\n"
    b"cpu,host=b usage=2 2\n"
    b"# CONTEXTLESS comment\n"
    b"mem,host=a free=10u,ok=true 3\n"
    b"   \n"
    b'mem note="raw\nnewline",free=11u 4\n'
    b"disk\\ io,path=/a\\,b reads=7i 5\n"
    b"cpu,host=c usage=3.5 6"
)


def frames(batches) -> dict[str, pd.DataFrame]:
    """The batches' rows per measurement, one frame each, in order."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for batch in batches:
        for name, table in batch.items():
            parts.setdefault(name, []).append(table.to_pandas())
    out = {}
    for name, part in parts.items():
        frame = pd.concat([p.astype("object") for p in part], ignore_index=True)
        out[name] = frame.astype("object").where(frame.notna(), None)
    return out


def assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert list(left) == list(right)
    for name in left:
        a, b = left[name], right[name]
        assert sorted(a.columns) == sorted(b.columns), name
        pd.testing.assert_frame_equal(a[sorted(a.columns)], b[sorted(b.columns)], check_dtype=False)


def errors_of(batches) -> list[tuple[int, str]]:
    return [(e.line, e.text) for batch in batches for e in batch.errors]


@pytest.fixture()
def small_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "small.lp"
    path.write_bytes(SMALL)
    return path


def test_every_source_type_reads_as_parse(tmp_path: pathlib.Path, small_file: pathlib.Path):
    whole = influxlp.parse(SMALL, errors="collect")
    expected = frames([whole])
    assert errors_of([whole]) == [(2, "cpu,host=a usage=1.5,count=1i 1\r")]  # CRLF: a bad timestamp
    packed = tmp_path / "packed.data"  # gzip inside, whatever the name says
    packed.write_bytes(gzip.compress(SMALL))
    sources = [
        str(small_file),
        small_file,
        SMALL,
        bytearray(SMALL),
        memoryview(SMALL),
        io.BytesIO(SMALL),
        str(packed),
        packed,
        gzip.compress(SMALL),
        io.BytesIO(gzip.compress(SMALL)),
    ]
    for source in sources:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        batch = influxlp.read(source, errors="collect")
        assert batch.database is None and batch.retention_policy is None
        assert_same(frames([batch]), expected)
        assert errors_of([batch]) == errors_of([whole])
        if isinstance(source, io.BytesIO):
            source.seek(0)
        batches = list(influxlp.iter_batches(source, batch_bytes=16, errors="collect"))
        assert_same(frames(batches), expected)
        assert errors_of(batches) == errors_of([whole])
    with open(packed, "rb") as file:
        assert_same(frames([influxlp.read(file, errors="collect")]), expected)


def test_multi_member_gzip_reads_whole():
    data = gzip.compress(SMALL[:40]) + gzip.compress(SMALL[40:])
    expected = frames([influxlp.parse(SMALL, errors="collect")])
    assert_same(frames([influxlp.read(data, errors="collect")]), expected)


@pytest.mark.parametrize("newline_at_end", [False, True])
def test_pieces_of_every_size_equal_one_parse(newline_at_end: bool):
    data = SMALL + b"\n" if newline_at_end else SMALL
    whole = influxlp.parse(data, errors="collect")
    for batch_bytes in range(1, len(data) + 2):
        batches = list(influxlp.iter_batches(data, batch_bytes=batch_bytes, errors="collect"))
        assert sum(b.num_points for b in batches) == whole.num_points, batch_bytes
        assert_same(frames(batches), frames([whole]))
        assert errors_of(batches) == errors_of([whole])


def test_errors_count_lines_of_the_whole_input():
    data = b"m v=1\nm v=2\nm v=bad\nm v=3\n\nm v=\n"
    batches = list(influxlp.iter_batches(data, batch_bytes=4, errors="collect"))
    assert errors_of(batches) == [(3, "m v=bad"), (6, "m v=")]
    assert errors_of([influxlp.read(data, errors="collect")]) == [(3, "m v=bad"), (6, "m v=")]
    with pytest.raises(influxlp.LineProtocolError) as raised:
        list(influxlp.iter_batches(data, batch_bytes=4))
    assert raised.value.line == 3
    with pytest.raises(influxlp.LineProtocolError) as raised:
        influxlp.read(io.BytesIO(gzip.compress(data)))
    assert raised.value.line == 3


def test_default_time_is_one_instant_for_the_whole_call():
    data = b"m v=1\n" * 2000
    batches = list(influxlp.iter_batches(data, batch_bytes=100, precision="s"))
    assert len(batches) > 10
    times = {t for b in batches for t in b["m"].to_pandas()["time"]}
    assert len(times) == 1


def test_byte_ranges_read_every_line_once(small_file: pathlib.Path):
    data = SMALL.replace(b'"raw\nnewline"', b'"no newline"')
    small_file.write_bytes(data)
    whole = influxlp.parse(data, errors="collect")
    for step in range(1, len(data) + 2):
        batches = [
            influxlp.read(small_file, byte_range=(start, start + step), errors="collect")
            for start in range(0, len(data) + 1, step)
        ]
        assert sum(b.num_points for b in batches) == whole.num_points, step
        assert_same(frames(batches), frames([whole]))
    with pytest.raises(ValueError, match="byte_range must be"):
        influxlp.read(small_file, byte_range=(5, 2))
    with pytest.raises(ValueError, match="gzip stream cannot be split"):
        influxlp.read(gzip.compress(data), byte_range=(0, 10))


def telegraf_lines(count: int) -> bytes:
    lines = []
    for n in range(count):
        if n % 997 == 500:
            lines.append(f'cpu,host=h{n % 5} usage_user="text" {n}')  # a type conflict
        elif n % 1999 == 3:
            lines.append("cpu,host=broken usage_user=")  # a syntax error
        else:
            lines.append(
                f"cpu,cpu=cpu{n % 4},host=h{n % 5} usage_user={n}.5,usage_idle={n % 100} {n}"
            )
    return ("\n".join(lines) + "\n").encode()


def test_threads_give_the_result_of_one_thread():
    data = telegraf_lines(120_000)
    assert len(data) > 4 * 2**20
    one = influxlp.parse(data, errors="collect", threads=1)
    assert one.errors
    for threads in (2, 3, None):
        many = influxlp.parse(data, errors="collect", threads=threads)
        assert [(e.line, e.message) for e in many.errors] == [
            (e.line, e.message) for e in one.errors
        ]
        a, b = one["cpu"].to_arrow(), many["cpu"].to_arrow()
        assert a.equals(b)
        # Tag dictionaries in the same order, value for value.
        assert a.column("host").chunk(0).dictionary.equals(b.column("host").chunk(0).dictionary)
    with pytest.raises(influxlp.LineProtocolError) as raised:
        influxlp.parse(data, threads=2)
    assert raised.value.line == 4
    read = influxlp.read(data, errors="collect", threads=2)
    assert read["cpu"].to_arrow().equals(one["cpu"].to_arrow())
    with pytest.raises(ValueError, match="threads must be"):
        influxlp.parse(b"m v=1", threads=0)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_reading_on_every_core_leaves_no_thread_behind():
    script = """
        import os
        threads = lambda: len(os.listdir("/proc/self/task"))
        import numpy
        baseline = threads()
        import influxlp
        influxlp.parse(b"m v=1 1\\n" * 1000)
        small = threads() - baseline
        influxlp.parse(b"cpu,host=a usage=1.5 1\\n" * 300_000, threads=2)
        list(influxlp.iter_batches(b"m v=1 1\\n" * 400_000, batch_bytes=2**20))
        print(small, threads() - baseline)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]


EXPORT = b"""# INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z
# DDL
CREATE DATABASE telemetry WITH NAME autogen
CREATE DATABASE telemetry WITH NAME "one week"
CREATE DATABASE "my \\"db\\"" WITH NAME autogen
# DML
# CONTEXT-DATABASE:telemetry
# CONTEXT-RETENTION-POLICY:autogen
# writing tsm data
cpu,host=a usage=1 1
cpu,host=b usage=2 2
# CONTEXT-DATABASE:telemetry
# CONTEXT-RETENTION-POLICY:one week
# writing tsm data
cpu,host=a usage=3i 3
# CONTEXT-DATABASE:my "db"
# CONTEXT-RETENTION-POLICY:autogen
# writing wal data
mem free=1u 4
"""


def test_an_export_gives_one_batch_per_context(tmp_path: pathlib.Path):
    path = tmp_path / "export.lp.gz"
    path.write_bytes(gzip.compress(EXPORT))
    batches = list(influxlp.iter_batches(path))
    contexts = [(b.database, b.retention_policy, b.num_points) for b in batches]
    assert contexts == [
        ("telemetry", "autogen", 2),
        ("telemetry", "one week", 1),
        ('my "db"', "autogen", 1),
    ]
    # Each context fixes its own field types, as separate writes to InfluxDB would.
    assert batches[0]["cpu"].field_types == {"usage": "float"}
    assert batches[1]["cpu"].field_types == {"usage": "integer"}
    assert batches[1]["cpu"].to_pandas()["host"].tolist() == ["a"]
    with pytest.raises(ValueError) as raised:
        influxlp.read(path)
    message = str(raised.value)
    assert "3 database/retention policy contexts" in message
    for pointer in ("iter_batches", "Store.write_file", "convert"):
        assert pointer in message


def test_an_export_with_one_context_reads_whole():
    one = EXPORT.split(b"# CONTEXT-DATABASE:telemetry\n# CONTEXT-RETENTION-POLICY:one week")[0]
    batch = influxlp.read(one)
    assert (batch.database, batch.retention_policy, batch.num_points) == ("telemetry", "autogen", 2)
    assert batch["cpu"].to_pandas()["usage"].tolist() == [1.0, 2.0]


def test_bad_sources_are_errors_that_name_them(tmp_path: pathlib.Path):
    data = b"".join(b"m,t=x%d v=%d %d\n" % (n, n, n) for n in range(5000))
    packed = gzip.compress(data)
    corrupt = bytearray(packed)
    corrupt[20:60] = bytes(b ^ 0x5A for b in corrupt[20:60])
    for name, content, pattern in [
        (
            "truncated.gz",
            packed[: len(packed) // 2],
            r"truncated.gz: at byte \d+: the gzip stream is truncated",
        ),
        ("corrupt.gz", bytes(corrupt), r"corrupt.gz: at byte \d+: the gzip stream is corrupt"),
        (
            "utf8.lp",
            b"# DML\n# CONTEXT-DATABASE:\xff\n",
            r"utf8.lp: line 2: the database name is not valid UTF-8",
        ),
        ("ddl.lp", b"# DDL\nDROP DATABASE x\n", r"ddl.lp: line 2: an export's DDL holds CREATE"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=pattern):
            influxlp.read(path)
        with pytest.raises(ValueError, match=pattern):
            list(influxlp.iter_batches(path))
    with pytest.raises(OSError, match="missing.lp: No such file"):
        influxlp.read(tmp_path / "missing.lp")
    with pytest.raises(OSError, match="is a directory"):
        influxlp.iter_batches(tmp_path)
    with pytest.raises(TypeError, match="open it in binary mode"):
        influxlp.read(io.StringIO("m v=1\n"))
    with pytest.raises(TypeError, match="source must be a path"):
        influxlp.read(42)


def test_a_line_longer_than_influxdb_accepts_is_an_error():
    data = b"m v=1\n" + b"x" * 25_000_100 + b"\nm v=2\n"
    with pytest.raises(
        ValueError,
        match=r"<bytes>: at byte 6: the line starting here runs on for more than 25000000 bytes",
    ):
        list(influxlp.iter_batches(data, batch_bytes=1024))
    # A long line within the limit grows its batch and parses.
    long_line = b'm s="' + b"y" * 900_000 + b'" 1\n'
    batches = list(influxlp.iter_batches(b"m v=1 0\n" + long_line + b"m v=2 2\n", batch_bytes=64))
    assert sum(b.num_points for b in batches) == 3


def test_iter_batches_reads_in_bounded_pieces():
    data = b"cpu,host=a usage=1.5 1\n" * 100_000
    iterator = influxlp.iter_batches(io.BytesIO(data), batch_bytes=2**16)
    first = next(iterator)
    assert 2**16 // 23 <= first.num_points <= 2**16 // 23 + 2
    assert "BatchIterator" in repr(iterator)
    assert first.num_points + sum(b.num_points for b in iterator) == 100_000
    with pytest.raises(StopIteration):
        next(iterator)
    with pytest.raises(ValueError, match="batch_bytes must be at least 1"):
        influxlp.iter_batches(data, batch_bytes=0)
