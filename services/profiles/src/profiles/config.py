from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class ProfilesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_")

    held_changes_poll_s: float = Field(default=1.0, gt=0)  # how often due held changes apply
