"""How this deployment plans: the settings the use cases need, in the domain's types."""

from dataclasses import dataclass
from datetime import timedelta

from sessions.config import SessionsSettings


@dataclass(frozen=True)
class PlanSettings:
    notice: timedelta = timedelta(hours=12)
    plan_limit: int = 26
    reminder_leads: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))

    @classmethod
    def of(cls, settings: SessionsSettings) -> "PlanSettings":
        return cls(
            notice=timedelta(minutes=settings.notice_minutes),
            plan_limit=settings.plan_limit,
            reminder_leads=tuple(timedelta(minutes=m) for m in settings.reminder_leads_minutes),
        )
