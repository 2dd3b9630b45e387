"""A person's working hours in sessions: the weekly windows (and, if they wish, a zone other
than HR's) every slot of theirs must lie in. Changing them re-checks their sessions ahead."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.internal.sessions import WorkingDay, WorkingHoursView
from messaging.outbox import UnitOfWork
from runtime.refusals import invalid, not_found

from sessions.adapters.people import People
from sessions.adapters.replicas import Replicas
from sessions.domain.working_hours import WEEKDAYS, HoursWindow, WorkingHours
from sessions.domain.zones import zone_named
from sessions.service_layer.replanning import recheck_person
from sessions.service_layer.rules import PlanSettings


@dataclass(frozen=True)
class Window:
    weekday: int
    start: str
    end: str


async def hours_of(uow: UnitOfWork, tenant_id: str, person_id: str) -> WorkingHoursView:
    person = (await Replicas(uow.session, tenant_id).people([person_id])).get(person_id)
    if person is None:
        raise not_found("person")
    own = (await People(uow.session, tenant_id).hours([person_id]))[person_id]
    days = [
        WorkingDay(weekday=i, start=str(w).split("-")[0], end=str(w).split("-")[1])
        for i, windows in enumerate(own.hours.weekly)
        for w in windows
    ]
    return WorkingHoursView(
        person_id=person_id,
        time_zone=own.time_zone or person.time_zone,
        days=days,
        customized=own.customized,
    )


async def set_hours(
    uow: UnitOfWork,
    tenant_id: str,
    person_id: str,
    time_zone: str | None,
    days: Sequence[Window],
    now: datetime,
    rules: PlanSettings,
) -> WorkingHoursView:
    """Replaces the person's hours (a weekday not given is a day off), then re-checks their
    sessions ahead against them."""
    if not (await Replicas(uow.session, tenant_id).people([person_id])):
        raise not_found("person")
    if time_zone is not None:
        zone_named(time_zone, "timeZone")
    weekly: dict[str, list[str]] = {}
    for i, day in enumerate(days):
        if not 0 <= day.weekday <= 6:
            raise invalid(f"days.{i}.weekday", "is 0 (Monday) to 6 (Sunday)")
        text = f"{day.start}-{day.end}"
        HoursWindow.parse(text, f"days.{i}")
        weekly.setdefault(WEEKDAYS[day.weekday], []).append(text)
    hours = WorkingHours.parse(weekly)
    if not any(hours.weekly):
        raise invalid("days", "give at least one window: nobody can meet someone who never works")
    await People(uow.session, tenant_id).keep_hours(person_id, hours, time_zone, now)
    await uow.session.flush()
    await recheck_person(uow, tenant_id, person_id, now, rules)
    return await hours_of(uow, tenant_id, person_id)
