"""perfrules: 部门整体支出绩效自评 scoring policies as YAML, decided by durable_rules.

The flow, one module per step (README.md "How it works" has a line for every module):
    load.py       read YAML safely, keeping line:col for every value
    schema.py     JSON Schema problems, located and in Chinese
    validate.py   the passes that build a frozen model.Policy (methods/ check their own part)
    facts.py      a department's fact document -> model.Department (values.py reads each value)
    matcher/      which rules fire: durable (durable_rules, the engine) and reference (plain Python)
    score.py      points, deductions and reasons from what fired, through methods/
    service.py    the policy registry and the one composition of these steps
"""
__version__ = "0.1.0"

from . import codecache as _codecache

_codecache.install()     # before any of our dataclasses is made: their methods' code is kept between runs
