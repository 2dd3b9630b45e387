import functools
from datetime import timedelta
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Shared by every process: the one broker the system talks to, and how to log in to it
    (the embedded broker: plaintext, no login; Kafka on Kubernetes: SCRAM-SHA-512 with the
    process's own KafkaUser, see deploy/k8s)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None

    @model_validator(mode="after")
    def _login_is_whole(self) -> Self:
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_… needs KAFKA_SASL_MECHANISM, "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    def client_options(self) -> dict[str, Any]:
        """What every aiokafka client (producer, consumer, admin) is given besides the
        bootstrap servers, so all of them log in the same way."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            assert self.sasl_password is not None  # checked above
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        if "SSL" in self.security_protocol:
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context()
        return options


@functools.cache
def client_options() -> dict[str, Any]:
    """This process's login options, read once from its environment."""
    return KafkaSettings().client_options()


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
