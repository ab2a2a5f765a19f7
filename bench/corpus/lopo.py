#!/usr/bin/env python3
"""``make eval``: the scope estimator, leave-one-project-out on the development corpus.

Usage: lopo.py [--mirrors DIR] [--cache DIR] [--jobs N] [--write] [train.py options]

1. For each project of bench/corpus/cases/*.jsonl (and the public click cases of shared/eval),
   extract the estimator's features (extract.py) from a mirror under --mirrors (default
   $CODESWITCH_MIRRORS); cached per project under --cache, keyed by the estimator's source and
   the case list, so a rerun after changing only the training costs seconds.
2. Judge, from the real commits, whether the edit-time escalation would fire (cascade.py).
3. Train and score with train.py: the leave-one-project-out table, the reliability table, the
   simulated cost, what the escalation catches, and click scored by the model trained on every
   corpus project.

Without mirrors it prints "skipped: ..." and exits 0. Projects without a mirror are skipped and named.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import cascade  # noqa: E402
import extract  # noqa: E402
import train  # noqa: E402

SHARED_EVAL = Path(os.environ.get("CODESWITCH_EVAL_DIR", ROOT.parent / "shared" / "eval"))


def estimator_hash() -> str:
    h = hashlib.sha256()
    scope = ROOT / "codeswitch" / "scope"
    for p in sorted([*scope.glob("*.py"), *scope.glob("queries/*.scm")]):
        if p.name in ("decide.py", "explain.py"):
            continue  # the decision does not change the features
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update((ROOT / "codeswitch" / "text.py").read_bytes())
    h.update((ROOT / "codeswitch" / "documents.py").read_bytes())
    return h.hexdigest()[:12]


def _extract(job: tuple[str, str, str, str, str]) -> str:
    cases, mirrors, out, work, repo = job  # out: a ".part" file, appended to the cache when done
    extract.main([cases, "--mirrors", mirrors, "--out", out, "--work", work, "--repo", repo])
    return out


def _stale(row: dict[str, object] | None, case: dict[str, object]) -> bool:
    """Whether a case's cached features are missing or were made for another position or wording."""
    key = extract.case_key(case)
    return row is None or "features" not in row or row.get("key", key) != key


def _cached(path: Path) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return {str(r["id"]): r for r in rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", default=os.environ.get("CODESWITCH_MIRRORS"))
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "codeswitch" / "eval")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--cases", type=Path, default=HERE / "cases")
    args, rest = ap.parse_known_args(argv)
    if not args.mirrors or not Path(args.mirrors).is_dir():
        print("skipped: no mirrors (pass --mirrors DIR or set CODESWITCH_MIRRORS; "
              "see bench/corpus/README.md)")
        return 0
    mirrors = Path(args.mirrors)
    key = estimator_hash()
    args.cache.mkdir(parents=True, exist_ok=True)
    jobs, outputs, missing, todo = [], [], [], []
    sources = sorted(args.cases.glob("*.jsonl"))
    click_cases = SHARED_EVAL / "click-scope-cases.jsonl"
    if click_cases.is_file():
        sources.append(click_cases)
    click_out: Path | None = None
    for cases_path in sources:
        cases = [json.loads(line) for line in cases_path.read_text().splitlines() if line.strip()]
        # bench/corpus/cases/<owner>__<name>.jsonl; the public cases name the project alone
        repo = cases_path.stem.replace("__", "/", 1) if "__" in cases_path.stem else f"_/{cases[0]['repo']}"
        if extract.find_mirror(mirrors, repo) is None:
            missing.append(repo)
            continue
        cache = args.cache / f"{cases_path.stem}-{key}.features.jsonl"
        out = args.cache / f"{cases_path.stem}-{key}.train.jsonl"
        if cases_path == click_cases:
            click_out = out
        else:
            outputs.append(out)
        known = _cached(cache)
        new = [c for c in cases if _stale(known.get(c["id"]), c)]
        todo.append((cases, cache, out))
        if new:
            pending = args.cache / f"{cases_path.stem}-{key}.pending.jsonl"
            pending.write_text("".join(json.dumps(c) + "\n" for c in new))
            jobs.append((str(pending), str(mirrors), str(cache) + ".part", str(args.cache / "trees"), repo))
    if missing:
        print(f"no mirror for: {', '.join(missing)} (skipped)")
    if jobs:
        print(f"extracting features for {sum(len(Path(j[0]).read_text().splitlines()) for j in jobs)} "
              f"case(s) of {len(jobs)} project(s) with {args.jobs} job(s)...", flush=True)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for done in pool.map(_extract, jobs):
                part = Path(done)
                whole = part.with_suffix("")
                with open(whole, "a") as fh:
                    fh.write(part.read_text())
                part.unlink()
    for cases, cache, out in todo:
        # features from the cache, labels from the case list as it is now
        known = _cached(cache)
        with open(out, "w") as fh:
            for c in cases:
                row = known.get(c["id"])
                if row is not None and "features" in row:
                    row = dict(row, label=c["label"], variant=c.get("variant", "subject"))
                    fh.write(json.dumps(row) + "\n")
    if not outputs:
        print("skipped: no corpus project has a mirror")
        return 0
    escalation = args.cache / f"escalation-{key}.jsonl"  # a few seconds: always made afresh
    cascade.main(["--mirrors", str(mirrors), "--cases", str(args.cases), "--out", str(escalation), "--quiet"])
    train_args = [str(p) for p in outputs] + ["--escalation", str(escalation)] + rest
    if click_out is not None:
        train_args += ["--click", str(click_out)]
    return train.main(train_args)


if __name__ == "__main__":
    sys.exit(main())
