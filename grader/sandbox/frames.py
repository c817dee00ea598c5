"""Frames: how wire payloads (:mod:`grader.sandbox.wire`) travel on a stream socket.

A *frame* is an 8-byte big-endian length followed by the payload. :class:`FrameReader` is how
the grader and the child read their channel (one reader per channel: it may read ahead);
:func:`recv_frame` reads without keeping anything, for tests and simple peers. Both check an
announced size against the caller's bound before reading the body, and time out at the
caller's deadline.
"""

from __future__ import annotations

import math
import select
import socket
import struct
import time

from grader.sandbox.wire import WireError

__all__ = ["FrameReader", "frame", "readable", "recv_frame", "send_frame"]

_FRAME = struct.Struct(">Q")
_MAX_WAIT_MS = 2**31 - 1  # poll() takes a C int
_PEEK = int(socket.MSG_PEEK | socket.MSG_DONTWAIT)  # (combining the flags costs more than a read)
_CHUNK = 65536  # what one read asks for: a small frame (most are) and its head come in one


def frame(payload: bytes) -> bytes:
    """One length-prefixed frame, as :func:`send_frame` writes it."""
    return _FRAME.pack(len(payload)) + payload


def send_frame(sock: socket.socket, payload: bytes) -> None:
    """Write one length-prefixed frame (blocking)."""
    if len(payload) > _CHUNK:  # a large payload is sent from where it is, not copied
        sock.sendall(_FRAME.pack(len(payload)))
        sock.sendall(payload)
    else:
        sock.sendall(frame(payload))


def readable(fd: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``fd`` to be readable (or closed).

    poll, not select: select refuses descriptors numbered 1024 or more, which a busy grader
    process (many threads, many children) reaches.
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(_poll_ms(timeout)))


def _poll_ms(seconds: float) -> int:
    """``seconds`` as poll()'s timeout: whole milliseconds, rounded up, within a C int."""
    return min(max(0, math.ceil(seconds * 1000)), _MAX_WAIT_MS)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not readable(sock.fileno(), remaining):
                raise TimeoutError
        chunk = sock.recv(min(n - len(chunks), 1 << 20))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def recv_frame(
    sock: socket.socket, *, max_bytes: int, deadline: float | None = None
) -> bytes | None:
    """Read one frame; None at end of stream.

    Raises TimeoutError when ``deadline`` (a ``time.monotonic()`` value) passes and
    WireError("too_large") when the announced size exceeds ``max_bytes``, before reading it.
    """
    head = _recv_exact(sock, _FRAME.size, deadline)
    if head is None:
        return None
    (size,) = _FRAME.unpack(head)
    if size > max_bytes:
        raise WireError("too_large", f"result too large: over {max_bytes} bytes")
    body = _recv_exact(sock, size, deadline)
    if body is None:
        raise WireError("corrupt", "the result stream ended in the middle of a value")
    return body


class FrameReader:
    """Reads the frames of one stream socket, each with one read when it is small.

    A read may take bytes past the end of a frame (the next frame, or bytes a hostile peer
    sent unasked); they are kept for the next :meth:`recv`, and :meth:`pending` reports them.
    So everything that reads the socket must use the same reader. A read asks for at most
    64 KiB before the frame's size is known; the body past that is read only after the size
    is checked against ``max_bytes``.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""  # bytes read past the last frame
        # One poll object for the socket's life (poll, not select: see readable()).
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)

    def _wait(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._poll.poll(_poll_ms(remaining)):
                raise TimeoutError

    def recv(self, *, max_bytes: int, deadline: float | None = None) -> bytes | None:
        """Read one frame; None at end of stream. Same contract as :func:`recv_frame`."""
        data = self._buf
        self._buf = b""
        while len(data) < _FRAME.size:
            self._wait(deadline)
            chunk = self.sock.recv(_CHUNK)
            if not chunk:
                return None
            data += chunk
        (size,) = _FRAME.unpack_from(data)
        if size > max_bytes:
            raise WireError("too_large", f"result too large: over {max_bytes} bytes")
        end = _FRAME.size + size
        if len(data) >= end:
            self._buf = data[end:]
            return data[_FRAME.size : end]
        # The rest of a large body: exactly the bytes still missing, into one buffer.
        body = bytearray(size)
        view = memoryview(body)
        got = len(data) - _FRAME.size
        view[:got] = memoryview(data)[_FRAME.size :]
        del data
        while got < size:
            self._wait(deadline)
            n = self.sock.recv_into(view[got:], min(size - got, 1 << 24))
            if not n:
                raise WireError("corrupt", "the result stream ended in the middle of a value")
            got += n
        view.release()
        return bytes(body)

    def pending(self) -> bool:
        """True when bytes are waiting, read already or still on the socket."""
        if self._buf:
            return True
        try:
            return bool(self.sock.recv(1, _PEEK))
        except (BlockingIOError, InterruptedError):
            return False
