"""Flux reads over ``/api/v2/query``: influxdb-client's query API reads influxlp's annotated
CSV unchanged (``query``, ``query_stream``, ``query_csv``, ``query_data_frame``,
``query_raw``), and scripts outside the supported subset are refused with 2.x's error shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import influxdb_client
import influxlp
import pytest
from influxdb_client import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

TOKEN = "flux-token"
ORG = "my-org"
START = "2023-11-14T22:00:00Z"
LINES = (
    "cpu,host=a usage=1.5,n=1i 1700000000000000000\n"
    "cpu,host=a usage=2.5,n=2i 1700000010000000000\n"
    "cpu,host=b usage=4,n=3i 1700000020000000000\n"
    'mem,host=a free=7u,ok=true,note="hi, there" 1700000030000000000\n'
)
BUCKET = f'from(bucket: "my-bucket") |> range(start: {START})'
CPU = BUCKET + ' |> filter(fn: (r) => r._measurement == "cpu")'


@pytest.fixture
def server():
    with influxlp.Server(
        port=0, flavor="v2", tokens=[TOKEN], auto_create_databases=True
    ) as running:
        with client_of(running) as client:
            client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record=LINES)
        yield running


def client_of(server: influxlp.Server, token: str = TOKEN) -> influxdb_client.InfluxDBClient:
    return influxdb_client.InfluxDBClient(url=server.url, token=token, org=ORG)


def post(server: influxlp.Server, body: bytes, content_type: str, query: str = "?org=my-org"):
    request = urllib.request.Request(
        server.url + "/api/v2/query" + query,
        data=body,
        headers={"Authorization": f"Token {TOKEN}", "Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_query_reads_tables_and_records(server):
    with client_of(server) as client:
        tables = client.query_api().query(CPU)
    assert len(tables) == 4
    records = [r for t in tables for r in t.records]
    usage = [r for r in records if r.get_field() == "usage"]
    assert [r.get_value() for r in usage] == [1.5, 2.5, 4.0]
    assert {r.values["host"] for r in usage} == {"a", "b"}
    assert usage[0].get_time() == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert usage[0].get_measurement() == "cpu"
    assert usage[0].get_start() == datetime(2023, 11, 14, 22, 0, tzinfo=timezone.utc)
    counts = [r for r in records if r.get_field() == "n"]
    assert all(isinstance(r.get_value(), int) for r in counts)
    assert tables[0].get_group_key()[0].label == "_start"


def test_types_survive_the_round_trip(server):
    script = BUCKET + ' |> filter(fn: (r) => r._measurement == "mem")'
    with client_of(server) as client:
        tables = client.query_api().query(script)
    records = {r.get_field(): r.get_value() for t in tables for r in t.records}
    assert records == {"free": 7, "ok": True, "note": "hi, there"}


def test_query_stream_csv_raw_and_data_frame(server):
    with client_of(server) as client:
        api = client.query_api()
        streamed = list(api.query_stream(CPU + ' |> filter(fn: (r) => r._field == "usage")'))
        assert [r.get_value() for r in streamed] == [1.5, 2.5, 4.0]
        rows = list(api.query_csv(CPU + " |> count()"))
        assert rows[0][0] == "#datatype" and rows[3][1:3] == ["result", "table"]
        assert [row[-1] for row in rows[4:]] == ["2", "2", "1", "1"]
        raw = api.query_raw(CPU + " |> last()").data.decode()
        assert raw.startswith("#datatype,string,long,")
        assert "\r\n\r\n" in raw and raw.endswith("\r\n\r\n")
        frame = api.query_data_frame(
            CPU + ' |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'
        )
    assert list(frame["usage"]) == [1.5, 2.5, 4.0]
    assert list(frame["n"]) == [1, 2, 3]
    assert list(frame["host"]) == ["a", "a", "b"]


def test_aggregates_windows_and_multiple_yields(server):
    script = (
        f'data = from(bucket: "my-bucket") |> range(start: {START}, stop: 2023-11-14T22:14:00Z)\n'
        'data |> filter(fn: (r) => r._field == "usage") |> group() |> mean()'
        ' |> yield(name: "mean")\n'
        'data |> filter(fn: (r) => r._field == "usage" and r.host == "a")'
        ' |> aggregateWindow(every: 20s, fn: sum, createEmpty: false) |> yield(name: "windows")\n'
    )
    with client_of(server) as client:
        tables = client.query_api().query(script)
    by_result: dict[str, list] = {}
    for table in tables:
        for record in table.records:
            by_result.setdefault(record.values["result"], []).append(record)
    assert [r.get_value() for r in by_result["mean"]] == [pytest.approx(8 / 3)]
    windows = by_result["windows"]
    assert [(r.get_time().second, r.get_value()) for r in windows] == [(40, 4.0)]


def test_sort_limit_keep_rename_group(server):
    script = (
        CPU
        + ' |> filter(fn: (r) => r._field == "usage") |> group()'
        + ' |> sort(columns: ["_value"], desc: true) |> limit(n: 2)'
        + ' |> keep(columns: ["_value", "host"]) |> rename(columns: {host: "server"})'
    )
    with client_of(server) as client:
        records = [r.values for t in client.query_api().query(script) for r in t.records]
    assert [(r["server"], r["_value"]) for r in records] == [("b", 4.0), ("a", 2.5)]


def test_points_written_by_the_client_read_back(server):
    with client_of(server) as client:
        point = Point("weather").tag("city", "Oslo").field("temp", -3.5).time(1700000050, "s")
        client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record=point)
        tables = client.query_api().query(
            'from(bucket: "my-bucket") |> range(start: -10y) '
            '|> filter(fn: (r) => r["_measurement"] == "weather" and r["city"] =~ /^O/)'
        )
    assert [r.get_value() for t in tables for r in t.records] == [-3.5]


def test_empty_results_and_raw_flux_bodies(server):
    status, headers, body = post(
        server,
        b'from(bucket: "my-bucket") |> range(start: 0)'
        b' |> filter(fn: (r) => r._measurement == "none")',
        "application/vnd.flux",
    )
    assert (status, body) == (200, b"\r\n")
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    status, _, body = post(server, (CPU + " |> count()").encode(), "application/vnd.flux")
    # Without a dialect 2.x writes no annotations and the result name in each row.
    header = b",result,table,_start,_stop,_field,_measurement,host,_value\r\n"
    assert body.startswith(header + b",_result,0,")
    query = {"query": CPU + " |> count()", "dialect": {"annotations": ["group"], "header": False}}
    status, _, body = post(server, json.dumps(query).encode(), "application/json")
    assert body.startswith(b"#group,false,false,true,true,true,true,true,false\r\n,_result,0,")


def test_refusals_use_the_2x_error_shape(server):
    with client_of(server) as client:
        api = client.query_api()
        with pytest.raises(ApiException) as unsupported:
            api.query(CPU + " |> map(fn: (r) => r)")
        assert unsupported.value.status == 400
        message = json.loads(unsupported.value.body)["message"]
        assert message == "function map() is not supported by influxlp"
        with pytest.raises(ApiException) as missing:
            api.query('from(bucket: "nope") |> range(start: 0)')
        assert missing.value.status == 404
        assert json.loads(missing.value.body) == {
            "code": "not found",
            "message": 'failed to initialize execute state: could not find bucket "nope"',
        }
        with pytest.raises(ApiException) as syntax:
            api.query("from(bucket: ")
        assert syntax.value.status == 400
        assert json.loads(syntax.value.body)["message"].startswith("compilation failed: error @1:")
    status, _, body = post(server, b'{"query": "x"}', "application/json", query="")
    assert status == 400
    assert json.loads(body) == {"code": "invalid", "message": "Please provide either orgID or org"}
    with client_of(server, token="wrong") as client:
        with pytest.raises(ApiException) as unauthorized:
            client.query_api().query(CPU)
        assert unauthorized.value.status == 401


def test_read_permission_is_the_principals():
    reader = influxlp.User("reader", "pw", read=["other"])
    with influxlp.Server(
        port=0, flavor="v2", tokens={TOKEN: None, "read-token": reader}, auto_create_databases=True
    ) as server:
        with client_of(server) as client:
            client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record=LINES)
        with client_of(server, token="read-token") as client:
            with pytest.raises(ApiException) as hidden:
                client.query_api().query(CPU)
        assert hidden.value.status == 404


def test_v1_flavor_has_no_flux_route():
    with influxlp.Server(port=0, flavor="v1") as server:
        status, _, _ = post(server, b"x", "application/vnd.flux")
    assert status == 404
