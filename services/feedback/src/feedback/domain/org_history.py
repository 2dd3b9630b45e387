"""Careers read from org-change history (the HRIS's `field`, `from`, `to`, `effectiveAt`).

Definitions (the ones every outcome figure uses, named beside it):
- a promotion is a level increase (the new level is higher than the old), or a title change
  the HRIS marked as a promotion; a level and a title change on one day are one promotion;
- an internal move is a department change (both departments known, and different), or a
  manager change that comes with a title change on the same day (a new role under a new
  manager). A manager change alone is not a move: reorganizations and a manager leaving
  change whole teams' managers without anyone moving. A promotion in place is not a move;
- a person is in the org at a moment if hired on or before its day and not yet left;
- values at a moment: the last change effective at or before it, else the value before the
  first later change, else the current value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from contracts.people import OrgFieldChange

from feedback.domain.periods import utc


class OrgField(StrEnum):
    TITLE = "title"
    LEVEL = "level"
    DEPARTMENT = "department"
    MANAGER = "managerExternalId"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgMove:
    field: OrgField
    from_value: str | int | None
    to_value: str | int | None
    effective_at: datetime
    marked_promotion: bool = False  # a title change the HRIS says is a promotion


def org_move(change: OrgFieldChange, *, marked_promotion: bool = False) -> OrgMove:
    try:
        field = OrgField(change.field)
    except ValueError:
        known = ", ".join(f.value for f in OrgField)
        raise ValueError(f"org change field {change.field!r} is not one of {known}") from None
    return OrgMove(
        field=field,
        from_value=change.from_value,
        to_value=change.to_value,
        effective_at=utc(change.effective_at),
        marked_promotion=marked_promotion,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonHistory:
    person_id: str
    hired_on: date | None
    left_at: datetime | None
    underrepresented: bool | None
    level: int | None  # now
    department: str | None  # now
    moves: Sequence[OrgMove] = ()


def _level(value: str | int | None) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        return None


def _changed(move: OrgMove) -> bool:
    return (
        move.from_value is not None
        and move.to_value is not None
        and (move.from_value != move.to_value)
    )


def is_promotion(move: OrgMove) -> bool:
    if move.field is OrgField.LEVEL:
        before, after = _level(move.from_value), _level(move.to_value)
        return before is not None and after is not None and after > before
    return move.field is OrgField.TITLE and move.marked_promotion and _changed(move)


def promotion_days(moves: Sequence[OrgMove]) -> set[date]:
    """The days a person was promoted (one per day, however many fields changed)."""
    return {utc(m.effective_at).date() for m in moves if is_promotion(m)}


def move_days(moves: Sequence[OrgMove]) -> set[date]:
    """The days a person made an internal move (see the module's definition)."""
    days = {
        utc(m.effective_at).date() for m in moves if m.field is OrgField.DEPARTMENT and _changed(m)
    }
    titles = {
        utc(m.effective_at).date()
        for m in moves
        if m.field is OrgField.TITLE and _changed(m) and not is_promotion(m)
    }
    managers = {
        utc(m.effective_at).date() for m in moves if m.field is OrgField.MANAGER and _changed(m)
    }
    return days | (titles & managers)


def in_org(history: PersonHistory, at: datetime) -> bool:
    moment = utc(at)
    if history.hired_on is None or history.hired_on > moment.date():
        return False
    return history.left_at is None or utc(history.left_at) > moment


def value_at(history: PersonHistory, field: OrgField, at: datetime) -> str | int | None:
    moment = utc(at)
    moves = sorted(
        (m for m in history.moves if m.field is field), key=lambda m: utc(m.effective_at)
    )
    before = [m for m in moves if utc(m.effective_at) <= moment]
    if before:
        return before[-1].to_value
    if moves:
        return moves[0].from_value
    return (
        history.level
        if field is OrgField.LEVEL
        else (history.department if field is OrgField.DEPARTMENT else None)
    )


def level_at(history: PersonHistory, at: datetime) -> int | None:
    return _level(value_at(history, OrgField.LEVEL, at))


def department_at(history: PersonHistory, at: datetime) -> str | None:
    value = value_at(history, OrgField.DEPARTMENT, at)
    return None if value is None else str(value)
