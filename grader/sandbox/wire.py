"""The value format that crosses the sandbox boundary: data only, never pickle.

A *payload* is ``MAGIC | u32 header length | header JSON | raw array buffers``. The header is
a tagged JSON tree:

- ``null``, ``true``/``false``, integers, floats (``NaN``/``Infinity`` allowed), strings;
- ``{"l": [...]}`` a list, ``{"t": [...]}`` a tuple, ``{"d": [[key, value], ...]}`` a dict
  with ``str`` keys;
- ``{"a": [index, dtype, shape]}`` an ndarray whose bytes are buffer ``index``; ``dtype`` is a
  numpy dtype string of kind bool/int/uint/float (e.g. ``"<f8"``);
- ``{"fl": [index]}`` / ``{"ft": [index]}`` a list / tuple of floats whose values are buffer
  ``index`` as little-endian float64 (exact, and much cheaper than their decimal text).

Each buffer belongs to one value.

Both sides use the same code: the child encodes results, the grader decodes them and checks
every field (dtype allow-list, shape against buffer size, depth, item count, total size), so a
hostile child can at worst produce a :class:`WireError`. Payloads travel on a socket as frames
(:mod:`grader.sandbox.frames`).
"""

from __future__ import annotations

import array
import json
import re
import struct
import sys
from typing import Any

import numpy as np

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "WireError",
    "decode",
    "encode",
]

MAGIC = b"GRW2"  # GRW2: lists of floats as buffers ("fl"/"ft")
MAX_DEPTH = 32
MAX_ITEMS = 200_000
_MAX_INT_BITS = 12_000  # about 3,600 decimal digits; both sides refuse larger integers
_HEAD = struct.Struct(">I")
# Structural JSON tokens (``[``, ``{``, ``,``) outside strings per item that ``encode`` counts:
# at most 7 (a 0-d array in a list: 6 in the tree, 1 in the buffer table; each dimension and
# each dict key is an item too). Checking this bound before ``json.loads`` keeps a header of
# millions of empty lists (``[],[],...``, some 20 bytes of memory per byte sent) from being
# built at all.
_TOKENS_PER_ITEM = 8
_QUOTES_PER_ITEM = 4
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear, fast
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _allowed_dtypes() -> dict[str, np.dtype[Any]]:
    """Every dtype string a payload may name: bool/int/uint/float of 1, 2, 4 or 8 bytes."""
    found: dict[str, np.dtype[Any]] = {}
    for order in ("", "<", ">", "|", "="):
        for kind in "biuf":
            for size in "1248":
                try:
                    dt = np.dtype(order + kind + size)
                except TypeError:
                    continue  # e.g. "f1" or "b8": numpy has no such type
                if dt.kind in "biuf" and dt.fields is None and dt.subdtype is None:
                    found[order + kind + size] = dt
    return found


_DTYPES = _allowed_dtypes()


class WireError(Exception):
    """A value cannot be encoded or a payload cannot be decoded.

    ``kind`` is ``"unsupported"`` (a type that may not cross), ``"too_large"`` (over a size,
    depth or count limit) or ``"corrupt"`` (a payload that does not follow the format).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _type_name(value: object) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


_NONE = type(None)
_PLAIN = frozenset((float, bool, _NONE))  # scalars that cross as themselves, 8 bytes each
_NUMBERS = frozenset((float, bool, _NONE, int))
_FLOAT = {float}


def _float_bytes(values: Any) -> bytes:
    """Python floats as little-endian float64."""
    data = array.array("d", values)
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


_JSON = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # depth is bounded


class _Encoder:
    __slots__ = ("buffers", "items", "max_bytes", "size")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.buffers: list[Any] = []
        self.size = 0
        self.items = 0

    def count(self, nbytes: int = 0) -> None:
        self.items += 1
        self.size += nbytes + 8
        if self.items > MAX_ITEMS or self.size > self.max_bytes:
            self.over()

    def over(self) -> None:
        if self.items > MAX_ITEMS:
            raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")
        raise WireError("too_large", f"result too large: more than {self.max_bytes} bytes")

    def enc(self, v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("too_large", f"result too deeply nested (over {MAX_DEPTH} levels)")
        # Exact built-in types first (nearly every value is one); subclasses and numpy scalars
        # take the slower isinstance path below, with the same results.
        t = type(v)
        if t is float or t is bool or v is None:
            self.items += 1
            self.size += 8
            if self.items > MAX_ITEMS or self.size > self.max_bytes:
                self.over()
            return v
        if t is str:
            self.items += 1
            self.size += len(v) + 8
            if self.items > MAX_ITEMS or self.size > self.max_bytes:
                self.over()
            return v
        if t is dict:
            return self._dict(dict.items(v), depth)
        if t is np.ndarray:
            return self._array(v)
        if t is int:
            return self._int(v)
        if t is list or t is tuple:
            return self._sequence("l" if t is list else "t", v, depth)
        return self._subclass(v, depth)

    def _dict(self, pairs: Any, depth: int) -> dict[str, Any]:
        self.count()
        out = []
        depth += 1
        enc = self.enc
        for key, x in pairs:
            if type(key) is not str:
                if not isinstance(key, str):
                    raise WireError(
                        "unsupported",
                        f"unsupported return type: a dict key of type {_type_name(key)}",
                    )
                key = str.__str__(key)
            t = type(x)
            if depth <= MAX_DEPTH and (
                t is str or t is float or t is bool or x is None or t is int
            ):
                # A leaf value, counted with its key in one step (one by one when over a
                # limit, to raise the same error).
                n = len(x) if t is str else 0
                self.items += 2
                self.size += len(key) + n + 16
                if self.items > MAX_ITEMS or self.size > self.max_bytes:
                    self.items -= 2
                    self.size -= len(key) + n + 16
                    self.count(len(key))
                    self.count(n)
                if t is int and x.bit_length() > _MAX_INT_BITS:
                    raise WireError(
                        "too_large", "result too large: an integer with too many digits"
                    )
                out.append([key, x])
                continue
            self.items += 1
            self.size += len(key) + 8
            if self.items > MAX_ITEMS or self.size > self.max_bytes:
                self.over()
            out.append([key, enc(x, depth)])
        return {"d": out}

    def _sequence(self, tag: str, v: Any, depth: int) -> dict[str, Any]:
        self.count()
        depth += 1
        n = len(v)
        if n > 4 and depth <= MAX_DEPTH:
            # Lists of numbers (costs, samples) are counted in one step, and floats cross as
            # one float64 buffer (exact, and far cheaper than their decimal text). Any error
            # comes from the element-by-element path below, so its message is the same.
            types = set(map(type, v))
            if types <= _NUMBERS and self.items + n <= MAX_ITEMS and (
                self.size + 8 * n <= self.max_bytes
            ):
                if types == _FLOAT:
                    self.items += n
                    self.size += 8 * n
                    index = len(self.buffers)
                    self.buffers.append(_float_bytes(v))
                    return {"f" + tag: [index]}
                if all(x.bit_length() <= _MAX_INT_BITS for x in v if type(x) is int):
                    self.items += n
                    self.size += 8 * n
                    return {tag: v}
        enc = self.enc
        return {tag: [enc(x, depth) for x in v]}

    def _subclass(self, v: Any, depth: int) -> Any:
        if isinstance(v, (bool, np.bool_)):
            self.count()
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return self._int(int(v))
        if isinstance(v, (float, np.floating)):
            self.count()
            return float(v)
        if isinstance(v, str):
            self.count(len(v))
            return str.__str__(v)
        if isinstance(v, np.ndarray):
            return self._array(v)
        if isinstance(v, dict):
            return self._dict(dict.items(v), depth)
        if isinstance(v, tuple):
            self.count()
            return {"t": [self.enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if isinstance(v, list):
            self.count()
            return {"l": [self.enc(x, depth + 1) for x in list.__iter__(v)]}
        raise WireError("unsupported", f"unsupported return type {_type_name(v)}")

    def _int(self, v: int) -> int:
        self.count()
        if v.bit_length() > _MAX_INT_BITS:
            raise WireError("too_large", "result too large: an integer with too many digits")
        return v

    def _array(self, v: np.ndarray[Any, Any]) -> dict[str, Any]:
        if type(v) is not np.ndarray:
            raise WireError(
                "unsupported",
                f"unsupported return type {_type_name(v)}: return a plain numpy array "
                "(np.asarray(x))",
            )
        dt = v.dtype
        code = dt.str
        if code not in _DTYPES:
            raise WireError(
                "unsupported",
                f"unsupported return type: a numpy array of dtype {dt}; "
                "only bool, integer and float arrays can be graded",
            )
        ndim = v.ndim
        if ndim > MAX_DEPTH:
            self.count(int(v.nbytes))
            raise WireError("too_large", "result too large: an array with too many dimensions")
        # The array, then each dimension (an item each, as the decoder counts them).
        self.items += 1 + ndim
        self.size += v.nbytes + 8 + 8 * ndim
        if self.items > MAX_ITEMS or self.size > self.max_bytes:
            self._recount(v, ndim)
        index = len(self.buffers)
        # tobytes() gives C order whatever the layout; a large C-contiguous array is joined
        # into the payload from its own memory, without an intermediate copy.
        self.buffers.append(v.data.cast("B") if v.flags.c_contiguous and v.nbytes > 65536
                            else v.tobytes())
        return {"a": [index, code, list(v.shape)]}

    def _recount(self, v: np.ndarray[Any, Any], ndim: int) -> None:
        """Over a limit: count the array's items one by one, to raise the same error."""
        self.items -= 1 + ndim
        self.size -= v.nbytes + 8 + 8 * ndim
        self.count(int(v.nbytes))
        for _ in range(ndim):
            self.count()


def encode(value: Any, *, max_bytes: int = 64 * 1024 * 1024) -> bytes:
    """Encode ``value`` as a payload; raises WireError for what may not cross."""
    encoder = _Encoder(max_bytes)
    tree = encoder.enc(value, 0)
    header = _JSON.encode({"v": tree, "b": [len(b) for b in encoder.buffers]}).encode()
    return b"".join([MAGIC, _HEAD.pack(len(header)), header, *encoder.buffers])


class _Decoder:
    __slots__ = ("buffers", "items", "used")

    def __init__(self, buffers: list[memoryview]) -> None:
        self.buffers = buffers
        self.items = 0
        self.used: set[int] = set()

    def count(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")

    def dec(self, node: Any, depth: int) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")
        if depth > MAX_DEPTH:
            raise WireError("too_large", "result too deeply nested")
        t = type(node)  # json.loads builds exact built-in types only
        if t is float or t is bool or node is None:
            return node
        if t is str:
            return node if node.isascii() else _text(node)
        if t is int:
            if node.bit_length() > _MAX_INT_BITS:
                raise WireError("too_large", "result too large: an integer with too many digits")
            return node
        if t is not dict or len(node) != 1:
            raise WireError("corrupt", "malformed value")
        (tag, body), = node.items()
        if type(body) is not list:
            raise WireError("corrupt", "malformed value")
        if tag == "a" and len(body) == 3:
            return self._array(*body)
        if tag == "d":
            return self._dict(body, depth + 1)
        if tag == "l" or tag == "t":
            return self._sequence(tag, body, depth + 1)
        if tag == "fl" or tag == "ft":
            return self._floats(tag, body, depth + 1)
        raise WireError("corrupt", "malformed value")

    def _sequence(self, tag: str, body: list[Any], depth: int) -> Any:
        n = len(body)
        if n > 4 and depth <= MAX_DEPTH and self.items + n <= MAX_ITEMS:
            # A list of numbers is returned as json.loads built it, counted in one step; the
            # element-by-element path below gives any error, so its message is the same.
            types = set(map(type, body))
            if types <= _PLAIN or (
                types <= _NUMBERS
                and all(x.bit_length() <= _MAX_INT_BITS for x in body if type(x) is int)
            ):
                self.items += n
                return body if tag == "l" else tuple(body)
        dec = self.dec
        out = [dec(x, depth) for x in body]
        return out if tag == "l" else tuple(out)

    def _dict(self, body: list[Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        dec = self.dec
        for pair in body:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("corrupt", "malformed dict")
            key, value = pair
            if not key.isascii():
                key = _text(key)
            if type(value) is dict:
                out[key] = dec(value, depth)
                continue
            # A leaf: what dec() does for it, inline (one call fewer per value).
            self.items += 1
            if self.items > MAX_ITEMS:
                raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")
            if depth > MAX_DEPTH:
                raise WireError("too_large", "result too deeply nested")
            t = type(value)
            if t is str:
                if not value.isascii():
                    value = _text(value)
            elif t is int:
                if value.bit_length() > _MAX_INT_BITS:
                    raise WireError(
                        "too_large", "result too large: an integer with too many digits"
                    )
            elif t is not float and t is not bool and value is not None:
                raise WireError("corrupt", "malformed value")
            out[key] = value
        return out

    def _floats(self, tag: str, body: list[Any], depth: int) -> Any:
        """A list (``"fl"``) or tuple (``"ft"``) of floats sent as a float64 buffer."""
        if len(body) != 1:
            raise WireError("corrupt", "malformed value")
        buf = self._take(body[0])
        n, rest = divmod(len(buf), 8)
        if rest:
            raise WireError("corrupt", "array shape does not match its data")
        if n:  # counted as if each element came in the header
            self.count()
            if depth > MAX_DEPTH:
                raise WireError("too_large", "result too deeply nested")
            self.items += n - 1
            if self.items > MAX_ITEMS:
                raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")
        values = np.frombuffer(buf, dtype="<f8").tolist()
        return values if tag == "fl" else tuple(values)

    def _take(self, index: Any) -> memoryview:
        # json.loads builds exact types, so `type(x) is int` also rules out bools.
        if type(index) is not int or not 0 <= index < len(self.buffers) or index in self.used:
            raise WireError("corrupt", "bad array buffer reference")
        self.used.add(index)
        return self.buffers[index]

    def _array(self, index: Any, dtype: Any, shape: Any) -> np.ndarray[Any, Any]:
        # json.loads builds exact types, so `type(x) is int` also rules out bools.
        if type(index) is not int or not 0 <= index < len(self.buffers) or index in self.used:
            raise WireError("corrupt", "bad array buffer reference")
        dt = _DTYPES.get(dtype) if type(dtype) is str else None
        if dt is None:
            raise WireError("corrupt", "bad array dtype")
        if type(shape) is not list or len(shape) > MAX_DEPTH:
            raise WireError("corrupt", "bad array shape")
        count = dt.itemsize
        if self.items + len(shape) <= MAX_ITEMS:
            self.items += len(shape)  # each dimension is an item
            for n in shape:
                if type(n) is not int or n < 0:
                    raise WireError("corrupt", "bad array shape")
                count *= n
        else:
            for n in shape:
                self.count()
                if type(n) is not int or n < 0:
                    raise WireError("corrupt", "bad array shape")
                count *= n
        buf = self.buffers[index]
        if count != len(buf):
            raise WireError("corrupt", "array shape does not match its data")
        self.used.add(index)
        try:
            # Only an empty array gets here with a huge dimension ((0, 2**62) has no data);
            # numpy refuses such shapes, and so do we.
            return np.frombuffer(bytearray(buf), dtype=dt).reshape(shape)
        except (ValueError, OverflowError) as exc:
            raise WireError("corrupt", "bad array shape") from exc


def _text(value: str) -> str:
    """``value`` with lone surrogates (JSON ``"\\ud800"``) replaced by U+FFFD.

    They are not text: ``.encode("utf-8")`` fails on them, so a report writer would crash.
    """
    if value.isascii() or not _SURROGATES.search(value):
        return value
    return _SURROGATES.sub("\ufffd", value)


def _tokens(data: bytes) -> int:
    return data.count(b",") + data.count(b"[") + data.count(b"{")


def _structure_ok(header: bytes) -> bool:
    """True unless ``header`` has more JSON containers and commas than MAX_ITEMS allow."""
    limit = _TOKENS_PER_ITEM * MAX_ITEMS + 16
    if len(header) <= limit or _tokens(header) <= limit:  # a token is a byte
        return True
    # Rare: perhaps a long string full of commas; count outside strings only. Each item
    # brings at most 4 quotes (a tag, a key, a str or a dtype), which also bounds the pieces
    # that re.sub holds at once.
    if header.count(b'"') > _QUOTES_PER_ITEM * MAX_ITEMS + 16:
        return False
    return _tokens(_STRINGS.sub(b"", header)) <= limit


def _buffer_sizes(header: Any) -> list[int]:
    if type(header) is not dict or len(header) != 2 or "v" not in header or "b" not in header:
        raise WireError("corrupt", "malformed payload header")
    sizes = header["b"]
    if type(sizes) is not list:
        raise WireError("corrupt", "malformed buffer table")
    for n in sizes:
        if type(n) is not int or n < 0:
            raise WireError("corrupt", "malformed buffer table")
    return sizes


def decode(payload: bytes, *, max_bytes: int = 64 * 1024 * 1024) -> Any:
    """Decode a payload made by :func:`encode`.

    For any bytes, returns plain data (None, bool, int, float, str without lone surrogates,
    list, tuple, dict with str keys, ndarray of an allowed dtype) or raises WireError.
    """
    if len(payload) > max_bytes:
        raise WireError("too_large", "result too large")
    if payload[:4] != MAGIC or len(payload) < 8:
        raise WireError("corrupt", "not a result payload")
    (hlen,) = _HEAD.unpack_from(payload, 4)
    end = 8 + hlen
    if end > len(payload):
        raise WireError("corrupt", "truncated payload")
    raw = bytes(payload[8:end])
    if not _structure_ok(raw):
        raise WireError("too_large", f"result too large: more than {MAX_ITEMS} items")
    try:
        # json.loads(bytes) guesses the encoding; a header starting '{"' is UTF-8 to it, so
        # decode that (the one encode writes) directly, exactly as json.loads would.
        header = json.loads(raw.decode("utf-8", "surrogatepass") if raw[:2] == b'{"' else raw)
    except (ValueError, RecursionError) as exc:  # ValueError: also bad UTF-8, int digits
        raise WireError("corrupt", "malformed payload header") from exc
    sizes = _buffer_sizes(header)
    if end + sum(sizes) != len(payload):
        raise WireError("corrupt", "payload size does not match its buffers")
    view = memoryview(payload)
    buffers = []
    for n in sizes:
        buffers.append(view[end : end + n])
        end += n
    try:
        return _Decoder(buffers).dec(header["v"], 0)
    except RecursionError as exc:
        raise WireError("too_large", "result too deeply nested") from exc
