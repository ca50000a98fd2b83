"""Reading files: ``iter_batches`` against ``parse()``, and ``threads=2`` against ``threads=1``.

Two comparisons on the telegraf corpus, each side run in turn in one process (so that both see
the same load), several rounds, best and median reported:

- (c) **reading overhead**: ``influxlp.parse(data, threads=1)`` of bytes in memory against
  ``influxlp.iter_batches(data, threads=1)`` of the same bytes, default ``batch_bytes`` (64 MiB);
  target: at least 90 % of ``parse()``'s throughput. For reference, the same bytes from a file:
  ``iter_batches(path)`` and ``read(path)`` (reading the file is in their time, not in
  ``parse``'s);
- (d) **every core**: ``influxlp.parse(data, threads=2)`` against ``threads=1``; target: at least
  1.7× with both cores free.

Run: ``python bench/bench_read.py [--lines 1000000] [--rounds 5]`` with a release build
(``maturin develop --release``). The machine is often shared: the load average is printed
before and after, and CPU time beside wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import print_footer, print_header, print_table  # noqa: E402

READER_TARGET = 0.90
THREADS_TARGET = 1.7


def timed(run) -> tuple[float, float, int]:
    """Wall time, process CPU time (all threads) and the points ``run()`` returned."""
    cpu = time.process_time()
    start = time.perf_counter()
    points = run()
    return time.perf_counter() - start, time.process_time() - cpu, points


def rounds(sides: dict, count: int) -> dict[str, list[tuple[float, float, int]]]:
    """Every side once per round, in turn, ``count`` rounds (after one warm-up round)."""
    import gc

    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in sides}
    for round_number in range(count + 1):
        for name, run in sides.items():
            gc.collect()
            measured = timed(run)
            if round_number > 0:
                results[name].append(measured)
    return results


def report(title: str, results, size: int, baseline: str) -> dict[str, tuple[float, float]]:
    """Prints best and median wall time, MB/s and the ratio to ``baseline``; returns the
    (best, median) throughput ratios."""
    print(title)
    base = results[baseline]
    base_best = min(w for w, _, _ in base)
    base_median = statistics.median(w for w, _, _ in base)
    base_cpu = min(c for _, c, _ in base)
    rows, ratios = [], {}
    for name, runs in results.items():
        walls = [w for w, _, _ in runs]
        best, median = min(walls), statistics.median(walls)
        cpu = min(c for _, c, _ in runs)
        ratios[name] = (base_best / best, base_median / median, base_cpu / cpu)
        rows.append(
            [
                name,
                best,
                median,
                cpu,
                size / best / 1e6,
                f"{base_best / best:.2f}x / {base_median / median:.2f}x",
                f"{base_cpu / cpu:.2f}x",
                runs[-1][2],
            ]
        )
    print_table(
        [
            "",
            "best s",
            "median s",
            "best CPU s",
            "MB/s (best)",
            "wall ratio best / median",
            "CPU ratio",
            "points",
        ],
        rows,
    )
    print()
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import influxlp

    path = corpus.path("telegraf", args.lines)
    data = path.read_bytes()
    print_header("influxlp readers and threads", ["pandas"])
    print(f"corpus    telegraf, {args.lines:,} lines, {len(data) / 1e6:.1f} MB, {path}")
    print(f"rounds    {args.rounds} (+1 warm-up), sides run in turn within each round")
    print()

    def parse(threads):
        return lambda: influxlp.parse(data, threads=threads).num_points

    def batches(threads, source=path):
        return lambda: sum(b.num_points for b in influxlp.iter_batches(source, threads=threads))

    def read(threads):
        return lambda: influxlp.read(path, threads=threads).num_points

    reading = rounds(
        {
            "parse(bytes, threads=1)": parse(1),
            "iter_batches(bytes, threads=1)": batches(1, data),
            "iter_batches(path, threads=1)": batches(1),
            "read(path, threads=1)": read(1),
        },
        args.rounds,
    )
    ratios_c = report(
        "(c) reading overhead, one thread", reading, len(data), "parse(bytes, threads=1)"
    )

    threads = rounds({"parse threads=1": parse(1), "parse threads=2": parse(2)}, args.rounds)
    ratios_d = report("(d) two threads against one", threads, len(data), "parse threads=1")
    more = rounds(
        {"iter_batches threads=1": batches(1), "iter_batches threads=2": batches(2)},
        args.rounds,
    )
    ratios_e = report(
        "    the same through iter_batches", more, len(data), "iter_batches threads=1"
    )

    best, median, cpu = ratios_c["iter_batches(bytes, threads=1)"]
    verdict = "met" if median >= READER_TARGET else "missed"
    print(
        f"(c) iter_batches at {best:.0%} (best) / {median:.0%} (median) of parse() wall, "
        f"{cpu:.0%} on CPU time: target >= {READER_TARGET:.0%}, {verdict} on wall time"
    )
    best, median, cpu = ratios_d["parse threads=2"]
    verdict = "met" if best >= THREADS_TARGET else "missed"
    print(
        f"(d) threads=2 {best:.2f}x (best) / {median:.2f}x (median) of threads=1, CPU cost "
        f"{1 / cpu:.2f}x: target >= {THREADS_TARGET}x with both cores free, {verdict} in this run"
    )
    best, median, _ = ratios_e["iter_batches threads=2"]
    print(f"    iter_batches threads=2 {best:.2f}x (best) / {median:.2f}x (median)")
    print("(wall-time ratios need free cores; with other processes on them, see the CPU times)")
    print_footer()


if __name__ == "__main__":
    main()
