#!/usr/bin/env python3
"""Score the plan extractor against hand-written truth: the seeds, then our own fixtures.

Usage (from the repository root; no arguments needed):
    python bench/extract_eval.py [--corpus DIR] [--seeds DIR] [--fixtures DIR] [--check] [-v]
    python bench/extract_eval.py --speed      (large .pdf and .docx against the 10 s target)

Two sets are scored separately:
- the seeds (../shared/seeds, truth in ../shared/corpus): five real plans;
- the evaluation fixtures (tests/fixtures/extract/eval: NAME.txt + NAME.json, the
  same truth format plus `form`, `recurrence` and `unit_from`, see its README):
  layouts the seeds do not have.

Per document and in total it prints precision and recall per kind:
- deadlines: report / plan_submission / other entries with a due date, matched on
  (due, strict_before). A recurring deadline stands for its occurrences in the
  plan's year (quarterly every 3 months, half-yearly 6), so "trước ngày 15/3, 15/6,
  15/9 và 15/12" is matched by four deadlines or by one quarterly one; a monthly
  truth entry is matched by a monthly deadline with the same first due date;
- windows: window and quarterly_item entries, on (start, end);
- events: on the date, or (start, end) for a month;
- units: the truth `units` vs the draft's unit names, on `name_key`.
Then, per phenomenon, a table: units by where the document names them (headings,
bullets, sentences, tables, addressees), dated items by the form of their date
(d/m, d-m, d.m, words, ranges, borrowed months, lists, months, quarters, periodic
words), titles that name what is owed, and responsible units.

A title names what is owed when it has two words or more, is not a bare verb or
label, and holds at least 60% of the truth title's content words. `responsible`
is right when the draft's units are the truth's (by name_key), or both say all.
`--check` exits 1 when a target on the totals is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.extract import extract_plan, name_key  # noqa: E402
from tracker.extract.names import ascii_fold  # noqa: E402

KINDS = ("deadlines", "windows", "events", "units")
TARGETS = {
    ("deadlines", "recall"): 0.95, ("deadlines", "precision"): 0.90,
    ("windows", "recall"): 0.95, ("windows", "precision"): 0.90,
    ("units", "recall"): 0.90,
}
TITLE_TARGET = 0.80
ALL = "all units addressed"
_SOURCE = {"heading": "numbered headings", "lettered": "lettered items", "bullet": "bullets",
           "sentence": "sentences", "table": "table columns", "addressee": "addressees (Kính gửi)"}
_STEP = {"monthly": 1, "quarterly": 3, "half-yearly": 6}
_FILLER = {"cua", "va", "cac", "ve", "tai", "cho", "gui", "nop", "trong", "the", "nhung", "voi"}
_BARE = {"gui", "nop", "hoan thanh", "thoi gian", "thoi han", "han", "bao cao", "ke hoach", "khoang thoi gian",
         "thuc hien", "to chuc", "trien khai", "xay dung"}


def _occurrences(due: str, recurrence: str | None) -> list[str]:
    d = date.fromisoformat(due)
    step = _STEP.get(recurrence or "")
    if not step:
        return [due]
    out = []
    for k in range(0, 12, step):
        m = d.month - 1 + k
        if m >= 12:
            break
        try:
            out.append(date(d.year, m + 1, d.day).isoformat())
        except ValueError:
            continue
    return out


def _bin(o: dict, draft: bool) -> tuple[str, tuple] | None:
    """(kind, key) of a truth or draft obligation; None when it carries no date."""
    if draft:
        if o["kind"] == "deadline":
            return "deadlines", (o["due"], bool(o.get("strict_before")))
        if o["kind"] == "window":
            return ("events" if o.get("category") == "event" else "windows"), (o["start"], o["end"])
        return "events", (o["date"],)
    kind = o.get("kind")
    if kind in ("report", "plan_submission", "other") and o.get("due"):
        return "deadlines", (o["due"], bool(o.get("strict_before")))
    if kind in ("window", "quarterly_item") and o.get("start") and o.get("end"):
        return "windows", (o["start"], o["end"])
    if kind == "event":
        if o.get("due"):
            return "events", (o["due"],)
        if o.get("start") and o.get("end"):
            return "events", (o["start"], o["end"])
    return None


def _keys(o: dict, draft: bool) -> tuple[str, set] | None:
    """All keys an obligation stands for (a recurring deadline: each occurrence)."""
    b = _bin(o, draft)
    if b is None:
        return None
    kind, key = b
    if kind != "deadlines":
        return kind, {key}
    rec = o.get("recurrence")
    if rec == "monthly":
        return kind, {key + ("monthly",)}
    return kind, {(d, key[1]) for d in _occurrences(key[0], rec)}


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", ascii_fold(s).lower())


def title_names_what_is_owed(pred: str, truth: str) -> bool:
    p = " ".join(_words(pred))
    if len(p.split()) < 2 or p in _BARE:
        return False
    want = [w for w in _words(truth) if w not in _FILLER]
    have = set(_words(pred))
    return bool(want) and sum(w in have for w in want) / len(want) >= 0.6


class Score:
    def __init__(self) -> None:
        self.kinds = {k: [0, 0, 0, 0] for k in KINDS}  # right predictions, predicted, matched truth, truth
        self.phen: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # hits, total

    def hit(self, name: str, ok: bool) -> None:
        self.phen[name][0] += int(ok)
        self.phen[name][1] += 1


def score_doc(gt: dict, draft: dict, score: Score, verbose: bool) -> list[str]:
    truth: dict[str, set] = {k: set() for k in KINDS}
    pred: dict[str, list[set]] = {k: [] for k in KINDS}
    for o in gt.get("obligations", []):
        k = _keys(o, draft=False)
        if k:
            truth[k[0]] |= k[1]
    pred_obs = []
    for o in draft.get("obligations", []):
        k = _keys(o, draft=True)
        if k:
            pred[k[0]].append(k[1])
            pred_obs.append((k[0], k[1], o))
    cells, notes = [], []
    for kind in KINDS[:3]:
        covered = set().union(*pred[kind]) if pred[kind] else set()
        matched = len(truth[kind] & covered)
        distinct = {frozenset(s) for s in pred[kind]}
        right = sum(1 for s in distinct if s & truth[kind])
        cells.append((right, len(distinct), matched, len(truth[kind])))
        if verbose:
            notes += [f"    missed {kind[:-1]}: {m}" for m in sorted(truth[kind] - covered)]
            notes += [f"    extra  {kind[:-1]}: {sorted(s)[0]}" for s in distinct if not s & truth[kind]]
    tu = {name_key(u): u for u in gt.get("units", [])}
    pu = {name_key(u["name"]) for u in draft.get("units", [])}
    cells.append((len(set(tu) & pu), len(pu), len(set(tu) & pu), len(tu)))
    if verbose:
        notes += [f"    missed unit: {tu[k]}" for k in sorted(set(tu) - pu)]
        names = {name_key(u["name"]): u["name"] for u in draft.get("units", [])}
        notes += [f"    extra  unit: {names[k]}" for k in sorted(pu - set(tu))]
    unit_from = gt.get("unit_from") or {}
    for k, name in tu.items():
        score.hit(f"units from {_SOURCE[unit_from.get(name, 'heading')]}", k in pu)

    # per truth obligation: its date form, its title and its responsible units
    names_by_code = {u["code"]: name_key(u["name"]) for u in draft.get("units", [])}
    for o in gt.get("obligations", []):
        k = _keys(o, draft=False)
        if k is None:
            continue
        kind, keys = k
        cands = [p for pk, ps, p in pred_obs if pk == kind and ps & keys]
        if o.get("form"):
            score.hit(f"dates: {o['form']}", bool(cands))
        if not cands:
            continue
        best = max(cands, key=lambda p: title_names_what_is_owed(p["title"], o["title"]))
        ok_title = title_names_what_is_owed(best["title"], o["title"])
        score.hit("titles naming what is owed", ok_title)
        if verbose and not ok_title:
            notes.append(f"    title: {best['title']!r} for {o['title']!r}")
        want = o.get("responsible") or [ALL]
        got = best.get("responsible")
        if want == [ALL]:
            ok = got == "all"
        else:
            ok = isinstance(got, list) and {names_by_code.get(c) for c in got} == {name_key(w) for w in want}
        score.hit("responsible from the document", ok)
        if verbose and not ok:
            notes.append(f"    responsible: {got} for {want} ({o['title'][:40]})")
    for kind, cell in zip(KINDS, cells):
        score.kinds[kind] = [a + b for a, b in zip(score.kinds[kind], cell)]
    return [_row(cells)] + notes


def _row(cells: list[tuple[int, int, int, int]]) -> str:
    return "".join(f"{f'{ratio(r, n):.2f}/{ratio(m, t):.2f} ({m}/{n}/{t})':>22}" for r, n, m, t in cells)


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def run_set(label: str, docs: list[tuple[str, dict, str]], verbose: bool) -> Score:
    score = Score()
    header = f"{label:<26}" + "".join(f"{k + ' P/R':>22}" for k in KINDS)
    print(header)
    print("-" * len(header))
    for stem, gt, text in docs:
        lines = score_doc(gt, extract_plan(text), score, verbose)
        print(f"{stem[:26]:<26}" + lines[0])
        for n in lines[1:]:
            print(n)
    print("-" * len(header))
    print(f"{'TOTAL':<26}" + _row([tuple(score.kinds[k]) for k in KINDS]))
    print("(cells: precision/recall (matched truth/predicted/truth), distinct items per kind)")
    return score


def phenomena(label: str, score: Score) -> None:
    print(f"\n{label}: per phenomenon")
    for name in sorted(score.phen):
        hits, total = score.phen[name]
        print(f"  {name:<34} {hits:>4}/{total:<4} {ratio(hits, total):.2f}")


def targets(label: str, score: Score, titles: bool) -> list[str]:
    missed = []
    for (k, metric), target in TARGETS.items():
        r, n, m, t = score.kinds[k]
        value = ratio(r, n) if metric == "precision" else ratio(m, t)
        ok = value >= target
        if not ok:
            missed.append(f"{label} {k} {metric}")
        print(f"target {label:<8} {k:<9} {metric:<9} >= {target:.2f}: {value:.2f} {'ok' if ok else 'MISSED'}")
    if titles:
        hits, total = score.phen["titles naming what is owed"]
        value = ratio(hits, total)
        if value < TITLE_TARGET:
            missed.append(f"{label} titles")
        print(f"target {label:<8} {'titles':<9} {'named':<9} >= {TITLE_TARGET:.2f}: {value:.2f} "
              f"{'ok' if value >= TITLE_TARGET else 'MISSED'}")
    return missed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--fixtures", type=Path, default=ROOT / "tests" / "fixtures" / "extract" / "eval")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false hits")
    ap.add_argument("--speed", action="store_true",
                    help="instead: time `plan extract` on a 60-page PDF and a 200-row task table (bench/extract_speed.py)")
    args = ap.parse_args(argv)
    if args.speed:
        from bench.extract_speed import main as speed

        return speed()

    seeds = [(p.stem, json.loads(p.read_text(encoding="utf-8")), (args.seeds / f"{p.stem}.txt").read_text(encoding="utf-8"))
             for p in sorted(args.corpus.glob("*.json")) if (args.seeds / f"{p.stem}.txt").exists()]
    fixtures = [(p.stem, json.loads(p.read_text(encoding="utf-8")), p.with_suffix(".txt").read_text(encoding="utf-8"))
                for p in sorted(args.fixtures.glob("*.json")) if p.with_suffix(".txt").exists()]
    if not seeds and not fixtures:
        print(f"no documents with truth in {args.corpus} or {args.fixtures}", file=sys.stderr)
        return 1 if args.check else 0
    missed: list[str] = []
    results = []
    for label, docs, titles in (("seeds", seeds, False), ("fixtures", fixtures, True)):
        if not docs:
            print(f"({label}: none found)")
            continue
        s = run_set(label, docs, args.verbose)
        results.append((label, s, titles))
        print()
    for label, s, _ in results:
        phenomena(label, s)
    print()
    for label, s, titles in results:
        missed += targets(label, s, titles)
    if missed:
        print("targets missed: " + ", ".join(missed))
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
