"""A per-client sliding-window rate limit, safe to share between the app's worker threads.

>>> limiter = RateLimiter(limit=2, window=60.0, clock=iter([0.0, 1.0, 2.0]).__next__)
>>> limiter.hit("a"), limiter.hit("a"), limiter.hit("a")
(0.0, 0.0, 58.0)
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_TRACKED_CLIENTS = 10_000


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each client key."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if limit < 1:
            raise ValueError(f"the rate limit must be at least 1 a window, not {limit}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> float:
        """Count one event for ``client`` and return 0.0, or, over the limit, count nothing and
        return the seconds until the client may try again."""
        with self._lock:
            now = self._clock()
            events = self._events.setdefault(client, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window - now
            events.append(now)
            if len(self._events) > MAX_TRACKED_CLIENTS:
                self._forget_idle(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        """Drop clients with no event in the window, so many one-off visitors do not grow memory."""
        for client in [c for c, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[client]
