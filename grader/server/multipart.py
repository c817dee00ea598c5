"""Reading a multipart upload with Starlette's parser, refusing a body cut off inside a part.

Starlette's parser returns the parts it finished when the body ends early, and leaves the
temporary file of the unfinished one open (it closes files only when parsing raises). A body
that ends without its closing boundary is a malformed request here: 400, every file closed.
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

__all__ = ["read_multipart"]


class _CompleteParser(MultiPartParser):
    """Starlette's parser, plus: a part left unfinished is an error and its file is closed."""

    _ended = False

    def on_end(self) -> None:
        super().on_end()
        self._ended = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if self._ended:
            return form
        kept = {id(v.file) for _, v in form.multi_items() if isinstance(v, UploadFile)}
        # the parser's own list of the files it opened (the only handle on the unfinished one)
        for upload in getattr(self, "_files_to_close_on_error", ()):
            if id(upload) not in kept:
                upload.close()
        await form.close()
        raise MultiPartException("the multipart body ends before its closing boundary")


async def read_multipart(
    request: Request, *, max_files: int, max_fields: int, max_part_size: int
) -> FormData:
    """The request's multipart form. Raises MultiPartException when it is malformed."""
    parser = _CompleteParser(
        request.headers,
        request.stream(),
        max_files=max_files,
        max_fields=max_fields,
        max_part_size=max_part_size,
    )
    return await parser.parse()
