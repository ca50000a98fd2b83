"""The status table of docs/spec.md (§8, with §6-§7 for details) row by row, over raw HTTP, for each
flavor: status, exact body, key headers and what was stored.

Every row starts a fresh server whose store holds database `db` (default policy `autogen`,
where `m v=1 0` is stored when a row asks for a type conflict).  Rows marked `auth` configure
users admin/secret (admin), reader/rpw (read db), writer/wpw (write db) and the tokens
`all-token` (every privilege) and `read-token` (the reader).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import influxlp
import pytest
from server_helpers import basic, gzip_bomb, gzipped, request

LINE = "m v=2 2\n"
TWO_GOOD_ONE_BAD = "m v=2 2\nm v= 3\nm v=4 4\n"
CONFLICT = 'm v="x" 5\nn w=1 6\n'

ABSENT = object()  # an expected header that must not be sent


@dataclass
class Row:
    flavor: str
    case: str
    status: int
    method: str = "POST"
    path: str = "/write"
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | str = LINE
    headers: dict[str, str] = field(default_factory=dict)
    # Exact body; `None` leaves the body to `contains`.
    expect: str | None = ""
    contains: str | None = None
    expect_headers: dict[str, Any] = field(default_factory=dict)
    # Points in `db` afterwards (`m` measurement from the request, not counting the seed);
    # `None` skips the check.
    stored: int | None = None
    stored_db: str = "db"
    auth: bool = False
    max_body_size: int | None = None
    seed_float: bool = False
    quick: bool = False

    @property
    def id(self) -> str:
        return f"{self.flavor}-{self.case}"


def v1_error(message: str) -> str:
    return json.dumps({"error": message}, separators=(",", ":")) + "\n"


def v2_error(code: str, message: str, **extra: int) -> str:
    return json.dumps({"code": code, "message": message, **extra}, separators=(",", ":"))


def v3_error(message: str) -> str:
    return json.dumps({"error": message}, separators=(",", ":"))


def partial_v3(*lines: tuple[str, int, str]) -> str:
    data = [{"original_line": t, "line_number": n, "error_message": e} for t, n, e in lines]
    return json.dumps(
        {"error": "partial write of line protocol occurred", "data": data}, separators=(",", ":")
    )


V1_HEADERS = {"X-Influxdb-Version": "1.11.8", "X-Influxdb-Build": "OSS"}
V2_HEADERS = {"X-Influxdb-Version": "v2.7.12", "X-Influxdb-Build": "OSS"}
CLOUD_HEADERS = {"X-Influxdb-Version": "cloud2", "X-Influxdb-Build": "Cloud"}
WWW_AUTH = {"WWW-Authenticate": 'Basic realm="InfluxDB"', "X-Influxdb-Error": ABSENT}


def v1_err_headers(message: str) -> dict[str, Any]:
    return {**V1_HEADERS, "X-Influxdb-Error": message, "Content-Type": "application/json"}


def code_header(code: str) -> dict[str, Any]:
    return {"X-Platform-Error-Code": code, "Content-Type": "application/json; charset=utf-8"}


DB = {"db": "db"}
BUCKET = {"bucket": "db", "org": "my-org"}
TYPE_CONFLICT_V1 = (
    'partial write: field type conflict: input field "v" on measurement "m" is type string, '
    "already exists as type float dropped=1"
)
GZIP = {"Content-Encoding": "gzip"}
# Plain text sent as gzip: long enough for the 10-byte header (shorter is `unexpected EOF`).
NOT_GZIP = "m v=2 2\nm v=3 3\n"
V2_INTERNAL = v2_error("internal error", "An internal error has occurred - check server logs")
# A gzip body cut short inside its trailer.
TRUNCATED_GZIP = gzipped(LINE)[:-4]
# A gzip body whose header is fine and whose trailer checksum is not.
CORRUPT_TRAILER = gzipped(LINE)[:-8] + b"\0\0\0\0" + gzipped(LINE)[-4:]


# The rows are kept one case per entry, aligned by hand.
# fmt: off
def v1_rows() -> list[Row]:
    f = "v1"
    return [
        # -- parameters
        Row(f, "missing-db", 400, expect=v1_error("database is required"),
            expect_headers=v1_err_headers("database is required")),
        Row(f, "unknown-db", 404, params={"db": "nope"},
            expect=v1_error('database not found: "nope"'),
            expect_headers=v1_err_headers('database not found: "nope"')),
        Row(f, "unknown-rp", 500, params={"db": "db", "rp": "nope"},
            expect=v1_error("retention policy not found: nope"), stored=0),
        Row(f, "bad-precision", 400, params={"db": "db", "precision": "x"},
            expect=v1_error('invalid precision "x" (use n, u, ms, s, m or h)'), stored=0),
        Row(f, "precision-us-is-not-1x", 400, params={"db": "db", "precision": "us"},
            expect=v1_error('invalid precision "us" (use n, u, ms, s, m or h)'), stored=0),
        Row(f, "bad-consistency", 400, params={"db": "db", "consistency": "most"},
            expect=v1_error("invalid consistency level"), stored=0),
        Row(f, "consistency-all", 204, params={"db": "db", "consistency": "ALL"}, stored=1),
        # -- body
        Row(f, "write", 204, params=DB, stored=1,
            expect_headers={**V1_HEADERS, "Content-Type": "application/json"}),
        Row(f, "malformed-only", 400, params=DB, body="m v= 3\nm,t v=1\n",
            expect=v1_error("unable to parse 'm v= 3': missing field value\n"
                            "unable to parse 'm,t v=1': missing tag value"), stored=0),
        Row(f, "malformed-some", 400, params=DB, body=TWO_GOOD_ONE_BAD,
            expect=v1_error("partial write: unable to parse 'm v= 3': missing field value "
                            "dropped=0"), stored=2),
        Row(f, "type-conflict", 400, params=DB, body=CONFLICT, seed_float=True,
            expect=v1_error(TYPE_CONFLICT_V1),
            expect_headers={"X-Influxdb-Error": TYPE_CONFLICT_V1}, stored=1),
        Row(f, "empty-body", 204, params=DB, body="", stored=0),
        Row(f, "gzip", 204, params=DB, body=gzipped(LINE), headers={"Content-Encoding": "gzip"},
            stored=1),
        # 1.x decodes exactly `gzip`: an x-gzip body is parsed as it is.
        Row(f, "x-gzip-is-not-decoded", 400, params=DB, body=gzipped(LINE),
            headers={"Content-Encoding": "x-gzip"}, expect=None, contains="unable to parse",
            stored=0),
        Row(f, "bad-gzip-header", 400, params=DB, body=NOT_GZIP, headers=GZIP,
            expect=v1_error("gzip: invalid header"),
            expect_headers=v1_err_headers("gzip: invalid header"), stored=0),
        Row(f, "short-gzip-header", 400, params=DB, body="m v=1\n", headers=GZIP,
            expect=v1_error("unexpected EOF"), stored=0),
        Row(f, "empty-gzip", 400, params=DB, body="", headers=GZIP,
            expect=v1_error("EOF"), stored=0),
        Row(f, "bad-gzip-checksum", 400, params=DB, body=CORRUPT_TRAILER, headers=GZIP,
            expect=v1_error("gzip: invalid checksum"), stored=0),
        Row(f, "truncated-gzip", 400, params=DB, body=TRUNCATED_GZIP, headers=GZIP,
            expect=v1_error("unexpected EOF"), stored=0),
        Row(f, "body-too-large", 413, params=DB, body=LINE * 20, max_body_size=100,
            expect=v1_error("Request Entity Too Large"),
            expect_headers=v1_err_headers("Request Entity Too Large"), stored=0),
        Row(f, "body-at-limit", 204, params=DB, body=LINE * 10, max_body_size=len(LINE) * 10,
            stored=1),
        Row(f, "gzip-inflates-past-limit", 413, params=DB, body=gzip_bomb(64 << 20),
            headers=GZIP, max_body_size=200_000, expect=v1_error("Request Entity Too Large"),
            stored=0, quick=True),
        # -- authentication and authorization
        Row(f, "auth-missing", 401, params=DB, auth=True,
            expect=v1_error("unable to parse authentication credentials"),
            expect_headers={**WWW_AUTH, **V1_HEADERS}, stored=0),
        Row(f, "auth-only-user", 401, params={**DB, "u": "writer"}, auth=True,
            expect=v1_error("unable to parse authentication credentials"),
            expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-wrong-u-p", 401, params={**DB, "u": "writer", "p": "bad"}, auth=True,
            expect=v1_error("authorization failed"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-wrong-basic", 401, params=DB, headers=basic("writer", "bad"), auth=True,
            expect=v1_error("authorization failed"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-unknown-user", 401, params=DB, headers=basic("ghost", "x"), auth=True,
            expect=v1_error("authorization failed"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-empty-user-basic", 401, params=DB, headers=basic("", "x"), auth=True,
            expect=v1_error("username required"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-wrong-token-user-pass", 401, params=DB,
            headers={"Authorization": "Token writer:bad"}, auth=True,
            expect=v1_error("authorization failed"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-unknown-token", 401, params=DB, headers={"Authorization": "Token nope"},
            auth=True, expect=v1_error("unable to parse authentication credentials"),
            expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-bearer", 401, params=DB, headers={"Authorization": "Bearer all-token"},
            auth=True, expect=v1_error("bearer auth disabled"), expect_headers=WWW_AUTH, stored=0),
        Row(f, "auth-insufficient", 403, params={**DB, "u": "reader", "p": "rpw"}, auth=True,
            expect=v1_error('"reader" user is not authorized to write to database "db"'),
            expect_headers={"X-Influxdb-Error":
                            '"reader" user is not authorized to write to database "db"'},
            stored=0),
        Row(f, "auth-unknown-db-before-privileges", 404, params={"db": "nope", "u": "reader",
                                                                 "p": "rpw"},
            auth=True, expect=v1_error('database not found: "nope"')),
        Row(f, "auth-right-u-p", 204, params={**DB, "u": "writer", "p": "wpw"}, auth=True,
            stored=1),
        Row(f, "auth-right-admin", 204, params={**DB, "u": "admin", "p": "secret"}, auth=True,
            stored=1),
        Row(f, "auth-right-basic", 204, params=DB, headers=basic("writer", "wpw"), auth=True,
            stored=1),
        Row(f, "auth-right-token-user-pass", 204, params=DB,
            headers={"Authorization": "Token writer:wpw"}, auth=True, stored=1),
        Row(f, "auth-ping-is-open", 204, method="GET", path="/ping", body=None, auth=True),
        # -- routing
        Row(f, "get-write", 405, method="GET", body=None, params=DB, expect="Method Not Allowed\n",
            expect_headers={**V1_HEADERS, "Allow": "OPTIONS, POST",
                            "Content-Type": "text/plain; charset=utf-8"}),
        Row(f, "put-write", 405, method="PUT", params=DB, expect="Method Not Allowed\n",
            stored=0),
        Row(f, "options-write", 204, method="OPTIONS", body=None, params=DB),
        Row(f, "get-write-auth-after-routing", 405, method="GET", body=None, auth=True,
            expect="Method Not Allowed\n"),
        Row(f, "unknown-path", 404, path="/writes", params=DB, expect="404 page not found\n",
            expect_headers=V1_HEADERS, stored=0),
        Row(f, "v3-path-unknown", 404, path="/api/v3/write_lp", params=DB,
            expect="404 page not found\n", stored=0),
        Row(f, "ping", 204, method="GET", path="/ping", body=None, expect_headers=V1_HEADERS),
        Row(f, "ping-head", 204, method="HEAD", path="/ping", body=None,
            expect_headers=V1_HEADERS),
        Row(f, "ping-verbose", 200, method="GET", path="/ping", params={"verbose": "true"},
            body=None, expect='{"version":"1.11.8"}'),
        Row(f, "ping-verbose-false", 204, method="GET", path="/ping",
            params={"verbose": "false"}, body=None),
        Row(f, "post-ping", 405, path="/ping", body=None, expect="Method Not Allowed\n",
            expect_headers={"Allow": "GET, HEAD"}),
        Row(f, "health", 200, method="GET", path="/health", body=None,
            expect='{"name":"influxdb","message":"ready for queries and writes","status":"pass",'
                   '"checks":[],"version":"1.11.8"}',
            expect_headers=V1_HEADERS),
        # -- 1.x's /api/v2/write
        Row(f, "v2-write", 204, path="/api/v2/write", params={"bucket": "db"}, stored=1),
        Row(f, "v2-write-db-rp", 204, path="/api/v2/write", params={"bucket": "db/autogen"},
            stored=1),
        Row(f, "v2-write-precision", 204, path="/api/v2/write",
            params={"bucket": "db", "precision": "us"}, stored=1),
        Row(f, "v2-write-missing-bucket", 404, path="/api/v2/write",
            expect=v1_error('bucket name "" is missing a slash; not in '
                            '"database/retention-policy" format')),
        Row(f, "v2-write-empty-db", 404, path="/api/v2/write", params={"bucket": "/rp"},
            expect=v1_error('bucket name "/rp" is in db/rp form but has an empty database')),
        Row(f, "v2-write-unknown-db", 404, path="/api/v2/write", params={"bucket": "nope"},
            expect=v1_error('database not found: "nope"')),
        Row(f, "v2-write-bad-precision", 400, path="/api/v2/write",
            params={"bucket": "db", "precision": "u"},
            expect=v1_error('invalid precision "u" (use ns, us, ms or s)')),
        Row(f, "v2-write-token-user-pass", 204, path="/api/v2/write", params={"bucket": "db"},
            headers={"Authorization": "Token writer:wpw"}, auth=True, stored=1),
        Row(f, "v2-write-auth-missing", 401, path="/api/v2/write", params={"bucket": "db"},
            auth=True, expect=v1_error("unable to parse authentication credentials"),
            expect_headers=WWW_AUTH),
        Row(f, "get-v2-write", 405, method="GET", path="/api/v2/write", body=None,
            expect="Method Not Allowed\n", expect_headers={"Allow": "POST"}),
    ]


def v2_rows() -> list[Row]:
    f = "v2"
    v2 = "/api/v2/write"
    unauthorized = v2_error("unauthorized", "unauthorized access")
    forbidden = v2_error("forbidden", "insufficient permissions for write")
    too_large = v2_error("request too large", "unable to read data: points batch is too large")
    return [
        # -- /api/v2/write parameters
        Row(f, "missing-bucket", 404, path=v2, params={"org": "o"},
            expect=v2_error("not found", "bucket not found"),
            expect_headers={**code_header("not found"), **V2_HEADERS}),
        Row(f, "unknown-bucket", 404, path=v2, params={"bucket": "nope", "org": "o"},
            expect=v2_error("not found", 'bucket "nope" not found')),
        Row(f, "unknown-rp", 404, path=v2, params={"bucket": "db/nope", "org": "o"},
            expect=v2_error("not found", 'bucket "db/nope" not found'), stored=0),
        Row(f, "missing-org", 400, path=v2, params={"bucket": "db"},
            expect=v2_error("invalid", "Please provide either orgID or org"), stored=0),
        Row(f, "bad-org-id", 400, path=v2, params={"bucket": "db", "orgID": "xyz"},
            expect=v2_error("invalid", "id must have a length of 16 bytes"), stored=0),
        Row(f, "org-id", 204, path=v2, params={"bucket": "db", "orgID": "0123456789abcdef"},
            stored=1),
        Row(f, "bad-precision", 400, path=v2, params={**BUCKET, "precision": "u"},
            expect=v2_error("invalid",
                            "invalid precision; valid precision units are ns, us, ms, and s"),
            stored=0),
        Row(f, "precision-s", 204, path=v2, params={**BUCKET, "precision": "s"}, stored=1),
        # -- body
        Row(f, "write", 204, path=v2, params=BUCKET, stored=1, expect_headers=V2_HEADERS),
        Row(f, "bucket-db-rp", 204, path=v2, params={"bucket": "db/autogen", "org": "o"},
            stored=1),
        Row(f, "malformed-rejects-all", 400, path=v2, params=BUCKET, body=TWO_GOOD_ONE_BAD,
            expect=v2_error("invalid", "unable to parse 'm v= 3': missing field value"),
            expect_headers=code_header("invalid"), stored=0),
        Row(f, "type-conflict", 422, path=v2, params=BUCKET, body=CONFLICT, seed_float=True,
            expect=None,
            contains='"code":"unprocessable entity","message":"failure writing points to '
                     "database: partial write: field type conflict: input field \\\"v\\\" on "
                     "measurement \\\"m\\\" is type string, already exists as type float "
                     "dropped=1 for database: ",
            expect_headers=code_header("unprocessable entity"), stored=1),
        Row(f, "reserved-tag-key", 400, path=v2, params=BUCKET, body="m,_field=x v=1 1\n",
            expect=v2_error("invalid",
                            "unable to parse 'm,_field=x v=1 1': cannot use reserved tag key "
                            '"_field"'),
            stored=0),
        Row(f, "empty-body", 204, path=v2, params=BUCKET, body="", stored=0),
        Row(f, "gzip", 204, path=v2, params=BUCKET, body=gzipped(LINE), headers=GZIP,
            stored=1),
        Row(f, "x-gzip", 204, path=v2, params=BUCKET, body=gzipped(LINE),
            headers={"Content-Encoding": "x-gzip"}, stored=1),
        Row(f, "bad-gzip-header", 500, path=v2, params=BUCKET, body=NOT_GZIP, headers=GZIP,
            expect=V2_INTERNAL, expect_headers=code_header("internal error"), stored=0),
        Row(f, "bad-gzip-checksum", 400, path=v2, params=BUCKET, body=CORRUPT_TRAILER,
            headers=GZIP, expect=v2_error("invalid", "unable to read data: gzip: invalid "
                                                         "checksum"), stored=0),
        Row(f, "truncated-gzip", 500, path=v2, params=BUCKET, body=TRUNCATED_GZIP, headers=GZIP,
            expect=v2_error("internal error", "unable to read data: unexpected EOF"), stored=0),
        Row(f, "body-too-large", 413, path=v2, params=BUCKET, body=LINE * 20, max_body_size=100,
            expect=too_large, expect_headers=code_header("request too large"), stored=0),
        Row(f, "gzip-inflates-past-limit", 413, path=v2, params=BUCKET,
            body=gzip_bomb(64 << 20), headers=GZIP, max_body_size=200_000, expect=too_large,
            stored=0, quick=True),
        # -- authentication and authorization
        Row(f, "auth-missing", 401, path=v2, params=BUCKET, auth=True, expect=unauthorized,
            expect_headers={**code_header("unauthorized"), "WWW-Authenticate": ABSENT},
            stored=0),
        Row(f, "auth-wrong-token", 401, path=v2, params=BUCKET,
            headers={"Authorization": "Token nope"}, auth=True, expect=unauthorized, stored=0),
        Row(f, "auth-u-p-not-taken", 401, path=v2, params={**BUCKET, "u": "admin",
                                                          "p": "secret"},
            auth=True, expect=unauthorized, stored=0),
        Row(f, "auth-basic-not-taken", 401, path=v2, params=BUCKET,
            headers=basic("admin", "secret"), auth=True, expect=unauthorized, stored=0),
        Row(f, "auth-missing-before-bucket", 401, path=v2, auth=True, expect=unauthorized),
        Row(f, "auth-insufficient", 403, path=v2, params=BUCKET,
            headers={"Authorization": "Token read-token"}, auth=True, expect=forbidden,
            expect_headers=code_header("forbidden"), stored=0),
        Row(f, "auth-right-token", 204, path=v2, params=BUCKET,
            headers={"Authorization": "Token all-token"}, auth=True, stored=1),
        Row(f, "auth-right-token-lowercase-scheme", 204, path=v2, params=BUCKET,
            headers={"Authorization": "token all-token"}, auth=True, stored=1),
        Row(f, "auth-right-bearer", 204, path=v2, params=BUCKET,
            headers={"Authorization": "Bearer all-token"}, auth=True, stored=1),
        Row(f, "auth-ping-is-open", 204, method="GET", path="/ping", body=None, auth=True),
        # -- routing
        Row(f, "get-v2-write", 405, method="GET", path=v2, body=None,
            expect=v2_error("method not allowed", "allow: POST"),
            expect_headers={**code_header("method not allowed"), "Allow": "POST"}),
        Row(f, "get-v2-write-without-token", 401, method="GET", path=v2, body=None, auth=True,
            expect=unauthorized),
        Row(f, "get-v2-write-with-token", 405, method="GET", path=v2, body=None, auth=True,
            headers={"Authorization": "Token all-token"},
            expect=v2_error("method not allowed", "allow: POST")),
        Row(f, "unknown-path", 404, path="/api/v2/writes", params=BUCKET,
            expect=v2_error("not found", "path not found"), stored=0),
        Row(f, "v3-path-unknown", 404, path="/api/v3/write_lp", params=DB,
            expect=v2_error("not found", "path not found"), stored=0),
        Row(f, "ping", 204, method="GET", path="/ping", body=None, expect_headers=V2_HEADERS),
        Row(f, "ping-head", 204, method="HEAD", path="/ping", body=None),
        Row(f, "health", 200, method="GET", path="/health", body=None,
            expect='{"name":"influxdb","message":"ready for queries and writes","status":"pass",'
                   '"checks":[],"version":"v2.7.12","commit":"influxlp"}',
            expect_headers={"Content-Type": "application/json; charset=utf-8"}),
        # -- /write, the v1 compatibility route
        Row(f, "v1-write", 204, params=DB, stored=1),
        Row(f, "v1-missing-db", 400, expect=v2_error("invalid", "missing db"),
            expect_headers=code_header("invalid")),
        Row(f, "v1-missing-db-auth-first", 401, auth=True, expect=unauthorized),
        Row(f, "v1-unknown-db", 404, params={"db": "nope"},
            expect=v2_error("not found", "no dbrp mapping found")),
        Row(f, "v1-unknown-rp", 404, params={"db": "db", "rp": "nope"},
            expect=v2_error("not found", "no dbrp mapping found"), stored=0),
        Row(f, "v1-rp", 204, params={"db": "db", "rp": "autogen"}, stored=1),
        # 2.x's /write does not check the precision and reads `u` (and `x`) as nanoseconds.
        Row(f, "v1-bad-precision-taken-as-ns", 204, params={"db": "db", "precision": "x"},
            stored=1),
        Row(f, "v1-precision-u-taken-as-ns", 204, params={"db": "db", "precision": "u"},
            stored=1),
        Row(f, "v1-malformed-rejects-all", 400, params=DB, body=TWO_GOOD_ONE_BAD,
            expect=v2_error("invalid", "unable to parse 'm v= 3': missing field value"),
            stored=0),
        Row(f, "v1-type-conflict", 422, params=DB, body=CONFLICT, seed_float=True, expect=None,
            contains='"code":"unprocessable entity"', stored=1),
        Row(f, "v1-gzip", 204, params=DB, body=gzipped(LINE), headers=GZIP, stored=1),
        Row(f, "v1-bad-gzip", 500, params=DB, body=NOT_GZIP, headers=GZIP, expect=V2_INTERNAL,
            stored=0),
        Row(f, "v1-auth-u-p-token", 204, params={**DB, "u": "anyone", "p": "all-token"},
            auth=True, stored=1),
        Row(f, "v1-auth-u-p-password", 204, params={**DB, "u": "writer", "p": "wpw"},
            auth=True, stored=1),
        Row(f, "v1-auth-basic-token", 204, params=DB, headers=basic("anyone", "all-token"),
            auth=True, stored=1),
        Row(f, "v1-auth-token", 204, params=DB, headers={"Authorization": "Token all-token"},
            auth=True, stored=1),
        Row(f, "v1-auth-token-user-token", 204, params=DB,
            headers={"Authorization": "Token anyone:all-token"}, auth=True, stored=1),
        Row(f, "v1-auth-bearer-not-taken", 401, params=DB,
            headers={"Authorization": "Bearer all-token"}, auth=True, expect=unauthorized,
            stored=0),
        Row(f, "v1-auth-wrong", 401, params={**DB, "u": "writer", "p": "bad"}, auth=True,
            expect=unauthorized, stored=0),
        Row(f, "v1-auth-insufficient", 403, params={**DB, "u": "reader", "p": "rpw"},
            auth=True, expect=forbidden, stored=0),
        Row(f, "v1-get-write", 405, method="GET", body=None, params=DB,
            expect=v2_error("method not allowed", "allow: POST")),
    ]


def v3_rows() -> list[Row]:
    f = "v3"
    v3 = "/api/v3/write_lp"
    unauthorized = v2_error("unauthorized", "unauthorized access")
    return [
        # -- /api/v3/write_lp parameters
        Row(f, "missing-db", 400, path=v3, expect=v3_error("missing query parameter 'db'")),
        Row(f, "unknown-db-is-created", 204, path=v3, params={"db": "fresh"}, stored=1,
            stored_db="fresh"),
        Row(f, "bad-precision", 400, path=v3, params={**DB, "precision": "x"},
            expect=v3_error('invalid precision value "x"'), stored=0),
        Row(f, "precision-second", 204, path=v3, params={**DB, "precision": "second"},
            stored=1),
        Row(f, "bad-accept-partial", 400, path=v3, params={**DB, "accept_partial": "maybe"},
            expect=v3_error('invalid value for accept_partial: "maybe"'), stored=0),
        Row(f, "no-sync", 204, path=v3, params={**DB, "no_sync": "true"}, stored=1),
        # -- body
        Row(f, "write", 204, path=v3, params=DB, stored=1),
        Row(f, "malformed-partial", 400, path=v3, params=DB, body=TWO_GOOD_ONE_BAD,
            expect=partial_v3(("m v= 3", 2, "missing field value")), stored=2),
        Row(f, "malformed-no-partial", 400, path=v3, params={**DB, "accept_partial": "false"},
            body=TWO_GOOD_ONE_BAD,
            expect='{"error":"parsing failed for write_lp endpoint","data":{"original_line":'
                   '"m v= 3","line_number":2,"error_message":"missing field value"}}',
            stored=0),
        Row(f, "type-conflict", 400, path=v3, params=DB, body=CONFLICT, seed_float=True,
            expect=None, contains='"error":"partial write of line protocol occurred"',
            stored=1),
        Row(f, "invalid-utf8", 400, path=v3, params=DB, body=b"m v=1 1\nm\xff v=1 2\n",
            expect=None, contains="body content is not valid utf8", stored=0),
        Row(f, "empty-body", 204, path=v3, params=DB, body="", stored=0),
        Row(f, "gzip", 204, path=v3, params=DB, body=gzipped(LINE), headers=GZIP, stored=1),
        Row(f, "bad-gzip", 400, path=v3, params=DB, body=NOT_GZIP, headers=GZIP,
            expect=v3_error("error decoding gzip stream: gzip: invalid header"), stored=0),
        Row(f, "unsupported-encoding", 400, path=v3, params=DB,
            headers={"Content-Encoding": "br"},
            expect=v3_error("unacceptable content-encoding: br"), stored=0),
        Row(f, "body-too-large", 413, path=v3, params=DB, body=LINE * 20, max_body_size=100,
            expect=v3_error("max request size (100 bytes) exceeded"), stored=0),
        Row(f, "gzip-inflates-past-limit", 413, path=v3, params=DB, body=gzip_bomb(64 << 20),
            headers=GZIP, max_body_size=200_000, expect=None, contains="exceeded",
            stored=0, quick=True),
        # -- authentication and authorization
        Row(f, "auth-missing", 401, path=v3, params=DB, auth=True, expect=unauthorized,
            stored=0),
        Row(f, "auth-wrong-token", 401, path=v3, params=DB,
            headers={"Authorization": "Bearer nope"}, auth=True, expect=unauthorized, stored=0),
        Row(f, "auth-insufficient", 403, path=v3, params=DB,
            headers={"Authorization": "Bearer read-token"}, auth=True,
            expect=v3_error("access denied"), stored=0),
        Row(f, "auth-right-bearer", 204, path=v3, params=DB,
            headers={"Authorization": "Bearer all-token"}, auth=True, stored=1),
        Row(f, "auth-right-token", 204, path=v3, params=DB,
            headers={"Authorization": "Token all-token"}, auth=True, stored=1),
        Row(f, "auth-right-basic", 204, path=v3, params=DB, headers=basic("writer", "wpw"),
            auth=True, stored=1),
        # 3.x checks tokens on every route, /ping included.
        Row(f, "auth-ping", 401, method="GET", path="/ping", body=None, auth=True,
            expect=unauthorized),
        # -- compatibility routes
        Row(f, "v1-write", 204, params=DB, stored=1),
        Row(f, "v1-write-creates-db", 204, params={"db": "fresh"}, stored=1, stored_db="fresh"),
        Row(f, "v1-missing-db", 400, expect=v3_error("missing query parameter 'db'")),
        Row(f, "v1-precision-h", 204, params={**DB, "precision": "h"}, stored=1),
        Row(f, "v1-malformed-partial", 400, params=DB, body=TWO_GOOD_ONE_BAD,
            expect=partial_v3(("m v= 3", 2, "missing field value")), stored=2),
        Row(f, "v2-write", 204, path="/api/v2/write", params=BUCKET, stored=1),
        Row(f, "v2-write-missing-bucket", 400, path="/api/v2/write",
            expect=v2_error("invalid", "missing query parameter 'bucket'")),
        Row(f, "v2-write-bad-precision", 400, path="/api/v2/write",
            params={**BUCKET, "precision": "fortnight"},
            expect=v2_error("invalid", 'invalid precision value "fortnight"')),
        # iox's long names, which influxdb3-python sends, are taken on this route too.
        Row(f, "v2-write-precision-second", 204, path="/api/v2/write",
            params={**BUCKET, "precision": "second"}, stored=1),
        Row(f, "v2-write-auth-missing", 401, path="/api/v2/write", params=BUCKET, auth=True,
            expect=unauthorized),
        # -- routing
        Row(f, "get-write-lp", 405, method="GET", path=v3, body=None, params=DB,
            expect=v3_error("method not allowed"), expect_headers={"Allow": "POST"}),
        Row(f, "unknown-path", 404, path="/api/v3/write", params=DB, expect="not found",
            stored=0),
        Row(f, "ping", 200, method="GET", path="/ping", body=None,
            expect='{"version":"3.0.0","revision":"influxlp"}'),
        Row(f, "health", 200, method="GET", path="/health", body=None, expect="OK"),
    ]


def cloud_rows() -> list[Row]:
    f = "cloud"
    v2 = "/api/v2/write"
    unauthorized = v2_error("unauthorized", "unauthorized access")
    return [
        Row(f, "missing-bucket", 404, path=v2, params={"org": "o"},
            expect=v2_error("not found", "bucket not found"),
            expect_headers={**code_header("not found"), **CLOUD_HEADERS}),
        Row(f, "unknown-bucket", 404, path=v2, params=BUCKET | {"bucket": "nope"},
            expect=v2_error("not found", 'bucket "nope" not found')),
        Row(f, "unknown-rp", 404, path=v2, params={"bucket": "db/nope", "org": "o"},
            expect=v2_error("not found", 'bucket "db/nope" not found'), stored=0),
        Row(f, "bad-precision", 400, path=v2, params={**BUCKET, "precision": "h"},
            expect=v2_error("invalid",
                            "invalid precision; valid precision units are ns, us, ms, and s"),
            stored=0),
        Row(f, "write", 204, path=v2, params=BUCKET, stored=1, expect_headers=CLOUD_HEADERS),
        Row(f, "malformed-some", 400, path=v2, params=BUCKET, body=TWO_GOOD_ONE_BAD,
            expect=v2_error("invalid", "partial write has occurred, errors encountered on "
                                       "line(s):\nerror parsing line 2 (1-based): missing "
                                       "field value ('m v= 3')", line=2),
            expect_headers=code_header("invalid"), stored=2),
        Row(f, "malformed-all", 400, path=v2, params=BUCKET, body="m v= 3\n",
            expect=v2_error("invalid", "failed to parse line protocol: errors encountered on "
                                       "line(s):\nerror parsing line 1 (1-based): missing "
                                       "field value ('m v= 3')", line=1),
            stored=0),
        Row(f, "type-conflict", 400, path=v2, params=BUCKET, body=CONFLICT, seed_float=True,
            expect=None, contains='"line":1}', stored=1),
        Row(f, "empty-body", 204, path=v2, params=BUCKET, body="", stored=0),
        Row(f, "gzip", 204, path=v2, params=BUCKET, body=gzipped(LINE), headers=GZIP,
            stored=1),
        Row(f, "x-gzip", 204, path=v2, params=BUCKET, body=gzipped(LINE),
            headers={"Content-Encoding": "x-gzip"}, stored=1),
        Row(f, "bad-gzip", 500, path=v2, params=BUCKET, body=NOT_GZIP, headers=GZIP,
            expect=V2_INTERNAL, stored=0),
        Row(f, "body-too-large", 413, path=v2, params=BUCKET, body=LINE * 20, max_body_size=100,
            expect=v2_error("invalid", "cannot read data: points in batch is too large",
                            maxLength=100),
            expect_headers=code_header("invalid"), stored=0),
        Row(f, "gzip-inflates-past-limit", 413, path=v2, params=BUCKET,
            body=gzip_bomb(64 << 20), headers=GZIP, max_body_size=200_000, expect=None,
            contains='"maxLength":', stored=0, quick=True),
        Row(f, "auth-missing", 401, path=v2, params=BUCKET, auth=True, expect=unauthorized,
            stored=0),
        Row(f, "auth-wrong-token", 401, path=v2, params=BUCKET,
            headers={"Authorization": "Token nope"}, auth=True, expect=unauthorized, stored=0),
        # Cloud's documentation answers a token without write permission with 401.
        Row(f, "auth-insufficient", 401, path=v2, params=BUCKET,
            headers={"Authorization": "Token read-token"}, auth=True, expect=unauthorized,
            stored=0),
        Row(f, "auth-right-token", 204, path=v2, params=BUCKET,
            headers={"Authorization": "Token all-token"}, auth=True, stored=1),
        Row(f, "auth-right-bearer", 204, path=v2, params=BUCKET,
            headers={"Authorization": "Bearer all-token"}, auth=True, stored=1),
        Row(f, "v1-write", 204, params=DB, stored=1),
        Row(f, "v1-missing-db", 400, expect=v2_error("invalid", "missing db")),
        Row(f, "v1-unknown-db", 404, params={"db": "nope"},
            expect=v2_error("not found", "no dbrp mapping found")),
        Row(f, "v1-precision-h", 204, params={**DB, "precision": "h"}, stored=1),
        Row(f, "v1-auth-u-p-token", 204, params={**DB, "u": "x", "p": "all-token"}, auth=True,
            stored=1),
        Row(f, "get-v2-write", 405, method="GET", path=v2, body=None,
            expect=v2_error("method not allowed", "allow: POST")),
        Row(f, "unknown-path", 404, path="/api/v2/nothing",
            expect=v2_error("not found", "path not found")),
        Row(f, "ping", 204, method="GET", path="/ping", body=None, expect_headers=CLOUD_HEADERS),
        Row(f, "health", 200, method="GET", path="/health", body=None, expect=None,
            contains='"status":"pass"'),
    ]

# fmt: on


ROWS = v1_rows() + v2_rows() + v3_rows() + cloud_rows()


def start_server(row: Row) -> influxlp.Server:
    options: dict[str, Any] = {"flavor": row.flavor}
    if row.auth:
        options["users"] = [
            influxlp.User("admin", "secret", admin=True),
            influxlp.User("reader", "rpw", read=["db"]),
            influxlp.User("writer", "wpw", write=["db"]),
        ]
        options["tokens"] = {
            "all-token": None,
            "read-token": influxlp.User("reader", "rpw", read=["db"]),
        }
    if row.max_body_size is not None:
        options["max_body_size"] = row.max_body_size
    server = influxlp.Server(port=0, **options)
    server.store.create_database("db")
    if row.seed_float:
        server.store.write("m v=1 0", db="db")
    server.start()
    return server


def stored_points(server: influxlp.Server, row: Row) -> int:
    if row.stored_db not in server.store.databases():
        return 0
    count = server.store.count(db=row.stored_db)
    return count - 1 if row.seed_float else count


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_status_table(row: Row):
    server = start_server(row)
    try:
        started = time.monotonic()
        reply = request(server, row.method, row.path, row.params, row.body, row.headers)
        elapsed = time.monotonic() - started
        assert reply.status == row.status, reply.text
        if row.expect is not None:
            assert reply.text == row.expect
        if row.contains is not None:
            assert row.contains in reply.text
        for name, value in row.expect_headers.items():
            if value is ABSENT:
                assert name.lower() not in reply.headers, name
            else:
                assert reply.headers.get(name.lower()) == value, name
        if row.stored is not None:
            assert stored_points(server, row) == row.stored
        if row.quick:
            # A bomb is refused once the limit is passed, not after inflating it all.
            assert elapsed < 5.0
    finally:
        server.stop()


def test_every_flavor_has_every_case_of_the_table():
    """The §8 cases each flavor must answer (v3 has no retention policies or org)."""
    required = {
        "missing",
        "unknown",
        "bad-precision",
        "malformed",
        "type-conflict",
        "gzip",
        "bad-gzip",
        "too-large",
        "inflates",
        "auth-missing",
        "auth-wrong",
        "auth-insufficient",
        "auth-right",
        "get-",
        "unknown-path",
        "empty-body",
        "ping",
        "health",
    }
    for flavor in ("v1", "v2", "v3", "cloud"):
        cases = [row.case for row in ROWS if row.flavor == flavor]
        for needle in required:
            assert any(needle in case for case in cases), (flavor, needle)


@pytest.mark.parametrize("flavor", ["v1", "v2", "cloud"])
def test_version_headers_on_every_answer(flavor):
    """X-Influxdb-Version and X-Influxdb-Build on success, error, 404 and 405 answers."""
    with influxlp.Server(port=0, flavor=flavor, version="9.9.9") as server:
        server.store.create_database("db")
        for method, path in [
            ("GET", "/ping"),
            ("POST", "/write"),
            ("GET", "/nothing"),
            ("GET", "/write"),
            ("POST", "/write?db=db"),
        ]:
            reply = request(server, method, path, body=LINE if method == "POST" else None)
            assert reply.headers.get("x-influxdb-version") == "9.9.9", (method, path)
            assert reply.headers.get("x-influxdb-build") in ("OSS", "Cloud")


def test_v1_request_ids():
    with influxlp.Server(port=0, flavor="v1") as server:
        server.store.create_database("db")
        echoed = request(server, "POST", "/write", DB, LINE, {"X-Request-Id": "abc-123"})
        assert echoed.headers["request-id"] == "abc-123"
        assert echoed.headers["x-request-id"] == "abc-123"
        fresh = request(server, "POST", "/write", DB, LINE)
        other = request(server, "POST", "/write", DB, LINE)
        assert fresh.headers["request-id"] == fresh.headers["x-request-id"]
        assert fresh.headers["request-id"] != other.headers["request-id"]
        assert fresh.headers["request-id"][14] == "1"  # a version-1 (time) UUID


def test_v1_error_header_is_cut_to_1024_bytes():
    with influxlp.Server(port=0, flavor="v1") as server:
        server.store.create_database("db")
        long_bad = "m v=" + "x" * 3000 + "\n"
        reply = request(server, "POST", "/write", DB, long_bad)
        assert reply.status == 400
        assert len(reply.headers["x-influxdb-error"].encode()) == 1024
        assert reply.json()["error"].startswith("unable to parse 'm v=xxx")


def test_v1_chunked_body_over_the_limit_is_413():
    """Without Content-Length the body is read up to the limit and refused past it."""
    import socket

    with influxlp.Server(port=0, flavor="v1", max_body_size=1_000) as server:
        server.store.create_database("db")
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(LINE), LINE.encode()) for _ in range(200))
        head = b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(head + chunks + b"0\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}\n"):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert answer.endswith(b"\r\n\r\n" + v1_error("Request Entity Too Large").encode())
        assert server.store.count(db="db") == 0
        # Exactly at the limit, chunked, is taken.
        at_limit = request(server, "POST", "/write", DB, iter([LINE.encode()] * 125))
        assert at_limit.status == 204
        assert server.store.count(db="db") == 1


def test_points_beyond_retention_per_flavor():
    """Points older than the policy allows are dropped, the others written; 1.x says `points
    beyond retention policy`, 2.x names the oldest and newest dropped point."""
    import re

    now = time.time_ns()
    old = "m,host=a\\ b v=1 1000\nm,host=c v=2 2000\n"
    body = old + f"m,host=a\\ b v=3 {now}\n"
    cases = [
        ("v1", "/write", {"db": "db", "rp": "hour"}),
        ("v2", "/api/v2/write", {"bucket": "db/hour", "org": "o"}),
        ("v2", "/write", {"db": "db", "rp": "hour"}),
    ]
    for flavor, path, params in cases:
        with influxlp.Server(port=0, flavor=flavor) as server:
            server.store.create_database("db")
            server.store.create_retention_policy("db", "hour", duration=3600)
            reply = request(server, "POST", path, params, body)
            assert server.store.count(db="db", rp="hour") == 1, (flavor, path)
            if flavor == "v1":
                assert reply.status == 400
                assert reply.text == v1_error(
                    "partial write: points beyond retention policy dropped=2"
                )
                continue
            assert reply.status == 422
            message = reply.json()["message"]
            bound = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
            pattern = (
                r"failure writing points to database: partial write: dropped 2 points outside "
                r"retention policy of duration 1h0m0s - oldest point m,host=a\\ b at "
                rf"1970-01-01T00:00:00.000001Z dropped because it violates a Retention Policy "
                rf"Lower Bound at {bound}, newest point m,host=c at 1970-01-01T00:00:00.000002Z "
                rf"dropped because it violates a Retention Policy Lower Bound at {bound} "
                r"dropped=2 for database: [0-9a-f]{16} for retention policy: hour"
            )
            assert re.fullmatch(pattern, message), message


def test_a_type_conflict_is_reported_before_points_beyond_retention():
    """The points writer reports a shard's refusal, counting only its points, when points were
    also dropped for their age."""
    now = time.time_ns()
    body = f'm v=1 1000\nm v="x" {now}\nm v=2 {now + 1}\n'
    conflict = (
        'field type conflict: input field "v" on measurement "m" is type string, '
        "already exists as type float"
    )
    for flavor, path, params in [
        ("v1", "/write", {"db": "db", "rp": "hour"}),
        ("v2", "/api/v2/write", {"bucket": "db/hour", "org": "o"}),
    ]:
        with influxlp.Server(port=0, flavor=flavor) as server:
            server.store.create_database("db")
            server.store.create_retention_policy("db", "hour", duration=3600)
            server.store.write(f"m v=0 {now - 1}", db="db", rp="hour")
            reply = request(server, "POST", path, params, body)
            assert server.store.count(db="db", rp="hour") == 2
            if flavor == "v1":
                assert reply.text == v1_error(f"partial write: {conflict} dropped=1")
            else:
                assert reply.status == 422
                message = reply.json()["message"]
                assert message.startswith(
                    f"failure writing points to database: partial write: {conflict} dropped=1 "
                ), message
