"""Cedar's answers remembered per pack, so equal questions are asked of Cedar once.

A Cedar answer is a pure function of the pack's policies, entities and schema and of the
request (principal, action, resource, context record). Requests repeat: the context record
holds only the request's own terms (purpose, legal process, statements, agreement flags) and
the subject's class of facts, so the many single-person requests of one agency for one purpose
ask the same handful of questions. Profiling the HTTP submit path (issue 18) showed Cedar's
batch call as the largest single cost; a remembered answer takes a dictionary lookup instead.

The memo belongs to one loaded `Pack` object: another pack, or the same folder changed on disk
(a new content hash, loaded as a new object), starts empty, so an answer can never outlive the
rules that gave it. It is bounded, dropping its oldest answers first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

#: Answers kept per pack: a few hundred bytes each, so at most a few megabytes.
CAPACITY: Final = 8192


def request_key(request: dict[str, Any], *, validate: bool) -> str:
    """A canonical text of one Cedar request (and whether it is checked against the schema)."""
    return json.dumps([validate, request], sort_keys=True, separators=(",", ":"))


class AnswerMemo:
    """A bounded, thread-safe map from a request's key to the answer Cedar gave."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._answers: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def answers(self, keys: Sequence[Hashable], ask: Callable[[list[int]], list[Any]]) -> list[Any]:
        """The answer for every key: remembered ones as they are, the rest from `ask`.

        `ask` gets the positions of the keys not remembered and returns their answers in
        that order; it is called at most once, and not at all when every answer is known.
        """
        with self._lock:
            found = [self._answers.get(key) for key in keys]
        missing = [i for i, answer in enumerate(found) if answer is None]
        if not missing:
            return found
        fresh = ask(missing)
        with self._lock:
            for i, answer in zip(missing, fresh, strict=True):
                found[i] = answer
                self._answers[keys[i]] = answer
            while len(self._answers) > self._capacity:
                del self._answers[next(iter(self._answers))]
        return found
