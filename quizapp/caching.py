"""Small in-process caches of things that never change once known (question versions, attempt
layouts, signatures already verified). Each is a plain dict, safe to share between threads
(one get or set at a time), and cleared whole when it grows past its bound."""

from __future__ import annotations

from typing import Any

DEFAULT_LIMIT = 50_000


def remember(cache: dict, key: Any, value: Any, limit: int = DEFAULT_LIMIT) -> Any:
    """Store ``value`` under ``key`` (emptying the cache first when it is full); return it."""
    if len(cache) > limit:
        cache.clear()
    cache[key] = value
    return value
