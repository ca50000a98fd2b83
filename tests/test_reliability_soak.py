"""A short run of `bench/soak.py`: writers, readers and clients killed mid-request, with and
without injected 503s; every acknowledged point stored once, nothing unacknowledged stored, and
the server still answering, and resident memory after each emptied round no higher than after
the first (within `soak.check`'s margin). Each runs in a process of its own, so that the memory
figures are the soak's alone."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench"


def run_soak(**options) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH), *(p for p in sys.path if p)])
    code = (
        "import json, soak\n"
        f"result = soak.soak(**{options!r})\n"
        "print(json.dumps({'result': result, 'problems': soak.check(result)}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    print(report["result"])
    return report["result"], report["problems"]


def test_short_soak():
    result, problems = run_soak(
        seconds=16, writers=8, readers=2, kill_rate=0.1, rounds=4, fail_rate=0.0
    )
    assert problems == []
    assert result["acknowledged_points"] > 0
    assert result["killed_requests"] > 0
    # `check` holds the flatness rule; the first emptied round is also near the start.
    assert result["rss_after_reset_mib"][0] - result["rss_start_mib"] < 64, result


def test_short_soak_with_injected_failures_stores_exactly_the_acknowledged_points():
    result, problems = run_soak(
        seconds=8, writers=8, readers=2, kill_rate=0.1, rounds=2, fail_rate=0.05
    )
    assert problems == []
    assert result["acknowledged_points"] > 0
    assert result["refused_requests"] > 0
