"""How fast perfrules scores departments, against a hand-written floor and GoRules zen-engine,
and what batch evaluation costs in memory and start-up. One run, one generated data set.

    python benchmarks/bench.py            # 10,000 departments, 3 rounds, RSS at 2,000 vs 200,000
    python benchmarks/bench.py --quick    # a smoke run of a few seconds (no figure means much)

Figures (see README.md for what each one means and its target):
  (a) perfrules through the library path a batch uses, on one core; `perfrules batch` end
      to end with --jobs 1 and --jobs 2 when engine/perfrules/batch/ exists;
  (b) the plain-Python floor (plain.py), and whether it gives every department the same score;
  (c) zen-engine running the same policy as a decision graph (zen_graph.py), likewise checked;
  (d) peak RSS of a fresh process streaming a small and a large number of departments;
  (e) wall time of one `perfrules evaluate` against importing its dependencies.
The machine may be shared and noisy: every figure is measured in this run and printed, ratios
are taken between figures of this run, and nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import folder  # noqa: E402
import generate  # noqa: E402
import plain  # noqa: E402
import zen_graph  # noqa: E402

EXAMPLE = "examples/panyu-jiguan-gongwei-2023.yaml"
IMPORTS = "import durable.lang, yaml, jsonschema, typer"
loads = partial(json.loads, parse_float=Decimal)   # what a JSON Lines reader of fact files needs
CENT = Decimal("0.01")

# every figure's label; tests/test_bench_smoke.py checks that each is printed
LABELS = {
    "perfrules": "(a) perfrules, library path, 1 core",
    "row": "(a) library path + the batch's JSON row",
    "batch1": "(a) perfrules batch --jobs 1",
    "batch2": "(a) perfrules batch --jobs 2",
    "batch_agree": "(a) batch scores equal to the library path's",
    "batch_ratio": "(a) batch speed-up, --jobs 2 / --jobs 1",
    "batch_cpu": "(a) batch CPU time, --jobs 2 / --jobs 1",
    "capacity": "(a) machine capacity, 2 processes / 1",
    "plain": "(b) plain-Python floor, 1 core",
    "plain_agree": "(b) plain-Python scores equal to perfrules'",
    "parse": "(b) json.loads of the line alone",
    "core": "(b) durable_rules' C core alone",
    "bound_rate": "(b) floor + durable C core, nothing else",
    "bound_ratio": "(b) perfrules / plain-Python at that rate",
    "budget": "(b) left for reading, checking, explaining",
    "zen": "(c) zen-engine decision graph, 1 core",
    "zen_only": "(c) zen-engine, decision call only",
    "zen_agree": "(c) zen-engine scores equal to perfrules'",
    "perf_zen": "perfrules / zen-engine",
    "perf_plain": "perfrules / plain-Python",
    "rss_small": "(d) peak RSS, small run",
    "rss_large": "(d) peak RSS, large run",
    "rss_ratio": "(d) peak RSS, large / small",
    "wall_perfrules": "(e) wall time, perfrules evaluate example",
    "wall_imports": "(e) wall time, python -c imports",
    "wall_ratio": "(e) wall time, perfrules / imports",
    "wall_uncached": "(e) the same without bytecode caching",
    "lib_rate": "(a) library path, departments/s",
    "batch1_rate": "(a) batch --jobs 1, departments/s",
    "folder_batch": "(f) perfrules batch over a YAML folder",
    "folder_zen": "(f) zen-engine user over the same folder",
    "folder_parse": "(f) libyaml parse alone, the same folder",
    "folder_agree": "(f) folder scores equal to the library path's",
    "folder_vs_zen": "(f) perfrules batch / zen-engine user",
    "folder_vs_parse": "(f) perfrules batch time / libyaml parse",
}
_summary: list[tuple[str, str, str]] = []   # (label, value, verdict against a target)


def say(key: str, value: str, note: str = "") -> None:
    print(f"  {LABELS[key]:<44} {value}{'   ' + note if note else ''}", flush=True)


def target(key: str, value: float | None, op: str, bound: float, fmt: str = "{:.2f}x") -> None:
    """Print a ratio and remember it for the summary, with whether it meets its target."""
    if value is None:
        say(key, "n/a")
        _summary.append((LABELS[key], "n/a", f"target {op} {bound}"))
        return
    met = value >= bound if op == ">=" else value <= bound
    verdict = f"target {op} {bound}: {'met' if met else 'NOT met'}"
    say(key, fmt.format(value), f"({verdict})")
    _summary.append((LABELS[key], fmt.format(value), verdict))


# ---- the three evaluators, each from JSON Lines text to a list of Decimal scores --------------

def perfrules_setup():
    from perfrules import service
    return service.policy(generate.POLICY)   # loaded once (prepared for durable on first use), as a batch does


def results(lines, policy):
    """perfrules' Result for each line, as a batch computes it."""
    from perfrules.facts import read_department
    from perfrules.load import Document
    from perfrules.service import evaluate_department
    for i, line in enumerate(lines, 1):
        yield evaluate_department(policy, read_department(Document(f"<line {i}>", loads(line), None), policy))


def run_perfrules(lines: list[str], policy) -> list[Decimal]:
    return [r.score for r in results(lines, policy)]


def run_rows(lines: list[str], policy) -> list[Decimal]:
    """The library path and then the JSON Lines row a batch writes for each department (reasons
    filled, the whole report): a batch worker's work, without process start, reading or writing."""
    from perfrules.batch.rows import jsonl_row
    out = []
    for i, r in enumerate(results(lines, policy), 1):
        jsonl_row(f"<line {i}>", r, "zh")
        out.append(r.score)
    return out


def run_plain(lines: list[str], _=None) -> list[Decimal]:
    return [plain.score(loads(line)) for line in lines]


def run_parse(lines: list[str], _=None) -> list:
    return [loads(line) for line in lines]


def durable_core_setup(lines: list[str], policy) -> list[tuple[int, str, str]]:
    """(ruleset handle, sid, JSON text) for each durable session of each department: what
    durable's C core is given, encoded beforehand exactly as the matcher encodes it."""
    from perfrules import service
    from perfrules.facts import read_department
    from perfrules.load import Document
    from perfrules.matcher.durable import DurableMatcher, asserted
    matcher = service.default().matcher
    assert isinstance(matcher, DurableMatcher)
    prepared = service.default().prepared(policy)
    return [(handle, sid, asserted(facts, sid))
            for i, line in enumerate(lines, 1)
            for _, handle, sid, facts in matcher.sessions(prepared, read_department(Document(f"<line {i}>", loads(line), None), policy))]


def run_durable_core(sessions: list[tuple[int, str, str]], _=None) -> int:
    """durable's C core alone, as the matcher calls it: assert a session's facts, run its
    actions, delete it. Returns the number of actions run."""
    import durable_rules_engine as core
    actions = 0
    for handle, sid, text in sessions:
        _, state = core.assert_facts(handle, text)
        started = core.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            actions += 1
            message = core.complete_and_start_action(handle, state)
        core.delete_state(handle, sid)
    return actions


def run_zen(lines: list[str], decision) -> list[Decimal]:
    ctx = zen_graph.context
    return [Decimal(repr(decision.evaluate(ctx(loads(line)))["result"]["score"])).quantize(CENT) for line in lines]


def run_zen_only(contexts: list[dict], decision) -> None:
    for c in contexts:
        decision.evaluate(c)


def timed_rounds(engines: dict, rounds: int) -> tuple[dict, dict]:
    """Interleave the engines round by round (noise hits all alike); median seconds, first scores."""
    seconds = {k: [] for k in engines}
    scores = {}
    for _ in range(rounds):
        for name, (fn, data, arg) in engines.items():
            t0 = time.perf_counter()
            result = fn(data, arg)
            seconds[name].append(time.perf_counter() - t0)
            scores.setdefault(name, result)
    return {k: statistics.median(v) for k, v in seconds.items()}, scores


def pin_one_core() -> tuple[set | None, str]:
    try:
        cpus = os.sched_getaffinity(0)
        one = max(cpus)
        os.sched_setaffinity(0, {one})
        return cpus, f"pinned to CPU {one}"
    except (AttributeError, OSError):
        return None, "not pinned (no sched_setaffinity here); single-threaded anyway"


def bounds(n: int, seconds: dict, actions: int, sessions: int) -> None:
    """What the library-path targets (10,000/s and 0.5x the floor) leave once durable decides:
    the floor's work (parsing the line, reading its units, the arithmetic) plus durable's C core
    on perfrules' own sessions, as if checking, encoding and explaining cost nothing; what that
    leaves a department for them, and what perfrules spends. An estimate, not a proof: the
    floor's few comparisons, which durable makes instead, are counted twice, and another ruleset
    or encoding would give durable other work. json.loads + the C core is the firm part."""
    us = {k: seconds[k] / n * 1e6 for k in ("perfrules", "plain", "parse", "core")}
    say("parse", rate(n, seconds["parse"]), f"{us['parse']:.1f} µs a department, of the floor's {us['plain']:.1f} µs")
    if actions < sessions:      # the sentinel rule fires once in every session: durable did not run
        say("core", "n/a", f"durable ran {actions} actions in {sessions} sessions: the timing is void")
        for key in ("bound_rate", "bound_ratio", "budget"):
            say(key, "n/a")
        return
    say("core", rate(n, seconds["core"]), f"{us['core']:.1f} µs a department, {actions / n:.1f} actions: "
        "its facts encoded beforehand as the matcher encodes them")
    least = us["plain"] + us["core"]
    say("bound_rate", rate(n, (seconds["plain"] + seconds["core"])), "as if checking, encoding and explaining were free; "
        f"json.loads + C core alone: {rate(n, seconds['parse'] + seconds['core'])}")
    say("bound_ratio", f"{us['plain'] / least:.3f}x", "floor / (floor + C core)")
    left = min(100.0, 2 * us["plain"]) - least
    say("budget", f"{left:.1f} µs", f"a department, within both targets (min(100 µs, 2 x floor) - floor - C core); "
        f"perfrules spends {us['perfrules'] - least:.1f} µs on them")


# ---- (a) perfrules batch, end to end -----------------------------------------------------------

def perfrules_cmd() -> list[str]:
    script = Path(sys.executable).with_name("perfrules")
    return [str(script)] if script.exists() else [sys.executable, "-m", "perfrules"]


def batch_available() -> bool:
    import perfrules
    return (Path(perfrules.__file__).resolve().parent / "batch" / "__init__.py").exists()


def run_batch(path: Path, jobs: int, out_dir: Path) -> tuple[float | None, float, list[Decimal], str]:
    """`perfrules batch` end to end: wall seconds, CPU seconds (the command and its workers),
    the scores it wrote (JSON Lines, input order), and a note if it failed."""
    out = out_dir / f"batch-jobs{jobs}.jsonl"
    cmd = perfrules_cmd() + ["batch", str(path), "--jobs", str(jobs), "--output", str(out)]
    before = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    cpu = _children_cpu() - before
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        return None, cpu, [], f"exit {proc.returncode}: {last[:160]}"
    with open(out, encoding="utf-8") as f:
        scores = [Decimal(json.loads(line)["score"]) for line in f if line.strip()]
    return elapsed, cpu, scores, ""


def _children_cpu() -> float:
    """CPU seconds of every waited-for child so far (workers count once their batch exits)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _median_run(runs: list[tuple]) -> tuple:
    """The run with the median wall time; a failed run wins (it is the news)."""
    failed = [r for r in runs if r[0] is None]
    return failed[0] if failed else sorted(runs, key=lambda r: r[0])[len(runs) // 2]


def capacity(n: int, seed: int) -> float:
    """Throughput of two independent single-process evaluators running at once over one alone:
    about 2 on two free cores, less when other work takes a core."""
    cmd = [sys.executable, __file__, "--rss-child", str(n), "--seed", str(seed)]
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(2)]
    for proc in procs:
        proc.wait()
    return 2 * alone / (time.perf_counter() - t0)


# ---- (d) peak RSS in a fresh process -------------------------------------------------------------

def rss_child(n: int, seed: int) -> None:
    """Stream n generated departments through the library path; print peak RSS as JSON."""
    policy = perfrules_setup()
    t0 = time.perf_counter()
    for _ in results(generate.lines(n, seed), policy):   # one line at a time, nothing kept
        pass
    print(json.dumps({"n": n, "seconds": time.perf_counter() - t0, "maxrss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux: VmHWM, because ru_maxrss survives exec and would report
    the parent's size when the parent (holding the (a)-(c) data) was larger at fork time."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024   # bytes on macOS, KB elsewhere


def measure_rss(n: int, seed: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--rss-child", str(n), "--seed", str(seed)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- (e) start-up wall time ---------------------------------------------------------------------

def wall_times(runs: int, env: dict | None = None) -> tuple[float, float]:
    """Median wall times of the two commands: as installed (the run's environment, see _run:
    bytecode cached, written by one untimed warm-up run each), or in `env`, the environment as
    the benchmark found it (PYTHONDONTWRITEBYTECODE=1 compiles perfrules from source)."""
    cmds = {"perfrules": perfrules_cmd() + ["evaluate", EXAMPLE], "imports": [sys.executable, "-c", IMPORTS]}
    times = {k: [] for k in cmds}
    cached = env is None
    for i in range(runs + cached):
        for k, cmd in cmds.items():        # interleaved, like the rounds above
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            if i or not cached:            # the first cached run only writes the bytecode
                times[k].append(time.perf_counter() - t0)
    return statistics.median(times["perfrules"]), statistics.median(times["imports"])


# ---- the run -------------------------------------------------------------------------------------

def folder_figures(lines: list[str], reference: list[Decimal], rounds: int, zen: bool, zen_note: str) -> None:
    """(f): perfrules batch, a zen-engine user and libyaml alone, each a program over one folder."""
    n = len(lines)
    print(f"\nA folder of {n:,} YAML fact files, end to end (each a program run over the folder, process start "
          f"included; median of {rounds} interleaved round(s); not pinned)")
    with tempfile.TemporaryDirectory(prefix="perfrules-folder-") as tmp:
        where = Path(tmp) / "facts"
        folder.write_folder(lines, where)
        got = folder.measure(where, perfrules_cmd(), ROOT, rounds, zen)
    t, notes = got["seconds"], got["notes"]
    say("folder_batch", rate(n, t["batch"]), f"{t['batch']:.2f}s wall, --jobs 1" if t["batch"] else notes.get("batch", ""))
    say("folder_zen", rate(n, t.get("zen")), f"{t['zen']:.2f}s wall: libyaml parse, map, evaluate, write a JSON line"
        if t.get("zen") else notes.get("zen", zen_note))
    say("folder_parse", rate(n, t["parse"]), f"{t['parse']:.2f}s wall (yaml.CSafeLoader); in-process, no start-up: "
        f"{got['parse_inproc']:.2f}s" if t["parse"] else notes.get("parse", ""))
    same_zen = sum(1 for a, b in zip(got["zen_scores"], reference) if a == b) if got["zen_scores"] else None
    same = sum(1 for a, b in zip(got["batch_scores"], reference) if a == b)
    say("folder_agree", f"{same:,} of {n:,}" + ("" if same_zen is None else f" (zen-engine user: {same_zen:,} of {n:,})"))
    target("folder_vs_zen", t["zen"] / t["batch"] if t.get("zen") and t["batch"] else None, ">=", 1)
    target("folder_vs_parse", t["batch"] / t["parse"] if t["batch"] and t["parse"] else None, "<=", 2)


def engine_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "engine"], cwd=ROOT, capture_output=True,
                               text=True).stdout.split("\n")
        changed = [line[3:] for line in dirty if line.strip()]
        return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")
    except OSError:
        return "unknown (no git)"


def rate(n: int, seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{n / seconds:,.0f} depts/s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="perfrules benchmarks (see benchmarks/README.md)")
    ap.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    ap.add_argument("-n", type=int, help="departments for (a)-(c) (default 10,000; quick 300)")
    ap.add_argument("--rounds", type=int, help="timed rounds per engine (default 3; quick 1)")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--rss", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="default 2000 200000; quick 200 2000")
    ap.add_argument("--wall-runs", type=int, help="runs of each command in (e) (default 9; quick 3)")
    ap.add_argument("--folder", type=int, help="YAML fact files for (f) (default 2,000; quick 200)")
    ap.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child is not None:
        rss_child(args.rss_child, args.seed)
        return 0
    as_found = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory(prefix="perfrules-pycache-") as prefix:
            return _run(args, prefix, as_found)
    finally:
        os.environ.clear()
        os.environ.update(as_found)


def _run(args, prefix: str, as_found: dict) -> int:
    # Every program timed here runs as installed: with its bytecode cached (pip compiles an
    # installed package's .pyc), in `prefix` for this run, written by the warm-up runs below.
    # The development VM sets PYTHONDONTWRITEBYTECODE, which would compile an editable perfrules
    # from source on every run (~70 ms) while its dependencies and zen-engine have .pyc files.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    n = args.n or (300 if args.quick else 10_000)
    rounds = args.rounds or (1 if args.quick else 3)
    rss_small, rss_large = args.rss or ((200, 2000) if args.quick else (2000, 200_000))
    wall_runs = args.wall_runs or (3 if args.quick else 9)
    n_folder = min(n, args.folder or (200 if args.quick else 2000))

    print(f"perfrules benchmark{' (--quick: a smoke run; the figures mean little)' if args.quick else ''}")
    print(f"  machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}; engine at {engine_state()}")
    print("  every program timed runs as installed: bytecode cached (a temporary PYTHONPYCACHEPREFIX, "
          "written by an untimed warm-up run)")
    print(f"  data: {n:,} synthetic departments, seed {args.seed} (benchmarks/generate.py), policy {generate.POLICY}")

    t0 = time.perf_counter()
    lines = list(generate.lines(n, args.seed))
    policy = perfrules_setup()
    print(f"  generated in {time.perf_counter() - t0:.1f}s; policy loaded once ({len(policy.rules)} rules)")

    try:
        decision = zen_graph.decision()
        zen_note = ""
    except ImportError:
        decision, zen_note = None, "skipped: zen-engine is not installed (pip install zen-engine; see README.md)"

    # (a), (b), (c) on one core, interleaved rounds, the same lines for all
    saved, pin_note = pin_one_core()
    core_sessions = durable_core_setup(lines, policy)
    engines = {"perfrules": (run_perfrules, lines, policy), "plain": (run_plain, lines, None),
               "parse": (run_parse, lines, None), "core": (run_durable_core, core_sessions, None)}
    if batch_available():
        engines["row"] = (run_rows, lines, policy)
    if decision is not None:
        contexts = [zen_graph.context(loads(line)) for line in lines]
        engines["zen"] = (run_zen, lines, decision)
        engines["zen_only"] = (run_zen_only, contexts, decision)
    run_perfrules(lines[:20], policy)     # warm up: durable's ruleset is created on first use
    if decision is not None:
        run_zen(lines[:20], decision)
    seconds, scores = timed_rounds(engines, rounds)
    if saved is not None:
        os.sched_setaffinity(0, saved)
    reference = scores["perfrules"]

    sample = lines[:2000]                   # untimed: does the data exercise the whole policy?
    fired = set().union(*(r.fired for r in results(sample, policy)))
    print(f"  data coverage: {len(fired)} of the policy's {len(policy.rules)} rules fire in the first "
          f"{len(sample):,} departments")

    def agree(key: str) -> int:
        return sum(1 for a, b in zip(scores[key], reference) if a == b)

    print(f"\nThroughput on one core ({pin_note}; median of {rounds} interleaved round(s); "
          "each from the JSON line to the score)")
    say("perfrules", rate(n, seconds["perfrules"]), "read_department + service.evaluate_department, durable_rules session per department")
    if "row" in seconds:
        say("row", rate(n, seconds["row"]), "then batch/rows.jsonl_row (reasons and the whole report): a --jobs 1 "
            "worker's work, without process start, reading or writing")
    else:
        say("row", "n/a", "skipped: engine/perfrules/batch/ does not exist yet")
    say("plain", rate(n, seconds["plain"]), "no validation, no explanation")
    say("plain_agree", f"{agree('plain'):,} of {n:,}")
    bounds(n, seconds, scores["core"], len(core_sessions))
    if decision is None:
        for key in ("zen", "zen_only", "zen_agree"):
            say(key, "n/a", zen_note)
    else:
        say("zen", rate(n, seconds["zen"]), "incl. the record -> ZEN context mapping; scores only")
        say("zen_only", rate(n, seconds["zen_only"]), "contexts built beforehand")
        say("zen_agree", f"{agree('zen'):,} of {n:,}")
    target("perf_zen", seconds["zen"] / seconds["perfrules"] if decision else None, ">=", 1)
    target("perf_plain", seconds["plain"] / seconds["perfrules"], ">=", 0.5, "{:.3f}x")
    target("lib_rate", n / seconds["perfrules"], ">=", 10_000, "{:,.0f}/s")

    print("\nperfrules batch, end to end: process start, reading, evaluating, writing JSON Lines; "
          f"median of {rounds} interleaved round(s) of --jobs 1, --jobs 2 and the capacity check; not pinned")
    cap_n = min(n, 3000)
    caps = []
    if not batch_available():
        for _ in range(rounds):
            caps.append(capacity(cap_n, args.seed))
        for key in ("batch1", "batch2", "batch_agree", "batch_ratio", "batch_cpu"):
            say(key, "n/a", "skipped: engine/perfrules/batch/ does not exist yet")
        _summary.append((LABELS["batch_ratio"], "n/a", "target >= 1.8 (batch not written yet)"))
    else:
        with tempfile.TemporaryDirectory(prefix="perfrules-bench-") as tmp:
            data = Path(tmp) / "departments.jsonl"
            data.write_text("".join(lines), encoding="utf-8")
            warm = Path(tmp) / "warm-up.jsonl"
            warm.write_text("".join(lines[:5]), encoding="utf-8")
            run_batch(warm, 1, Path(tmp))     # writes the bytecode (see _run); not timed
            runs = {1: [], 2: []}
            for _ in range(rounds):     # interleaved: a burst of load elsewhere hits all three alike
                for jobs in (1, 2):
                    runs[jobs].append(run_batch(data, jobs, Path(tmp)))
                caps.append(capacity(cap_n, args.seed))
        (t1, c1, s1, why1), (t2, c2, s2, why2) = _median_run(runs[1]), _median_run(runs[2])
        say("batch1", rate(n, t1), f"{t1:.2f}s wall, {c1:.2f}s CPU" if t1 else why1)
        say("batch2", rate(n, t2), f"{t2:.2f}s wall" if t2 else why2)
        same = sum(1 for a, b, c in zip(s1, s2, reference) if a == b == c) if len(s1) == len(s2) == n else 0
        say("batch_agree", f"{same:,} of {n:,}")
        target("batch1_rate", n / t1 if t1 else None, ">=", 5_000, "{:,.0f}/s")
        target("batch_ratio", t1 / t2 if t1 and t2 else None, ">=", 1.8)
        # the workers are forked children that the batch reaps, so RUSAGE_CHILDREN counts them
        say("batch_cpu", f"{c2 / c1:.2f}x" if c1 and c2 else "n/a",
            f"{c2:.2f}s vs {c1:.2f}s CPU: what running two workers costs in all" if c1 and c2 else "")
    say("capacity", f"{statistics.median(caps):.2f}x",
        f"2 independent library-path processes at once vs 1 alone ({cap_n:,} departments each): "
        "the most 2 processes could get on this machine during this run")

    if batch_available():
        folder_figures(lines[:n_folder], reference[:n_folder], rounds, decision is not None, zen_note)

    print("\nPeak RSS of a fresh process streaming departments through the library path")
    small, large = measure_rss(rss_small, args.seed), measure_rss(rss_large, args.seed)
    say("rss_small", f"{small['maxrss_mb']:.1f} MB", f"{rss_small:,} departments in {small['seconds']:.1f}s")
    say("rss_large", f"{large['maxrss_mb']:.1f} MB", f"{rss_large:,} departments in {large['seconds']:.1f}s "
        f"({rss_large / large['seconds']:,.0f} depts/s incl. generating them)")
    target("rss_ratio", large["maxrss_mb"] / small["maxrss_mb"], "<=", 1.3)

    print(f"\nStart-up: median wall time of {wall_runs} runs each, interleaved, bytecode cached (as installed)")
    wp, wi = wall_times(wall_runs)
    say("wall_perfrules", f"{wp * 1000:.0f} ms", f"perfrules evaluate {EXAMPLE}")
    say("wall_imports", f"{wi * 1000:.0f} ms", f'python -c "{IMPORTS}"')
    target("wall_ratio", wp / wi, "<=", 1.3)
    if as_found.get("PYTHONDONTWRITEBYTECODE"):
        wp, wi = wall_times(wall_runs, env=as_found)
        say("wall_uncached", f"{wp / wi:.2f}x", f"{wp * 1000:.0f} ms vs {wi * 1000:.0f} ms: PYTHONDONTWRITEBYTECODE is set here, "
            "so an editable perfrules is compiled from source on every run (its dependencies have .pyc)")

    print("\nSummary")
    for label, value, verdict in _summary:
        print(f"  {label:<44} {value:>8}   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
