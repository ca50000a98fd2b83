"""The in-memory store: write rate, read-back time and memory per point, on the telegraf corpus.

- ``store.write`` of the corpus in 5,000-line writes (parsing included), as points/s, with the
  process CPU time beside the wall time to show how many cores it used;
- ``store.table("cpu", db=...).to_pandas()`` of all stored points;
- ``store.memory_usage() / count`` next to the Arrow-optimal size of the same data: 8 bytes per
  float field and per timestamp, plus one dictionary key per tag (its width read from the
  table's Arrow schema).

Run: ``python bench/bench_store.py [--lines 1000000] [--batch 5000]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import best_of, print_footer, print_header, print_table  # noqa: E402

DB = "bench"
TARGET_POINTS_PER_S = 1_000_000
TARGET_READ_S = 0.2
TARGET_MEMORY_RATIO = 1.3


def arrow_optimal_bytes_per_row(schema) -> tuple[float, str]:
    """Bytes per row of the table's columns at their Arrow width, without nulls or dictionaries."""
    import pyarrow as pa

    total = 0.0
    parts = []
    for field in schema:
        if pa.types.is_dictionary(field.type):
            width = field.type.index_type.bit_width / 8
        elif pa.types.is_boolean(field.type):
            width = 1 / 8
        else:
            width = field.type.bit_width / 8  # fixed-width columns only in this corpus
        total += width
        parts.append(f"{field.name}:{width:g}")
    return total, " + ".join(parts)


def write_all(store, batches: list[bytes]) -> int:
    written = 0
    for body in batches:
        result = store.write(body, db=DB)
        written += result.points_written
        if result.points_dropped:
            raise SystemExit(f"store dropped points: {result.errors[:1]}")
    return written


def main(argv: list[str] | None = None) -> int:
    import influxlp

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000, help="lines per store.write")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step; the best counts")
    args = parser.parse_args(argv)

    print_header("influxlp.Store: write, read back, memory", ["influxlp", "pandas", "pyarrow"])
    data = corpus.load("telegraf", args.lines)
    batches = corpus.split_batches(data, args.batch)

    # Writes: a fresh store each run, so every run stores the same points from empty.
    stores = []

    def fresh_store():
        stores.clear()
        stores.append(influxlp.Store())

    # The same bodies through influxlp.parse alone: the parsing share of a write.
    parse_s, parse_cpu, _ = best_of(args.repeat, lambda: [influxlp.parse(b) for b in batches])
    write_s, write_cpu, written = best_of(
        args.repeat, lambda: write_all(stores[0], batches), setup=fresh_store
    )
    store = stores[0]
    # The first read after the writes pays for building the snapshot; later ones may reuse it.
    # pandas is imported (and influxlp's conversion warmed) first, as in any program that uses it.
    influxlp.parse(b"warm f=1 1")["warm"].to_pandas()
    started = time.perf_counter()
    first_table = store.table("cpu", db=DB)
    first_table_s = time.perf_counter() - started
    first_frame = first_table.to_pandas()
    first_read_s = time.perf_counter() - started
    del first_frame, first_table
    count = store.count("cpu", db=DB)
    if written != args.lines or count != args.lines:
        raise SystemExit(f"expected {args.lines} points, written {written}, counted {count}")

    table_s, _, _ = best_of(args.repeat, lambda: store.table("cpu", db=DB))
    read_s, read_cpu, frame = best_of(args.repeat, lambda: store.table("cpu", db=DB).to_pandas())
    if len(frame) != args.lines:
        raise SystemExit(f"to_pandas gave {len(frame)} rows, expected {args.lines}")
    del frame

    memory = store.memory_usage()
    schema = store.table("cpu", db=DB).to_arrow().schema
    optimal, breakdown = arrow_optimal_bytes_per_row(schema)
    per_point = memory / count

    rows = [
        [
            "store.write, 5,000-line writes (parse included)",
            f"{args.lines / write_s:,.0f} points/s",
            f"{write_s:.3f} s wall, {write_cpu:.3f} s CPU for {args.lines:,} points: "
            f"{args.lines / write_cpu:,.0f} points per CPU-second",
            f">= {TARGET_POINTS_PER_S:,} points/s",
            "met" if args.lines / write_s >= TARGET_POINTS_PER_S else "MISSED",
        ],
        [
            "influxlp.parse of the same bodies",
            f"{args.lines / parse_s:,.0f} points/s",
            f"{parse_s:.3f} s wall, {parse_cpu:.3f} s CPU: the parsing share of store.write",
            "",
            "",
        ],
        [
            "first store.table().to_pandas() after the writes",
            f"{first_read_s:.4f} s",
            f"{count:,} points; store.table() {first_table_s:.4f} s of it",
            f"< {TARGET_READ_S} s",
            "met" if first_read_s < TARGET_READ_S else "MISSED",
        ],
        ["store.table()", f"{table_s:.4f} s", f"{count:,} points", "", ""],
        [
            "store.table().to_pandas()",
            f"{read_s:.4f} s",
            f"{count:,} points, {read_cpu:.4f} s CPU",
            f"< {TARGET_READ_S} s",
            "met" if read_s < TARGET_READ_S else "MISSED",
        ],
        [
            "memory per stored point",
            f"{per_point:.1f} B",
            f"memory_usage() {memory:,} B; Arrow-optimal {optimal:g} B/point; "
            f"ratio {per_point / optimal:.2f}x",
            f"<= {TARGET_MEMORY_RATIO}x",
            "met" if per_point / optimal <= TARGET_MEMORY_RATIO else "MISSED",
        ],
    ]
    print_table(["measure", "figure", "detail", "target", ""], rows)
    print()
    print(f"Arrow-optimal bytes per point: {breakdown}")
    print(f"best of {args.repeat} runs per step; {len(batches)} writes of {args.batch} lines")
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
