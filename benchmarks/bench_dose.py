"""Dose-estimator benchmark: what ``nphotons-inconsistent`` adds to the value scan, in one run.

    python benchmarks/bench_dose.py            # the ~250 MB dataset of bench_engine.py
    python benchmarks/bench_dose.py --quick    # its 25 MB dataset, more repetitions

The dataset (built on first use, shared with ``bench_engine.py``) records nphotons = 1e9, so a
STRICT value scan feeds every diffraction chunk to the estimator. Printed, from medians of
paired repetitions (both variants run in turn in every repetition, warm page cache):

1. value scan with the estimator vs the same scan with the rules that read it off
   (``nphotons-inconsistent``, ``intensity-not-amplitude``, ``mixed-dose``; target: at most
   1.10x the time);
2. the standalone ``estimate_nphotons`` (one streamed pass over the frames) vs plain ``zipfile``
   inflation of the diffraction member alone (how much of a pass is the estimator's own work);
3. the estimate itself against the simulation's true mean photons per pattern (within 2%).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import dataset, inflate, paired_medians  # noqa: E402

RULE = "nphotons-inconsistent"
#: The rules that read the estimate; with all of them off the value scan skips it.
OFF = {RULE: "off", "intensity-not-amplitude": "off", "mixed-dose": "off"}


def run(quick: bool) -> list[tuple[str, str, str, bool]]:
    from pytest_npzcontract import check_file, estimate_nphotons, inspect_npz, load_npz

    path = dataset(25 if quick else 250)
    reps = 9 if quick else 5
    with_rule = check_file(path, values=True)
    without = check_file(path, values=True, rule_levels=OFF)
    assert with_rule.ok and without.ok, "the benchmark dataset must be clean"
    estimate = estimate_nphotons(path)
    _, metadata = load_npz(path) if quick else (None, None)
    truth = (metadata or {}).get("simulation_parameters", {}).get("photons_per_pattern")
    member = {inspect_npz(path)["diffraction"].member}
    inflate(path, member)  # warm the page cache

    t = paired_medians({"off": lambda: check_file(path, values=True, rule_levels=OFF),
                        "on": lambda: check_file(path, values=True)}, reps)
    t |= paired_medians({"inflate": lambda: inflate(path, member),
                         "estimate": lambda: estimate_nphotons(path)}, reps)
    size = f"{path.stat().st_size / 1e6:.0f} MB"
    print(f"dataset {path.name}: {size}; estimate {estimate.text()}")
    print(f"value scan: rule off {t['off']:.3f} s, with estimator {t['on']:.3f} s; "
          f"diffraction inflate {t['inflate']:.3f} s, estimate_nphotons {t['estimate']:.3f} s")
    ratio = t["on"] / t["off"]
    rows = [
        (f"value scan with / without estimator ({size})", f"{ratio:.3f}x", "<= 1.10x",
         ratio <= 1.10),
        ("estimate_nphotons / inflating the frames", f"{t['estimate'] / t['inflate']:.2f}x",
         "(info)", True),
    ]
    reference = truth or 1e9
    off = abs(estimate.value / reference - 1) if estimate.value else float("inf")
    rows.append(("estimate vs " + ("true photons/pattern" if truth else "recorded 1e9"),
                 f"{100 * off:.3f}%", "<= 2%", off <= 0.02))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 25 MB dataset")
    args = parser.parse_args(argv)
    rows = run(args.quick)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'measured':>10}  {'target':>9}  result")
    for name, measured, target, passed in rows:
        print(f"{name:<{width}}  {measured:>10}  {target:>9}  {'PASS' if passed else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
