"""The longest Rust functions in a source tree, by lines from `fn` to its closing brace.

Run: ``python bench/longest_functions.py [src] [--most 10]``. Reads files as text: a function
ends where the braces opened after its `fn` line balance again (strings and comments are not
parsed, which is close enough for a size survey).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def functions(path: Path) -> list[tuple[int, str, int]]:
    """(length in lines, name, first line) of each function in a file."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    found = []
    for start, line in enumerate(lines):
        match = FN.match(line)
        if not match:
            continue
        depth, opened = 0, False
        for end in range(start, len(lines)):
            text = lines[end].split("//", 1)[0]
            depth += text.count("{") - text.count("}")
            opened = opened or "{" in text
            if opened and depth <= 0:
                found.append((end - start + 1, match.group(1), start + 1))
                break
            if not opened and text.rstrip().endswith(";"):
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", nargs="?", default="src")
    parser.add_argument("--most", type=int, default=10)
    args = parser.parse_args()
    rows = [
        (length, f"{path}:{line}", name)
        for path in sorted(Path(args.root).rglob("*.rs"))
        for length, name, line in functions(path)
    ]
    rows.sort(key=lambda row: -row[0])
    for length, place, name in rows[: args.most]:
        print(f"{length:5}  {name:32} {place}")


if __name__ == "__main__":
    main()
