"""durable_rules decides what fires: one ruleset per shard of a policy, one session per
department and shard (and per chunk of its list records).

We drive durable's C core (`durable_rules_engine`) through the primitives its own `Ruleset`
uses, without its Host, because the Host is what bites (each point measured on 2.0.28):
- a Host starts two timer threads that never stop and may run actions on another thread;
  we have no Host, so no threads and nothing runs behind our back;
- each ruleset is created once per policy and process, reused, and deleted on `release`;
  a policy is split into shards only where durable's fixed tables need it (durable_shards.py);
  an ordinary policy is one shard, so a department is one session;
- each session (sid) is deleted afterwards: at most one is alive, far below durable's
  1,024-session limit; a failed delete is an error, never ignored;
- facts are asserted, not posted, so every matching rule fires, not just the first; the
  department fact and up to ITEM_FACTS_PER_SESSION item facts go in one call, more records
  in further sessions (durable's time and memory per fact grow past a few thousand);
- facts carry their own ids, chosen so that no two in a session share durable's 32-bit
  hash: durable would drop the second as "already observed" (a record lost, silently when a
  later fact in the same call matches nothing). Should durable still report a duplicate,
  the chunk is asserted again one fact per call and each refused fact goes to a fresh session;
- "not handled" only means the last fact matched nothing: we still run the actions that are
  due, which is what durable's own wrapper skips when it raises MessageNotHandledException;
- an action is just "record (rule, item)" here, so nothing can be swallowed into state;
- every session runs at least one action (the sentinel rule matches every department fact):
  durable's C core never initialises a new session's action context, and delete_state frees
  it, so deleting a session in which nothing ever fired crashes the process (SIGSEGV).
"""
from __future__ import annotations

import itertools
import json
import re
from functools import lru_cache
from typing import Any, Iterator

from ..limits import ITEM_FACTS_PER_SESSION
from ..methods.base import Firing
from ..model import Department, EngineError, Policy
from .base import in_order
from .durable_encoding import BARE, Compiled, Shard, compile_policy, department_facts

_SENTINEL = "sentinel"   # fires once per department fact; see the module docstring
_RULE = re.compile(r'\{"(?:r(\d+)(?:p\d+)?|sentinel)":')
_ITEM = re.compile(r'"n": ?"(\d+)"')


def durable_hash(fact_id: str) -> int:
    """durable's hash of a fact id (fnv1Hash32 over its UTF-8 bytes, C chars signed): two facts
    of a session whose ids hash alike are one fact to durable."""
    h = 0x811C9DC5
    for b in fact_id.encode("utf-8"):
        h = ((h ^ (b if b < 128 else (b - 256) & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    return h


fact_hash = lru_cache(maxsize=1 << 16)(durable_hash)    # item ids recur department after department
_DEPT = durable_hash("d")


def asserted(facts: list[str], sid: str) -> str:
    """The JSON array durable's assert_facts is given: each open fact closed with the session id."""
    close = f',"sid":"{sid}"}}'
    return "[" + ",".join([f + close for f in facts]) + "]"


class DurableMatcher:
    def __init__(self) -> None:
        import durable_rules_engine  # the C extension; imported on first use
        self._core: Any = durable_rules_engine
        self._handles: dict[str, int] = {}
        self._sids = itertools.count(1)
        self._sid_hash = 0          # durable's hash of the state object of the last sid made

    def prepare(self, policy: Policy) -> Compiled:
        compiled = compile_policy(policy)
        for shard in compiled.shards:
            self._handle(shard)
        return compiled

    def _handle(self, shard: Shard) -> int:
        handle = self._handles.get(shard.name)
        if handle is None:
            rules = {**shard.ruleset[shard.name], _SENTINEL: {"all": [{"m": {"t": "d"}}]}}  # type: ignore[dict-item]
            try:
                handle = self._core.create_ruleset(shard.name, json.dumps(rules, ensure_ascii=False))
            except Exception as exc:  # durable says only "error code 202": ours to fix, not the user's
                raise EngineError(f"durable_rules rejected the compiled ruleset {shard.name}: {exc}") from exc
            self._handles[shard.name] = handle
        return handle

    def release(self, prepared: Compiled) -> None:
        for shard in prepared.shards:
            handle = self._handles.pop(shard.name, None)
            if handle is not None:
                try:
                    self._core.delete_ruleset(handle)
                except Exception as exc:
                    raise EngineError(f"durable_rules could not delete ruleset {shard.name}: {exc}") from exc

    def fired(self, prepared: Compiled, dept: Department) -> list[Firing]:
        fired: set[Firing] = set()
        for shard, handle, sid, facts in self.sessions(prepared, dept):
            fired |= self._session(handle, sid, facts, shard.item_rules)
        # a rule with alternatives may fire once for each that holds: each (rule, item) counts once
        return in_order(fired)

    def sessions(self, prepared: Compiled, dept: Department) -> Iterator[tuple[Shard, int, str, list[str]]]:
        """(shard, ruleset handle, sid, facts) for each session a department is scored in; the
        facts are JSON text left open, as `asserted` closes them (benchmarks/bench.py times
        durable's C core alone on what this gives)."""
        for shard in prepared.shards:
            handle = self._handle(shard)
            fact, items = department_facts(shard, dept)
            for sid, facts in self._sessions(fact, items):
                yield shard, handle, sid, facts

    def _sessions(self, fact: str, items: list[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
        """(sid, facts) for each session: the department fact with the first chunk of item facts,
        then a bare department fact (for the sentinel) with each further chunk. No two facts of
        a session share durable's hash of their ids."""
        if not items:
            yield self._sid(), [fact]
            return
        head, pending = fact, items
        while pending:
            sid = self._sid()
            taken = {self._sid_hash, _DEPT}   # durable's session state (hashed by _sid) and the department
            chunk, later = [head], []
            for it in pending:
                h = fact_hash(it[0])
                if len(chunk) <= ITEM_FACTS_PER_SESSION and h not in taken:
                    taken.add(h)
                    chunk.append(it[1])
                else:
                    later.append(it)
            yield sid, chunk
            head, pending = BARE, later

    def _session(self, handle: int, sid: str, facts: list[str], item_rules: frozenset[int]) -> set[Firing]:
        """What fired in one session of these facts (JSON text left open: the sid closes each)."""
        try:
            fired, refused = self._run(handle, sid, facts, item_rules, one_by_one=False)
        finally:
            self._delete(handle, sid)
        if refused:      # durable saw a duplicate: which fact is unknown; again, one per call
            sid = self._sid()
            try:
                again, refused = self._run(handle, sid, facts, item_rules, one_by_one=True)
            finally:
                self._delete(handle, sid)
            fired |= again
            for f in refused:   # each refused fact alone, beside a bare department fact for the sentinel
                fired |= self._session(handle, self._sid(), [BARE, facts[f]], item_rules)
        return fired

    def _sid(self) -> str:
        """A fresh session id whose state object's id does not hash like the department fact's."""
        while True:
            sid = str(next(self._sids))
            self._sid_hash = durable_hash("sid-" + sid)     # not fact_hash: session ids never recur
            if self._sid_hash != _DEPT:
                return sid

    def _delete(self, handle: int, sid: str) -> None:
        try:
            self._core.delete_state(handle, sid)
        except Exception as exc:   # a session left behind is a leak and a step towards 1,024
            raise EngineError(f"durable_rules could not delete session {sid}: {exc}") from exc

    def _run(self, handle: int, sid: str, facts: list[str], item_rules: frozenset[int],
             one_by_one: bool) -> tuple[set[Firing], list[int]]:
        """What fired in one session, and the indexes of the facts durable refused as already
        observed (with one_by_one False: all of them, if any was)."""
        core = self._core
        close = f',"sid":"{sid}"}}'
        fired: set[Firing] = set()
        refused: list[int] = []
        try:
            if one_by_one:
                for i, f in enumerate(facts):
                    code, state = core.assert_fact(handle, f + close)
                    if code == 2:
                        refused.append(i)
            else:
                code, state = core.assert_facts(handle, asserted(facts, sid))
                if code == 2:
                    refused = list(range(len(facts)))
            started = core.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                # durable's own JSON, one rule per message: {"r12":{"m":{"t": "i", …, "n": "3", …}}};
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
        if one_by_one and refused and refused[0] == 0:
            raise EngineError(f"durable_rules refused the department fact of session {sid}")
        return fired, refused
