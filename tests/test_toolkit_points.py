"""`Server.points` and `Server.wait_for`: asserting on what was written."""

from __future__ import annotations

import threading
import time

import influxlp
import pytest
import requests


@pytest.fixture
def server():
    with influxlp.Server(flavor="v1") as server:
        server.store.create_database("db")
        yield server


def write(server, body: bytes, db: str = "db", **params) -> None:
    answer = requests.post(f"{server.url}/write", params={"db": db, **params}, data=body)
    assert answer.status_code == 204, answer.text


def test_points_are_plain_dicts_with_python_types(server):
    write(
        server,
        b"weather,city=Oslo,unit=c "
        b'temp=21.5,humidity=40i,ok=true,note="sunny" 1700000000000000000\n'
        b"weather,city=Bergen temp=12.25 1700000000000000001\n"
        b"weather,city=Oslo humidity=41i 1700000000000000002\n",
    )
    points = server.points("weather", db="db")
    assert points == [
        {
            "time": 1700000000000000000,
            "tags": {"city": "Oslo", "unit": "c"},
            "fields": {"humidity": 40, "note": "sunny", "ok": True, "temp": 21.5},
        },
        {"time": 1700000000000000001, "tags": {"city": "Bergen"}, "fields": {"temp": 12.25}},
        {"time": 1700000000000000002, "tags": {"city": "Oslo"}, "fields": {"humidity": 41}},
    ]
    first = points[0]["fields"]
    assert type(first["humidity"]) is int
    assert type(first["temp"]) is float
    assert type(first["ok"]) is bool
    assert type(first["note"]) is str


def test_unsigned_fields_are_ints():
    store = influxlp.Store()
    store.write(b"m u=18446744073709551615u 1", db="x")
    with influxlp.Server(store=store) as server:
        assert server.points("m") == [
            {"time": 1, "tags": {}, "fields": {"u": 18446744073709551615}}
        ]


def test_points_follow_the_store_order_and_overwrites(server):
    write(server, b"m,h=b v=1 20\nm,h=a v=2 10\nm,h=a v=3 20\n")
    write(server, b"m,h=a v=4 10\n")
    assert [(p["time"], p["tags"]["h"], p["fields"]["v"]) for p in server.points("m")] == [
        (10, "a", 4.0),
        (20, "a", 3.0),
        (20, "b", 1.0),
    ]


def test_a_field_named_like_a_tag_keeps_its_key(server):
    write(server, b"m,x=tag x=1 1\n")
    assert server.points("m") == [{"time": 1, "tags": {"x": "tag"}, "fields": {"x": 1.0}}]


def test_points_read_databases_and_retention_policies(server):
    server.store.create_database("other")
    server.store.create_retention_policy("db", "short", duration=None)
    write(server, b"m v=1 1", db="db")
    write(server, b"m v=2 2", db="db", rp="short")
    write(server, b"m v=3 3", db="other")
    assert [p["fields"]["v"] for p in server.points("m", db="db")] == [1.0]
    assert [p["fields"]["v"] for p in server.points("m", db="db", rp="short")] == [2.0]
    assert [p["fields"]["v"] for p in server.points("m", "other")] == [3.0]
    with pytest.raises(ValueError, match="several databases"):
        server.points("m")
    assert server.points("nothing", db="db") == []
    assert server.points("m", db="no-such-db") == []
    with pytest.raises(LookupError):
        server.points("m", db="db", rp="no-such-rp")


def test_points_of_an_empty_server_are_empty():
    with influxlp.Server() as server:
        assert server.points("m") == []


def test_wait_for_returns_once_enough_points_are_stored(server):
    def late_writer() -> None:
        for i in range(5):
            time.sleep(0.05)
            write(server, f"cpu v={i} {i}".encode())

    thread = threading.Thread(target=late_writer)
    thread.start()
    try:
        started = time.perf_counter()
        assert server.wait_for(5, measurement="cpu", db="db", timeout=5) == 5
        assert 0.2 <= time.perf_counter() - started < 5
    finally:
        thread.join()
    assert server.wait_for(3) == 5
    assert server.wait_for(count=0, measurement="nothing") == 0


def test_wait_for_times_out_saying_what_is_there(server):
    write(server, b"cpu v=1 1\ncpu v=2 2\nmem v=1 1\n")
    started = time.perf_counter()
    with pytest.raises(TimeoutError) as raised:
        server.wait_for(count=10, measurement="cpu", db="db", timeout=0.2)
    assert 0.2 <= time.perf_counter() - started < 2
    message = str(raised.value)
    assert 'waited 0.2 s for 10 points in measurement "cpu" of database "db": 2 stored' in message
    assert "db/autogen cpu: 2, db/autogen mem: 1" in message
    assert "last request: POST /write -> 204" in message
    with pytest.raises(TimeoutError, match="0 stored; the store holds"):
        server.wait_for(1, db="missing", timeout=0)
    with pytest.raises(ValueError):
        server.wait_for(1, timeout=-1)


def test_wait_for_does_not_hold_the_gil(server):
    # A Python thread writing while the main thread waits proves the GIL is released.
    def writer() -> None:
        for i in range(20):
            server.store.write(f"m v={i} {i}", db="db")

    thread = threading.Thread(target=writer)
    thread.start()
    assert server.wait_for(20, measurement="m", timeout=5) == 20
    thread.join()
