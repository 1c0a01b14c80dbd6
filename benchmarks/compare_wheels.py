"""Compare two wheels member by member (names and bytes), ignoring zip timestamps.

    python benchmarks/compare_wheels.py OLD_WHEELHOUSE NEW_WHEELHOUSE
    python benchmarks/compare_wheels.py old.whl new.whl

With folders, every wheel name present in both is compared. Prints one line per wheel and per
differing member; exits 1 when anything differs. Used to show that a refactor builds the same
wheels (the build records' timestamps and timings are not part of a wheel).
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path


def members(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return {info.filename: hashlib.sha256(zf.read(info)).hexdigest() for info in zf.infolist()}


def compare(old: Path, new: Path) -> list[str]:
    a, b = members(old), members(new)
    problems = [f"  only in {old.name} (old): {n}" for n in sorted(a.keys() - b.keys())]
    problems += [f"  only in {new.name} (new): {n}" for n in sorted(b.keys() - a.keys())]
    problems += [f"  differs: {n}" for n in sorted(a.keys() & b.keys()) if a[n] != b[n]]
    return problems


def pairs(old: Path, new: Path) -> list[tuple[Path, Path]]:
    if old.is_file() and new.is_file():
        return [(old, new)]
    names = sorted({p.name for p in old.glob("*.whl")} & {p.name for p in new.glob("*.whl")})
    return [(old / name, new / name) for name in names]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    found = pairs(Path(argv[0]), Path(argv[1]))
    if not found:
        print("no wheel names in common", file=sys.stderr)
        return 1
    failed = False
    for old, new in found:
        problems = compare(old, new)
        failed |= bool(problems)
        count = len(members(old))
        print(f"{'DIFFERS' if problems else 'same   '} {old.name} ({count} members)")
        for line in problems:
            print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
