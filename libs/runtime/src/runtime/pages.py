"""The one opaque cursor and the one page-size rule of every list an API serves.

A cursor holds the sort key of the last item a page showed (strings, integers, moments), as
base64url JSON: opaque to callers, checked on the way back in (a cursor of another list, or
a made-up one, is refused naming `after`)."""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Final

from contracts.pages import DEFAULT_PAGE, MAX_PAGE
from fastapi import Query

from runtime.refusals import Refused, invalid

_MOMENT: Final = "t"  # how a datetime travels inside a cursor: {"t": iso}

# FastAPI parameters of every paged endpoint: the same bounds everywhere.
First = Annotated[int, Query(ge=1, le=MAX_PAGE)]
After = Annotated[str | None, Query(max_length=1024)]


def page_size(first: int | None) -> int:
    """`first` as asked (None: the default), refused outside 1..MAX_PAGE."""
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise invalid("first", f"must be between 1 and {MAX_PAGE}")
    return size


def encode_cursor(*key: str | int | datetime) -> str:
    parts = [{_MOMENT: part.isoformat()} if isinstance(part, datetime) else part for part in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *types: type) -> tuple[Any, ...]:
    """The sort key inside a cursor this API issued, each part of the type expected; Refused
    (INVALID, `after`) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        if not isinstance(parts, list) or len(parts) != len(types):
            raise ValueError("wrong shape")
        return tuple(_part(part, expected) for part, expected in zip(parts, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise _not_ours() from exc


def _part(part: Any, expected: type) -> Any:
    if expected is datetime:
        if not isinstance(part, dict) or set(part) != {_MOMENT}:
            raise ValueError("not a moment")
        moment = datetime.fromisoformat(part[_MOMENT])
        if moment.tzinfo is None:
            raise ValueError("naive moment")
        return moment
    # bool is an int to Python, never to our cursors.
    if not isinstance(part, expected) or isinstance(part, bool):
        raise ValueError("wrong type")
    return part


def _not_ours() -> Refused:
    return invalid("after", "is not a cursor this list gave")
