"""What the ledger costs one inline request, as today's rows pile up.

    .venv/bin/python bench/bench_ledger.py [--rows 0 1000 10000 50000] [--n 200]

One inline request reads today's spend twice (the budget for routing, the status notification)
and records its model call. Measured in the same run on the same kind of file, per request,
median microseconds on the calling thread (the event loop, in the server):

- ``synchronous SQL`` (the baseline): what a ledger that writes and sums on the caller's thread
  does: ``SELECT SUM(cost_usd) ... WHERE ts >= midnight`` twice and a ``BEGIN IMMEDIATE`` /
  ``INSERT`` / ``COMMIT``: the sums grow with the rows already written today (the drift of a long
  session), and the commit waits for any other process holding the lock;
- ``Ledger``: ``spent_today()`` twice (memory) and ``record()`` (a queue put; the writer thread
  commits).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from codeswitch.ledger import Ledger, RequestRow, start_of_day


def row(i: int, now: float) -> RequestRow:
    return RequestRow(ts=now, request_id=f"r{i}", kind="inline", scope="inline", tier="inline",
                      provider="openai", model_key="gpt-5.1-codex-mini", input_tokens=300,
                      output_tokens=5, cost_usd=0.0001, outcome="ok")


INSERT = ("INSERT INTO requests (ts, request_id, kind, scope, tier, provider, model_key, cost_usd, outcome)"
          " VALUES (?, ?, 'inline', 'inline', 'inline', 'openai', 'm', 0.0001, 'ok')")


def synchronous(db: sqlite3.Connection, i: int, now: float) -> None:
    midnight = start_of_day(now)
    for _ in range(2):
        db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM requests WHERE ts >= ?", (midnight,)).fetchone()
    db.execute("BEGIN IMMEDIATE")
    db.execute(INSERT, (now, f"s{i}"))
    db.execute("COMMIT")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[0, 1000, 10_000, 50_000])
    ap.add_argument("--n", type=int, default=200, help="requests measured per size")
    args = ap.parse_args()
    print(f"Ledger work of one inline request on the calling thread, median us (n = {args.n}):")
    print(f"  {'rows today':>10}  {'synchronous SQL':>15}  {'Ledger':>8}  ratio")
    with tempfile.TemporaryDirectory() as d:
        now = time.time()
        ledger = Ledger(Path(d) / "ledger.sqlite3")
        Ledger(Path(d) / "baseline.sqlite3").close()  # same schema, its own file: no lock shared
        db = sqlite3.connect(Path(d) / "baseline.sqlite3", isolation_level=None, timeout=5)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        written = 0
        for target in args.rows:
            while written < target:
                step = min(target, written + 5000)
                ledger.record_many([row(j, now) for j in range(written, step)])
                db.execute("BEGIN")
                db.executemany(INSERT, [(now, f"b{j}") for j in range(written, step)])
                db.execute("COMMIT")
                written = step
            ledger.flush()
            base = []
            for k in range(args.n):
                t0 = time.perf_counter()
                synchronous(db, k + target * 10, now)
                base.append((time.perf_counter() - t0) * 1e6)
            ours = []
            for k in range(args.n):
                t0 = time.perf_counter()
                ledger.spent_today()
                ledger.record(row(10**8 + target * 10 + k, now))
                ledger.spent_today()
                ours.append((time.perf_counter() - t0) * 1e6)
            ledger.flush()
            written += args.n
            b, o = statistics.median(base), statistics.median(ours)
            print(f"  {target:>10}  {b:>15.1f}  {o:>8.1f}  {b / o:5.1f}x")
        db.close()
        ledger.close()


if __name__ == "__main__":
    main()
