"""Raw HTTP requests to influxd 1.x's /write, /ping and /query (docs/spec.md §6 and the §8 table).

Two servers are recorded: "plain" (no auth, `max-body-size` = MAX_BODY_SIZE so the limit
is cheap to cross) and "auth" (`auth-enabled = true` with the USERS below).  A case that
names `db` gets that database created first (on its server), with `setup` bodies written
to it, and what the database holds afterwards is recorded.  The placeholder `{db}` in
parameters and bodies stands for the case's database.
"""

from __future__ import annotations

import base64
import gzip
import zlib

import readback
from influxd import Influxd

MAX_BODY_SIZE = 1000
AUTH_DB = "authdb"
# name, password, admin, read dbs, write dbs
USERS = [
    ("admin", "adminpw", True, [], []),
    ("reader", "readpw", False, [AUTH_DB], []),
    ("writer", "writepw", False, [], [AUTH_DB]),
]

# Response headers whose value is a fresh UUID or a clock reading: recorded as present only.
VOLATILE = {"date", "request-id", "x-request-id"}


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def bad_checksum(data: bytes) -> bytes:
    raw = bytearray(gz(data))
    raw[-8] ^= 0xFF  # CRC32 of the trailer
    return bytes(raw)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# Differences between 1.6.7 and the 1.10/1.11 behaviour influxlp's v1 flavor implements
# (docs/spec.md §10 and "How influxlp uses this"): the test expects influxlp's documented answer.
DIFFERENCES = {
    "precision_not_validated": (
        "1.6.7 does not validate precision; 1.10+ answers 400 invalid precision"
    ),
    "no_api_v2_write": "1.6.7 has no /api/v2/write (404); 1.8+ serves it",
    "token_user_pass": "1.6.7 does not take Authorization: Token user:pass (401); 1.8+ does",
    "gzip_not_limited": (
        "1.x limits only the compressed size of a gzip body; influxlp also "
        "limits the decompressed size (413)"
    ),
    "options_write": "1.6.7 answers OPTIONS /write with 200 (CORS preflight)",
    "ping_verbose": '1.6.7 ignores ?verbose on /ping (204); 1.8+ answers 200 {"version":...}',
    "health_endpoint": "1.6.7 has no /health (404); 1.8+ answers 200 with a JSON health report",
    "bearer_typo": (
        "1.6.7 says 'bearer auth disabld' (sic); later versions 'bearer auth disabled'"
    ),
    "batch_type_conflict": (
        "1.6.7 rejects a batch whose new field has two types with 'field type conflict'"
    ),
}


def case(
    cid: str,
    method: str,
    path: str,
    params=None,
    *,
    server: str = "plain",
    body: bytes | None = None,
    headers: dict | None = None,
    db: bool = False,
    setup: list[str] | None = None,
    raw_query: str | None = None,
    chunked: bool = False,
    note: str | None = None,
    diff: str | None = None,
) -> dict:
    c = {
        "id": cid,
        "server": server,
        "method": method,
        "path": path,
        "params": [list(p) for p in (params or [])],
        "headers": headers or {},
    }
    if raw_query is not None:
        c["raw_query"] = raw_query
    if body is not None:
        c["body_hex"] = body.hex()
        try:
            c["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if chunked:
        c["chunked"] = True
    if db:
        c["db"] = "d_" + cid.replace("-", "_")
        c["setup"] = setup or []
    if note:
        c["note"] = note
    if diff:
        c["difference"] = {"kind": diff, "reason": DIFFERENCES[diff]}
    return c


def cases() -> list[dict]:
    DB = ("db", "{db}")
    LP = b"m,t=a v=1 1000\nm,t=b v=2,w=3i 2000\n"
    out = [
        # ---- /write: database and retention policy ----------------------------------------------
        case("write-ok", "POST", "/write", [DB], body=LP, db=True),
        case("write-missing-db", "POST", "/write", [], body=LP),
        case("write-empty-db", "POST", "/write", [("db", "")], body=LP),
        case("write-unknown-db", "POST", "/write", [("db", "nope")], body=LP),
        case("write-unknown-db-malformed-body", "POST", "/write", [("db", "nope")], body=b"bad"),
        case("write-unknown-rp", "POST", "/write", [DB, ("rp", "nope")], body=LP, db=True),
        case("write-rp-autogen", "POST", "/write", [DB, ("rp", "autogen")], body=LP, db=True),
        case("write-db-needs-escaping", "POST", "/write", [("db", 'we"ird db')], body=LP),
        # ---- precision --------------------------------------------------------------------------
        case(
            "write-precision-s",
            "POST",
            "/write",
            [DB, ("precision", "s")],
            body=b"m v=1 1",
            db=True,
        ),
        case(
            "write-precision-bogus",
            "POST",
            "/write",
            [DB, ("precision", "bogus")],
            body=b"m v=1 1",
            db=True,
            diff="precision_not_validated",
        ),
        case(
            "write-precision-us",
            "POST",
            "/write",
            [DB, ("precision", "us")],
            body=b"m v=1 1",
            db=True,
            diff="precision_not_validated",
        ),
        case(
            "write-precision-twice",
            "POST",
            "/write",
            [DB, ("precision", "s"), ("precision", "ms")],
            body=b"m v=1 1",
            db=True,
        ),
        # ---- body content -----------------------------------------------------------------------
        case("write-malformed-one", "POST", "/write", [DB], body=b"m v=", db=True),
        case("write-malformed-all", "POST", "/write", [DB], body=b"bad line\nalso bad=\n", db=True),
        case(
            "write-malformed-partial",
            "POST",
            "/write",
            [DB],
            body=b"m v=1 1000\nbad line\nm v=2 2000\n",
            db=True,
        ),
        case(
            "write-type-conflict",
            "POST",
            "/write",
            [DB],
            body=b"m v=1i 2000\nm v=3 3000",
            db=True,
            setup=["m v=1 1000"],
        ),
        case(
            "write-type-conflict-new-field-in-batch",
            "POST",
            "/write",
            [DB],
            body=b'm v=1 1\nm v="s" 2',
            db=True,
            diff="batch_type_conflict",
        ),
        case("write-empty-body", "POST", "/write", [DB], body=b"", db=True),
        case("write-no-body", "POST", "/write", [DB], db=True),
        case("write-comments-only", "POST", "/write", [DB], body=b"# c\n\n", db=True),
        case(
            "write-consistency-bogus",
            "POST",
            "/write",
            [DB, ("consistency", "bogus")],
            body=LP,
            db=True,
        ),
        case(
            "write-consistency-all",
            "POST",
            "/write",
            [DB, ("consistency", "ALL")],
            body=LP,
            db=True,
        ),
        case(
            "write-time-tag", "POST", "/write", [DB], body=b"m,time=1 v=1 1000\nm v=2 2000", db=True
        ),
        case(
            "write-content-type-ignored",
            "POST",
            "/write",
            [DB],
            body=LP,
            db=True,
            headers={"Content-Type": "application/json"},
        ),
        case(
            "write-request-id-echo",
            "POST",
            "/write",
            [DB],
            body=LP,
            db=True,
            headers={"X-Request-Id": "abc-123"},
        ),
        case(
            "write-accept-csv-error",
            "POST",
            "/write",
            [("db", "nope")],
            body=LP,
            headers={"Accept": "application/csv"},
        ),
        case("write-pretty-error", "POST", "/write", [("db", "nope"), ("pretty", "true")], body=LP),
        # ---- gzip -------------------------------------------------------------------------------
        case(
            "write-gzip",
            "POST",
            "/write",
            [DB],
            body=gz(LP),
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-malformed-line",
            "POST",
            "/write",
            [DB],
            body=gz(b"m v=1 1\nbad"),
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-bad-header",
            "POST",
            "/write",
            [DB],
            body=LP,
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-empty-body",
            "POST",
            "/write",
            [DB],
            body=b"",
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-truncated",
            "POST",
            "/write",
            [DB],
            body=gz(LP * 5)[:30],
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-bad-checksum",
            "POST",
            "/write",
            [DB],
            body=bad_checksum(LP),
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        case(
            "write-gzip-uppercase",
            "POST",
            "/write",
            [DB],
            body=gz(LP),
            headers={"Content-Encoding": "GZIP"},
            db=True,
        ),
        case(
            "write-x-gzip",
            "POST",
            "/write",
            [DB],
            body=gz(LP),
            headers={"Content-Encoding": "x-gzip"},
            db=True,
        ),
        case(
            "write-x-gzip-plain-body",
            "POST",
            "/write",
            [DB],
            body=LP,
            headers={"Content-Encoding": "x-gzip"},
            db=True,
        ),
        case(
            "write-deflate-plain-body",
            "POST",
            "/write",
            [DB],
            body=LP,
            headers={"Content-Encoding": "deflate"},
            db=True,
        ),
        case(
            "write-deflate",
            "POST",
            "/write",
            [DB],
            body=zlib.compress(LP),
            headers={"Content-Encoding": "deflate"},
            db=True,
        ),
        case(
            "write-identity",
            "POST",
            "/write",
            [DB],
            body=LP,
            headers={"Content-Encoding": "identity"},
            db=True,
        ),
        # ---- size limit (max-body-size = MAX_BODY_SIZE) -----------------------------------------
        case("write-body-at-limit", "POST", "/write", [DB], body=_sized(MAX_BODY_SIZE), db=True),
        case(
            "write-body-over-limit", "POST", "/write", [DB], body=_sized(MAX_BODY_SIZE + 1), db=True
        ),
        case(
            "write-chunked-at-limit",
            "POST",
            "/write",
            [DB],
            body=_sized(MAX_BODY_SIZE),
            chunked=True,
            db=True,
        ),
        case(
            "write-chunked-over-limit",
            "POST",
            "/write",
            [DB],
            body=_sized(MAX_BODY_SIZE + 1),
            chunked=True,
            db=True,
        ),
        case(
            "write-gzip-inflates-past-limit",
            "POST",
            "/write",
            [DB],
            body=gz(_sized(20 * MAX_BODY_SIZE)),
            headers={"Content-Encoding": "gzip"},
            db=True,
            diff="gzip_not_limited",
        ),
        case(
            "write-gzip-compressed-over-limit",
            "POST",
            "/write",
            [DB],
            body=gz(_incompressible(3000)),
            headers={"Content-Encoding": "gzip"},
            db=True,
        ),
        # ---- methods and paths ------------------------------------------------------------------
        case("write-get", "GET", "/write", [DB], db=True),
        case("write-put", "PUT", "/write", [DB], body=LP, db=True),
        case("write-delete", "DELETE", "/write", [DB], db=True),
        case("write-options", "OPTIONS", "/write", [DB], db=True, diff="options_write"),
        case("write-head", "HEAD", "/write", [DB], db=True),
        case("write-trailing-slash", "POST", "/write/", [DB], body=LP, db=True),
        case(
            "api-v2-write",
            "POST",
            "/api/v2/write",
            [("bucket", "{db}/autogen"), ("org", "x")],
            body=LP,
            db=True,
            diff="no_api_v2_write",
        ),
        case("unknown-path", "GET", "/nope"),
        case("unknown-path-post", "POST", "/api/v2/nope", body=LP),
        case("root-path", "GET", "/"),
        # ---- ping -------------------------------------------------------------------------------
        case("ping-get", "GET", "/ping"),
        case("ping-head", "HEAD", "/ping"),
        case("ping-verbose-true", "GET", "/ping", [("verbose", "true")], diff="ping_verbose"),
        case("ping-verbose-1", "GET", "/ping", [("verbose", "1")], diff="ping_verbose"),
        case("ping-verbose-false", "GET", "/ping", [("verbose", "false")]),
        case("ping-verbose-0", "GET", "/ping", [("verbose", "0")]),
        case("ping-post", "POST", "/ping"),
        case("health", "GET", "/health", diff="health_endpoint"),
        case("status-get", "GET", "/status"),
        # ---- query ------------------------------------------------------------------------------
        case(
            "query-create-database-post",
            "POST",
            "/query",
            [("q", 'CREATE DATABASE "created_by_post"')],
        ),
        case(
            "query-create-database-get",
            "GET",
            "/query",
            [("q", 'CREATE DATABASE "created_by_get"')],
        ),
        case(
            "query-create-database-form",
            "POST",
            "/query",
            body=b"q=CREATE+DATABASE+created_by_form",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        case(
            "query-create-existing-database",
            "POST",
            "/query",
            [("q", 'CREATE DATABASE "{db}"')],
            db=True,
        ),
        case("query-show-databases", "GET", "/query", [("q", "SHOW DATABASES")]),
        case(
            "query-select",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM m"), ("epoch", "ns")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-group-by",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM m GROUP BY *"), ("epoch", "ms")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-rfc3339",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM m")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-where",
            "GET",
            "/query",
            [DB, ("q", "SELECT v FROM m WHERE t = 'b' AND time >= 1500"), ("epoch", "ns")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-limit",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM m LIMIT 1"), ("epoch", "ns")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-qualified",
            "GET",
            "/query",
            [("q", 'SELECT * FROM "{db}"."autogen"."m"'), ("epoch", "ns")],
            db=True,
            setup=[LP.decode()],
        ),
        case(
            "query-select-tag-field-clash",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM m"), ("epoch", "ns")],
            db=True,
            setup=["m,host=a host=1i,v=2 1000"],
        ),
        case(
            "query-select-unknown-measurement",
            "GET",
            "/query",
            [DB, ("q", "SELECT * FROM nope")],
            db=True,
        ),
        case(
            "query-select-unknown-db", "GET", "/query", [("db", "nope"), ("q", "SELECT * FROM m")]
        ),
        case("query-missing-q", "GET", "/query", []),
        case("query-parse-error", "GET", "/query", [("q", "SELEKT 1")]),
        case(
            "query-show-measurements",
            "GET",
            "/query",
            [DB, ("q", "SHOW MEASUREMENTS")],
            db=True,
            setup=["m v=1 1\nn,t=x w=1i 1"],
        ),
        case(
            "query-show-field-keys",
            "GET",
            "/query",
            [DB, ("q", "SHOW FIELD KEYS")],
            db=True,
            setup=['m v=1,s="x",b=true,i=1i 1'],
        ),
        case(
            "query-show-tag-keys",
            "GET",
            "/query",
            [DB, ("q", "SHOW TAG KEYS")],
            db=True,
            setup=["m,b=1,a=2 v=1 1\nn,c=3 v=1 1"],
        ),
        case(
            "query-show-series",
            "GET",
            "/query",
            [DB, ("q", "SHOW SERIES")],
            db=True,
            setup=['m\\ x,a\\ b=c\\,d,e=f\\=g v=1 1\nm,t="q" v=1 1'],
        ),
        case(
            "query-show-retention-policies",
            "GET",
            "/query",
            [("q", 'SHOW RETENTION POLICIES ON "{db}"')],
            db=True,
        ),
        case(
            "query-create-retention-policy",
            "POST",
            "/query",
            [("q", 'CREATE RETENTION POLICY "short" ON "{db}" DURATION 1h REPLICATION 1')],
            db=True,
        ),
        case("query-drop-database", "POST", "/query", [("q", 'DROP DATABASE "{db}"')], db=True),
        case(
            "query-multiple-statements",
            "GET",
            "/query",
            [DB, ("q", "SHOW MEASUREMENTS; SELECT * FROM m"), ("epoch", "ns")],
            db=True,
            setup=[LP.decode()],
        ),
        case("query-put", "PUT", "/query", [("q", "SHOW DATABASES")]),
        # ---- credentials on a server without auth are ignored -----------------------------------
        case(
            "noauth-credentials-ignored",
            "POST",
            "/write",
            [DB, ("u", "x"), ("p", "y")],
            body=LP,
            db=True,
        ),
        case(
            "noauth-bearer-ignored",
            "POST",
            "/write",
            [DB],
            body=LP,
            db=True,
            headers={"Authorization": "Bearer abc"},
        ),
    ]
    A = ("db", AUTH_DB)
    ALP = b"a v=1 1000\n"
    out += [
        case("auth-no-credentials", "POST", "/write", [A], server="auth", body=ALP),
        case("auth-no-credentials-no-db", "POST", "/write", [], server="auth", body=ALP),
        case(
            "auth-no-credentials-unknown-db",
            "POST",
            "/write",
            [("db", "nope")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-admin",
            "POST",
            "/write",
            [A, ("u", "admin"), ("p", "adminpw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-wrong-password",
            "POST",
            "/write",
            [A, ("u", "admin"), ("p", "nope")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-unknown-user",
            "POST",
            "/write",
            [A, ("u", "ghost"), ("p", "x")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-only-user",
            "POST",
            "/write",
            [A, ("u", "admin")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-empty-user",
            "POST",
            "/write",
            [A, ("u", ""), ("p", "adminpw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-basic-admin",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers=basic("admin", "adminpw"),
        ),
        case(
            "auth-basic-wrong-password",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers=basic("admin", "bad"),
        ),
        case(
            "auth-basic-empty-user",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers=basic("", "x"),
        ),
        case(
            "auth-basic-garbage",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers={"Authorization": "Basic !!!"},
        ),
        case(
            "auth-token-user-pass",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers={"Authorization": "Token admin:adminpw"},
            diff="token_user_pass",
        ),
        case(
            "auth-token-plain",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers={"Authorization": "Token sometoken"},
        ),
        case(
            "auth-bearer",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers={"Authorization": "Bearer abc.def.ghi"},
            diff="bearer_typo",
        ),
        case(
            "auth-writer-writes",
            "POST",
            "/write",
            [A, ("u", "writer"), ("p", "writepw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-reader-writes",
            "POST",
            "/write",
            [A, ("u", "reader"), ("p", "readpw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-reader-writes-basic",
            "POST",
            "/write",
            [A],
            server="auth",
            body=ALP,
            headers=basic("reader", "readpw"),
        ),
        case(
            "auth-writer-unknown-db",
            "POST",
            "/write",
            [("db", "nope"), ("u", "writer"), ("p", "writepw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-writer-other-db",
            "POST",
            "/write",
            [("db", "otherdb"), ("u", "writer"), ("p", "writepw")],
            server="auth",
            body=ALP,
        ),
        case(
            "auth-query-params-beat-basic",
            "POST",
            "/write",
            [A, ("u", "admin"), ("p", "adminpw")],
            server="auth",
            body=ALP,
            headers=basic("reader", "readpw"),
        ),
        case("auth-ping-no-credentials", "GET", "/ping", server="auth"),
        case(
            "auth-query-no-credentials", "GET", "/query", [("q", "SHOW DATABASES")], server="auth"
        ),
        case(
            "auth-query-admin",
            "GET",
            "/query",
            [("q", "SHOW DATABASES"), ("u", "admin"), ("p", "adminpw")],
            server="auth",
        ),
        case(
            "auth-query-reader-select",
            "GET",
            "/query",
            [A, ("q", "SELECT * FROM a"), ("epoch", "ns"), ("u", "reader"), ("p", "readpw")],
            server="auth",
        ),
        case(
            "auth-query-writer-select",
            "GET",
            "/query",
            [A, ("q", "SELECT * FROM a"), ("epoch", "ns"), ("u", "writer"), ("p", "writepw")],
            server="auth",
        ),
        case(
            "auth-query-reader-create-db",
            "POST",
            "/query",
            [("q", "CREATE DATABASE x"), ("u", "reader"), ("p", "readpw")],
            server="auth",
        ),
        case(
            "auth-query-wrong-password",
            "GET",
            "/query",
            [("q", "SHOW DATABASES"), ("u", "admin"), ("p", "bad")],
            server="auth",
        ),
        case("auth-get-write-no-credentials", "GET", "/write", [A], server="auth"),
    ]
    return out


def _sized(n: int) -> bytes:
    """A valid line-protocol body of exactly n bytes."""
    head = b'm v=1 1000\ns s="'
    tail = b'" 2000\n'
    return head + b"x" * (n - len(head) - len(tail)) + tail


def _incompressible(n: int) -> bytes:
    """n bytes of a valid body whose gzip is bigger than MAX_BODY_SIZE (a fixed LCG stream)."""
    x, chars = 12345, []
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for _ in range(n - 20):
        x = (x * 1103515245 + 12345) % 2**31
        chars.append(alphabet[x % len(alphabet)])
    return b's s="' + bytes(chars) + b'" 1000\n'


def _fill(c: dict, db: str | None) -> tuple[list, bytes | None]:
    sub = (lambda v: v.replace("{db}", db)) if db else (lambda v: v)
    params = [[k, sub(v)] for k, v in c["params"]]
    body = bytes.fromhex(c["body_hex"]) if "body_hex" in c else None
    return params, body


def _headers(resp) -> dict[str, str]:
    return {
        k: (
            "<present>"
            if k in VOLATILE and not (k.endswith("request-id") and v == "abc-123")
            else v
        )
        for k, v in sorted(resp.headers.items())
    }


def _setup_auth(server: Influxd) -> None:
    for name, pw, admin, _read, _write in USERS:
        stmt = f"CREATE USER \"{name}\" WITH PASSWORD '{pw}'" + (
            " WITH ALL PRIVILEGES" if admin else ""
        )
        r = server.request("POST", "/query", {"q": stmt, "u": "admin", "p": "adminpw"})
        assert r.status == 200, r.text()
    for stmt in [f'CREATE DATABASE "{AUTH_DB}"', 'CREATE DATABASE "otherdb"'] + [
        f'GRANT {priv} ON "{db}" TO "{name}"'
        for name, _, _, read, write in USERS
        for priv, dbs in (("READ", read), ("WRITE", write))
        for db in dbs
    ]:
        r = server.request("POST", "/query", {"q": stmt, "u": "admin", "p": "adminpw"})
        assert r.status == 200 and "error" not in r.text(), (stmt, r.text())


def record(binary: str) -> dict:
    from record_influxd import response_fields

    all_cases = cases()
    recorded = []
    plain = Influxd(binary=binary, max_body_size=MAX_BODY_SIZE).start()
    auth = Influxd(binary=binary, auth_enabled=True).start()
    try:
        version = plain.version()
        _setup_auth(auth)
        for c in all_cases:
            server = plain if c["server"] == "plain" else auth
            db = c.get("db")
            if db:
                readback.query(server, f'CREATE DATABASE "{db}"')
                for body in c["setup"]:
                    r = server.request("POST", "/write", {"db": db}, body.encode("utf-8"))
                    assert r.status == 204, (c["id"], r.status, r.text())
            params, body = _fill(c, db)
            resp = server.request(
                c["method"],
                c["path"],
                [tuple(p) for p in params],
                body,
                c["headers"],
                c.get("raw_query"),
                chunked=c.get("chunked", False),
            )
            out = dict(c)
            out["response"] = {**response_fields(resp), "headers": _headers(resp)}
            if db and c["id"] != "query-drop-database":
                out["stored"] = readback.snapshot(server, db)
            recorded.append(out)
            print(f"http {c['id']}: {resp.status}", flush=True)
    finally:
        plain.stop()
        auth.stop()
    return {
        "influxd_version": version,
        "plain_server": {"max_body_size": MAX_BODY_SIZE, "auth_enabled": False},
        "auth_server": {
            "max_body_size": 25_000_000,
            "auth_enabled": True,
            "database": AUTH_DB,
            "other_database": "otherdb",
            "users": [
                {"name": n, "password": p, "admin": a, "read": r, "write": w}
                for n, p, a, r, w in USERS
            ],
        },
        "differences": DIFFERENCES,
        "cases": recorded,
    }
