"""Request bodies read within a limit, so an oversized upload is refused without being held."""

from starlette.requests import Request


async def read_within(request: Request, limit: int) -> bytes | None:
    """The whole body, or None when it is (or declares itself) larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
