"""perfrules batch: score many departments at once, for reviewers.

    perfrules batch INPUT... [--policy ID|PATH] [--items FILE] [--jobs N] [--output FILE] [--lang zh|en]

INPUT is any mix of
- YAML fact files, and folders of them (searched recursively for *.yaml / *.yml, skipping
  *.cases.yaml, *.cases/ folders and hidden files and folders);
- JSON Lines files (*.jsonl, *.ndjson): each non-blank line is one fact document of the same
  shape as a YAML fact file, {policy?, department, short_name?, year?, facts: {...}, claimed?};
  a problem is located as NAME.jsonl:LINE;
- CSV files (*.csv), one department a row: a `department` (部门) column, optional `policy`
  (评分办法), `year` (年度), `short_name` (简称) and `code` (部门编码) columns, then one column
  per top-level fact, named by the fact's key or by its label. Empty cells are left out (the
  policy's default applies). List-valued facts (绩效指标) come from a second CSV given with
  --items: a `department` column, a `list` (列表) column naming the list fact by key or label
  (optional when the policy declares only one list fact), then one column per record field,
  again by key or label. A problem is located as NAME.csv:LINE (or ITEMS.csv:LINE for a
  record that came from the items file). CSV files may be UTF-8 (with or without BOM) or
  GBK/GB18030, as Excel and WPS save them.

Each department is read with facts.read_department, evaluated and explained with the normal
pipeline. One bad department never stops the batch: it is listed in the summary with its
located error. The output (--output FILE, by suffix: .csv, .jsonl or .xlsx; JSON Lines on
stdout without --output) has one row per department evaluated, in input order; a JSON Lines
row is report.json.to_dict(result) plus "source". An .xlsx output is the reviewer's workbook
(batch.workbook: 结果 with ranks, 汇总 with charts, 核对 with audit's findings on every claim,
失败). Rows are written as they come (the workbook spools them to a temporary file, to rank
them) and inputs are read lazily, so memory does not grow with the number of departments
(the --items file is the exception: it is indexed by department up front). The output is written to an
unnamed temporary file named at the end: a failed, interrupted or killed batch leaves no
output file and no temporary file. An output that is one of the inputs is refused (E601).

--jobs N evaluates in N worker processes forked from the command (--jobs 1 too: durable_rules
is neither thread-safe nor releases the GIL, tech/durable-and-peers.md §1.9, and its C core
can kill the process that runs it): each evaluates chunks of departments; chunks come back
in input order, so any N gives byte-identical CSV and JSON Lines output. A worker that dies
(a signal from the engine) costs only its chunk, which is retried one department at a time:
the department that kills its process again is listed as an internal error, every other row
is written as in a run without it. --jobs 0 uses every CPU.

Exit codes: 0 all evaluated; 1 some department failed (or --items rows matched no department);
2 the inputs themselves could not be read (missing file, unreadable CSV header, bad --policy,
unsupported --output, no departments at all): then no output file is written.
"""
from .run import run_batch

__all__ = ["run_batch"]
