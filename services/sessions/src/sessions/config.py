from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class SessionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SESSIONS_")

    # No session is placed, moved or booked by hand sooner than this after now.
    notice_minutes: int = Field(default=12 * 60, ge=0, le=14 * 24 * 60)
    # A cadence without COUNT, UNTIL or a program end is planned this many sessions ahead.
    plan_limit: int = Field(default=26, ge=1, le=520)
    # Before each session, session.reminder_due at each of these (programs carry none yet).
    reminder_leads_minutes: list[int] = Field(default=[24 * 60, 60], min_length=1)
    reminder_poll_s: float = Field(default=30.0, gt=0)
