"""HTTP write load over loopback: influxlp's server vs a real influxd 1.6.7, and a do-nothing sink.

In one run, each target is started fresh, a ``CREATE DATABASE`` goes to ``/query``, and then 2
client processes post the telegraf corpus to ``/write?db=bench`` in 5,000-line bodies over one
keep-alive ``http.client`` connection each, plain and gzip (bodies compressed before the clock
starts, so the clients only send). Each client posts its own half of the corpus once, bounded
by ``--duration``; the sink gets the corpus over and over for ``--sink-duration`` seconds.

Targets:
- ``sink``: a raw-socket HTTP server in its own process that reads each body and answers 204:
  the clients' ceiling;
- ``influxlp``: ``influxlp.Server(port=0, flavor="v1")`` in its own process (so its memory is
  its own), asked for its store's counts after the run;
- ``influxd``: Debian's influxd 1.6.7 with its default storage settings, data in a temp dir,
  reporting disabled, bound to 127.0.0.1.

Printed per target and encoding: points/s (acknowledged points over the clients' wall time),
p50/p99 request latency, the server's CPU use, the clients' and how busy the whole machine was
while they ran (with every core busy, the server's share of them bounds its rate), its peak RSS
over its idle RSS, stored points and bytes per stored point (RSS growth right after the load
and again a few seconds later, once freed memory is back with the system; for influxlp also
``store.memory_usage()``), next to the Arrow-optimal size; then the ratios. Everything binds
127.0.0.1.

Run: ``python bench/bench_server.py [--lines 2000000] [--duration 20] [--targets ...]``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import print_footer, print_header, print_table  # noqa: E402

DB = "bench"
HOST = "127.0.0.1"
CLIENTS = 2
TARGET_RATIO = 15.0
TARGET_P99_MS = 20.0
TARGET_MEMORY_RATIO = 1.3
# Seconds between the end of a load and the second RSS reading (jemalloc returns pages a
# second after they empty; see src/python/allocator.rs).
SETTLE_SECONDS = 3.0
GZIP_LEVEL = 6  # Go's and zlib's default, what Telegraf and most clients send

# Bodies for the clients, set in the parent before the client processes fork from it.
_BODIES: dict[str, list[bytes]] = {}


# --- /proc ------------------------------------------------------------------------------------


def proc_status_kb(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in kB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_jiffies() -> tuple[int, int]:
    """Busy and total CPU time of the whole machine so far (``/proc/stat``), in clock ticks."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    total = sum(ticks[:8])  # guest time is already counted in user
    return total - idle, total


def reset_peak_rss(pid: int) -> None:
    """Resets VmHWM to the current RSS (Linux >= 4.0), so the peak is that of the load alone."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_request(port: int, method: str, path: str, body: bytes = b"", timeout: float = 30.0):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for_ping(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = http_request(port, "GET", "/ping", timeout=2.0)
            if status == 204:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered /ping on port {port} within {timeout} s")


def create_database(port: int) -> None:
    query = urllib.parse.urlencode({"q": f"CREATE DATABASE {DB}"})
    status, body = http_request(port, "POST", f"/query?{query}")
    if status != 200:
        raise RuntimeError(f"CREATE DATABASE answered {status}: {body[:200]!r}")


# --- targets ----------------------------------------------------------------------------------


def _sink_connection(conn: socket.socket) -> None:
    """Reads requests (headers, then Content-Length bytes) and answers each with 204."""
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    pending = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in pending:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                pending += chunk
            head, _, pending = pending.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            remaining = length - len(pending)
            pending = pending[length:] if remaining <= 0 else b""
            while remaining > 0:
                got = conn.recv_into(view, min(remaining, len(buffer)))
                if not got:
                    return
                remaining -= got
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")


def sink_main(control) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept_loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=_sink_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    control.send({"port": listener.getsockname()[1], "pid": os.getpid()})
    _serve_control(control, lambda: {})
    stop.set()
    listener.close()


def influxlp_main(control, flavor: str, request_log: bool) -> None:
    import influxlp

    # The request log (on by default, for tests) keeps up to 64 MiB of bodies; off, the server
    # holds only what it stores, as an ingestion endpoint would run.
    log = {} if request_log else {"request_log_size": 0, "request_log_bytes": 0}
    server = influxlp.Server(host=HOST, port=0, flavor=flavor, **log)
    server.start()
    control.send({"port": server.port, "pid": os.getpid()})

    def stats():
        count = server.store.count("cpu", db=DB)
        memory = server.store.memory_usage()
        from bench_store import arrow_optimal_bytes_per_row

        schema = server.store.table("cpu", db=DB).to_arrow().schema
        optimal, breakdown = arrow_optimal_bytes_per_row(schema)
        return {
            "count": count,
            "memory_usage": memory,
            "optimal": optimal,
            "breakdown": breakdown,
        }

    try:
        _serve_control(control, stats)
    finally:
        server.stop()


def _serve_control(control, stats) -> None:
    """Answers the parent's commands until it says stop (or goes away)."""
    while True:
        try:
            command = control.recv()
        except EOFError:
            return
        if command == "stats":
            control.send(stats())
        else:
            control.send("stopping")
            return


class ChildServer:
    """A server in a child process of its own (spawned, so it shares no memory with the corpus)."""

    def __init__(self, name: str, target, *args):
        self.name = name
        self._target = target
        self._args = args

    def __enter__(self):
        context = mp.get_context("spawn")
        self._control, child_end = context.Pipe()
        self._process = context.Process(
            target=self._target, args=(child_end, *self._args), daemon=True
        )
        self._process.start()
        if not self._control.poll(60):
            raise RuntimeError(f"{self.name} did not start within 60 s")
        started = self._control.recv()
        self.port, self.pid = started["port"], started["pid"]
        if self.name != "sink":
            wait_for_ping(self.port, 30)
        return self

    def stats(self) -> dict:
        self._control.send("stats")
        if not self._control.poll(120):
            raise RuntimeError(f"{self.name} did not answer for its stats")
        return self._control.recv()

    def __exit__(self, *exc):
        try:
            self._control.send("stop")
            self._control.poll(30)
        except OSError:
            pass
        self._process.join(30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(10)


INFLUXD_CONFIG = """\
reporting-disabled = true
bind-address = "{host}:{rpc_port}"

[meta]
  dir = "{root}/meta"

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "{host}:{port}"
  log-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
"""


class Influxd:
    """Debian's influxd 1.6.7 with its data under a temp dir, on loopback ports."""

    name = "influxd"

    def __init__(self, binary: str):
        self._binary = binary

    def __enter__(self):
        self._root = tempfile.mkdtemp(prefix="influxd-bench-")
        self.port = free_port()
        config = Path(self._root, "influxd.conf")
        config.write_text(
            INFLUXD_CONFIG.format(host=HOST, port=self.port, rpc_port=free_port(), root=self._root)
        )
        self._log = open(Path(self._root, "influxd.log"), "wb")
        self._process = subprocess.Popen(
            [self._binary, "run", "-config", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self._process.pid
        wait_for_ping(self.port, 60)
        return self

    def stats(self) -> dict:
        query = urllib.parse.urlencode(
            {"q": f'SELECT count("usage_user") FROM "{DB}"."autogen"."cpu"'}
        )
        status, body = http_request(self.port, "GET", f"/query?{query}", timeout=300)
        count = 0
        if status == 200:
            series = json.loads(body)["results"][0].get("series")
            count = series[0]["values"][0][1] if series else 0
        disk = sum(
            f.stat().st_size
            for f in Path(self._root).rglob("*")
            if f.is_file() and f.suffix != ".log"
        )
        return {"count": count, "disk_bytes": disk}

    def __exit__(self, *exc):
        self._process.terminate()
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._log.close()
        shutil.rmtree(self._root, ignore_errors=True)


# --- clients ----------------------------------------------------------------------------------


def client_main(
    index: int, port: int, encoding: str, passes: int, duration: float, start, results
) -> None:
    """Posts this client's bodies over one keep-alive connection; reports counts and latencies."""
    bodies = _BODIES[encoding][index::CLIENTS]
    lines = _BODIES["lines"][index::CLIENTS]
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if encoding == "gzip":
        headers["Content-Encoding"] = "gzip"
    path = f"/write?db={DB}"
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    conn.connect()
    latencies = []
    acked = 0
    failures = []
    start.wait()
    began = time.monotonic()
    cpu_began = time.process_time()
    deadline = began + duration
    done = False
    for _ in range(passes):
        for body, count in zip(bodies, lines, strict=True):
            if time.monotonic() >= deadline:
                done = True
                break
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{type(error).__name__}: {error}")
                conn.close()
                if len(failures) > 10:
                    done = True
                    break
                continue
            latencies.append(time.perf_counter() - sent)
            if response.status == 204:
                acked += count
            else:
                failures.append(f"{response.status}: {answer[:200]!r}")
                if len(failures) > 10:
                    done = True
                    break
        if done:
            break
    ended = time.monotonic()
    cpu = time.process_time() - cpu_began
    conn.close()
    results.put(
        {
            "acked": acked,
            "latencies": latencies,
            "failures": failures,
            "began": began,
            "ended": ended,
            "cpu": cpu,
        }
    )


def run_load(port: int, encoding: str, passes: int, duration: float) -> dict:
    context = mp.get_context("fork")
    start = context.Event()
    results = context.Queue()
    clients = [
        context.Process(
            target=client_main, args=(i, port, encoding, passes, duration, start, results)
        )
        for i in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    time.sleep(0.5)  # let both connect
    busy_before, total_before = machine_jiffies()
    start.set()
    reports = [results.get(timeout=duration + 300) for _ in clients]
    busy_after, total_after = machine_jiffies()
    for client in clients:
        client.join(30)
    latencies = sorted(x for r in reports for x in r["latencies"])
    elapsed = max(r["ended"] for r in reports) - min(r["began"] for r in reports)

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3
            if latencies
            else float("nan")
        )

    return {
        "acked": sum(r["acked"] for r in reports),
        "requests": len(latencies),
        "elapsed": elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[-1] * 1e3 if latencies else float("nan"),
        "failures": [f for r in reports for f in r["failures"]],
        "client_cpu": sum(r["cpu"] for r in reports),
        "machine_busy": (busy_after - busy_before) / max(1, total_after - total_before),
    }


def start_profiler(pid: int, output: Path) -> subprocess.Popen:
    """``perf record`` of the server process (call graphs by frame pointer) until stopped."""
    return subprocess.Popen(
        ["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(profiler: subprocess.Popen) -> None:
    profiler.send_signal(signal.SIGINT)
    try:
        profiler.wait(60)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait(10)


def measure(
    server, encoding: str, passes: int, duration: float, profile: Path | None = None
) -> dict:
    """One load run against a started server, with its CPU and memory around it."""
    if server.name != "sink":
        create_database(server.port)
    time.sleep(0.5)
    idle_kb = proc_status_kb(server.pid, "VmRSS")
    reset_peak_rss(server.pid)
    profiler = start_profiler(server.pid, profile) if profile else None
    if profiler:
        time.sleep(1.0)  # perf needs a moment to attach
    cpu_before = proc_cpu_seconds(server.pid)
    load = run_load(server.port, encoding, passes, duration)
    cpu = proc_cpu_seconds(server.pid) - cpu_before
    if profiler:
        stop_profiler(profiler)
    peak_kb = proc_status_kb(server.pid, "VmHWM")
    rss_kb = proc_status_kb(server.pid, "VmRSS")
    # The same pause for every server: what its allocator (or Go's scavenger) hands back to
    # the system soon after a load is not memory the stored points need.
    time.sleep(SETTLE_SECONDS)
    settled_kb = proc_status_kb(server.pid, "VmRSS")
    stats = server.stats() if server.name != "sink" else {}
    return {
        **load,
        **stats,
        "idle_kb": idle_kb,
        "peak_kb": peak_kb,
        "rss_kb": rss_kb,
        "settled_kb": settled_kb,
        "cpu": cpu,
    }


def prepare_bodies(lines: int, batch: int) -> None:
    data = corpus.load("telegraf", lines)
    plain = corpus.split_batches(data, batch)
    del data
    with mp.get_context("fork").Pool(CLIENTS) as pool:
        compressed = pool.starmap(
            gzip.compress, [(body, GZIP_LEVEL) for body in plain], chunksize=8
        )
    _BODIES["plain"] = plain
    _BODIES["gzip"] = compressed
    _BODIES["lines"] = [body.count(b"\n") for body in plain]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000, help="telegraf corpus lines posted")
    parser.add_argument("--batch", type=int, default=5_000, help="lines per request")
    parser.add_argument("--duration", type=float, default=20.0, help="bound of each server run, s")
    parser.add_argument(
        "--sink-duration", type=float, default=3.0, help="length of each sink run, s"
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        default=["sink", "influxlp", "influxd"],
        choices=["sink", "influxlp", "influxd"],
    )
    parser.add_argument(
        "--encodings", nargs="+", default=["plain", "gzip"], choices=["plain", "gzip"]
    )
    parser.add_argument("--influxd", default=shutil.which("influxd") or "/usr/bin/influxd")
    parser.add_argument("--flavor", default="v1")
    parser.add_argument(
        "--no-request-log",
        action="store_true",
        help="run influxlp's server with its request log off (it keeps up to 64 MiB of bodies)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record each server run with perf into DIR/<target>-<body>.perf.data",
    )
    args = parser.parse_args(argv)

    print_header("HTTP /write load over loopback: influxlp vs influxd 1.6.7", ["influxlp"])
    version = subprocess.run(
        [args.influxd, "version"], capture_output=True, text=True
    ).stdout.strip()
    print(f"influxd   {version}")
    prepare_bodies(args.lines, args.batch)
    plain_mb = sum(map(len, _BODIES["plain"])) / 1e6
    gzip_mb = sum(map(len, _BODIES["gzip"])) / 1e6
    print(
        f"corpus    telegraf, {args.lines:,} lines in {len(_BODIES['plain'])} bodies "
        f"of {args.batch} lines: {plain_mb:.0f} MB plain, "
        f"{gzip_mb:.0f} MB gzip (level {GZIP_LEVEL})"
    )
    print(f"clients   {CLIENTS} processes, one keep-alive http.client connection each")
    print()

    factories = {
        "sink": lambda: ChildServer("sink", sink_main),
        "influxlp": lambda: ChildServer(
            "influxlp", influxlp_main, args.flavor, not args.no_request_log
        ),
        "influxd": lambda: Influxd(args.influxd),
    }
    results: dict[tuple[str, str], dict] = {}
    for target in args.targets:
        for encoding in args.encodings:
            sink = target == "sink"
            passes = 1000 if sink else 1
            duration = args.sink_duration if sink else args.duration
            print(f"running {target} {encoding} ...", flush=True)
            with factories[target]() as server:
                profile = None
                if args.profile and target != "sink":
                    Path(args.profile).mkdir(parents=True, exist_ok=True)
                    profile = Path(args.profile, f"{target}-{encoding}.perf.data")
                results[target, encoding] = measure(server, encoding, passes, duration, profile)
            failures = results[target, encoding]["failures"]
            if failures:
                print(f"  {len(failures)} failed requests, first: {failures[0]}")
    print()

    rows = []
    optimal = next((r["optimal"] for r in results.values() if "optimal" in r), None)
    for (target, encoding), r in results.items():
        points_per_s = r["acked"] / r["elapsed"] if r["elapsed"] > 0 else 0.0
        r["points_per_s"] = points_per_s
        r["points_per_cpu_s"] = r["acked"] / r["cpu"] if r["cpu"] > 0 else 0.0
        stored = r.get("count")
        grown = (r["rss_kb"] - r["idle_kb"]) * 1024
        rss_per_point = grown / stored if stored else None
        rows.append(
            [
                target,
                encoding,
                r["acked"],
                r["elapsed"],
                points_per_s,
                r["points_per_cpu_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["max_ms"],
                r["cpu"] / r["elapsed"] if r["elapsed"] else 0.0,
                r["client_cpu"] / r["elapsed"] if r["elapsed"] else 0.0,
                f"{100 * r['machine_busy']:.0f} %",
                (r["peak_kb"] - r["idle_kb"]) / 1024,
                stored if stored is not None else "-",
                rss_per_point if rss_per_point is not None else "-",
                (r["settled_kb"] - r["idle_kb"]) * 1024 / stored if stored else "-",
                r["memory_usage"] / stored if stored and "memory_usage" in r else "-",
                r["disk_bytes"] / stored if stored and "disk_bytes" in r else "-",
            ]
        )
    print_table(
        [
            "target",
            "body",
            "points",
            "seconds",
            "points/s",
            "pts/server CPU-s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "server cores",
            "client cores",
            "machine busy",
            "peak MB",
            "stored",
            "RSS B/pt",
            f"RSS {SETTLE_SECONDS:g} s later B/pt",
            "store B/pt",
            "disk B/pt",
        ],
        rows,
    )
    print()
    if optimal is not None:
        print(f"Arrow-optimal size: {optimal:g} bytes per point")
    for encoding in args.encodings:
        ours = results.get(("influxlp", encoding))
        theirs = results.get(("influxd", encoding))
        sink = results.get(("sink", encoding))
        if ours and theirs and theirs["points_per_s"]:
            ratio = ours["points_per_s"] / theirs["points_per_s"]
            verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
            print(
                f"{encoding}: influxlp / influxd points/s = {ratio:.1f}x "
                f"(target >= {TARGET_RATIO:.0f}x: {verdict})"
            )
            if theirs["points_per_cpu_s"]:
                cpu_ratio = ours["points_per_cpu_s"] / theirs["points_per_cpu_s"]
                print(
                    f"{encoding}: influxlp / influxd points per server CPU-second = "
                    f"{cpu_ratio:.1f}x (what each point costs the server, whatever else runs)"
                )
        if ours:
            verdict = "met" if ours["p99_ms"] < TARGET_P99_MS else "MISSED"
            print(
                f"{encoding}: influxlp p99 latency {ours['p99_ms']:.1f} ms "
                f"(target < {TARGET_P99_MS:.0f} ms: {verdict})"
            )
            if optimal and ours.get("count"):
                per_point = (ours["rss_kb"] - ours["idle_kb"]) * 1024 / ours["count"]
                settled = (ours["settled_kb"] - ours["idle_kb"]) * 1024 / ours["count"]
                store_per_point = ours["memory_usage"] / ours["count"]
                verdict = "met" if settled / optimal <= TARGET_MEMORY_RATIO else "MISSED"
                print(
                    f"{encoding}: influxlp memory per stored point: RSS growth {settled:.0f} B "
                    f"{SETTLE_SECONDS:g} s after the load ({settled / optimal:.2f}x optimal, "
                    f"target <= {TARGET_MEMORY_RATIO}x: {verdict}), {per_point:.0f} B right "
                    f"after it; store.memory_usage() {store_per_point:.0f} B "
                    f"({store_per_point / optimal:.2f}x)"
                )
        if theirs and theirs.get("count") and optimal:
            per_point = (theirs["rss_kb"] - theirs["idle_kb"]) * 1024 / theirs["count"]
            settled = (theirs["settled_kb"] - theirs["idle_kb"]) * 1024 / theirs["count"]
            print(
                f"{encoding}: influxd memory per stored point: RSS growth {settled:.0f} B "
                f"{SETTLE_SECONDS:g} s after the load ({settled / optimal:.2f}x optimal), "
                f"{per_point:.0f} B right after it"
            )
        if sink and ours:
            print(
                f"{encoding}: client ceiling (sink) {sink['points_per_s']:,.0f} points/s = "
                f"{sink['points_per_s'] / ours['points_per_s']:.1f}x influxlp's rate"
            )
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
