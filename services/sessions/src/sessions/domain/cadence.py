"""A program's cadence (an RFC 5545 RRULE) expanded into the occurrences a match's series
plans, one by one. Pure: no I/O.

The vocabulary is what profiles accepts (what both Google Calendar and Microsoft Graph can
express): FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (plain weekdays for WEEKLY, one shared
position such as 2WE or -1FR for MONTHLY), and COUNT or UNTIL.

The rule is expanded on wall-clock time in the anchor zone, then each occurrence is placed on
its own: a weekly 10:00 London session stays at 10:00 London after the clocks change (a
series handed to a calendar as one RRULE would keep the anchor's rules for everyone, and
moves for attendees elsewhere in the weeks their DST dates differ). Expansion starts from the
later of the program's start (its first day, 00:00 in the anchor zone) and the acceptance, so
the first occurrence is never before either; COUNT counts from there. UNTIL may be a UTC time
(`…Z`), a date (through the end of that local day) or a floating local time, which
dateutil refuses beside a zone-aware start: it is normalised here to an instant in the
anchor zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday  # type: ignore[import-untyped]
from runtime.refusals import invalid

from sessions.domain.intervals import aware
from sessions.domain.zones import at_wall

FIELD = "curriculum.cadence"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHLY_POSITIONS = (1, 2, 3, 4, -1)
MAX_OCCURRENCES = 520  # profiles' COUNT bound: ten years of weekly sessions
_DAY = re.compile(r"^([+-]?\d{1,2})?([A-Z]{2})$")
_FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY}


class Frequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True)
class DaySpec:
    weekday: int  # 0 = Monday
    position: int | None = None  # MONTHLY only: 1..4, or -1 for the last


Until = date | datetime  # a date; an aware (UTC) instant; or a naive floating local time


@dataclass(frozen=True)
class Cadence:
    frequency: Frequency
    interval: int = 1
    days: tuple[DaySpec, ...] = ()
    count: int | None = None
    until: Until | None = None

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """The cadence `text` names, or a refusal saying what is wrong with it."""
        rule = text.strip().upper().removeprefix("RRULE:")
        if not rule:
            raise invalid(FIELD, "is empty; e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=6")
        parts: dict[str, str] = {}
        for part in rule.split(";"):
            name, sep, value = part.partition("=")
            if not sep or not name or not value:
                raise invalid(FIELD, f"{part!r} is not NAME=VALUE")
            if name in parts:
                raise invalid(FIELD, f"{name} appears twice")
            parts[name] = value
        unsupported = sorted(set(parts) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL"})
        if unsupported:
            raise invalid(FIELD, f"{', '.join(unsupported)} is not supported")
        if "FREQ" not in parts:
            raise invalid(FIELD, "FREQ is missing")
        if parts["FREQ"] not in Frequency.__members__:
            raise invalid(
                FIELD, f"FREQ={parts['FREQ']} is not supported; use DAILY, WEEKLY or MONTHLY"
            )
        frequency = Frequency(parts["FREQ"])
        if "COUNT" in parts and "UNTIL" in parts:
            raise invalid(FIELD, "COUNT and UNTIL cannot both be set")
        return cls(
            frequency=frequency,
            interval=_whole(parts, "INTERVAL", 1, 99) or 1,
            days=_days(frequency, parts.get("BYDAY")),
            count=_whole(parts, "COUNT", 1, MAX_OCCURRENCES),
            until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        )

    def until_instant(self, zone: ZoneInfo) -> datetime | None:
        """UNTIL as an instant: a date runs through the end of that day in `zone`, a floating
        time is read in `zone`."""
        if self.until is None:
            return None
        if isinstance(self.until, datetime):
            if self.until.tzinfo is not None:
                return self.until
            return at_wall(zone, self.until.date(), self.until.time())
        # The last instant of the day: the next day's midnight, minus a second.
        return at_wall(zone, self.until + timedelta(days=1), time()) - timedelta(seconds=1)


def _whole(parts: dict[str, str], name: str, low: int, high: int) -> int | None:
    if name not in parts:
        return None
    value = parts[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise invalid(FIELD, f"{name} must be a whole number from {low} to {high}")
    return int(value)


def _until(value: str) -> Until:
    formats = (("%Y%m%dT%H%M%SZ", True), ("%Y%m%dT%H%M%S", False), ("%Y%m%d", False))
    for pattern, utc in formats:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if utc:
            return parsed.replace(tzinfo=UTC)
        return parsed if "T" in pattern else parsed.date()
    raise invalid(FIELD, f"UNTIL={value} is not a date (YYYYMMDD) or a time (YYYYMMDDTHHMMSS[Z])")


def _days(frequency: Frequency, value: str | None) -> tuple[DaySpec, ...]:
    if value is None:
        return ()
    if frequency is Frequency.DAILY:
        raise invalid(FIELD, "BYDAY is not supported with FREQ=DAILY; use FREQ=WEEKLY;BYDAY=…")
    days: list[DaySpec] = []
    for item in value.split(","):
        match = _DAY.match(item)
        if match is None or match.group(2) not in WEEKDAYS:
            raise invalid(FIELD, f"BYDAY {item!r} is not a weekday ({', '.join(WEEKDAYS)})")
        position = int(match.group(1)) if match.group(1) else None
        days.append(DaySpec(WEEKDAYS.index(match.group(2)), position))
    if len({d.weekday for d in days}) != len(days):
        raise invalid(FIELD, "BYDAY names a weekday twice")
    positions = {d.position for d in days}
    if frequency is Frequency.WEEKLY and positions != {None}:
        raise invalid(FIELD, "weekly BYDAY takes plain weekdays (MO,TH), not numbered ones")
    if frequency is Frequency.MONTHLY and (
        len(positions) != 1 or not positions <= set(MONTHLY_POSITIONS)
    ):
        raise invalid(FIELD, "monthly BYDAY needs one position for its weekdays: 1-4 or -1")
    return tuple(days)


@dataclass(frozen=True)
class Occurrence:
    index: int  # 0-based, in the plan
    target: datetime  # aware, in the anchor zone: where the cadence puts it
    final: bool  # the plan's last occurrence (the cadence, or the program, ends after it)


@dataclass(frozen=True)
class CadencePlan:
    occurrences: tuple[Occurrence, ...]
    # False when the plan stopped at `limit` while the cadence goes on (no COUNT, UNTIL or
    # program end before it): then no occurrence is final.
    complete: bool


def plan_start(accepted_at: datetime, program_starts_on: date | None, zone: ZoneInfo) -> datetime:
    """The later of the acceptance and the program's first day (00:00 in `zone`)."""
    aware(accepted_at, "acceptedAt")
    if program_starts_on is None:
        return accepted_at
    return max(accepted_at, at_wall(zone, program_starts_on, time()))


def expand_cadence(
    cadence: Cadence,
    *,
    zone: ZoneInfo,
    local_time: time,
    accepted_at: datetime,
    program_starts_on: date | None = None,
    program_ends_on: date | None = None,
    limit: int = MAX_OCCURRENCES,
) -> CadencePlan:
    """The occurrences of `cadence` at `local_time` (wall clock in `zone`), from the plan's
    start (`plan_start`) through its end: COUNT, UNTIL, the program's last day in `zone`, or
    `limit` occurrences, whichever comes first."""
    if local_time.tzinfo is not None:
        raise invalid("localTime", "is a wall-clock time: give it without a zone")
    if limit < 1:
        raise invalid("limit", "plan at least one occurrence")
    start = plan_start(accepted_at, program_starts_on, zone)
    first_day = start.astimezone(zone).date()
    if at_wall(zone, first_day, local_time) < start:
        first_day += timedelta(days=1)
    until = cadence.until_instant(zone)
    if until is not None and until.astimezone(zone).date() < first_day:
        return CadencePlan((), complete=True)
    # dateutil expands naive wall-clock times; UNTIL is applied below, as an instant.
    rule = rrule(
        _FREQUENCIES[cadence.frequency],
        dtstart=datetime.combine(first_day, local_time),
        interval=cadence.interval,
        byweekday=[weekday(d.weekday, d.position) for d in cadence.days] or None,
        count=cadence.count,
        until=None
        if until is None
        else datetime.combine(until.astimezone(zone).date() + timedelta(days=1), local_time),
    )
    targets: list[datetime] = []
    complete = True
    for wall in rule:
        target = at_wall(zone, wall.date(), local_time)
        if until is not None and target > until:
            break
        if program_ends_on is not None and wall.date() > program_ends_on:
            break
        if len(targets) == limit:
            complete = False
            break
        targets.append(target)
    return CadencePlan(
        tuple(
            Occurrence(i, t, final=complete and i == len(targets) - 1)
            for i, t in enumerate(targets)
        ),
        complete,
    )
