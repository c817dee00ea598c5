"""Frames (grader.sandbox.frames): length-prefixed payloads on the grader's and child's channel."""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from grader.sandbox import frames, wire


@contextlib.contextmanager
def _high_descriptor_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair whose reading end is descriptor 1600 (skips where that cannot be)."""
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
            yield a, c
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_frames_refuse_oversized_announcements_before_reading() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">Q", 10**12))
        with pytest.raises(wire.WireError, match="too large"):
            frames.recv_frame(b, max_bytes=1024, deadline=None)


def test_frames_roundtrip_and_report_eof_and_timeout() -> None:
    a, b = socket.socketpair()
    with a, b:
        frames.send_frame(a, b"hello")
        assert frames.recv_frame(b, max_bytes=100) == b"hello"
        with pytest.raises(TimeoutError):
            frames.recv_frame(b, max_bytes=100, deadline=0.0)
        a.shutdown(socket.SHUT_WR)
        assert frames.recv_frame(b, max_bytes=100) is None


def test_frames_are_read_on_descriptors_numbered_over_1024() -> None:
    with _high_descriptor_pair() as (a, c):
        frames.send_frame(a, b"hello")
        assert frames.recv_frame(c, max_bytes=100, deadline=time.monotonic() + 10) == b"hello"
        with pytest.raises(TimeoutError):
            frames.recv_frame(c, max_bytes=100, deadline=time.monotonic() + 0.01)


# -- FrameReader: one reader per channel, reading small frames whole -----------------------


def _feed(sock: socket.socket, pieces: list[bytes]) -> threading.Thread:
    def run() -> None:
        for piece in pieces:
            time.sleep(0.01)
            sock.sendall(piece)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("size", [0, 5, 1000, 200_000])
@pytest.mark.parametrize("cuts", [[1], [7, 8, 9], [8], [3, 8, 20]])
def test_reader_joins_a_frame_split_across_reads(size: int, cuts: list[int]) -> None:
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    data = frames.frame(payload)
    bounds = [0, *[c for c in cuts if c < len(data)], len(data)]
    pieces = [data[i:j] for i, j in itertools.pairwise(bounds)]
    a, b = socket.socketpair()
    with a, b:
        reader = frames.FrameReader(b)
        thread = _feed(a, pieces)
        try:
            got = reader.recv(max_bytes=1 << 20, deadline=time.monotonic() + 10)
        finally:
            thread.join()
        assert got == payload and type(got) is bytes
        assert not reader.pending()


def test_reader_keeps_bytes_past_a_frame_for_the_next() -> None:
    a, b = socket.socketpair()
    with a, b:
        reader = frames.FrameReader(b)
        a.sendall(frames.frame(b"one") + frames.frame(b"") + frames.frame(b"three") + b"\0\0")
        time.sleep(0.05)
        assert reader.recv(max_bytes=100) == b"one"  # head and body in one read, and more
        assert reader.pending()
        assert reader.recv(max_bytes=100, deadline=time.monotonic() + 5) == b""
        assert reader.recv(max_bytes=100, deadline=time.monotonic() + 5) == b"three"
        assert reader.pending()  # two trailing bytes, read already: not lost
        a.sendall(b"\0\0\0\0\0\x02hi")  # completes the head the two bytes began
        assert reader.recv(max_bytes=100, deadline=time.monotonic() + 5) == b"hi"
        assert not reader.pending()
        a.sendall(b"!")
        time.sleep(0.05)
        assert reader.pending()  # still on the socket


def test_reader_refuses_an_oversized_frame_before_reading_its_body() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">Q", 10**12) + b"x" * 100)
        with pytest.raises(wire.WireError, match="too large"):
            frames.FrameReader(b).recv(max_bytes=1024, deadline=time.monotonic() + 5)


def test_reader_reports_eof_truncation_and_timeout() -> None:
    a, b = socket.socketpair()
    with a, b:
        reader = frames.FrameReader(b)
        with pytest.raises(TimeoutError):
            reader.recv(max_bytes=100, deadline=time.monotonic() + 0.01)
        with pytest.raises(TimeoutError):
            reader.recv(max_bytes=100, deadline=0.0)
        a.sendall(struct.pack(">Q", 10) + b"abc")
        with pytest.raises(TimeoutError):  # a peer that stops in the middle of a frame
            reader.recv(max_bytes=100, deadline=time.monotonic() + 0.05)
    a, b = socket.socketpair()
    with a, b:
        reader = frames.FrameReader(b)
        a.sendall(frames.frame(b"ok") + struct.pack(">Q", 10) + b"abc")
        a.shutdown(socket.SHUT_WR)
        assert reader.recv(max_bytes=100) == b"ok"
        with pytest.raises(wire.WireError, match="ended in the middle"):
            reader.recv(max_bytes=100)
    a, b = socket.socketpair()
    with a, b:
        reader = frames.FrameReader(b)
        a.sendall(b"\0\0\0")  # part of a head, then the end: like no frame at all
        a.shutdown(socket.SHUT_WR)
        assert reader.recv(max_bytes=100, deadline=time.monotonic() + 5) is None


def test_reader_works_on_descriptors_numbered_over_1024() -> None:
    with _high_descriptor_pair() as (a, c):
        reader = frames.FrameReader(c)
        thread = _feed(a, [frames.frame(b"hello")])
        try:
            assert reader.recv(max_bytes=100, deadline=time.monotonic() + 10) == b"hello"
        finally:
            thread.join()
        with pytest.raises(TimeoutError):
            reader.recv(max_bytes=100, deadline=time.monotonic() + 0.01)


def test_large_frames_are_sent_whole() -> None:
    a, b = socket.socketpair()
    payload = os.urandom(300_000)
    with a, b:
        thread = threading.Thread(target=frames.send_frame, args=(a, payload))
        thread.start()
        try:
            assert (
                frames.FrameReader(b).recv(max_bytes=1 << 20, deadline=time.monotonic() + 10)
                == payload
            )
        finally:
            thread.join()
