"""What every event payload shares: camelCase JSON, tolerant of fields added later."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ContractModel(BaseModel):
    # Consumers ignore unknown fields so producers can add optional ones (backward compatible).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Event(ContractModel):
    """The `data` of one CloudEvent; `event_type` is its `ce_type`, `topic` where it travels."""

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def partition_key(self) -> str:
        """The Kafka key: the aggregate id, so one entity's events stay in order."""
        raise NotImplementedError
