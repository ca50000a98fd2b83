"""Build profiles side by side: the same wheel built with two cargo profiles (``release``, what
``pip install .`` builds, and ``dist``, what the published wheels are built with), compared on
wheel size, install time and ``bench_parse.py``'s parse timings.

    python bench/bench_profiles.py --wheel release=dist-a/influxlp-*.whl \\
        --wheel dist=dist-b/influxlp-*.whl [--lines 300000] [--rounds 5]

Each wheel goes into its own fresh virtualenv (system site-packages for pandas; the wheel's
influxlp shadows any other, which is checked). The rounds alternate between the builds, each
round one process per build timing ``influxlp_parse_only`` and ``influxlp_to_pandas`` from
``bench_parse.py`` on every corpus; best and median over the rounds are printed, with the ratio
first build / other build (above 1: the other build is faster), on wall time and on process CPU
time (the meaningful one when other work shares the cores). Any two builds compare the same way,
e.g. the stable-ABI wheel against one built for a single CPython version.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from common import print_footer, print_header, print_table  # noqa: E402

HERE = Path(__file__).resolve().parent
OPERATIONS = ("parse only", "parse → pandas")


def worker(lines: int, corpora: list[str]) -> None:
    """One round in this interpreter: the best of two runs of each operation (wall and CPU
    seconds), as JSON."""
    import influxlp
    from bench_parse import influxlp_parse_only, influxlp_to_pandas
    from common import best_of

    timings: dict[str, object] = {"__file__": influxlp.__file__}
    for name in corpora:
        data = corpus.load(name, lines)
        parse = best_of(2, lambda d=data: influxlp_parse_only(d))[:2]
        pandas = best_of(2, lambda d=data: influxlp_to_pandas(d))[:2]
        timings[name] = {"parse only": parse, "parse → pandas": pandas}
    print(json.dumps(timings))


def install(label: str, wheel: Path, scratch: Path) -> tuple[Path, float]:
    """A virtualenv holding this wheel; returns its python and the wheel's install time."""
    venv = scratch / label
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    started = time.perf_counter()
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed"]
        + [str(wheel)],
        check=True,
    )
    return python, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", action="append", default=[], metavar="LABEL=PATH")
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("corpora", nargs="*", default=list(corpus.CORPORA))
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.lines, args.corpora)
        return 0
    wheels = dict(entry.split("=", 1) for entry in args.wheel)
    if len(wheels) != 2:
        parser.error("give two wheels: --wheel LABEL=PATH twice")
    for name in args.corpora:
        corpus.load(name, args.lines)  # written once, before any timing

    print_header("build profiles: wheel size, install time, parse speed", ["pandas", "numpy"])
    with tempfile.TemporaryDirectory(prefix="influxlp-profiles-") as scratch:
        pythons, sizes = {}, []
        for label, path in wheels.items():
            python, seconds = install(label, Path(path), Path(scratch))
            pythons[label] = python
            sizes.append([label, Path(path).name, Path(path).stat().st_size / 1e6, seconds])
        print_table(["build", "wheel", "MB", "pip install s (no deps)"], sizes)
        print()

        times: dict[tuple[str, str, str], list[list[float]]] = {}
        labels = list(wheels)
        for round_ in range(args.rounds):
            for label in labels if round_ % 2 == 0 else labels[::-1]:
                out = subprocess.run(
                    [pythons[label], __file__, "--worker", "--lines", str(args.lines)]
                    + args.corpora,
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=HERE,
                ).stdout
                result = json.loads(out)
                loaded_from = Path(result.pop("__file__"))
                if not loaded_from.is_relative_to(Path(scratch) / label):
                    raise SystemExit(f"{label}: imported {loaded_from}, not its wheel")
                for name, ops in result.items():
                    for op, wall_cpu in ops.items():
                        times.setdefault((name, op, label), []).append(wall_cpu)

        first, other = labels
        rows = []
        for name in args.corpora:
            for op in OPERATIONS:
                row: list[object] = [name, op]
                for clock in (0, 1):  # wall, CPU
                    a = [t[clock] for t in times[(name, op, first)]]
                    b = [t[clock] for t in times[(name, op, other)]]
                    row += [min(a), min(b), f"{min(a) / min(b):.2f}x"]
                    row += [f"{statistics.median(a) / statistics.median(b):.2f}x"]
                rows.append(row)
        print(f"{args.lines:,} lines per corpus, {args.rounds} rounds, seconds")
        print_table(
            ["corpus", "operation"]
            + [
                f"{clock} {what}"
                for clock in ("wall", "CPU")
                for what in (first, other, "best ratio", "median ratio")
            ],
            rows,
        )
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
