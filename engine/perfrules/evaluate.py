"""Step 4 — evaluate: run one department through the policy's durable_rules ruleset.

durable_rules' C core (the `durable_rules_engine` module under `durable.engine`) decides what
fires. We drive it through the same primitives `durable.engine.Ruleset` uses, without its
Host, because the Host is what bites (tech/durable-and-peers.md §1):
- a Host starts two timer threads that never stop and may run actions on another thread;
  we have no Host, so no threads and nothing runs behind our back;
- each ruleset is created once per process (durable cannot unregister) and reused;
- each department gets its own session (sid), deleted afterwards: at most one is alive,
  far below durable's 1,024-session limit;
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

from .compile import Compiled, department_facts
from .facts import Department


class EngineError(Exception):
    """durable_rules failed where it should not have: an internal error (exit 3)."""


_SENTINEL = "sentinel"   # fires once per department; see the module docstring
_RULE = re.compile(r'\{"(?:r(\d+)|sentinel)":')
_ITEM = re.compile(r'"n": ?(\d+)')


class _Engine:
    def __init__(self):
        import durable_rules_engine  # the C extension; imported on first use
        self._core = durable_rules_engine
        self._handles: dict[str, int] = {}
        self._sids = itertools.count(1)

    def handle(self, compiled: Compiled) -> int:
        handle = self._handles.get(compiled.name)
        if handle is None:
            rules = {**compiled.ruleset[compiled.name], _SENTINEL: {"all": [{"m": {"t": "d"}}]}}
            definition = json.dumps(rules, ensure_ascii=False)
            try:
                handle = self._core.create_ruleset(compiled.name, definition)
            except Exception as exc:  # durable says only "error code 202": ours to fix, not the user's
                raise EngineError(f"durable_rules rejected the compiled ruleset {compiled.name}: {exc}") from exc
            self._handles[compiled.name] = handle
        return handle

    def run(self, compiled: Compiled, dept: Department) -> list[tuple[int, int | None]]:
        """The (rule index, item index or None) pairs that fired, in rule order."""
        core = self._core
        handle = self.handle(compiled)
        fact, items = department_facts(compiled, dept)
        sid = str(next(self._sids))
        fact["sid"] = sid
        for it in items:
            it["sid"] = sid
        fired = []
        item_rules = compiled.item_rules
        try:
            code, state = core.assert_facts(handle, json.dumps([fact] + items, ensure_ascii=False))
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
                    fired.append((index, int(_ITEM.search(message).group(1)) if index in item_rules else None))
                message = core.complete_and_start_action(handle, state)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable_rules failed in session {sid}: {exc}") from exc
        finally:
            try:
                core.delete_state(handle, sid)
            except Exception:
                pass
        # a rule with "or" fires once per alternative that holds: count each (rule, item) once
        return sorted(set(fired), key=lambda f: (f[0], -1 if f[1] is None else f[1]))


_ENGINE: _Engine | None = None


def fired_rules(compiled: Compiled, dept: Department) -> list[tuple[int, int | None]]:
    """Run the department in a fresh session of the policy's ruleset (one engine per process)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE.run(compiled, dept)
