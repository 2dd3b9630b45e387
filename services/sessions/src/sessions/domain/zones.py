"""Wall clocks and instants in IANA zones, exact across DST. Pure: no I/O (zoneinfo reads the
tz database the process ships with).

The one rule used everywhere: an instant belongs to a local day D, between wall times a and b,
when its wall-clock time in the zone is on D and in [a, b). On a spring-forward day the hour
that does not exist simply has no instants; on a fall-back day the repeated hour has twice as
many — exactly what a clock on the wall shows, and what a minute-by-minute check sees.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.refusals import invalid

from sessions.domain.intervals import Span

DAY = 86_400
MINUTE = 60
_EPOCH_DAY = date(1970, 1, 1).toordinal()
# Every UTC offset in the tz database lies within [-12 h, +14 h]: the instants of a local day
# lie inside [its UTC midnight - 14 h, its UTC midnight + 24 h + 12 h).
_BEFORE = 15 * 3_600
_AFTER = DAY + 13 * 3_600


def zone_named(name: str, field: str = "timeZone") -> ZoneInfo:
    """The IANA zone called `name`, or a refusal naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"{name!r} is not an IANA time zone (e.g. Europe/London)") from None


def local_date(zone: ZoneInfo, second: int) -> date:
    return datetime.fromtimestamp(second, zone).date()


def offset_at(zone: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return int(offset.total_seconds())


def _utc_midnight(day: date) -> int:
    return (day.toordinal() - _EPOCH_DAY) * DAY


@lru_cache(maxsize=65_536)
def wall_spans(zone: ZoneInfo, day: date, start_minute: int, end_minute: int) -> tuple[Span, ...]:
    """The instants whose wall time in `zone` is on `day` within [start, end) minutes after
    midnight (end up to 1440). One span on most days; two when a clock change splits the
    window (the repeated hour of a fall-back day), and shorter when the change skips part."""
    midnight = _utc_midnight(day)
    low, high = midnight + start_minute * MINUTE, midnight + end_minute * MINUTE
    before, after = offset_at(zone, midnight - _BEFORE), offset_at(zone, midnight + _AFTER)
    if before == after:
        # One offset all day (zones change clocks at most once in any two days).
        return ((low - before, high - before),)
    change = _first_instant_with(zone, after, midnight - _BEFORE, midnight + _AFTER)
    pieces = [
        (low - before, min(high - before, change)),
        (max(low - after, change), high - after),
    ]
    out: list[Span] = []
    for start, end in pieces:
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return tuple(out)


def _first_instant_with(zone: ZoneInfo, offset: int, low: int, high: int) -> int:
    """The first second in (low, high] at which the zone's offset is `offset` (the zone
    changes its offset once in that range)."""
    while high - low > 1:
        mid = (low + high) // 2
        if offset_at(zone, mid) == offset:
            high = mid
        else:
            low = mid
    return high


def day_span(zone: ZoneInfo, day: date) -> tuple[Span, ...]:
    """Every instant of the local day."""
    return wall_spans(zone, day, 0, 24 * 60)


@lru_cache(maxsize=65_536)
def wall_instant(zone: ZoneInfo, day: date, at: time) -> int:
    """The instant a clock in `zone` shows `at` on `day`. A wall time that happens twice (the
    repeated hour) is its first occurrence; one that does not exist (the skipped hour) is
    read with the offset before the change, landing as far after the change as it was after
    the skipped hour began (PEP 495, fold=0): 02:30 on a 02:00→03:00 day is 03:30."""
    return int(datetime.combine(day, at, tzinfo=zone).timestamp())


def at_wall(zone: ZoneInfo, day: date, at: time) -> datetime:
    """`wall_instant` as an aware datetime in the zone."""
    return datetime.fromtimestamp(wall_instant(zone, day, at), zone)


def local_days(zone: ZoneInfo, start: int, end: int) -> list[date]:
    """The local dates that instants in [start, end] can fall on, with a day's margin on each
    side (a zone whose clock goes back over midnight revisits the previous date)."""
    first = local_date(zone, start) - timedelta(days=1)
    last = local_date(zone, end) + timedelta(days=1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
