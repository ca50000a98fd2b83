"""What every benchmark script prints around its figures: the machine, the versions, the load."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def print_header(title: str, distributions: Iterable[str]) -> None:
    """Date, commit, machine, versions and the load average before the run."""
    print(f"== {title}")
    print(f"date      {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"commit    {git_commit()}")
    print(f"machine   {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"python    {sys.version.split()[0]}")
    for name in distributions:
        print(f"{name:<9} {version_of(name)}")
    print(f"load avg  {load_average()} (1/5/15 min, before the run)")
    print()


def print_footer() -> None:
    print()
    print(f"load avg  {load_average()} (1/5/15 min, after the run)")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain aligned table: first column left-aligned, the rest right-aligned."""
    text_rows = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]
    line = [headers[0].ljust(widths[0])] + [
        h.rjust(w) for h, w in zip(headers[1:], widths[1:], strict=True)
    ]
    print("  ".join(line))
    for row in text_rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if value < 0.01 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def best_of(repeat: int, run, *, setup=None) -> tuple[float, float, object]:
    """Runs ``run()`` ``repeat`` times; returns the shortest wall time, the shortest process CPU
    time (all threads) and the last result. CPU time is what the work costs when other
    processes share the cores; wall time is what a user waits."""
    import gc

    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(max(1, repeat)):
        result = None
        gc.collect()
        if setup is not None:
            setup()
        cpu_start = time.process_time()
        start = time.perf_counter()
        result = run()
        best_wall = min(best_wall, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu_start)
    return best_wall, best_cpu, result
