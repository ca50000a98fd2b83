"""Line protocol file → Parquet dataset: ``influxlp convert`` vs influxio's method, and the peak
memory of ``convert`` as the input grows.

(a) speed, one run side by side on the same telegraf-style file in /tmp:

- influxlp: ``influxlp.convert(path, dest)`` (zstd Parquet, one file per measurement), in a
  child process of its own;
- influxio's method (its ``dataframes_from_lineprotocol``), a 50,000-line chunk at a time:
  ``line_protocol_parser.parse_line`` per line, an ordered record per point, one pandas
  DataFrame per chunk, ``DataFrame.query`` per measurement and ``DataFrame.to_parquet``
  (pyarrow, zstd);
- a lean loop: the same parser, a plain dict per point, ``DataFrame.from_records`` and
  ``to_parquet`` per chunk — the fastest way around ``parse_line``.

The peers are slow: they are timed on the file's first ``--peer-lines`` lines and scaled to
the whole file by line count, which the output says.

(b) peak RSS (``ru_maxrss`` of the child process) of ``convert`` on a 1 GB and a 4 GB file.

Run: ``python bench/bench_convert.py [--sizes-gb 1,4] [--runs 3] [--peer-lines 200000]``.
The input files are generated with ``bench/corpus.py`` into ``--dir`` (default /tmp) and
deleted at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import print_footer, print_header, print_table  # noqa: E402

TARGET_RATIO = 25.0
TARGET_RSS_MIB = 512
GB = 10**9

CHILD = r"""
import json, resource, sys, time
import influxlp
source, dest = sys.argv[1], sys.argv[2]
start = time.perf_counter()
cpu = time.process_time()
result = influxlp.convert(source, dest, overwrite=True, progress=False)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "cpu": time.process_time() - cpu,
    "points": result.points_written,
    "files": len(result.files),
    "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


def telegraf_file(directory: Path, size: int) -> tuple[Path, int]:
    """A telegraf-corpus file of at least ``size`` bytes; returns it and its line count."""
    sample = corpus.generate("telegraf", 10_000)
    lines = int(size / (len(sample) / 10_000) * 1.01)  # lines vary in length: a margin
    path = corpus.path("telegraf", lines, directory)
    return path, lines


def influxlp_convert(source: Path, dest: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(dest)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _chunks(source: Path, lines: int, chunk_lines: int):
    """The file's first ``lines`` lines (bytes), ``chunk_lines`` at a time."""
    with open(source, "rb") as file:
        done = 0
        while done < lines:
            chunk = []
            for line in file:
                chunk.append(line)
                done += 1
                if len(chunk) == chunk_lines or done == lines:
                    break
            if not chunk:
                return
            yield chunk


def influxio_method(
    source: Path, dest: Path, lines: int, chunk_lines: int = 50_000
) -> tuple[float, float]:
    """Wall and CPU seconds for the first ``lines`` lines, converted the way influxio's
    ``dataframes_from_lineprotocol`` does, a chunk at a time: ``parse_line`` per line, an
    ordered record (measurement, time, tags, fields) per point, one DataFrame of the records,
    ``DataFrame.query`` per measurement, then ``to_parquet`` (time as UTC timestamps)."""
    from collections import OrderedDict

    import pandas as pd
    from line_protocol_parser import parse_line

    dest.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cpu = time.process_time()
    for part, chunk in enumerate(_chunks(source, lines, chunk_lines)):
        records = []
        for line in chunk:
            point = parse_line(line)
            record = OrderedDict()
            record["measurement"] = point["measurement"]
            record["time"] = point["time"]
            record.update(point["tags"])
            record.update(point["fields"])
            records.append(record)
        frame = pd.DataFrame(records)
        for measurement in frame.measurement.unique():
            selected = frame.query(f"measurement == '{measurement}'").drop(columns="measurement")
            selected["time"] = pd.to_datetime(selected["time"], unit="ns", utc=True)
            selected.to_parquet(dest / f"{measurement}-{part:05d}.parquet", compression="zstd")
    return time.perf_counter() - start, time.process_time() - cpu


def lean_loop(
    source: Path, dest: Path, lines: int, chunk_lines: int = 50_000
) -> tuple[float, float]:
    """The same with the least Python around ``parse_line``: a plain dict per point and
    ``DataFrame.from_records`` per chunk (one measurement in this corpus)."""
    import pandas as pd
    from line_protocol_parser import parse_line

    dest.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cpu = time.process_time()
    for part, chunk in enumerate(_chunks(source, lines, chunk_lines)):
        records = []
        for line in chunk:
            point = parse_line(line)
            records.append({"time": point["time"], **point["tags"], **point["fields"]})
        frame = pd.DataFrame.from_records(records)
        frame["time"] = pd.to_datetime(frame["time"], unit="ns", utc=True)
        frame.to_parquet(dest / f"part-{part:05d}.parquet", compression="zstd")
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-gb", default="1,4", help="input sizes for (b), GB")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (best and median)")
    parser.add_argument("--peer-lines", type=int, default=200_000)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true", help="keep the generated inputs")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes_gb.split(",")]
    work = Path(args.dir) / "influxlp-bench-convert"
    work.mkdir(parents=True, exist_ok=True)
    print_header(
        "line protocol file -> Parquet dataset",
        ["pandas", "pyarrow", "line-protocol-parser"],
    )
    try:
        rows = []
        rss_rows = []
        first = None
        for size in sizes:
            path, lines = telegraf_file(work, int(size * GB))
            file_bytes = path.stat().st_size
            runs = [influxlp_convert(path, work / "dest") for _ in range(max(1, args.runs))]
            seconds = sorted(r["seconds"] for r in runs)
            rss = [r["max_rss_kib"] / 1024 for r in runs]
            rss_rows.append(
                (f"{file_bytes / GB:.2f} GB", f"{max(rss):.0f}", f"{min(rss):.0f}", lines)
            )
            if first is None:
                cpu_seconds = min(r["cpu"] for r in runs)
                first = (path, lines, file_bytes, seconds, runs[0], cpu_seconds)
            else:
                path.unlink()
        path, lines, file_bytes, seconds, run, cpu_seconds = first
        peer_lines = min(lines, args.peer_lines)
        best, median = seconds[0], statistics.median(seconds)
        rows.append(
            (
                "influxlp convert",
                f"{best:.2f}",
                f"{median:.2f}",
                f"{cpu_seconds:.2f}",
                f"{file_bytes / best / 1e6:.0f}",
                "",
            )
        )
        for name, method in (("influxio's method", influxio_method), ("lean loop", lean_loop)):
            walls, cpus = [], []
            for _ in range(max(1, args.runs)):
                shutil.rmtree(work / "peer", ignore_errors=True)
                wall, cpu = method(path, work / "peer", peer_lines)
                walls.append(wall * lines / peer_lines)
                cpus.append(cpu * lines / peer_lines)
            walls.sort()
            ratio = (
                f"{walls[0] / best:.1f}x best, {statistics.median(walls) / median:.1f}x median, "
                f"{min(cpus) / cpu_seconds:.1f}x CPU"
            )
            rows.append(
                (
                    f"{name} ({peer_lines:,} lines, scaled)",
                    f"{walls[0]:.2f}",
                    f"{statistics.median(walls):.2f}",
                    f"{min(cpus):.2f}",
                    f"{file_bytes / walls[0] / 1e6:.1f}",
                    ratio,
                )
            )
        shutil.rmtree(work / "peer", ignore_errors=True)
        print(f"(a) {file_bytes / GB:.2f} GB telegraf file, {lines:,} lines, {args.runs} runs")
        print_table(["", "best s", "median s", "CPU s", "MB/s (best)", "influxlp is"], rows)
        print(
            f"target >= {TARGET_RATIO:.0f}x; {run['points']:,} points in {run['files']} files; "
            "CPU s: process CPU time of all threads, best run"
        )
        print()
        print("(b) peak RSS of influxlp convert, child process")
        print_table(["input", "max MiB", "min MiB", "lines"], rss_rows)
        peaks = [float(r[1]) for r in rss_rows]
        print(
            f"largest / smallest input: {max(peaks) / min(peaks):.2f}x "
            f"(target: within 10 %, <= {TARGET_RSS_MIB} MiB)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
