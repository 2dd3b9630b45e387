"""The one settings style: pydantic-settings, one env prefix per process, no default secrets,
and a start-up that names every missing or bad variable instead of failing later."""

from pathlib import Path
from typing import Self

from persistence.database import default_sqlite_url
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings


class SettingsError(SystemExit):
    """Start-up stops here, saying which environment variables to set."""


class CairnSettings(BaseSettings):
    """Subclasses set `model_config = SettingsConfigDict(env_prefix="<PROCESS>_")`."""

    @classmethod
    def load(cls) -> Self:
        """The settings from the environment, or SettingsError naming each variable."""
        try:
            return cls()
        except ValidationError as exc:
            prefix = str(cls.model_config.get("env_prefix", ""))
            lines = []
            for error in exc.errors():
                name = f"{prefix}{'_'.join(str(p) for p in error['loc'])}".upper()
                field = cls.model_fields.get(str(error["loc"][0])) if error["loc"] else None
                why = f" ({field.description})" if field is not None and field.description else ""
                missing = error["type"] == "missing"
                lines.append(f"  {name}: {'not set' if missing else error['msg']}{why}")
            raise SettingsError(f"{cls.__name__}: cannot start\n" + "\n".join(lines)) from None


class ProcessSettings(CairnSettings):
    """What every Cairn process with a database of its own needs (the gateway too)."""

    database_url: str | None = Field(
        default=None, description="postgresql://… or sqlite:///…; unset: a SQLite file in var/"
    )
    var_dir: Path = Path("var")
    run_workers: bool = True  # consumer and outbox relay in this process

    def database_url_for(self, service: str) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, service)


class ServiceSettings(ProcessSettings):
    """What every service behind the gateway needs."""

    service_token_public_key: str = Field(
        min_length=1, description="PEM; verifies the gateway's service tokens"
    )
