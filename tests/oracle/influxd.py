"""Run a throw-away influxd 1.x on loopback and talk raw HTTP to it.

Standard library only, so the recordings can be refreshed on any machine that has
Debian's `influxdb` package installed (`/usr/bin/influxd`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Influxd:
    """One influxd process with its own temporary meta/data/wal directories."""

    binary: str = "/usr/bin/influxd"
    max_body_size: int = 25_000_000
    auth_enabled: bool = False
    port: int = 0
    rpc_port: int = 0
    tmp: str = ""
    proc: subprocess.Popen | None = None
    log_path: str = ""
    extra_http: dict[str, str] = field(default_factory=dict)

    def config_text(self) -> str:
        return f"""
reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"

[meta]
  dir = "{self.tmp}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{self.tmp}/data"
  wal-dir = "{self.tmp}/wal"
  query-log-enabled = false
  index-version = "inmem"

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "error"

[http]
  enabled = true
  bind-address = "127.0.0.1:{self.port}"
  auth-enabled = {"true" if self.auth_enabled else "false"}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false
  max-body-size = {self.max_body_size}
"""

    def start(self) -> Influxd:
        self.tmp = tempfile.mkdtemp(prefix="influxd-oracle-")
        self.port = free_port()
        self.rpc_port = free_port()
        while self.rpc_port == self.port:
            self.rpc_port = free_port()
        conf = os.path.join(self.tmp, "influxdb.conf")
        with open(conf, "w") as f:
            f.write(self.config_text())
        self.log_path = os.path.join(self.tmp, "influxd.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "run", "-config", conf],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "INFLUXDB_CONFIG_PATH": conf},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"influxd exited: {open(self.log_path).read()[-2000:]}")
            try:
                if self.request("GET", "/ping").status == 204:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("influxd did not answer /ping within 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = ""

    def __enter__(self) -> Influxd:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def version(self) -> str:
        return self.request("GET", "/ping").headers.get("x-influxdb-version", "")

    # -- raw HTTP -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        raw_query: str | None = None,
        chunked: bool = False,
    ) -> Response:
        return raw_request(
            self.port, method, path, params, body, headers, raw_query, chunked=chunked
        )

    def query(self, q: str, db: str | None = None, method: str = "POST", **extra: str) -> dict:
        import json

        params = {"q": q, "epoch": "ns", **extra}
        if db is not None:
            params["db"] = db
        r = self.request(method, "/query", params)
        if r.status != 200:
            raise RuntimeError(f"query {q!r} -> {r.status} {r.text()}")
        return json.loads(r.body)


def raw_request(
    port: int,
    method: str,
    path: str,
    params=None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    raw_query: str | None = None,
    host: str = "127.0.0.1",
    chunked: bool = False,
) -> Response:
    """One HTTP/1.1 request on a fresh connection; nothing added beyond what http.client must send.

    `chunked` sends the body with Transfer-Encoding: chunked (512-byte chunks) instead of a
    Content-Length."""
    url = path
    if raw_query is not None:
        url += "?" + raw_query
    elif params:
        url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.putrequest(method, url, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if chunked:
            hdrs["Transfer-Encoding"] = "chunked"
        elif body is not None and not any(k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if chunked:
            data = body or b""
            for i in range(0, len(data), 512):
                piece = data[i : i + 512]
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        elif body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        merged: dict[str, str] = {}
        for k, v in resp.getheaders():
            k = k.lower()
            merged[k] = f"{merged[k]}, {v}" if k in merged else v
        return Response(resp.status, merged, data)
    finally:
        conn.close()
