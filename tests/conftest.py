"""Shared test setup: hypothesis profiles and paths.

HYPOTHESIS_PROFILE=ci (set by .ci/run) runs the fuzz properties at FUZZ_EXAMPLES = 2,000
examples each; the default dev profile runs fewer so a local `pytest` stays quick.
"""
import os
from decimal import Decimal
from pathlib import Path

import yaml
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
PANYU_POLICY = RULES / "guangzhou" / "panyu" / "2023.yaml"
PANYU_FACTS = EXAMPLES / "panyu-jiguan-gongwei-2023.yaml"

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)

# fuzz properties (issue 3) run at least 2,000 examples each in CI
FUZZ_EXAMPLES = 2000 if PROFILE == "ci" else 200


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):     # libyaml's emitter: 6x faster
    def ignore_aliases(self, data):      # no &anchors: every value written out in full
        return True


def _represent_decimal(dumper, value):
    if not value.is_finite():
        return dumper.represent_float(float(value))
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value, "f"))


_Dumper.add_representer(Decimal, _represent_decimal)


def _represent_str(dumper, value):
    """A text such as 08 or 1_0 that a plain scalar would make an ambiguous number (E108) is quoted."""
    from perfrules.load import _AMBIGUOUS_NUMBER
    style = "'" if _AMBIGUOUS_NUMBER.match(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(data) -> str:
    """Generated policies and facts as YAML text, Decimals written exactly (property and fuzz tests)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6)
