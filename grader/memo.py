"""Results of trusted code remembered across submissions: computed once per worker, not per student.

Every check draws its inputs from a seed fixed by its id, so the reference solution is asked the
same questions for every submission, and check helpers such as a finite-difference gradient
compute the same numbers each time. This module remembers such results by the *content* of the
arguments, so a question whose inputs depend on a student's values (the reference's accuracy on
the parameters a student's ``nn_model`` returned) simply misses and is computed as before. A hit
returns exactly what a fresh call would have returned:

- keys are digests of the arguments' content (type, dtype, shape, memory order and bytes of
  every array; exact types of containers; insertion order of dicts); an argument that is not
  plain data (an object, a generator, a subclass) makes the call uncached;
- results are plain data only, and copied both when stored and on every hit, so a check that
  changes what it was given cannot change what the next submission gets;
- numpy's legacy global generator and :mod:`random` are part of the question: a call that drew
  from either (or re-seeded it) is remembered together with the generators' state before the
  call, and a hit leaves them in the state the call would have left them in. A call that did
  not touch them cannot have read them, so the same arguments never need their state;
- a function found to change its arguments in place, or to return (part of) one of them, is
  never remembered again, and a call that raises is not remembered: a hit could not repeat
  that.

The store is bounded (entries and bytes, least recently used out first), so a worker's memory
stays flat however many submissions it grades. ``GRADER_MEMO=0`` in the environment, or
:func:`disabled`, turns it off (every call computes, as before).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import random
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

import numpy as np

__all__ = ["MemoStore", "Unmemoisable", "digest", "disabled", "memoised", "store"]

F = TypeVar("F", bound=Callable[..., Any])

_MAX_DEPTH = 32
_MAX_ARRAY_BYTES = 8 * 1024 * 1024  # larger arguments or results are not worth keeping
_ARRAY_KINDS = frozenset("biufc")
_FLOAT = struct.Struct("<d")


class Unmemoisable(Exception):
    """A value the store does not take: not plain data, too deep or too large."""


# -- keys --------------------------------------------------------------------------------------


def digest(*parts: Any) -> bytes:
    """A 16-byte digest of plain data; raises :class:`Unmemoisable` for anything else.

    Equal digests mean equal content *and* equal types (``1``, ``1.0`` and ``True`` differ;
    so do a C- and a Fortran-ordered array with the same values).
    """
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        _feed(h, part, 0)
    return h.digest()


def _feed(h: Any, v: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise Unmemoisable("too deeply nested")
    t = type(v)
    if t is np.ndarray:
        dt = v.dtype
        if dt.kind not in _ARRAY_KINDS or dt.fields is not None or v.nbytes > _MAX_ARRAY_BYTES:
            raise Unmemoisable("an array that is not plain numbers")
        order = b"C" if v.flags.c_contiguous else b"F" if v.flags.f_contiguous else b"S"
        h.update(b"a%s%s%r" % (order, dt.str.encode(), v.shape))
        h.update(np.ascontiguousarray(v).data if v.size else b"")
    elif t is float:
        h.update(b"f" + _FLOAT.pack(v))
    elif t is int:
        h.update(b"i%d;" % v)
    elif t is bool or v is None:
        h.update(b"T" if v is True else b"F" if v is False else b"N")
    elif t is str:
        data = v.encode("utf-8", "surrogatepass")
        h.update(b"s%d;" % len(data))
        h.update(data)
    elif t is dict:
        h.update(b"d%d;" % len(v))
        for key, value in v.items():
            _feed(h, key, depth + 1)
            _feed(h, value, depth + 1)
    elif t is list or t is tuple:
        h.update(b"%s%d;" % (b"l" if t is list else b"t", len(v)))
        for item in v:
            _feed(h, item, depth + 1)
    elif isinstance(v, np.generic) and v.dtype.kind in _ARRAY_KINDS:
        h.update(b"g%s" % v.dtype.str.encode())
        h.update(v.tobytes())
    elif t is bytes:
        h.update(b"b%d;" % len(v))
        h.update(v)
    else:
        key = getattr(v, "__memo_key__", None) if hasattr(t, "__memo_key__") else None
        if type(key) is not str:
            raise Unmemoisable(f"a value of type {t.__name__}")
        h.update(b"k%d;%s" % (len(key), key.encode()))


# -- values ------------------------------------------------------------------------------------


def _copy(v: Any, depth: int = 0) -> Any:
    """A deep copy of plain data (arrays copied, containers rebuilt); raises Unmemoisable."""
    if depth > _MAX_DEPTH:
        raise Unmemoisable("too deeply nested")
    t = type(v)
    if t is np.ndarray:
        if v.dtype.kind not in _ARRAY_KINDS or v.nbytes > _MAX_ARRAY_BYTES:
            raise Unmemoisable("an array that is not plain numbers")
        return v.copy(order="K")
    if t is float or t is int or t is bool or t is str or t is bytes or v is None:
        return v
    if t is dict:
        return {k: _copy(x, depth + 1) for k, x in v.items()}
    if t is list:
        return [_copy(x, depth + 1) for x in v]
    if t is tuple:
        return tuple(_copy(x, depth + 1) for x in v)
    if isinstance(v, np.generic) and v.dtype.kind in _ARRAY_KINDS:
        return v  # immutable
    raise Unmemoisable(f"a result of type {t.__name__}")


def _arrays(v: Any, out: list[Any], depth: int = 0) -> list[Any]:
    """Every array and container object inside plain data ``v``."""
    if depth > _MAX_DEPTH:
        return out
    t = type(v)
    if t is np.ndarray:
        out.append(v)
    elif t is dict or t is list or t is tuple:
        out.append(v)
        for x in v.values() if t is dict else v:
            _arrays(x, out, depth + 1)
    return out


def _shares(result: Any, args: Any) -> bool:
    """Whether the result holds an argument's array or container (or a view of its memory)."""
    given = _arrays(args, [])
    ids = {id(x) for x in given}
    arrays = [x for x in given if type(x) is np.ndarray]
    for r in _arrays(result, []):
        if id(r) in ids:
            return True
        if type(r) is np.ndarray and any(np.may_share_memory(r, a) for a in arrays):
            return True
    return False


# What an entry that restores the global generators also holds: numpy's 624-word state and
# Python's 625 ints (about 27 KiB as Python objects), so the byte bound covers them too.
_STATE_BYTES = 28 * 1024


def _size(v: Any) -> int:
    return sum(x.nbytes for x in _arrays(v, []) if type(x) is np.ndarray) + 64


# -- the global generators ---------------------------------------------------------------------


class _Generators(NamedTuple):
    """numpy's legacy global generator and :mod:`random`'s, as ``get_state`` gives them."""

    numpy: Any
    python: Any

    @classmethod
    def now(cls) -> _Generators:
        return cls(np.random.get_state(), random.getstate())

    def same_as(self, other: _Generators) -> bool:
        a, b = self.numpy, other.numpy
        return self.python == other.python and a[2:] == b[2:] and np.array_equal(a[1], b[1])

    def key(self) -> bytes:
        kind, keys, pos, has_gauss, gauss = self.numpy
        version, words, gauss_next = self.python
        return digest(
            kind,
            keys,
            pos,
            has_gauss,
            float(gauss),
            version,
            np.asarray(words, dtype=np.uint64),
            gauss_next,
        )

    def restore(self) -> None:
        np.random.set_state(self.numpy)
        random.setstate(self.python)


class _Entry(NamedTuple):
    result: Any
    after: _Generators | None  # the generators' state the call left (None: it left them be)
    size: int


_BY_STATE = _Entry(None, None, 64)  # this question's answers are kept per generators' state


# -- the store ---------------------------------------------------------------------------------


class MemoStore:
    """A bounded LRU of call results, keyed by digests (see the module's docstring)."""

    def __init__(self, max_entries: int = 20_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._never: set[str] = set()  # functions found unfit (they mutate, alias, ...)
        self.hits = 0
        self.stored = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """About how many bytes the remembered results hold."""
        return self._bytes

    def call(self, name: str, func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, or what that call returned before for the same question.

        ``name`` identifies the function for good (two functions never share one).
        """
        if not _enabled or name in self._never:
            return func(*args, **kwargs)
        try:
            key = digest(name, args, kwargs)
        except Unmemoisable:
            return func(*args, **kwargs)
        found, value = self._lookup(key)
        if found:
            return value
        before = _Generators.now()
        result = func(*args, **kwargs)  # an exception propagates, and nothing is stored
        after = _Generators.now()
        touched = not before.same_as(after)
        try:
            # A function that changed its arguments, or returned one of them, is never kept.
            if digest(name, args, kwargs) != key or _shares(result, (args, kwargs)):
                self._never.add(name)
                return result
            stored = _copy(result)
        except Unmemoisable:
            return result
        with self._lock:
            if touched:
                self._put(key, _BY_STATE)
                size = _size(stored) + _STATE_BYTES  # the generators' state it restores
                self._put(key + before.key(), _Entry(stored, after, size))
            else:
                self._put(key, _Entry(stored, None, _size(stored)))
            self.stored += 1
        return result

    def _lookup(self, key: bytes) -> tuple[bool, Any]:
        with self._lock:
            entry = self._get(key)
        if entry is _BY_STATE:
            state_key = key + _Generators.now().key()
            with self._lock:
                entry = self._get(state_key)
        if entry is None:
            return False, None
        if entry.after is not None:
            entry.after.restore()
        with self._lock:
            self.hits += 1
        return True, _copy(entry.result)

    def _get(self, key: bytes) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def _put(self, key: bytes, entry: _Entry) -> None:
        if entry.size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._entries[key] = entry
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size

    def clear(self) -> None:
        """Forget every result (the functions found unfit stay unfit)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_enabled = os.environ.get("GRADER_MEMO", "1").strip().lower() not in ("0", "off", "no", "false")
_store = MemoStore()
_names = itertools.count()


def store() -> MemoStore:
    """The process's store (one per worker process)."""
    return _store


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Compute every call inside the block, as without this module (for comparisons)."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


def memoised(func: F) -> F:
    """Remember ``func``'s results by its arguments' content, across submissions.

    For check helpers whose result depends only on their arguments (plain data, and the
    ``reference`` fixture), such as a finite-difference gradient of the reference's cost on
    inputs drawn from the check's seed. Anything else passed makes the call compute as usual.
    """
    name = f"helper:{next(_names)}:{getattr(func, '__qualname__', '?')}"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _store.call(name, func, args, kwargs)

    return wrapper  # type: ignore[return-value]
