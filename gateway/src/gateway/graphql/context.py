"""Per-request context: the caller, the services called on their behalf, and the request's
DataLoaders (built here, once per request); who the caller is for access control
(`principal`, see `gateway.access.policy`), the points budget it spends (`meter`) and the
gateway's own database (`uow`, for the access area)."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TypeVar

from messaging.outbox import UnitOfWork
from service_auth.tokens import Caller
from strawberry.fastapi import BaseContext

from gateway.access.budgets import Meter
from gateway.access.principal import Principal
from gateway.adapters.upstream import Upstreams
from gateway.graphql.limits import QueryLimits
from gateway.graphql.loaders import Loaders
from gateway.graphql.upstream import Service
from gateway.live.broadcast import ProgramEventBroadcast

T = TypeVar("T")


@dataclass
class CairnContext(BaseContext):
    caller: Caller
    upstreams: Upstreams
    limits: QueryLimits = field(default_factory=QueryLimits)
    # Where clients reach the gateway (GATEWAY_PUBLIC_BASE_URL): the links the API answers
    # (calendar feeds, insights charts and exports) are built on it.
    public_base_url: str = "http://127.0.0.1:8000"
    principal: Principal | None = None
    meter: Meter | None = None
    uow: Callable[[], AbstractAsyncContextManager[UnitOfWork]] | None = None
    issuer_http_loopback: bool = False  # GATEWAY_TOKEN_ISSUER_HTTP_LOOPBACK
    program_events: ProgramEventBroadcast | None = None  # what subscriptions listen to
    profiles: Service = field(init=False)
    matching: Service = field(init=False)
    sessions: Service = field(init=False)
    feedback: Service = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.profiles = Service(self.upstreams.profiles, self.caller)
        self.matching = Service(self.upstreams.matching, self.caller)
        self.sessions = Service(self.upstreams.sessions, self.caller)
        self.feedback = Service(self.upstreams.feedback, self.caller)
        self.loaders = Loaders(self.profiles, self.matching, self.sessions, self.feedback)

    @classmethod
    def connecting(cls, upstreams: Upstreams) -> "CairnContext":
        """A websocket's context before its `connection_init`: it names no tenant, and no
        operation runs with it (the protocol refuses any before the acknowledgement)."""
        return cls(caller=Caller(tenant_id="", principal="connecting"), upstreams=upstreams)

    def adopt(self, authenticated: "CairnContext") -> None:
        """Becomes `authenticated`, keeping the connection: Strawberry holds this one object
        for every operation of a websocket, so its `connection_init` completes it in place."""
        kept = (self.request, self.background_tasks, self.response, self.connection_params)
        self.__dict__.update(authenticated.__dict__)
        self.request, self.background_tasks, self.response, self.connection_params = kept

    async def in_gateway_db(self, use: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """`use` in one transaction of the gateway's own database (access, erasure, trusted
        documents); a context built without it is a wiring mistake."""
        if self.uow is None:
            raise RuntimeError("this field needs the gateway's database")
        async with self.uow() as uow:
            return await use(uow)

    @property
    def is_admin(self) -> bool:
        """One of the tenant's admins: they alone see comments, flags and insights."""
        return self.caller.is_tenant_admin
