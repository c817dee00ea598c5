"""Property tests for the boundary format: for ANY bytes a child sends, the grader gets plain
data or a WireError, never another exception; and what may cross, crosses unchanged.

Runs are derandomized (the same examples on every run, so CI is reproducible) and small.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.sandbox import frames, wire

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ALLOWED_DTYPES = ["<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "|u1", "|b1"]


def assert_plain(value: Any, depth: int = 0) -> None:
    """``value`` is plain data that reports can write and the wire can carry again."""
    assert depth <= wire.MAX_DEPTH + 1
    t = type(value)
    if value is None or t in (bool, int, float):
        return
    if t is str:
        value.encode("utf-8")  # no lone surrogates: reports would crash on them
        return
    if t in (list, tuple):
        for x in value:
            assert_plain(x, depth + 1)
        return
    if t is dict:
        for k, x in value.items():
            assert type(k) is str
            k.encode("utf-8")
            assert_plain(x, depth + 1)
        return
    assert t is np.ndarray, f"not plain data: {t}"
    assert value.dtype.kind in "biuf" and value.dtype.itemsize <= 8
    assert value.dtype.fields is None and value.dtype.subdtype is None


def decode_or_refuse(payload: bytes, max_bytes: int = 1 << 20) -> Any:
    """Decode; a WireError is a fine answer, any other exception fails the test."""
    try:
        value = wire.decode(payload, max_bytes=max_bytes)
    except wire.WireError as exc:
        assert exc.kind in ("corrupt", "too_large", "unsupported")
        assert isinstance(exc.message, str) and exc.message
        return None
    assert_plain(value)
    # What the grader accepted can be encoded again (reports, the cache, a re-send).
    assert_plain(wire.decode(wire.encode(value)))
    return value


def framed(header: bytes, buffers: bytes = b"", hlen: int | None = None) -> bytes:
    n = len(header) if hlen is None else hlen
    return wire.MAGIC + struct.pack(">I", n) + header + buffers


# -- (a) arbitrary bytes ------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=512))
def test_any_bytes_decode_to_plain_data_or_a_wire_error(payload: bytes) -> None:
    decode_or_refuse(payload)


@FUZZ
@given(st.binary(max_size=512), st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_any_bytes_after_the_magic_decode_or_are_refused(body: bytes, hlen: int | None) -> None:
    decode_or_refuse(framed(body, hlen=hlen))


# -- (b) near-valid headers ---------------------------------------------------------------

HUGE_INTS = st.sampled_from([2**31, 2**32, 2**62, 2**63, 2**64, 2**70, 10**4000, -(2**63)])
INTS = st.one_of(st.integers(-3, 8), HUGE_INTS, st.integers())
DTYPE_TEXT = st.one_of(
    st.sampled_from([*ALLOWED_DTYPES, ">f8", "=i4", "|f8", "f1", "b8", "<b2", "u16", "f16",
                     "<c16", "|O", "S3", "<U2", "V8", "(2,)f8", "f8\n", ""]),
    st.text(alphabet="<>|=!biufcOSUVM0123456789(), ", max_size=6),
)
SHAPES = st.one_of(
    st.lists(st.one_of(st.integers(0, 4), HUGE_INTS, st.integers(-2, -1), st.booleans()),
             max_size=wire.MAX_DEPTH + 2),
    st.lists(st.integers(0, 0), min_size=30, max_size=80),
    st.just([0, 2**62]),
    st.just([0, 2**63]),
    INTS,
    st.text(max_size=3),
)
TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["\ud800", "a\udfff", "\udbff\udc00x"]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, st.floats(allow_nan=True), TEXT)


def tagged(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    lists = st.lists(children, max_size=4)
    return st.one_of(
        st.builds(lambda x: {"l": x}, lists),
        st.builds(lambda x: {"t": x}, lists),
        st.builds(lambda x: {"d": x}, st.lists(st.one_of(
            st.tuples(TEXT, children).map(list), st.lists(children, max_size=3), children,
        ), max_size=4)),
        st.builds(lambda i, d, s: {"a": [i, d, s]},
                  st.one_of(st.integers(-1, 4), st.booleans(), TEXT), DTYPE_TEXT, SHAPES),
        st.builds(lambda tag, body: {tag: body},
                  st.sampled_from(["a", "l", "t", "d", "x", ""]), st.one_of(lists, children)),
        st.dictionaries(st.sampled_from(["a", "l", "t", "d"]), lists, min_size=2, max_size=3),
    )


TREES = st.recursive(SCALARS, tagged, max_leaves=24)
BUFFERS = st.lists(st.binary(max_size=48), max_size=4)


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> bytes:
    tree = draw(TREES)
    buffers = draw(BUFFERS)
    sizes: Any = [len(b) for b in buffers]
    choice = draw(st.integers(0, 9))
    if choice == 0:
        sizes = draw(st.lists(st.one_of(INTS, st.booleans(), st.floats(), TEXT), max_size=4))
    elif choice == 1:
        sizes = draw(SCALARS)
    header: Any = {"v": tree, "b": sizes}
    if choice == 2:
        header = draw(st.one_of(TREES, st.just([tree, sizes])))
    elif choice == 3:
        header["x"] = draw(SCALARS)
    raw = json.dumps(header).encode()
    hlen = draw(st.one_of(st.none(), st.integers(0, len(raw) + 8), st.just(2**32 - 1)))
    tail = draw(st.sampled_from([b"", b"\0", b"junk"]))
    return framed(raw, b"".join(buffers) + tail if choice == 4 else b"".join(buffers), hlen)


@FUZZ
@given(near_valid_payloads())
def test_near_valid_payloads_decode_to_plain_data_or_a_wire_error(payload: bytes) -> None:
    decode_or_refuse(payload)


@FUZZ
@given(st.lists(st.one_of(st.integers(0, 3), HUGE_INTS, st.integers(-1, -1)), max_size=6),
       st.sampled_from(ALLOWED_DTYPES), st.binary(max_size=64))
def test_any_array_shape_gives_an_array_of_that_shape_or_a_wire_error(
    shape: list[int], dtype: str, data: bytes
) -> None:
    value = decode_or_refuse(framed(
        json.dumps({"v": {"a": [0, dtype, shape]}, "b": [len(data)]}).encode(), data
    ))
    if value is not None:
        assert list(value.shape) == shape and value.nbytes == len(data)


# Each found once by hand; kept as explicit examples so they never come back.
@pytest.mark.parametrize(
    "header, data",
    [
        ({"v": {"a": [0, "f1", [1]]}, "b": [1]}, b"\0"),  # numpy has no 1-byte float
        ({"v": {"a": [0, "b8", [1]]}, "b": [8]}, b"\0" * 8),
        ({"v": {"a": [0, "<b2", [1]]}, "b": [2]}, b"\0" * 2),
        ({"v": {"a": [0, "f8\n", [1]]}, "b": [8]}, b"\0" * 8),
        ({"v": {"a": [0, "<f8", [0, 2**62]]}, "b": [0]}, b""),  # no data, absurd shape
        ({"v": {"a": [0, "<f8", [0, 2**64]]}, "b": [0]}, b""),
        ({"v": {"a": [0, "<f8", [0] * 33]}, "b": [0]}, b""),
        ({"v": 1, "b": [True]}, b"\0"),  # a bool for a size
    ],
)
def test_found_holes_are_refused(header: Any, data: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(framed(json.dumps(header).encode(), data))


@pytest.mark.parametrize(
    "text", ['"\\ud800"', '{"d": [["\\udfff", "x\\ud83d"]]}', '{"l": ["\\udc00\\ud800"]}']
)
def test_lone_surrogates_become_replacement_characters(text: str) -> None:
    value = wire.decode(framed(f'{{"v": {text}, "b": []}}'.encode()))
    assert_plain(value)
    assert "\ufffd" in json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(
    "items",
    [
        b'{"l": []},' * 1_000_000,  # 10 MB that json.loads turns into some 300 MB
        b'",,,,,,,,,,,,",' * 399_990,  # as many quotes as allowed, commas inside strings
        b'",",' * 2_000_000,  # more strings than items allow
    ],
)
def test_a_header_of_a_million_items_is_refused_before_it_is_built(items: bytes) -> None:
    raw = b'{"v": {"l": [' + items + b'0]}, "b": []}'
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match="too large"):
            wire.decode(framed(raw), max_bytes=1 << 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 160 * 2**20, f"decoding peaked at {peak / 2**20:.0f} MiB"


def test_brackets_inside_strings_do_not_count_as_structure() -> None:
    text = "[]{}," * 500_000
    assert wire.decode(wire.encode([text, {"k": text}])) == [text, {"k": text}]


@pytest.mark.parametrize("in_dict", [False, True])
def test_the_largest_legal_result_still_decodes(
    monkeypatch: pytest.MonkeyPatch, in_dict: bool
) -> None:
    # The worst case for the structure bound: zero-dimensional arrays, each one an item.
    monkeypatch.setattr(wire, "MAX_ITEMS", 5000)
    value: Any = [np.array(1.5)] * (wire.MAX_ITEMS - 2)
    if in_dict:
        value = {str(i): x for i, x in enumerate(value[: wire.MAX_ITEMS // 2 - 2])}
    assert len(wire.decode(wire.encode(value))) == len(value)
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode([np.array(1.5)] * (wire.MAX_ITEMS + 1))


def test_empty_dicts_count_as_items_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_ITEMS", 1000)
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode([{}] * 1000)  # the child refuses what the grader would refuse


# -- (c) round trip -----------------------------------------------------------------------

ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.dtype(d) for d in [*ALLOWED_DTYPES, ">f8", ">i4"]]),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
)
PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), ARRAYS),
    lambda c: st.one_of(
        st.lists(c, max_size=4),
        st.lists(c, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), c, max_size=4),
    ),
    max_leaves=16,
)


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@FUZZ
@given(PLAIN)
def test_plain_values_roundtrip_exactly(value: Any) -> None:
    out = wire.decode(wire.encode(value))
    assert same(out, value)
    assert_plain(out)


# -- frames on a socket -------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=64), st.sampled_from([None, 0, 5, 2**63, 2**64 - 1]))
def test_any_stream_gives_a_frame_eof_or_a_wire_error(data: bytes, announce: int | None) -> None:
    a, b = socket.socketpair()
    with a, b:
        if announce is not None:
            a.sendall(struct.pack(">Q", announce))
        a.sendall(data)
        a.shutdown(socket.SHUT_WR)
        try:
            frame = frames.recv_frame(b, max_bytes=1024, deadline=time.monotonic() + 10)
        except wire.WireError:
            return
        assert frame is None or (isinstance(frame, bytes) and len(frame) <= 1024)


def test_integers_too_long_to_encode_are_refused_when_decoded() -> None:
    # 4,000 digits parse (Python's limit is 4,300) but could not be encoded again.
    raw = b'{"v": 1' + b"0" * 3999 + b', "b": []}'
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(framed(raw))
    assert wire.decode(wire.encode(2**11_999)) == 2**11_999


# -- long lists of numbers (counted in one step; floats cross as a float64 buffer) -------

NUMBER_LISTS = st.lists(
    st.one_of(st.floats(), st.floats(), st.integers(), st.booleans(), st.none()),
    min_size=0,
    max_size=40,
)


@FUZZ
@given(NUMBER_LISTS, st.booleans(), st.floats())
def test_long_lists_of_numbers_roundtrip_exactly(values: list[Any], as_tuple: bool,
                                                 pad: float) -> None:
    for value in (values, [pad, *values] * 3, [float(i) for i in range(len(values))]):
        seq: Any = tuple(value) if as_tuple else value
        out = wire.decode(wire.encode({"x": seq, "y": [seq]}))
        assert same(out, {"x": seq, "y": [seq]})
        assert_plain(out)


@pytest.mark.parametrize(
    "value",
    [
        [0.5] * 30,
        [1] * 30,
        [0.5, 1, True, None] * 8,
        ([0.5] * 30,),
        {"a": [0.5] * 30},
        [np.zeros(2)] * 30,
    ],
)
@pytest.mark.parametrize("limit", range(25, 40))
def test_long_lists_over_a_limit_give_the_same_error_as_one_by_one(
    monkeypatch: pytest.MonkeyPatch, value: Any, limit: int
) -> None:
    # The one-step count must refuse exactly what counting item by item refuses, with the
    # same message: the item limit, or the byte limit (8 bytes an item) when that comes first.
    monkeypatch.setattr(wire, "MAX_ITEMS", limit)

    def slow_error(max_bytes: int) -> str | None:
        items = size = 0

        def count(nbytes: int = 0) -> None:
            nonlocal items, size
            items, size = items + 1, size + nbytes + 8
            if items > limit:
                raise wire.WireError("too_large", f"result too large: more than {limit} items")
            if size > max_bytes:
                raise wire.WireError("too_large", f"result too large: more than {max_bytes} bytes")

        def walk(v: Any) -> None:
            if isinstance(v, np.ndarray):
                count(v.nbytes)
                for _ in range(v.ndim):
                    count()
                return
            count()
            if isinstance(v, dict):
                for k, x in v.items():
                    count(len(k))
                    walk(x)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)

        try:
            walk(value)
        except wire.WireError as exc:
            return exc.message
        return None

    for max_bytes in (10_000, 8 * limit - 40, 8 * limit, 8 * limit + 8, 8 * limit + 200):
        try:
            wire.encode(value, max_bytes=max_bytes)
            fast = None
        except wire.WireError as exc:
            fast = exc.message
        assert fast == slow_error(max_bytes)


def test_a_too_deep_list_of_floats_is_refused_on_both_sides() -> None:
    value: Any = [0.5] * 10
    for _ in range(wire.MAX_DEPTH):
        value = [value]
    with pytest.raises(wire.WireError, match="deeply nested"):
        wire.encode(value)
    raw = b'{"v":' + b'{"l":[' * wire.MAX_DEPTH + b'{"fl":[0]}' + b"]}" * wire.MAX_DEPTH
    raw += b',"b":[16]}'
    with pytest.raises(wire.WireError, match="deeply nested"):
        wire.decode(framed(raw) + b"\0" * 16)
