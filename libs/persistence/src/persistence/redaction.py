"""Replacing a forgotten person's identifiers wherever a copy of them sits in a table: every
text and JSON column of a tenant's rows, at any depth, whole values or inside longer text (an
email inside a sentence, a name inside a calendar title). Erasure uses it on the tables that
hold other people's data beside the person's (outboxes, calendar copies, webhook bodies)."""

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, String, Table, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession

# Shorter values would replace parts of unrelated words: a one-letter given name.
MIN_LENGTH = 2


class Redaction:
    """Case-insensitive replacement of each identifier by its stand-in; longest first, so a
    display name goes before the given name inside it."""

    def __init__(self, replacements: Mapping[str, str]) -> None:
        kept = {old.casefold(): new for old, new in replacements.items() if len(old) >= MIN_LENGTH}
        self._by_folded = kept
        ordered = sorted(kept, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(old) for old in ordered), re.IGNORECASE)
            if ordered
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda found: self._by_folded[found.group(0).casefold()], value)

    def value(self, value: Any) -> Any:
        """A JSON value with every string (keys too) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        return value


def _redactable(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, String | Text | JSON)]


async def redact_table(
    session: AsyncSession,
    table: Table,
    tenant_id: str,
    replacements: Mapping[str, str],
    *,
    tenant_column: str = "tenant_id",
) -> int:
    """Rewrites the tenant's rows of `table` that hold an identifier; how many changed. Reads
    the tenant's rows in Python: identifiers may sit JSON-escaped in a column (non-ASCII
    names), which a SQL LIKE would miss."""
    redaction = Redaction(replacements)
    if not redaction:
        return 0
    columns = _redactable(table)
    keys = list(table.primary_key.columns)
    key_names = {key.name for key in keys}
    read = [*keys, *(table.c[name] for name in columns if name not in key_names)]
    rows = await session.execute(select(*read).where(table.c[tenant_column] == tenant_id))
    changed = 0
    for row in rows.mappings().all():
        values = {}
        for name in columns:
            old = row[name]
            if old is None:
                continue
            new = redaction.value(old)
            # A JSON column may hold text that itself is JSON (an event body): compared as
            # stored, so a dict rewritten identically is no change.
            if json.dumps(new, sort_keys=True) != json.dumps(old, sort_keys=True):
                values[name] = new
        if values:
            await session.execute(
                update(table).where(*(key == row[key.name] for key in keys)).values(**values)
            )
            changed += 1
    return changed
