"""The boundary format: what may cross, and that a hostile payload can only be refused."""

from __future__ import annotations

import collections
import json
import os
import resource
import socket
import struct
import time
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
        b"GRW1",
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


def test_frames_refuse_oversized_announcements_before_reading() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">Q", 10**12))
        with pytest.raises(wire.WireError, match="too large"):
            wire.recv_frame(b, max_bytes=1024, deadline=None)


def test_frames_roundtrip_and_report_eof_and_timeout() -> None:
    a, b = socket.socketpair()
    with a, b:
        wire.send_frame(a, b"hello")
        assert wire.recv_frame(b, max_bytes=100) == b"hello"
        with pytest.raises(TimeoutError):
            wire.recv_frame(b, max_bytes=100, deadline=0.0)
        a.shutdown(socket.SHUT_WR)
        assert wire.recv_frame(b, max_bytes=100) is None


def test_frames_are_read_on_descriptors_numbered_over_1024() -> None:
    # A busy grader process (threads, children, reports) has many descriptors open; select()
    # refuses any numbered 1024 or more, which would fail every submission from then on.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1601:
        pytest.skip("cannot open descriptor 1600 here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1601), hard))
    a, b = socket.socketpair()
    try:
        high = os.dup2(b.fileno(), 1600)
        with a, b, socket.socket(fileno=high) as c:
            wire.send_frame(a, b"hello")
            assert wire.recv_frame(c, max_bytes=100, deadline=time.monotonic() + 10) == b"hello"
            with pytest.raises(TimeoutError):
                wire.recv_frame(c, max_bytes=100, deadline=time.monotonic() + 0.01)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
