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
from . import service
from .facts import read_department
from .load import Document, load_file
from .methods import METHODS
from .model import Policy, Rule
from .problems import InputError, Problem
from .schema import schema_problems


@dataclass
class Case:
    name: str
    data: dict                 # a whole fact document
    expect: dict
    path: tuple
    doc: Document | None = None     # the facts as a document that locates problems in the files


@dataclass
class _CaseDocument(Document):
    """A case's facts (its base file's, overridden by its own) as one document: a problem is
    located where the value was written, in the cases file or in the base file."""

    cases: Document | None = None
    at: tuple = ()                  # ("cases", i)
    base: Document | None = None
    own: frozenset = frozenset()    # fact keys the case itself sets

    def problem(self, code, path=(), message="", message_en="", hint="", hint_en="", at_key=False) -> Problem:
        path = tuple(path)
        assert self.cases is not None
        if len(path) >= 2 and path[0] == "facts" and path[1] in self.own:
            return self.cases.problem(code, self.at + path, message, message_en, hint, hint_en, at_key)
        if self.base is not None and path and (path[0] != "facts" or len(path) >= 2):
            return self.base.problem(code, path, message, message_en, hint, hint_en, at_key)
        return self.cases.problem(code, self.at, message, message_en, hint, hint_en, at_key)


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
    policy: Policy

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    def uncovered(self) -> list[Rule]:
        fired: set[int] = set().union(*(r.fired for r in self.results)) if self.results else set()
        return [r for r in self.policy.rules if r.index not in fired]


@dataclass
class Suite:
    """Every case file run: the reports of those that ran, the problems of those that could not."""
    reports: list[FileReport]
    errors: list[Problem]                # of the case files that could not run
    searched: str = ""                   # the folder searched when no path was given (the shipped rules)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.reports)

    @property
    def total(self) -> int:
        return sum(len(r.results) for r in self.reports)


def load_cases(path) -> CaseFile:
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
        policy_path = service.default().registry.resolve(ref, allow_paths=True, near=path.parent, file=str(path))
    except InputError as exc:
        raise InputError([doc.problem("E406", ("policy",), exc.problems[0].message, exc.problems[0].message_en)])
    base, base_doc = {}, None
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
        case_doc = _CaseDocument(str(path), data, None, cases=doc, at=("cases", i), base=base_doc,
                                 own=frozenset(c.get("facts", {})))
        cases.append(Case(c["name"], data, c["expect"], ("cases", i), case_doc))
    return CaseFile(path, policy_path, cases, doc)


def _default_policy(path: Path) -> str:
    name = path.name
    stem = name[: -len(".cases.yaml")] if name.endswith(".cases.yaml") else path.stem
    return str(path.parent / f"{stem}.yaml")


def run_file(path) -> FileReport:
    cf = load_cases(path)
    svc = service.default()
    policy = svc.registry.load(cf.policy_path)
    results = []
    for case in cf.cases:
        doc = case.doc or Document(str(cf.file), case.data, None)
        want = case.expect
        try:
            result = svc.evaluate_department(policy, read_department(doc, policy))
        except InputError as exc:
            codes = [p.code for p in exc.problems]
            if want.get("error") in codes:
                results.append(CaseResult(case, True))
            else:
                p = exc.problems[0]
                where = f"{p.file}:{p.line}:{p.col} " if p.line else ""
                results.append(CaseResult(case, False, [Diff(f"事实被拒绝：{where}[{p.code}] {p.message}",
                                                             f"facts refused: {where}[{p.code}] {p.text('en')}")]))
            continue
        results.append(CaseResult(case, True, fired=result.fired) if not (diffs := _compare(want, result))
                       else CaseResult(case, False, diffs, result.fired))
    return FileReport(cf, results, policy)


def run_all(files, verbose: bool = False, searched: str = "") -> Suite:
    """Run every case file; one that cannot run adds its problems (the first only, unless
    verbose) instead of stopping the others. `searched`: the folder the files came from when
    the user named none, so that the report can say what it ran."""
    reports, errors = [], []
    for f in files:
        try:
            reports.append(run_file(f))
        except InputError as exc:
            errors.extend(exc.problems if verbose else exc.problems[:1])
    return Suite(reports, errors, searched)


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
    if "rules_score" in want and _num(want["rules_score"]) != result.rules_total:
        diffs.append(Diff(f"按评分规则的得分：期望 {_num(want['rules_score'])}，实际 {result.rules_total}",
                          f"score by the rules: expected {_num(want['rules_score'])}, got {result.rules_total}"))
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
    got.update({n.indicator.id: n for n in result.overridden})    # a 认定 to full marks still has its reasons
    for ind, fragment in (want.get("reasons") or {}).items():
        text = "；".join(got[ind].reasons) if ind in got else ""
        if str(fragment) not in text:      # the fragment is Chinese: it is matched, and shown, against the Chinese reasons
            diffs.append(Diff(f"扣分原因 {ind}：应包含“{fragment}”，实际“{text or '（无扣分）'}”",
                              f"reason {ind}: should contain \"{fragment}\", got \"{text or '(no deduction)'}\""))
    return diffs


def describe(policy: Policy, rule: Rule, lang: str = "zh") -> str:
    """A rule as staff would name it in a coverage report (each method words its own)."""
    leaf = policy.leaf_index[rule.leaf]
    return METHODS[leaf.method.kind].describe(leaf, rule, lang)


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
