"""Deleting points over HTTP: influxlp's server vs a real influxd 1.6.7, side by side.

Both get the same points (``cpu,host=h<0..99>,region=r<0..3> v=<i> <t>``) written over
``/write``, then one InfluxQL statement over ``POST /query``, timed from send to answer:

- ``DELETE FROM cpu WHERE host='h7'``: one series in a hundred;
- ``DELETE WHERE time < <middle>``: half of every series;
- ``DROP SERIES FROM cpu WHERE region='r1'``: a quarter of the series.

Each statement runs on freshly written data, ``--rounds`` times; the points left are checked
to agree between the two servers. Prints best and median wall time per statement and the
ratio influxd / influxlp (above 1: influxlp is faster).

    python bench/bench_delete.py                 # 200,000 points, 3 rounds
    python bench/bench_delete.py --points 50000 --rounds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import influxlp  # noqa: E402
from bench_server import Influxd  # noqa: E402
from common import print_footer, print_header, print_table  # noqa: E402

HOST = "127.0.0.1"
DB = "bench"
HOSTS = 100
BODY_LINES = 10_000


def request(port: int, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        conn.request(method, target, body=body)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def query(port: int, q: str) -> dict:
    form = urllib.parse.urlencode({"q": q, "db": DB}).encode()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/query", body=form, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
    finally:
        conn.close()
    if answer.status != 200:
        raise RuntimeError(f"{q}: {answer.status} {body[:200]!r}")
    result = json.loads(body)["results"][0]
    if "error" in result:
        raise RuntimeError(f"{q}: {result['error']}")
    return result


def bodies(points: int) -> list[bytes]:
    lines = [
        f"cpu,host=h{i % HOSTS},region=r{i % 4} v={i} {1_000_000_000 + i // HOSTS}"
        for i in range(points)
    ]
    return ["\n".join(lines[i : i + BODY_LINES]).encode() for i in range(0, points, BODY_LINES)]


def load(port: int, data: list[bytes]) -> None:
    query(port, f"DROP DATABASE {DB}")
    query(port, f"CREATE DATABASE {DB}")
    for body in data:
        status, answer = request(port, "POST", f"/write?db={DB}", body)
        if status != 204:
            raise RuntimeError(f"write: {status} {answer[:200]!r}")


def series_left(port: int) -> list[str]:
    result = query(port, "SHOW SERIES")
    return [row[0] for s in result.get("series", []) for row in s["values"]]


def influxd_points(port: int) -> int:
    result = query(port, "SELECT count(v) FROM cpu")
    series = result.get("series")
    return series[0]["values"][0][1] if series else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--influxd", default=shutil.which("influxd") or "/usr/bin/influxd")
    args = parser.parse_args()
    print_header("DELETE / DROP SERIES over HTTP: influxlp vs influxd 1.6.7", ["influxlp"])
    print(f"points    {args.points:,} in {HOSTS} series, rounds {args.rounds}")
    middle = 1_000_000_000 + args.points // HOSTS // 2
    statements = [
        ("DELETE one series in 100", "DELETE FROM cpu WHERE host='h7'"),
        ("DELETE half of the time", f"DELETE WHERE time < {middle}"),
        ("DROP SERIES a quarter", "DROP SERIES FROM cpu WHERE region='r1'"),
    ]
    data = bodies(args.points)
    times: dict[tuple[str, str], list[float]] = {}
    left: dict[tuple[str, str], tuple[list[str], int]] = {}
    server = influxlp.Server(flavor="v1", request_log_size=0)
    with server, Influxd(args.influxd) as influxd:
        ports = {"influxlp": server.port, "influxd": influxd.port}
        for _ in range(args.rounds):
            for label, statement in statements:
                for name, port in ports.items():
                    load(port, data)
                    start = time.perf_counter()
                    query(port, statement)
                    times.setdefault((name, label), []).append(time.perf_counter() - start)
                    points = (
                        server.store.count(db=DB) if name == "influxlp" else influxd_points(port)
                    )
                    left[(name, label)] = (series_left(port), points)
    rows = []
    for label, _ in statements:
        if left[("influxlp", label)] != left[("influxd", label)]:
            print(f"MISMATCH after {label!r}: the servers keep different series or points")
            return 1
        ours = times[("influxlp", label)]
        theirs = times[("influxd", label)]
        best = min(theirs) / min(ours)
        median = statistics.median(theirs) / statistics.median(ours)
        rows.append(
            [
                label,
                min(ours) * 1e3,
                statistics.median(ours) * 1e3,
                min(theirs) * 1e3,
                statistics.median(theirs) * 1e3,
                f"{best:.1f}x / {median:.1f}x",
            ]
        )
    print()
    print_table(
        [
            "statement",
            "influxlp best ms",
            "median ms",
            "influxd best ms",
            "median ms",
            "influxd / influxlp (best / median)",
        ],
        rows,
    )
    print("series and points left after each statement: identical on both servers")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
