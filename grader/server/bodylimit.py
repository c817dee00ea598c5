"""Refuse a request body over the cap before it is read whole (ASGI middleware).

A declared ``Content-Length`` over the cap is answered 413 at once, without reading a byte of
the body; a body sent without one (chunked) is counted as it arrives and cut off at the cap.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BodyLimit", "BodyTooLarge"]

Scope = dict[str, Any]


class BodyTooLarge(Exception):
    """Raised inside the app when a body without a declared length passes the cap."""


class BodyLimit:
    """Wraps an ASGI app; ``limit`` bytes per request body."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _refuse(scope, send, 400, "the Content-Length header is not a number")
                    return
        if declared is not None and declared > self.limit:
            await _refuse(scope, send, 413, self._message())
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the upload is larger than the limit of {_size(self.limit)}"


def _size(count: int) -> str:
    """A byte count for people: ``5.1 MB``, ``64 KB`` (a small cap read as "0 MB" misled)."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(1, count // 1024)} KB"


async def _refuse(scope: Scope, send: Any, status: int, message: str) -> None:
    api = str(scope.get("path", "")).startswith("/api/")
    if api:
        body = json.dumps({"error": message}).encode()
        kind = b"application/json"
    else:
        body = (
            "<!doctype html><meta charset=utf-8><title>Too large</title>"
            f"<p>{message}.</p><p><a href='/'>Back</a></p>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
