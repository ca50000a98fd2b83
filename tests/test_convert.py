"""`influxlp.convert`, `influxlp convert` and `Store.write_file`: line protocol files and
InfluxDB exports into Hive-partitioned datasets that pyarrow, DuckDB and polars read as they
are, and into the store; bad inputs leave nothing that looks complete."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys

import influxlp
import pytest

pa = pytest.importorskip("pyarrow")
ds = pytest.importorskip("pyarrow.dataset")

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(influxlp.__file__)))

# As `influx_inspect export` writes it: two databases, one with two policies, escaped names.
TELEGRAF_AUTOGEN = "cpu,host=a usage=1,n=1i 1\ncpu,host=b usage=2 2\n"
TELEGRAF_TWO_YEARS = 'cpu,host=a usage="old" 3\n'
MY_DB = "my\\ m,t\\ k=v\\,1 f\\=x=2u 4\nmy\\ m,t\\ k=w f\\=x=3u 5\n"
EXPORT = (
    "# INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z\n"
    "# DDL\n"
    "CREATE DATABASE telegraf WITH NAME autogen\n"
    "CREATE DATABASE telegraf WITH NAME two_years\n"
    'CREATE DATABASE "my db" WITH NAME autogen\n'
    "# DML\n"
    "# CONTEXT-DATABASE:telegraf\n"
    "# CONTEXT-RETENTION-POLICY:autogen\n"
    "# writing tsm data\n"
    + TELEGRAF_AUTOGEN
    + "# CONTEXT-RETENTION-POLICY:two_years\n"
    + TELEGRAF_TWO_YEARS
    + "# CONTEXT-DATABASE:my db\n"
    "# CONTEXT-RETENTION-POLICY:autogen\n" + MY_DB
).encode()

CONTEXTS = {
    ("telegraf", "autogen", "cpu"): TELEGRAF_AUTOGEN,
    ("telegraf", "two_years", "cpu"): TELEGRAF_TWO_YEARS,
    ("my db", "autogen", "my m"): MY_DB,
}


def parsed(data: str, measurement: str) -> pa.Table:
    return influxlp.parse(data.encode())[measurement].to_arrow()


def files_under(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )


def assert_same_rows(got: pa.Table, expected: pa.Table) -> None:
    got = got.select(expected.column_names)
    assert got.schema.equals(expected.schema, check_metadata=True), (got.schema, expected.schema)
    assert got.to_pylist() == expected.to_pylist()


@pytest.fixture
def export_file(tmp_path):
    path = tmp_path / "export.lp.gz"
    path.write_bytes(gzip.compress(EXPORT))
    return path


def test_an_export_converts_and_reads_back_in_pyarrow_duckdb_and_polars(export_file, tmp_path):
    dest = tmp_path / "dataset"
    result = influxlp.convert(export_file, dest)
    assert (result.points_written, result.points_dropped, result.errors) == (5, 0, [])
    assert result.lines == EXPORT.count(b"\n")
    assert result.bytes_read == export_file.stat().st_size
    assert result.seconds > 0
    assert files_under(dest) == [
        "database=my%20db/retention_policy=autogen/measurement=my%20m/part-00000.parquet",
        "database=telegraf/retention_policy=autogen/measurement=cpu/part-00000.parquet",
        "database=telegraf/retention_policy=two_years/measurement=cpu/part-00000.parquet",
    ]
    assert [os.path.relpath(f, dest) for f in result.files] == files_under(dest)

    dataset = ds.dataset(dest, format="parquet", partitioning="hive")
    for (db, rp, measurement), lines in CONTEXTS.items():
        where = (
            (ds.field("database") == db)
            & (ds.field("retention_policy") == rp)
            & (ds.field("measurement") == measurement)
        )
        expected = parsed(lines, measurement)
        got = ds.dataset(
            dest / f"database={db.replace(' ', '%20')}/retention_policy={rp}/"
            f"measurement={measurement.replace(' ', '%20')}",
            format="parquet",
        ).to_table()
        assert_same_rows(got, expected)
        assert dataset.to_table(filter=where).num_rows == expected.num_rows

    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(
        f"select database, retention_policy, measurement, count(*) from read_parquet("
        f"'{dest}/**/*.parquet', hive_partitioning=true, union_by_name=true) "
        "group by all order by all"
    ).fetchall()
    assert rows == [
        ("my db", "autogen", "my m", 2),
        ("telegraf", "autogen", "cpu", 2),
        ("telegraf", "two_years", "cpu", 1),
    ]
    t_k = duckdb.sql(
        f'select "t k", "f=x" from read_parquet(\'{dest}/database=my%20db/**/*.parquet\', '
        "hive_partitioning=true) order by time"
    ).fetchall()
    assert t_k == [("v,1", 2), ("w", 3)]

    pl = pytest.importorskip("polars")
    frame = pl.scan_parquet(
        f"{dest}/database=telegraf/retention_policy=autogen/**/*.parquet",
        hive_partitioning=True,
    ).collect()
    expected = pl.from_arrow(parsed(TELEGRAF_AUTOGEN, "cpu"))
    assert frame.select(expected.columns).to_dicts() == expected.to_dicts()
    assert frame["database"].to_list() == ["telegraf", "telegraf"]


def test_an_export_written_to_a_store_keeps_its_databases_policies_and_contexts(export_file):
    store = influxlp.Store()
    result = store.write_file(export_file)
    assert (result.points_written, result.points_dropped, result.errors) == (5, 0, [])
    assert store.databases() == ["my db", "telegraf"]
    assert store.retention_policies("telegraf") == [
        {"name": "autogen", "duration": None, "default": True},
        {"name": "two_years", "duration": None, "default": False},
    ]
    for (db, rp, measurement), lines in CONTEXTS.items():
        got = store.table(measurement, db=db, rp=rp).to_arrow()
        assert_same_rows(got, parsed(lines, measurement))
    # and from the store on to a dataset, the same rows
    store.save(export_file.parent / "saved")
    loaded = influxlp.Store.load(export_file.parent / "saved")
    assert loaded.retention_policies("telegraf") == store.retention_policies("telegraf")
    assert loaded.count() == 5


def test_write_file_sources_and_plain_line_protocol(tmp_path):
    store = influxlp.Store()
    with pytest.raises(ValueError, match="no database was given"):
        store.write_file(b"m v=1 1\n")
    result = store.write_file(io.BytesIO(b"m v=1i 1\nm v=2.5 2\n"), db="db", precision="s")
    assert (result.points_written, result.points_dropped) == (1, 1)
    assert result.errors[0].line == 2
    assert store.table("m", db="db").to_pandas()["time"].astype("int64").tolist() == [10**9]
    path = tmp_path / "plain.lp"
    path.write_bytes(b"n v=1 1\nn v=oops 2\n")
    with pytest.raises(influxlp.LineProtocolError) as raised:
        store.write_file(str(path), db="db", atomic=True)
    assert raised.value.line == 2
    assert store.measurements("db") == ["m"]
    with pytest.raises(influxlp.DatabaseNotFoundError):
        store.write_file(path, db="nope", create_database=False)
    with pytest.raises(OSError, match="missing.lp"):
        store.write_file(tmp_path / "missing.lp", db="db")


def test_types_hold_across_sources_and_errors_are_collected(tmp_path):
    first = tmp_path / "first.lp"
    first.write_bytes(b"m v=1i 1\nm v=bad 2\n")
    second = tmp_path / "second.lp.gz"
    second.write_bytes(gzip.compress(b"m v=2.5 3\nm v=3i,w=1 4\n"))
    result = influxlp.convert([first, second], tmp_path / "out", errors="collect")
    assert (result.points_written, result.points_dropped) == (2, 1)
    found = [(os.path.basename(e.source), e.line, e.message, e.kind) for e in result.errors]
    assert found == [
        ("first.lp", 2, "invalid boolean", "syntax"),
        (
            "second.lp.gz",
            1,
            'field type conflict: input field "v" on measurement "m" is type float, '
            "already exists as type integer",
            "rejected",
        ),
    ]
    table = ds.dataset(tmp_path / "out", partitioning="hive").to_table()
    assert table.column("v").type == pa.int64()
    assert sorted(table.column("v").to_pylist()) == [1, 3]


def test_day_partitions_and_ipc_and_csv_formats(tmp_path):
    day = 86_400 * 10**9
    data = f"m,h=a v=1 {day + 1}\nm,h=b v=2 {2 * day + 1}\nm,h=a v=3 {day + 2}\n".encode()
    for fmt, ext in (("parquet", "parquet"), ("ipc", "arrow"), ("csv", "csv")):
        dest = tmp_path / fmt
        result = influxlp.convert(data, dest, format=fmt, partition_by=("measurement", "day"))
        assert files_under(dest) == [
            f"measurement=m/day=1970-01-02/part-00000.{ext}",
            f"measurement=m/day=1970-01-03/part-00000.{ext}",
        ]
        table = ds.dataset(dest, format=fmt, partitioning="hive").to_table()
        assert sorted(table.column("v").to_pylist()) == [1.0, 2.0, 3.0]
        assert result.points_written == 3
    ipc = ds.dataset(tmp_path / "ipc", format="ipc", partitioning="hive").to_table()
    assert str(ipc.schema.field("time").type) == "timestamp[ns, tz=UTC]"
    assert pa.types.is_dictionary(ipc.schema.field("h").type)


def test_ipc_files_read_in_polars_when_later_input_brings_new_tag_values(tmp_path):
    pl = pytest.importorskip("polars")
    first, second = tmp_path / "a.lp", tmp_path / "b.lp"
    first.write_bytes(b"m,h=a v=1 1\nm,h=b v=2 2\n")
    second.write_bytes(b"m,h=b v=3 3\nm,h=c v=4 4\n")
    dest = tmp_path / "ipc"
    result = influxlp.convert([first, second], dest, format="ipc")
    # `c` is not in the first file's dictionary: it starts a second file rather than a delta.
    assert files_under(dest) == [
        "measurement=m/part-00000.arrow",
        "measurement=m/part-00001.arrow",
    ]
    assert result.points_written == 4
    frame = pl.concat([pl.read_ipc(dest / name) for name in files_under(dest)])
    assert sorted(zip(frame["h"].to_list(), frame["v"].to_list(), strict=True)) == [
        ("a", 1.0),
        ("b", 2.0),
        ("b", 3.0),
        ("c", 4.0),
    ]
    table = ds.dataset(dest, format="ipc", partitioning="hive").to_table()
    assert sorted(table.column("h").to_pylist()) == ["a", "b", "b", "c"]


def test_progress_callable_and_threads(tmp_path):
    data = "".join(f"m,h=h{n % 5} v={n} {n}\n" for n in range(20_000)).encode()
    reports = []
    result = influxlp.convert(data, tmp_path / "a", progress=reports.append, threads=1)
    assert reports[-1]["done"] is True
    assert reports[-1]["lines"] == 20_000 == result.lines
    assert reports[-1]["bytes_read"] == len(data) == reports[-1]["total_bytes"]
    assert reports[-1]["points_written"] == 20_000
    assert len(reports) <= 1 + 10 * (result.seconds + 1)
    again = influxlp.convert(data, tmp_path / "b", progress=False, threads=2)
    a = ds.dataset(tmp_path / "a", partitioning="hive").to_table()
    b = ds.dataset(tmp_path / "b", partitioning="hive").to_table()
    assert a.equals(b) and again.points_written == 20_000


class Interrupt(Exception):
    pass


def test_bad_inputs_leave_nothing_that_looks_complete(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        influxlp.convert(b"m v=1 1\n", tmp_path / "file")
    influxlp.convert(b"m v=1 1\n", tmp_path / "full")
    with pytest.raises(FileExistsError, match="not empty"):
        influxlp.convert(b"n v=1 1\n", tmp_path / "full")
    influxlp.convert(b"n v=1 1\n", tmp_path / "full", overwrite=True)
    assert files_under(tmp_path / "full") == ["measurement=n/part-00000.parquet"]

    good = b"a v=1 1\nb v=1 1\n"
    with pytest.raises(OSError, match="missing.lp"):
        influxlp.convert([good, tmp_path / "missing.lp"], tmp_path / "missing")
    assert files_under(tmp_path / "missing") == []
    with pytest.raises(OSError):
        influxlp.convert(tmp_path, tmp_path / "directory")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(b"m v=1 1\n" * 10_000)[:-20])
    with pytest.raises(ValueError, match="cut.gz"):
        influxlp.convert([good, tmp_path / "cut.gz"], tmp_path / "corrupt")
    assert files_under(tmp_path / "corrupt") == []

    with pytest.raises(influxlp.LineProtocolError) as raised:
        influxlp.convert(good + b"c v=x 3\n", tmp_path / "raise")
    assert (raised.value.line, raised.value.source) == (3, "<bytes>")
    assert files_under(tmp_path / "raise") == []

    def interrupt(counters):
        raise Interrupt

    with pytest.raises(Interrupt):
        influxlp.convert([good, good], tmp_path / "stopped", progress=interrupt)
    assert files_under(tmp_path / "stopped") == []

    with pytest.raises(ValueError, match="format"):
        influxlp.convert(good, tmp_path / "x", format="orc")
    with pytest.raises(ValueError, match="partition_by"):
        influxlp.convert(good, tmp_path / "x", partition_by=("day",))
    with pytest.raises(TypeError):
        influxlp.convert(12, tmp_path / "x")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "influxlp", "convert", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_convert_command(export_file, tmp_path):
    dest = tmp_path / "cli"
    done = run_cli(str(export_file), "--to", str(dest), "--partition-by", "measurement,day")
    assert done.returncode == 0, done.stderr
    assert "5 points in 3 files" in done.stderr
    assert done.stderr.count("\n") == 1  # not a terminal: the summary only
    assert all("/day=1970-01-01/" in f for f in files_under(dest))

    done = run_cli(str(export_file), "--to", str(dest), "--quiet")
    assert done.returncode == 1 and "not empty" in done.stderr
    bad = tmp_path / "bad.lp"
    bad.write_bytes(b"m v=1 1\nm v=x 2\n")
    done = run_cli(str(bad), "--to", str(tmp_path / "bad"))
    assert done.returncode == 1 and "line 2" in done.stderr and "invalid boolean" in done.stderr
    done = run_cli(str(bad), "--to", str(tmp_path / "collected"), "--errors", "collect")
    assert done.returncode == 0
    assert "line 2: unable to parse 'm v=x 2': invalid boolean" in done.stderr
    assert "1 points in 1 files" in done.stderr
