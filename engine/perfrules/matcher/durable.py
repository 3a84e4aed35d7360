"""durable_rules decides what fires: one ruleset per policy, one session per department.

We drive durable's C core (`durable_rules_engine`) through the primitives its own `Ruleset`
uses, without its Host, because the Host is what bites (each point measured on 2.0.28):
- a Host starts two timer threads that never stop and may run actions on another thread;
  we have no Host, so no threads and nothing runs behind our back;
- each ruleset is created once per policy and process, reused, and deleted on `release`;
- each department gets its own session (sid), deleted afterwards: at most one is alive,
  far below durable's 1,024-session limit; a failed delete is an error, never ignored;
- facts are asserted, not posted, so every matching rule fires, not just the first; the
  department fact and its item facts go in one call;
- "not handled" only means the last fact matched nothing: we still run the actions that are
  due, which is what durable's own wrapper skips when it raises MessageNotHandledException;
- an action is just "record (rule, item)" here, so nothing can be swallowed into state;
- every session runs at least one action (the sentinel rule matches every department):
  durable's C core never initialises a new session's action context, and delete_state frees
  it, so deleting a session in which nothing ever fired crashes the process (SIGSEGV).
"""
from __future__ import annotations

import itertools
import json
import re
from typing import Any

from ..methods.base import Firing
from ..model import Department, EngineError, Policy
from .base import in_order
from .durable_encoding import Compiled, compile_policy, department_facts

_SENTINEL = "sentinel"   # fires once per department; see the module docstring
_RULE = re.compile(r'\{"(?:r(\d+)|sentinel)":')
_ITEM = re.compile(r'"n": ?(\d+)')


class DurableMatcher:
    def __init__(self) -> None:
        import durable_rules_engine  # the C extension; imported on first use
        self._core: Any = durable_rules_engine
        self._handles: dict[str, int] = {}
        self._sids = itertools.count(1)

    def prepare(self, policy: Policy) -> Compiled:
        compiled = compile_policy(policy)
        self._handle(compiled)
        return compiled

    def _handle(self, compiled: Compiled) -> int:
        handle = self._handles.get(compiled.name)
        if handle is None:
            rules = {**compiled.ruleset[compiled.name], _SENTINEL: {"all": [{"m": {"t": "d"}}]}}  # type: ignore[dict-item]
            try:
                handle = self._core.create_ruleset(compiled.name, json.dumps(rules, ensure_ascii=False))
            except Exception as exc:  # durable says only "error code 202": ours to fix, not the user's
                raise EngineError(f"durable_rules rejected the compiled ruleset {compiled.name}: {exc}") from exc
            self._handles[compiled.name] = handle
        return handle

    def release(self, prepared: Compiled) -> None:
        handle = self._handles.pop(prepared.name, None)
        if handle is not None:
            try:
                self._core.delete_ruleset(handle)
            except Exception as exc:
                raise EngineError(f"durable_rules could not delete ruleset {prepared.name}: {exc}") from exc

    def fired(self, prepared: Compiled, dept: Department) -> list[Firing]:
        core = self._core
        handle = self._handle(prepared)
        fact, items = department_facts(prepared, dept)
        sid = str(next(self._sids))
        fact["sid"] = sid
        for it in items:
            it["sid"] = sid
        fired: set[Firing] = set()
        try:
            fired = self._run(handle, sid, [fact] + items, prepared.item_rules)
        finally:
            try:
                core.delete_state(handle, sid)
            except Exception as exc:   # a session left behind is a leak and a step towards 1,024
                raise EngineError(f"durable_rules could not delete session {sid}: {exc}") from exc
        # a rule with "or" fires once per alternative that holds: each (rule, item) counts once
        return in_order(fired)

    def _run(self, handle: int, sid: str, facts: list[dict[str, object]], item_rules: frozenset[int]) -> set[Firing]:
        core = self._core
        fired: set[Firing] = set()
        try:
            code, state = core.assert_facts(handle, json.dumps(facts, ensure_ascii=False))
            if code == 2:
                raise EngineError(f"durable_rules saw a duplicate fact in session {sid}")
            started = core.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                # durable's own JSON, one rule per message: {"r12":{"m":{"t": "i", …, "n": 3, …}}};
                # two regex matches cost a fraction of json.loads on the hot path
                head = _RULE.match(message)
                if head is None:
                    raise EngineError(f"unexpected action message from durable_rules: {message[:80]}")
                if head.group(1) is not None:
                    index = int(head.group(1))
                    item = _ITEM.search(message) if index in item_rules else None
                    fired.add((index, int(item.group(1)) if item else None))
                message = core.complete_and_start_action(handle, state)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed in session {sid}: {exc}") from exc
        return fired
