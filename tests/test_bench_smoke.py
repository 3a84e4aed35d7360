"""benchmarks/bench.py --quick runs end to end and prints every figure's label.

A smoke test only: it asserts nothing about speed or memory (the machine may be shared and
noisy; bench.py prints its ratios, it never asserts them).
"""
import subprocess
import sys

from conftest import ROOT

LABELS = [
    "(a) perfrules, library path, 1 core",
    "(a) library path + the batch's JSON row",
    "(a) perfrules batch --jobs 1",
    "(a) perfrules batch --jobs 2",
    "(a) batch speed-up, --jobs 2 / --jobs 1",
    "(a) batch CPU time, --jobs 2 / --jobs 1",
    "(a) machine capacity, 2 processes / 1",
    "(b) plain-Python floor, 1 core",
    "(b) plain-Python scores equal to perfrules'",
    "(b) json.loads of the line alone",
    "(b) durable_rules' C core alone",
    "(b) floor + durable C core, nothing else",
    "(b) perfrules / plain-Python at that rate",
    "(b) left for reading, checking, explaining",
    "(c) zen-engine decision graph, 1 core",
    "(c) zen-engine scores equal to perfrules'",
    "perfrules / zen-engine",
    "perfrules / plain-Python",
    "(d) peak RSS, small run",
    "(d) peak RSS, large run",
    "(d) peak RSS, large / small",
    "(e) wall time, perfrules evaluate example",
    "(e) wall time, python -c imports",
    "(e) wall time, perfrules / imports",
    "(a) library path, departments/s",
    "(a) batch --jobs 1, departments/s",
    "(f) perfrules batch over a YAML folder",
    "(f) zen-engine user over the same folder",
    "(f) libyaml parse alone, the same folder",
    "(f) folder scores equal to the library path's",
    "(f) perfrules batch / zen-engine user",
    "(f) perfrules batch time / libyaml parse",
]


def test_bench_quick_runs_and_prints_every_figure():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    missing = [label for label in LABELS if label not in proc.stdout]
    assert not missing, f"not printed: {missing}\n{proc.stdout}"


SERVE_LABELS = ["(s1) library path", "(s2) service, 1 client", "(s3) service, 8 clients",
                "service, 1 client / library path", "service, 8 clients / library path"]


def test_bench_serve_quick_runs_and_every_answer_agrees():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"), "--quick", "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    missing = [label for label in SERVE_LABELS if label not in proc.stdout]
    assert not missing, f"not printed: {missing}\n{proc.stdout}"
    assert proc.stdout.count("scores equal to the library path's: yes") == 2, proc.stdout
