"""Running a recursive walk over a deep expression without RecursionError.

The parser bounds nesting (``parser.MAX_DEPTH``); walks that spend many Python frames per level
(sqlglot's SQL generator spends about eleven) run here, on a thread with a large stack and a
recursion limit to match.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_STACK = 512 * 1024 * 1024
_LIMIT = 60_000
_GUARD = threading.Lock()
_NAME = "marketing-rules-deep"


def deeply(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` on a thread whose stack and recursion limit fit deep expressions."""
    if threading.current_thread().name == _NAME:
        return function(*args, **kwargs)
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(*args, **kwargs))
        except BaseException as error:  # handed back to the caller's thread
            failure.append(error)

    with _GUARD:
        before_stack, before_limit = threading.stack_size(), sys.getrecursionlimit()
        threading.stack_size(_STACK)
        sys.setrecursionlimit(max(before_limit, _LIMIT))
        try:
            worker = threading.Thread(target=run, name=_NAME)
            worker.start()
            worker.join()
        finally:
            threading.stack_size(before_stack)
            sys.setrecursionlimit(before_limit)
    if failure:
        raise failure[0]
    value: T = result[0]
    return value
