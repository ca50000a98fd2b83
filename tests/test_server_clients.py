"""Real InfluxDB clients against influxlp.Server: `influxdb` (1.x), `influxdb-client` (2.x) and
`influxdb3-python`, each through the calls a test suite or ingestion script makes."""

from __future__ import annotations

import datetime
import threading
import urllib.parse
from unittest import mock

import influxdb
import influxdb_client
import influxdb_client_3.write_client._sync.rest_client as rest_client
import influxlp
import pandas as pd
import pytest
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError
from influxdb_client import BucketRetentionRules, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS, WriteOptions
from influxdb_client.rest import ApiException
from influxdb_client_3 import InfluxDBClient3, write_client_options
from influxdb_client_3 import WriteOptions as WriteOptions3
from influxdb_client_3.exceptions import InfluxDBError, InfluxDBPartialWriteError
from influxdb_client_3.write_client.client.write.point import Point as Point3
from influxdb_client_3.write_client.domain.write_precision import WritePrecision as WritePrecision3
from server_helpers import rows

# An hour-aligned time, so that every precision (n .. h) can express it exactly.
HOUR_NS = 3_600_000_000_000
BASE_NS = 472_222 * HOUR_NS  # 2023-11-14T22:00:00Z
UNIT_NS = {
    "n": 1,
    "u": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": HOUR_NS,
}


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


# --------------------------------------------------------------------------------------------
# influxdb (1.x InfluxDBClient)
# --------------------------------------------------------------------------------------------


def v1_client(server: influxlp.Server, **options) -> influxdb.InfluxDBClient:
    return influxdb.InfluxDBClient(host=server.host, port=server.port, **options)


def test_v1_ping_reports_the_version(servers):
    server = servers(flavor="v1")
    assert v1_client(server).ping() == "1.11.8"
    custom = servers(flavor="v1", version="1.8.10")
    assert v1_client(custom).ping() == "1.8.10"


def test_v1_create_and_list_databases(servers):
    server = servers(flavor="v1")
    client = v1_client(server)
    assert client.get_list_database() == []
    client.create_database("telemetry")
    client.create_database("telemetry")  # idempotent, as in InfluxDB
    client.create_database("other")
    assert sorted(d["name"] for d in client.get_list_database()) == ["other", "telemetry"]
    assert sorted(server.store.databases()) == ["other", "telemetry"]
    client.drop_database("other")
    assert client.get_list_database() == [{"name": "telemetry"}]


@pytest.mark.parametrize("precision", ["n", "u", "ms", "s", "m", "h"])
def test_v1_write_points_in_each_precision(servers, precision):
    server = servers(flavor="v1")
    client = v1_client(server, database="telemetry")
    client.create_database("telemetry")
    unit = UNIT_NS[precision]
    points = [
        {
            "measurement": "cpu",
            "tags": {"host": f"h{i}"},
            "time": (BASE_NS + i * HOUR_NS) // unit,
            "fields": {"usage": i + 0.5, "count": i},
        }
        for i in range(3)
    ]
    assert client.write_points(points, time_precision=precision)

    stored = rows(server, "cpu", db="telemetry")
    assert stored == [
        {"time": BASE_NS + i * HOUR_NS, "host": f"h{i}", "usage": i + 0.5, "count": i}
        for i in range(3)
    ]
    # Read back through /query in the same precision.
    result = client.query("SELECT * FROM cpu", epoch=precision)
    assert list(result.get_points()) == [
        {"time": (BASE_NS + i * HOUR_NS) // unit, "host": f"h{i}", "usage": i + 0.5, "count": i}
        for i in range(3)
    ]


def test_v1_write_points_with_datetimes_and_rfc3339_read_back(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    when = datetime.datetime(2023, 11, 14, 22, 0, 1, tzinfo=datetime.timezone.utc)
    client.write_points(
        [{"measurement": "m", "time": when, "fields": {"v": 1.5, "s": "text", "b": True}}],
        time_precision="s",
    )
    assert rows(server, "m", db="db") == [
        {"time": BASE_NS + 1_000_000_000, "v": 1.5, "s": "text", "b": True}
    ]
    points = list(client.query("SELECT v, s, b FROM m").get_points())
    assert points == [{"time": "2023-11-14T22:00:01Z", "v": 1.5, "s": "text", "b": True}]


def test_v1_write_points_in_batches(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    points = [
        {"measurement": "m", "tags": {"t": str(i % 7)}, "time": i, "fields": {"v": i}}
        for i in range(1_000)
    ]
    with mock.patch.object(client, "write", wraps=client.write) as write:
        assert client.write_points(points, batch_size=150, time_precision="s")
    assert write.call_count == 7  # ceil(1000 / 150) requests
    assert server.store.count("m", db="db") == 1_000
    stored = rows(server, "m", db="db")
    assert sorted(r["v"] for r in stored) == list(range(1_000))
    assert sorted(r["time"] for r in stored) == [i * 1_000_000_000 for i in range(1_000)]
    tagged = list(client.query("SELECT * FROM m WHERE t = '3' LIMIT 5", epoch="s").get_points())
    assert [p["v"] for p in tagged] == [3, 10, 17, 24, 31]


def test_v1_write_with_tags_and_line_protocol(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    client.write_points(
        [{"measurement": "m", "time": 1, "fields": {"v": 1}}], tags={"region": "eu"}
    )
    client.write(["m,region=us v=2i 2", "m,region=us v=3i 3"], {"db": "db"}, protocol="line")
    assert rows(server, "m", db="db") == [
        {"time": 1, "region": "eu", "v": 1},
        {"time": 2, "region": "us", "v": 2},
        {"time": 3, "region": "us", "v": 3},
    ]
    groups = client.query("SELECT v FROM m GROUP BY region", epoch="n")
    assert list(groups.get_points(tags={"region": "us"})) == [
        {"time": 2, "v": 2},
        {"time": 3, "v": 3},
    ]


def test_v1_gzip_client(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db", gzip=True)
    client.create_database("db")
    client.write_points([{"measurement": "m", "time": i, "fields": {"v": i}} for i in range(500)])
    assert server.store.count("m", db="db") == 500


def test_v1_retention_policies(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    client.create_retention_policy("week", "7d", 1, database="db")
    policies = {p["name"]: p for p in client.get_list_retention_policies("db")}
    assert set(policies) == {"autogen", "week"}
    assert policies["week"]["duration"] == "168h0m0s"
    assert policies["autogen"]["default"] is True
    assert policies["week"]["default"] is False

    now_s = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    client.write_points(
        [{"measurement": "m", "time": now_s, "fields": {"v": 1}}],
        time_precision="s",
        retention_policy="week",
    )
    assert rows(server, "m", db="db", rp="week") == [{"time": now_s * 1_000_000_000, "v": 1}]
    assert server.store.count("m", db="db", rp="autogen") == 0
    points = list(client.query('SELECT v FROM "db"."week"."m"', epoch="s").get_points())
    assert points == [{"time": now_s, "v": 1}]

    # 1.x answers an unknown policy with 500, which the client raises as a server error.
    with pytest.raises(InfluxDBServerError) as error:
        client.write_points([{"measurement": "m", "fields": {"v": 1}}], retention_policy="nope")
    assert '{"error":"retention policy not found: nope"}' in str(error.value)

    client.create_retention_policy("main", "INF", 1, database="db", default=True)
    client.write_points([{"measurement": "m", "time": 5, "fields": {"v": 2}}])
    assert rows(server, "m", db="db", rp="main") == [{"time": 5, "v": 2}]


def test_v1_write_to_unknown_database_is_404(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="missing")
    with pytest.raises(InfluxDBClientError) as error:
        client.write_points([{"measurement": "m", "fields": {"v": 1}}])
    assert error.value.code == 404
    assert 'database not found: \\"missing\\"' in error.value.content


def test_v1_partial_write_raises_and_keeps_good_lines(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    with pytest.raises(InfluxDBClientError) as error:
        client.write(["m v=1 1", "m v= 2", "m v=3 3"], {"db": "db"}, protocol="line")
    assert error.value.code == 400
    assert "partial write: unable to parse 'm v= 2': missing field value dropped=0" in (
        error.value.content
    )
    assert [r["v"] for r in rows(server, "m", db="db")] == [1.0, 3.0]


def test_v1_chunked_query_and_schema_helpers(servers):
    server = servers(flavor="v1")
    client = v1_client(server, database="db")
    client.create_database("db")
    client.write_points(
        [
            {"measurement": "m", "tags": {"t": str(i % 3)}, "time": i, "fields": {"v": i}}
            for i in range(1_000)
        ],
        time_precision="s",
    )
    chunks = list(client.query("SELECT * FROM m", chunked=True, chunk_size=100))
    assert len(chunks) == 10
    assert sorted(p["v"] for chunk in chunks for p in chunk.get_points()) == list(range(1_000))
    assert client.get_list_measurements() == [{"name": "m"}]
    assert client.get_list_series() == ["m,t=0", "m,t=1", "m,t=2"]
    assert list(client.query("SHOW FIELD KEYS").get_points()) == [
        {"fieldKey": "v", "fieldType": "integer"}
    ]
    # A fresh server has no users (authentication is off).
    assert client.get_list_users() == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_v1_dataframe_client(servers):
    server = servers(flavor="v1")
    frames = influxdb.DataFrameClient(host=server.host, port=server.port, database="db")
    frames.create_database("db")
    index = pd.date_range("2023-11-14T22:00:00Z", periods=5, freq="min", unit="ns")
    frame = pd.DataFrame(
        {"usage": [0.5, 1.5, 2.5, 3.5, 4.5], "state": list("abcde"), "host": list("xyxyx")},
        index=index,
    )
    frames.write_points(frame, "cpu", tag_columns=["host"], time_precision="s", batch_size=2)
    stored = rows(server, "cpu", db="db")
    assert sorted((r["time"], r["host"], r["usage"], r["state"]) for r in stored) == [
        (BASE_NS + i * 60_000_000_000, "xy"[i % 2], i + 0.5, "abcde"[i]) for i in range(5)
    ]
    result = frames.query("SELECT * FROM cpu WHERE host = 'x'")["cpu"]
    assert list(result["usage"]) == [0.5, 2.5, 4.5]
    assert list(result.index) == [index[0], index[2], index[4]]


def v1_auth_server(servers):
    return servers(
        flavor="v1",
        users=[
            influxlp.User("admin", "secret", admin=True),
            influxlp.User("reader", "rpw", read=["db"]),
            influxlp.User("writer", "wpw", write=["db"]),
        ],
    )


def test_v1_auth_users(servers):
    server = v1_auth_server(servers)
    admin = v1_client(server, username="admin", password="secret", database="db")
    admin.create_database("db")
    admin.write_points([{"measurement": "m", "time": 1, "fields": {"v": 1}}])

    writer = v1_client(server, username="writer", password="wpw", database="db")
    writer.write_points([{"measurement": "m", "time": 2, "fields": {"v": 2}}])
    assert [r["v"] for r in rows(server, "m", db="db")] == [1, 2]

    reader = v1_client(server, username="reader", password="rpw", database="db")
    assert [p["v"] for p in reader.query("SELECT v FROM m").get_points()] == [1, 2]
    with pytest.raises(InfluxDBClientError) as forbidden:
        reader.write_points([{"measurement": "m", "time": 3, "fields": {"v": 3}}])
    assert forbidden.value.code == 403
    assert '\\"reader\\" user is not authorized to write to database \\"db\\"' in (
        forbidden.value.content
    )

    wrong = v1_client(server, username="writer", password="nope", database="db")
    with pytest.raises(InfluxDBClientError) as unauthorized:
        wrong.write_points([{"measurement": "m", "time": 4, "fields": {"v": 4}}])
    assert unauthorized.value.code == 401
    assert "authorization failed" in unauthorized.value.content

    anonymous = v1_client(server, username=None, password=None, database="db")
    with pytest.raises(InfluxDBClientError) as missing:
        anonymous.write_points([{"measurement": "m", "time": 5, "fields": {"v": 5}}])
    assert missing.value.code == 401
    assert "unable to parse authentication credentials" in missing.value.content
    # /ping stays open.
    assert anonymous.ping() == "1.11.8"
    assert [r["v"] for r in rows(server, "m", db="db")] == [1, 2]


# --------------------------------------------------------------------------------------------
# influxdb-client (2.x)
# --------------------------------------------------------------------------------------------


TOKEN = "test-token"


def v2_client(server, token=TOKEN, **options) -> influxdb_client.InfluxDBClient:
    return influxdb_client.InfluxDBClient(url=server.url, token=token, org="my-org", **options)


@pytest.mark.parametrize(
    "flavor, version, build, ready",
    [
        ("v1", "1.11.8", "OSS", False),
        ("v2", "v2.7.12", "OSS", True),
        ("cloud", "cloud2", "Cloud", True),
    ],
)
@pytest.mark.filterwarnings("ignore:This method is deprecated:DeprecationWarning")
def test_v2_client_setup_calls(servers, flavor, version, build, ready):
    """ping, version, build, health and ready, which setup code and health checks call."""
    server = servers(flavor=flavor)
    with v2_client(server) as client:
        assert client.ping() is True
        assert client.version() == version
        assert client.build() == build
        health = client.health()
        assert (health.status, health.version, health.name) == ("pass", version, "influxdb")
        if ready:
            assert client.ready().status == "ready"
        else:  # 1.x has no /ready
            with pytest.raises(ApiException) as error:
                client.ready()
            assert error.value.status == 404


def test_v2_synchronous_writes_of_every_record_kind(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("telemetry")
    with v2_client(server) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write("telemetry", record="cpu,host=a usage=1.5 1000")
        write.write("telemetry", record=["cpu,host=b usage=2.5 2000", b"cpu,host=c usage=3.5 3000"])
        write.write(
            "telemetry",
            record=Point("cpu").tag("host", "d").field("usage", 4.5).time(4, WritePrecision.US),
            write_precision=WritePrecision.US,
        )
        write.write(
            "telemetry",
            record={
                "measurement": "cpu",
                "tags": {"host": "e"},
                "fields": {"usage": 5.5},
                "time": 5,
            },
            write_precision=WritePrecision.MS,
        )
        write.write(
            "telemetry",
            record=[
                Point("mem").field("free", 10).field("ok", True).time(6, WritePrecision.S),
                Point("mem").field("free", 11).field("ok", False).time(7, WritePrecision.S),
            ],
            write_precision=WritePrecision.S,
        )
    assert rows(server, "cpu", db="telemetry") == [
        {"time": 1000, "host": "a", "usage": 1.5},
        {"time": 2000, "host": "b", "usage": 2.5},
        {"time": 3000, "host": "c", "usage": 3.5},
        {"time": 4000, "host": "d", "usage": 4.5},
        {"time": 5_000_000, "host": "e", "usage": 5.5},
    ]
    assert rows(server, "mem", db="telemetry") == [
        {"time": 6_000_000_000, "free": 10, "ok": True},
        {"time": 7_000_000_000, "free": 11, "ok": False},
    ]
    assert server.store.field_keys("mem", db="telemetry") == {"free": "integer", "ok": "boolean"}


def test_v2_batching_gzip_writes_every_point_exactly_once(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    failures: list[object] = []
    successes: list[int] = []
    lock = threading.Lock()

    def on_success(conf, data):
        with lock:
            successes.append(len(data.splitlines()) if isinstance(data, (str, bytes)) else 0)

    def on_error(conf, data, exception):
        failures.append(exception)

    total = 12_345
    with v2_client(server, enable_gzip=True) as client:
        write = client.write_api(
            write_options=WriteOptions(batch_size=1_000, flush_interval=60_000, max_retries=0),
            success_callback=on_success,
            error_callback=on_error,
        )
        for start in range(0, total, 500):
            write.write(
                "db",
                record=[
                    f"batch,part=p{i % 5} v={i}i {i}" for i in range(start, min(start + 500, total))
                ],
            )
        write.flush()
        write.close()
    assert failures == []
    assert sum(successes) == total
    assert len(successes) == 13  # 12 full batches of 1,000 and one of 345
    stored = rows(server, "batch", db="db")
    assert len(stored) == total
    assert sorted(r["v"] for r in stored) == list(range(total))
    assert sorted(r["time"] for r in stored) == list(range(total))


def test_v2_buckets_api(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    with v2_client(server) as client:
        buckets = client.buckets_api()
        # A server knows only its default organization until others are made.
        client.organizations_api().create_organization(name="my-org")
        org = client.organizations_api().find_organizations(org="my-org")[0]
        assert org.name == "my-org"
        created = buckets.create_bucket(bucket_name="sensors", org="my-org")
        assert created.name == "sensors"
        assert created.org_id == org.id
        assert "sensors" in server.store.databases()
        found = buckets.find_bucket_by_name("sensors")
        assert found is not None and found.id == created.id
        assert buckets.find_bucket_by_id(created.id).name == "sensors"
        assert "sensors" in [b.name for b in buckets.find_buckets().buckets]
        assert buckets.find_bucket_by_name("nope") is None

        client.write_api(write_options=SYNCHRONOUS).write("sensors", record="t v=1 1")
        assert server.store.count("t", db="sensors") == 1

        buckets.delete_bucket(found)
        assert buckets.find_bucket_by_name("sensors") is None
        assert "sensors" not in server.store.databases()


def test_v2_bucket_with_retention_is_a_policy(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    with v2_client(server) as client:
        client.organizations_api().create_organization(name="my-org")
        bucket = client.buckets_api().create_bucket(
            bucket_name="db/week",
            retention_rules=BucketRetentionRules(type="expire", every_seconds=7 * 86_400),
            org="my-org",
        )
        assert bucket.retention_rules[0].every_seconds == 7 * 86_400
        now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
        client.write_api(write_options=SYNCHRONOUS).write(
            "db/week", record=f"m v=1 {now}", write_precision=WritePrecision.S
        )
    assert rows(server, "m", db="db", rp="week") == [{"time": now * 1_000_000_000, "v": 1.0}]


def test_v2_organizations_api(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    with v2_client(server) as client:
        orgs = client.organizations_api().find_organizations()
        assert [o.name for o in orgs] == ["influxlp"]
        with pytest.raises(ApiException) as unknown:
            client.organizations_api().find_organizations(org="acme")
        assert unknown.value.status == 404
        client.organizations_api().create_organization(name="acme")
        named = client.organizations_api().find_organizations(org="acme")
        assert [o.name for o in named] == ["acme"]
        assert client.organizations_api().find_organization(named[0].id).name == "acme"


def test_v2_token_auth(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    with v2_client(server) as client:
        client.write_api(write_options=SYNCHRONOUS).write("db", record="m v=1 1")
    with v2_client(server, token="wrong") as client:
        with pytest.raises(ApiException) as error:
            client.write_api(write_options=SYNCHRONOUS).write("db", record="m v=2 2")
    assert error.value.status == 401
    assert error.value.body == '{"code":"unauthorized","message":"unauthorized access"}'
    assert error.value.headers["X-Platform-Error-Code"] == "unauthorized"
    assert rows(server, "m", db="db") == [{"time": 1, "v": 1.0}]


def test_v2_token_bound_to_a_user_with_read_only_access(servers):
    reader = influxlp.User("reader", "unused", read=["db"])
    server = servers(flavor="v2", tokens={TOKEN: None, "read-token": reader})
    server.store.create_database("db")
    with v2_client(server, token="read-token") as client:
        with pytest.raises(ApiException) as error:
            client.write_api(write_options=SYNCHRONOUS).write("db", record="m v=1 1")
    assert error.value.status == 403
    assert error.value.body == '{"code":"forbidden","message":"insufficient permissions for write"}'
    assert server.store.count(db="db") == 0


def test_v2_malformed_line_rejects_the_whole_request(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    with v2_client(server) as client:
        with pytest.raises(ApiException) as error:
            client.write_api(write_options=SYNCHRONOUS).write(
                "db", record=["m v=1 1", "m v= 2", "m,t v=3 3"]
            )
    assert error.value.status == 400
    assert error.value.body == (
        '{"code":"invalid","message":"unable to parse \'m v= 2\': missing field value\\n'
        "unable to parse 'm,t v=3 3': missing tag value\"}"
    )
    assert server.store.count(db="db") == 0


def test_v2_type_conflict_is_422_and_keeps_other_points(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    with v2_client(server) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write("db", record="m v=1 1")
        with pytest.raises(ApiException) as error:
            write.write("db", record=["m v=2 2", 'm v="x" 3', "n w=1 4"])
    assert error.value.status == 422
    body = error.value.body
    assert body.startswith(
        '{"code":"unprocessable entity","message":"failure writing points to database: '
        'partial write: field type conflict: input field \\"v\\" on measurement \\"m\\" is '
        "type string, already exists as type float dropped=1 for database: "
    ), body
    assert body.endswith(' for retention policy: autogen"}')
    assert [r["v"] for r in rows(server, "m", db="db")] == [1.0, 2.0]
    assert server.store.count("n", db="db") == 1


def test_v2_unknown_bucket_is_404(servers):
    server = servers(flavor="v2", tokens=[TOKEN])
    with v2_client(server) as client:
        with pytest.raises(ApiException) as error:
            client.write_api(write_options=SYNCHRONOUS).write("nope", record="m v=1 1")
    assert error.value.status == 404
    assert error.value.body == '{"code":"not found","message":"bucket \\"nope\\" not found"}'


def test_v2_client_against_v1_flavor_api_v2_write(servers):
    """1.x's /api/v2/write: bucket `db/rp` or `db`, the token is `user:password`."""
    server = servers(flavor="v1", users=[influxlp.User("admin", "secret", admin=True)])
    server.store.create_database("db")
    server.store.create_retention_policy("db", "week", duration=7 * 86_400)
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    with v2_client(server, token="admin:secret", enable_gzip=True) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write("db", record="m v=1 1")
        write.write("db/week", record=f"m v=2 {now}", write_precision=WritePrecision.S)
        write.write("db/", record=Point("m").field("v", 3.0).time(3))
    assert rows(server, "m", db="db") == [{"time": 1, "v": 1.0}, {"time": 3, "v": 3.0}]
    assert rows(server, "m", db="db", rp="week") == [{"time": now * 10**9, "v": 2.0}]
    with v2_client(server, token="admin:wrong") as client:
        with pytest.raises(ApiException) as error:
            client.write_api(write_options=SYNCHRONOUS).write("db", record="m v=9 9")
    assert error.value.status == 401
    assert error.value.body == '{"error":"authorization failed"}\n'


def test_v2_client_batching_against_v1_flavor(servers):
    server = servers(flavor="v1")
    server.store.create_database("db")
    errors: list[object] = []
    with v2_client(server, token="", enable_gzip=True) as client:
        write = client.write_api(
            write_options=WriteOptions(batch_size=250, flush_interval=60_000, max_retries=0),
            error_callback=lambda conf, data, exc: errors.append(exc),
        )
        write.write("db", record=[f"m,k=x v={i}i {i}" for i in range(1_000)])
        write.close()
    assert errors == []
    assert sorted(r["v"] for r in rows(server, "m", db="db")) == list(range(1_000))


# --------------------------------------------------------------------------------------------
# influxdb3-python (InfluxDBClient3)
# --------------------------------------------------------------------------------------------


def v3_client(server, database="db", token=TOKEN, **options) -> InfluxDBClient3:
    return InfluxDBClient3(host=server.url, token=token, database=database, **options)


@pytest.mark.parametrize("use_v2_api", [True, False], ids=["api-v2-write", "api-v3-write_lp"])
def test_v3_client_writes_through_both_endpoints(servers, use_v2_api):
    server = servers(flavor="v3", tokens=[TOKEN])
    with v3_client(server, write_use_v2_api=use_v2_api) as client:
        client.write(record="cpu,host=a usage=1.5 1000")
        client.write(record=[Point3("cpu").tag("host", "b").field("usage", 2.5).time(2000)])
        client.write(
            record={
                "measurement": "cpu",
                "tags": {"host": "c"},
                "fields": {"usage": 3.5},
                "time": 3,
            },
            write_precision=WritePrecision3.S,
        )
        client.write(record="cpu,host=d usage=4.5 4", write_precision=WritePrecision3.MS)
    # The database is created on first write.
    assert server.store.databases() == ["db"]
    assert sorted(rows(server, "cpu", db="db"), key=lambda r: r["host"]) == [
        {"time": 1000, "host": "a", "usage": 1.5},
        {"time": 2000, "host": "b", "usage": 2.5},
        {"time": 3_000_000_000, "host": "c", "usage": 3.5},
        {"time": 4_000_000, "host": "d", "usage": 4.5},
    ]


def test_v3_client_paths_and_parameters(servers):
    """The client's two routes and their parameters, as its REST layer sends them."""
    seen: list[str] = []
    server = servers(flavor="v3", tokens=[TOKEN])
    original = rest_client.RestClient.request

    def spy(self, method, path, query_params=None, *args, **kwargs):
        seen.append(f"{path}?{urllib.parse.urlencode(query_params or [])}")
        return original(self, method, path, query_params, *args, **kwargs)

    with mock.patch.object(rest_client.RestClient, "request", spy):
        with v3_client(server, write_use_v2_api=True) as client:
            client.write(record="m v=1 1", write_precision=WritePrecision3.US)
        with v3_client(server, write_use_v2_api=False, write_no_sync=True) as client:
            client.write(record="m v=2 2", write_precision=WritePrecision3.US)
        with v3_client(server, write_use_v2_api=False, write_accept_partial=False) as client:
            client.write(record="m v=3 3")
    assert len(seen) == 3
    assert "/api/v2/write?" in seen[0] and "bucket=db" in seen[0] and "precision=us" in seen[0]
    assert "/api/v3/write_lp?" in seen[1] and "db=db" in seen[1]
    assert "precision=microsecond" in seen[1] and "no_sync=true" in seen[1]
    assert "accept_partial=false" in seen[2] and "precision=nanosecond" in seen[2]
    assert rows(server, "m", db="db") == [
        {"time": 3, "v": 3.0},
        {"time": 1000, "v": 1.0},
        {"time": 2000, "v": 2.0},
    ]


@pytest.mark.parametrize("use_v2_api", [True, False], ids=["api-v2-write", "api-v3-write_lp"])
def test_v3_client_gzip_and_batching(servers, use_v2_api):
    server = servers(flavor="v3", tokens=[TOKEN])
    errors: list[object] = []
    successes: list[object] = []
    options = write_client_options(
        write_options=WriteOptions3(
            batch_size=400, flush_interval=60_000, max_retries=0, use_v2_api=use_v2_api
        ),
        success_callback=lambda conf, data: successes.append(data),
        error_callback=lambda conf, data, exc: errors.append(exc),
    )
    with v3_client(
        server, enable_gzip=True, write_client_options=options, write_use_v2_api=use_v2_api
    ) as client:
        client.write(record=[f"g,k=x v={i}i {i}" for i in range(2_000)])
    assert errors == []
    assert len(successes) == 5
    assert sorted(r["v"] for r in rows(server, "g", db="db")) == list(range(2_000))


def test_v3_client_partial_write_error_names_the_lines(servers):
    server = servers(flavor="v3", tokens=[TOKEN])
    with v3_client(server, write_use_v2_api=False) as client:
        with pytest.raises(InfluxDBPartialWriteError) as error:
            client.write(record=["m v=1 1", "m v= 2", "m v=3 3", 'm v="s" 4'])
    assert [(e.line_number, e.original_line) for e in error.value.line_errors] == [
        (2, "m v= 2"),
        (4, 'm v="s" 4'),
    ]
    assert [r["v"] for r in rows(server, "m", db="db")] == [1.0, 3.0]


def test_v3_client_wrong_token(servers):
    server = servers(flavor="v3", tokens=[TOKEN])
    for use_v2_api in (True, False):
        with v3_client(server, token="nope", write_use_v2_api=use_v2_api) as client:
            with pytest.raises(InfluxDBError) as error:
                client.write(record="m v=1 1")
        assert error.value.response.status == 401
    assert server.store.databases() == []


@pytest.mark.parametrize("flavor", ["v1", "v2", "v3"])
def test_v3_client_server_version(servers, flavor):
    server = servers(flavor=flavor)
    with v3_client(server) as client:
        assert client.get_server_version() == server.version


def test_v3_client_against_v2_flavor(servers):
    """`influxdb3-python`'s default route (/api/v2/write) works against 2.x; its v3 route does
    not exist there."""
    server = servers(flavor="v2", tokens=[TOKEN])
    server.store.create_database("db")
    with v3_client(server, write_use_v2_api=True, org="my-org") as client:
        client.write(record="m v=1 1")
        client.write(record=[Point3("m").field("v", 2.0).time(2, WritePrecision3.S)])
    assert rows(server, "m", db="db") == [{"time": 1, "v": 1.0}, {"time": 2_000_000_000, "v": 2.0}]
    with v3_client(server, write_use_v2_api=False) as client:
        with pytest.raises(InfluxDBError) as error:
            client.write(record="m v=3 3")
    assert error.value.response.status == 404
