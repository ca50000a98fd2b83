"""Defects real clients found in the server, each checked the way the client met it."""

from __future__ import annotations

import http.client
import json

import influxdb
import influxlp
import pytest
import requests
from influxdb_client_3 import InfluxDBClient3
from influxdb_client_3.exceptions import InfluxDBError
from server_helpers import rows

TOKEN = "token"


@pytest.fixture
def server_of():
    """Starts servers on free ports and stops each one when the test ends."""
    started: list[influxlp.Server] = []

    def start(**options) -> influxlp.Server:
        server = influxlp.Server(**options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_show_databases_lists_them_in_creation_order(server_of):
    server = server_of(flavor="v1")
    client = influxdb.InfluxDBClient(host=server.host, port=server.port)
    for name in ("zeta", "alpha", "mid"):
        client.create_database(name)
    assert client.get_list_database() == [{"name": "zeta"}, {"name": "alpha"}, {"name": "mid"}]


def test_create_database_with_a_conflicting_policy_changes_nothing(server_of):
    server = server_of(flavor="v1")
    client = influxdb.InfluxDBClient(host=server.host, port=server.port, database="db")
    client.create_database("db")
    client.write_points(["m v=1 1"], protocol="line", time_precision="n")
    # What `influx -import` of an export with two policies sends for the second one.
    with pytest.raises(influxdb.exceptions.InfluxDBClientError) as error:
        client.query("CREATE DATABASE db WITH NAME rp2", method="POST")
    assert "retention policy conflicts with an existing policy" in str(error.value)
    assert [(p["name"], p["default"]) for p in server.store.retention_policies("db")] == [
        ("autogen", True)
    ]
    # Data written without an RP is still where queries without one look.
    assert list(client.query("SELECT * FROM m").get_points()) == [
        {"time": "1970-01-01T00:00:00.000000001Z", "v": 1.0}
    ]


def test_server_creates_the_databases_it_is_given(server_of):
    server = server_of(flavor="v1", databases=["telemetry", "audit"])
    assert server.store.databases() == ["audit", "telemetry"]
    client = influxdb.InfluxDBClient(host=server.host, port=server.port, database="telemetry")
    assert client.write_points(["cpu v=1 1"], protocol="line", time_precision="n")
    assert rows(server, "cpu", db="telemetry") == [{"time": 1, "v": 1.0}]
    # A shared store keeps what it has; a restart creates nothing twice.
    server.stop()
    server.start()
    assert server.store.count(db="telemetry") == 1


def test_server_refuses_an_invalid_database_name():
    with pytest.raises(OSError, match="database name required"):
        influxlp.Server(databases=[""]).start()


def test_request_headers_are_case_insensitive_and_keep_repeats(server_of):
    server = server_of(flavor="v1", databases=["db"])
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.putrequest("POST", "/write?db=db")
    for name, value in [
        ("Content-Length", "9"),
        ("Content-Encoding", "identity"),
        ("X-Trace", "a"),
        ("x-trace", "b"),
    ]:
        connection.putheader(name, value)
    connection.endheaders(b"m v=1 1\n\n")
    assert connection.getresponse().status == 204
    connection.close()
    headers = server.requests[-1].headers
    assert headers["Content-Encoding"] == headers.get("content-encoding") == "identity"
    assert "CONTENT-ENCODING" in headers and "Accept-Charset" not in headers
    assert headers.get("Missing") is None and headers.get("Missing", "-") == "-"
    assert headers["x-trace"] == "a, b"
    assert headers.get_all("X-Trace") == ["a", "b"]
    assert headers.get_all("missing") == []
    assert isinstance(headers, influxlp.Headers)
    assert dict(headers)["content-encoding"] == "identity"
    response = server.requests[-1].response_headers
    assert response["X-Influxdb-Version"] == response["x-influxdb-version"] == server.version


def test_v3_answers_tell_clients_the_version(server_of):
    server = server_of(flavor="v3", version="3.10.0")
    for reply in (requests.get(f"{server.url}/ping"), requests.get(f"{server.url}/nowhere")):
        assert reply.headers["X-Influxdb-Version"] == "3.10.0"
        assert reply.headers["X-Influxdb-Build"] == "Core"
        assert reply.headers["Request-Id"] == reply.headers["X-Request-Id"]
    with InfluxDBClient3(host=server.url, token=TOKEN, database="db") as client:
        assert client.get_server_version() == "3.10.0"


@pytest.mark.parametrize("precision", ["nanosecond", "microsecond", "millisecond", "second"])
def test_v3_v2_write_takes_the_long_precision_names(server_of, precision):
    server = server_of(flavor="v3")
    reply = requests.post(
        f"{server.url}/api/v2/write",
        params={"bucket": "db", "precision": precision},
        data="m v=1 2",
    )
    assert reply.status_code == 204, reply.text
    scale = {"nanosecond": 1, "microsecond": 1_000, "millisecond": 1_000_000, "second": 10**9}
    assert rows(server, "m", db="db") == [{"time": 2 * scale[precision], "v": 1.0}]


def test_v3_v2_write_errors_in_that_routes_shape(server_of):
    server = server_of(flavor="v3", version="3.10.0", tokens=[TOKEN])
    with InfluxDBClient3(
        host=server.url, token=TOKEN, database="db", write_use_v2_api=True
    ) as client:
        client.write(record="m temp=1.5 1")
        with pytest.raises(InfluxDBError) as error:
            client.write(record=["m temp=2.5 2", 'm temp="hot" 3'])
    assert error.value.response.status == 400
    assert json.loads(error.value.response.data) == {
        "code": "invalid",
        "message": "write buffer error: line protocol parse failed: invalid column type for "
        "column 'temp', expected iox::column_type::field::float, got "
        "iox::column_type::field::string",
    }
    assert error.value.message.startswith("invalid: write buffer error: ")
    # Nothing of a refused body is written on this route.
    assert rows(server, "m", db="db") == [{"time": 1, "temp": 1.5}]


def test_v3_malformed_authorization_names_the_schemes(server_of):
    server = server_of(flavor="v3", version="3.10.0", tokens=[TOKEN])
    reply = requests.post(
        f"{server.url}/api/v3/write_lp",
        params={"db": "db"},
        data="m v=1",
        headers={"Authorization": TOKEN},
    )
    assert reply.status_code == 400
    assert "supported auth-schemes are Bearer, Token and Basic" in reply.json()["error"]
    assert server.store.databases() == []
