"""Faults injected into the write endpoints, seen over raw HTTP in each flavor."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time

import influxlp
import pytest
import requests

# (flavor, write path, parameters) of each write endpoint.
WRITES = [
    ("v1", "/write", {"db": "db"}),
    ("v1", "/api/v2/write", {"bucket": "db"}),
    ("v2", "/api/v2/write", {"bucket": "db", "org": "o"}),
    ("v2", "/write", {"db": "db"}),
    ("cloud", "/api/v2/write", {"bucket": "db", "org": "o"}),
    ("v3", "/api/v3/write_lp", {"db": "db"}),
    ("v3", "/api/v2/write", {"bucket": "db"}),
    ("v3", "/write", {"db": "db"}),
]


def start(flavor: str = "v1", **options) -> influxlp.Server:
    server = influxlp.Server(flavor=flavor, **options)
    server.start()
    server.store.create_database("db")
    return server


@pytest.fixture
def server():
    server = start()
    yield server
    server.stop()


def write(server, body=b"cpu value=1", path="/write", params=None, timeout=10, **kwargs):
    return requests.post(
        f"{server.url}{path}", params=params or {"db": "db"}, data=body, timeout=timeout, **kwargs
    )


def expected_body(flavor: str, path: str, status: int, message: str) -> dict:
    if flavor == "v1":
        return {"error": message}
    if flavor == "v3" and path != "/api/v2/write":
        return {"error": message}
    codes = {429: "too many requests", 503: "unavailable", 500: "internal error"}
    return {"code": codes[status], "message": message}


@pytest.mark.parametrize(("flavor", "path", "params"), WRITES)
def test_fail_next_answers_in_the_flavor_shape(flavor, path, params):
    server = start(flavor)
    try:
        server.fail_next(2, status=503, retry_after=3)
        server.fail_next(status=429)
        answers = [write(server, f"cpu value={i} {i}".encode(), path, params) for i in range(4)]
        assert [a.status_code for a in answers] == [503, 503, 429, 204]
        assert answers[0].headers["Retry-After"] == "3"
        assert "Retry-After" not in answers[2].headers
        assert answers[0].json() == expected_body(flavor, path, 503, "service unavailable")
        assert answers[2].json() == expected_body(flavor, path, 429, "too many requests")
        if flavor == "v1":
            assert answers[0].headers["X-Influxdb-Error"] == "service unavailable"
        if flavor in ("v2", "cloud") and path == "/api/v2/write":
            assert answers[0].headers["X-Platform-Error-Code"] == "unavailable"
        assert [p["fields"] for p in server.points("cpu", db="db")] == [{"value": 3.0}]
        faults = [(r.status, r.fault) for r in server.requests]
        assert faults == [
            (503, "fail_next"),
            (503, "fail_next"),
            (429, "fail_next"),
            (204, None),
        ]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("status", "v1_body"),
    [
        (400, {"error": "bad request"}),
        (401, {"error": "authorization failed"}),
        (413, {"error": "Request Entity Too Large"}),
        (500, {"error": "internal error"}),
        (502, {"error": "bad gateway"}),
    ],
)
def test_each_status_can_be_injected(server, status, v1_body):
    server.fail_next(status=status)
    answer = write(server)
    assert answer.status_code == status
    assert answer.json() == v1_body
    if status == 401:
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="InfluxDB"'


def test_v2_error_codes_follow_the_status():
    server = start("v2")
    try:
        for status, code in [
            (400, "invalid"),
            (401, "unauthorized"),
            (413, "request too large"),
            (500, "internal error"),
            (504, "internal error"),
        ]:
            server.fail_next(status=status)
            answer = write(server, path="/api/v2/write", params={"bucket": "db", "org": "o"})
            assert answer.status_code == status
            assert answer.json()["code"] == code
    finally:
        server.stop()


def test_a_given_body_is_answered_as_it_is(server):
    server.fail_next(status=500, body='{"code":"internal error","message":"disk full"}')
    server.fail_next(status=502, body=b"<html>bad gateway</html>")
    first = write(server)
    assert first.status_code == 500
    assert first.json() == {"code": "internal error", "message": "disk full"}
    assert first.headers["Content-Type"] == "application/json"
    second = write(server)
    assert second.content == b"<html>bad gateway</html>"
    assert second.headers["Content-Type"].startswith("text/plain")


def test_bad_fault_arguments_are_refused(server):
    with pytest.raises(ValueError, match="status"):
        server.fail_next(status=99)
    with pytest.raises(ValueError, match="status"):
        server.fail_next(status=600)
    with pytest.raises(ValueError, match="fraction"):
        server.fail_rate(1.5)
    with pytest.raises(ValueError, match="seconds"):
        server.set_latency(-1)
    with pytest.raises(ValueError, match="retry_after"):
        server.fail_next(retry_after=-2)
    with pytest.raises(ValueError, match="points_per_second"):
        server.set_quota(points_per_second=0)
    with pytest.raises(TypeError, match="body"):
        server.fail_next(body=12)
    assert write(server).status_code == 204


def test_retry_after_is_whole_seconds(server):
    server.fail_next(retry_after=0.2)
    assert write(server).headers["Retry-After"] == "1"


def test_faults_apply_to_writes_only(server):
    server.fail_next(status=500)
    assert requests.get(f"{server.url}/ping").status_code == 204
    assert requests.get(f"{server.url}/query", params={"q": "SHOW DATABASES"}).ok
    assert requests.get(f"{server.url}/write").status_code == 405
    assert write(server).status_code == 500
    assert write(server).status_code == 204


def test_fail_rate_is_seeded():
    def statuses(seed: int, fraction: float = 0.3) -> list[int]:
        with influxlp.Server(auto_create_databases=True) as server:
            server.fail_rate(fraction, status=503, seed=seed)
            with requests.Session() as session:
                answers = [
                    session.post(f"{server.url}/write", params={"db": "d"}, data=b"m v=1")
                    for _ in range(60)
                ]
            for entry in server.requests:
                assert entry.fault == ("fail_rate" if entry.status == 503 else None)
            return [a.status_code for a in answers]

    first = statuses(seed=42)
    assert first == statuses(seed=42)
    assert first != statuses(seed=43)
    assert 5 <= first.count(503) <= 35
    assert set(first) == {204, 503}
    assert set(statuses(seed=1, fraction=1.0)) == {503}
    assert set(statuses(seed=1, fraction=0.0)) == {204}


def test_fail_next_goes_before_fail_rate(server):
    server.fail_rate(1.0, status=500)
    server.fail_next(status=429)
    assert write(server).status_code == 429
    assert write(server).status_code == 500
    server.fail_rate(0)
    assert write(server).status_code == 204


def test_latency_delays_the_answer_after_the_write(server):
    server.set_latency(0.3)
    started = time.perf_counter()
    assert write(server).status_code == 204
    assert time.perf_counter() - started >= 0.3
    entry = server.last_request
    assert entry.fault == "latency"
    assert entry.latency == pytest.approx(0.3)
    assert entry.duration >= 0.3
    assert server.store.count() == 1
    # Other endpoints are not delayed.
    started = time.perf_counter()
    requests.get(f"{server.url}/ping")
    assert time.perf_counter() - started < 0.25
    server.set_latency(0)
    assert server.last_request.latency == 0


def test_latency_makes_a_client_time_out_while_the_write_lands(server):
    server.set_latency(2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{server.url}/write", params={"db": "db"}, data=b"cpu value=1", timeout=0.3)
    server.wait_for(1, timeout=2)


def test_stop_does_not_wait_out_a_latency():
    server = start()
    server.set_latency(30)
    errors: list[BaseException] = []

    def slow_write() -> None:
        try:
            write(server, timeout=60)
        except requests.RequestException as error:
            errors.append(error)

    thread = threading.Thread(target=slow_write)
    thread.start()
    server.wait_for(1, timeout=5)
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 5
    thread.join(5)
    assert not thread.is_alive()


def test_reset_wakes_a_sleeping_write(server):
    server.set_latency(30)
    thread = threading.Thread(target=write, args=(server,))
    started = time.perf_counter()
    thread.start()
    server.wait_for(1, timeout=5)
    server.reset()
    thread.join(5)
    assert time.perf_counter() - started < 5


def test_drop_next_closes_without_an_answer(server):
    server.drop_next(2)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("POST", "/write?db=db", body=b"cpu value=1 1")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    connection.close()
    with pytest.raises(requests.exceptions.ConnectionError):
        write(server, b"cpu value=2 2")
    assert write(server, b"cpu value=3 3").status_code == 204
    log = server.requests
    assert [(r.status, r.fault) for r in log] == [
        (None, "drop_next"),
        (None, "drop_next"),
        (204, None),
    ]
    assert log[0].body == b"cpu value=1 1"
    assert log[0].response_body == b""
    assert "dropped" in repr(log[0])
    assert [p["time"] for p in server.points("cpu")] == [3]


def test_drop_and_fail_keep_the_order_they_were_set(server):
    server.fail_next(status=500)
    server.drop_next()
    server.fail_next(status=503)
    assert write(server).status_code == 500
    with pytest.raises(requests.exceptions.ConnectionError):
        write(server)
    assert write(server).status_code == 503
    assert write(server).status_code == 204


def test_blackhole_accepts_and_stores_nothing(server):
    server.blackhole(True)
    for path, params in [("/write", {"db": "db"}), ("/write", {"db": "no-such-db"})]:
        answer = write(server, b"cpu value=1\ncpu value=", path, params)
        assert answer.status_code == 204
    assert server.store.count() == 0
    assert [r.fault for r in server.requests] == ["blackhole", "blackhole"]
    assert server.requests[0].body == b"cpu value=1\ncpu value="
    server.blackhole(False)
    assert write(server).status_code == 204
    assert server.store.count() == 1


@pytest.mark.parametrize("flavor", ["v1", "cloud", "v3"])
def test_point_quota_answers_429_with_retry_after(flavor):
    server = start(flavor)
    path, params = {
        "v1": ("/write", {"db": "db"}),
        "cloud": ("/api/v2/write", {"bucket": "db", "org": "o"}),
        "v3": ("/api/v3/write_lp", {"db": "db"}),
    }[flavor]
    try:
        server.set_quota(points_per_second=10)
        lines = "\n".join(f"cpu value={i} {i}" for i in range(8)).encode()
        assert write(server, lines, path, params).status_code == 204
        refused = write(server, lines.replace(b"cpu", b"mem"), path, params)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        message = "write limit exceeded: more than 10 points per second"
        if flavor == "cloud":
            assert refused.json() == {"code": "too many requests", "message": message}
        else:
            assert refused.json() == {"error": message}
        assert server.last_request.fault == "quota"
        assert server.store.count("mem") == 0
        time.sleep(1.0)
        assert write(server, lines.replace(b"cpu", b"mem"), path, params).status_code == 204
        assert server.store.count("mem") == 8
    finally:
        server.stop()


def test_byte_quota_counts_bytes_as_sent(server):
    server.set_quota(bytes_per_second=100)
    body = b"cpu value=1 1\n" * 5  # 70 bytes
    assert write(server, body).status_code == 204
    answer = write(server, body)
    assert answer.status_code == 429
    assert "100 bytes per second" in answer.json()["error"]
    server.set_quota()
    assert write(server, body).status_code == 204


def test_gzip_writes_count_their_points(server):
    server.set_quota(points_per_second=5)
    body = gzip.compress("\n".join(f"cpu value={i} {i}" for i in range(4)).encode())
    headers = {"Content-Encoding": "gzip"}
    assert write(server, body, headers=headers).status_code == 204
    assert write(server, body, headers=headers).status_code == 429


def test_a_write_larger_than_a_seconds_quota_waits_its_debt_off(server):
    server.set_quota(points_per_second=10)
    lines = "\n".join(f"cpu value={i} {i}" for i in range(25)).encode()
    assert write(server, lines).status_code == 204
    refused = write(server, b"cpu value=1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"


def test_reset_clears_every_fault(server):
    server.fail_next(3)
    server.fail_rate(1.0)
    server.drop_next()
    server.blackhole()
    server.set_quota(points_per_second=1)
    server.set_latency(5)
    server.reset()
    server.store.create_database("db")
    for _ in range(3):
        assert write(server, b"cpu a=1,b=2,c=3 1").status_code == 204
    assert server.store.count() == 1
    assert all(r.fault is None for r in server.requests)
    server.fail_next(1)
    server.clear_faults()
    assert write(server).status_code == 204


def test_faults_survive_a_restart():
    server = start()
    server.fail_next(status=500)
    server.stop()
    server.start()
    try:
        assert write(server).status_code == 500
        assert json.loads(server.last_request.response_body) == {"error": "internal error"}
    finally:
        server.stop()
