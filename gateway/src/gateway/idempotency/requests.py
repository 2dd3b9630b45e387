"""Stripe's idempotency rules for GraphQL: a creating mutation sent with `Idempotency-Key`
runs once per (caller, key) within 24 h. A repeat with the same request gets the stored
answer without running anything; with another request, IDEMPOTENCY_KEY_REUSED (422); while
the first still runs, IDEMPOTENCY_KEY_IN_USE (409). Only an answer whose execution started is
kept: a request refused before execution (validation, cost, throttling) may be sent again
with the same key. Keys are a caller's own: another key or person never sees the answer."""

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from graphql import FieldNode, GraphQLError, OperationType, parse
from graphql.error import GraphQLSyntaxError
from messaging.outbox import UnitOfWork, utcnow
from runtime.sealing import Sealer
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from strawberry.types import ExecutionResult

from gateway.graphql.errors import BadUserInput, CairnError
from gateway.idempotency.tables import IdempotentRequest

HEADER: Final = "Idempotency-Key"
KEPT: Final = timedelta(hours=24)
MAX_KEY_LENGTH: Final = 255
# A first request still unanswered after this died with its worker (no query runs this long:
# see GATEWAY_GRAPHQL_DEADLINE_S): a repeat may take its place instead of waiting 24 h.
STALE_CLAIM: Final = timedelta(minutes=5)

# The mutations that create something, where a retried request would create it twice.
CREATING_MUTATIONS: Final = frozenset(
    {
        "createProgram",
        "createApiKey",
        "issueCalendarFeed",
        "enroll",
        "runMatching",
        "scheduleSession",
        "publishOfficeHours",
        "addActionItem",
        "connectCalendar",
        "submitFeedback",
        "subscribeWebhook",
        "registerTokenIssuer",
        "registerTrustedDocument",
    }
)

Units = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


class IdempotencyKeyReused(CairnError):
    """The key already named another request (422)."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInUse(CairnError):
    """The first request with this key is still running (409): retry shortly."""

    code = "IDEMPOTENCY_KEY_IN_USE"


STATUS: Final = {
    BadUserInput.code: 400,
    IdempotencyKeyReused.code: 422,
    IdempotencyKeyInUse.code: 409,
}


@dataclass(frozen=True)
class Keyed:
    """A creating mutation sent with a key, and what it is (its fingerprint)."""

    tenant_id: str
    principal: str
    key: str
    request_hash: str


def keyed_request(
    header: str | None,
    *,
    tenant_id: str,
    principal: str,
    query: str | None,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Keyed | None:
    """The request, when the key applies to it (a creating mutation); None otherwise: the key
    is ignored on queries and other mutations, which are safe to repeat (as Stripe ignores it
    on GET). A malformed key is refused (BadUserInput naming the header)."""
    if header is None or query is None or not _creates(query, operation_name):
        return None
    key = header.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadUserInput(
            f"the {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable characters "
            "(a UUID is a good key)",
            header=HEADER,
        )
    fingerprint = json.dumps(
        {"query": query, "operationName": operation_name, "variables": variables or {}},
        sort_keys=True,
        separators=(",", ":"),
    )
    return Keyed(
        tenant_id=tenant_id,
        principal=principal,
        key=key,
        request_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
    )


def _creates(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return False  # answered as any unparsable document is
    for operation in document.definitions:
        name = getattr(operation, "name", None)
        if getattr(operation, "operation", None) is not OperationType.MUTATION:
            continue
        if operation_name is not None and (name is None or name.value != operation_name):
            continue
        fields = operation.selection_set.selections  # type: ignore[attr-defined]
        return any(isinstance(f, FieldNode) and f.name.value in CREATING_MUTATIONS for f in fields)
    return False


async def once(
    units: Units,
    sealer: Sealer,
    keyed: Keyed,
    run: Callable[[], Awaitable[ExecutionResult]],
) -> tuple[ExecutionResult, bool]:
    """The request's answer, run at most once per key; and whether it was replayed."""
    stored = await _claim(units, keyed)
    if stored is not None:
        return _replayed(json.loads(sealer.open(stored))), True
    try:
        result = await run()
    except BaseException:
        await _release(units, keyed)
        raise
    if result.data is None:  # refused before execution: nothing happened, nothing is kept
        await _release(units, keyed)
    else:
        # Sealed: answers may hold secrets (a new key, a webhook's signing secret).
        await _record(units, keyed, sealer.seal(json.dumps(_answer(result), separators=(",", ":"))))
    return result, False


async def _claim(units: Units, keyed: Keyed) -> str | None:
    """Takes the key for this request (None: go ahead), or the stored answer."""
    for _ in range(2):  # a second time when a concurrent first request won the insert
        async with units() as uow:
            now = utcnow()
            await uow.session.execute(
                delete(IdempotentRequest).where(
                    *_same_key(keyed), col(IdempotentRequest.expires_at) <= now
                )
            )
            found = (
                await uow.session.exec(select(IdempotentRequest).where(*_same_key(keyed)))
            ).first()
            if found is not None:
                if found.request_hash != keyed.request_hash:
                    raise IdempotencyKeyReused(
                        f"this {HEADER} was already used for another request (another "
                        "mutation or other variables); use a new key for a new request",
                        header=HEADER,
                    )
                if found.answer is not None:
                    return found.answer
                if found.created_at > now - STALE_CLAIM:
                    raise IdempotencyKeyInUse(
                        f"a request with this {HEADER} is still running; retry shortly to get "
                        "its answer",
                        header=HEADER,
                    )
                found.created_at = now  # its first runner died: this request takes over
                uow.session.add(found)
                await uow.commit()
                return None
            uow.session.add(
                IdempotentRequest(
                    id=uuid.uuid4().hex,
                    tenant_id=keyed.tenant_id,
                    principal=keyed.principal,
                    idempotency_key=keyed.key,
                    request_hash=keyed.request_hash,
                    created_at=now,
                    expires_at=now + KEPT,
                )
            )
            try:
                await uow.commit()
            except IntegrityError:
                continue
            return None
    raise IdempotencyKeyInUse(
        f"a request with this {HEADER} is still running; retry shortly", header=HEADER
    )


async def _record(units: Units, keyed: Keyed, answer: str) -> None:
    async with units() as uow:
        found = (await uow.session.exec(select(IdempotentRequest).where(*_same_key(keyed)))).first()
        if found is not None:
            found.answer = answer
            uow.session.add(found)
            await uow.commit()


async def _release(units: Units, keyed: Keyed) -> None:
    async with units() as uow:
        await uow.session.execute(
            delete(IdempotentRequest).where(
                *_same_key(keyed), col(IdempotentRequest.answer).is_(None)
            )
        )
        await uow.commit()


def _same_key(keyed: Keyed) -> tuple[Any, ...]:
    return (
        col(IdempotentRequest.tenant_id) == keyed.tenant_id,
        col(IdempotentRequest.principal) == keyed.principal,
        col(IdempotentRequest.idempotency_key) == keyed.key,
    )


def _answer(result: ExecutionResult) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


def _replayed(stored: dict[str, Any]) -> ExecutionResult:
    errors = [
        GraphQLError(
            error.get("message", ""), path=error.get("path"), extensions=error.get("extensions")
        )
        for error in stored.get("errors") or ()
    ]
    return ExecutionResult(data=stored.get("data"), errors=errors or None)
