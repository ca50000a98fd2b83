"""Line protocol → pandas: ``influxlp.parse`` vs the ``line-protocol-parser`` package.

Both turn the same bytes into one pandas DataFrame per measurement, in one process:

- influxlp: ``batch = influxlp.parse(data)``, then ``batch[m].to_pandas()`` for every measurement;
- line-protocol-parser (PyPI): ``parse_line`` on every line, each point flattened into a dict
  (time, tags, fields) and ``pd.DataFrame.from_records`` per measurement, with ``time`` turned
  into ``datetime64[ns, UTC]`` as influxlp gives it.

Run: ``python bench/bench_parse.py [--lines 1000000] [--peer-lines N]``. The peer is slow; with
``--peer-lines`` below ``--lines`` its time is measured on the first N lines and scaled, which
the output says.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import best_of, print_footer, print_header, print_table  # noqa: E402

# influxlp → pandas on one thread against line-protocol-parser → pandas, per corpus.
TARGETS = {"telegraf": 25.0, "mixed": 10.0, "iot": 25.0}


def influxlp_to_pandas(data: bytes, threads: int | None = None) -> dict:
    import influxlp

    batch = influxlp.parse(data, threads=threads)
    return {name: batch[name].to_pandas() for name in batch}


def influxlp_parse_only(data: bytes) -> object:
    import influxlp

    return influxlp.parse(data)


def line_protocol_parser_to_pandas(data: bytes) -> dict:
    import pandas as pd
    from line_protocol_parser import parse_line

    rows = defaultdict(list)
    for line in data.decode().split("\n"):
        if not line:
            continue
        point = parse_line(line)
        rows[point["measurement"]].append(
            {"time": point["time"], **point["tags"], **point["fields"]}
        )
    frames = {}
    for name, records in rows.items():
        frame = pd.DataFrame.from_records(records)
        frame["time"] = pd.to_datetime(frame["time"], unit="ns", utc=True)
        frames[name] = frame
    return frames


def check_same(ours: dict, theirs: dict, name: str) -> None:
    """Both sides must have read the same points, or the ratio means nothing."""
    if set(ours) != set(theirs):
        raise SystemExit(f"{name}: measurements differ: {sorted(ours)} vs {sorted(theirs)}")
    for m in ours:
        a, b = ours[m], theirs[m]
        if len(a) != len(b) or set(a.columns) != set(b.columns):
            raise SystemExit(
                f"{name}/{m}: influxlp {len(a)} rows {sorted(a.columns)}, "
                f"line-protocol-parser {len(b)} rows {sorted(b.columns)}"
            )
        if not (a["time"].values == b["time"].values).all():
            raise SystemExit(f"{name}/{m}: timestamps differ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--peer-lines", type=int, help="lines given to the peer (default: --lines)")
    parser.add_argument("--repeat", type=int, default=3, help="influxlp runs; the best counts")
    parser.add_argument("--peer-repeat", type=int, default=1, help="peer runs; the best counts")
    parser.add_argument("corpora", nargs="*", default=list(corpus.CORPORA))
    args = parser.parse_args(argv)
    peer_lines = min(args.peer_lines or args.lines, args.lines)

    print_header(
        "parse → pandas: influxlp vs line-protocol-parser",
        ["influxlp", "line-protocol-parser", "pandas", "numpy"],
    )
    rows = []
    verdicts: list[str] = []
    for name in args.corpora:
        data = corpus.load(name, args.lines)
        peer_data = data if peer_lines == args.lines else corpus.load(name, peer_lines)
        mb = len(data) / 1e6
        scale = args.lines / peer_lines

        parse_s, parse_cpu, _ = best_of(args.repeat, lambda d=data: influxlp_parse_only(d))
        ours_s, ours_cpu, ours = best_of(args.repeat, lambda d=data: influxlp_to_pandas(d))
        one_s, one_cpu, _ = best_of(args.repeat, lambda d=data: influxlp_to_pandas(d, threads=1))
        peer_s, peer_cpu, theirs = best_of(
            args.peer_repeat, lambda d=peer_data: line_protocol_parser_to_pandas(d)
        )
        check_same(
            ours if peer_lines == args.lines else influxlp_to_pandas(peer_data), theirs, name
        )
        del ours, theirs
        peer_s, peer_cpu = peer_s * scale, peer_cpu * scale
        scaled = "" if peer_lines == args.lines else f" (on {peer_lines:,} lines, scaled)"
        verdicts.append(
            f"{name}: one thread {peer_s / one_s:.1f}x wall, {peer_cpu / one_cpu:.1f}x CPU "
            f"(target {TARGETS.get(name, 0):.0f}x); every core {peer_s / ours_s:.1f}x wall"
        )
        for label, wall, cpu in (
            ("influxlp parse only", parse_s, parse_cpu),
            ("influxlp → pandas", ours_s, ours_cpu),
            ("influxlp → pandas, one thread", one_s, one_cpu),
            ("line-protocol-parser → pandas" + scaled, peer_s, peer_cpu),
        ):
            is_ours = label.startswith("influxlp → pandas")
            rows.append(
                [
                    name,
                    args.lines,
                    mb,
                    label,
                    wall,
                    cpu,
                    mb / wall,
                    args.lines / wall,
                    f"{peer_s / wall:.1f}x" if is_ours else "",
                    f"{peer_cpu / cpu:.1f}x" if is_ours else "",
                ]
            )
    print_table(
        [
            "corpus",
            "lines",
            "MB",
            "implementation",
            "wall s",
            "CPU s",
            "MB/s",
            "lines/s",
            "speed-up",
            "CPU speed-up",
        ],
        rows,
    )
    print()
    print("influxlp → pandas on one thread against line-protocol-parser → pandas:")
    for verdict in verdicts:
        print(f"  {verdict}")
    print(
        f"influxlp best of {args.repeat} runs, line-protocol-parser best of {args.peer_repeat}; "
        "MB/s and lines/s from wall time; CPU s is the process's CPU time (all threads)"
    )
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
