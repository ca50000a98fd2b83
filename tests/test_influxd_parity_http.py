"""influxlp.Server(flavor="v1") against a real influxd 1.6.7: the same raw HTTP requests, the
same statuses, bodies, headers and stored points.

tests/oracle/http_cases.json was recorded from two influxd processes: "plain" (no auth,
max-body-size 1000) and "auth" (auth-enabled, an admin, a reader and a writer).  The v1
flavor implements OSS 1.10/1.11, so where 1.6.7 differs (docs/spec.md §10) the case carries a
`difference` and EXPECTED_1_10 below says what influxlp answers instead, with the reason.
The parse corpus (parse_cases.json) is also replayed through /write.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "oracle"))

import influxlp  # noqa: E402
from influxd import raw_request  # noqa: E402
from oracle_compare import compact, diff_points, load, merge_points, request_body, table_points  # noqa: E402

RECORDING = load("http_cases.json")
CASES = RECORDING["cases"]
PARSE_CASES = load("parse_cases.json")["cases"]

REQUEST_TOO_LARGE = '{"error":"Request Entity Too Large"}\n'
LP_POINTS = [  # what LP (http_corpus) stores: m,t=a v=1 1000 / m,t=b v=2,w=3i 2000
    {"measurement": "m", "tags": {"t": "a"}, "time": 1000, "fields": {"v": ["float", 1.0]}},
    {
        "measurement": "m",
        "tags": {"t": "b"},
        "time": 2000,
        "fields": {"v": ["float", 2.0], "w": ["integer", 3]},
    },
]

# What the v1 flavor (1.10/1.11) answers where 1.6.7 differs: (status, exact body or None,
# stored points or None), and why.
EXPECTED_1_10 = {
    "write-precision-bogus": (
        400,
        '{"error":"invalid precision \\"bogus\\" (use n, u, ms, s, m or h)"}\n',
        [],
    ),
    "write-precision-us": (
        400,
        '{"error":"invalid precision \\"us\\" (use n, u, ms, s, m or h)"}\n',
        [],
    ),
    "write-type-conflict-new-field-in-batch": (
        400,
        '{"error":"partial write: field type conflict: input field \\"v\\" on measurement '
        '\\"m\\" is type string, already exists as type float dropped=1"}\n',
        [{"measurement": "m", "tags": {}, "time": 1, "fields": {"v": ["float", 1.0]}}],
    ),
    "api-v2-write": (204, "", LP_POINTS),
    "auth-token-user-pass": (204, "", None),
    "auth-bearer": (401, '{"error":"bearer auth disabled"}\n', None),
    "write-gzip-inflates-past-limit": (413, REQUEST_TOO_LARGE, []),
    "ping-verbose-true": (200, None, None),
    "ping-verbose-1": (200, None, None),
    "health": (200, None, None),
    "write-options": (204, None, None),
}


def _ids(cases):
    return [c["id"] for c in cases]


def _users():
    auth = RECORDING["auth_server"]
    return [
        influxlp.User(
            u["name"],
            u["password"],
            admin=u["admin"],
            read=tuple(u["read"]),
            write=tuple(u["write"]),
        )
        for u in auth["users"]
    ]


@pytest.fixture(scope="module")
def servers():
    plain = influxlp.Server(
        flavor="v1",
        auto_create_databases=False,
        max_body_size=RECORDING["plain_server"]["max_body_size"],
    )
    auth = influxlp.Server(flavor="v1", auto_create_databases=False, users=_users())
    plain.start()
    auth.start()
    for name in (RECORDING["auth_server"]["database"], RECORDING["auth_server"]["other_database"]):
        auth.store.create_database(name)
    # Every accepted write of the auth cases stores this same point; having it from the start
    # keeps the SELECT cases independent of which cases ran before.
    auth.store.write("a v=1 1000", db=RECORDING["auth_server"]["database"], create_database=False)
    try:
        yield {"plain": plain, "auth": auth}
    finally:
        plain.stop()
        auth.stop()


def _port(server) -> int:
    return urllib.parse.urlsplit(server.url).port


def _send(server, case: dict, db: str | None):
    sub = (lambda v: v.replace("{db}", db)) if db else (lambda v: v)
    params = [(k, sub(v)) for k, v in case["params"]]
    body = bytes.fromhex(case["body_hex"]) if "body_hex" in case else None
    return raw_request(
        _port(server),
        case["method"],
        case["path"],
        params,
        body,
        case["headers"],
        case.get("raw_query"),
        chunked=case.get("chunked", False),
    )


def _stored(store, db: str) -> list[dict]:
    points = []
    for m in store.measurements(db):
        points += table_points(m, store.table(m, db=db))
    return merge_points(points)


def _allow(value: str | None) -> set[str] | None:
    return None if value is None else {m.strip() for m in value.split(",")}


def _header_text(value: str | None) -> str | None:
    """A header value as text. influxd copies a quoted line's raw bytes into X-Influxdb-Error;
    influxlp keeps header values as UTF-8 text with each invalid byte replaced by U+FFFD (as its
    JSON bodies do), and leaves out control characters, which HTTP header values may not carry
    (hyper refuses them); both are compared in that form. http.client reads headers as latin-1."""
    if value is None:
        return None
    raw = value.encode("latin-1")
    out, i = [], 0
    while i < len(raw):
        for width in (4, 3, 2, 1):
            try:
                out.append(raw[i : i + width].decode("utf-8"))
            except UnicodeDecodeError:
                continue
            i += width
            break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(c for c in "".join(out) if c == "\t" or not (c < " " or c == "\x7f"))


def _check_headers(recorded: dict, actual: dict, status: int) -> None:
    assert "x-influxdb-version" in actual
    if "x-influxdb-build" in recorded:
        assert actual.get("x-influxdb-build") == recorded["x-influxdb-build"]
    assert _header_text(actual.get("x-influxdb-error")) == _header_text(
        recorded.get("x-influxdb-error")
    ), "x-influxdb-error"
    assert actual.get("www-authenticate") == recorded.get("www-authenticate")
    assert _allow(actual.get("allow")) == _allow(recorded.get("allow"))
    if status != 204 and "content-type" in recorded:
        assert actual.get("content-type") == recorded["content-type"]
    for name in ("request-id", "x-request-id"):
        if name in recorded:
            assert name in actual, name
            if recorded[name] != "<present>":
                assert actual[name] == recorded[name]


def _check_body(case: dict, recorded: dict, text: str, server) -> None:
    if case["path"] == "/query" and recorded["status"] == 200:
        expected, actual = json.loads(recorded["body"]), json.loads(text)
        if any("SHOW DATABASES" in v for _, v in case["params"]):
            # The list is the server's own databases, in 1.x's layout.
            series = actual["results"][0]["series"][0]
            assert series["name"] == "databases" and series["columns"] == ["name"]
            assert sorted(row[0] for row in series["values"]) == sorted(server.store.databases())
            expected["results"][0]["series"][0]["values"] = series["values"]
        assert actual == expected
    else:
        assert text == recorded["body"]


def test_the_cases_cover_the_status_table():
    assert RECORDING["influxd_version"].startswith("1.6.7")
    statuses = {c["response"]["status"] for c in CASES}
    assert {200, 204, 400, 401, 403, 404, 405, 413, 500} <= statuses
    assert {c["id"] for c in CASES if "difference" in c} == set(EXPECTED_1_10)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_server_matches_influxd(servers, case):
    server = servers[case["server"]]
    db = case.get("db")
    if db:
        server.store.create_database(db)
        for body in case["setup"]:
            result = server.store.write(body, db=db, create_database=False)
            assert result.points_dropped == 0
    response = _send(server, case, db)
    text = response.body.decode("utf-8", "replace")
    recorded = case["response"]

    if case["id"] in EXPECTED_1_10:
        status, body, stored = EXPECTED_1_10[case["id"]]
        assert response.status == status, text
        if body is not None:
            assert text == body
        if case["id"].startswith("ping-verbose"):
            assert set(json.loads(text)) == {"version"}
        if case["id"] == "health":
            health = json.loads(text)
            assert (health["name"], health["status"]) == ("influxdb", "pass")
        if stored is not None:
            assert diff_points(stored, _stored(server.store, db)) == []
        return

    assert response.status == recorded["status"], text
    _check_body(case, recorded, text, server)
    _check_headers(recorded["headers"], response.headers, recorded["status"])
    if "stored" in case:
        problems = diff_points(case["stored"]["points"], _stored(server.store, db))
        assert problems == [], "\n".join(problems)


# ---- the line-protocol corpus through /write ----------------------------------------------------

WRITE_PARITY = [
    c for c in PARSE_CASES if "difference" not in c or c["difference"]["kind"] == "unsigned"
]


@pytest.fixture(scope="module")
def write_server():
    with influxlp.Server(flavor="v1", auto_create_databases=False) as server:
        yield server


@pytest.mark.parametrize("case", WRITE_PARITY, ids=_ids(WRITE_PARITY))
def test_write_answers_the_parse_corpus_as_influxd(write_server, case):
    db = "p_" + case["id"].replace("-", "_")
    write_server.store.create_database(db)
    params = [("db", db)]
    if case["precision"] is not None:
        params.append(("precision", case["precision"]))
    response = raw_request(_port(write_server), "POST", "/write", params, request_body(case))
    recorded = case["influxd"]
    assert response.status == recorded["status"]
    assert compact(response.body.decode("utf-8", "replace")) == recorded["body"]
    if case["default_time"] is None:  # points stamped with the server's clock differ by nature
        problems = diff_points(case["points"], _stored(write_server.store, db))
        assert problems == [], "\n".join(problems)
