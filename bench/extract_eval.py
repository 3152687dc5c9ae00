#!/usr/bin/env python3
"""Score the plan extractor against the hand-written corpus.

Usage (from the repository root; no arguments needed):
    python bench/extract_eval.py [--corpus DIR] [--seeds DIR] [--check] [-v]

For each document in the corpus (a JSON file with a seed text of the same stem)
it runs `tracker.extract.extract_plan` and prints precision and recall per kind:

- deadlines: dated report / plan_submission / other entries, matched on
  (due, strict_before);
- windows:   window and quarterly_item entries, matched on (start, end);
- events:    event entries, matched on the date, or (start, end) for a month;
- units:     the corpus `units` list vs the draft's unit names, matched on the
  normalised name (`tracker.extract.name_key`: NFC, casefold, spaces
  collapsed, hyphens and "TB&XH"-style abbreviations unified).

Ground truth and predictions are both collapsed to distinct items per kind
before scoring (corpus README: "collapse entries on (kind, due, start, end)").
`--check` exits 1 when a target on the totals is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.extract import extract_plan, name_key  # noqa: E402

KINDS = ("deadlines", "windows", "events", "units")
# (kind, metric) -> minimum on the totals
TARGETS = {
    ("deadlines", "recall"): 0.95, ("deadlines", "precision"): 0.90,
    ("windows", "recall"): 0.95, ("windows", "precision"): 0.90,
    ("units", "recall"): 0.90,
}


def truth_sets(gt: dict) -> dict[str, set]:
    out: dict[str, set] = {k: set() for k in KINDS}
    for o in gt.get("obligations", []):
        kind = o.get("kind")
        if kind in ("report", "plan_submission", "other") and o.get("due"):
            out["deadlines"].add((o["due"], bool(o.get("strict_before"))))
        elif kind in ("window", "quarterly_item") and o.get("start") and o.get("end"):
            out["windows"].add((o["start"], o["end"]))
        elif kind == "event":
            if o.get("due"):
                out["events"].add((o["due"],))
            elif o.get("start") and o.get("end"):
                out["events"].add((o["start"], o["end"]))
    out["units"] = {name_key(u) for u in gt.get("units", [])}
    return out


def predicted_sets(draft: dict) -> dict[str, set]:
    out: dict[str, set] = {k: set() for k in KINDS}
    for o in draft.get("obligations", []):
        if o["kind"] == "deadline":
            out["deadlines"].add((o["due"], bool(o.get("strict_before"))))
        elif o["kind"] == "window" and o.get("category") == "event":
            out["events"].add((o["start"], o["end"]))  # a month such as "tháng 6"
        elif o["kind"] == "window":
            out["windows"].add((o["start"], o["end"]))
        elif o["kind"] == "event":
            out["events"].add((o["date"],))
    out["units"] = {name_key(u["name"]) for u in draft.get("units", [])}
    return out


def prf(truth: set, pred: set) -> tuple[int, int, int]:
    return len(truth & pred), len(pred), len(truth)


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false hits")
    args = ap.parse_args(argv)

    docs = sorted(p for p in args.corpus.glob("*.json") if (args.seeds / f"{p.stem}.txt").exists())
    if not docs:
        print(f"no corpus documents with seeds in {args.corpus} / {args.seeds}", file=sys.stderr)
        return 1 if args.check else 0

    totals = {k: [0, 0, 0] for k in KINDS}
    header = f"{'document':<24}" + "".join(f"{k + ' P/R':>22}" for k in KINDS)
    print(header)
    print("-" * len(header))
    for path in docs:
        gt = json.loads(path.read_text(encoding="utf-8"))
        text = (args.seeds / f"{path.stem}.txt").read_text(encoding="utf-8")
        truth, pred = truth_sets(gt), predicted_sets(extract_plan(text))
        cells = []
        for k in KINDS:
            tp, np_, nt = prf(truth[k], pred[k])
            for i, v in enumerate((tp, np_, nt)):
                totals[k][i] += v
            cells.append(f"{ratio(tp, np_):.2f}/{ratio(tp, nt):.2f} ({tp}/{np_}/{nt})")
        print(f"{path.stem[:24]:<24}" + "".join(f"{c:>22}" for c in cells))
        if args.verbose:
            for k in KINDS:
                for miss in sorted(truth[k] - pred[k]):
                    print(f"    missed {k[:-1]}: {miss}")
                for extra in sorted(pred[k] - truth[k]):
                    print(f"    extra  {k[:-1]}: {extra}")
    print("-" * len(header))
    cells = []
    for k in KINDS:
        tp, np_, nt = totals[k]
        cells.append(f"{ratio(tp, np_):.2f}/{ratio(tp, nt):.2f} ({tp}/{np_}/{nt})")
    print(f"{'TOTAL':<24}" + "".join(f"{c:>22}" for c in cells))
    print("(cells: precision/recall (matched/predicted/truth), distinct items per kind)")

    missed = []
    for (k, metric), target in TARGETS.items():
        tp, np_, nt = totals[k]
        value = ratio(tp, np_) if metric == "precision" else ratio(tp, nt)
        status = "ok" if value >= target else "MISSED"
        if value < target:
            missed.append(f"{k} {metric}")
        print(f"target {k:<9} {metric:<9} >= {target:.2f}: {value:.2f} {status}")
    if missed:
        print("targets missed: " + ", ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
