"""Per-module mutation score from the last ``mutmut run`` (its ``mutants/**/*.meta`` files),
with the equivalent mutants listed in ``benchmarks/mutation-equivalents.md`` set apart.

    python benchmarks/mutation_score.py            # every mutated module
    python benchmarks/mutation_score.py --survivors   # also list survivors not known equivalent

Score = killed / (mutants - equivalent); a timeout counts as killed (the mutant hung the
tests); "other" (no tests, suspicious) and "unchecked" (not run yet) count as not killed. Exit status 1 when a module is below
``--target`` (default 95%)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "benchmarks" / "mutation-equivalents.md"
KILLED = {1, 3, 36, -24, 24, 152, 255}  # mutmut's exit codes for killed and timeout


def equivalents() -> set[str]:
    """Mutant names listed as ``- `name`: reason`` in the equivalents file."""
    if not EQUIVALENTS.exists():
        return set()
    return set(re.findall(r"^- `([\w.]+__mutmut_\d+)`", EQUIVALENTS.read_text(), re.M))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true")
    parser.add_argument("--target", type=float, default=95.0)
    args = parser.parse_args(argv)
    known = equivalents()
    metas = sorted((ROOT / "mutants").glob("pytest_npzcontract/**/*.py.meta"))
    if not metas:
        print("no mutmut results: run `mutmut run` first", file=sys.stderr)
        return 2
    print(f"{'module':44} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv':>5} "
          f"{'other':>5} {'unchecked':>9} {'score':>6}")
    below, listed, stale = [], [], set(known)
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        module = str(meta.relative_to(ROOT / "mutants"))[:-len(".meta")]
        count = Counter()
        for name, code in codes.items():
            stale.discard(name)
            if code in KILLED:
                count["killed"] += 1
            elif name in known:
                count["equivalent"] += 1
            elif code == 0:
                count["survived"] += 1
                listed.append(name)
            elif code is None:
                count["unchecked"] += 1
            else:
                count["other"] += 1  # no tests, suspicious, segfault
                listed.append(f"{name} (exit {code})")
        relevant = len(codes) - count["equivalent"]
        score = 100.0 * count["killed"] / relevant if relevant else 100.0
        if score < args.target:
            below.append(module)
        print(f"{module:44} {len(codes):7} {count['killed']:6} {count['survived']:8} "
              f"{count['equivalent']:5} {count['other']:5} {count['unchecked']:9} {score:5.1f}%")
    if args.survivors:
        print("\nnot killed and not listed as equivalent:")
        print("\n".join(f"  {name}" for name in listed) or "  none")
    if stale:
        print(f"\n{len(stale)} listed equivalent(s) no longer exist (code changed?): "
              + ", ".join(sorted(stale)[:5]))
    print(f"\nbelow {args.target:g}%: {', '.join(below) or 'none'}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
