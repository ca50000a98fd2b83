"""Many clients at once, stopping under load, several servers per process, restarts: the store
holds exactly what was acknowledged and the port is free after `stop`."""

from __future__ import annotations

import http.client
import threading
import time

import influxlp
import pyarrow as pa
import pytest
from server_helpers import free_port, gzipped, port_is_free, request, send

THREADS = 6
BATCHES = 30
LINES = 200
TIME_LIMIT = 120.0  # seconds for the whole load (a debug build on two busy cores)


def batch_lines(thread: int, batch: int, lines: int = LINES) -> bytes:
    """`lines` points no other batch shares (own series, own times), each carrying its id."""
    base = (thread * 1_000 + batch) * lines
    return "".join(
        f"load,thread=t{thread},batch=b{batch} id={base + i}i,v={i}.5 {base + i}\n"
        for i in range(lines)
    ).encode()


def stored_ids(server: influxlp.Server, db: str = "db") -> list[int]:
    if "load" not in server.store.measurements(db):
        return []
    table = server.store.table("load", db=db).to_arrow()
    return table.column("id").to_pylist()


def expected_ids(acknowledged: list[tuple[int, int]], lines: int = LINES) -> list[int]:
    return sorted(
        (thread * 1_000 + batch) * lines + i for thread, batch in acknowledged for i in range(lines)
    )


def test_threads_writing_known_batches_over_keep_alive():
    with influxlp.Server(port=0, flavor="v1") as server:
        server.store.create_database("db")
        acknowledged: list[tuple[int, int]] = []
        failures: list[str] = []
        connections_used: list[int] = []
        lock = threading.Lock()
        deadline = time.monotonic() + TIME_LIMIT

        def client(thread: int) -> None:
            connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
            connection.connect()
            local_port = connection.sock.getsockname()[1]
            try:
                for batch in range(BATCHES):
                    if time.monotonic() > deadline:
                        failures.append(f"t{thread}: time limit")
                        return
                    body = batch_lines(thread, batch)
                    headers = {}
                    if batch % 3 == 0:  # a third of the batches gzipped
                        body, headers = gzipped(body), {"Content-Encoding": "gzip"}
                    reply = send(connection, "POST", "/write", {"db": "db"}, body, headers)
                    if reply.status != 204:
                        failures.append(f"t{thread} b{batch}: {reply.status} {reply.text}")
                        continue
                    with lock:
                        acknowledged.append((thread, batch))
                # Every batch went over the one connection (keep-alive).
                assert connection.sock is not None
                with lock:
                    connections_used.append(connection.sock.getsockname()[1] == local_port)
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIME_LIMIT + 30)
            assert not thread.is_alive()

        assert failures == []
        assert len(acknowledged) == THREADS * BATCHES
        assert connections_used == [True] * THREADS
        ids = sorted(stored_ids(server))
        assert len(ids) == THREADS * BATCHES * LINES
        assert ids == expected_ids(acknowledged)
        # Tags and times arrived intact with the fields.
        table = server.store.table("load", db="db", tags={"thread": "t4", "batch": "b7"})
        assert table.num_rows == LINES
        arrow = table.to_arrow()
        times = arrow.column("time").cast(pa.int64()).to_pylist()
        assert times == arrow.column("id").to_pylist()


def test_stop_while_clients_write_keeps_every_acknowledged_point():
    server = influxlp.Server(port=0, flavor="v1")
    server.store.create_database("db")
    server.start()
    port = server.port
    acknowledged: list[tuple[int, int]] = []
    sent: list[tuple[int, int]] = []
    lock = threading.Lock()
    started = threading.Barrier(THREADS + 1)

    def client(thread: int) -> None:
        started.wait()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for batch in range(1_000):
                with lock:
                    sent.append((thread, batch))
                try:
                    reply = send(
                        connection, "POST", "/write", {"db": "db"}, batch_lines(thread, batch, 100)
                    )
                except (OSError, http.client.HTTPException):
                    return  # the server went away
                if reply.status == 204:
                    with lock:
                        acknowledged.append((thread, batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.5)
    stopping = time.monotonic()
    server.stop()
    stop_took = time.monotonic() - stopping
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()

    assert acknowledged, "no batch was written before stop"
    assert len(acknowledged) < THREADS * 1_000, "stop came after the clients finished"
    stored = stored_ids(server)
    assert len(stored) == len(set(stored)), "a point was stored twice"
    acknowledged_ids = set(expected_ids(acknowledged, 100))
    # Every acknowledged point is stored; anything else stored was at least sent (a batch
    # whose answer was lost when the connection closed).
    assert acknowledged_ids <= set(stored)
    assert set(stored) <= set(expected_ids(sent, 100))
    assert stop_took < 15
    assert not server.is_running
    assert port_is_free(port)
    # The port can be bound again at once.
    again = influxlp.Server(port=port, flavor="v1", store=server.store)
    again.start()
    try:
        assert again.port == port
        assert request(again, "GET", "/ping").status == 204
    finally:
        again.stop()


def test_in_flight_request_finishes_during_stop():
    """A large write that is still being processed when stop() is called completes and is
    answered; new connections are refused afterwards."""
    server = influxlp.Server(port=0, flavor="v1")
    server.store.create_database("db")
    server.start()
    port = server.port
    body = batch_lines(0, 0, 200_000)
    result: dict[str, object] = {}

    def writer() -> None:
        try:
            result["reply"] = request(server, "POST", "/write", {"db": "db"}, body)
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            result["error"] = error

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    server.stop()
    thread.join(60)
    reply = result.get("reply")
    if reply is not None:
        assert reply.status == 204
        assert server.store.count(db="db") == 200_000
    else:
        # The request had not reached the server yet: then nothing of it was stored.
        assert server.store.count(db="db") == 0
    assert port_is_free(port)


def test_two_servers_in_one_process():
    with influxlp.Server(port=0, flavor="v1") as one, influxlp.Server(port=0, flavor="v2") as two:
        assert one.port != two.port
        one.store.create_database("db")
        two.store.create_database("db")
        assert request(one, "POST", "/write", {"db": "db"}, "m v=1 1").status == 204
        assert (
            request(two, "POST", "/api/v2/write", {"bucket": "db", "org": "o"}, "m v=2 2").status
            == 204
        )
        assert one.store.count(db="db") == 1
        assert two.store.count(db="db") == 1
        assert request(one, "GET", "/ping").headers["x-influxdb-version"] == "1.11.8"
        assert request(two, "GET", "/ping").headers["x-influxdb-version"] == "v2.7.12"


def test_two_servers_sharing_one_store_from_many_threads():
    store = influxlp.Store()
    store.create_database("db")
    servers = [influxlp.Server(port=0, flavor=f, store=store) for f in ("v1", "v2")]
    for server in servers:
        server.start()
    try:
        errors: list[str] = []

        def client(thread: int) -> None:
            server = servers[thread % 2]
            connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
            try:
                for batch in range(10):
                    body = batch_lines(thread, batch, 100)
                    if server.flavor == "v1":
                        reply = send(connection, "POST", "/write", {"db": "db"}, body)
                    else:
                        reply = send(
                            connection, "POST", "/api/v2/write", {"bucket": "db", "org": "o"}, body
                        )
                    if reply.status != 204:
                        errors.append(reply.text)
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert servers[0].store.count(db="db") == 4 * 10 * 100
        assert sorted(stored_ids(servers[1])) == expected_ids(
            [(t, b) for t in range(4) for b in range(10)], 100
        )
    finally:
        for server in servers:
            server.stop()


def test_start_stop_start_again():
    server = influxlp.Server(port=0, flavor="v1")
    assert not server.is_running
    server.start()
    server.start()  # starting a running server does nothing
    first_port = server.port
    server.store.create_database("db")
    assert request(server, "POST", "/write", {"db": "db"}, "m v=1 1").status == 204
    server.stop()
    server.stop()  # idempotent
    assert not server.is_running
    assert port_is_free(first_port)

    server.start()
    assert server.is_running
    assert request(server, "POST", "/write", {"db": "db"}, "m v=2 2").status == 204
    assert server.store.count(db="db") == 2  # the store outlives a restart
    server.stop()

    with server:
        assert server.is_running
        assert request(server, "GET", "/ping").status == 204
    assert not server.is_running


def test_fixed_port_and_port_in_use():
    port = free_port()
    with influxlp.Server(port=port) as server:
        assert server.port == port
        assert server.url == f"http://127.0.0.1:{port}"
        clash = influxlp.Server(port=port)
        with pytest.raises(OSError):
            clash.start()
        assert not clash.is_running
    assert port_is_free(port)


def test_idle_keep_alive_connections_do_not_block_stop():
    server = influxlp.Server(port=0)
    server.start()
    port = server.port
    idle = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(5)]
    for connection in idle:
        assert send(connection, "GET", "/ping").status == 204
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert port_is_free(port)
    for connection in idle:
        with pytest.raises((OSError, http.client.HTTPException)):
            send(connection, "GET", "/ping")
        connection.close()
