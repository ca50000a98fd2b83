"""Helpers shared by the influxd parity tests: load recordings, read influxlp tables as points
in the recordings' shape, and build the error bodies influxd 1.x would send."""

from __future__ import annotations

import hashlib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
LONG = 1000  # strings longer than this are recorded by hash (bodies by run lengths)
RAW_KEYS = ("body_hex", "body_runs")  # request bodies are always kept whole


def load(name: str) -> dict:
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f)


def request_body(rec: dict) -> bytes:
    """The exact bytes a recorded request sent."""
    if "body_runs" in rec:
        return b"".join(bytes.fromhex(h) * n for h, n in rec["body_runs"])
    return bytes.fromhex(rec.get("body_hex", ""))


def compact(obj):
    """The recordings' compaction, used by the recorder and the comparisons alike: every string
    longer than LONG becomes {"sha256", "len", "head", "tail"} (UTF-8 bytes); request bodies
    (RAW_KEYS) stay whole."""
    if isinstance(obj, str) and len(obj) > LONG:
        raw = obj.encode("utf-8")
        return {
            "sha256": hashlib.sha256(raw).hexdigest(),
            "len": len(raw),
            "head": obj[:100],
            "tail": obj[-150:],
        }
    if isinstance(obj, list):
        return [compact(x) for x in obj]
    if isinstance(obj, dict):
        return {
            (k if len(k) <= LONG else json.dumps(compact(k), ensure_ascii=False)): (
                v if k in RAW_KEYS else compact(v)
            )
            for k, v in obj.items()
        }
    return obj


def go_json_string(s: str) -> str:
    """A string as Go's encoding/json writes it (HTML-safe escapes, U+2028/9 escaped)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or ch in "<>&" or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_error_body(message: str) -> str:
    """influxd 1.x's JSON error body: {"error":"..."} and a newline."""
    return '{"error":' + go_json_string(message) + "}\n"


def go_text(raw: bytes | str) -> str:
    """Bytes as influxd shows them in JSON: every byte of an invalid UTF-8 sequence becomes
    one U+FFFD (Go's encoder works byte by byte; Python's 'replace' would merge some)."""
    if isinstance(raw, str):
        return raw
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                out.append(raw[i : i + n].decode("utf-8"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


_SUFFIX = re.compile(r"^(.*)_(\d+)$")


def _field_keys(table) -> dict[str, str]:
    """column name -> field key (a field sharing a tag's key is renamed; the key is kept in
    the Arrow field metadata `influxlp.key`)."""
    names = list(table.field_columns)
    try:
        import pyarrow as pa

        schema = pa.table(table).schema
        keys = {}
        for name in names:
            meta = schema.field(name).metadata or {}
            keys[name] = meta.get(b"influxlp.key", name.encode()).decode()
        return keys
    except (ImportError, TypeError):  # no pyarrow, or a table without the Arrow interface
        tags = set(table.tag_columns)
        keys = {}
        for name in names:
            m = _SUFFIX.match(name)
            keys[name] = m.group(1) if m and m.group(1) in tags else name
        return keys


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def table_points(measurement: str, table) -> list[dict]:
    """Rows of an influxlp Table as recorded points: tags (absent ones left out), time (ns),
    fields as {key: [influxql type, value]} (absent ones left out)."""
    import numpy as np

    arrays = table.to_numpy()
    types = table.field_types
    keys = _field_keys(table)
    times = arrays["time"].astype("datetime64[ns]").astype(np.int64).tolist()
    points = []
    for row, t in enumerate(times):
        tags = {}
        for name in table.tag_columns:
            v = arrays[name][row]
            if v is not None:
                tags[name] = str(v)
        fields = {}
        for name in table.field_columns:
            col = arrays[name]
            if (
                isinstance(col, np.ma.MaskedArray)
                and col.mask is not np.ma.nomask
                and col.mask[row]
            ):
                continue
            v = _plain(col[row])
            if v is None:
                continue
            t_name = types[name]
            if t_name == "float":
                v = float(v)
            elif t_name in ("integer", "unsigned"):
                v = int(v)
            elif t_name == "boolean":
                v = bool(v)
            fields[keys[name]] = [t_name, v]
        points.append(
            {
                "measurement": measurement,
                "tags": dict(sorted(tags.items())),
                "time": t,
                "fields": dict(sorted(fields.items())),
            }
        )
    return points


def merge_points(points: list[dict]) -> list[dict]:
    """InfluxDB's storage of a point list: same measurement + tags + time merge field by field,
    the later value winning; sorted like the recordings."""
    merged: dict[tuple, dict] = {}
    for p in points:
        key = (p["measurement"], tuple(sorted(p["tags"].items())), p["time"])
        if key in merged:
            merged[key]["fields"].update(p["fields"])
            merged[key]["fields"] = dict(sorted(merged[key]["fields"].items()))
        else:
            merged[key] = {**p, "fields": dict(p["fields"])}
    return [merged[k] for k in sorted(merged)]


def same_value(recorded, actual) -> bool:
    """A recorded [type, value] against influxlp's; "number" (a field whose type differs between
    influxd shard groups, integral JSON token) matches an integer or a float of that value."""
    rt, rv = recorded
    at, av = actual
    if rt == "number":
        return at in ("integer", "float", "unsigned") and rv == av
    if rt != at:
        return False
    if rt == "float":
        return rv == av or (rv != rv and av != av)
    return rv == av


def diff_points(recorded: list[dict], actual: list[dict]) -> list[str]:
    """Human-readable differences between two point lists (empty when they agree)."""
    actual = compact(actual)

    def key(p: dict) -> tuple:
        # a long measurement is recorded as a digest dict, hence json for hashing
        name = json.dumps(p["measurement"], sort_keys=True, ensure_ascii=False)
        return (name, json.dumps(p["tags"], sort_keys=True, ensure_ascii=False), p["time"])

    rec = {key(p): p for p in recorded}
    act = {key(p): p for p in actual}
    problems = []
    for k in rec.keys() - act.keys():
        problems.append(f"influxd stored {rec[k]} but influxlp has no such point")
    for k in act.keys() - rec.keys():
        problems.append(f"influxlp has {act[k]} which influxd did not store")
    for k in rec.keys() & act.keys():
        rf, af = rec[k]["fields"], act[k]["fields"]
        if rf.keys() != af.keys() or not all(same_value(rf[f], af[f]) for f in rf):
            problems.append(f"point {k}: influxd fields {rf} != influxlp fields {af}")
    return problems


def split_influxd_error(body) -> tuple[str, str | None, int | None]:
    """Classify a recorded /write error body.

    Returns (kind, message, dropped): kind is "parse" (lines refused by the parser; message is
    the newline-joined `unable to parse` list), "write" (refused at write time; message is the
    first reason), or "other"; dropped is the `dropped=N` count of a partial write."""
    if isinstance(body, dict):  # a compacted long body: the tail tells which kind it is
        return ("parse" if "unable to parse" in body["head"] else "other"), None, None
    message = json.loads(body)["error"] if body.strip().startswith("{") else body.strip()
    m = re.fullmatch(r"partial write: (.*) dropped=(\d+)", message, re.S)
    if m:
        inner, dropped = m.group(1), int(m.group(2))
        if inner.startswith("unable to parse '"):
            return "parse", inner, dropped
        return "write", inner, dropped
    if message.startswith("unable to parse '"):
        return "parse", message, None
    if message.startswith("field type conflict"):
        return "write", message, None
    return "other", message, None
