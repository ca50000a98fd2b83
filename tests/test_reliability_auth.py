"""With authentication on, no route that reads or writes data answers without valid
credentials, in any flavor or method; and credentials never reach the request log."""

from __future__ import annotations

import base64
import http.client
import os
import subprocess
import sys
import time

import influxlp
import pytest

USER, PASSWORD, TOKEN = "admin", "s3cret-pw", "t0ken-secret"

DATA_ROUTES = {
    "v1": ["/write?db=db", "/query?db=db&q=SELECT+*+FROM+m", "/query?q=SHOW+DATABASES"],
    "v2": [
        "/write?db=db",
        "/api/v2/write?bucket=db&org=o",
        "/query?db=db&q=SELECT+*+FROM+m",
        "/api/v2/buckets",
        "/api/v2/buckets/0000000000000001",
        "/api/v2/orgs",
    ],
    "cloud": [
        "/write?db=db",
        "/api/v2/write?bucket=db&org=o",
        "/query?db=db&q=SELECT+*+FROM+m",
        "/api/v2/buckets",
        "/api/v2/orgs",
    ],
    "v3": [
        "/write?db=db",
        "/api/v2/write?bucket=db&org=o",
        "/api/v3/write_lp?db=db",
        "/query?db=db&q=SELECT+*+FROM+m",
    ],
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
BAD_CREDENTIALS = {
    "none": ("", {}),
    "wrong password": (f"&u={USER}&p=wrong", {}),
    "unknown user": ("&u=nobody&p=x", {}),
    "wrong basic": ("", {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}),
    "wrong token": ("", {"Authorization": "Token nope"}),
    "wrong bearer": ("", {"Authorization": "Bearer nope"}),
    "malformed": ("", {"Authorization": "Token"}),
    "empty basic": ("", {"Authorization": "Basic "}),
}
V3_MALFORMED = {"malformed", "empty basic"}


def send(server, method, target, body=b"", headers=None):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module", params=["v1", "v2", "cloud", "v3"])
def server(request):
    store = influxlp.Store()
    store.create_database("db")
    store.write(b"m f=1 1\n", db="db")
    with influxlp.Server(
        flavor=request.param, store=store, users={USER: PASSWORD}, tokens=[TOKEN]
    ) as server:
        yield server


def test_every_data_route_and_method_refuses_bad_credentials(server):
    refused = 0
    for target in DATA_ROUTES[server.flavor]:
        for method in METHODS:
            for name, (query, headers) in BAD_CREDENTIALS.items():
                sep = "&" if "?" in target else "?"
                full = target + (sep + query.lstrip("&") if query else "")
                status, body = send(server, method, full, b"m f=2 2\n", headers)
                where = f"{server.flavor} {method} {full} ({name})"
                # 1.x routes unknown methods before authenticating (405, as influxd does) and
                # answers the CORS preflight (OPTIONS: 204, no body); every other answer must be
                # a refusal, never data.
                if server.flavor == "v1" and method == "OPTIONS":
                    assert (status, body) == (204, b""), where
                    continue
                # InfluxDB 3 answers a header that is not `<scheme> <token>` with a 400.
                malformed = server.flavor == "v3" and name in V3_MALFORMED
                refusals = (400,) if malformed else (401, 403, 404, 405)
                assert status in refusals, f"{where}: {status} {body[:200]!r}"
                if server.flavor != "v1" and not malformed:
                    assert status in (401, 403), f"{where}: {status}"
                assert b'"results"' not in body and b"db" not in body.replace(b"db=", b""), where
                refused += 1
    assert server.store.count(db="db") == 1
    assert refused >= len(DATA_ROUTES[server.flavor]) * (len(METHODS) - 1) * len(BAD_CREDENTIALS)


def test_valid_credentials_are_accepted(server):
    if server.flavor == "v1":
        status, _ = send(server, "POST", f"/write?db=db&u={USER}&p={PASSWORD}", b"m f=3 3\n")
    else:
        status, _ = send(
            server,
            "POST",
            "/api/v2/write?bucket=db&org=o" if server.flavor != "v3" else "/api/v3/write_lp?db=db",
            b"m f=3 3\n",
            {"Authorization": f"Token {TOKEN}"},
        )
    assert status == 204
    assert server.store.count(db="db") == 2


def test_credentials_never_reach_the_request_log(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "influxlp",
            "serve",
            "--port",
            "0",
            "--user",
            f"{USER}:{PASSWORD}",
            "--token",
            TOKEN,
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = process.stderr.readline()
        url = banner.split(" on ")[1].split(";")[0]
        host, port = url.removeprefix("http://").rsplit(":", 1)

        class Target:
            pass

        target = Target()
        target.host, target.port = host, int(port)
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        send(target, "POST", f"/query?q=CREATE+DATABASE+db&u={USER}&p={PASSWORD}")
        requests = [
            ("POST", f"/write?db=db&u={USER}&p={PASSWORD}", {}),
            ("POST", f"/write?p={PASSWORD}&db=db&u={USER}", {}),
            ("POST", f"/write?db=db&u={USER}&%70={PASSWORD}", {}),
            ("POST", "/write?db=db", {"Authorization": f"Basic {basic}"}),
            ("POST", "/write?db=db", {"Authorization": f"Token {TOKEN}"}),
            ("GET", f"/query?db=db&q=SELECT+*+FROM+m&u={USER}&p={PASSWORD}", {}),
            ("POST", "/write?db=db&u=admin&p=wrong-" + PASSWORD, {}),
        ]
        statuses = [send(target, m, t, b"m f=1 1\n", h)[0] for m, t, h in requests]
        assert statuses[:6] == [204, 204, 204, 204, 204, 200]
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    lines = [line for line in log.splitlines() if "HTTP/1.1" in line]
    assert len(lines) >= len(requests)
    assert PASSWORD not in log
    assert TOKEN not in log
    assert basic not in log
    assert "p=[REDACTED]" in log


def test_server_repr_and_user_repr_hide_secrets():
    user = influxlp.User("u", PASSWORD)
    assert PASSWORD not in repr(user)
    server = influxlp.Server(users=[user], tokens=[TOKEN])
    assert PASSWORD not in repr(server) and TOKEN not in repr(server)
    time.sleep(0)
