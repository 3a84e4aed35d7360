"""Where the shipped rules/ and schemas/ are: inside the installed package, or at the top of
the repository when running from a checkout or an editable install."""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for base in (_HERE / name, _HERE.parent.parent / name):
        if base.is_dir():
            return base
    return _HERE / name


def rules_dir() -> Path:
    return _find("rules")


def schema_path(name: str) -> Path:
    return _find("schemas") / name


def error_page(code: str) -> Path:
    """docs/errors/CODE.md, shipped inside the package (and at the top of a checkout)."""
    return _find("docs") / "errors" / f"{code}.md"


def policy_ids(root: Path | None = None) -> dict[str, Path]:
    """Policies by id (the path under the folder without .yaml): the shipped rules/ by default."""
    root = rules_dir() if root is None else root
    out = {}
    for p in sorted(root.rglob("*.yaml")):
        if p.name.endswith(".cases.yaml") or p.parent.name.endswith(".cases"):
            continue
        out[p.relative_to(root).with_suffix("").as_posix()] = p
    return out
