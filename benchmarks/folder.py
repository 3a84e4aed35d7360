"""(f) A folder of YAML fact files, end to end: `perfrules batch` against a zen-engine user doing
the same work, and against parsing the files with libyaml alone.

Each of the three is a program run over the same folder and timed from outside, process start
included, as a user would run it:
  - `perfrules batch FOLDER --jobs 1 --output out.jsonl`;
  - the zen user (`python folder.py --zen FOLDER OUT`): walk the folder, parse each file with
    libyaml (yaml.CSafeLoader), map it to a ZEN context (zen_graph.context), evaluate the
    decision graph, write one JSON line per file;
  - libyaml alone (`python folder.py --parse FOLDER`): walk the folder, read and parse each file
    with yaml.CSafeLoader, keep nothing.
The libyaml figure is also printed parsed in-process (no process start), for reference.
Rounds are interleaved and the median is taken; scores of both scorers are checked against the
library path's on every file. The files are the generated departments written as YAML, one per
file, named in input order.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def write_folder(lines: list[str], folder: Path) -> None:
    """One YAML fact file per generated department, dept-00001.yaml … in input order."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, line in enumerate(lines, 1):
        record = json.loads(line)
        text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
        (folder / f"dept-{i:05d}.yaml").write_text(text, encoding="utf-8")


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.yaml"))


def parse_all(folder: Path) -> int:
    """libyaml alone: read and parse every file."""
    n = 0
    for path in _files(folder):
        with open(path, encoding="utf-8") as f:
            yaml.load(f.read(), Loader=_Loader)
        n += 1
    return n


def zen_user(folder: Path, out: Path) -> None:
    """What a zen-engine user writes: parse, map, evaluate, one JSON line per file."""
    sys.path.insert(0, str(HERE))
    import zen_graph
    decision = zen_graph.decision()
    with open(out, "w", encoding="utf-8") as w:
        for path in _files(folder):
            with open(path, encoding="utf-8") as f:
                record = yaml.load(f.read(), Loader=_Loader)
            result = decision.evaluate(zen_graph.context(record))["result"]
            w.write(json.dumps({"file": path, "department": record["department"], "score": result["score"]},
                               ensure_ascii=False) + "\n")


def _wall(cmd: list[str], cwd: Path) -> tuple[float | None, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or [''])[-1][:160]}"
    return elapsed, ""


def _scores(out: Path, cent: Decimal) -> list[Decimal]:
    with open(out, encoding="utf-8") as f:
        return [Decimal(repr(s) if isinstance(s, float) else str(s)).quantize(cent)
                for s in (json.loads(line)["score"] for line in f if line.strip())]


def measure(folder: Path, batch_cmd: list[str], root: Path, rounds: int, zen: bool) -> dict:
    """Median wall seconds of each program over the folder (None: failed or not installed), the
    in-process libyaml seconds, the scores each scorer wrote, and notes."""
    perf_out, zen_out = folder.parent / "folder-batch.jsonl", folder.parent / "folder-zen.jsonl"
    me = [sys.executable, str(Path(__file__).resolve())]
    cmds = {"batch": batch_cmd + ["batch", str(folder), "--jobs", "1", "--output", str(perf_out)],
            "parse": me + ["--parse", str(folder)]}
    if zen:
        cmds["zen"] = me + ["--zen", str(folder), str(zen_out)]
    seconds: dict[str, list[float]] = {k: [] for k in cmds}
    notes: dict[str, str] = {}
    inproc = []
    for cmd in cmds.values():      # a warm-up run of each writes its bytecode (bench.py runs all as installed)
        _wall(cmd, root)
    for _ in range(rounds):
        for key, cmd in cmds.items():
            t, why = _wall(cmd, root)
            if t is None:
                notes[key] = why
            else:
                seconds[key].append(t)
        t0 = time.perf_counter()
        parse_all(folder)
        inproc.append(time.perf_counter() - t0)
    median = {k: (statistics.median(v) if v and k not in notes else None) for k, v in seconds.items()}
    cent = Decimal("0.01")
    return {"seconds": median, "parse_inproc": statistics.median(inproc), "notes": notes,
            "batch_scores": _scores(perf_out, cent) if median.get("batch") else [],
            "zen_scores": _scores(zen_out, cent) if median.get("zen") else []}


if __name__ == "__main__":
    if sys.argv[1] == "--parse":
        parse_all(Path(sys.argv[2]))
    elif sys.argv[1] == "--zen":
        zen_user(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit("usage: folder.py --parse FOLDER | --zen FOLDER OUT")
