from pydantic import Field, HttpUrl
from pydantic_settings import SettingsConfigDict
from runtime.settings import ProcessSettings

from gateway.graphql.limits import (
    DEFAULT_DEADLINE_S,
    DEFAULT_MAX_COST,
    DEFAULT_REFUSAL_HOLD_S,
    DEFAULT_TENANT_CONCURRENCY,
    DEFAULT_TENANT_QUEUE_S,
    QueryLimits,
)
from gateway.webhooks.schedule import DEFAULT_JITTER, DEFAULT_SCHEDULE_S, RetrySchedule
from gateway.webhooks.worker import DeliverySettings


class GatewayStoreSettings(ProcessSettings):
    """The gateway's own database: all the operator CLI needs."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_")


class GatewaySettings(GatewayStoreSettings):
    """What the serving gateway needs besides its database."""

    service_token_private_key: str = Field(
        min_length=1, description="PEM (Ed25519) that signs every call to the services"
    )
    # Where clients reach the gateway: SCIM's meta.location and Location headers are built on
    # it, never on the request's Host header (which the client chooses).
    public_base_url: HttpUrl = HttpUrl("http://127.0.0.1:8000")
    profiles_url: str = "http://127.0.0.1:8001"
    matching_url: str = "http://127.0.0.1:8002"
    sessions_url: str = "http://127.0.0.1:8003"
    feedback_url: str = "http://127.0.0.1:8004"
    max_webhook_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A webhook's or SCIM request's whole body must arrive within this (a slow-loris upload
    # holds nothing longer): 408 after it.
    body_read_timeout_s: float = Field(default=10.0, gt=0)
    upstream_timeout_s: float = 5.0
    # Calls to an HRIS's own API while a delivery waits (BambooHR's employee fetch).
    hris_fetch_timeout_s: float = Field(default=10.0, gt=0)
    # GraphQL: what one query may cost (connections their `first`, nested lists multiplied),
    # how long it may run, and how many queries of one tenant run at once (then they wait
    # graphql_tenant_queue_s for a turn, else RATE_LIMITED; a query refused for its cost keeps
    # its turn graphql_refusal_hold_s after the answer).
    graphql_max_cost: int = Field(default=DEFAULT_MAX_COST, ge=1)
    graphql_deadline_s: float = Field(default=DEFAULT_DEADLINE_S, gt=0)
    graphql_tenant_concurrency: int = Field(default=DEFAULT_TENANT_CONCURRENCY, ge=1)
    graphql_tenant_queue_s: float = Field(default=DEFAULT_TENANT_QUEUE_S, ge=0)
    graphql_refusal_hold_s: float = Field(default=DEFAULT_REFUSAL_HOLD_S, ge=0)
    # Subscriptions: how many events one subscriber may fall behind before it is dropped.
    graphql_subscription_queue: int = Field(default=100, ge=1)

    # Outbound webhooks: seconds before each attempt (the first is the event's arrival), each
    # spread by ±jitter; how long one hop may take; how often due deliveries are looked for;
    # tenants whose targets may be private addresses (on-premises receivers); loopback allowed
    # for every tenant (tests and local runs only).
    webhook_retry_schedule_s: tuple[float, ...] = Field(default=DEFAULT_SCHEDULE_S, min_length=1)
    webhook_retry_jitter: float = Field(default=DEFAULT_JITTER, ge=0, lt=1)
    webhook_timeout_s: float = Field(default=15.0, gt=0, le=60)
    webhook_poll_s: float = Field(default=1.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1)
    webhook_private_target_tenants: tuple[str, ...] = ()
    webhook_allow_loopback: bool = False

    def webhook_delivery(self) -> DeliverySettings:
        return DeliverySettings(
            retries=RetrySchedule(self.webhook_retry_schedule_s, self.webhook_retry_jitter),
            timeout_s=self.webhook_timeout_s,
            poll_s=self.webhook_poll_s,
            concurrency=self.webhook_concurrency,
            private_target_tenants=frozenset(self.webhook_private_target_tenants),
            allow_loopback=self.webhook_allow_loopback,
        )

    # Points budgets (gateway.access.budgets): what each integrator key and each person
    # (end-user token) may spend per window, per gateway worker (buckets live in memory).
    budget_key_points: int = Field(default=100_000, ge=1)
    budget_person_points: int = Field(default=20_000, ge=1)
    budget_window_s: float = Field(default=3600.0, gt=0)
    # End-user token issuers' JWKS: fetch timeout, how long keys are kept when the issuer says
    # nothing (Cache-Control max-age wins), and the least time between two fetches.
    jwks_timeout_s: float = Field(default=3.0, gt=0)
    jwks_default_ttl_s: float = Field(default=300.0, gt=0)
    jwks_refetch_floor_s: float = Field(default=30.0, ge=0)
    # Allow JWKS URLs over plain http to this machine (local runs and tests only).
    token_issuer_http_loopback: bool = False

    def scim_base_url(self) -> str:
        return f"{str(self.public_base_url).rstrip('/')}/scim/v2"

    def graphql_limits(self) -> QueryLimits:
        return QueryLimits(
            max_cost=self.graphql_max_cost,
            deadline_s=self.graphql_deadline_s,
            tenant_concurrency=self.graphql_tenant_concurrency,
            tenant_queue_s=self.graphql_tenant_queue_s,
            refusal_hold_s=self.graphql_refusal_hold_s,
        )
