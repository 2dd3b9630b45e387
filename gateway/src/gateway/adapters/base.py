"""The gateway's one MetaData and the SQLModel base every gateway table derives from.

Table modules import `GatewayTable` from here and nothing else of the adapters, so no table
module depends on another; `gateway.adapters.metadata` is the one place that gathers them."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

metadata = MetaData()


class GatewayTable(SQLModel, registry=registry(metadata=metadata)):
    pass
