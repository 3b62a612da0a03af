"""Kept: a small least-recently-used map of results a worker process computes once and reuses while
their key (which must name everything they depend on) stays the same."""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

_every: weakref.WeakSet = weakref.WeakSet()


class Kept:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # the development server's threads share it
        _every.add(self)

    def get(self, key: Hashable, make: Callable, keep: Callable = lambda value: True):
        """The value kept for `key`, or make()'s, kept if keep(value) (the least recently used one dropped)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may make the same value, never wait on each other
        if not keep(value):
            return value
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def forget_all() -> None:
    """Empty every Kept of this process (tests start from fresh databases; bench/pages.py --cold)."""
    for kept in list(_every):
        kept.clear()
