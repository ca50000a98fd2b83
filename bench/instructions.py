"""Instructions per line and per byte of the parse path, counted by valgrind's callgrind.

Wall-clock figures on shared cores move with the neighbours' load; instruction counts do not.
For each corpus this runs ``examples/parse_instructions.rs`` (release build) once per pass under
``valgrind --tool=callgrind`` and subtracts the pass that only loads the file:

- ``LineParser``: the grammar alone, every line parsed, nothing built;
- ``parse_batch``: bytes to finished Arrow record batches (what ``influxlp.parse`` does);
- ``gunzip``: inflating the gzip-compressed corpus through flate2, as the file readers do (the
  server inflates a one-member body with libdeflate, which ``HTTP gzip`` counts);
- ``gunzip+batch``: both, and the share of inflating in it;
- ``HTTP plain`` / ``HTTP gzip``: the corpus posted in 5,000-line bodies to ``/write`` of a 1.x
  server through its own connection handling over an in-memory pipe (hyper on both sides,
  routing, inflating, parsing, the store), per stored point; the baseline here is the same run
  up to the first post (bodies cut and compressed, server started).

It also prints the minor page faults of each pass (run natively, not under valgrind).

    python3 bench/instructions.py                 # 50,000 lines of each corpus
    python3 bench/instructions.py --lines 20000 telegraf
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import corpus  # noqa: E402

EXAMPLE = "parse_instructions"
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def build() -> Path:
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", EXAMPLE],
        cwd=common.REPO_ROOT,
        check=True,
    )
    return common.REPO_ROOT / "target" / "release" / "examples" / EXAMPLE


def instructions(binary: Path, path: Path, mode: str) -> int:
    """Instructions callgrind counts for one run of ``mode`` on ``path``."""
    with tempfile.TemporaryDirectory() as out_dir:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out_dir}/callgrind.out",
                str(binary),
                str(path),
                mode,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = COLLECTED.findall(run.stderr)
    if not found:
        raise RuntimeError(f"no instruction count from callgrind:\n{run.stderr[-2000:]}")
    return int(found[-1])


def native(binary: Path, path: Path, mode: str) -> tuple[int, int]:
    """What a pass says it handled (lines, bytes or stored points) and its own minor page
    faults, from a native run (the example reads /proc/self/stat)."""
    out = subprocess.run([str(binary), str(path), mode], capture_output=True, text=True, check=True)
    handled, faults = out.stdout.split()[:2]
    return int(handled), int(faults)


def gzip_copy(path: Path) -> Path:
    """The corpus gzip-compressed (level 6, as clients send it), cached beside it."""
    target = path.with_suffix(path.suffix + ".gz")
    if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
        target.write_bytes(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", default=["telegraf", "mixed", "iot"])
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args(argv)

    common.print_header("parse path: instructions (callgrind)", [])
    binary = build()
    rows = []
    for name in args.corpora:
        plain = corpus.path(name, args.lines)
        packed = gzip_copy(plain)
        size = plain.stat().st_size
        base = instructions(binary, plain, "read")
        base_gz = instructions(binary, packed, "read")
        lines = instructions(binary, plain, "lines") - base
        batch = instructions(binary, plain, "batch") - base
        inflate = instructions(binary, packed, "gunzip") - base_gz
        both = instructions(binary, packed, "gunzip-batch") - base_gz
        faults = native(binary, plain, "batch")[1]
        http = instructions(binary, plain, "http") - instructions(binary, plain, "http-setup")
        http_gz = instructions(binary, plain, "http-gzip") - instructions(
            binary, plain, "http-gzip-setup"
        )
        rows.append(
            [
                name,
                lines / args.lines,
                batch / args.lines,
                batch / size,
                inflate / size,
                both / args.lines,
                f"{100 * inflate / both:.1f} %",
                faults / args.lines,
                http / native(binary, plain, "http")[0],
                http_gz / native(binary, plain, "http-gzip")[0],
            ]
        )
    print(
        f"{args.lines:,} lines of each corpus; instructions per line unless said per byte "
        "(HTTP: per stored point; 1.x refuses mixed's unsigned values)"
    )
    common.print_table(
        [
            "corpus",
            "LineParser",
            "parse_batch",
            "batch/byte",
            "inflate/byte",
            "gunzip+batch",
            "inflate share",
            "faults/line",
            "HTTP plain",
            "HTTP gzip",
        ],
        rows,
    )
    common.print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
