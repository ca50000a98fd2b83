#!/usr/bin/env python3
"""Record a real influxd 1.x's answers for influxlp's parity tests.

    python3 tests/oracle/record_influxd.py [--influxd /usr/bin/influxd] [parse] [store] [http]

Starts its own influxd processes on loopback ports (temporary directories, reporting off),
sends every case, and rewrites parse_cases.json, store_cases.json and http_cases.json
beside this script.  Python 3.11 standard library only; Debian's `influxdb` package
(1.6.7) provides the binary the recordings were made with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import http_corpus  # noqa: E402
import parse_corpus  # noqa: E402
import readback  # noqa: E402
import store_corpus  # noqa: E402
from influxd import Influxd  # noqa: E402
from oracle_compare import LONG, compact  # noqa: E402

PRECISION_UNIT = {"n": 1, "u": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def body_fields(body: bytes) -> dict:
    """The request body: hex, or runs of [hex, repeat] when long; plus text when short UTF-8."""
    if len(body) <= LONG:
        out = {"body_hex": body.hex()}
        try:
            out["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        return out
    runs: list[list] = []
    i = 0
    while i < len(body):
        j = i
        while j < len(body) and body[j] == body[i]:
            j += 1
        if j - i >= 16:
            runs.append([body[i : i + 1].hex(), j - i])
        elif runs and runs[-1][1] == 1:
            runs[-1][0] += body[i:j].hex()
        else:
            runs.append([body[i:j].hex(), 1])
        i = j
    return {"body_runs": runs, "body_len": len(body)}


def response_fields(r) -> dict:
    try:
        text = r.body.decode("utf-8")
    except UnicodeDecodeError:
        return {
            "status": r.status,
            "content_type": r.headers.get("content-type"),
            "body_hex": r.body.hex(),
        }
    return {"status": r.status, "content_type": r.headers.get("content-type"), "body": text}


def write(server: Influxd, db: str, body: bytes, precision: str | None, extra=None):
    params = [("db", db)]
    if precision is not None:
        params.append(("precision", precision))
    params.extend(extra or [])
    t0 = time.time_ns()
    r = server.request("POST", "/write", params, body)
    t1 = time.time_ns()
    return r, t0, t1


def default_time_of(points: list[dict], t0: int, t1: int, precision: str | None) -> int | None:
    """The one "now" influxd gave the lines without a timestamp, if any."""
    unit = PRECISION_UNIT.get(precision or "n", 1)
    now_times = {p["time"] for p in points if t0 - max(unit, 10**9) <= p["time"] <= t1}
    if len(now_times) > 1:
        raise RuntimeError(f"several server times in one request: {sorted(now_times)}")
    return now_times.pop() if now_times else None


def record_parse(binary: str) -> dict:
    cases = []
    with Influxd(binary=binary) as server:
        version = server.version()
        for idx, (cid, body, opts) in enumerate(parse_corpus.cases()):
            raw = body.encode("utf-8") if isinstance(body, str) else body
            db = f"parse{idx:04d}"
            readback.query(server, f'CREATE DATABASE "{db}"')
            precision = opts.get("precision")
            r, t0, t1 = write(server, db, raw, precision)
            snap = readback.snapshot(server, db)
            readback.query(server, f'DROP DATABASE "{db}"')
            case = {
                "id": cid,
                **body_fields(raw),
                "precision": precision,
                "influxd": response_fields(r),
            }
            case["default_time"] = default_time_of(snap["points"], t0, t1, precision)
            case.update(snap)
            if "diff" in opts:
                case["difference"] = {
                    "kind": opts["diff"],
                    "reason": parse_corpus.DIFFERENCES[opts["diff"]],
                }
            cases.append(compact(case))
            print(f"parse {cid}: {r.status}", file=sys.stderr)
    return {
        "influxd_version": version,
        "database_per_case": True,
        "read_back": "SELECT * FROM <measurement> WHERE <shard group range> GROUP BY *, epoch=ns",
        "differences": parse_corpus.DIFFERENCES,
        "cases": cases,
    }


def record_store(binary: str) -> dict:
    cases = []
    with Influxd(binary=binary) as server:
        version = server.version()
        for idx, scenario in enumerate(store_corpus.scenarios()):
            db = f"store{idx:03d}"
            readback.query(server, f'CREATE DATABASE "{db}"')
            steps = []
            for step in scenario["steps"]:
                steps.append(store_corpus.run_step(server, db, step))
            snap = readback.snapshot(server, db, all_rps=True)
            rps = readback.query(server, f'SHOW RETENTION POLICIES ON "{db}"', db)
            readback.query(server, f'DROP DATABASE "{db}"')
            # 1.6.7 adds a point's series to the index before validating its fields, so a
            # series whose every point was dropped still shows in SHOW SERIES.
            stored = {
                readback.series_key(p["measurement"], p["tags"])
                for pts in snap["points_by_rp"].values()
                for p in pts
            }
            snap["phantom_series"] = [k for k in snap["series"] if k not in stored]
            case = {
                "id": scenario["id"],
                "description": scenario["description"],
                "steps": steps,
                "final": snap,
                "retention_policies": readback.series_of(rps),
            }
            if "difference" in scenario:
                case["difference"] = scenario["difference"]
            cases.append(compact(case))
            statuses = [s["response"]["status"] for s in steps if "response" in s]
            print(f"store {scenario['id']}: {statuses}", file=sys.stderr)
    return {"influxd_version": version, "database_per_case": True, "cases": cases}


def record_http(binary: str) -> dict:
    return http_corpus.record(binary)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--influxd", default="/usr/bin/influxd")
    ap.add_argument(
        "parts", nargs="*", help="what to record: parse, store and/or http (default: all)"
    )
    args = ap.parse_args()
    recorders = {"parse": record_parse, "store": record_store, "http": record_http}
    unknown = set(args.parts) - set(recorders)
    if unknown:
        ap.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    for part in args.parts or list(recorders):
        data = recorders[part](args.influxd)
        path = os.path.join(HERE, f"{part}_cases.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {path}: {len(data['cases'])} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
