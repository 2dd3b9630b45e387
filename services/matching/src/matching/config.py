from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_")

    # A proposal nobody answers within this lapses, and the mentee is offered the next best.
    proposal_ttl_s: float = Field(default=7 * 24 * 3600, gt=0)
    expiry_poll_s: float = Field(default=30.0, gt=0)
    run_poll_s: float = Field(default=1.0, gt=0)
    # A run still RUNNING this long after a worker took it lost its worker (the process
    # stopped mid-solve): it is failed. Ten thousand mentees solve in under a minute.
    run_timeout_s: float = Field(default=30 * 60, gt=0)
    # Solver processes: the solve is CPU-bound and must never run on the event loop.
    solver_workers: int = Field(default=1, ge=1)
