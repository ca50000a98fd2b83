"""How long the ``influxdb_server`` fixture costs a test: start and stop of a fresh server.

Times what the fixture does (build an ``influxlp.Server`` with the default options, start it,
stop it) and, separately, a start/ping/stop round that proves the server answered. Prints the
median and the 90th/99th percentiles over ``--runs`` runs. Then runs pytest on ``--runs`` tests
that take ``influxdb_server`` and as many that take nothing, and prints the difference per test:
what the fixture (setup and teardown through pytest) adds to a test.

    python bench/bench_fixture.py [--runs 200] [--flavor v1]
"""

from __future__ import annotations

import argparse
import http.client
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import influxlp


def start_stop(flavor: str) -> float:
    started = time.perf_counter()
    server = influxlp.Server(flavor=flavor)
    server.start()
    server.stop()
    return time.perf_counter() - started


def start_ping_stop(flavor: str) -> float:
    started = time.perf_counter()
    server = influxlp.Server(flavor=flavor)
    server.start()
    connection = http.client.HTTPConnection(server.host, server.port)
    connection.request("GET", "/ping")
    assert connection.getresponse().status in (200, 204)
    connection.close()
    server.stop()
    return time.perf_counter() - started


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1e3 for s in seconds)
    quantiles = statistics.quantiles(ms, n=100)
    print(
        f"{name:>20}: median {statistics.median(ms):6.2f} ms, "
        f"p90 {quantiles[89]:6.2f} ms, p99 {quantiles[98]:6.2f} ms, max {ms[-1]:6.2f} ms "
        f"({len(ms)} runs)"
    )


def pytest_seconds(directory: pathlib.Path, body: str, runs: int) -> float:
    tests = "\n".join(f"def test_{i}({body}):\n    pass\n" for i in range(runs))
    path = directory / "test_generated.py"
    path.write_text(tests)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        check=True,
        cwd=directory,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return time.perf_counter() - started


def fixture_cost(runs: int) -> float:
    """Seconds per test that using ``influxdb_server`` adds under pytest (median of 3)."""
    differences = []
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory)
        for _ in range(3):
            with_fixture = pytest_seconds(path, "influxdb_server", runs)
            without = pytest_seconds(path, "", runs)
            differences.append((with_fixture - without) / runs)
    return statistics.median(differences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--flavor", default="v1")
    args = parser.parse_args()
    for _ in range(5):  # warm up: first thread and runtime creation, imports
        start_stop(args.flavor)
    report("start + stop", [start_stop(args.flavor) for _ in range(args.runs)])
    report("start + ping + stop", [start_ping_stop(args.flavor) for _ in range(args.runs)])
    cost = fixture_cost(args.runs)
    print(f"{'pytest fixture':>20}: {cost * 1e3:6.2f} ms per test using influxdb_server")


if __name__ == "__main__":
    main()
