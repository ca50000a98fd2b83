"""Raw HTTP against an influxlp.Server, for the server suites (tests/test_server_*.py)."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import urllib.parse
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One HTTP answer: status, headers (names lower-cased) and body."""

    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    server: Any,
    method: str,
    path: str,
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """Sends one request on a fresh connection and reads the whole answer."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        return send(connection, method, path, params, body, headers)
    finally:
        connection.close()


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Sends one request on `connection` (kept alive for the next one)."""
    if params:
        path = f"{path}?{urllib.parse.urlencode(params)}"
    if isinstance(body, str):
        body = body.encode()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    pairs = response.getheaders()
    return Reply(
        status=response.status,
        headers={name.lower(): value for name, value in pairs},
        body=data,
        header_list=pairs,
    )


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def gzipped(data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return gzip.compress(data)


def gzip_bomb(inflated_size: int, member_size: int = 4 << 20) -> bytes:
    """A small multi-member gzip body that inflates to at least `inflated_size` bytes."""
    member = gzip.compress(b"m v=1\n" * (member_size // 6), compresslevel=9)
    count = -(-inflated_size // member_size)
    return member * count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` any more."""
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def rows(server: Any, measurement: str, db: str, rp: str | None = None) -> list[dict[str, Any]]:
    """The stored points of one measurement as dicts in stored order, `time` as int ns, absent
    (null) columns left out."""
    import pyarrow as pa

    table = server.store.table(measurement, db=db, rp=rp).to_arrow()
    times = table.column("time").cast(pa.int64()).to_pylist()
    others = table.drop_columns(["time"]).to_pylist()
    return [
        {"time": t, **{k: v for k, v in row.items() if v is not None}}
        for t, row in zip(times, others, strict=True)
    ]
