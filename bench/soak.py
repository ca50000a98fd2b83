"""Soak: many writers and readers (in a second process) over loopback for a bounded time, some
writers killed in the middle of a request; then every acknowledged point must be stored exactly
once, no point of a killed or refused request may be stored, the server must still answer
/ping, and the server process's resident memory, read after each round once the store is
emptied and freed pages are handed back, must not grow past the first (warm-up) round by more
than `--max-growth-mib`.

    python bench/soak.py --minutes 5 --writers 16 --readers 4

Faults are injected with `Server.fail_rate` (`--fail-rate`, default 2%; failed writes are then
refused requests, which must not be stored either).
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import multiprocessing
import random
import socket
import struct
import sys
import threading
import time
from array import array
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import influxlp

BATCH = 100


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Tally:
    acknowledged: set = field(default_factory=set)
    unacknowledged: set = field(default_factory=set)
    requests: int = 0
    refused: int = 0
    killed: int = 0
    reads: int = 0
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def batch_body(writer: int, first: int) -> bytes:
    return "".join(
        f'soak,writer=w{writer} seq={seq}i,payload="{"x" * 32}" {seq}\n'
        for seq in range(first, first + BATCH)
    ).encode()


def kill_mid_request(port: int, body: bytes) -> None:
    """Sends the head and half the body, then resets the connection."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        f"POST /write?db=soak HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[: len(body) // 2])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def writer(port: int, n: int, deadline: float, kill_rate: float, tally: Tally) -> None:
    rng = random.Random(n)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seq = 0
    while time.monotonic() < deadline:
        body = batch_body(n, seq)
        points = {(n, seq)}  # a batch, by its writer and first sequence number
        seq += BATCH
        if rng.random() < kill_rate:
            kill_mid_request(port, body)
            with tally.lock:
                tally.killed += 1
                tally.unacknowledged |= points
            continue
        try:
            connection.request("POST", "/write?db=soak", body=body)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            # The answer is lost: the points may or may not be stored; leave them out of both
            # sets (nothing the soak does should cause this; it is reported).
            with tally.lock:
                tally.errors.append(f"writer {n}: {error!r}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        with tally.lock:
            tally.requests += 1
            if status == 204:
                tally.acknowledged |= points
            else:
                tally.refused += 1
                tally.unacknowledged |= points
    connection.close()


def reader(port: int, deadline: float, tally: Tally) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    targets = ["/ping", "/query?db=soak&q=SELECT+count(seq)+FROM+soak", "/query?q=SHOW+DATABASES"]
    i = 0
    while time.monotonic() < deadline:
        try:
            connection.request("GET", targets[i % len(targets)])
            response = connection.getresponse()
            response.read()
            assert response.status in (200, 204), response.status
        except (OSError, http.client.HTTPException, AssertionError) as error:
            with tally.lock:
                tally.errors.append(f"reader: {error!r}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i += 1
        with tally.lock:
            tally.reads += 1
    connection.close()


def stored_in(store: influxlp.Store, batches: array) -> int:
    """Points stored from the given batches, `(writer, first seq)` pairs laid flat, read window
    by window."""
    stored = 0
    for writer_id, first in zip(batches[0::2], batches[1::2], strict=True):
        table = store.table(
            "soak", db="soak", start=first, stop=first + BATCH, tags={"writer": f"w{writer_id}"}
        )
        stored += 0 if table is None else table.num_rows
    return stored


def malloc_trim() -> None:
    """Hands the pages Python's own (glibc) heap has freed back to the system."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def settled_rss_mib(timeout: float = 10.0) -> float:
    """RSS once freed memory is back with the system: the extension's allocator returns pages
    unused for a second from a background thread, so this waits until RSS stops falling."""
    malloc_trim()
    samples = [rss_mib()]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        samples.append(rss_mib())
        if len(samples) >= 9 and max(samples[-9:]) - min(samples[-9:]) < 0.5:
            break
    return samples[-1]


def client_round(port: int, seconds: float, writers: int, readers: int, kill_rate: float) -> dict:
    """One round of writers and readers; runs in the clients' own process (see `soak`)."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=writer, args=(port, n, deadline, kill_rate, tally))
        for n in range(writers)
    ] + [threading.Thread(target=reader, args=(port, deadline, tally)) for _ in range(readers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "seconds": time.monotonic() - started,
        # A count and a flat array rather than lists of tuples: hundreds of thousands of small
        # objects unpickled in the server's process would leave Python's own allocator holding
        # arenas that the soak's memory reading then counted against the server.
        "acknowledged": len(tally.acknowledged),
        "unacknowledged": array("q", (n for batch in sorted(tally.unacknowledged) for n in batch)),
        "requests": tally.requests,
        "killed": tally.killed,
        "refused": tally.refused,
        "reads": tally.reads,
        "errors": tally.errors[:5],
    }


def run_round(server, store, clients, seconds, writers, readers, kill_rate) -> dict:
    tally = clients.submit(client_round, server.port, seconds, writers, readers, kill_rate).result()
    # Every point has its own (writer, time), so the store holds each at most once: the total
    # equals the acknowledged points plus none of the others exactly when every acknowledged
    # point is there and nothing else is.
    total = store.count("soak", db="soak")
    unacknowledged_stored = stored_in(store, tally["unacknowledged"])
    acknowledged = tally["acknowledged"] * BATCH
    from_acknowledged = total - unacknowledged_stored
    return {
        "seconds": round(tally["seconds"], 1),
        "write_requests": tally["requests"],
        "killed_requests": tally["killed"],
        "refused_requests": tally["refused"],
        "reads": tally["reads"],
        "acknowledged_points": acknowledged,
        "stored_points": total,
        "duplicates": max(0, from_acknowledged - acknowledged),
        "lost": max(0, acknowledged - from_acknowledged),
        "unacknowledged_stored": unacknowledged_stored,
        "client_errors": tally["errors"],
        "store_bytes_loaded": store.memory_usage(),
        "rss_loaded_mib": round(rss_mib(), 1),
    }


def soak(
    seconds: float,
    writers: int = 16,
    readers: int = 4,
    kill_rate: float = 0.05,
    rounds: int = 4,
    fail_rate: float = 0.02,
) -> dict:
    """Runs `rounds` rounds of `seconds / rounds`, emptying the store after each; memory after
    each emptying must stay flat from the second round on (the first warms up).

    The clients run in a process of their own, so that this process's memory is the server's
    and the store's alone: twenty client threads in the same process grew glibc's heap
    (Python's `bytes` bodies and sockets) by about 2 MiB a round with 2 MiB in use, which
    said nothing about influxlp."""
    store = influxlp.Store()
    store.create_database("soak")
    # No request log: its bounded history would hide a leak behind its own growth.
    server = influxlp.Server(
        store=store, max_connections=4 * (writers + readers), request_log_size=0
    )
    # A share of writes answered 503 without storing: refused points must not show up.
    server.fail_rate(fail_rate, status=503, seed=1)
    server.start()
    rss_start = settled_rss_mib()
    per_round = []
    rss_after = []
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:
        for r in range(rounds):
            per_round.append(
                run_round(server, store, clients, seconds / rounds, writers, readers, kill_rate)
            )
            server.reset()  # also clears the injected faults
            store.create_database("soak")
            server.fail_rate(fail_rate, status=503, seed=r + 2)
            rss_after.append(round(settled_rss_mib(), 1))
    server.clear_faults()
    ping = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    ping.request("GET", "/ping")
    ping_after = ping.getresponse().status
    ping.close()
    server.stop()
    total = {
        key: sum(r[key] for r in per_round)
        for key in per_round[0]
        if isinstance(per_round[0][key], (int, float))
        and not key.endswith("_mib")
        and key != "store_bytes_loaded"
    }
    total["seconds"] = round(total["seconds"], 1)
    return {
        **total,
        "writers": writers,
        "readers": readers,
        "faults": f"{fail_rate:.0%} of writes answered 503",
        "client_errors": [e for r in per_round for e in r["client_errors"]][:5],
        "store_bytes_peak": max(r["store_bytes_loaded"] for r in per_round),
        "rss_start_mib": round(rss_start, 1),
        "rss_loaded_mib": [r["rss_loaded_mib"] for r in per_round],
        "rss_after_reset_mib": rss_after,
        "ping_after": ping_after,
    }


def check(result: dict, max_growth_mib: float = 16.0) -> list[str]:
    problems = []
    if result["lost"]:
        problems.append(f"{result['lost']} acknowledged points lost")
    if result["duplicates"]:
        problems.append(f"{result['duplicates']} points stored twice")
    if result["unacknowledged_stored"]:
        problems.append(f"{result['unacknowledged_stored']} unacknowledged points stored")
    if result["stored_points"] != result["acknowledged_points"]:
        problems.append("stored and acknowledged counts differ")
    if result["ping_after"] != 204:
        problems.append("no /ping answer afterwards")
    if result["client_errors"]:
        problems.append(f"client errors: {result['client_errors']}")
    growth = memory_growth(result)
    if growth > max_growth_mib:
        problems.append(f"RSS after emptying grew {growth} MiB after the warm-up round")
    return problems


def memory_growth(result: dict) -> float:
    """MiB gained after emptying the store, from the end of the first (warm-up) round to the
    highest reading of a later one."""
    after = result["rss_after_reset_mib"]
    return round(max(after) - after[0], 1) if len(after) > 1 else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--kill-rate", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--fail-rate", type=float, default=0.02)
    parser.add_argument("--max-growth-mib", type=float, default=16.0)
    args = parser.parse_args(argv)
    result = soak(
        args.minutes * 60, args.writers, args.readers, args.kill_rate, args.rounds, args.fail_rate
    )
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print(f"{'rss_growth_mib':>24}: {memory_growth(result)}")
    problems = check(result, args.max_growth_mib)
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
