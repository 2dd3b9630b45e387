"""Request bodies read within a size limit and a time limit, so an oversized or trickled upload
is refused without being held; and JSON read only once its nesting is known to be bounded, so
no body reaches the parser's recursion (`json.loads` of 100,000 `[` raises RecursionError)."""

import asyncio
import itertools
import json
import operator
import re
from typing import Any, Final

from starlette.requests import Request

from runtime.storable_text import check_storable

# Far deeper than any payload Cairn takes (a canonical delivery nests 4 levels, SCIM a few).
MAX_JSON_DEPTH: Final = 64

# A JSON string, escapes included; possessive, so a long string costs one pass, no backtracking.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# What is left of the text once strings are gone: its brackets, an opening one as 2 and a
# closing one as 0, so that each bracket adds its step (+1 or -1) plus one.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_OPEN = b"\x02"
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class BodyTooSlow(Exception):
    """The body did not arrive within the time allowed (a slow-loris upload): 408."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"the body did not arrive within {timeout_s:g} s")
        self.timeout_s = timeout_s


class JsonTooDeep(ValueError):
    """JSON nested deeper than the limit: refused before parsing (400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} arrays and objects")
        self.limit = limit


async def read_within(
    request: Request, limit: int, *, timeout_s: float | None = None
) -> bytes | None:
    """The whole body, or None when it is (or declares itself) larger than `limit` bytes.

    With `timeout_s`, the whole body must have arrived within it, else BodyTooSlow: a client
    sending a byte now and then cannot hold the request (and its worker) open."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTooSlow(timeout_s or 0.0) from None
    return b"".join(chunks)


def check_json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises JsonTooDeep when the JSON text nests arrays and objects deeper than `limit`.

    One linear pass, in C: strings are cut out and the brackets kept (a regex, a translate),
    then the running depth is summed. Brackets never closed count as levels too (the parser
    recurses into `[[[[` before it finds the end); where the depth goes below zero the parser
    has already stopped, so what follows is never parsed and may be miscounted."""
    skeleton = _STRING.sub(b"", body).translate(_STEPS, _NOT_A_BRACKET)
    if _OPEN * (limit + 1) in skeleton:  # a run of that many opens: no need to sum
        raise JsonTooDeep(limit)
    # The depth after the i-th bracket (from 1) is the sum of the steps so far minus i.
    deepest = max(map(operator.sub, itertools.accumulate(skeleton), itertools.count(1)), default=0)
    if deepest > limit:
        raise JsonTooDeep(limit)


def parse_json(body: bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of a body: every JSON body reader's one way in. Raises JsonTooDeep,
    UnstorableText (a string no database can store, named by its path), or ValueError
    (json.JSONDecodeError, UnicodeDecodeError) for what is not JSON; all name the problem,
    without internals."""
    check_json_depth(body, limit)
    value = json.loads(body)
    check_storable(body, value)
    return value
