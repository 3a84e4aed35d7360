"""The input readers outside a batch: one registry by suffix, and documents(path) for a
command that reads in one process. Each reader gives the same department the same score."""
from __future__ import annotations

import json

import pytest
import yaml as pyyaml

from conftest import PANYU_FACTS

from perfrules import readers
from perfrules.facts import read_department
from perfrules.service import evaluate_department, evaluate_file, policy_for
from perfrules.problems import InputError


TABLE = """\
部门,评分办法,年度,全年一般公共预算支出预算数（万元）,实际支出数,已制定的内部管理制度（名称）,有内部财务管理制度,已制定绩效目标管理专门制度,有绩效运行监控制度,已制定绩效评价管理专门制度,有评价结果应用制度
中共广州市番禺区直属机关工作委员会,guangzhou/panyu/2023,2023,690.47万元,682.37万元,本级使用资金管理制度；财务审批制度,是,否,否,否,否
"""
ITEMS = """\
部门,指标名称,指标类别,年初目标值,实际完成值
中共广州市番禺区直属机关工作委员会,开展学习或培训活动次数,产出,3,3
中共广州市番禺区直属机关工作委员会,开展群团活动次数,产出,2,2
中共广州市番禺区直属机关工作委员会,持续开展机关作风建设和基层评议机关活动,产出,1,1
中共广州市番禺区直属机关工作委员会,培训参加人数,效益,200,185
中共广州市番禺区直属机关工作委员会,群团活动参加人数,效益,150,140
中共广州市番禺区直属机关工作委员会,基层党组织书记述职评议单位参与率,效益,100%,100%
"""


@pytest.mark.parametrize("name, reader", [
    ("a.yaml", readers.yaml), ("a.YML", readers.yaml), ("a.txt", readers.yaml), ("a", readers.yaml),
    ("a.jsonl", readers.jsonl), ("a.NDJSON", readers.jsonl), ("a.csv", readers.csv), ("a.Csv", readers.csv),
])
def test_reader_for_goes_by_suffix(name, reader):
    assert readers.reader_for(name) is reader


def score(doc):
    policy = policy_for(doc, None)
    readers.finish(doc, policy)
    return evaluate_department(policy, read_department(doc, policy)).score


def test_every_reader_gives_the_yaml_file_s_score(tmp_path):
    data = pyyaml.safe_load(PANYU_FACTS.read_text("utf-8"))
    data.pop("claimed")
    expected = evaluate_file(PANYU_FACTS).score
    (doc,) = readers.documents(PANYU_FACTS)
    assert doc.file == str(PANYU_FACTS) and score(doc) == expected

    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("\n" + json.dumps(data, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    (doc,) = readers.documents(jsonl)
    assert doc.file == f"{jsonl}:2" and score(doc) == expected

    table, items = tmp_path / "d.csv", tmp_path / "items.csv"
    table.write_text(TABLE, encoding="utf-8")
    items.write_text(ITEMS, encoding="gb18030")
    (doc,) = readers.documents(table, items)
    assert doc.file == f"{table}:2" and score(doc) == expected


def test_documents_of_a_folder_and_located_problems(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a.yaml").write_text(PANYU_FACTS.read_text("utf-8"), encoding="utf-8")
    (tmp_path / "f" / "a.cases.yaml").write_text("not: [a fact file", encoding="utf-8")
    assert [d.file for d in readers.documents(tmp_path / "f")] == [str(tmp_path / "f" / "a.yaml")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"department": "x"}\n{"department": \n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        readers.documents(bad)
    assert (exc.value.problems[0].code, exc.value.problems[0].file) == ("E103", f"{bad}:2")
    with pytest.raises(InputError) as exc:
        readers.documents(tmp_path / "missing.csv")
    assert exc.value.problems[0].code == "E101"


def test_evaluate_reads_a_csv_with_its_items_through_the_registry(tmp_path):
    """`evaluate` (not only batch) reads CSV: each row a report, scored as its YAML twin."""
    from typer.testing import CliRunner

    from perfrules.cli import app
    (tmp_path / "d.csv").write_text(TABLE, "utf-8")
    (tmp_path / "i.csv").write_text(ITEMS, "utf-8")
    run = CliRunner().invoke(app, ["evaluate", str(tmp_path / "d.csv"), "--items", str(tmp_path / "i.csv"), "-f", "json"])
    assert run.exit_code == 0, run.stdout + run.stderr
    got = json.loads(run.stdout)
    assert str(got["score"]) == str(evaluate_file(PANYU_FACTS).score)
