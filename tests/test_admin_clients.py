"""Data administration through the real clients: influxdb-client's `DeleteApi` and
`BucketsApi`, the `influxdb` 1.x client's `delete_series`, retention policy calls and a malformed
query, and `/metrics` as Prometheus scrapers and CI wait loops read it."""

from __future__ import annotations

import datetime
import urllib.request

import influxdb
import influxdb_client
import influxlp
import pytest
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import BucketRetentionRules, Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

TOKEN = "my-token"
ORG = "my-org"


@pytest.fixture
def servers():
    """Starts servers on free ports and stops each one when the test ends."""
    started: list[influxlp.Server] = []

    def start(**options) -> influxlp.Server:
        server = influxlp.Server(port=0, **options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def v2_client(server: influxlp.Server, token: str = TOKEN) -> influxdb_client.InfluxDBClient:
    """A client of `server` in the organization ORG, which is created when missing (a server
    keeps only the organizations made on it)."""
    client = influxdb_client.InfluxDBClient(url=server.url, token=token, org=ORG)
    orgs = client.organizations_api()
    if token == TOKEN and not any(org.name == ORG for org in orgs.find_organizations()):
        orgs.create_organization(name=ORG)
    return client


def write_h2o(client: influxdb_client.InfluxDBClient, bucket: str) -> None:
    points = [
        Point("h2o").tag("location", location).field("level", float(t)).time(t)
        for t in range(1, 13)
        for location in ("coyote_creek", "santa_monica")
    ]
    client.write_api(write_options=SYNCHRONOUS).write(bucket=bucket, record=points)


# --------------------------------------------------------------------------------------------
# influxdb-client (2.x): DeleteApi
# --------------------------------------------------------------------------------------------


def test_delete_api_removes_the_range_and_predicate(servers):
    server = servers(flavor="v2", tokens=[TOKEN], databases=["sensors"])
    with v2_client(server) as client:
        write_h2o(client, "sensors")
        client.delete_api().delete(
            "1970-01-01T00:00:00.000000001Z",
            "1970-01-01T00:00:00.000000006Z",
            '_measurement="h2o" AND location="coyote_creek"',
            bucket="sensors",
            org=ORG,
        )
    times = {(p["tags"]["location"], p["time"]) for p in server.points("h2o", db="sensors")}
    assert len(times) == 24 - 6
    assert all(t > 6 for location, t in times if location == "coyote_creek")
    assert server.last_request.status == 204


def test_delete_api_accepts_datetimes_bucket_ids_and_org_ids(servers):
    server = servers(flavor="v2", tokens=[TOKEN], databases=["sensors"])
    with v2_client(server) as client:
        write_h2o(client, "sensors")
        bucket = client.buckets_api().find_bucket_by_name("sensors")
        org = client.organizations_api().find_organizations(org=ORG)[0]
        start = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        stop = datetime.datetime(1970, 1, 2, tzinfo=datetime.timezone.utc)
        client.delete_api().delete(start, stop, "", bucket=bucket.id, org=org.id)
    assert server.store.count(db="sensors") == 0
    assert server.store.series(db="sensors") == []


def test_delete_api_errors(servers):
    server = servers(flavor="v2", tokens=[TOKEN], databases=["sensors"])
    with v2_client(server) as client:
        write_h2o(client, "sensors")
        delete = client.delete_api().delete
        with pytest.raises(ApiException) as error:
            delete("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", 'a="1" OR b="2"', "sensors")
        assert error.value.status == 400
        assert "the logical operator OR is not supported yet at position 6" in error.value.body
        with pytest.raises(ApiException) as error:
            delete("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", "", "nosuch")
        assert error.value.status == 404
        assert 'bucket \\"nosuch\\" not found' in error.value.body
        with pytest.raises(ApiException) as error:
            delete("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", '_field="level"', "sensors")
        assert error.value.status == 501
    assert server.store.count(db="sensors") == 24


def test_delete_needs_write_permission(servers):
    reader = influxlp.User("reader", "pw", read=["sensors"])
    server = servers(flavor="v2", tokens={TOKEN: None, "read-token": reader}, databases=["sensors"])
    with v2_client(server) as client:
        write_h2o(client, "sensors")
    with v2_client(server, token="read-token") as client:
        with pytest.raises(ApiException) as error:
            client.delete_api().delete(
                "1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", "", "sensors"
            )
    assert error.value.status == 403
    assert "insufficient permissions to delete" in error.value.body
    assert server.store.count(db="sensors") == 24


# --------------------------------------------------------------------------------------------
# influxdb-client (2.x): BucketsApi round trips
# --------------------------------------------------------------------------------------------


def test_buckets_api_create_find_update_delete(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    with v2_client(server) as client:
        buckets = client.buckets_api()
        org = client.organizations_api().find_organizations(org=ORG)[0]
        created = buckets.create_bucket(
            bucket_name="telemetry_IT",
            org=org,
            description="my description",
            retention_rules=BucketRetentionRules(type="expire", every_seconds=3600),
        )
        assert created.description == "my description"
        assert created.org_id == org.id
        assert created.retention_rules[0].every_seconds == 3600
        assert created.retention_rules[0].shard_group_duration_seconds == 3600
        assert buckets.find_bucket_by_id(created.id) == created
        assert buckets.find_bucket_by_name("telemetry_IT") == created

        created.description = "updated description"
        created.retention_rules = [BucketRetentionRules(type="expire", every_seconds=7200)]
        updated = buckets.update_bucket(bucket=created)
        assert updated.description == "updated description"
        assert updated.retention_rules[0].every_seconds == 7200
        assert buckets.find_bucket_by_id(created.id).description == "updated description"
        policies = server.store.retention_policies("telemetry_IT")
        assert policies == [{"name": "autogen", "duration": 7200.0, "default": True}]

        buckets.delete_bucket(created)
        with pytest.raises(ApiException) as error:
            buckets.find_bucket_by_id(created.id)
        assert "bucket not found" in error.value.body


def test_buckets_api_refuses_as_2x(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    with v2_client(server) as client:
        buckets = client.buckets_api()
        two_rules = [
            BucketRetentionRules(type="expire", every_seconds=3600),
            BucketRetentionRules(type="expire", every_seconds=7200),
        ]
        with pytest.raises(ApiException) as error:
            buckets.create_bucket(bucket_name="x", org=ORG, retention_rules=two_rules)
        assert error.value.status == 422
        assert "buckets cannot have more than one retention rule at this time" in error.value.body
        assert "x" not in server.store.databases()


# --------------------------------------------------------------------------------------------
# influxdb (1.x InfluxDBClient)
# --------------------------------------------------------------------------------------------


def v1_client(server: influxlp.Server) -> influxdb.InfluxDBClient:
    return influxdb.InfluxDBClient(host=server.host, port=server.port, database="db")


def test_v1_delete_series_and_delete_statements(servers):
    server = servers(flavor="v1", databases=["db"])
    client = v1_client(server)
    client.write_points(
        [
            {"measurement": "cpu", "tags": {"host": host}, "fields": {"v": t}, "time": t}
            for t in range(1, 5)
            for host in ("a", "b")
        ],
        time_precision="n",
    )
    client.delete_series(measurement="cpu", tags={"host": "a"})
    assert client.get_list_series() == ["cpu,host=b"]
    client.query("DELETE FROM cpu WHERE time < 3", method="POST")
    assert [p["time"] for p in client.query("SELECT * FROM cpu", epoch="ns").get_points()] == [3, 4]
    client.delete_series(measurement="cpu")
    assert client.get_list_measurements() == []


def test_v1_alter_and_drop_retention_policies(servers):
    server = servers(flavor="v1", databases=["db"])
    client = v1_client(server)
    client.create_retention_policy("week", "7d", 1, database="db")
    client.alter_retention_policy(
        "week", database="db", duration="14d", replication=2, default=True
    )
    policies = {p["name"]: p for p in client.get_list_retention_policies("db")}
    assert policies["week"] == {
        "name": "week",
        "duration": "336h0m0s",
        "shardGroupDuration": "24h0m0s",
        "replicaN": 2,
        "default": True,
    }
    with pytest.raises(InfluxDBClientError) as error:
        client.alter_retention_policy("week", database="db", duration="30m")
    assert "retention policy duration must be at least 1h0m0s" in str(error.value)
    client.drop_retention_policy("week", database="db")
    assert [p["name"] for p in client.get_list_retention_policies("db")] == ["autogen"]


def test_v1_malformed_query_is_a_400_as_in_influxd(servers):
    server = servers(flavor="v1", databases=["db"])
    client = v1_client(server)
    with pytest.raises(InfluxDBClientError) as error:
        client.query("DELETE FROM cpu LIMIT 1")
    assert error.value.code == 400
    assert "error parsing query: found LIMIT, expected ; at line 1, char 17" in str(error.value)
    with pytest.raises(InfluxDBClientError) as error:
        client.query("ALTER RETENTION POLICY week ON db")
    assert error.value.code == 400
    assert "expected DURATION, REPLICATION, SHARD, DEFAULT at line 1, char 35" in str(error.value)


# --------------------------------------------------------------------------------------------
# /metrics
# --------------------------------------------------------------------------------------------


def test_metrics_are_open_and_count_writes(servers):
    server = servers(flavor="v2", tokens=[TOKEN], databases=["sensors"])
    with v2_client(server) as client:
        write_h2o(client, "sensors")
    with urllib.request.urlopen(f"{server.url}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = answer.read().decode()
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples["storage_writer_ok_points"] == 24
    assert (
        samples[
            'http_api_requests_total{method="POST",path="/api/v2/write",'
            'response_code="204",status="2XX"}'
        ]
        == 1
    )
    assert samples['http_write_request_bytes{endpoint="/api/v2/write"}'] > 0
    assert samples["process_resident_memory_bytes"] > 0


# --------------------------------------------------------------------------------------------
# Store.delete: the same core from Python
# --------------------------------------------------------------------------------------------


def test_store_delete_removes_what_table_shows():
    store = influxlp.Store()
    store.write(
        b"cpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=a v=3 3\nmem,host=a f=1 1\n", db="db"
    )
    shown = store.table("cpu", db="db", start=2, stop=4, tags={"host": "a"}).num_rows
    assert shown == 1
    assert store.delete("cpu", db="db", start=2, stop=4, tags={"host": "a"}) == shown
    assert store.table("cpu", db="db", start=2, stop=4, tags={"host": "a"}).num_rows == 0
    assert store.count(db="db") == 3
    assert store.delete(db="db", tags={"host": "a"}) == 2
    assert store.series(db="db") == ["cpu,host=b"]
    assert store.measurements("db") == ["cpu"]
    assert store.delete(db="db", stop=datetime.datetime(1970, 1, 2, tzinfo=datetime.UTC)) == 1
    assert store.measurements("db") == []
    with pytest.raises(influxlp.DatabaseNotFoundError):
        store.delete(db="nosuch")
