"""influxdb-client-python's own integration suite against `influxlp serve --flavor v2`.

The suite hard-codes `http://localhost:8086`, token `my-token`, org `my-org`; its CI starts
InfluxDB 2.x and onboards it with `POST /api/v2/setup` (user `my-user`/`my-password`, org
`my-org`, bucket `my-bucket`, token `my-token`). This script does the same with influxlp:

1. a virtual environment (kept in `.client-suite/venv`) with the suite's client at the pinned
   commit and its test requirements;
2. a baseline run with nothing on port 8086: the tests that pass there do not need a live server
   (cached per suite commit in `.client-suite/baseline-<commit>.json`);
3. `python -m influxlp serve --flavor v2 --port 8086`, onboarded as the suite's CI does, and the
   suite run against it; the report counts, per test file, the tests that need a live server and
   how many of them pass, and lists each failure with the first line of its reason.

Needs the suite's source: `--suite PATH` (a checkout of
https://github.com/influxdata/influxdb-client-python), or `--clone` to clone it (network).
Not part of the default test run (it needs the network the first time and takes minutes):

    python bench/client_suite.py --clone                 # everything
    python bench/client_suite.py --suite DIR -k Query    # a subset (pytest -k)
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK = REPO_ROOT / ".client-suite"
SUITE_URL = "https://github.com/influxdata/influxdb-client-python"
SUITE_COMMIT = "f0098121acf16aa529a1b95dcd77e5d8f4276c7e"
PORT = 8086
# The suite's test requirements that matter for running it (its `test`, `extra`, `async` and
# `ciso` extras without the documentation and lint tools).
REQUIREMENTS = [
    "pytest",
    "pytest-timeout",
    "httpretty==1.0.5",
    "psutil",
    "aioresponses",
    "randomize",
    # aioresponses (which the suite's async tests mock with) cannot build aiohttp 3.14's
    # responses (`stream_writer`): pnuckowski/aioresponses#289.
    "aiohttp<3.14",
    "aiocsv",
    "pandas",
    "numpy",
    "ciso8601",
]
# Files the issue leaves out of the headline figure (APIs influxlp does not imitate).
OUT_OF_SCOPE = ("test_TasksApi.py", "test_LabelsApi.py", "test_Dashboards.py")
ONBOARDING = {
    "username": "my-user",
    "password": "my-password",
    "org": "my-org",
    "bucket": "my-bucket",
    "token": "my-token",
}
PER_TEST_TIMEOUT = 60
PER_FILE_TIMEOUT = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, help="checkout of influxdb-client-python")
    parser.add_argument("--clone", action="store_true", help="clone the suite (network)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (a subset)")
    parser.add_argument("--report", type=Path, help="also write the report (markdown) here")
    parser.add_argument(
        "--rebaseline", action="store_true", help="run the no-server baseline again"
    )
    args = parser.parse_args()

    suite = prepare_suite(args.suite, args.clone)
    python = prepare_venv(suite)
    with exclusive_port():
        baseline = load_baseline(python, suite, args.rebaseline)
        with influxlp_server() as how:
            outcomes = run_suite(python, suite, args.keyword, "influxlp")
    report = render_report(outcomes, baseline, how)
    print(report)
    if args.report:
        args.report.write_text(report)
    return 0


def prepare_suite(given: Path | None, clone: bool) -> Path:
    if given is not None:
        if not (given / "tests" / "base_test.py").is_file():
            sys.exit(f"{given} is not a checkout of influxdb-client-python")
        return given.resolve()
    target = WORK / "suite"
    if not (target / "tests" / "base_test.py").is_file():
        if not clone:
            sys.exit("no suite: pass --suite DIR (a checkout) or --clone")
        WORK.mkdir(exist_ok=True)
        run(["git", "clone", "--quiet", SUITE_URL, str(target)])
        run(["git", "-C", str(target), "checkout", "--quiet", SUITE_COMMIT])
    return target


def prepare_venv(suite: Path) -> Path:
    venv = WORK / "venv"
    python = venv / "bin" / "python"
    wanted = hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()[:12]
    marker = venv / f"installed-{suite_commit(suite)}-{wanted}"
    if not marker.exists():
        WORK.mkdir(exist_ok=True)
        if not python.exists():
            run([sys.executable, "-m", "venv", str(venv)])
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run([*pip, *REQUIREMENTS])
        run([*pip, str(suite)])
        marker.touch()
    return python


def suite_commit(suite: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(suite), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()[:12]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@contextlib.contextmanager
def exclusive_port() -> Iterator[None]:
    """One run at a time on this machine: the suite insists on port 8086."""
    WORK.mkdir(exist_ok=True)
    with open("/tmp/influxlp-client-suite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if port_open():
            sys.exit(f"port {PORT} is taken: stop what listens there first")
        yield


def port_open() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", PORT)) == 0


def load_baseline(python: Path, suite: Path, again: bool) -> dict[str, str]:
    """The outcome of every test with no server at all."""
    cache = WORK / f"baseline-{suite_commit(suite)}.json"
    if cache.exists() and not again:
        return json.loads(cache.read_text())
    outcomes = run_suite(python, suite, None, "baseline")
    baseline = {test: outcome for test, (outcome, _) in outcomes.items()}
    cache.write_text(json.dumps(baseline, indent=1, sort_keys=True))
    return baseline


@contextlib.contextmanager
def influxlp_server() -> Iterator[str]:
    """`influxlp serve --flavor v2` on port 8086, onboarded as the suite's CI does.

    Yields how it was set up, for the report."""
    command = [sys.executable, "-m", "influxlp", "serve", "--flavor", "v2", "--port", str(PORT)]
    command.append("--quiet")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(server)
        yield onboard()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_serving(server: subprocess.Popen[bytes]) -> None:
    # The suite's CI polls /metrics; /health answers on every version of influxlp.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stderr = server.stderr.read().decode() if server.stderr else ""
            sys.exit(f"influxlp serve exited with {server.returncode}: {stderr}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("influxlp serve did not answer /health within 30 s")


def onboard() -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/v2/setup",
        data=json.dumps(ONBOARDING).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return f"onboarded with POST /api/v2/setup ({response.status})"
    except urllib.error.HTTPError as error:
        return f"POST /api/v2/setup answered {error.code}: {error.read()[:200]!r}"


def run_suite(
    python: Path, suite: Path, keyword: str | None, label: str
) -> dict[str, tuple[str, str]]:
    """Runs the suite's `tests/`, one file per pytest process (a test that hangs past the
    timeout takes only its file down), and returns {file::class::test: (outcome, reason)}."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFLUXDB_V2_")}
    selection = ["-k", keyword] if keyword else []
    started = time.monotonic()
    outcomes: dict[str, tuple[str, str]] = {}
    for file, tests in collect(python, suite, selection, env).items():
        junit = WORK / f"junit-{label}-{file}.xml"
        junit.unlink(missing_ok=True)
        command = [
            str(python),
            "-m",
            "pytest",
            f"tests/{file}",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--timeout={PER_TEST_TIMEOUT}",
            # A timed-out test fails alone; the thread method would end the whole run.
            "--timeout-method=signal",
            f"--junitxml={junit}",
            *own_config(suite),
            *selection,
        ]
        try:
            subprocess.run(
                command,
                cwd=suite,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=PER_FILE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pass
        finished = parse_junit(junit) if junit.exists() else {}
        for test in tests:
            outcomes[test] = finished.get(
                test, ("failed", f"did not finish: {file} ran past {PER_FILE_TIMEOUT} s")
            )
    print(f"{label}: suite ran in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return outcomes


def own_config(suite: Path) -> list[str]:
    """The suite's own root and configuration, not those of a project it sits inside."""
    return ["--rootdir", str(suite), "-c", str(suite / "pyproject.toml")]


def collect(
    python: Path, suite: Path, selection: list[str], env: dict[str, str]
) -> dict[str, list[str]]:
    """The suite's test ids, per file, as `test_x.py::Class::test`."""
    listed = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "tests",
            "--collect-only",
            "-q",
            *own_config(suite),
            *selection,
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
    )
    per_file: dict[str, list[str]] = defaultdict(list)
    for line in listed.stdout.splitlines():
        if line.startswith("tests/") and "::" in line:
            test = line.removeprefix("tests/")
            per_file[test.split("::")[0]].append(test)
    return per_file


def parse_junit(path: Path) -> dict[str, tuple[str, str]]:
    outcomes: dict[str, tuple[str, str]] = {}
    for case in ET.parse(path).iter("testcase"):
        # `tests.test_QueryApi.SimpleQueryTest` or, for a plain function, `tests.test_point`.
        parts = case.get("classname", "").split(".")
        modules = [i for i, part in enumerate(parts) if part.startswith("test_")]
        at = modules[-1] if modules else len(parts) - 1
        file = parts[at] + ".py"
        test = "::".join([file, *parts[at + 1 :], case.get("name", "")])
        outcome, reason = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
                reason = first_line(child.get("message") or child.text or "")
            elif child.tag == "skipped":
                outcome = "skipped"
                reason = first_line(child.get("message") or "")
        outcomes[test] = (outcome, reason)
    return outcomes


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:200]


def render_report(outcomes: dict[str, tuple[str, str]], baseline: dict[str, str], how: str) -> str:
    """Per file: tests needing a live server (they do not pass without one), and how many
    pass against influxlp."""
    per_file: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: list[tuple[str, str]] = []
    for test, (outcome, reason) in sorted(outcomes.items()):
        if baseline.get(test) != "failed" or outcome == "skipped":
            continue
        file = test.split("::")[0]
        per_file[file][0] += 1
        if outcome == "passed":
            per_file[file][1] += 1
        else:
            failures.append((test, reason))
    lines = [
        "# influxdb-client-python's suite against influxlp serve --flavor v2",
        "",
        f"suite commit {SUITE_COMMIT[:12]}; {how}",
        "",
        "| test file | need a live server | pass | |",
        "|---|---:|---:|---|",
    ]
    totals = [0, 0]
    for file, (needing, passing) in sorted(per_file.items()):
        scope = "out of scope" if file in OUT_OF_SCOPE else ""
        lines.append(f"| {file} | {needing} | {passing} | {scope} |")
        if not scope:
            totals[0] += needing
            totals[1] += passing
    share = 100 * totals[1] / totals[0] if totals[0] else 0.0
    lines += [
        f"| **in scope** | **{totals[0]}** | **{totals[1]}** | **{share:.1f} %** |",
        "",
        "## Failures (in scope)",
        "",
    ]
    for test, reason in failures:
        if test.split("::")[0] not in OUT_OF_SCOPE:
            lines.append(f"- `{test}`: {reason}")
    return "\n".join(lines) + "\n"


def run(command: list[str]) -> None:
    subprocess.run(command, check=True)


if __name__ == "__main__":
    sys.exit(main())
