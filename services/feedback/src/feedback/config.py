from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_")

    # A request nobody answers expires this long after it fell due.
    request_expire_after_days: float = Field(default=14, gt=0)
    first_pulse_after_days: float = Field(default=30, gt=0)
    pulse_every_days: float = Field(default=60, gt=0)
    # An answer may be changed by its author this long after it was first submitted.
    edit_window_hours: float = Field(default=48, ge=0)
    # Breakdowns by a group of people about fewer than this many are suppressed.
    minimum_group_size: int = Field(default=5, ge=2)
    # Expiry, pulses and the silence check run this often.
    sweep_poll_s: float = Field(default=10.0, gt=0)
