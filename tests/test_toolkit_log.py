"""The request log: what `Server.requests` and `Server.last_request` hold."""

from __future__ import annotations

import base64
import datetime
import gzip
import threading

import influxlp
import pytest
import requests


@pytest.fixture
def server():
    with influxlp.Server(flavor="v1") as server:
        server.store.create_database("db")
        yield server


def test_an_answered_write_is_recorded_whole(server):
    assert server.requests == []
    assert server.last_request is None
    before = datetime.datetime.now(datetime.timezone.utc)
    body = b"cpu,host=a value=1 1\ncpu,host=b value=2 2\n"
    compressed = gzip.compress(body)
    answer = requests.post(
        f"{server.url}/write",
        params={"db": "db", "precision": "ns"},
        data=compressed,
        headers={"Content-Encoding": "gzip", "User-Agent": "toolkit-test"},
    )
    assert answer.status_code == 204

    (request,) = server.requests
    assert isinstance(request, influxlp.Request)
    assert server.last_request is not None and server.last_request.body == request.body
    assert request.method == "POST"
    assert request.path == "/write"
    assert request.params == [("db", "db"), ("precision", "ns")]
    assert request.param("db") == "db"
    assert request.param("rp") is None and request.param("rp", "autogen") == "autogen"
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["user-agent"] == "toolkit-test"
    assert request.body == compressed
    assert request.decoded_body == body
    assert request.status == 204
    assert request.response_body == b""
    assert request.response_headers["x-influxdb-version"] == server.version
    assert 0 < request.duration < 5
    assert before - datetime.timedelta(seconds=1) <= request.time
    assert request.time <= datetime.datetime.now(datetime.timezone.utc)
    assert request.fault is None and request.latency == 0.0
    assert "POST /write?db=db&precision=ns -> 204" in repr(request)


def test_errors_and_other_endpoints_are_recorded(server):
    requests.post(f"{server.url}/write", params={"db": "nope"}, data=b"cpu value=1")
    requests.post(f"{server.url}/write", params={"db": "db"}, data=b"cpu value=")
    requests.get(f"{server.url}/ping")
    requests.get(f"{server.url}/query", params={"q": "SHOW DATABASES"})
    requests.get(f"{server.url}/nowhere")
    log = server.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("POST", "/write", 404),
        ("POST", "/write", 400),
        ("GET", "/ping", 204),
        ("GET", "/query", 200),
        ("GET", "/nowhere", 404),
    ]
    # A write refused before its body was read still shows the body that was sent.
    assert log[0].body == b"cpu value=1"
    assert log[0].response_body == b'{"error":"database not found: \\"nope\\""}\n'
    assert b"missing field value" in log[1].response_body
    assert b'"db"' in log[3].response_body


def test_credentials_are_redacted_everywhere():
    secret = "s3cr3t-password"
    token = "tok-abcdef-123456"
    with influxlp.Server(
        flavor="v1", users={"alice": secret}, tokens=[token], auto_create_databases=True
    ) as server:
        basic = base64.b64encode(f"alice:{secret}".encode()).decode()
        requests.post(
            f"{server.url}/write", params={"db": "d", "u": "alice", "p": secret}, data=b"m v=1"
        )
        requests.post(
            f"{server.url}/write",
            params={"db": "d"},
            data=b"m v=2",
            headers={"Authorization": f"Basic {basic}"},
        )
        requests.post(
            f"{server.url}/write",
            params={"db": "d"},
            data=b"m v=3",
            headers={"Authorization": f"Token {token}"},
        )
        requests.post(
            f"{server.url}/write",
            params={"db": "d"},
            data=b"m v=4",
            headers={"Authorization": f"Token alice:{secret}"},
        )
        requests.post(
            f"{server.url}/query",
            data={"q": "SHOW DATABASES", "u": "alice", "p": secret},
        )
        log = server.requests
        # 1.x takes credentials from the query string only, so the form's are refused.
        assert [r.status for r in log] == [204, 204, 204, 204, 401]
        assert log[0].params == [("db", "d"), ("u", "alice"), ("p", "[REDACTED]")]
        assert log[1].headers["authorization"] == "Basic alice:[REDACTED]"
        assert log[2].headers["authorization"] == "Token [REDACTED]"
        assert log[3].headers["authorization"] == "Token alice:[REDACTED]"
        assert b"p=%5BREDACTED%5D" not in log[4].body
        assert log[4].body.endswith(b"p=[REDACTED]")
        for entry in log:
            seen = " ".join(
                [
                    repr(entry),
                    repr(entry.params),
                    repr(entry.headers),
                    repr(entry.body),
                    repr(entry.decoded_body),
                    repr(entry.response_headers),
                    repr(entry.response_body),
                ]
            )
            assert secret not in seen and token not in seen and basic not in seen


def test_line_protocol_sent_as_a_form_is_kept_as_sent(server):
    # Only bodies the server reads as forms (/query) are redacted; writes are kept verbatim.
    body = b'cpu,p=1 s="a&p=b" 1'
    requests.post(
        f"{server.url}/write",
        params={"db": "db"},
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert server.last_request.body == body


def test_the_log_keeps_the_newest_requests():
    with influxlp.Server(request_log_size=5) as server:
        for i in range(12):
            requests.get(f"{server.url}/ping", params={"n": str(i)})
        assert [r.param("n") for r in server.requests] == ["7", "8", "9", "10", "11"]
    with influxlp.Server(request_log_size=100, request_log_bytes=10_000) as server:
        for _ in range(20):
            requests.post(f"{server.url}/write", params={"db": "x"}, data=b"x" * 2_000)
        kept = server.requests
        assert 1 <= len(kept) <= 5
        assert sum(len(r.body) for r in kept) <= 10_000


def test_the_log_can_be_turned_off():
    with influxlp.Server(request_log_size=0) as server:
        requests.get(f"{server.url}/ping")
        assert server.requests == []
        assert server.last_request is None


def test_reset_empties_log_and_store(server):
    requests.post(f"{server.url}/write", params={"db": "db"}, data=b"cpu value=1")
    assert len(server.requests) == 1 and server.store.count() == 1
    server.reset()
    assert server.requests == [] and server.last_request is None
    assert server.store.databases() == []


def test_concurrent_requests_are_all_recorded(server):
    def client(n: int) -> None:
        with requests.Session() as session:
            for i in range(25):
                session.post(f"{server.url}/write", params={"db": "db"}, data=f"m,c={n} v={i} {i}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = server.requests
    assert len(log) == 100
    assert all(r.status == 204 for r in log)
    assert sorted(r.body for r in log) == sorted(
        f"m,c={n} v={i} {i}".encode() for n in range(4) for i in range(25)
    )
    assert server.store.count("m", db="db") == 100


def test_undecodable_gzip_has_no_decoded_body(server):
    requests.post(
        f"{server.url}/write",
        params={"db": "db"},
        data=b"not gzip at all",
        headers={"Content-Encoding": "gzip"},
    )
    entry = server.last_request
    assert entry.status == 400
    assert entry.body == b"not gzip at all"
    assert entry.decoded_body is None
