"""Text every store Cairn writes can hold: no NUL (PostgreSQL's text types reject U+0000) and
no unpaired UTF-16 surrogate (not encodable as UTF-8). Checked wherever text enters."""


def unstorable_reason(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "must not contain the NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain an unpaired UTF-16 surrogate"
    return None


def storable(value: str) -> str:
    """A pydantic after-validator: the text, or ValueError naming what is wrong."""
    reason = unstorable_reason(value)
    if reason is not None:
        raise ValueError(reason)
    return value
