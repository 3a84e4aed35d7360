"""perfrules: 部门整体支出绩效自评 scoring policies as YAML, evaluated with durable_rules.

The pipeline, one module per step:
    load.py      read YAML safely, keeping line:col for every value
    validate.py  JSON Schema + semantic checks -> policy.Policy
    facts.py     read a department's fact file against the policy's declarations
    compile.py   policy -> one durable_rules ruleset
    evaluate.py  run a department in its own session; collect what fired
    score.py     points, deductions and reasons from what fired (explain)
    report/      every report (text, JSON, Markdown), one reporter per report and format
"""
__version__ = "0.1.0"
