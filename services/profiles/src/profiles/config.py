from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class ProfilesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_")
