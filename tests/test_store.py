"""influxlp.Store: write semantics and reads, through the Python contract."""

import datetime
import threading

import influxlp
import numpy as np
import pytest


def rows(table):
    arrays = table.to_numpy()
    out = []
    for i in range(table.num_rows):
        row = {}
        for name, column in arrays.items():
            value = column[i]
            if value is np.ma.masked or value is None:
                continue
            row[name] = value.item() if hasattr(value, "item") else value
        out.append(row)
    return out


def times(table):
    return table.to_numpy()["time"].astype(np.int64).tolist()


def test_write_and_read_back():
    store = influxlp.Store()
    result = store.write(b"cpu,host=a v=1 10\ncpu,host=b v=2 20\n", db="db")
    assert (result.points_written, result.points_dropped, result.errors) == (2, 0, [])
    assert store.databases() == ["db"]
    assert store.measurements("db") == ["cpu"]
    table = store.table("cpu", db="db")
    assert table.column_names == ["time", "host", "v"]
    assert [r["host"] for r in rows(table)] == ["a", "b"]
    assert store.count() == 2 and store.count("cpu", db="db") == 2


def test_overwrite_is_field_by_field():
    store = influxlp.Store()
    store.write(b"m,t=a x=1,y=2 100\n", db="db")
    store.write(b"m,t=a y=20,z=30 100\n", db="db")
    (row,) = rows(store.table("m", db="db"))
    assert row == {"time": row["time"], "t": "a", "x": 1.0, "y": 20.0, "z": 30.0}
    assert store.count("m", db="db") == 1


def test_tag_order_does_not_matter_for_series_identity():
    store = influxlp.Store()
    store.write(b"m,a=1,b=2 v=1 5\nm,b=2,a=1 v=2 5\n", db="db")
    assert [r["v"] for r in rows(store.table("m", db="db"))] == [2.0]


def test_type_conflict_is_dropped_with_influxdb_message():
    store = influxlp.Store()
    store.write(b"m v=1 1\n", db="db")
    result = store.write(b"m v=2i 2\nm v=3 3\n", db="db")
    assert result.points_written == 1 and result.points_dropped == 1
    assert result.errors[0].message == (
        'field type conflict: input field "v" on measurement "m" is type integer, '
        "already exists as type float"
    )
    assert store.field_keys("m", db="db") == {"v": "float"}


def test_atomic_write_changes_nothing_on_a_bad_line():
    store = influxlp.Store()
    store.write(b"m v=1 1\n", db="db")
    with pytest.raises(influxlp.LineProtocolError) as caught:
        store.write(b"m v=2 2\nm v=oops 3\n", db="db", atomic=True)
    assert caught.value.line == 2
    assert len(caught.value.errors) == 1
    assert times(store.table("m", db="db")) == [1]


def test_partial_write_keeps_good_lines_and_reports_syntax_errors_without_dropping():
    store = influxlp.Store()
    result = store.write(b"m v=1 1\nm v=\nm v=3 3\n", db="db")
    assert result.points_written == 2
    assert result.points_dropped == 0  # InfluxDB reports dropped=0 for unparsable lines
    assert [e.message for e in result.errors] == ["missing field value"]


def test_unknown_database_without_create():
    store = influxlp.Store()
    with pytest.raises(influxlp.DatabaseNotFoundError, match='database not found: "nope"'):
        store.write(b"m v=1", db="nope", create_database=False)
    store.create_database("yes")
    assert store.write(b"m v=1", db="yes", create_database=False).points_written == 1


def test_unknown_retention_policy():
    store = influxlp.Store()
    store.create_database("db")
    with pytest.raises(
        influxlp.RetentionPolicyNotFoundError, match="retention policy not found: rp"
    ):
        store.write(b"m v=1", db="db", rp="rp")


def test_retention_policies_and_retention_drops_old_points():
    store = influxlp.Store()
    store.create_database("db")
    store.create_retention_policy("db", "hour", duration=3600, default=False)
    policies = {p["name"]: p for p in store.retention_policies("db")}
    assert policies["autogen"]["default"] and policies["autogen"]["duration"] is None
    assert policies["hour"]["duration"] == 3600
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) * 10**9
    old = now - 2 * 3600 * 10**9
    result = store.write(f"m v=1 {old}\nm v=2 {now}\n".encode(), db="db", rp="hour")
    assert result.points_written == 1 and result.points_dropped == 1
    assert times(store.table("m", db="db", rp="hour")) == [now]


def test_schema_widening_reads_earlier_rows_as_null():
    store = influxlp.Store()
    store.write(b"m a=1 1\n", db="db")
    store.write(b"m,t=x a=2,b=true 2\n", db="db")
    table = store.table("m", db="db")
    assert table.column_names == ["time", "t", "a", "b"]
    arrays = table.to_numpy()
    assert arrays["t"].tolist() == [None, "x"]
    assert arrays["b"].mask.tolist() == [True, False]


def test_reads_are_ordered_by_time_and_filtered():
    store = influxlp.Store()
    store.write(b"m,h=b v=1 30\nm,h=a v=2 10\nm,h=a v=3 20\nm,h=b v=4 10\n", db="db")
    table = store.table("m", db="db")
    assert times(table) == [10, 10, 20, 30]
    assert table.to_numpy()["h"].tolist() == ["a", "b", "a", "b"]
    assert times(store.table("m", db="db", start=10, stop=30)) == [10, 10, 20]
    assert times(store.table("m", db="db", tags={"h": "a"})) == [10, 20]
    start = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert times(store.table("m", db="db", start=start, stop=20)) == [10, 10]


def test_metadata_reads():
    store = influxlp.Store()
    store.write(b'm,b=2,a=1 f=1,s="x" 1\nm,a=3 f=2 2\nn v=1u 1\n', db="db")
    assert store.measurements("db") == ["m", "n"]
    assert store.field_keys("m", db="db") == {"f": "float", "s": "string"}
    assert store.field_keys("n", db="db") == {"v": "unsigned"}
    assert store.tag_keys("m", db="db") == ["a", "b"]
    assert store.tag_values("m", "a", db="db") == ["1", "3"]
    assert store.series("m", db="db") == ["m,a=1,b=2", "m,a=3"]
    assert store.series(db="db") == ["m,a=1,b=2", "m,a=3", "n"]


def test_drop_and_clear():
    store = influxlp.Store()
    store.write(b"m v=1 1\nn v=1 1\n", db="db")
    store.drop_measurement("m", db="db")
    assert store.measurements("db") == ["n"]
    store.drop_database("db")
    assert store.databases() == []
    store.write(b"m v=1 1\n", db="other")
    store.clear()
    assert store.databases() == [] and store.count() == 0


def test_unknown_measurement_reads_as_an_empty_table():
    store = influxlp.Store()
    store.create_database("db")
    table = store.table("nothing", db="db")
    assert table.num_rows == 0 and table.column_names == ["time"]


def test_memory_usage_grows_with_data():
    store = influxlp.Store()
    before = store.memory_usage()
    lines = "".join(f"m,h=x v={i} {i}\n" for i in range(10_000)).encode()
    store.write(lines, db="db")
    assert store.memory_usage() > before + 10_000 * 16


def test_concurrent_writers_lose_nothing_and_duplicate_nothing():
    store = influxlp.Store()
    writers, batches, per_batch = 4, 25, 200

    def write(worker):
        for b in range(batches):
            base = (worker * batches + b) * per_batch
            body = "".join(
                f"m{worker % 2},w=w{worker} v={i} {base + i}\n" for i in range(per_batch)
            )
            result = store.write(body.encode(), db="db")
            assert result.points_written == per_batch

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    seen = []

    def read():
        while any(t.is_alive() for t in threads):
            for m in ("m0", "m1"):
                n = store.table(m, db="db").num_rows
                assert n % per_batch == 0  # whole writes only
                seen.append(n)

    reader = threading.Thread(target=read)
    for t in threads:
        t.start()
    reader.start()
    for t in threads:
        t.join()
    reader.join()
    assert store.count(db="db") == writers * batches * per_batch
    for m in ("m0", "m1"):
        assert len(set(times(store.table(m, db="db")))) == writers // 2 * batches * per_batch
