"""Policy test cases beside the policy (OPA's x_test.rego, OpenFisca's YAML tests).

`rules/…/2023.cases.yaml` holds named cases: facts (inline over an optional base fact file)
and what the policy must give for them: score, grade, the exact set of deductions, reason
fragments, or the error code a bad fact must raise. `perfrules test` runs them and reports
which rules (bands, checklist items, tiers, conditions) no case ever made fire; the report
itself is report/cases.py.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import expr
from .load import Document, load_file
from .pipeline import compiled_policy, resolve_policy
from .problems import InputError, Problem


@dataclass
class Case:
    name: str
    data: dict                 # a whole fact document
    expect: dict
    path: tuple


@dataclass
class CaseFile:
    file: Path
    policy_path: Path
    cases: list[Case]
    doc: Document


@dataclass(frozen=True)
class Diff:
    """One way a case's outcome differs from what it expects, in Chinese and English."""
    message: str
    message_en: str

    def text(self, lang: str = "zh") -> str:
        return self.message if lang == "zh" else self.message_en


@dataclass
class CaseResult:
    case: Case
    ok: bool
    diffs: list[Diff] = field(default_factory=list)
    fired: set[int] = field(default_factory=set)


@dataclass
class FileReport:
    cases: CaseFile
    results: list[CaseResult]
    policy: object

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    def uncovered(self) -> list:
        fired = set().union(*(r.fired for r in self.results)) if self.results else set()
        return [r for r in self.policy.rules if r.index not in fired]


@dataclass
class Suite:
    """Every case file run: the reports of those that ran, the problems of those that could not."""
    reports: list[FileReport]
    errors: list[Problem]                # of the case files that could not run

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.reports)

    @property
    def total(self) -> int:
        return sum(len(r.results) for r in self.reports)


def load_cases(path) -> CaseFile:
    from .validate import schema_problems
    path = Path(path)
    doc = load_file(path)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem("E106", (), "测试用例文件最外层应是“字段: 值”的映射。", "The top level must be a mapping.")])
    problems = schema_problems(doc, "cases.schema.json")
    if problems:
        raise InputError(problems)
    d = doc.data
    ref = d.get("policy") or _default_policy(path)
    try:
        policy_path = resolve_policy(ref, path.parent, str(path))
    except InputError as exc:
        raise InputError([doc.problem("E406", ("policy",), exc.problems[0].message, exc.problems[0].message_en)])
    base = {}
    if "base" in d:
        base_path = path.parent / d["base"]
        try:
            base_doc = load_file(base_path)
        except InputError as exc:
            raise InputError([doc.problem("E501", ("base",), f"base 指向的事实文件无法读取：{exc.problems[0].message}",
                                          "base fact file cannot be read")])
        base = base_doc.data if isinstance(base_doc.data, dict) else {}
    cases, names = [], set()
    for i, c in enumerate(d["cases"]):
        if c["name"] in names:
            raise InputError([doc.problem("E305", ("cases", i, "name"), f"用例名“{c['name']}”重复。", "duplicate case name")])
        names.add(c["name"])
        data = copy.deepcopy(base) if base else {"department": c["name"], "facts": {}}
        data.setdefault("department", c["name"])
        data.setdefault("facts", {})
        data.pop("claimed", None)
        data["facts"] = {**data.get("facts", {}), **c.get("facts", {})}
        for k in c.get("remove", []):
            data["facts"].pop(k, None)
        cases.append(Case(c["name"], data, c["expect"], ("cases", i)))
    return CaseFile(path, policy_path, cases, doc)


def _default_policy(path: Path) -> str:
    name = path.name
    stem = name[: -len(".cases.yaml")] if name.endswith(".cases.yaml") else path.stem
    return str(path.parent / f"{stem}.yaml")


def run_file(path) -> FileReport:
    from .explain import evaluate
    from .facts import read_department
    cf = load_cases(path)
    compiled = compiled_policy(cf.policy_path)
    results = []
    for case in cf.cases:
        doc = Document(f"{cf.file}#{case.name}", case.data, None)
        want = case.expect
        try:
            result = evaluate(compiled, read_department(doc, compiled.policy))
        except InputError as exc:
            codes = [p.code for p in exc.problems]
            if want.get("error") in codes:
                results.append(CaseResult(case, True))
            else:
                p = exc.problems[0]
                results.append(CaseResult(case, False, [Diff(f"事实被拒绝：[{p.code}] {p.message}",
                                                             f"facts refused: [{p.code}] {p.text('en')}")]))
            continue
        results.append(CaseResult(case, True, fired=result.fired) if not (diffs := _compare(want, result))
                       else CaseResult(case, False, diffs, result.fired))
    return FileReport(cf, results, compiled.policy)


def run_all(files, verbose: bool = False) -> Suite:
    """Run every case file; one that cannot run adds its problems (the first only, unless
    verbose) instead of stopping the others."""
    reports, errors = [], []
    for f in files:
        try:
            reports.append(run_file(f))
        except InputError as exc:
            errors.extend(exc.problems if verbose else exc.problems[:1])
    return Suite(reports, errors)


def _num(x) -> Decimal:
    return expr.round2(Decimal(str(x)))


def _compare(want: dict, result) -> list[Diff]:
    diffs = []
    if "error" in want:
        diffs.append(Diff(f"期望事实被拒绝（{want['error']}），实际得分 {result.score}",
                          f"expected the facts to be refused ({want['error']}), got score {result.score}"))
    if "score" in want and _num(want["score"]) != result.score:
        diffs.append(Diff(f"得分：期望 {_num(want['score'])}，实际 {result.score}",
                          f"score: expected {_num(want['score'])}, got {result.score}"))
    if "grade" in want and want["grade"] != result.grade():
        diffs.append(Diff(f"等级：期望 {want['grade']}，实际 {result.grade()}",
                          f"grade: expected {want['grade']}, got {result.grade()}"))
    got = {d.indicator.id: d for d in result.deductions}
    if "deductions" in want:
        expected = {str(k): _num(v) for k, v in (want["deductions"] or {}).items()}
        for ind in sorted(set(expected) | set(got)):
            e = expected.get(ind, Decimal("0.00"))
            g = got[ind].deduction if ind in got else Decimal("0.00")
            if e != g:
                diffs.append(Diff(f"扣分 {ind}：期望 {e if e else '无'}，实际 {g if g else '无'}"
                                  + (f"（{'；'.join(got[ind].reasons)}）" if ind in got else ""),
                                  f"deduction {ind}: expected {e if e else 'none'}, got {g if g else 'none'}"
                                  + (f" ({'; '.join(got[ind].reasons_en)})" if ind in got else "")))
    for ind, fragment in (want.get("reasons") or {}).items():
        text = "；".join(got[ind].reasons) if ind in got else ""
        if str(fragment) not in text:      # the fragment is Chinese: it is matched, and shown, against the Chinese reasons
            diffs.append(Diff(f"扣分原因 {ind}：应包含“{fragment}”，实际“{text or '（无扣分）'}”",
                              f"reason {ind}: should contain \"{fragment}\", got \"{text or '(no deduction)'}\""))
    return diffs


def describe(rule, lang: str = "zh") -> str:
    """A rule as staff would name it in a coverage report."""
    ind, kind = rule.indicator, rule.indicator.method.kind
    if lang == "en":
        head = f"{ind.id} {ind.name_en or ind.name}"
        if rule.interval is not None:
            return f"{head}: interval {rule.interval.text}"
        if kind == "checklist":
            return f"{head}: missing \"{rule.label_en or rule.label}\""
        if kind == "tiered":
            return f"{head}: tier \"{rule.value}\""
        if kind == "deductions":
            return f"{head}: condition {rule.condition.text}"
        return {"proportional": f"{head}: below full marks", "per_unit": f"{head}: deduction beyond the limit",
                "manual": f"{head}: manual score below full marks"}.get(kind, head)
    head = f"{ind.id} {ind.name}"
    if rule.interval is not None:
        return f"{head}：区间 {rule.interval.text}"
    if kind == "checklist":
        return f"{head}：缺少“{rule.label}”"
    if kind == "tiered":
        return f"{head}：档次“{rule.value}”"
    if kind == "deductions":
        return f"{head}：条件 {rule.condition.text}"
    return {"proportional": f"{head}：未得满分", "per_unit": f"{head}：超出限额扣分", "manual": f"{head}：手工评分低于满分"}.get(
        kind, head)


def find_case_files(paths) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if _exists(p.is_dir):
            out.extend(sorted(p.rglob("*.cases.yaml")))
        elif p.name.endswith(".yaml") and not p.name.endswith(".cases.yaml") and _exists(Path(_cases_for(p)).is_file):
            out.append(Path(_cases_for(p)))
        else:
            out.append(p)
    return out


def _exists(check) -> bool:
    """Path.is_dir/is_file, but False for a name the file system refuses (ENAMETOOLONG):
    such a path is then reported as unreadable (E101) instead of crashing."""
    try:
        return check()
    except OSError:
        return False


def _cases_for(policy_path: Path) -> str:
    return str(policy_path.with_name(policy_path.stem + ".cases.yaml"))
