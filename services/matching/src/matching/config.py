from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_")
