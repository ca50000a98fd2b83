"""Multi-write scenarios against one database (docs/spec.md §5): type conflicts, overwrites,
schema widening, retention policies, dropped measurements.

A scenario is a list of steps, each either a write (`write`: body, optional `rp`,
`precision`) or an InfluxQL statement (`query`, with `{db}` standing for the scenario's
database).  Bodies may contain `{now-<seconds>s}`: the recorder replaces it with the
current time minus that many seconds (ns, rounded down to the second), the replay
does the same with its own clock, so retention-policy cases stay meaningful.
"""

from __future__ import annotations

import re
import time

NOW_RE = re.compile(r"\{now-(\d+)s\}")


def render(body: str, now_ns: int) -> str:
    """Substitute `{now-Ns}` placeholders relative to `now_ns`."""
    base = now_ns - now_ns % 1_000_000_000
    return NOW_RE.sub(lambda m: str(base - int(m.group(1)) * 1_000_000_000), body)


def W(body: str, **opts) -> dict:
    return {"write": body, **opts}


def Q(statement: str) -> dict:
    return {"query": statement}


SHORT_RP = 'CREATE RETENTION POLICY "short" ON "{db}" DURATION 1h REPLICATION 1'
SHORT_RP_DEFAULT = SHORT_RP + " DEFAULT"

TYPES = {"float": "1.5", "integer": "2i", "string": '"s"', "boolean": "true"}


def scenarios() -> list[dict]:
    s: list[dict] = []

    def add(sid: str, description: str, steps: list[dict], difference: str | None = None) -> None:
        case = {"id": sid, "description": description, "steps": steps}
        if difference:
            case["difference"] = difference
        s.append(case)

    # ---- type conflicts across writes -------------------------------------------------------
    for first, fv in TYPES.items():
        steps = [W(f"m v={fv} 1000")]
        t = 2000
        for other, ov in TYPES.items():
            if other != first:
                steps.append(W(f"m v={ov} {t}"))
                t += 1000
        add(
            f"conflict-from-{first}",
            f"a field first written as {first}, then every other type",
            steps,
        )
    add(
        "conflict-partial-batch",
        "a batch where one point conflicts: the others are written",
        [W("m v=1 1000"), W("m v=2 2000\nm v=3i 3000\nm w=1i 3000\nm,h=a v=4 4000")],
    )
    add(
        "conflict-several-dropped",
        "several conflicting points: dropped counts all, the first reason is shown",
        [W("m v=1,w=1i 1000"), W('m v="a" 2000\nm w=2.5 3000\nm v=true 4000\nm v=5 5000')],
    )
    add(
        "conflict-all-dropped",
        "every point of the batch conflicts",
        [W("m v=1 1000"), W('m v="a" 2000\nm v="b" 3000')],
    )
    add(
        "conflict-existing-field-within-line",
        "one line carries the field twice with two types, the field exists",
        [W("m v=1 1000"), W("m v=2i,v=3 2000\nm w=1 2000")],
    )
    add(
        "conflict-new-field-within-batch",
        "a new field gets two types inside one batch",
        [W('m v=1 1000\nm v="x" 2000\nm w=1 3000'), W("m v=9 4000")],
        difference=(
            "1.6.7 rejects the whole batch with 'field type conflict'; influxlp follows "
            "1.10+/2.x: the first type wins and the conflicting points are dropped"
        ),
    )
    add(
        "conflict-per-measurement",
        "the same field name may have different types in different measurements",
        [W("a v=1 1000"), W('b v="s" 1000'), W("c v=1i 1000\nd v=true 1000")],
    )
    add(
        "conflict-across-shard-groups",
        "1.x fixes types per shard group: a later week may use another type",
        [W("m v=1 0"), W('m v="s" 1000000000000000000'), W("m v=2i 1000000000000000001")],
        difference=(
            "influxlp keeps one type per column, so the second and third writes are "
            "field type conflicts there (documented in the README)"
        ),
    )
    add(
        "conflict-new-series",
        "a conflicting point that would start a new series",
        [W("m,h=a v=1 1000"), W('m,h=b v="x" 2000\nm,h=c v=2 2000')],
    )
    add(
        "conflict-with-parse-error",
        "a batch with both a malformed line and a conflicting point",
        [W("m v=1 1000"), W("m v=2i 2000\nbad line\nm v=3 3000")],
    )

    # ---- overwrites ---------------------------------------------------------------------------
    add(
        "overwrite-field-by-field",
        "same series and time: fields merge, the last write wins per field",
        [W("m,h=a v=1,w=1 1000"), W("m,h=a v=2 1000"), W('m,h=a x="s" 1000')],
    )
    add(
        "overwrite-tag-order",
        "the tag set is compared after sorting",
        [W("m,a=1,b=2 v=1 1000"), W("m,b=2,a=1 v=2,w=3 1000")],
    )
    add(
        "overwrite-other-series-untouched",
        "a different tag set is a different series",
        [W("m,h=a v=1 1000\nm,h=b v=2 1000"), W("m,h=a v=3 1000")],
    )
    add(
        "overwrite-within-batch",
        "duplicates inside one batch: the later line wins per field",
        [W("m v=1,w=1 1000\nm v=2 1000\nm w=3,x=4 1000")],
    )
    add(
        "overwrite-then-conflict",
        "an overwrite that changes the type is a conflict, the old value stays",
        [W("m v=1 1000"), W('m v="x" 1000'), W("m v=2 1000")],
    )
    add(
        "overwrite-precision",
        "the same instant written in two precisions",
        [W("m v=1 1", precision="s"), W("m w=2 1000", precision="ms"), W("m x=3 1000000000")],
    )

    # ---- schema widening ------------------------------------------------------------------------
    add(
        "widen-tags-and-fields",
        "new tags and fields later: earlier rows read as null",
        [W("m v=1 1000"), W("m,h=a v=2 2000"), W("m,h=a,r=b w=3i 3000"), W('m,r=c x="s" 4000')],
    )
    add(
        "widen-new-measurements",
        "measurements appear one by one",
        [W("a v=1 1000"), W("b,t=x v=2i 1000"), W('c s="q" 1000')],
    )
    add(
        "tag-and-field-same-name",
        "a key used as a tag in one write and as a field in another",
        [W("m,host=a v=1 1000"), W("m host=2i 2000"), W('m,host=b host="c" 3000')],
    )
    add(
        "escaped-series",
        "escaped names in SHOW SERIES, SHOW TAG KEYS and SHOW MEASUREMENTS",
        [W('m\\ x,a\\ b=c\\,d,e\\=f=g\\=h v=1 1000\nm\\,y,t="q" v=2 1000\nm\\=z,t=u v=3 1000')],
    )
    add(
        "case-sensitive-names",
        "names are case sensitive",
        [W("m,H=a V=1 1000\nM,h=a v=2 1000\nm,h=a v=3 1000")],
    )

    # ---- the `time` key ---------------------------------------------------------------------
    add(
        "time-tag-dropped",
        "a point with a tag named time is dropped; the others are written",
        [W("m,time=x v=1 1000\nm v=2 2000")],
    )
    add(
        "time-field-only",
        "a point whose only field is time is dropped",
        [W("m time=1 1000\nm v=2 2000")],
    )
    add(
        "time-field-with-others",
        "a field named time is skipped, the rest of the point is written",
        [W("m time=1,v=2 1000")],
    )

    # ---- retention policies --------------------------------------------------------------------
    add(
        "retention-old-points-dropped",
        "points older than a 1h policy allows are dropped",
        [Q(SHORT_RP), W("m v=1 1000\nm v=2 {now-600s}", rp="short"), W("m v=3 1000", rp="short")],
    )
    add(
        "retention-default-policy",
        "a new default policy applies to writes without rp",
        [Q(SHORT_RP_DEFAULT), W("m v=1 {now-7200s}\nm v=2 {now-60s}")],
    )
    add(
        "retention-explicit-autogen",
        "writes to autogen by name and by default go to the same place",
        [W("m v=1 1000", rp="autogen"), W("m w=2 1000")],
    )
    add(
        "retention-unknown-policy",
        "a write to a policy that does not exist",
        [W("m v=1 1000", rp="nope"), W("m v=2 2000")],
    )
    add(
        "retention-separate-policies",
        "the same measurement in two policies is two tables",
        [
            Q('CREATE RETENTION POLICY "other" ON "{db}" DURATION INF REPLICATION 1'),
            W("m v=1 1000", rp="other"),
            W('m v="s" 1000'),
            Q("SHOW MEASUREMENTS"),
        ],
    )

    # ---- dropping -------------------------------------------------------------------------------
    add(
        "drop-measurement",
        "dropped measurements disappear from every SHOW",
        [W("a,t=1 v=1 1000\nb,t=2 v=2 1000"), Q('DROP MEASUREMENT "a"')],
    )
    add(
        "drop-measurement-then-retype",
        "after DROP MEASUREMENT a field may come back with another type",
        [W("m v=1 1000"), Q('DROP MEASUREMENT "m"'), W('m v="s" 2000')],
    )
    add(
        "drop-missing-measurement",
        "dropping a measurement that does not exist",
        [Q('DROP MEASUREMENT "nope"'), W("m v=1 1000")],
    )

    # ---- empty and odd writes ------------------------------------------------------------------
    add(
        "empty-writes",
        "empty and comment-only bodies change nothing",
        [W(""), W("# nothing\n\n"), W("m v=1 1000"), W("")],
    )
    add(
        "all-lines-malformed",
        "a write whose lines all fail leaves the database unchanged",
        [W("m v=1 1000"), W("bad\nalso bad=")],
    )
    return s


def run_step(server, db: str, step: dict) -> dict:
    """Send one step to influxd and return the step with what influxd answered."""
    import readback
    from record_influxd import body_fields, response_fields  # the recorder's own encoders

    if "query" in step:
        q = step["query"].replace("{db}", db)
        res = readback.query(server, q, db)
        return {"query": step["query"], "result": res.get("results", res)}
    now = time.time_ns()
    body = render(step["write"], now)
    params = [("db", db)]
    if step.get("rp") is not None:
        params.append(("rp", step["rp"]))
    if step.get("precision") is not None:
        params.append(("precision", step["precision"]))
    r = server.request("POST", "/write", params, body.encode("utf-8"))
    out = {
        "write": step["write"],
        "rp": step.get("rp"),
        "precision": step.get("precision"),
        **(
            {"now": now, "sent": body_fields(body.encode("utf-8"))} if body != step["write"] else {}
        ),
        "response": response_fields(r),
    }
    return out
