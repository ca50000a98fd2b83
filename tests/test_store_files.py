"""`Store.save` / `Store.load` and `influxlp serve --data-dir`: the store as a Parquet dataset
with a catalog, read back identical and readable by pyarrow, DuckDB and polars."""

from __future__ import annotations

import json
import os
import signal

import influxlp
import pytest
from test_cli import hosts, http, stop  # noqa: F401 (hosts is a fixture)

CATALOG = "_influxlp_catalog.json"


def sample_store() -> influxlp.Store:
    store = influxlp.Store()
    store.write(
        b'cpu,host=a,region=eu usage=1.5,n=3i,u=7u,ok=true,s="x" 10\n'
        b"cpu,host=b usage=2 20\n"
        b"my\\ m,t\\=k=v\\ w f=1 30\n",
        db="telemetry",
    )
    store.create_retention_policy("telemetry", "year", duration=366 * 86400)
    store.write(b"disk,path=/ used=5i\n", db="telemetry", rp="year")
    store.create_database("empty")
    store.create_retention_policy("empty", "week", duration=7 * 86400, default=True)
    return store


def assert_same(a: influxlp.Store, b: influxlp.Store) -> None:
    assert a.databases() == b.databases()
    for db in a.databases():
        assert a.retention_policies(db) == b.retention_policies(db)
        for policy in a.retention_policies(db):
            rp = policy["name"]
            assert a.measurements(db, rp) == b.measurements(db, rp)
            assert a.series(db=db, rp=rp) == b.series(db=db, rp=rp)
            for m in a.measurements(db, rp):
                assert a.field_keys(m, db=db, rp=rp) == b.field_keys(m, db=db, rp=rp)
                left = a.table(m, db=db, rp=rp).to_arrow()
                right = b.table(m, db=db, rp=rp).to_arrow()
                assert left.equals(right, check_metadata=True), (db, rp, m)


def test_save_then_load_is_identical(tmp_path):
    store = sample_store()
    # a point without a timestamp in a finite policy: written at "now", kept by the load
    store.write(b"cpu v=1\n", db="telemetry", rp="year")
    store.save(tmp_path / "saved")
    assert (tmp_path / "saved" / CATALOG).is_file()
    loaded = influxlp.Store.load(tmp_path / "saved")
    assert_same(store, loaded)
    assert loaded.count(db="telemetry") == store.count(db="telemetry") == 5
    assert loaded.table("cpu", db="telemetry").to_pandas()["n"].isna().tolist() == [False, True]


def test_saving_again_replaces_the_previous_save(tmp_path):
    store = sample_store()
    store.save(str(tmp_path / "saved"))
    store.drop_database("telemetry")
    store.save(str(tmp_path / "saved"))
    assert influxlp.Store.load(str(tmp_path / "saved")).databases() == ["empty"]
    assert sorted(os.listdir(tmp_path)) == ["saved"]  # no staging or previous copy left


def test_the_saved_dataset_reads_in_pyarrow_duckdb_and_polars(tmp_path):
    ds = pytest.importorskip("pyarrow.dataset")
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    sample_store().save(tmp_path)
    table = ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 4
    assert sorted(set(table["measurement"].to_pylist())) == ["cpu", "disk", "my m"]
    assert str(table.schema.field("time").type) == "timestamp[ns, tz=UTC]"
    glob = f"{tmp_path}/**/*.parquet"
    rows = duckdb.sql(
        f"select measurement, count(*) from read_parquet('{glob}', hive_partitioning=true, "
        "union_by_name=true) group by measurement order by measurement"
    ).fetchall()
    assert rows == [("cpu", 2), ("disk", 1), ("my m", 1)]
    cpu = pl.scan_parquet(
        f"{tmp_path}/database=telemetry/retention_policy=autogen/measurement=cpu/*.parquet",
        hive_partitioning=True,
    ).collect()
    assert cpu["usage"].to_list() == [1.5, 2.0]
    assert cpu["measurement"].to_list() == ["cpu", "cpu"]


def test_bad_directories(tmp_path):
    store = sample_store()
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        store.save(tmp_path / "file")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no saved store"):
        store.save(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
    with pytest.raises(OSError, match=CATALOG):
        influxlp.Store.load(tmp_path / "other")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / CATALOG).write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an influxlp-store catalog"):
        influxlp.Store.load(tmp_path / "bad")


def test_serve_data_dir_keeps_every_point_across_a_restart(hosts, tmp_path):  # noqa: F811
    data_dir = str(tmp_path / "data")
    host = hosts("--quiet", "--data-dir", data_dir)
    assert http(host, "POST", "/query?q=CREATE+DATABASE+db")[0] == 200
    body = "".join(f"cpu,host=h{n % 3} v={n},n={n}i {n}\n" for n in range(1000))
    assert http(host, "POST", "/write?db=db", body)[0] == 204
    assert http(host, "POST", "/write?db=db", 'mem s="text" 5\n')[0] == 204
    stop(host, signal.SIGTERM)
    assert os.path.isfile(os.path.join(data_dir, CATALOG))

    host = hosts("--quiet", "--data-dir", data_dir)
    status, answer = http(host, "GET", "/query?db=db&q=SELECT+*+FROM+cpu")
    assert status == 200
    assert len(json.loads(answer)["results"][0]["series"][0]["values"]) == 1000
    assert http(host, "POST", "/write?db=db", "cpu,host=h0 v=-1,n=-1i 2000\n")[0] == 204
    stop(host, signal.SIGINT)

    loaded = influxlp.Store.load(data_dir)
    assert loaded.count("cpu", db="db") == 1001
    assert loaded.table("mem", db="db").to_pandas()["s"].tolist() == ["text"]
    assert loaded.field_keys("cpu", db="db") == {"n": "integer", "v": "float"}


def test_a_damaged_save_is_refused_with_the_file_named(tmp_path):
    sample_store().save(tmp_path / "saved")
    part = next((tmp_path / "saved").rglob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:-40])
    with pytest.raises(OSError, match="part-00000.parquet"):
        influxlp.Store.load(tmp_path / "saved")
