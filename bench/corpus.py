"""Deterministic line-protocol corpora for influxlp's benchmarks.

Three corpora, each generated from a fixed seed so that every run (Python or Rust) parses the
same bytes:

- ``telegraf``: Telegraf's ``cpu`` input: tags ``cpu``, ``host``, ``region`` (sorted, as Telegraf
  writes them) and ten float fields computed from jiffy counts as Telegraf computes them (full
  precision, ``0`` for idle counters), 500 series, strictly increasing nanosecond timestamps.
- ``mixed``: three measurements that use every value type and every escape: escaped measurement,
  tag and field names (space, comma, equals sign), strings with escaped quotes and backslashes,
  ``i`` integers, ``u`` unsigned, every boolean spelling, floats in plain and exponent notation,
  optional fields (so columns have nulls).
- ``iot``: narrow lines ``sensor,id=N temp=21.5 <ts>`` from 10,000 sensors.

Use from Python::

    import corpus
    data = corpus.load("telegraf", 1_000_000)      # bytes, cached under target/bench-corpus

or write the files the Rust benchmark reads::

    python3 bench/corpus.py write --lines 100000 telegraf mixed iot
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

# Bumped whenever a generator changes, so that stale cached files are never reused.
VERSION = 1

# 2023-11-14T22:13:20Z: inside every retention policy's reach and InfluxDB's time range.
BASE_TIME_NS = 1_700_000_000_000_000_000

TELEGRAF_FIELDS = (
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
)
TELEGRAF_REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1")
TELEGRAF_HOSTS = 100
TELEGRAF_CPUS = ("cpu-total", "cpu0", "cpu1", "cpu2", "cpu3")
# Telegraf's default interval is 10 s; one gather of all 500 series spreads over it.
TELEGRAF_SERIES = TELEGRAF_HOSTS * len(TELEGRAF_CPUS)
TELEGRAF_STEP_NS = 10_000_000_000 // TELEGRAF_SERIES

IOT_SENSORS = 10_000
IOT_STEP_NS = 1_000_000

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = REPO_ROOT / "target" / "bench-corpus"


def _go_float(value: float) -> str:
    """A float as Go's ``strconv.FormatFloat(v, 'f', -1, 64)`` writes it (Telegraf's encoder)."""
    if value == 0:
        return "0"
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(value, ".17f").rstrip("0").rstrip(".")
    elif text.endswith(".0"):
        text = text[:-2]
    return text


def telegraf_lines(count: int, seed: int = 1) -> Iterator[str]:
    """Telegraf ``cpu`` lines: 3 tags, 10 float fields, increasing timestamps."""
    rng = random.Random(seed)
    series = []
    for host in range(TELEGRAF_HOSTS):
        region = TELEGRAF_REGIONS[host % len(TELEGRAF_REGIONS)]
        for cpu in TELEGRAF_CPUS:
            series.append(f"cpu,cpu={cpu},host=host-{host:03d},region={region} ")
    # Per-series load level so that series differ the way real machines do.
    busy = [rng.uniform(0.02, 0.6) for _ in series]
    for i in range(count):
        s = i % TELEGRAF_SERIES
        # Jiffies over one 10 s interval at 100 Hz; cpu-total sums four cpus.
        total = rng.randint(995, 1005) * (4 if s % len(TELEGRAF_CPUS) == 0 else 1)
        used = int(total * min(0.98, max(0.0, rng.gauss(busy[s], 0.05))))
        user = int(used * rng.uniform(0.5, 0.8))
        system = int((used - user) * rng.uniform(0.6, 0.9))
        iowait = int((used - user - system) * rng.uniform(0.0, 0.7))
        softirq = int((used - user - system - iowait) * rng.uniform(0.0, 0.9))
        irq = used - user - system - iowait - softirq
        nice = rng.randint(0, 2) if rng.random() < 0.1 else 0
        steal = rng.randint(0, 3) if rng.random() < 0.05 else 0
        idle = total - used - nice - steal
        values = (user, system, idle, nice, iowait, irq, softirq, steal, 0, 0)
        fields = ",".join(
            f"{name}={_go_float(100.0 * v / total)}"
            for name, v in zip(TELEGRAF_FIELDS, values, strict=True)
        )
        yield f"{series[s]}{fields} {BASE_TIME_NS + i * TELEGRAF_STEP_NS}\n"


_BOOLEAN_SPELLINGS = ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE")
_WORDS = ("disk", "full", "a=b", "x,y", "two words", "é-ü", "tab\tin", "100%", "{json}", "")


def _escape_name(text: str) -> str:
    """Escapes a tag key, tag value or field key (comma, equals sign, space)."""
    return text.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _escape_string(text: str) -> str:
    """Escapes a string field value (double quote and backslash)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _float_text(rng: random.Random) -> str:
    value = rng.uniform(-1000.0, 1000.0)
    style = rng.randrange(4)
    if style == 0:
        return repr(round(value, 3))
    if style == 1:
        return f"{value:.6e}"
    if style == 2:
        return f"{value:.3E}"
    return str(int(value))  # a bare number is a float in line protocol


def _message(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 6))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), 'said "hello"')
    if rng.random() < 0.3:
        words.append("C:\\temp\\")
    return " ".join(words)


def mixed_lines(count: int, seed: int = 2) -> Iterator[str]:
    """Every value type and escape, in three measurements with fixed field types."""
    rng = random.Random(seed)
    hosts = [_escape_name(f"web {n}, rack={n % 7}") for n in range(50)]
    paths = [_escape_name(p) for p in ("/", "/api/v1/write", "/a b", "/x,y", "/k=v", "/ü")]
    for i in range(count):
        ts = BASE_TIME_NS + i * 1_000_000
        kind = i % 3
        if kind == 0:
            head = f"disk\\ io,dev\\ name=sd{chr(97 + i % 4)}\\,p{i % 3},host={rng.choice(hosts)}"
            fields = [
                f"reads={rng.randrange(10**9)}i",
                f"writes={rng.randrange(2**63, 2**64)}u",
                f"util\\ pct={_float_text(rng)}",
                f"ok={rng.choice(_BOOLEAN_SPELLINGS)}",
            ]
            if rng.random() < 0.7:
                fields.append(f'label="{_escape_string(_message(rng))}"')
        elif kind == 1:
            path_tag, status = rng.choice(paths), rng.choice((200, 404, 500))
            head = f"http\\,requests,path={path_tag},status\\=code={status}"
            fields = [
                f"latency\\,ms={_float_text(rng)}",
                f"bytes={rng.randrange(-(2**40), 2**40)}i",
                f'msg="{_escape_string(_message(rng))}"',
            ]
            if rng.random() < 0.5:
                fields.append(f"retries={rng.randrange(5)}u")
            if rng.random() < 0.5:
                fields.append(f"cached={rng.choice(_BOOLEAN_SPELLINGS)}")
        else:
            head = f"weather\\ station,site=s{i % 97}"
            fields = [f"temp\\=c={_float_text(rng)}", f"humidity={rng.uniform(0, 1):.4e}"]
            if rng.random() < 0.4:
                fields.append(f"raining={rng.choice(_BOOLEAN_SPELLINGS)}")
        rng.shuffle(fields)
        yield f"{head} {','.join(fields)} {ts}\n"


def iot_lines(count: int, seed: int = 3) -> Iterator[str]:
    """Narrow sensor lines: one tag, one float field."""
    rng = random.Random(seed)
    temps = [rng.uniform(15.0, 30.0) for _ in range(IOT_SENSORS)]
    for i in range(count):
        sensor = i % IOT_SENSORS
        temps[sensor] += rng.choice((-0.1, 0.0, 0.1))
        yield f"sensor,id={sensor} temp={temps[sensor]:.1f} {BASE_TIME_NS + i * IOT_STEP_NS}\n"


CORPORA = {"telegraf": telegraf_lines, "mixed": mixed_lines, "iot": iot_lines}


def generate(name: str, lines: int) -> bytes:
    """The first ``lines`` lines of corpus ``name``, newline-terminated, as UTF-8 bytes."""
    return "".join(CORPORA[name](lines)).encode()


def path(name: str, lines: int, cache_dir: os.PathLike | str | None = None) -> Path:
    """The file holding ``generate(name, lines)``, written on first use."""
    directory = Path(cache_dir or os.environ.get("INFLUXLP_BENCH_CORPUS") or DEFAULT_CACHE_DIR)
    target = directory / f"{name}-{lines}-v{VERSION}.lp"
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".tmp{os.getpid()}")
        with open(partial, "w", encoding="utf-8", newline="") as out:
            chunk: list[str] = []
            for line in CORPORA[name](lines):
                chunk.append(line)
                if len(chunk) == 100_000:
                    out.write("".join(chunk))
                    chunk.clear()
            out.write("".join(chunk))
        partial.replace(target)
    return target


def load(name: str, lines: int, cache_dir: os.PathLike | str | None = None) -> bytes:
    """``generate(name, lines)``, read from the cached file (written on first use)."""
    return path(name, lines, cache_dir).read_bytes()


def split_batches(data: bytes, lines_per_batch: int) -> list[bytes]:
    """Splits newline-terminated ``data`` into bodies of ``lines_per_batch`` lines."""
    batches = []
    start = 0
    while start < len(data):
        end = start
        for _ in range(lines_per_batch):
            end = data.find(b"\n", end) + 1
            if end == 0:
                end = len(data)
                break
            if end == len(data):
                break
        batches.append(data[start:end])
        start = end
    return batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write", help="write corpus files (cached) and print their paths")
    write.add_argument("corpora", nargs="*", help=f"any of {', '.join(CORPORA)} (default: all)")
    write.add_argument("--lines", type=int, default=1_000_000)
    write.add_argument("--dir", help=f"output directory (default {DEFAULT_CACHE_DIR})")
    show = sub.add_parser("show", help="print the first lines of a corpus")
    show.add_argument("corpus", choices=list(CORPORA))
    show.add_argument("--lines", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "write":
        unknown = [name for name in args.corpora if name not in CORPORA]
        if unknown:
            parser.error(f"unknown corpus: {', '.join(unknown)}")
        for name in args.corpora or list(CORPORA):
            print(path(name, args.lines, args.dir))
    else:
        sys.stdout.write(generate(args.corpus, args.lines).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
