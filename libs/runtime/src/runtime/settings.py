"""The one settings style: pydantic-settings, one env prefix per process, no default secrets,
and a start-up that names every missing or bad variable instead of failing later."""

from pathlib import Path
from typing import Self

from persistence.database import default_sqlite_url
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.sealing import Sealer, embedded_key


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
    sealing_keys: str | None = Field(
        default=None,
        description="Fernet keys sealing secrets at rest, comma-separated, newest first; "
        "required with DATABASE_URL (the embedded default makes one in var/)",
    )

    def database_url_for(self, service: str) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, service)

    def sealer(self, process: str) -> Sealer:
        """What seals this process's secrets at rest; SettingsError when a real database is
        configured without keys (a key made on the fly would be lost with the container)."""
        if self.sealing_keys:
            return Sealer([k for k in self.sealing_keys.split(",") if k.strip()])
        if self.database_url is None:
            return Sealer([embedded_key(self.var_dir, f"{process}-sealing")])
        prefix = str(self.model_config.get("env_prefix", ""))
        raise SettingsError(
            f"{type(self).__name__}: cannot start\n  {prefix}SEALING_KEYS: not set "
            f"({type(self).model_fields['sealing_keys'].description})"
        )


class ServiceSettings(ProcessSettings):
    """What every service behind the gateway needs."""

    service_token_public_key: str = Field(
        min_length=1, description="PEM; verifies the gateway's service tokens"
    )


class DocsSettings(CairnSettings):
    """Whether a process serves its OpenAPI document and /docs (CAIRN_API_DOCS): on for local
    runs, off in production (deploy/k8s sets it), where only the gateway is public and its
    internal APIs' shapes are nobody else's business."""

    model_config = SettingsConfigDict(env_prefix="CAIRN_")

    api_docs: bool = True
