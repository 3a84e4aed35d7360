"""A crash of the engine is contained (issue 8): durable_rules' C core may kill its process
with a signal, and then

- `perfrules batch` (any --jobs) loses only the department that crashed: it is a located
  internal-error row on the failure list (exit 1), every other row is written, in order,
  byte-identical to a run without it;
- `perfrules evaluate` and `audit` exit 3 with their one line, nothing on stdout or -o;
- a `kill -9` of a batch leaves no worker process and no temporary file behind.

The crash is simulated without a hook in the engine: a sitecustomize.py, first on the
PYTHONPATH of the command under test (so in every process it forks), makes
DurableMatcher.fired send SIGSEGV to its own process for the department named 崩溃部门.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PANYU_FACTS, ROOT
from test_batch import as_yaml, departments, read_jsonl, write_jsonl

CRASHER = "崩溃部门"
SITE = f'''
import os, signal
from perfrules.matcher import durable

_real = durable.DurableMatcher.fired

def fired(self, prepared, dept):
    if dept.name == {CRASHER!r}:
        os.kill(os.getpid(), signal.SIGSEGV)
    return _real(self, prepared, dept)

durable.DurableMatcher.fired = fired
'''


@pytest.fixture
def crashing(tmp_path):
    """run(*args): the perfrules command line with the crash planted."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT / "engine"), os.environ.get("PYTHONPATH", "")]))

    def run(*args, **kw):
        return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], cwd=ROOT, env=env,
                              capture_output=True, text=True, encoding="utf-8", timeout=300,
                              preexec_fn=_no_core_dumps, **kw)
    return run


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def plain(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfrules", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def crasher_yaml(path: Path) -> Path:
    text = PANYU_FACTS.read_text(encoding="utf-8")
    path.write_text("\n".join(f"department: {CRASHER}" if line.startswith("department:") else line
                              for line in text.splitlines()) + "\n", encoding="utf-8")
    return path


# ---- batch -----------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    """Nine departments in a folder, the crasher fifth (files are read in name order)."""
    folder = tmp_path / "depts"
    folder.mkdir()
    for n, doc in enumerate(departments(9, seed=11)):
        if n == 4:
            doc["department"] = CRASHER
        (folder / f"{n:02d}.yaml").write_text(as_yaml(doc), encoding="utf-8")
    return folder


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_batch_loses_only_the_crashing_department(crashing, folder, tmp_path, suffix):
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}{suffix}"
        proc = crashing("batch", folder, "--jobs", jobs, "-o", out)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "double free" not in proc.stderr
        assert "共 9 个部门，评分 8 个，失败 1 个" in proc.stderr
        assert f"  {folder / '04.yaml'}（{CRASHER}）: 内部错误" in proc.stderr and "SIGSEGV" in proc.stderr
        outputs[jobs] = out.read_bytes()
    assert outputs[1] == outputs[2]
    (folder / "04.yaml").unlink()
    reference = tmp_path / f"reference{suffix}"
    proc = plain("batch", folder, "-o", reference)
    assert proc.returncode == 0, proc.stderr
    assert outputs[1] == reference.read_bytes()


def test_batch_of_a_long_input_crashing_mid_chunk(crashing, tmp_path):
    """More than one chunk per worker, the crasher inside the second one."""
    docs = departments(400, seed=5)
    docs[200]["department"] = CRASHER
    jsonl = write_jsonl(tmp_path / "d.jsonl", docs)
    for jobs in (1, 2):
        out = tmp_path / f"o{jobs}.jsonl"
        proc = crashing("batch", jsonl, "--jobs", jobs, "-o", out)
        assert proc.returncode == 1, proc.stderr
        rows = read_jsonl(out)
        assert [r["source"] for r in rows] == [f"{jsonl}:{n}" for n in range(1, 401) if n != 201]
        assert f"{jsonl}:201（{CRASHER}）: 内部错误" in proc.stderr


# ---- evaluate and audit ----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["evaluate", "audit"])
def test_a_crash_is_exit_3_with_one_line(crashing, tmp_path, command):
    facts = crasher_yaml(tmp_path / "crash.yaml")
    out = tmp_path / "out.txt"
    proc = crashing(command, facts, "-o", out)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("perfrules 内部错误（不是您输入的问题）") and proc.stderr.count("\n") == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["crash.yaml", "site"]
    proc = crashing(command, facts, "--lang", "en")
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.startswith("perfrules internal error")


def test_evaluate_of_other_departments_is_unaffected(crashing):
    proc = crashing("evaluate", PANYU_FACTS, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["score"] == "96.88"


# ---- kill -9 ---------------------------------------------------------------------------------

def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()       # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_9_leaves_no_process_and_no_temp_file(tmp_path, jobs):
    docs = departments(50, seed=2)
    jsonl = write_jsonl(tmp_path / "big.jsonl", (dict(docs[i % 50], department=f"部门{i:05d}") for i in range(30_000)))
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "perfrules", "batch", str(jsonl), "--jobs", str(jobs),
                             "-o", str(outdir / "result.csv")], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(_group(proc.pid)) < 1 + jobs:            # the batch and its workers are at work
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the batch finished before it could be killed: make it longer"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group(proc.pid) == []
        assert list(outdir.iterdir()) == []
    finally:
        for pid in _group(proc.pid):
            os.kill(pid, signal.SIGKILL)
