"""Real clients against injected faults: retries, exceptions, and what each client believes."""

from __future__ import annotations

import influxlp
import pytest
import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError
from influxdb_client import InfluxDBClient as InfluxDBClient2
from influxdb_client import WriteOptions
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException


@pytest.fixture
def v2_server():
    with influxlp.Server(flavor="v2") as server:
        server.store.create_database("bucket")
        yield server


@pytest.fixture
def v1_server():
    with influxlp.Server(flavor="v1") as server:
        server.store.create_database("db")
        yield server


def lines(count: int, measurement: str = "cpu") -> list[str]:
    return [
        f"{measurement},host=h{i % 4} value={i}i {1_700_000_000_000_000_000 + i}"
        for i in range(count)
    ]


def retry_options(**overrides) -> WriteOptions:
    """Fast batching and retries: 50 ms first retry delay, doubling up to 400 ms."""
    options = {
        "batch_size": 50,
        "flush_interval": 50,
        "retry_interval": 50,
        "max_retries": 8,
        "max_retry_delay": 400,
        "exponential_base": 2,
        "jitter_interval": 0,
    }
    options.update(overrides)
    return WriteOptions(**options)


def batch_write(server, records: list[str], options: WriteOptions) -> list[Exception]:
    """Writes through influxdb-client's batching WriteApi; returns the errors it reported."""
    errors: list[Exception] = []
    with InfluxDBClient2(url=server.url, token="token", org="org", enable_gzip=True) as client:
        with client.write_api(
            write_options=options,
            error_callback=lambda _conf, _data, error: errors.append(error),
        ) as write_api:
            write_api.write(bucket="bucket", record=records)
    return errors


def accepted_lines(server) -> list[bytes]:
    """Every line of every write the server accepted, from the request log."""
    accepted = []
    for entry in server.requests:
        if entry.path == "/api/v2/write" and entry.status == 204:
            accepted.extend(line for line in entry.decoded_body.split(b"\n") if line)
    return accepted


def assert_stored_exactly_once(server, records: list[str]) -> None:
    assert server.wait_for(len(records), measurement="cpu", db="bucket", timeout=10) == len(records)
    accepted = accepted_lines(server)
    # No line was accepted twice (a retried batch that had been stored would show here) ...
    assert len(accepted) == len(set(accepted)) == len(records)
    assert sorted(accepted) == sorted(line.encode() for line in records)
    # ... and the store holds each point once with its value.
    values = sorted(point["fields"]["value"] for point in server.points("cpu", db="bucket"))
    assert values == list(range(len(records)))


@pytest.mark.parametrize("status", [429, 503])
def test_batching_write_api_retries_injected_errors(v2_server, status):
    v2_server.fail_next(3, status=status)
    records = lines(200)
    errors = batch_write(v2_server, records, retry_options())
    assert errors == []
    assert_stored_exactly_once(v2_server, records)
    statuses = [entry.status for entry in v2_server.requests]
    assert statuses[:3] == [status] * 3
    assert statuses[3:] == [204] * (len(statuses) - 3)
    assert [entry.fault for entry in v2_server.requests[:3]] == ["fail_next"] * 3


def test_batching_write_api_honours_retry_after(v2_server):
    # Retry-After (1 s) is far longer than the client's own backoff (50 ms, 100 ms, ...).
    v2_server.fail_next(2, status=429, retry_after=1)
    records = lines(100)
    assert batch_write(v2_server, records, retry_options()) == []
    assert_stored_exactly_once(v2_server, records)
    first, second, third = v2_server.requests[:3]
    assert (first.status, second.status, third.status) == (429, 429, 204)
    assert first.response_headers["retry-after"] == "1"
    assert (second.time - first.time).total_seconds() >= 1.0
    assert (third.time - second.time).total_seconds() >= 1.0


def test_batching_write_api_survives_a_random_error_rate(v2_server):
    # With this seed no batch fails more than max_retries times in a row.
    v2_server.fail_rate(0.3, status=503, seed=7)
    records = lines(500)
    assert batch_write(v2_server, records, retry_options(batch_size=25)) == []
    assert_stored_exactly_once(v2_server, records)
    faults = [entry.fault for entry in v2_server.requests]
    assert faults.count("fail_rate") >= 3
    assert faults.count(None) >= 20


def test_batching_write_api_paces_itself_under_a_quota(v2_server):
    # 100 points per second and batches of 100: each batch after the first is refused until
    # the bucket has refilled, and the client waits the Retry-After out.
    v2_server.set_quota(points_per_second=100)
    records = lines(300)
    assert batch_write(v2_server, records, retry_options(batch_size=100)) == []
    assert_stored_exactly_once(v2_server, records)
    refused = [entry for entry in v2_server.requests if entry.status == 429]
    assert refused and all(entry.fault == "quota" for entry in refused)
    assert all(entry.response_headers["retry-after"] == "1" for entry in refused)
    accepted = [entry for entry in v2_server.requests if entry.status == 204]
    assert (accepted[-1].time - accepted[0].time).total_seconds() >= 1.5


def test_batching_write_api_reports_what_it_could_not_write(v2_server):
    v2_server.fail_next(10, status=503)
    errors = batch_write(v2_server, lines(10), retry_options(max_retries=2))
    assert len(errors) == 1
    assert v2_server.store.count() == 0
    assert [entry.status for entry in v2_server.requests] == [503, 503, 503]


def test_synchronous_write_api_sees_errors_and_drops(v2_server):
    with InfluxDBClient2(url=v2_server.url, token="token", org="org") as client:
        write_api = client.write_api(write_options=SYNCHRONOUS)
        v2_server.fail_next(status=503, retry_after=2)
        with pytest.raises(ApiException) as raised:
            write_api.write(bucket="bucket", record="cpu value=1i 1")
        assert raised.value.status == 503
        assert raised.value.retry_after == "2"
        assert raised.value.message == "service unavailable"
        v2_server.drop_next()
        with pytest.raises(Exception, match="Remote end closed connection without response"):
            write_api.write(bucket="bucket", record="cpu value=2i 2")
        write_api.write(bucket="bucket", record="cpu value=3i 3")
    assert v2_server.points("cpu") == [{"time": 3, "tags": {}, "fields": {"value": 3}}]


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, InfluxDBClientError),
        (401, InfluxDBClientError),
        (403, InfluxDBClientError),
        (404, InfluxDBClientError),
        (413, InfluxDBClientError),
        (429, InfluxDBClientError),
        (500, InfluxDBServerError),
        (502, InfluxDBServerError),
        (503, InfluxDBServerError),
    ],
)
def test_influxdb_1x_client_raises_per_status(v1_server, status, exception):
    client = InfluxDBClient(host=v1_server.host, port=v1_server.port, database="db")
    v1_server.fail_next(status=status)
    with pytest.raises(exception) as raised:
        client.write_points([{"measurement": "cpu", "fields": {"value": 1}}])
    if exception is InfluxDBClientError:
        assert raised.value.code == status
    assert raised.type is exception
    assert v1_server.store.count() == 0
    assert client.write_points([{"measurement": "cpu", "fields": {"value": 2}}])
    assert v1_server.store.count() == 1


def test_influxdb_1x_client_reads_the_error_message(v1_server):
    client = InfluxDBClient(host=v1_server.host, port=v1_server.port, database="db")
    v1_server.fail_next(status=400, body='{"error":"partial write: field type conflict"}')
    with pytest.raises(InfluxDBClientError, match="field type conflict"):
        client.write_points([{"measurement": "cpu", "fields": {"value": 1}}])


def test_influxdb_1x_client_sees_a_dropped_connection(v1_server):
    client = InfluxDBClient(host=v1_server.host, port=v1_server.port, database="db", retries=1)
    v1_server.drop_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.write_points([{"measurement": "cpu", "fields": {"value": 1}}])
    # Its own retries (on connection errors only) get through two drops.
    retrying = InfluxDBClient(host=v1_server.host, port=v1_server.port, database="db", retries=3)
    v1_server.drop_next(2)
    assert retrying.write_points([{"measurement": "cpu", "fields": {"value": 2}, "time": 2}])
    assert [entry.fault for entry in v1_server.requests] == [
        "drop_next",
        "drop_next",
        "drop_next",
        None,
    ]
    assert v1_server.points("cpu") == [{"time": 2, "tags": {}, "fields": {"value": 2}}]


def test_influxdb_1x_client_believes_a_blackhole(v1_server):
    client = InfluxDBClient(host=v1_server.host, port=v1_server.port, database="db")
    v1_server.blackhole(True)
    points = [{"measurement": "cpu", "fields": {"value": i}, "time": i} for i in range(10)]
    assert client.write_points(points, batch_size=5) is True
    assert v1_server.store.count() == 0
    assert client.query("SELECT * FROM cpu").raw.get("series") is None
    assert [entry.fault for entry in v1_server.requests[:2]] == ["blackhole", "blackhole"]
    assert b"cpu value=0i 0" in v1_server.requests[0].decoded_body


def test_influxdb_1x_client_times_out_on_latency(v1_server):
    client = InfluxDBClient(
        host=v1_server.host, port=v1_server.port, database="db", timeout=0.2, retries=1
    )
    v1_server.set_latency(1)
    with pytest.raises(requests.exceptions.Timeout):
        client.write_points([{"measurement": "cpu", "fields": {"value": 1}}])
    # The write landed even though the client gave up on it.
    assert v1_server.wait_for(1, measurement="cpu", timeout=5) == 1


def test_influxdb3_client_raises_on_injected_errors():
    from influxdb_client_3 import InfluxDBClient3
    from influxdb_client_3.exceptions import InfluxDBError

    with influxlp.Server(flavor="v3") as server:
        client = InfluxDBClient3(host=server.url, token="token", database="db")
        server.fail_next(status=500)
        with pytest.raises(InfluxDBError):
            client.write(record="cpu value=1i 1")
        client.write(record="cpu value=2i 2", write_precision="ns")
        assert server.points("cpu", db="db") == [{"time": 2, "tags": {}, "fields": {"value": 2}}]
        assert [entry.status for entry in server.requests] == [500, 204]
