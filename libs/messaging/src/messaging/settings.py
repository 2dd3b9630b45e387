from datetime import timedelta
from typing import Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Shared by every process: the one broker the system talks to."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str = "127.0.0.1:9092"


class RetentionSettings(BaseSettings):
    """How long published events stay republishable, and how long consumers remember them.

    Shared by every process (one prefix), because the rule spans services: a relay republishes
    events up to `outbox_retention` old after the broker lost its log, and every consumer must
    still find each of them in its inbox to drop the repeat. An event is processed after it was
    created, and retention counts from creation on both sides, so `inbox_retention >=
    outbox_retention` is exactly what makes a republish harmless. Values are ISO 8601 durations
    (`P7D`) or seconds.
    """

    model_config = SettingsConfigDict(env_prefix="MESSAGING_")

    outbox_retention: timedelta = Field(
        default=timedelta(days=7),
        gt=timedelta(0),
        description="published outbox rows are kept (and republished after a log loss) this long",
    )
    inbox_retention: timedelta = Field(
        default=timedelta(days=7),
        gt=timedelta(0),
        description="consumers remember applied event ids this long; at least outbox_retention",
    )

    @model_validator(mode="after")
    def _inbox_covers_outbox(self) -> Self:
        if self.inbox_retention < self.outbox_retention:
            raise ValueError(
                f"{self.inbox_retention} is shorter than MESSAGING_OUTBOX_RETENTION "
                f"({self.outbox_retention}): an event republished after a log loss could be "
                "applied twice; keep the inbox at least as long"
            )
        return self

    @classmethod
    def load(cls) -> Self:
        """From the environment, or a ValueError naming each bad variable."""
        try:
            return cls()
        except ValidationError as exc:
            lines = []
            for error in exc.errors():
                # A rule across both fields (no location) is about the inbox's length.
                where = "_".join(str(p) for p in error["loc"]) or "inbox_retention"
                message = str(error["msg"]).removeprefix("Value error, ")
                lines.append(f"  MESSAGING_{where.upper()}: {message}")
            raise ValueError("RetentionSettings: cannot start\n" + "\n".join(lines)) from None
