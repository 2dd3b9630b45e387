"""People's connected calendars: made with their credentials sealed (`runtime.sealing`),
described without them, and opened as a `CalendarProvider` for the call at hand, with OAuth
tokens refreshed through `oauth.BearerTokens` and the new ones stored sealed again.

The only module that reads or writes a connection's `sealed_credentials`."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from contracts.internal.session_calendars import (
    CalendarConnectionView,
    ConnectionState,
)
from contracts.internal.session_calendars import CalendarProvider as ProviderChoice
from messaging.outbox import utcnow
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.refusals import invalid
from runtime.sealing import SealedUnreadable, Sealer
from runtime.settings import CairnSettings
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sessions.adapters.calendar_tables import calendar_connection as connections
from sessions.adapters.calendar_tables import calendar_push as pushes
from sessions.adapters.calendars.dav import CalDavCalendar
from sessions.adapters.calendars.google import GOOGLE_API, GoogleCalendar
from sessions.adapters.calendars.graph import GRAPH_API, GraphCalendar
from sessions.adapters.calendars.model import CalendarProvider, ProviderName, ProviderRejected
from sessions.adapters.calendars.oauth import BearerTokens, OAuthClient, OAuthTokens

CONNECTED = ConnectionState.CONNECTED
FAILED = ConnectionState.FAILED  # the provider refused the credentials: the person reconnects
_MAX_ERROR = 500


class CalendarSettings(CairnSettings):
    """How the sessions service reaches calendar providers (SESSIONS_CALENDAR_*)."""

    model_config = SettingsConfigDict(env_prefix="SESSIONS_CALENDAR_")

    google_client_id: str | None = Field(default=None, description="OAuth client for Google")
    google_client_secret: str | None = None
    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
    google_api_url: str = GOOGLE_API
    microsoft_client_id: str | None = Field(default=None, description="OAuth client (Entra)")
    microsoft_client_secret: str | None = None
    microsoft_token_url: str = "https://login.microsoftonline.com/common/oauth2/v2.0/token"  # noqa: S105 (a URL)
    microsoft_scope: str = "offline_access https://graph.microsoft.com/Calendars.ReadWrite"
    microsoft_api_url: str = GRAPH_API
    timeout_s: float = 15.0


@dataclass(frozen=True)
class Connection:
    """A connection row without its secret."""

    id: str
    tenant_id: str
    person_id: str
    provider: ProviderName
    calendar_id: str
    state: ConnectionState
    last_error: str | None
    connected_at: datetime

    def view(self) -> CalendarConnectionView:
        return CalendarConnectionView(
            id=self.id,
            person_id=self.person_id,
            provider=ProviderChoice(self.provider.value),
            state=self.state,
            last_error=self.last_error,
            connected_at=self.connected_at,
        )


def _connection(row: Any) -> Connection:
    return Connection(
        id=row.id,
        tenant_id=row.tenant_id,
        person_id=row.person_id,
        provider=ProviderName(row.provider),
        calendar_id=row.calendar_id,
        state=ConnectionState(row.state),
        last_error=row.last_error,
        connected_at=row.connected_at,
    )


def _columns() -> list[Any]:
    return [c for c in connections.c if c.name != "sealed_credentials"]


@dataclass(frozen=True)
class ConnectionAsked:
    """A connection as requested, before it is checked (`checked`)."""

    provider: ProviderName
    url: str | None = None
    username: str | None = None
    password: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    calendar_id: str | None = None

    def checked(self) -> tuple[str, dict[str, Any]]:
        """(calendar id, credentials to seal), or Refused naming the field at fault."""
        oauth = {
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiresAt": self.expires_at,
        }
        if self.provider is ProviderName.CALDAV:
            for name, value in [*oauth.items(), ("calendarId", self.calendar_id)]:
                if value is not None:
                    raise invalid(name, "CALDAV takes url, username and password only")
            url = (self.url or "").strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise invalid("url", "the calendar collection's http(s) URL is required")
            if self.password is not None and not self.username:
                raise invalid("username", "a password needs its username")
            return url, {"username": self.username, "password": self.password}
        for name, value in (("url", self.url), ("username", self.username)):
            if value is not None:
                raise invalid(name, f"{self.provider} takes OAuth tokens, not {name}")
        if self.password is not None:
            raise invalid("password", f"{self.provider} takes OAuth tokens, not a password")
        missing = [name for name, value in oauth.items() if not value]
        if missing:
            raise invalid(missing[0], f"{self.provider} needs accessToken, refreshToken, expiresAt")
        assert self.access_token and self.refresh_token and self.expires_at
        default = "primary" if self.provider is ProviderName.GOOGLE else "me"
        calendar_id = (self.calendar_id or default).strip()
        if not calendar_id:
            raise invalid("calendarId", "empty: leave it out for the person's main calendar")
        tokens = OAuthTokens(self.access_token, self.refresh_token, self.expires_at)
        return calendar_id, json.loads(tokens.to_json())


async def add_connection(
    db: AsyncSession,
    sealer: Sealer,
    tenant_id: str,
    person_id: str,
    provider: ProviderName,
    calendar_id: str,
    credentials: dict[str, Any],
) -> Connection:
    """A new connection with `credentials` sealed (nothing in plaintext). The caller checked
    the fields and that the person has no connection to `provider` yet."""
    now, made = utcnow(), f"cal_{secrets.token_hex(12)}"
    row = {
        "id": made,
        "tenant_id": tenant_id,
        "person_id": person_id,
        "provider": provider.value,
        "calendar_id": calendar_id,
        "sealed_credentials": sealer.seal(json.dumps(credentials)),
        "state": CONNECTED.value,
        "last_error": None,
        "connected_at": now,
        "updated_at": now,
    }
    await db.execute(connections.insert().values(**row))
    return Connection(made, tenant_id, person_id, provider, calendar_id, CONNECTED, None, now)


async def connections_of(
    db: AsyncSession, tenant_id: str, person_ids: Sequence[str]
) -> list[Connection]:
    if not person_ids:
        return []
    rows = await db.execute(
        select(*_columns())
        .where(connections.c.tenant_id == tenant_id, connections.c.person_id.in_(person_ids))
        .order_by(connections.c.person_id, connections.c.provider)
    )
    return [_connection(r) for r in rows]


async def connection(db: AsyncSession, tenant_id: str, connection_id: str) -> Connection | None:
    row = (
        await db.execute(
            select(*_columns()).where(
                connections.c.tenant_id == tenant_id, connections.c.id == connection_id
            )
        )
    ).first()
    return None if row is None else _connection(row)


async def remove_connection(db: AsyncSession, tenant_id: str, connection_id: str) -> bool:
    """Forgets the connection, its credentials and what was still owed to it (the events
    already in that calendar stay: they are the person's now)."""
    removed = await db.execute(
        delete(connections).where(
            connections.c.tenant_id == tenant_id, connections.c.id == connection_id
        )
    )
    if removed.rowcount == 0:  # type: ignore[attr-defined]
        return False
    await db.execute(delete(pushes).where(pushes.c.connection_id == connection_id))
    return True


async def mark(db: AsyncSession, conn: Connection, error: str | None) -> None:
    """CONNECTED again, or FAILED with what the provider said about the credentials."""
    await db.execute(
        update(connections)
        .where(connections.c.id == conn.id)
        .values(
            state=(FAILED if error else CONNECTED).value,
            last_error=error[:_MAX_ERROR] if error else None,
            updated_at=utcnow(),
        )
    )


async def credentials(db: AsyncSession, sealer: Sealer, conn: Connection) -> dict[str, Any]:
    """The connection's credentials, opened: read them in a short transaction, then call the
    provider outside it (SQLite holds its write lock for a whole transaction)."""
    sealed = (
        await db.execute(
            select(connections.c.sealed_credentials).where(connections.c.id == conn.id)
        )
    ).scalar_one()
    try:
        opened: dict[str, Any] = json.loads(sealer.open(sealed))
    except SealedUnreadable:
        raise ProviderRejected(
            conn.provider,
            "the stored credentials do not open with SESSIONS_SEALING_KEYS: reconnect the calendar",
        ) from None
    return opened


TokenStore = Callable[[OAuthTokens], Awaitable[None]]


@dataclass
class CalendarAccess:
    """What opens a connection as a provider: the sealing keys, the OAuth clients, one pooled
    HTTP client (closed with `close`)."""

    sealer: Sealer
    settings: CalendarSettings
    http: httpx.AsyncClient

    @classmethod
    def create(cls, sealer: Sealer, settings: CalendarSettings) -> CalendarAccess:
        return cls(sealer, settings, httpx.AsyncClient(timeout=settings.timeout_s))

    async def close(self) -> None:
        await self.http.aclose()

    def seal_tokens(self, tokens: OAuthTokens) -> str:
        return self.sealer.seal(tokens.to_json().decode())

    @contextlib.asynccontextmanager
    async def open(
        self, conn: Connection, credentials: dict[str, Any], store: TokenStore
    ) -> AsyncIterator[CalendarProvider]:
        """`conn` as a provider; OAuth tokens it refreshes go to `store` (`store_tokens` in a
        transaction of the caller's choosing) before they are used."""
        if conn.provider is ProviderName.CALDAV:
            auth = None
            if credentials.get("username"):
                auth = httpx.BasicAuth(credentials["username"], credentials.get("password") or "")
            async with httpx.AsyncClient(auth=auth, timeout=self.settings.timeout_s) as http:
                yield CalDavCalendar(http)
            return
        tokens = OAuthTokens.from_json(json.dumps(credentials).encode())
        bearer = BearerTokens(
            conn.provider, self._client(conn.provider), tokens, self.http, on_refresh=store
        )
        s = self.settings
        if conn.provider is ProviderName.GOOGLE:
            # Each attendee's own calendar gets its copy: the provider mails no invitations.
            yield GoogleCalendar(self.http, bearer, base_url=s.google_api_url, send_updates="none")
        else:
            yield GraphCalendar(self.http, bearer, base_url=s.microsoft_api_url)

    def _client(self, provider: ProviderName) -> OAuthClient:
        s = self.settings
        if provider is ProviderName.GOOGLE:
            ids = (s.google_client_id, s.google_client_secret)
            url, scope = s.google_token_url, None
        else:
            ids = (s.microsoft_client_id, s.microsoft_client_secret)
            url, scope = s.microsoft_token_url, s.microsoft_scope
        # Unset: a refresh fails with the token endpoint's refusal, which the sync state shows.
        return OAuthClient(url, ids[0] or "", ids[1] or "", scope)


async def store_tokens(
    db: AsyncSession, access: CalendarAccess, connection_id: str, tokens: OAuthTokens
) -> None:
    await db.execute(
        update(connections)
        .where(connections.c.id == connection_id)
        .values(sealed_credentials=access.seal_tokens(tokens), updated_at=utcnow())
    )


_installed: CalendarAccess | None = None


def lifetime(
    access: CalendarAccess,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A process resource: `access` installed for the app's life, its HTTP client closed after."""

    @contextlib.asynccontextmanager
    async def held(_app: Any) -> AsyncIterator[None]:
        install(access)
        try:
            yield
        finally:
            install(None)
            await access.close()

    return held


def install(access: CalendarAccess | None) -> None:
    """The process's access (set by bootstrap), used when a caller passes none."""
    global _installed
    _installed = access


def installed() -> CalendarAccess | None:
    return _installed
