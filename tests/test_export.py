"""Store.export: InfluxDB's export format, read back by Store.write_file."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import subprocess
import time

import influxlp
import pytest

HOUR_NS = 3_600_000_000_000


def _recent() -> int:
    """A time the week policy still keeps."""
    return time.time_ns() - HOUR_NS


def _sample(unsigned: bool = True) -> influxlp.Store:
    store = influxlp.Store()
    store.create_database("telemetry")
    store.create_retention_policy("telemetry", "week", duration=7 * 86_400, default=True)
    store.create_database("my db")
    store.create_retention_policy("my db", "two days", duration=2 * 86_400)
    u = b"u=7u," if unsigned else b""
    store.write(
        b"cpu,host=a usage=1.5,n=3i," + u + b'ok=true,s="x \\"y\\" \\\\ z" 1000\n'
        b"cpu,host=b usage=2 2000\n"
        b"cpu,host=a n=4i 3000\n",
        db="telemetry",
        rp="autogen",
    )
    recent = _recent()
    store.write(
        f'we\\ ird\\,m,t\\=k=v\\ 1,é=ü f\\=1=1.25,str="a,b=c" {recent}\nmem free=1i {recent + 1}\n',
        db="telemetry",
    )
    store.write(f"disk used=0.5 {recent}\n", db="my db", rp="two days")
    return store


def _assert_equal(copy: influxlp.Store, store: influxlp.Store) -> None:
    assert copy.databases() == store.databases()
    for db in store.databases():
        policies = store.retention_policies(db)
        assert copy.retention_policies(db) == policies
        for policy in policies:
            rp = policy["name"]
            names = store.measurements(db, rp)
            assert copy.measurements(db, rp) == names
            for name in names:
                assert copy.series(name, db=db, rp=rp) == store.series(name, db=db, rp=rp)
                ours = store.table(name, db=db, rp=rp).to_arrow()
                theirs = copy.table(name, db=db, rp=rp).to_arrow()
                assert theirs.schema == ours.schema
                assert theirs.to_pylist() == ours.to_pylist()


@pytest.mark.parametrize("name", ["store.lp", "store.lp.gz"])
def test_store_comes_back_from_its_export(tmp_path, name):
    store = _sample()
    path = tmp_path / name
    assert store.export(path) == 6
    if name.endswith(".gz"):
        text = gzip.decompress(path.read_bytes()).decode()
    else:
        text = path.read_text()
    assert text.startswith("# DDL\n")
    assert "# DML\n# CONTEXT-DATABASE:telemetry\n# CONTEXT-RETENTION-POLICY:autogen\n" in text
    copy = influxlp.Store()
    result = copy.write_file(path)
    assert result.points_written == 6
    _assert_equal(copy, store)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_export_format_and_types(tmp_path):
    store = _sample()
    path = tmp_path / "cpu.lp"
    store.export(path, db="telemetry", rp="autogen", measurements=["cpu"])
    assert path.read_text() == (
        "# DDL\n"
        "CREATE DATABASE telemetry WITH DURATION INF REPLICATION 1 NAME autogen\n"
        "# DML\n"
        "# CONTEXT-DATABASE:telemetry\n"
        "# CONTEXT-RETENTION-POLICY:autogen\n"
        'cpu,host=a n=3i,ok=true,s="x \\"y\\" \\\\ z",u=7u,usage=1.5 1000\n'
        "cpu,host=b usage=2.0 2000\n"
        "cpu,host=a n=4i 3000\n"
    )


def test_escaped_names_and_quoted_identifiers_survive(tmp_path):
    store = _sample()
    path = tmp_path / "names.lp"
    store.export(path)
    text = path.read_text()
    assert 'CREATE DATABASE "my db" WITH DURATION INF REPLICATION 1 NAME autogen' in text
    assert 'CREATE RETENTION POLICY "two days" ON "my db" DURATION 2d REPLICATION 1\n' in text
    assert "# CONTEXT-RETENTION-POLICY:two days\n" in text
    copy = influxlp.Store()
    copy.write_file(path)
    assert copy.measurements("telemetry", "week") == ["mem", "we ird,m"]
    assert copy.tag_keys("we ird,m", db="telemetry", rp="week") == ["t=k", "é"]
    assert copy.tag_values("we ird,m", "t=k", db="telemetry", rp="week") == ["v 1"]
    assert list(copy.field_keys("we ird,m", db="telemetry", rp="week")) == ["f=1", "str"]


def test_start_stop_and_measurement_filters(tmp_path):
    store = _sample()
    path = tmp_path / "window.lp"
    written = store.export(path, db="telemetry", start=1500, stop=3000, measurements=["cpu"])
    assert written == 1
    copy = influxlp.Store()
    copy.write_file(path)
    assert copy.table("cpu", db="telemetry", rp="autogen").to_arrow()["usage"].to_pylist() == [2.0]
    assert copy.measurements("telemetry", "week") == []
    start = dt.datetime.fromtimestamp(_recent() / 1e9 - 60, tz=dt.timezone.utc)
    assert store.export(path, start=start) == 3


def test_nulls_and_empty_databases(tmp_path):
    store = influxlp.Store()
    store.create_database("empty")
    store.write(b"m a=1i 1\nm b=true 2\n", db="sparse")
    path = tmp_path / "sparse.lp"
    assert store.export(path) == 2
    copy = influxlp.Store()
    copy.write_file(path)
    _assert_equal(copy, store)
    assert copy.table("m", db="sparse").to_arrow().to_pylist()[0]["b"] is None


def test_unknown_database_or_policy(tmp_path):
    store = _sample()
    path = tmp_path / "x.lp"
    with pytest.raises(influxlp.DatabaseNotFoundError):
        store.export(path, db="nope")
    with pytest.raises(influxlp.RetentionPolicyNotFoundError):
        store.export(path, db="telemetry", rp="nope")
    with pytest.raises(ValueError, match="rp= needs db="):
        store.export(path, rp="autogen")
    with pytest.raises(OSError):
        store.export(tmp_path / "missing" / "x.lp")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def _lp_text(path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if str(path).endswith(".gz") else data).decode()


def test_convert_a_saved_store_to_an_export(tmp_path):
    store = _sample()
    store.save(tmp_path / "saved")
    out = tmp_path / "saved.lp.gz"
    result = influxlp.convert(tmp_path / "saved", out, format="lp")
    assert result.points_written == 6
    assert [str(f) for f in result.files] == [str(out)]
    copy = influxlp.Store()
    copy.write_file(out)
    _assert_equal(copy, store)


def test_convert_a_converted_dataset_back_to_line_protocol(tmp_path):
    text = (
        b'we\\ ird\\,m,t\\=k=v\\ 1,host=a f\\=1=1.25,n=3i,u=5u,ok=false,s="a \\"b\\" \\\\" 10\n'
        b"we\\ ird\\,m,host=b n=4i 20\n"
        b"cpu usage=0.1 30\n"
    )
    influxlp.convert([text], tmp_path / "ds")
    out = tmp_path / "back.lp"
    result = influxlp.convert(tmp_path / "ds", out, format="lp")
    assert result.points_written == 3
    assert "# DDL" not in _lp_text(out)
    ours = influxlp.parse(out.read_bytes())
    theirs = influxlp.parse(text)
    assert sorted(ours.keys()) == sorted(theirs.keys())
    for name in theirs.keys():
        assert ours[name].to_arrow().sort_by("time") == theirs[name].to_arrow().sort_by("time")


def test_convert_line_protocol_and_exports_to_line_protocol(tmp_path):
    store = _sample()
    export = tmp_path / "store.lp"
    store.export(export)
    out = tmp_path / "again.lp"
    result = influxlp.convert([export], out, format="lp")
    assert result.points_written == 6
    copy = influxlp.Store()
    copy.write_file(out)
    _assert_equal(copy, store)

    plain = tmp_path / "plain.lp"
    plain.write_bytes(b"m v=1 1\nbad line\nm v=2 2\n")
    with pytest.raises(influxlp.LineProtocolError):
        influxlp.convert([plain], tmp_path / "raised.lp", format="lp")
    assert not (tmp_path / "raised.lp").exists()
    result = influxlp.convert([plain], out, format="lp", errors="collect", overwrite=True)
    assert (result.points_written, len(result.errors)) == (2, 1)
    assert out.read_text() == "m v=1.0 1\nm v=2.0 2\n"
    with pytest.raises(FileExistsError):
        influxlp.convert([plain], out, format="lp")
    with pytest.raises(ValueError, match="without a database"):
        influxlp.convert([export, plain], tmp_path / "mixed.lp", format="lp", errors="collect")
    assert not (tmp_path / "mixed.lp").exists()


def test_cli_convert_to_lp(tmp_path, capsys):
    from influxlp.__main__ import main

    store = _sample()
    store.save(tmp_path / "saved")
    out = tmp_path / "cli.lp.gz"
    assert main(["convert", str(tmp_path / "saved"), "--to", str(out), "--format", "lp"]) == 0
    copy = influxlp.Store()
    copy.write_file(out)
    _assert_equal(copy, store)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("influxd") is None or shutil.which("influx") is None,
    reason="InfluxDB 1.x (apt-get install influxdb influxdb-client) is not installed",
)
def test_influx_import_loads_an_export(tmp_path):
    """The real 1.x `influx -import` reads what `Store.export` writes (InfluxDB 1.x OSS has no
    unsigned integers: it refuses `7u` as it would on /write)."""
    store = _sample(unsigned=False)
    path = tmp_path / "store.lp.gz"
    store.export(path)
    http, rpc = _free_port(), _free_port()
    config = tmp_path / "influxd.conf"
    config.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
        f'[meta]\n  dir = "{tmp_path}/meta"\n'
        f'[data]\n  dir = "{tmp_path}/data"\n  wal-dir = "{tmp_path}/wal"\n'
        f'[http]\n  bind-address = "127.0.0.1:{http}"\n  log-enabled = false\n'
    )
    server = subprocess.Popen(
        ["influxd", "-config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        influx = ["influx", "-host", "127.0.0.1", "-port", str(http)]
        deadline = time.monotonic() + 30
        ping = [*influx, "-execute", "SHOW DATABASES"]
        while subprocess.run(ping, capture_output=True).returncode:
            assert time.monotonic() < deadline, "influxd did not start"
            time.sleep(0.2)
        imported = subprocess.run(
            [*influx, "-import", f"-path={path}", "-compressed"], capture_output=True, text=True
        )
        report = imported.stdout + imported.stderr
        assert "Failed 0 inserts" in report, report
        assert "Processed 6 inserts" in report, report
        assert "Processed 4 commands" in report, report

        def query(q: str) -> str:
            done = subprocess.run([*influx, "-execute", q], capture_output=True, text=True)
            return done.stdout

        assert "my db" in query("SHOW DATABASES")
        policies = query("SHOW RETENTION POLICIES ON telemetry")
        assert "week    168h0m0s" in policies and policies.rstrip().endswith("true")
        assert 'x "y" \\ z' in query("SELECT * FROM telemetry.autogen.cpu")
        assert "v 1" in query('SELECT * FROM telemetry.week."we ird,m"')
        assert "0.5" in query('SELECT * FROM "my db"."two days".disk')
    finally:
        server.terminate()
        server.wait(timeout=30)
