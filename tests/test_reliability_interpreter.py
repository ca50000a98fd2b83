"""The interpreter's side: servers and stores left running at exit, use from many Python
threads at once, and `os.fork()` after a server has started."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import textwrap
import threading
import time

import influxlp
import pytest


def run_python(code: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def post(port: int, target: str, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", target, body=body)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_running_server_and_store_at_exit_shut_down_promptly():
    started = time.monotonic()
    result = run_python(
        """
        import http.client, influxlp
        store = influxlp.Store()
        store.write(b"m f=1 1\\n", db="db")
        server = influxlp.Server(store=store)
        server.start()
        c = http.client.HTTPConnection(server.host, server.port)
        c.request("POST", "/write?db=db", body=b"m f=2 2\\n")
        assert c.getresponse().status == 204
        # An idle keep-alive connection stays open; nothing is stopped by hand.
        print("ok", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "panicked" not in result.stderr
    assert time.monotonic() - started < 15


def test_exit_while_a_request_is_in_flight_from_another_thread():
    result = run_python(
        """
        import http.client, threading, influxlp
        server = influxlp.Server(auto_create_databases=True)
        server.start()
        def hammer():
            while True:
                c = http.client.HTTPConnection(server.host, server.port)
                try:
                    c.request("POST", "/write?db=db", body=b"m f=1 1\\n" * 1000)
                    c.getresponse().read()
                except Exception:
                    pass
        for _ in range(4):
            threading.Thread(target=hammer, daemon=True).start()
        import time; time.sleep(0.5)
        print("exiting", flush=True)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "panicked" not in result.stderr


def test_many_python_threads_share_a_server_and_its_store():
    store = influxlp.Store()
    store.create_database("db")
    with influxlp.Server(store=store) as server:
        errors = []

        def writer(n: int) -> None:
            try:
                for batch in range(20):
                    body = "".join(
                        f"http,w=w{n} v={batch * 50 + i}i {batch * 50 + i}\n" for i in range(50)
                    ).encode()
                    assert post(server.port, "/write?db=db", body) == 204
                    store.write(body.replace(b"http,", b"direct,"), db="db")
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        def reader() -> None:
            try:
                for _ in range(50):
                    for name in ("http", "direct"):
                        table = store.table(name, db="db")
                        assert table is None or table.num_rows <= 8 * 1000
                    store.count(db="db")
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        threads += [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        assert store.count("http", db="db") == 8 * 1000
        assert store.count("direct", db="db") == 8 * 1000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_start_does_not_deadlock_the_child():
    result = run_python(
        """
        import http.client, os, sys, influxlp
        store = influxlp.Store()
        store.write(b"m f=1 1\\n", db="db")
        server = influxlp.Server(store=store)
        server.start()
        pid = os.fork()
        if pid == 0:
            # The child: the store is a plain copy and works; the server has no threads here.
            store.write(b"m f=2 2\\n", db="db")
            assert store.count(db="db") == 2
            assert not server.is_running
            server.stop()  # forgets the parent's threads without joining them
            server.start()  # a fresh server of the child's own
            c = http.client.HTTPConnection(server.host, server.port, timeout=5)
            c.request("GET", "/ping")
            assert c.getresponse().status == 204
            server.stop()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # The parent's server is untouched by the child.
        assert server.is_running
        c = http.client.HTTPConnection(server.host, server.port, timeout=5)
        c.request("POST", "/write?db=db", body=b"m f=3 3\\n")
        assert c.getresponse().status == 204
        assert store.count(db="db") == 2
        server.stop()
        print("ok", flush=True)
        """,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_import_and_store_add_no_thread_and_a_stopped_server_leaves_none_behind():
    # A library imported into a test suite must not make the process multi-threaded: Python
    # 3.12+ warns on every os.fork() then. The allocator's purging thread lives only as long as
    # a server runs. (numpy's own BLAS pool is counted in the baseline.)
    result = run_python(
        """
        import os, time
        threads = lambda: len(os.listdir("/proc/self/task"))
        import numpy
        baseline = threads()
        import influxlp
        store = influxlp.Store()
        store.write(b"m f=1 1\\n" * 10_000, db="db")
        store.table("m", db="db").to_numpy()
        print(threads() - baseline)
        with influxlp.Server(store=store) as a, influxlp.Server(store=store) as b:
            running = threads() - baseline
        deadline = time.monotonic() + 5
        while threads() > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        print(running > 0, threads() - baseline)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True", "0"], result.stdout
