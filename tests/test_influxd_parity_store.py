"""influxlp.Store against a real influxd 1.6.7 on multi-write scenarios.

tests/oracle/store_cases.json holds what influxd answered to each write of a scenario (one
fresh database each) and what the database held at the end: points per retention policy
(read back per shard group), SHOW FIELD KEYS per policy, SHOW TAG KEYS, SHOW SERIES and
SHOW MEASUREMENTS.  The same steps replayed on an influxlp Store (partial writes, unsigned
refused, databases never created by a write: 1.x's rules) must give the same outcome.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "oracle"))

import influxlp  # noqa: E402
from oracle_compare import diff_points, load, merge_points, split_influxd_error, table_points  # noqa: E402
from readback import series_key  # noqa: E402
from store_corpus import render  # noqa: E402

RECORDING = load("store_cases.json")
CASES = RECORDING["cases"]
PARITY = [c for c in CASES if "difference" not in c]

CREATE_RP = re.compile(
    r'CREATE RETENTION POLICY "(?P<name>[^"]+)" ON "\{db\}" '
    r"DURATION (?P<duration>\w+) REPLICATION 1(?P<default> DEFAULT)?$"
)
DROP_MEASUREMENT = re.compile(r'DROP MEASUREMENT "(?P<name>[^"]+)"$')
LEADING_WHITESPACE = " \t\x00"
CONFLICT = (
    'field type conflict: input field "v" on measurement "m" is type {new}, '
    "already exists as type {old}"
)
DURATIONS = {"1h": datetime.timedelta(hours=1), "INF": None}


def _ids(cases):
    return [c["id"] for c in cases]


def _run_query(store: influxlp.Store, db: str, step: dict) -> None:
    statement = step["query"]
    if m := CREATE_RP.match(statement):
        store.create_retention_policy(
            db, m["name"], duration=DURATIONS[m["duration"]], default=bool(m["default"])
        )
    elif m := DROP_MEASUREMENT.match(statement):
        store.drop_measurement(m["name"], db=db)
    elif statement == "SHOW MEASUREMENTS":
        recorded = [row[0] for s in step["result"][0].get("series", []) for row in s["values"]]
        assert sorted(store.measurements(db)) == sorted(recorded)
    else:
        raise AssertionError(f"no replay for {statement!r}")


def _check_write(store: influxlp.Store, db: str, step: dict, now: int) -> None:
    """One write replayed; its result compared with influxd's answer."""
    body = render(step["write"], now)
    response = step["response"]
    kwargs = dict(
        db=db,
        rp=step["rp"],
        precision=step["precision"] or "ns",
        atomic=False,
        create_database=False,
        allow_unsigned=False,
    )
    if response["status"] == 500:
        assert response["body"] == '{"error":"retention policy not found: nope"}\n'
        with pytest.raises(
            influxlp.RetentionPolicyNotFoundError, match="retention policy not found: nope"
        ):
            store.write(body, **kwargs)
        return
    result = store.write(body, **kwargs)
    if response["status"] == 204:
        assert result.points_dropped == 0 and result.errors == [], [
            e.message for e in result.errors
        ]
        return
    assert response["status"] == 400
    kind, message, dropped = split_influxd_error(response["body"])
    syntax = [e for e in result.errors if e.kind == "syntax"]
    rejected = [e for e in result.errors if e.kind == "rejected"]
    if kind == "parse":
        # influxd quotes each line after skipping its leading spaces, tabs and NULs.
        lines = [(e.text.lstrip(LEADING_WHITESPACE), e.message) for e in syntax]
        assert "\n".join(f"unable to parse '{text}': {reason}" for text, reason in lines) == message
        assert rejected == []
    else:
        assert kind == "write"
        assert rejected and rejected[0].message == message
        assert result.points_dropped >= dropped
        assert len(rejected) == dropped


def _replay(case) -> tuple[influxlp.Store, str, int | None, int | None]:
    store = influxlp.Store()
    db = "db"
    store.create_database(db)
    recorded_now = replay_now = None
    for step in case["steps"]:
        if "query" in step:
            _run_query(store, db, step)
            continue
        now = time.time_ns()
        if "now" in step and recorded_now is None:
            recorded_now, replay_now = step["now"], now
        _check_write(store, db, step, now)
    return store, db, recorded_now, replay_now


def _shift(points: list[dict], recorded_now: int | None, replay_now: int | None) -> list[dict]:
    """Move points written at "now" during the recording to the same age at replay."""
    if recorded_now is None:
        return points
    base = lambda t: t - t % 1_000_000_000  # noqa: E731
    delta = base(replay_now) - base(recorded_now)
    day = 86_400 * 10**9
    return [
        {**p, "time": p["time"] + delta} if abs(p["time"] - recorded_now) < 10 * day else p
        for p in points
    ]


def _stored(store: influxlp.Store, db: str, rp: str) -> list[dict]:
    points = []
    for m in store.measurements(db, rp):
        points += table_points(m, store.table(m, db=db, rp=rp))
    return merge_points(points)


def test_the_scenarios_cover_each_outcome():
    assert RECORDING["influxd_version"].startswith("1.6.7")
    statuses = {s["response"]["status"] for c in CASES for s in c["steps"] if "response" in s}
    assert len(CASES) >= 30 and {204, 400, 500} <= statuses


@pytest.mark.parametrize("case", PARITY, ids=_ids(PARITY))
def test_store_matches_influxd(case):
    store, db, recorded_now, replay_now = _replay(case)
    final = case["final"]

    stored_keys = set()
    for rp, recorded in final["points_by_rp"].items():
        actual = _stored(store, db, rp)
        problems = diff_points(_shift(recorded, recorded_now, replay_now), actual)
        assert problems == [], f"rp {rp}:\n" + "\n".join(problems)
        stored_keys |= {series_key(p["measurement"], p["tags"]) for p in recorded}

        for m, fields in final["field_keys_by_rp"][rp].items():
            if any(p["measurement"] == m for p in recorded):
                assert store.field_keys(m, db=db, rp=rp) == dict(fields)

    # Measurements, tag keys and series of the points stored anywhere in the database
    # (1.6.7 also lists series whose every point was dropped: `phantom_series`).
    with_points = {p["measurement"] for pts in final["points_by_rp"].values() for p in pts}
    assert with_points <= set(final["measurements"])
    listed = set()
    for rp in final["points_by_rp"]:
        listed |= set(store.measurements(db, rp))
    assert listed == with_points
    for m in with_points:
        assert sorted(store.tag_keys(m, db=db)) == sorted(final["tag_keys"].get(m, []))
    # (1.6.7's SHOW SERIES may also miss a series kept only in a non-default policy.)
    assert set(final["series"]) - set(final["phantom_series"]) <= stored_keys
    series = set()
    for rp in final["points_by_rp"]:
        series |= set(store.series(db=db, rp=rp))
    assert series == stored_keys


def test_a_new_field_with_two_types_in_one_batch_keeps_the_first():
    # 1.6.7 rejects the whole batch ({"error":"field type conflict"}); influxlp drops only the
    # conflicting point, as 1.10+ and 2.x do.
    case = next(c for c in CASES if c["id"] == "conflict-new-field-within-batch")
    assert case["steps"][0]["response"]["body"] == '{"error":"field type conflict"}\n'
    store = influxlp.Store()
    store.create_database("db")
    result = store.write(case["steps"][0]["write"], db="db", create_database=False)
    assert (result.points_written, result.points_dropped) == (2, 1)
    assert [e.message for e in result.errors] == [CONFLICT.format(new="string", old="float")]
    result = store.write(case["steps"][1]["write"], db="db")
    assert result.points_dropped == 0
    assert [(p["time"], p["fields"]) for p in _stored(store, "db", "autogen")] == [
        (1000, {"v": ["float", 1.0]}),
        (3000, {"w": ["float", 1.0]}),
        (4000, {"v": ["float", 9.0]}),
    ]


def test_one_type_per_column_across_shard_groups():
    # 1.x fixes a type per shard group (a week): it took a string a week after a float.
    # influxlp keeps one type per column (README), so later writes of other types conflict.
    case = next(c for c in CASES if c["id"] == "conflict-across-shard-groups")
    assert [s["response"]["status"] for s in case["steps"]] == [204, 204, 400]
    store = influxlp.Store()
    store.create_database("db")
    assert store.write(case["steps"][0]["write"], db="db").points_dropped == 0
    second = store.write(case["steps"][1]["write"], db="db")
    assert second.points_dropped == 1
    assert second.errors[0].message == (CONFLICT.format(new="string", old="float"))
    third = store.write(case["steps"][2]["write"], db="db")
    assert third.errors[0].message == (CONFLICT.format(new="integer", old="float"))
    assert [(p["time"], p["fields"]) for p in _stored(store, "db", "autogen")] == [
        (0, {"v": ["float", 1.0]})
    ]
