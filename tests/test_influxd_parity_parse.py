"""influxlp.parse() against a real influxd 1.6.7 on a corpus of line-protocol edge cases.

The answers were recorded by tests/oracle/record_influxd.py (one fresh database per case;
points read back per measurement and shard group) and live in tests/oracle/parse_cases.json,
so this runs without influxd.  What influxd accepted, influxlp parses to the same stored
points (after InfluxDB's same-series-and-time merge); what its parser refused, influxlp refuses
with the same `unable to parse '<line>': <reason>` list.  Cases where 1.6.7 does something
influxlp deliberately does not reproduce carry a `difference` and are checked against
influxlp's documented behaviour instead.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "oracle"))

import influxlp  # noqa: E402
from oracle_compare import (  # noqa: E402
    compact,
    diff_points,
    go_error_body,
    load,
    merge_points,
    request_body,
    split_influxd_error,
    table_points,
)

RECORDING = load("parse_cases.json")
CASES = RECORDING["cases"]
BY_ID = {c["id"]: c for c in CASES}

# 1.x's /write treats an empty precision as nanoseconds (the HTTP layer's job, not parse's).
PRECISION = {None: "ns", "": "ns"}


def _ids(cases):
    return [c["id"] for c in cases]


def _parse(case, **kwargs):
    default_time = case["default_time"] if case["default_time"] is not None else 0
    precision = PRECISION.get(case["precision"], case["precision"])
    opts = dict(
        precision=precision, default_time=default_time, errors="collect", allow_unsigned=False
    )
    opts.update(kwargs)
    return influxlp.parse(request_body(case), **opts)


def _points(batch):
    return merge_points([p for m in batch for p in table_points(m, batch[m])])


def _line_text(error) -> str:
    # influxd quotes the line after skipping its leading spaces, tabs and NULs.
    return error.text.lstrip(" \t\x00")


def _syntax(batch):
    return [e for e in batch.errors if e.kind == "syntax"]


def _rejected(batch):
    return [e for e in batch.errors if e.kind == "rejected"]


def test_the_corpus_is_large_and_covers_each_outcome():
    assert RECORDING["influxd_version"].startswith("1.6.7")
    statuses = {c["influxd"]["status"] for c in CASES}
    assert len(CASES) >= 200 and {204, 400, 500} <= statuses
    assert sum(1 for c in CASES if c["points"]) >= 150


PARITY = [c for c in CASES if "difference" not in c or c["difference"]["kind"] == "unsigned"]


@pytest.mark.parametrize("case", PARITY, ids=_ids(PARITY))
def test_parse_matches_influxd(case):
    batch = _parse(case)
    syntax, rejected = _syntax(batch), _rejected(batch)
    status, body = case["influxd"]["status"], case["influxd"]["body"]

    if status == 204:
        assert syntax == [] and rejected == [], [(e.line, e.message) for e in batch.errors]
    else:
        kind, message, dropped = split_influxd_error(body)
        assert kind in ("parse", "write"), f"unexpected influxd answer {status} {body!r}"
        if kind == "parse":
            assert rejected == []
            joined = "\n".join(f"unable to parse '{_line_text(e)}': {e.message}" for e in syntax)
            parsed_lines = sum(t.num_rows for t in batch.values()) + len(rejected)
            if parsed_lines:
                joined = f"partial write: {joined} dropped=0"
            if isinstance(body, str):
                assert json.loads(body)["error"] == joined
            else:  # a long body, recorded by hash
                assert compact(go_error_body(joined)) == body
        else:
            # Refused at write time (the `time` key): influxd reports the first reason and
            # counts every dropped point.
            assert rejected, "influxd dropped points at write time; influxlp kept them all"
            assert rejected[0].message == message
            assert len(rejected) == dropped

    problems = diff_points(case["points"], _points(batch))
    assert problems == [], "\n".join(problems)


# ---- documented differences ------------------------------------------------------------------


def _cases(kind):
    return [c for c in CASES if c.get("difference", {}).get("kind") == kind]


@pytest.mark.parametrize(
    "case",
    _cases("junk_after_string") + _cases("cr_after_string"),
    ids=_ids(_cases("junk_after_string") + _cases("cr_after_string")),
)
def test_corrupting_string_forms_are_refused(case):
    # influxd stores `abc"` for these; influxlp refuses the line instead.
    assert case["influxd"]["status"] == 204 and case["points"]
    batch = _parse(case)
    assert len(_syntax(batch)) == 1
    assert sum(t.num_rows for t in batch.values()) == 0


@pytest.mark.parametrize("case", _cases("tag_count_panic"), ids=_ids(_cases("tag_count_panic")))
def test_exactly_100_or_200_tags_are_parsed(case):
    assert case["influxd"]["status"] == 500 and case["points"] == []
    n = int(case["id"].split("-")[1])
    batch = _parse(case)
    assert batch.errors == []
    table = batch["cpu"]
    assert table.num_rows == 1 and len(table.tag_columns) == n
    point = table_points("cpu", table)[0]
    assert point["tags"] == {f"t{i:03d}": f"v{i}" for i in range(n)}
    assert point["fields"] == {"v": ["float", 1.0]} and point["time"] == 1000


@pytest.mark.parametrize("case", _cases("invalid_utf8_name"), ids=_ids(_cases("invalid_utf8_name")))
def test_invalid_utf8_names_are_parsed_as_influxd_names_them(case):
    # 1.6.7 answers 500 but has created the measurement (and shows its name with U+FFFD).
    assert case["influxd"]["status"] == 500
    batch = _parse(case)
    assert batch.errors == []
    assert sorted(batch) == sorted(case["measurements"])
    point = _points(batch)[0]
    recorded_fields = [k for fields in case["field_keys"].values() for k, _ in fields]
    assert sorted(point["fields"]) == sorted(recorded_fields)


@pytest.mark.parametrize(
    "case", _cases("batch_type_conflict"), ids=_ids(_cases("batch_type_conflict"))
)
def test_type_conflicts_inside_one_batch_drop_only_the_conflicting_points(case):
    # 1.6.7 refuses the whole batch ({"error":"field type conflict"}); influxlp follows 1.10+/2.x.
    assert case["influxd"]["body"] == '{"error":"field type conflict"}\n'
    batch = _parse(case)
    rejected = _rejected(batch)
    assert rejected, "the conflicting point must be refused"
    for e in rejected:
        assert e.message.startswith('field type conflict: input field "v" on measurement ')
    expected = {
        "field-duplicate-types": [],
        "mixed-types-same-shard": [{"time": 1000, "fields": {"v": ["float", 1.0]}}],
        "mixed-types-same-shard-plus-bad": [{"time": 1000, "fields": {"v": ["float", 1.0]}}],
    }[case["id"]]
    assert [{"time": p["time"], "fields": p["fields"]} for p in _points(batch)] == expected
    if case["id"] == "mixed-types-same-shard":
        assert [(e.line, e.message) for e in rejected] == [
            (
                2,
                'field type conflict: input field "v" on measurement "m" is type string, '
                "already exists as type float",
            )
        ]
    if case["id"] == "mixed-types-same-shard-plus-bad":
        assert [(e.line, e.message) for e in _syntax(batch)] == [(2, "missing fields")]
        assert [(e.line, e.message) for e in rejected] == [
            (
                3,
                'field type conflict: input field "v" on measurement "m" is type integer, '
                "already exists as type float",
            )
        ]


@pytest.mark.parametrize("case", _cases("string_too_long"), ids=_ids(_cases("string_too_long")))
def test_strings_over_1_mib_are_dropped_as_1_9_and_later_do(case):
    assert case["influxd"]["status"] == 204 and case["points"]
    batch = _parse(case)
    assert [(e.kind, e.message) for e in batch.errors] == [
        ("rejected", 'input field "s" on measurement "cpu" is too long, 1048586 > 1048576')
    ]
    assert batch.num_points == 0


@pytest.mark.parametrize(
    "case", _cases("type_per_shard_group"), ids=_ids(_cases("type_per_shard_group"))
)
def test_one_type_per_field_column_across_shard_groups(case):
    assert case["influxd"]["status"] == 204 and len(case["points"]) == 2
    batch = _parse(case)
    assert [(e.line, e.kind) for e in batch.errors] == [(2, "rejected")]
    assert batch.errors[0].message == (
        'field type conflict: input field "v" on measurement "m" is type string, '
        "already exists as type float"
    )
    assert [p["time"] for p in _points(batch)] == [0]


def test_names_1_6_7_cannot_read_back_are_parsed_by_the_grammar():
    # `m\\\ x`: `\\` is not unescaped in a measurement, `\ ` is.
    batch = _parse(BY_ID["meas-backslash-space-escaped"])
    assert batch.errors == [] and list(batch) == ["m\\\\ x"]
    # `m\\,t=a`: Go's scanMeasurement skips any byte that follows a backslash (it looks only at
    # the previous byte), so the comma is escaped and the whole `m\\,t=a` is the measurement;
    # unescaping keeps the first backslash and turns `\,` into `,`.
    batch = _parse(BY_ID["meas-double-backslash-comma"])
    assert batch.errors == [] and list(batch) == ["m\\,t=a"]
    assert batch["m\\,t=a"].tag_columns == []


@pytest.mark.parametrize(
    "case", _cases("precision_not_validated"), ids=_ids(_cases("precision_not_validated"))
)
def test_precision_names_1_6_7_does_not_know(case):
    # 1.6.7 stored `cpu v=1 1000` at 1000 ns whatever the name.
    assert [p["time"] for p in case["points"]] == [1000]
    if case["precision"] in ("us", "µ"):
        batch = _parse(case)
        assert [p["time"] for p in _points(batch)] == [1_000_000]
    else:
        with pytest.raises(ValueError):
            _parse(case)


@pytest.mark.parametrize("case", _cases("unsigned"), ids=_ids(_cases("unsigned")))
def test_unsigned_values_are_accepted_unless_refused(case):
    # With allow_unsigned=False (1.x) test_parse_matches_influxd holds; by default they parse
    # as 2.x does.
    value = case["body"].split("=", 1)[1].split(" ")[0]
    batch = _parse(case, allow_unsigned=True)
    if value in ("1u", "0u", "18446744073709551615u"):
        assert batch.errors == []
        assert _points(batch)[0]["fields"] == {"v": ["unsigned", int(value[:-1])]}
    elif value == "18446744073709551616u":
        assert [e.message for e in batch.errors] == [
            "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing "
            '"18446744073709551616": value out of range'
        ]
    else:
        assert [e.message for e in batch.errors] == ["invalid number"]


def test_every_difference_is_covered():
    covered = {
        "junk_after_string",
        "cr_after_string",
        "tag_count_panic",
        "invalid_utf8_name",
        "batch_type_conflict",
        "unreadable_name",
        "precision_not_validated",
        "unsigned",
        "string_too_long",
        "type_per_shard_group",
    }
    kinds = {c["difference"]["kind"] for c in CASES if "difference" in c}
    assert kinds <= covered and set(RECORDING["differences"]) == covered
