"""A person as stored (columns) and as the domain rules see it (`PersonRecord`): one mapping,
used by every write path (HRIS changes, imports)."""

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from contracts.people import PersonStatus

from profiles.domain.people import PersonRecord

RECORD_FIELDS = tuple(f.name for f in fields(PersonRecord))


def record_of(columns: Mapping[str, Any]) -> PersonRecord:
    """From a row's columns (a mapping; for an ORM row use `record_of_row`)."""
    values = {name: columns[name] for name in RECORD_FIELDS}
    values["languages"] = tuple(values["languages"] or ())
    values["status"] = PersonStatus(values["status"])
    versions = dict(values["field_versions"] or {})
    if not versions and values["source_version"]:
        # Rows from before per-field versions: every field as of the row's version.
        versions = dict.fromkeys(RECORD_FIELDS, values["source_version"])
    values["field_versions"] = versions
    return PersonRecord(**values)


def record_of_row(row: object) -> PersonRecord:
    return record_of({name: getattr(row, name) for name in RECORD_FIELDS})


def columns_of(record: PersonRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in RECORD_FIELDS}
    values["languages"] = list(record.languages)
    values["status"] = record.status.value
    values["field_versions"] = dict(record.field_versions)
    return values
