"""Where perfrules' per-department time goes, on the same synthetic departments as bench.py.

    python benchmarks/profile_perfrules.py            # 3,000 departments
    python benchmarks/profile_perfrules.py -n 500 --top 25

Part 1 times the stages with perf_counter (no profiler overhead): parsing the JSON line,
read_department (coercion, list records, derived facts), the durable_rules session
(DurableMatcher.fired) and the rest of service.evaluate_department (points); the reason texts,
which score.py fills only when a report asks, are timed apart. Part 2 runs cProfile and prints the
cumulative share of the functions that matter, then the top functions by own time. cProfile
inflates pure-Python code more than C, so part 1 is the one to quote for shares; part 2 says
where inside a stage.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from bench import results, loads, perfrules_setup  # noqa: E402

from perfrules import service  # noqa: E402
from perfrules.facts import read_department  # noqa: E402
from perfrules.load import Document  # noqa: E402
from perfrules.matcher.durable import DurableMatcher  # noqa: E402

# (label, file suffix, function name) for the cumulative shares in part 2
WATCH = [
    ("json.loads of the input line", "json/__init__.py", "loads"),
    ("read_department", "perfrules/facts.py", "read_department"),
    ("  coerce (each given value)", "perfrules/facts.py", "coerce"),
    ("  read_records (list facts)", "perfrules/facts.py", "read_records"),
    ("  derive (derived facts)", "perfrules/facts.py", "derive"),
    ("service.evaluate_department", "perfrules/service.py", "evaluate_department"),
    ("  DurableMatcher.fired (durable session)", "perfrules/matcher/durable.py", "fired"),
    ("    department_facts (encode)", "perfrules/matcher/durable_encoding.py", "department_facts"),
    ("    json.dumps of the facts", "json/__init__.py", "dumps"),
    ("    assert_facts (C core)", "~", "<built-in method durable_rules_engine.assert_facts>"),
    ("    start_action_for_state (C)", "~", "<built-in method durable_rules_engine.start_action_for_state>"),
    ("    complete_and_start_action (C)", "~", "<built-in method durable_rules_engine.complete_and_start_action>"),
    ("    delete_state (C)", "~", "<built-in method durable_rules_engine.delete_state>"),
    ("  score (methods)", "perfrules/score.py", "score"),
]


def stages(lines, compiled) -> None:
    spent = {"parse": 0.0, "read_department": 0.0, "durable session": 0.0, "scoring (all)": 0.0, "reasons": 0.0}
    real_fired = DurableMatcher.fired

    def timed_fired(*a, **k):
        t = time.perf_counter()
        try:
            return real_fired(*a, **k)
        finally:
            spent["durable session"] += time.perf_counter() - t

    DurableMatcher.fired = timed_fired
    try:
        total0 = time.perf_counter()
        for i, line in enumerate(lines, 1):
            t0 = time.perf_counter()
            data = loads(line)
            t1 = time.perf_counter()
            dept = read_department(Document(f"<line {i}>", data, None), compiled)
            t2 = time.perf_counter()
            result = service.evaluate_department(compiled, dept)
            t3 = time.perf_counter()
            spent["parse"] += t1 - t0
            spent["read_department"] += t2 - t1
            spent["scoring (all)"] += t3 - t2
            for leaf in result.deductions:     # not part of the path: reasons are filled on demand
                leaf.reasons
            spent["reasons"] += time.perf_counter() - t3
        total = time.perf_counter() - total0 - spent["reasons"]
    finally:
        DurableMatcher.fired = real_fired
    n = len(lines)
    rows = [("json.loads of the line", spent["parse"]), ("read_department", spent["read_department"]),
            ("durable_rules session (fired_rules)", spent["durable session"]),
            ("rest of evaluate_department (points)", spent["scoring (all)"] - spent["durable session"])]
    print(f"Part 1 — stages, {n:,} departments in {total:.2f}s = {n / total:,.0f} depts/s (timers add a little)")
    for label, s in rows:
        print(f"  {label:<40} {s / total:6.1%}   {s / n * 1e6:7.0f} µs/dept")
    print(f"  {'(loop and timers)':<40} {(total - sum(s for _, s in rows)) / total:6.1%}")
    print(f"  not in the path above: the Chinese reason texts, when a report asks for them, "
          f"+{spent['reasons'] / n * 1e6:.0f} µs/dept (+{spent['reasons'] / total:.0%})")


def profile(lines, compiled, top: int) -> None:
    def run():
        for _ in results(lines, compiled):
            pass

    prof = cProfile.Profile()
    prof.runcall(run)
    st = pstats.Stats(prof)
    total = st.total_tt
    print(f"\nPart 2 — cProfile, {len(lines):,} departments, {total:.2f}s under the profiler; cumulative share")
    for label, file_suffix, func in WATCH:
        ct = sum(v[3] for (f, _, fn), v in st.stats.items() if fn == func and f.endswith(file_suffix))
        print(f"  {label:<40} {ct / total:6.1%}")
    print(f"\nTop {top} by own time")
    st.sort_stats("tottime").print_stats(top)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="where perfrules' per-department time goes")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    compiled = perfrules_setup()
    lines = list(generate.lines(args.n, args.seed))
    for _ in results(lines[:50], compiled):   # warm up
        pass
    stages(lines, compiled)
    profile(lines, compiled, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
