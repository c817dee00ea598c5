"""The boundary format: what may cross, and that a hostile payload can only be refused."""

from __future__ import annotations

import collections
import json
import math
import struct
from typing import Any, NamedTuple

import numpy as np
import pytest

from grader.sandbox import wire


def roundtrip(value: Any) -> Any:
    return wire.decode(wire.encode(value))


def test_plain_values_roundtrip_with_their_types() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "t": (1, (2, 3)), "big": 10**30, "nan": float("nan")}
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True, "x"]
    assert out["t"] == (1, (2, 3)) and isinstance(out["t"], tuple)
    assert out["big"] == 10**30 and type(out["big"]) is int
    assert np.isnan(out["nan"])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "float16"])
def test_arrays_keep_dtype_shape_and_values(dtype: str) -> None:
    arr = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    out = roundtrip({"W": arr, "col": arr[:, :1, 0], "scalar": np.array(arr.flat[5])})
    assert type(out["W"]) is np.ndarray
    assert out["W"].dtype == arr.dtype and out["W"].shape == (2, 3, 4)
    np.testing.assert_array_equal(out["W"], arr)
    assert out["col"].shape == (2, 1)
    assert out["scalar"].shape == ()
    out["W"][0, 0, 0] = 1  # decoded arrays are ordinary, writable arrays


def test_non_contiguous_arrays_are_sent_as_their_values() -> None:
    arr = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(roundtrip(arr.T), arr.T)


def test_numpy_scalars_become_python_numbers() -> None:
    out = roundtrip([np.float64(1.5), np.int32(3), np.bool_(True)])
    assert out == [1.5, 3, True]
    assert [type(x) for x in out] == [float, int, bool]


class Point(NamedTuple):
    x: int
    y: int


def test_container_subclasses_cross_as_plain_containers() -> None:
    out = roundtrip({"o": collections.OrderedDict(a=1), "p": Point(1, 2)})
    assert type(out["o"]) is dict and out["o"] == {"a": 1}
    assert type(out["p"]) is tuple and out["p"] == (1, 2)


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize(
    "value, words",
    [
        (AlwaysEqual(), "AlwaysEqual"),
        (np.array([1, "a"], dtype=object), "dtype object"),
        (np.ma.array([1.0, 2.0]), "MaskedArray"),
        (np.array([1 + 2j]), "complex"),
        ({1: "int key"}, "dict key"),
        (lambda: 0, "function"),
        ({1, 2}, "set"),
    ],
)
def test_unsupported_values_are_refused_with_their_type(value: Any, words: str) -> None:
    with pytest.raises(wire.WireError) as info:
        wire.encode(value)
    assert info.value.kind == "unsupported"
    assert words in info.value.message


def test_size_depth_and_count_limits() -> None:
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(np.zeros(1000), max_bytes=1000)
    nested: Any = 1
    for _ in range(wire.MAX_DEPTH + 2):
        nested = [nested]
    with pytest.raises(wire.WireError, match="deeply nested"):
        wire.encode(nested)
    with pytest.raises(wire.WireError, match="items"):
        wire.encode([0] * (wire.MAX_ITEMS + 1))


def forged(header: Any, *buffers: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return wire.MAGIC + struct.pack(">I", len(raw)) + raw + b"".join(buffers)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        wire.MAGIC,
        b"\x80\x04\x95pickle",
        forged({"v": {"a": [0, "|O", [1]]}, "b": [8]}, b"\0" * 8),  # object dtype
        forged({"v": {"a": [0, "(2,)f8", [1]]}, "b": [16]}, b"\0" * 16),  # subarray dtype
        forged({"v": {"a": [0, "<f8", [3]]}, "b": [8]}, b"\0" * 8),  # shape/data mismatch
        forged({"v": {"a": [1, "<f8", [1]]}, "b": [8]}, b"\0" * 8),  # bad buffer index
        forged({"v": {"a": [0, "<f8", [-1]]}, "b": [8]}, b"\0" * 8),  # negative dim
        forged({"v": {"x": 1}, "b": []}),  # unknown tag
        forged({"v": {"d": [[1, 2]]}, "b": []}),  # non-str key
        forged({"v": 1, "b": [4]}),  # missing buffer bytes
        forged({"v": 1}),  # missing buffer table
        forged({"v": {"l": [{"a": [0, "<f8", [1]]}, {"a": [0, "<f8", [1]]}]}, "b": [8]}, b"\0" * 8),
        forged({"v": {"fl": [0]}, "b": [12]}, b"\0" * 12),  # floats: not a multiple of 8
        forged({"v": {"fl": [1]}, "b": [8]}, b"\0" * 8),  # floats: bad buffer index
        forged({"v": {"fl": [True]}, "b": [8]}, b"\0" * 8),  # floats: index not an int
        forged({"v": {"ft": [0, 0]}, "b": [8]}, b"\0" * 8),  # floats: malformed body
        forged({"v": {"fl": 0}, "b": [8]}, b"\0" * 8),  # floats: body not a list
        forged({"v": {"l": [{"fl": [0]}, {"a": [0, "<f8", [1]]}]}, "b": [8]}, b"\0" * 8),
    ],
)
def test_malformed_payloads_are_refused_not_trusted(payload: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_deep_header_nesting_is_refused() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    raw = ('{"v": ' + deep + ', "b": []}').encode()
    with pytest.raises(wire.WireError):
        wire.decode(wire.MAGIC + struct.pack(">I", len(raw)) + raw)


def test_lists_of_floats_cross_as_a_buffer_exactly() -> None:
    values = [0.1, -0.0, float("inf"), float("-inf"), 1e-310, 2.0**-1074, 1 / 3, 5e300]
    payload = wire.encode({"l": values, "t": tuple(values), "short": [0.5, 1.5]})
    assert b"0.1" not in payload  # not as decimal text
    out = wire.decode(payload)
    assert out["l"] == values and type(out["l"]) is list
    assert out["t"] == tuple(values) and type(out["t"]) is tuple
    assert [math.copysign(1, x) for x in out["l"]] == [math.copysign(1, x) for x in values]
    assert all(type(x) is float for x in out["l"])
    assert out["short"] == [0.5, 1.5]
    nan = wire.decode(wire.encode([float("nan")] * 6))
    assert len(nan) == 6 and all(math.isnan(x) for x in nan)


def test_lists_of_floats_count_their_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_ITEMS", 100)
    payload = wire.encode([0.5] * 99)
    assert len(wire.decode(payload)) == 99
    monkeypatch.setattr(wire, "MAX_ITEMS", 99)
    with pytest.raises(wire.WireError, match="more than 99 items"):
        wire.decode(payload)  # a hostile child's buffer is counted by its length
