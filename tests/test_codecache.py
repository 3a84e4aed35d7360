"""codecache: our dataclasses' generated methods come from code kept between runs, and a run
that uses the kept code gives exactly what a run that compiles it gives."""
import marshal
import os
import subprocess
import sys

from conftest import EXAMPLES, ROOT

EXAMPLE = str(EXAMPLES / "panyu-jiguan-gongwei-2023.yaml")
PROBE = """
import sys
from perfrules import codecache
from perfrules.cli import main
sys.argv = ["perfrules", "evaluate", sys.argv[1], "-f", "json"]
try:
    main()
except SystemExit:
    pass
print("\\nNEW", len(codecache._NEW), "CACHED", len(codecache._CACHE) - len(codecache._NEW), file=sys.stderr)
"""


def _run(prefix, *, write=True):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine"), "PYTHONPYCACHEPREFIX": str(prefix)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run([sys.executable, "-c", PROBE, EXAMPLE], env=env, capture_output=True, text=True, timeout=120)
    counts = out.stderr.strip().splitlines()[-1].split()   # the parent's counts; the child saves its own
    return out.stdout, int(counts[1]), int(counts[3])


def _file(prefix):
    return [p for p in prefix.rglob("codecache.*.dataclasses")]


def _entries(prefix) -> int:
    (path,) = _file(prefix)
    return len(marshal.loads(path.read_bytes()))


def test_the_second_run_compiles_nothing_and_says_the_same(tmp_path):
    first, new1, cached1 = _run(tmp_path)
    assert new1 > 0 and cached1 == 0
    kept = _entries(tmp_path)      # the parent's classes and those the evaluating child made
    assert kept > 100
    second, new2, cached2 = _run(tmp_path)
    assert new2 == 0 and cached2 == kept and _entries(tmp_path) == kept
    assert second == first and '"score": "96.88"' in first


def test_nothing_is_written_where_bytecode_is_not(tmp_path):
    _run(tmp_path, write=False)
    assert _file(tmp_path) == []


def test_an_unreadable_cache_is_an_empty_one(tmp_path):
    good, _, _ = _run(tmp_path)
    kept = _entries(tmp_path)
    (path,) = _file(tmp_path)
    for junk in (b"", b"\x00garbage", b"\xe3" * 100):
        path.write_bytes(junk)
        again, new, cached = _run(tmp_path)
        assert again == good and new > 0 and cached == 0
        assert _entries(tmp_path) == kept          # and it was written anew, whole


def test_only_our_own_classes_go_through_it():
    import dataclasses
    from perfrules import codecache

    before = len(codecache._CACHE)

    @dataclasses.dataclass(frozen=True)
    class Elsewhere:            # this test module is not perfrules': its methods are compiled as usual
        a: int = 1
    assert Elsewhere() == Elsewhere(2 - 1) and len(codecache._CACHE) == before
