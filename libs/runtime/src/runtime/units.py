"""The one way an endpoint gets its unit of work: `uow: UowDep`. It opens the transaction
before the handler runs and commits it after the handler returns, before the answer is sent;
a handler that raises (a refusal, a fault) leaves everything rolled back. No flag to forget."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from messaging.outbox import UnitOfWork


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with request.app.state.process.uow() as uow:
        yield uow
        await uow.commit()


# scope="function": the commit happens before the response leaves, never after it.
UowDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
