"""HTTP/1.1 on the wire: keep-alive after refusals, pipelining, `Expect: 100-continue`, HTTP/1.0,
many open connections, clients that vanish mid-body or stall while the server stops."""

from __future__ import annotations

import http.client
import re
import socket
import time

import influxlp
import pytest
from server_helpers import port_is_free, send


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def statuses(data: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.[01] \d{3} [^\r]*", data)


@pytest.fixture
def server():
    server = influxlp.Server(port=0, flavor="v1")
    server.store.create_database("db")
    server.start()
    yield server
    server.stop()


def write_request(line: bytes, db: bytes = b"db", extra: bytes = b"") -> bytes:
    return (
        b"POST /write?db="
        + db
        + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % len(line)
        + extra
        + b"\r\n"
        + line
    )


def test_connection_is_reused_after_an_early_refusal(server):
    """A refusal made before the body is read (unknown db) still reads the body, so the next
    request on the connection works."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        refused = send(connection, "POST", "/write", {"db": "nope"}, b"m v=1 1\n" * 100_000)
        assert refused.status == 404
        assert "connection" not in refused.headers
        accepted = send(connection, "POST", "/write", {"db": "db"}, b"m v=2 2\n")
        assert accepted.status == 204
    finally:
        connection.close()
    assert server.store.count(db="db") == 1


def test_body_over_the_limit_closes_the_connection():
    with influxlp.Server(port=0, max_body_size=1_000) as server:
        server.store.create_database("db")
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
                + b"m v=1 1\n" * 10
            )
            answer = read_until_closed(sock)  # the server closes: no waiting for 5,000 bytes
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"\r\nconnection: close\r\n" in answer.lower()
        assert server.store.count(db="db") == 0


def test_pipelined_requests_are_answered_in_order(server):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            write_request(b"m v=1 1\n")
            + write_request(b"m v=2 2\n", db=b"nope")
            + write_request(b"m v=3 3\n")
            + b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = read_until_closed(sock)
    assert statuses(answer) == [
        b"HTTP/1.1 204 No Content",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 204 No Content",
        b"HTTP/1.1 204 No Content",
    ]
    assert server.store.count(db="db") == 2


def test_expect_100_continue(server):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert sock.recv(1000) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"m v=1 1\n")
        assert sock.recv(1000).startswith(b"HTTP/1.1 204 ")
    assert server.store.count(db="db") == 1


def test_http_1_0_without_keep_alive(server):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"POST /write?db=db HTTP/1.0\r\nContent-Length: 8\r\n\r\nm v=1 1\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.0 204 ")
    assert server.store.count(db="db") == 1


def test_many_open_connections_at_once(server):
    count = 300
    sockets = [
        socket.create_connection((server.host, server.port), timeout=30) for _ in range(count)
    ]
    try:
        for i, sock in enumerate(sockets):
            sock.sendall(write_request(b"m,c=%d v=%d %d\n" % (i, i, i)))
        answers = [sock.recv(1000) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 204 ") for answer in answers)
    assert server.store.count(db="db") == count


def test_client_gone_mid_body_writes_nothing(server):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n"
            + b"m v=1 1\n" * 100
        )
        time.sleep(0.1)
    time.sleep(0.3)
    assert server.store.count(db="db") == 0
    # The server goes on serving.
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        assert send(connection, "POST", "/write", {"db": "db"}, b"m v=2 2\n").status == 204
    finally:
        connection.close()


def test_stop_is_bounded_when_a_client_stalls_mid_body():
    """An in-flight request whose body never completes holds `stop` only for the shutdown
    grace period (10 s), after which its connection is closed and the port freed."""
    server = influxlp.Server(port=0)
    server.store.create_database("db")
    server.start()
    port = server.port
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nm v=1 1\n"
        )
        time.sleep(0.2)
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        assert read_until_closed(sock) == b""
    assert took < 13
    assert port_is_free(port)
    assert server.store.count(db="db") == 0


def test_idle_connection_without_a_request_does_not_hold_stop():
    server = influxlp.Server(port=0)
    server.start()
    port = server.port
    with socket.create_connection((server.host, server.port), timeout=10):
        time.sleep(0.1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
    assert port_is_free(port)
