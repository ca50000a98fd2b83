"""Edge-case line-protocol bodies sent to influxd one by one (docs/spec.md §1-§4).

Each case is (id, body, options).  `body` is str (sent as UTF-8) or bytes (sent as is).
Options: `precision` (the /write query parameter; omitted when None) and `diff`, naming a
documented difference: influxd 1.6.7 does something influxlp deliberately does not
reproduce (docs/spec.md, "How influxlp uses this", §10); the key explains what influxlp does
instead.

Explicit timestamps stay far from "now" so that points stamped by the server are told
apart from the rest by the recorder.
"""

from __future__ import annotations

# Documented differences: the test expects influxlp's behaviour, not influxd's, for these.
DIFFERENCES = {
    "junk_after_string": (
        "1.x accepts trailing bytes after a closing quote and stores a corrupted string "
        '(v="abc"x -> abc"); influxlp rejects the line'
    ),
    "cr_after_string": ('1.x accepts v="abc"\\r and stores abc"; influxlp rejects the line'),
    "tag_count_panic": (
        "1.6.7 answers 500 (a recovered panic) for exactly 100 or 200 tags and stores "
        "nothing; influxlp parses and stores the point"
    ),
    "invalid_utf8_name": (
        "1.6.7 answers 500 (proto: ... contains invalid UTF-8) for invalid UTF-8 in a "
        "measurement or field name (creating the measurement but no points); influxlp "
        "parses the line"
    ),
    "unsigned": (
        "1.x refuses u values (invalid number); influxlp accepts them unless "
        "allow_unsigned=False, which must match influxd"
    ),
    "batch_type_conflict": (
        "1.6.7 rejects the whole batch with 'field type conflict' when a new field gets two "
        "types in one batch; influxlp follows 1.10+/2.x (first type wins, the conflicting "
        "points are dropped as a partial write)"
    ),
    "precision_not_validated": (
        "1.6.7's /write does not validate precision and its parser knows only n, u, ms, s, m "
        "and h: any other name (us, µ, bogus, S) means nanoseconds; influxlp.parse scales us "
        "and µ as microseconds and refuses unknown names with ValueError"
    ),
    "string_too_long": (
        "1.6.7 has no limit on string fields; 1.9+ and 2.x drop a point whose string field "
        "is longer than 1048576 bytes (input field ... is too long), and so does influxlp"
    ),
    "type_per_shard_group": (
        "1.x fixes a field's type per shard group (a week), so a float in 1970 and a string "
        "in 2001 both stay; influxlp keeps one type per column and refuses the second type "
        "as a field type conflict"
    ),
    "unreadable_name": (
        "1.6.7 accepts the point (204) but its series can never be read back; influxlp "
        "parses the name as the grammar says"
    ),
}


def _tags(n: int) -> str:
    return ",".join(f"t{i:03d}=v{i}" for i in range(n))


def cases() -> list[tuple[str, str | bytes, dict]]:
    c: list[tuple[str, str | bytes, dict]] = []

    def add(cid: str, body: str | bytes, **opts) -> None:
        c.append((cid, body, opts))

    # ---- §1.1 lines, whitespace, comments ------------------------------------------------
    add("empty-body", "")
    add("only-newlines", "\n\n\n")
    add("only-spaces", "   \n\t\t\n")
    add("only-comment", "# just a comment")
    add("comments-and-blank", "# c1\n\n  # indented\n\t# tab indented\ncpu v=1 1000\n")
    add("trailing-comment", "cpu v=1 1000 # not a comment")
    add("trailing-comment-no-ts", "cpu v=1 # c")
    add("hash-in-measurement", "c#pu v=1 1000")
    add("hash-measurement-start-after-space", " #cpu v=1 1000")
    add("leading-spaces", "   cpu v=1 1000")
    add("leading-tab", "\tcpu v=1 1000")
    add("leading-nul", "\x00cpu v=1 1000")
    add("leading-mixed-ws", " \t\x00 cpu v=1 1000")
    add("trailing-newline", "cpu v=1 1000\n")
    add("trailing-spaces-after-ts", "cpu v=1 1000   ")
    add("trailing-spaces-after-fields", "cpu v=1   ")
    add("double-space-before-fields", "cpu  v=1 1000")
    add("double-space-before-ts", "cpu v=1  1000")
    add("tab-before-fields", "cpu\tv=1 1000")
    add("tab-in-tags", "cpu,host=a\tv=1 1000")
    add("tab-before-ts", "cpu v=1\t1000")
    add("trailing-tab", "cpu v=1 1000\t")
    add("crlf-float", "cpu v=1\r\n")
    add("crlf-ts", "cpu v=1 1000\r\n")
    add("crlf-bool", "cpu v=true\r\n")
    add("crlf-int", "cpu v=1i\r\n")
    add("crlf-string", 'cpu v="abc"\r\n', diff="cr_after_string")
    add("crlf-two-lines", "cpu v=1 1000\r\ncpu v=2 2000\r\n")
    add("cr-only-separator", "cpu v=1 1000\rcpu v=2 2000")
    add("nul-in-field-value", "cpu v=1\x00 1000")
    add("nul-in-string", 'cpu s="a\x00b" 1000')
    add("nul-in-measurement", "c\x00pu v=1 1000")
    add("space-only-line-between", "cpu v=1 1000\n   \ncpu v=2 2000")
    add("form-feed-leading", "\x0ccpu v=1 1000")
    add("vertical-tab-in-tag", "cpu,t=a\x0bb v=1 1000")

    # ---- §1.2 measurement ------------------------------------------------------------------
    add("meas-plain", "cpu v=1 1000")
    add("meas-escaped-comma", "c\\,pu v=1 1000")
    add("meas-escaped-space", "c\\ pu v=1 1000")
    add("meas-escaped-equals", "c\\=pu v=1 1000")
    add("meas-escaped-quote", 'c\\"pu v=1 1000')
    add("meas-double-backslash", "c\\\\pu v=1 1000")
    add("meas-backslash-other", "c\\pu v=1 1000")
    add("meas-unescaped-quote", 'c"pu v=1 1000')
    add("meas-unescaped-equals", "c=pu v=1 1000")
    add("meas-backslash-space-escaped", "m\\\\\\ x v=1 1000", diff="unreadable_name")
    add("meas-double-backslash-comma", "m\\\\,t=a v=1 1000", diff="unreadable_name")
    add("meas-trailing-backslash-eol", "cpu\\")
    add("meas-escaped-space-then-eol", "cpu\\ ")
    add("meas-unicode", "температура v=1 1000")
    add("meas-emoji", "📈,t=🔥 v=1 1000")
    add("meas-control-char", "c\x01pu v=1 1000")
    add("meas-leading-comma", ",cpu v=1 1000")
    add("meas-only", "cpu")
    add("meas-only-space", "cpu ")
    add("meas-starts-with-digit", "1cpu v=1 1000")
    add("meas-starts-with-dash", "-cpu v=1 1000")
    add("meas-single-char", "m v=1 1000")
    add("meas-long-65535", "m" * 65535 + " v=1 1000")
    add("meas-long-65536", "m" * 65536 + " v=1 1000")
    add("meas-long-65530", "m" * 65530 + " v=1 1000")
    add("meas-long-65531", "m" * 65531 + " v=1 1000")
    add("meas-escaped-comma-only", "\\, v=1 1000")
    add("meas-underscore", "_cpu v=1 1000")

    # ---- §1.3 tags -----------------------------------------------------------------------
    add("tag-plain", "cpu,host=a v=1 1000")
    add("tag-two", "cpu,host=a,region=b v=1 1000")
    add("tag-unsorted", "cpu,region=b,host=a v=1 1000")
    add("tag-sorting-bytewise", "cpu,b=1,B=2,a=3,_=4 v=1 1000")
    add("tag-trailing-comma-eol", "cpu,")
    add("tag-comma-space", "cpu, v=1 1000")
    add("tag-missing-key", "cpu,=a v=1 1000")
    add("tag-trailing-comma", "cpu,host=a, v=1 1000")
    add("tag-no-equals", "cpu,host v=1 1000")
    add("tag-empty-value", "cpu,host= v=1 1000")
    add("tag-double-equals", "cpu,host=a=b v=1 1000")
    add("tag-then-eol", "cpu,host=a")
    add("tag-then-space-eol", "cpu,host=a ")
    add("tag-duplicate", "cpu,host=a,host=b v=1 1000")
    add("tag-duplicate-same-value", "cpu,host=a,host=a v=1 1000")
    add("tag-duplicate-unsorted", "cpu,host=a,z=1,host=b v=1 1000")
    add("tag-escaped-comma-key", "cpu,ho\\,st=a v=1 1000")
    add("tag-escaped-space-key", "cpu,ho\\ st=a v=1 1000")
    add("tag-escaped-equals-key", "cpu,ho\\=st=a v=1 1000")
    add("tag-escaped-comma-value", "cpu,host=a\\,b v=1 1000")
    add("tag-escaped-space-value", "cpu,host=a\\ b v=1 1000")
    add("tag-escaped-equals-value", "cpu,host=a\\=b v=1 1000")
    add("tag-escaped-quote", 'cpu,t\\"k=v\\"x v=1 1000')
    add("tag-double-backslash", "cpu,t\\\\k=v\\\\x v=1 1000")
    add("tag-backslash-n", "cpu,t=a\\nb v=1 1000")
    add("tag-unescaped-quotes", 'cpu,tag="q" v=1 1000')
    add("tag-value-trailing-backslash", "cpu,tk=v\\ v=1 1000")
    add("tag-value-trailing-double-backslash", "cpu,tk=v\\\\ v=1 1000")
    add("tag-value-backslash-before-comma", "cpu,a=x\\\\,b=y v=1 1000")
    add("tag-value-unicode", "cpu,host=Zürich,loc=東京 v=1 1000")
    add("tag-key-time", "cpu,time=1 v=1 1000")
    add("tag-key-time-with-other", "cpu,host=a,time=x v=1 1000\ncpu,host=b v=2 2000")
    add("tag-key-underscore-measurement", "cpu,_measurement=x v=1 1000")
    add("tag-key-underscore-field", "cpu,_field=x v=1 1000")
    add("tag-value-hash", "cpu,t=#x v=1 1000")
    add("tag-value-leading-space-escaped", "cpu,t=\\ x v=1 1000")
    add("tags-99", f"cpu,{_tags(99)} v=1 1000")
    add("tags-100", f"cpu,{_tags(100)} v=1 1000", diff="tag_count_panic")
    add("tags-101", f"cpu,{_tags(101)} v=1 1000")
    add("tags-199", f"cpu,{_tags(199)} v=1 1000")
    add("tags-200", f"cpu,{_tags(200)} v=1 1000", diff="tag_count_panic")
    add("tags-201", f"cpu,{_tags(201)} v=1 1000")
    add("series-key-65530", "m,k=" + "a" * 65526 + " v=1 1000")
    add("series-key-65531", "m,k=" + "a" * 65527 + " v=1 1000")
    add("series-key-65535", "m,k=" + "a" * 65531 + " v=1 1000")
    add("series-key-65536", "m,k=" + "a" * 65532 + " v=1 1000")
    add("series-key-plus-long-field", "m,k=" + "a" * 60000 + " " + "f" * 5600 + "=1 1000")
    add("tag-value-long-30000", "m,k=" + "a" * 30000 + " v=1 1000")

    # ---- §1.4 field set and keys ---------------------------------------------------------
    add("fields-none-space", "cpu ")
    add("field-no-equals", "cpu value")
    add("field-no-value", "cpu value=")
    add("field-no-value-ts", "cpu value= 1000")
    add("field-no-key", "cpu =1")
    add("field-second-no-key", "cpu value=1,=2")
    add("field-trailing-comma", "cpu value=1,")
    add("field-second-no-equals", "cpu value=1,b")
    add("field-comma-space", "cpu a=1, b=2")
    add("field-space-comma", "cpu a=1 ,b=2")
    add("field-many", 'cpu a=1,b=2i,c=true,d="x",e=-1.5e3 1000')
    add("field-escaped-comma-key", "cpu f\\,k=1 1000")
    add("field-escaped-space-key", "cpu f\\ k=1 1000")
    add("field-escaped-equals-key", "cpu f\\=k=1 1000")
    add("field-escaped-quote-key", 'cpu f\\"k=1 1000')
    add("field-double-backslash-key", "cpu f\\\\k=1 1000")
    add("field-backslash-other-key", "cpu f\\k=1 1000")
    add("field-unescaped-quote-key", 'cpu f"k=1 1000')
    add("field-key-unicode", "cpu 温度=1 1000")
    add("field-duplicate", "cpu v=1,v=2 1000")
    add("field-duplicate-three", "cpu v=1,w=5,v=3 1000")
    add("field-duplicate-types", "cpu v=1i,v=2.5 1000", diff="batch_type_conflict")
    add("field-key-time-only", "cpu time=1 1000")
    add("field-key-time-and-other", "cpu time=1,v=2 1000")
    add("field-key-time-string", 'cpu time="x",v=2 1000')
    add("field-key-hash", "cpu #=1 1000")
    add("field-key-long", "cpu " + "f" * 60000 + "=1 1000")
    add("field-key-long-over", "cpu " + "f" * 65535 + "=1 1000")
    add("tag-field-same-name", "cpu,host=a host=1i 1000")
    add("tag-field-same-name-string", 'cpu,host=a host="b",v=1 1000')
    add("tag-field-same-name-two-lines", "cpu,host=a v=1 1000\ncpu host=2 2000")

    # ---- §2.1 floats -----------------------------------------------------------------------
    floats_ok = [
        "1",
        "-1",
        "1.5",
        ".5",
        "-.5",
        "5.",
        "01",
        "00.1",
        "1e5",
        "1E5",
        "1e+5",
        "1e-5",
        "-1.5e10",
        "1.5E-3",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "-1.7976931348623157e308",
        "1e-400",
        "0",
        "-0",
        "0.1",
        "4.9e-324",
        "9007199254740993",
        "1.0",
        "0e0",
        "1e0",
        "-0.0",
    ]
    for i, v in enumerate(floats_ok):
        add(f"float-ok-{i:02d}", f"cpu v={v} 1000")
    floats_bad = [
        "+1",
        "+1.5",
        "1.1.1",
        "--1",
        "1-",
        "0x10",
        "1_000",
        "-",
        "1e",
        "1e5.5",
        "1e400",
        "-1e400",
        "NaN",
        "nan",
        "-Inf",
        "Inf",
        "inf",
        "e5",
        "1.5.",
        ".",
        "-.",
        "1e+",
        "1,5",
        "1f",
        "1d",
    ]
    for i, v in enumerate(floats_bad):
        add(f"float-bad-{i:02d}", f"cpu v={v} 1000")

    # ---- §2.2 integers ---------------------------------------------------------------------
    ints_ok = ["1i", "-1i", "007i", "9223372036854775807i", "-9223372036854775808i", "0i", "-0i"]
    for i, v in enumerate(ints_ok):
        add(f"int-ok-{i:02d}", f"cpu v={v} 1000")
    ints_bad = [
        "9223372036854775808i",
        "-9223372036854775809i",
        "1.5i",
        "1e5i",
        "1.0e5i",
        "1ii",
        "1iu",
        "9i10",
        "0x10i",
        "+1i",
        "i",
        "-i",
        "1I",
        "99999999999999999999999i",
    ]
    for i, v in enumerate(ints_bad):
        add(f"int-bad-{i:02d}", f"cpu v={v} 1000")

    # ---- §2.3 unsigned (1.x refuses them) ---------------------------------------------------
    for i, v in enumerate(
        ["1u", "0u", "18446744073709551615u", "18446744073709551616u", "-1u", "1.5u", "1U"]
    ):
        add(f"uint-{i:02d}", f"cpu v={v} 1000", diff="unsigned")

    # ---- §2.4 booleans ---------------------------------------------------------------------
    for i, v in enumerate(["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"]):
        add(f"bool-ok-{i:02d}", f"cpu v={v} 1000")
    for i, v in enumerate(
        [
            "tRUE",
            "TRue",
            "trUe",
            "FaLse",
            "tr",
            "fals",
            "truee",
            "yes",
            "1b",
            "abc",
            "'x'",
            "y",
            "falsey",
            "t1",
        ]
    ):
        add(f"bool-bad-{i:02d}", f"cpu v={v} 1000")

    # ---- §1.5 / §2.5 strings -----------------------------------------------------------------
    add("str-plain", 'cpu s="hello" 1000')
    add("str-empty", 'cpu s="" 1000')
    add("str-escaped-quote", 'cpu s="a\\"b" 1000')
    add("str-escaped-backslash", 'cpu s="a\\\\b" 1000')
    add("str-backslash-other", 'cpu s="a\\b" 1000')
    add("str-backslash-n", 'cpu s="a\\nb" 1000')
    add("str-literal-newline", 'cpu s="line1\nline2" 1000')
    add("str-literal-newline-then-line", 'cpu s="l1\nl2" 1000\ncpu v=2 2000')
    add("str-literal-crlf", 'cpu s="l1\r\nl2" 1000')
    add("str-separators-inside", 'cpu s="a,b c=d" 1000')
    add("str-only-escaped-quote", 'cpu s="\\"" 1000')
    add("str-unterminated-escaped", 'cpu s="\\" 1000')
    add("str-unterminated", 'cpu s="abc 1000')
    add("str-unterminated-eol", 'cpu s="abc')
    add("str-quote-in-middle", 'cpu s="a"b" 1000')
    add("str-junk-after", 'cpu s="abc"x 1000', diff="junk_after_string")
    add("str-junk-after-no-ts", 'cpu s="abc"x', diff="junk_after_string")
    add("str-then-field", 'cpu s="abc",v=1 1000')
    add("str-unicode", 'cpu s="héllo wörld ✓" 1000')
    add("str-trailing-backslash-before-quote", 'cpu s="abc\\\\" 1000')
    add("str-three-backslashes-quote", 'cpu s="a\\\\\\"b" 1000')
    add("str-hash", 'cpu s="# not a comment" 1000')
    add("str-tab", 'cpu s="a\tb" 1000')
    add("str-json", 'cpu s="{\\"k\\": [1, 2]}" 1000')
    add("str-70k", 'cpu s="' + "x" * 70000 + '" 1000')
    add("str-1mib-plus", 'cpu s="' + "y" * (1048576 + 10) + '" 1000', diff="string_too_long")
    add("str-single-quotes", "cpu s='abc' 1000")
    add("str-newline-in-tag-is-line-break", 'cpu,t="a\nb" v=1 1000')
    add("str-quote-before-equals-in-measurement", 'c"p,u v="x" 1000')

    # ---- §1.6 / §3 timestamps and precision ----------------------------------------------------
    ts_cases = [
        ("ts-zero", "0"),
        ("ts-negative", "-100"),
        ("ts-leading-zeros", "0001000"),
        ("ts-min", "-9223372036854775806"),
        ("ts-max", "9223372036854775806"),
        ("ts-below-min", "-9223372036854775807"),
        ("ts-int64-min", "-9223372036854775808"),
        ("ts-int64-max", "9223372036854775807"),
        ("ts-overflow", "99999999999999999999"),
        ("ts-neg-overflow", "-99999999999999999999"),
        ("ts-float", "1.5"),
        ("ts-exp", "1e9"),
        ("ts-alpha", "abc"),
        ("ts-dash", "-"),
        ("ts-plus", "+100"),
        ("ts-hex", "0x10"),
        ("ts-trailing-junk", "100x"),
        ("ts-two", "100 200"),
        ("ts-unicode-digit", "١٢٣"),
    ]
    for cid, ts in ts_cases:
        add(cid, f"cpu v=1 {ts}")
    precision_limits = {
        "n": ["9223372036854775806", "-9223372036854775806", "9223372036854775807"],
        "u": [
            "9223372036854775",
            "9223372036854776",
            "-9223372036854775",
            "-9223372036854776",
            "1",
        ],
        "ms": ["9223372036854", "9223372036855", "-9223372036854", "-9223372036855", "1"],
        "s": ["9223372036", "9223372037", "-9223372036", "-9223372037", "1"],
        "m": ["153722867", "153722868", "-153722867", "-153722868", "1"],
        "h": ["2562047", "2562048", "-2562047", "-2562048", "1"],
    }
    for p, values in precision_limits.items():
        for i, ts in enumerate(values):
            add(f"precision-{p}-{i}", f"cpu v=1 {ts}", precision=p)
    # 1.6.7 does not validate precision (docs/spec.md §10): these names show what it does instead.
    for p in ["ns", ""]:
        add(f"precision-name-{p or 'empty'}", "cpu v=1 1000", precision=p)
    for p in ["us", "µ", "bogus", "S", "MS"]:
        add(f"precision-name-{p}", "cpu v=1 1000", precision=p, diff="precision_not_validated")
    for p in ["n", "u", "ms", "s", "m", "h"]:
        add(f"precision-{p}-no-ts", "cpu v=1\ncpu,t=x v=2", precision=p)
    add("no-ts-two-points-same-series", "cpu v=1\ncpu v=2,w=3")
    add("no-ts-and-ts-mixed", "cpu v=1\ncpu v=2 1000")

    # ---- invalid UTF-8 (the body is sent as bytes) -------------------------------------------
    add("utf8-bad-measurement", b"cp\xffu v=1 1000", diff="invalid_utf8_name")
    add("utf8-bad-tag-key", b"cpu,h\xfeost=a v=1 1000")
    add("utf8-bad-tag-value", b"cpu,host=a\xfeb v=1 1000")
    add("utf8-bad-field-key", b"cpu v\xff=1 1000", diff="invalid_utf8_name")
    add("utf8-bad-string", b'cpu s="a\xfdb" 1000')
    add("utf8-truncated-sequence-string", b'cpu s="a\xe2\x82" 1000')
    add("utf8-overlong-string", b'cpu s="\xc0\xaf" 1000')
    add("utf8-surrogate-string", b'cpu s="\xed\xa0\x80" 1000')
    add("utf8-bad-in-error-line", b"cpu\xff v=bad 1000")
    add("utf8-bom", b"\xef\xbb\xbfcpu v=1 1000")

    # ---- many lines, mixing good and bad -----------------------------------------------------
    add("mixed-good-bad", "cpu v=1 1000\nbad line\ncpu v=2 2000\nalso bad=\n")
    add("mixed-all-bad", "bad line\nalso bad=\n,x v=1")
    add("mixed-bad-first", "cpu\ncpu v=1 1000")
    add("mixed-bad-last-no-newline", "cpu v=1 1000\ncpu v=")
    add("mixed-comment-bad-good", "# c\ncpu v=x 1000\ncpu v=3 3000")
    add("mixed-bad-with-leading-ws", "  \tcpu v=? 1000\ncpu v=1 1000")
    add(
        "mixed-types-across-shards",
        'm v=1 0\nm v="s" 1000000000000000000',
        diff="type_per_shard_group",
    )
    add("mixed-types-same-shard", 'm v=1 1000\nm v="s" 2000', diff="batch_type_conflict")
    add(
        "mixed-types-same-shard-plus-bad",
        "m v=1 1000\nbad\nm v=2i 2000",
        diff="batch_type_conflict",
    )
    add("mixed-many-measurements", 'a v=1 1\nb v=2i 2\nc v=true 3\nd v="s" 4')
    add("overwrite-in-batch", "cpu,h=a v=1,w=1 1000\ncpu,h=a v=2 1000")
    add("overwrite-tag-order", "cpu,a=1,b=2 v=1 1000\ncpu,b=2,a=1 w=2 1000")
    add("widening-in-batch", 'cpu v=1 1000\ncpu,h=a w=2i 2000\ncpu,h=b,z=c x="s" 3000')
    add("same-point-repeated", "cpu v=1 1000\ncpu v=1 1000\ncpu v=1 1000")
    add("escape-at-end-of-body", "cpu v=1 1000\\")
    add("escape-newline-in-measurement", "cp\\\nu v=1 1000")
    add("escape-newline-in-tag", "cpu,t=a\\\nb v=1 1000")
    add("quote-newline-in-tag-value-eq", 'cpu,t=x v="a\nb",w="c\nd" 1000')
    add("many-lines-100", "".join(f"m,i={i % 7} v={i}i {1000 + i}\n" for i in range(100)))
    add("unescaped-quote-in-field-key-then-newline", 'cpu a"b=1 1000\ncpu v=2 2000')
    add("string-with-equals-count", 'cpu a="x=y,z" 1000\ncpu b=1 1000')
    add("field-key-with-equals-before-quote", 'cpu a\\=="q" 1000')
    return c
