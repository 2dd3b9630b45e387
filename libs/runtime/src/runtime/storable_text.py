"""Text no database can store, refused at the edge: U+0000 (PostgreSQL's text types reject it)
and unpaired UTF-16 surrogates (not encodable as UTF-8, which both databases store). JSON can
spell both (`"\\u0000"`, `"\\ud800"`); without this they reached a driver and answered 500.
Django refuses NUL in every form field for the same reason (ProhibitNullCharactersValidator).

The common case costs one regex pass over the raw body; only a body that holds such an escape
is parsed, to name the field."""

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from contracts.text import unstorable_reason
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.problems import problem

# An escaped backslash (consumed so that `\\u0000`, a backslash then "u0000", is not taken for
# an escape), or the escape of NUL or of a surrogate.
_ESCAPE: Final = re.compile(rb"\\\\|\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_HIGH: Final = range(0xD800, 0xDC00)
_LOW: Final = range(0xDC00, 0xE000)


class UnstorableText(ValueError):
    """A string (value or key) holding NUL or an unpaired surrogate; `field` names where."""

    def __init__(self, field: str | None, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


def may_hold_unstorable(body: bytes) -> bool:
    """Whether the JSON text spells NUL or an unpaired surrogate (raw NUL is not valid JSON)."""
    pending_high_end = -1
    for match in _ESCAPE.finditer(body):
        code = match.group(1)
        if code is None:  # an escaped backslash
            if pending_high_end >= 0:
                return True
            continue
        value = int(code, 16)
        if pending_high_end >= 0:
            if value in _LOW and match.start() == pending_high_end:
                pending_high_end = -1
                continue
            return True
        if value == 0 or value in _LOW:
            return True
        pending_high_end = match.end()  # a high surrogate: its low one must follow at once
    return pending_high_end >= 0


def first_unstorable(value: Any, path: tuple[str, ...] = ()) -> UnstorableText | None:
    """The first string in a parsed JSON value that cannot be stored, named by its path."""
    for where, text in _strings(value, path):
        reason = unstorable_reason(text)
        if reason is not None:
            return UnstorableText(".".join(where) or None, reason)
    return None


def _strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key.encode("utf-8", "backslashreplace").decode()), key
            yield from _strings(item, (*path, key))


def check_storable(body: bytes, parsed: Any = None) -> None:
    """Raises UnstorableText for a JSON body holding text no database can store."""
    if not may_hold_unstorable(body):
        return
    try:
        value = json.loads(body) if parsed is None else parsed
    except ValueError:
        return  # not JSON: the body's own reader says so
    found = first_unstorable(value)
    if found is not None:
        raise found


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class RefuseUnstorableText:
    """ASGI middleware: a JSON request body holding unstorable text is answered 422 (problem
    details naming the field) before any route runs; every other request passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"%00" in scope.get("query_string", b""):
            # A query parameter holding NUL reaches a WHERE clause: PostgreSQL refuses it too.
            errors = [{"field": None, "message": "must not contain the NUL character (U+0000)"}]
            detail = "a query parameter holds the NUL character (U+0000)"
            await problem(422, "Invalid request", detail, errors)(scope, receive, send)
            return
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            check_storable(bytes(body))
        except UnstorableText as refused:
            errors = [{"field": refused.field, "message": refused.reason}]
            await problem(422, "Invalid request", str(refused), errors)(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
