"""Hostile requests against a running server, each with the answer it must get; after each
one the server still answers other clients."""

from __future__ import annotations

import gzip
import http.client
import json
import resource
import socket
import threading
import time
import zlib

import influxlp
import pytest

MAX_BODY = 1_000_000


@pytest.fixture
def server():
    with influxlp.Server(max_body_size=MAX_BODY, read_timeout=1.0) as server:
        server.store.create_database("db")
        yield server


def request(server, method, target, body=b"", headers=None, timeout=10.0):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def error(body: bytes) -> str:
    return json.loads(body)["error"]


def assert_alive(server):
    assert request(server, "GET", "/ping")[0] == 204


def raw_exchange(server, data: bytes, timeout=5.0) -> bytes:
    """Sends raw bytes and returns what the server answers before closing (or the timeout)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and not out.startswith(b"HTTP/1.1 100"):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_gzip_bomb_is_refused_quickly_with_bounded_memory(server):
    # One byte repeated compresses about 1000:1; split into members to keep it under the body
    # limit: 15 members of 50 MB each inflate to 750 MB from ~0.8 MB.
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"a" * (1 << 20)
    one = b"".join(member.compress(chunk) for _ in range(50)) + member.flush()
    bomb = one * 15
    assert len(bomb) < MAX_BODY
    rss_before = max_rss_mib()
    started = time.monotonic()
    status, _, body = request(server, "POST", "/write?db=db", bomb, {"Content-Encoding": "gzip"})
    elapsed = time.monotonic() - started
    assert status == 413
    assert error(body) == "Request Entity Too Large"
    assert elapsed < 5
    # Inflating stops at the decompressed limit (4 x max_body_size here), never 750 MB.
    assert max_rss_mib() - rss_before < 100
    assert server.store.count(db="db") == 0
    assert_alive(server)


def test_body_just_under_and_just_over_max_body_size(server):
    line = b"m,t=x f=1i 1\n"
    under = line * (MAX_BODY // len(line))
    assert len(under) <= MAX_BODY
    assert request(server, "POST", "/write?db=db", under)[0] == 204
    # One byte over: refused from the Content-Length alone, before the body is sent.
    answer = raw_exchange(
        server,
        b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1),
    )
    assert answer.startswith(b"HTTP/1.1 413")
    # Sent whole anyway: the same answer (or a reset once the server stops reading).
    over = under + b"x" * (MAX_BODY - len(under) + 1)
    assert len(over) == MAX_BODY + 1
    try:
        status, _, body = request(server, "POST", "/write?db=db", over)
        assert status == 413
        assert error(body) == "Request Entity Too Large"
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert server.store.count(db="db") == 1  # one series and time, overwritten
    assert_alive(server)


def test_chunked_body_without_length_over_the_limit(server):
    def chunks():
        for _ in range(64):
            yield b"m f=1i 1\n" * 4000  # 36 kB per chunk, 2.3 MB in all

    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("POST", "/write?db=db", body=chunks(), encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413
        assert error(response.read()) == "Request Entity Too Large"
    except (BrokenPipeError, ConnectionResetError):
        # The server may close before every chunk is sent; the answer is then lost with it.
        pass
    finally:
        connection.close()
    assert server.store.count(db="db") == 0
    assert_alive(server)


def test_chunked_body_within_the_limit_is_written(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.request(
        "POST",
        "/write?db=db",
        body=iter([b"m f=1i 1\n", b"m f=2i 2\n"]),
        encode_chunked=True,
    )
    assert connection.getresponse().status == 204
    connection.close()
    assert server.store.count(db="db") == 2


def test_huge_header_is_refused(server):
    answer = raw_exchange(
        server,
        b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n",
    )
    # hyper refuses a head over its buffer with 431 (or closes the connection).
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    assert_alive(server)


def test_numerous_headers_are_refused(server):
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(500))
    answer = raw_exchange(server, b"GET /ping HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")
    assert_alive(server)


def test_a_hundred_headers_are_fine(server):
    headers = {f"X-H{i}": "v" for i in range(90)}
    assert request(server, "GET", "/ping", headers=headers)[0] == 204


def test_very_long_key_is_refused_with_influxdb_message(server):
    status, _, body = request(server, "POST", "/write?db=db", b"m" * 70_000 + b" f=1\n")
    assert status == 400
    assert "max key length exceeded: 70000 > 65535" in error(body)
    assert_alive(server)


def test_very_long_line_with_long_string_value_is_written(server):
    value = "x" * 60_000
    line = f'm s="{value}" 1\n'.encode()
    assert request(server, "POST", "/write?db=db", line)[0] == 204
    table = server.store.table("m", db="db")
    assert table.to_arrow().column("s")[0].as_py() == value


def test_ten_thousand_fields_in_one_point(server):
    fields = ",".join(f"f{i}={i}i" for i in range(10_000))
    assert request(server, "POST", "/write?db=db", f"wide {fields} 1\n".encode())[0] == 204
    assert server.store.count("wide", db="db") == 1
    assert len(server.store.field_keys("wide", db="db")) == 10_000


def test_ten_thousand_tags_exceed_the_key_length(server):
    tags = ",".join(f"t{i:05}=v" for i in range(10_000))
    status, _, body = request(server, "POST", "/write?db=db", f"m,{tags} f=1 1\n".encode())
    assert status == 400
    assert "max key length exceeded" in error(body)


def test_a_thousand_tags_are_written(server):
    tags = ",".join(f"t{i:04}=v{i}" for i in range(1_000))
    assert request(server, "POST", "/write?db=db", f"m,{tags} f=1 1\n".encode())[0] == 204
    assert len(server.store.tag_keys("m", db="db")) == 1_000


@pytest.mark.parametrize(
    "body",
    [
        b"m\xff,t=v f=1 1\n",
        b"m,t\xfe=v f=1 1\n",
        b"m,t=\xc3\x28 f=1 1\n",
        b"m f\xff=1 1\n",
        b'm s="\xed\xa0\x80" 1\n',
        b"\xff\xfe\xfd\n",
    ],
)
def test_invalid_utf8_in_body_never_fails_the_server(server, body):
    status, _, answer = request(server, "POST", "/write?db=db", body)
    assert status in (204, 400), answer
    assert_alive(server)


def test_invalid_utf8_in_target_and_headers(server):
    answer = raw_exchange(
        server,
        b"POST /write?db=\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
        b"Authorization: Token \xff\r\nUser-Agent: \xc3\x28\r\n\r\nm f=1 1\n",
    )
    # hyper refuses a non-ASCII request target; a header value of any bytes is accepted.
    assert answer.startswith(b"HTTP/1.1 400") or answer.startswith(b"HTTP/1.1 404")
    status, _, _ = request(
        server, "POST", "/write?db=%FF%FE", b"m f=1 1\n", {"User-Agent": "\u00ff"}
    )
    assert status == 404  # database not found, by a name that is not UTF-8
    assert_alive(server)


@pytest.mark.parametrize(
    "body",
    [b"m\x00 f=1 1\n", b"m,t=\x00 f=1 1\n", b'm s="a\x00b" 1\n', b"\x00" * 1000, b"m f=1 \x001\n"],
)
def test_nul_bytes(server, body):
    status, _, answer = request(server, "POST", "/write?db=db", body)
    assert status in (204, 400), answer
    assert_alive(server)


def test_nul_byte_in_string_value_is_kept(server):
    assert request(server, "POST", "/write?db=db", b'm s="a\x00b" 1\n')[0] == 204
    assert server.store.table("m", db="db").to_arrow().column("s")[0].as_py() == "a\x00b"


def test_slow_client_is_disconnected_while_another_is_served(server):
    outcome = {}

    def trickle():
        data = b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\nm f=1i 1\n"
        sock = socket.create_connection((server.host, server.port))
        started = time.monotonic()
        try:
            for byte in data:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
            sock.settimeout(5)
            while sock.recv(4096):
                pass
            outcome["closed"] = True
        except OSError:
            outcome["closed"] = True
        finally:
            outcome["after"] = time.monotonic() - started
            sock.close()

    slow = threading.Thread(target=trickle)
    slow.start()
    for _ in range(10):
        started = time.monotonic()
        assert_alive(server)
        assert time.monotonic() - started < 0.5
        time.sleep(0.1)
    slow.join(30)
    assert outcome.get("closed")
    # Cut off near the 1 s read timeout, not after the whole trickle (~16 s) and the body wait.
    assert outcome["after"] < 8
    assert server.store.count(db="db") == 0


def test_slow_body_after_a_prompt_head_is_cut_off(server):
    sock = socket.create_connection((server.host, server.port))
    sock.sendall(b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n")
    started = time.monotonic()
    answer = b""
    try:
        for byte in b"m f=1i 1\n" * 7:
            sock.sendall(bytes([byte]))
            time.sleep(0.2)
            sock.settimeout(0.01)
            try:
                answer += sock.recv(4096)
            except TimeoutError:
                pass
            if answer:
                break
    except OSError:
        pass
    elapsed = time.monotonic() - started
    sock.close()
    # 1.x answers a body read error with 400 and its text; the connection is then closed.
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"i/o timeout" in answer
    assert elapsed < 3
    assert server.store.count(db="db") == 0
    assert_alive(server)


def test_many_idle_connections_hit_the_cap_without_hurting_served_ones():
    with influxlp.Server(max_connections=4) as server:
        idle = [socket.create_connection((server.host, server.port)) for _ in range(4)]
        try:
            waiting = socket.create_connection((server.host, server.port), timeout=0.5)
            waiting.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            with pytest.raises(TimeoutError):
                waiting.recv(100)
            # A served connection keeps working.
            idle[0].sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert idle[0].recv(100).startswith(b"HTTP/1.1 204")
            idle.pop().close()
            waiting.settimeout(5)
            assert waiting.recv(100).startswith(b"HTTP/1.1 204")
            waiting.close()
        finally:
            for sock in idle:
                sock.close()


def test_requests_after_stop_are_refused():
    server = influxlp.Server()
    server.start()
    port = server.port
    assert request(server, "GET", "/ping")[0] == 204
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_stop_waits_shutdown_timeout_for_a_stalled_body_then_closes_it():
    server = influxlp.Server(shutdown_timeout=0.5)
    server.start()
    server.store.create_database("db")
    stalled = socket.create_connection((server.host, server.port))
    try:
        # A head promising more body than ever comes: the request stays in flight.
        stalled.sendall(b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\nm f=1")
        time.sleep(0.2)
        started = time.monotonic()
        server.stop()
        elapsed = time.monotonic() - started
        assert 0.4 <= elapsed < 3, elapsed
        stalled.settimeout(5)
        try:
            rest = stalled.recv(4096)
        except ConnectionResetError:
            rest = b""
        assert rest == b"", rest  # closed without an answer
        assert server.store.count(db="db") == 0
    finally:
        stalled.close()


def test_shutdown_timeout_must_be_a_number_of_seconds():
    with pytest.raises(ValueError, match="shutdown_timeout"):
        influxlp.Server(shutdown_timeout=-1)


def test_a_full_store_refuses_the_write_as_influxdb_1x():
    store = influxlp.Store(max_memory=200_000)
    assert store.max_memory == 200_000
    store.create_database("db")
    with influxlp.Server(store=store) as server:
        acknowledged = 0
        for batch in range(1000):
            body = "".join(
                f"m,h=h{i % 5} v={i}i {i}\n" for i in range(batch * 100, batch * 100 + 100)
            )
            status, headers, answer = request(server, "POST", "/write?db=db", body.encode())
            if status != 204:
                break
            acknowledged += 100
        assert status == 500
        message = error(answer)
        assert message.startswith("engine: cache-max-memory-size exceeded: (")
        assert message.endswith("/200000)")
        assert headers["X-Influxdb-Error"] == message
        assert store.count("m", db="db") == acknowledged
    with pytest.raises(MemoryError, match="cache-max-memory-size exceeded"):
        store.write(b"m v=1i 999999999\n" * 1000, db="db")
    assert store.count("m", db="db") == acknowledged


def test_gzip_member_garbage_after_valid_data(server):
    body = gzip.compress(b"m f=1i 1\n") + b"garbage"
    status, _, _ = request(server, "POST", "/write?db=db", body, {"Content-Encoding": "gzip"})
    assert status in (204, 400)
    assert_alive(server)
