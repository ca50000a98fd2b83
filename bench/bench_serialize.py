"""DataFrame → line protocol: ``influxlp.to_line_protocol`` vs questdb and influxdb-client.

All three turn the same pandas DataFrame (DatetimeIndex as the time) into line protocol bytes,
in one process, side by side:

- influxlp: ``influxlp.to_line_protocol(df, measurement=..., tag_columns=...)`` with
  ``threads=1`` and with every core (the pandas → Arrow step is included in the time);
- questdb: ``questdb.ingress.Buffer(protocol_version=1).dataframe(df, ..., at="time")`` then
  ``bytes(buf)`` (protocol version 1 writes floats as text, as line protocol does; no server is
  involved; the index is made a ``time`` column before timing);
- influxdb-client: ``DataframeSerializer(df, ...).serialize()`` joined with newlines. It is
  slow: it runs on the first ``--peer-rows`` rows and its time is scaled to the full frame, which
  the output says.

Frames: 3 categorical tags + 10 float fields, and a mixed frame with nulls (a float with NaN, a
nullable int64, a boolean, a string with None, 2 categorical tags).

Memory: a child process builds a 10M-row frame as Arrow (3 tags + 10 floats), then serializes
it in ``--chunk-rows`` chunks, and separately only its first chunk, sampling its RSS; the peak
above the RSS before serializing is compared.

Wall time is what a user waits; CPU time (all threads of the process) is what the work costs,
the fairer figure when other processes share the cores.

Run: ``python bench/bench_serialize.py [--rows 1000000] [--peer-rows 100000] [--repeat 5]
[--memory-rows 10000000] [--chunk-rows 100000]``. Build with ``maturin develop --release``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_footer, print_header, print_table  # noqa: E402

TARGET_BOTH_CORES = 2.0
TARGET_ONE_THREAD = 1.3
TARGET_INFLUXDB_CLIENT = 20.0
TARGET_MEMORY = 2.0


def float_frame(rows: int, seed: int = 1):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {
        "host": pd.Categorical.from_codes(
            rng.integers(0, 1000, rows), [f"host-{i}" for i in range(1000)]
        ),
        "region": pd.Categorical.from_codes(
            rng.integers(0, 10, rows), [f"region-{i}" for i in range(10)]
        ),
        "dc": pd.Categorical.from_codes(
            rng.integers(0, 4, rows), ["eu-west", "eu-north", "us-east", "ap"]
        ),
    }
    for i in range(10):
        data[f"f{i}"] = rng.normal(50.0, 20.0, rows)
    index = pd.DatetimeIndex(
        1_700_000_000_000_000_000 + np.arange(rows, dtype="int64") * 1_000_000_000, tz="UTC"
    )
    return pd.DataFrame(data, index=index), ["host", "region", "dc"]


def mixed_frame(rows: int, seed: int = 2):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    floats = rng.normal(0.0, 1.0, rows)
    floats[rng.random(rows) < 0.1] = np.nan
    ints = pd.array(rng.integers(-1_000_000, 1_000_000, rows), dtype="Int64")
    ints[rng.random(rows) < 0.1] = pd.NA
    words = np.array(["ok", "warn", "error: disk full", 'said "hi"', "a,b c=d"], dtype=object)
    strings = words[rng.integers(0, len(words), rows)]
    strings[rng.random(rows) < 0.1] = None
    data = {
        "host": pd.Categorical.from_codes(
            rng.integers(0, 500, rows), [f"host-{i}" for i in range(500)]
        ),
        "app": pd.Categorical.from_codes(
            rng.integers(0, 20, rows), [f"app {i}" for i in range(20)]
        ),
        "load": floats,
        "count": ints,
        "up": rng.random(rows) < 0.5,
        "status": strings,
    }
    index = pd.DatetimeIndex(
        1_700_000_000_000_000_000 + np.arange(rows, dtype="int64") * 1_000_000, tz="UTC"
    )
    return pd.DataFrame(data, index=index), ["host", "app"]


def influxlp_run(frame, tags, threads):
    import influxlp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return influxlp.to_line_protocol(frame, measurement="m", tag_columns=tags, threads=threads)


def questdb_run(frame, tags):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from questdb.ingress import Buffer

    buffer = Buffer(protocol_version=1)
    buffer.dataframe(frame, table_name="m", symbols=tags, at="time")
    return bytes(buffer)


def influxdb_client_run(frame, tags):
    from influxdb_client.client.write.dataframe_serializer import DataframeSerializer
    from influxdb_client.client.write_api import PointSettings

    serializer = DataframeSerializer(
        frame,
        PointSettings(),
        precision="ns",
        data_frame_measurement_name="m",
        data_frame_tag_columns=tags,
    )
    return "\n".join(serializer.serialize()).encode()


def timed(repeat, run):
    """Best and median wall time, best process CPU time (all threads), the last result."""
    import gc

    times = []
    cpu = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return min(times), statistics.median(times), min(cpu), result


def compare(title, frame, tags, args):
    rows = len(frame)
    cores = os.cpu_count() or 1
    peer_rows = min(args.peer_rows, rows)
    peer_frame = frame.iloc[:peer_rows]
    # questdb takes the time from a column: made before timing.
    questdb_frame = frame.reset_index(names="time")
    runs = [
        (f"influxlp, {cores} threads", lambda: influxlp_run(frame, tags, None), 1.0),
        ("influxlp, 1 thread", lambda: influxlp_run(frame, tags, 1), 1.0),
        ("questdb Buffer.dataframe", lambda: questdb_run(questdb_frame, tags), 1.0),
        (
            f"influxdb-client (x{rows / peer_rows:g} from {peer_rows:,} rows)",
            lambda: influxdb_client_run(peer_frame, tags),
            rows / peer_rows,
        ),
    ]
    results = {}
    sizes = {}
    for name, run, scale in runs:
        repeat = args.repeat if scale == 1.0 else max(1, args.repeat // 2)
        best, median, cpu, out = timed(repeat, run)
        results[name] = (best * scale, median * scale, cpu * scale)
        sizes[name] = len(out) * scale
    print(f"-- {title}: {rows:,} rows x {len(frame.columns)} columns ({', '.join(tags)} tags)")
    base = results["questdb Buffer.dataframe"]
    print_table(
        [
            "serializer",
            "best s",
            "median s",
            "CPU s",
            "rows/s (best)",
            "MB out",
            "questdb / this (best)",
            "(CPU)",
        ],
        [
            (
                name,
                best,
                median,
                cpu,
                f"{rows / best:,.0f}",
                sizes[name] / 1e6,
                f"{base[0] / best:.2f}x",
                f"{base[2] / cpu:.2f}x",
            )
            for name, (best, median, cpu) in results.items()
        ],
    )
    all_cores = results[f"influxlp, {cores} threads"]
    one = results["influxlp, 1 thread"]
    client = results[next(n for n in results if n.startswith("influxdb-client"))]
    print(
        f"ratios (best / median): vs questdb, all cores {base[0] / all_cores[0]:.2f}x / "
        f"{base[1] / all_cores[1]:.2f}x (target {TARGET_BOTH_CORES}x); one thread "
        f"{base[0] / one[0]:.2f}x / {base[1] / one[1]:.2f}x (target {TARGET_ONE_THREAD}x); "
        f"vs influxdb-client, all cores {client[0] / all_cores[0]:.0f}x / "
        f"{client[1] / all_cores[1]:.0f}x (target {TARGET_INFLUXDB_CLIENT:g}x); "
        f"one thread per CPU second vs questdb {base[2] / one[2]:.2f}x"
    )
    print()


MEMORY_CHILD = r"""
import os, sys, threading, time
import numpy as np, pyarrow as pa, influxlp

rows, chunk_rows, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(3)
columns = {
    "host": pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 1000, rows).astype("int32")), [f"host-{i}" for i in range(1000)]),
    "region": pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 10, rows).astype("int32")), [f"region-{i}" for i in range(10)]),
    "dc": pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 4, rows).astype("int32")), ["a", "b", "c", "d"]),
    "time": pa.array(1_700_000_000_000_000_000 + np.arange(rows, dtype="int64"),
                     pa.timestamp("ns", "UTC")),
}
for i in range(10):
    columns[f"f{i}"] = pa.array(rng.normal(50.0, 20.0, rows))
table = pa.table(columns)
if mode == "one":
    table = table.slice(0, chunk_rows)

page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
peak = base = rss()
done = False
def sample():
    global peak
    while not done:
        peak = max(peak, rss())
        time.sleep(0.001)
sampler = threading.Thread(target=sample)
sampler.start()
lines = 0
for chunk in influxlp.to_line_protocol(table, measurement="m", tag_columns=["host", "region", "dc"],
                                       chunk_rows=chunk_rows):
    lines += chunk.count(b"\n")
    del chunk
done = True
sampler.join()
peak = max(peak, rss())
print(lines, base, peak)
"""


def memory(args):
    def child(mode):
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD, str(args.memory_rows), str(args.chunk_rows), mode],
            capture_output=True,
            text=True,
            check=True,
        )
        lines, base, peak = (int(x) for x in out.stdout.split())
        return lines, base, peak - base

    print(
        f"-- memory: {args.memory_rows:,} rows (3 tags + 10 floats) in chunks of "
        f"{args.chunk_rows:,} rows, vs the first chunk alone"
    )
    lines_all, base_all, extra_all = child("all")
    lines_one, base_one, extra_one = child("one")
    print_table(
        ["run", "lines", "RSS before MB", "peak above it MB"],
        [
            ("chunked, all rows", lines_all, base_all / 1e6, extra_all / 1e6),
            ("one chunk", lines_one, base_one / 1e6, extra_one / 1e6),
        ],
    )
    ratio = extra_all / max(extra_one, 1)
    print(f"chunked peak / one-chunk peak: {ratio:.2f}x (target <= {TARGET_MEMORY:g}x)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    print_header(
        "DataFrame -> line protocol",
        ["influxlp", "questdb", "influxdb-client", "pandas", "pyarrow"],
    )
    frame, tags = float_frame(args.rows)
    compare("3 tags + 10 float fields", frame, tags, args)
    del frame
    frame, tags = mixed_frame(args.rows)
    compare("mixed types with nulls", frame, tags, args)
    del frame
    if not args.skip_memory:
        memory(args)
    print_footer()


if __name__ == "__main__":
    main()
