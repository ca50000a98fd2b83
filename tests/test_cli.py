"""`python -m influxlp serve` (and the `influxlp` script): banner with the URL, one access-log
line per request, authentication from --user/--token, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import influxlp
import pytest
from server_helpers import basic, port_is_free

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(influxlp.__file__)))
BANNER = re.compile(r"serving InfluxDB (\S+) \((\S+)\) on (http://127\.0\.0\.1:(\d+))")
# user, method, uri, status, bytes out, user agent, request id, microseconds
ACCESS_LINE = re.compile(
    r"^127\.0\.0\.1 - (\S+) \[[^\]]+\] "
    r'"(\S+) (\S+) HTTP/1\.1" (\d{3}) (\d+) "-" "([^"]*)" (\S+) (\d+)$'
)


@dataclass
class Host:
    """A running host: its URL parts and its stderr, line by line."""

    process: subprocess.Popen
    lines: queue.Queue
    host: str
    port: int
    url: str
    flavor: str
    version: str

    def next_line(self, timeout: float = 10.0) -> str:
        return self.lines.get(timeout=timeout)

    def access_lines(self, count: int, timeout: float = 10.0) -> list[re.Match]:
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            match = ACCESS_LINE.match(line)
            assert match, f"not an access-log line: {line!r}"
            found.append(match)
        return found

    def no_more_lines(self, wait: float = 0.3) -> bool:
        try:
            line = self.lines.get(timeout=wait)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected output: {line!r}")


def spawn(*args: str, command: list[str] | None = None) -> Host:
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    argv = (command or [sys.executable, "-m", "influxlp"]) + ["serve", "--port", "0", *args]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    try:
        banner = lines.get(timeout=30)
    except queue.Empty:
        process.kill()
        raise AssertionError("no banner within 30 s") from None
    match = BANNER.search(banner)
    assert match, banner
    flavor, version, url, port = match.groups()
    return Host(process, lines, "127.0.0.1", int(port), url, flavor, version)


@pytest.fixture
def hosts() -> Iterator:
    started: list[Host] = []

    def start(*args: str, command: list[str] | None = None) -> Host:
        host = spawn(*args, command=command)
        started.append(host)
        return host

    yield start
    for host in started:
        if host.process.poll() is None:
            host.process.kill()
            host.process.wait(10)


def stop(host: Host, sig: int = signal.SIGTERM, timeout: float = 5.0) -> float:
    started = time.monotonic()
    host.process.send_signal(sig)
    code = host.process.wait(timeout)
    took = time.monotonic() - started
    assert code == 0
    return took


def http(host: Host, method: str, path: str, body: str | None = None, headers=None):
    import http.client

    connection = http.client.HTTPConnection(host.host, host.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_serve_writes_logs_and_stops_on_sigterm(hosts):
    host = hosts()
    assert (host.flavor, host.version) == ("v1", "1.11.8")
    assert http(host, "GET", "/ping")[0] == 204
    assert http(host, "POST", "/query?q=CREATE+DATABASE+db")[0] == 200
    assert http(host, "POST", "/write?db=db", "cpu,host=a v=1 1\ncpu,host=b v=2 2\n")[0] == 204
    assert http(host, "POST", "/write?db=nope", "cpu v=1")[0] == 404
    status, body = http(host, "GET", "/query?db=db&q=SELECT+*+FROM+cpu&epoch=ns")
    assert status == 200
    assert b'"values":[[1,"a",1],[2,"b",2]]' in body

    logged = host.access_lines(5)
    assert [(m.group(2), m.group(3), m.group(4)) for m in logged] == [
        ("GET", "/ping", "204"),
        ("POST", "/query?q=CREATE+DATABASE+db", "200"),
        ("POST", "/write?db=db", "204"),
        ("POST", "/write?db=nope", "404"),
        ("GET", "/query?db=db&q=SELECT+*+FROM+cpu&epoch=ns", "200"),
    ]
    assert logged[3].group(5) == str(len(b'{"error":"database not found: \\"nope\\""}\n'))
    assert host.no_more_lines()

    took = stop(host)
    assert took < 5
    assert "influxlp: stopped" in host.next_line()
    assert port_is_free(host.port)


def test_sigint_stops_too(hosts):
    host = hosts("--quiet")
    assert http(host, "GET", "/ping")[0] == 204
    assert host.no_more_lines()  # --quiet: no access log
    stop(host, signal.SIGINT)
    assert port_is_free(host.port)


# Runs `_StopSignals` in a child process: a thread started after it (as the server's threads
# are) sends the process a signal, and the main thread's wait must return that signal's number.
STOP_SIGNALS_SCRIPT = """
import os, signal, sys, threading, time
if sys.argv[1] == "handler":  # the path of platforms without sigwait (Windows)
    del signal.sigwait
from influxlp.__main__ import _StopSignals
stop_signals = _StopSignals()
def send():
    time.sleep(0.2)
    os.kill(os.getpid(), int(sys.argv[2]))
threading.Thread(target=send).start()
print(stop_signals.wait())
"""


@pytest.mark.parametrize("path", ["sigwait", "handler"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signals_are_taken_by_the_main_thread(path, sig):
    done = subprocess.run(
        [sys.executable, "-c", STOP_SIGNALS_SCRIPT, path, str(int(sig))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (done.returncode, done.stdout.strip()) == (0, str(int(sig))), done.stderr


def test_stop_while_a_client_writes(hosts):
    host = hosts("--quiet", "--auto-create-databases")
    results: list[int] = []

    def writer() -> None:
        for i in range(10_000):
            try:
                results.append(http(host, "POST", "/write?db=db", f"m v={i} {i}\n")[0])
            except OSError:
                return

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.5)
    stop(host)
    thread.join(15)
    assert not thread.is_alive()
    assert results and set(results) == {204}
    assert port_is_free(host.port)


def test_user_turns_authentication_on(hosts):
    host = hosts("--user", "admin:secret", "--quiet")
    assert http(host, "POST", "/query?q=CREATE+DATABASE+db")[0] == 401
    assert http(host, "POST", "/query?q=CREATE+DATABASE+db&u=admin&p=secret")[0] == 200
    status, body = http(host, "POST", "/write?db=db", "m v=1 1")
    assert status == 401
    assert body == b'{"error":"unable to parse authentication credentials"}\n'
    assert http(host, "POST", "/write?db=db&u=admin&p=wrong", "m v=1 1")[0] == 401
    assert http(host, "POST", "/write?db=db&u=admin&p=secret", "m v=1 1")[0] == 204
    assert http(host, "POST", "/write?db=db", "m v=2 2", basic("admin", "secret"))[0] == 204
    stop(host)


def test_access_log_names_the_user_and_hides_the_password(hosts):
    host = hosts("--user", "admin:secret")
    http(host, "POST", "/write?u=admin&p=secret&db=db", "m v=1 1")
    (line,) = host.access_lines(1)
    assert line.group(1) == "admin"
    assert line.group(3) == "/write?u=admin&p=[REDACTED]&db=db"
    assert "secret" not in line.group(0)
    stop(host)


def test_token_turns_authentication_on_for_v2(hosts):
    host = hosts("--flavor", "v2", "--token", "tok", "--quiet")
    assert (host.flavor, host.version) == ("v2", "v2.7.12")
    # The organization is the server's own (an unknown orgID is 404, as 2.x answers).
    create = '{"name":"db","retentionRules":[]}'
    headers = {"Authorization": "Token tok", "Content-Type": "application/json"}
    assert http(host, "POST", "/api/v2/buckets", create, headers)[0] == 201
    status, body = http(host, "POST", "/api/v2/write?bucket=db&org=o", "m v=1 1")
    assert (status, body) == (401, b'{"code":"unauthorized","message":"unauthorized access"}')
    assert (
        http(
            host,
            "POST",
            "/api/v2/write?bucket=db&org=o",
            "m v=1 1",
            {"Authorization": "Token wrong"},
        )[0]
        == 401
    )
    assert (
        http(
            host, "POST", "/api/v2/write?bucket=db&org=o", "m v=1 1", {"Authorization": "Token tok"}
        )[0]
        == 204
    )
    stop(host)


def test_bad_arguments_exit_with_usage(hosts):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    for args in (["serve", "--flavor", "v9"], ["serve", "--user", "nopassword"], []):
        done = subprocess.run(
            [sys.executable, "-m", "influxlp", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2, args
        assert "usage: influxlp" in done.stderr


def test_port_in_use_fails_cleanly(hosts):
    host = hosts("--quiet")
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "influxlp", "serve", "--port", str(host.port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert f"cannot start server on 127.0.0.1:{host.port}" in done.stderr
    stop(host)


@pytest.mark.skipif(shutil.which("influxlp") is None, reason="the influxlp script is not installed")
def test_console_script(hosts):
    host = hosts("--flavor", "v3", "--quiet", command=[shutil.which("influxlp") or "influxlp"])
    assert (host.flavor, host.version) == ("v3", "3.0.0")
    assert http(host, "POST", "/api/v3/write_lp?db=x", "m v=1 1")[0] == 204
    stop(host)


def test_database_is_created_at_start(hosts):
    host = hosts("--quiet", "--database", "telemetry", "--database", "audit")
    assert http(host, "POST", "/write?db=telemetry", "cpu v=1 1\n")[0] == 204
    status, body = http(host, "GET", "/query?q=SHOW+DATABASES")
    assert (status, b'"values":[["telemetry"],["audit"]]' in body) == (200, True)
    stop(host)


def test_defaults_come_from_the_core():
    from influxlp.__main__ import _parser
    from influxlp._influxlp import SERVER_DEFAULTS

    serve = _parser().parse_args(["serve"])
    assert (serve.host, serve.flavor, serve.max_body_size) == (
        SERVER_DEFAULTS["host"],
        SERVER_DEFAULTS["flavor"],
        SERVER_DEFAULTS["max_body_size"],
    )
    assert SERVER_DEFAULTS["max_body_size"] == 25_000_000  # InfluxDB's [http] max-body-size
