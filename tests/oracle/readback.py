"""Read everything a database holds back out of influxd, exactly typed.

influxd 1.x fixes a field's type per shard group, and a `SELECT` over all time can hide the
points whose type differs from the one the query planner picked, so points are read per
measurement *and* per shard group.  JSON numbers do not say whether a value is an integer
or a float (`1.0` is encoded as `1`), so each value's type comes from `SHOW FIELD KEYS`;
when a field has several types in one measurement (one per shard group), the JSON token
decides and a bare integer token is recorded as type "number" (integer or float).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from influxd import Influxd

MIN_NANO = -9223372036854775806
MAX_NANO = 9223372036854775806


class FloatToken(float):
    """A JSON number written with a fraction or exponent (so certainly a float)."""


def loads(body: bytes):
    return json.loads(body, parse_float=FloatToken)


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def rfc3339_to_ns(text: str) -> int:
    # Go prints whole seconds, or a fraction of up to 9 digits.
    main, _, frac = text.rstrip("Z").partition(".")
    dt = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    delta = dt - epoch
    secs = delta.days * 86400 + delta.seconds
    return secs * 1_000_000_000 + int((frac + "000000000")[:9])


def query(server: Influxd, q: str, db: str | None = None) -> dict:
    params = {"q": q, "epoch": "ns"}
    if db is not None:
        params["db"] = db
    r = server.request("POST", "/query", params)
    if r.status != 200:
        return {"http_error": [r.status, r.text()]}
    return loads(r.body)


def result_error(res: dict) -> str | None:
    if "http_error" in res:
        return f"HTTP {res['http_error'][0]}: {res['http_error'][1].strip()}"
    for r in res.get("results", []):
        if "error" in r:
            return r["error"]
    return None


def series_of(res: dict) -> list[dict]:
    out = []
    for r in res.get("results", []):
        out.extend(r.get("series", []) or [])
    return out


def measurements(server: Influxd, db: str) -> list[str]:
    res = query(server, "SHOW MEASUREMENTS", db)
    return [row[0] for s in series_of(res) for row in s.get("values") or []]


def field_keys(server: Influxd, db: str, rp: str | None = None) -> dict[str, list[list[str]]]:
    """measurement -> [[field, type], ...] in influxd's order (one entry per type).

    Field keys live in the shards, so they are per retention policy (default: the
    database's default policy); tag keys, series and measurements are per database.
    """
    stmt = "SHOW FIELD KEYS" if rp is None else f"SHOW FIELD KEYS FROM {quote_ident(rp)}./.*/"
    res = query(server, stmt, db)
    return {s["name"]: [list(row) for row in s.get("values") or []] for s in series_of(res)}


def tag_keys(server: Influxd, db: str) -> dict[str, list[str]]:
    res = query(server, "SHOW TAG KEYS", db)
    return {s["name"]: [row[0] for row in s.get("values") or []] for s in series_of(res)}


def series_keys(server: Influxd, db: str) -> list[str]:
    res = query(server, "SHOW SERIES", db)
    return [row[0] for s in series_of(res) for row in s.get("values") or []]


def retention_policies(server: Influxd, db: str) -> list[str]:
    res = query(server, f"SHOW RETENTION POLICIES ON {quote_ident(db)}", db)
    return [row[0] for s in series_of(res) for row in s.get("values") or []]


def shard_groups(server: Influxd, db: str, rp: str) -> list[tuple[int, int]]:
    """[start, end] (both inclusive, ns) of each shard group of `db`.`rp`, in time order."""
    res = query(server, "SHOW SHARD GROUPS")
    groups = []
    for s in series_of(res):
        cols = s["columns"]
        for row in s.get("values") or []:
            rec = dict(zip(cols, row, strict=False))
            if rec["database"] != db or rec["retention_policy"] != rp:
                continue
            start = max(MIN_NANO, rfc3339_to_ns(rec["start_time"]))
            end = rfc3339_to_ns(rec["end_time"]) - 1
            # The last group before MaxNanoTime is shown ending at a whole second that lies
            # before the points it holds (2262-04-11T23:47:16Z); let it reach the end.
            if end >= MAX_NANO - 1_000_000_000:
                end = MAX_NANO
            groups.append((start, min(end, MAX_NANO)))
    return sorted(set(groups))


def typed_value(value, types: list[str]):
    """[type, value] for one JSON cell, given the field's types in this measurement."""
    if len(types) == 1:
        t = types[0]
    elif isinstance(value, bool):
        t = "boolean"
    elif isinstance(value, str):
        t = "string"
    elif isinstance(value, FloatToken):
        t = "float"
    else:
        t = "number"
    if t == "float" or isinstance(value, FloatToken):
        value = float(value)
    return [t, value]


def points(server: Influxd, db: str, rp: str = "autogen") -> tuple[list[dict], dict[str, str]]:
    """Every stored point of `db`.`rp` (sorted), and the read errors per measurement."""
    fkeys = field_keys(server, db, rp)
    groups = shard_groups(server, db, rp)
    prefix = f"{quote_ident(db)}.{quote_ident(rp)}."
    errors: dict[str, str] = {}
    seen: dict[tuple, dict] = {}
    for m in measurements(server, db):
        types: dict[str, list[str]] = {}
        for k, t in fkeys.get(m, []):
            types.setdefault(k, []).append(t)
        # Names InfluxQL cannot quote (invalid UTF-8 shown as U+FFFD, NUL) are read through
        # a regex source and picked out of the result by name.
        use_regex = "\ufffd" in m or "\x00" in m
        for start, end in groups:
            source = prefix + ("/.*/" if use_regex else quote_ident(m))
            q = f"SELECT * FROM {source} WHERE time >= {start} AND time <= {end} GROUP BY *"
            res = query(server, q, db)
            err = result_error(res)
            if err:
                errors[m] = err
                continue
            for s in series_of(res):
                if s.get("name") != m:
                    continue
                cols = s["columns"]
                tags = {k: v for k, v in (s.get("tags") or {}).items() if v != ""}
                for row in s.get("values") or []:
                    fields = {}
                    for col, cell in zip(cols[1:], row[1:], strict=False):
                        if cell is None:
                            continue
                        fields[col] = typed_value(cell, types.get(col, []))
                    p = {
                        "measurement": m,
                        "tags": dict(sorted(tags.items())),
                        "time": row[0],
                        "fields": dict(sorted(fields.items())),
                    }
                    key = (m, tuple(sorted(tags.items())), row[0])
                    seen[key] = p
    ordered = [seen[k] for k in sorted(seen, key=lambda k: (k[0], k[1], k[2]))]
    return ordered, errors


def snapshot(server: Influxd, db: str, all_rps: bool = False) -> dict:
    """What a database holds: points (of autogen, or of every policy), and the SHOW answers."""
    if all_rps:
        pts, errors, fkeys = {}, {}, {}
        for rp in retention_policies(server, db):
            pts[rp], err = points(server, db, rp)
            fkeys[rp] = field_keys(server, db, rp)
            errors.update({f"{rp}.{m}": e for m, e in err.items()})
        out = {"points_by_rp": pts, "field_keys_by_rp": fkeys}
    else:
        pts, errors = points(server, db)
        out = {"points": pts, "field_keys": field_keys(server, db)}
    out.update(
        {
            "measurements": measurements(server, db),
            "tag_keys": tag_keys(server, db),
            "series": series_keys(server, db),
        }
    )
    if errors:
        out["read_errors"] = errors
    return out


def escape_key(text: str, chars: str) -> str:
    for ch in chars:
        text = text.replace(ch, "\\" + ch)
    return text


def series_key(measurement: str, tags: dict[str, str]) -> str:
    """The series key as SHOW SERIES prints it (measurement escapes `,` and space; tag keys
    and values escape `,`, space and `=`), tags sorted byte-wise."""
    key = escape_key(measurement, ", ")
    for k in sorted(tags, key=lambda t: t.encode("utf-8")):
        key += "," + escape_key(k, ", =") + "=" + escape_key(tags[k], ", =")
    return key
