"""What every repository of matching shares: it reads and writes within the caller's unit of
work, always for one tenant, and hands out typed records (the domain's `Match`, contract
models of other services' state, plain frozen records), never table rows."""

from sqlmodel.ext.asyncio.session import AsyncSession


class OfTenant:
    """Reads and writes of one tenant's rows, within the caller's unit of work."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
