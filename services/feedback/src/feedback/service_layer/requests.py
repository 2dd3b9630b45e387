"""Feedback requests: issued when the domain plans them (a held session, a pulse, a close-out),
announced by `feedback.requested`, expired and withdrawn, and counted in the figures."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.feedback import FeedbackRequested, FeedbackRequestSnapshot
from contracts.internal.feedback import FeedbackRequestView
from contracts.people import PersonStatus
from messaging.outbox import UnitOfWork
from sqlalchemy import update
from sqlmodel import col, select

from feedback.adapters import figures_store
from feedback.adapters.facts_store import request_of
from feedback.adapters.figures_store import dialect_insert
from feedback.adapters.tables import FeedbackRequestRow, OrgPerson
from feedback.domain.request_schedule import (
    PlannedRequest,
    RequestKind,
    RequestRules,
    RequestStatus,
)


@dataclass(frozen=True, slots=True)
class FeedbackRules:
    """The service's settings for asking and answering (from FeedbackSettings)."""

    requests: RequestRules
    edit_window: timedelta
    minimum_group_size: int


def snapshot(row: FeedbackRequestRow) -> FeedbackRequestSnapshot:
    return FeedbackRequestSnapshot(
        id=row.id,
        program_id=row.program_id,
        kind=RequestKind(row.kind),
        respondent_id=row.person_id,
        match_id=row.match_id,
        session_id=row.session_id,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
    )


def view(row: FeedbackRequestRow, response_id: str | None, now: datetime) -> FeedbackRequestView:
    status = RequestStatus(row.status)
    if status is RequestStatus.PENDING and now >= row.expires_at:
        status = RequestStatus.EXPIRED  # whether or not the sweep has run yet
    return FeedbackRequestView(
        **snapshot(row).model_dump(), due_at=row.due_at, status=status, response_id=response_id
    )


async def people_statuses(
    uow: UnitOfWork, tenant_id: str, person_ids: Iterable[str]
) -> dict[str, PersonStatus]:
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = await uow.session.exec(
        select(OrgPerson.person_id, OrgPerson.status).where(
            OrgPerson.tenant_id == tenant_id, col(OrgPerson.person_id).in_(wanted)
        )
    )
    return {person_id: PersonStatus(status) for person_id, status in rows}


async def issue(
    uow: UnitOfWork, tenant_id: str, planned: Sequence[PlannedRequest], now: datetime
) -> list[FeedbackRequestRow]:
    """Stores each planned request once (its key is unique: a redelivered event plans the
    same ones and adds nothing), counts it and announces it."""
    insert = await dialect_insert(uow.session)
    issued = []
    for plan in planned:
        row = FeedbackRequestRow(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            key=plan.key,
            kind=plan.kind.value,
            program_id=plan.program_id,
            person_id=plan.person_id,
            match_id=plan.match_id,
            session_id=plan.session_id,
            requested_at=now,
            due_at=plan.due_at,
            expires_at=plan.expires_at,
            status=RequestStatus.PENDING.value,
        )
        values = {c.name: getattr(row, c.name) for c in FeedbackRequestRow.__table__.columns}  # type: ignore[attr-defined]
        stmt = insert(FeedbackRequestRow.__table__).values(**values)  # type: ignore[attr-defined]
        done = await uow.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            continue
        await figures_store.record(uow.session, tenant_id, request_of(row), None)
        await uow.emit(FeedbackRequested(request=snapshot(row)), tenant_id=tenant_id)
        issued.append(row)
    return issued


async def change_status(
    uow: UnitOfWork, row: FeedbackRequestRow, status: RequestStatus, answered_at: datetime | None
) -> None:
    """A request moves on (answered, expired, withdrawn): the figures replace its count."""
    previous = request_of(row)
    changed = await uow.session.execute(
        update(FeedbackRequestRow)
        .where(
            col(FeedbackRequestRow.id) == row.id,
            col(FeedbackRequestRow.revision) == row.revision,
        )
        .values(status=status.value, answered_at=answered_at, revision=row.revision + 1)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"request {row.id} changed under us")  # retried by the caller
    row.status, row.answered_at, row.revision = status.value, answered_at, row.revision + 1
    await figures_store.record(uow.session, row.tenant_id, request_of(row), previous)


async def withdraw_for_leaver(
    uow: UnitOfWork, tenant_id: str, person_id: str, now: datetime
) -> int:
    """A leaver is asked nothing more: their pending requests are withdrawn (one whose time
    was already up stays what it became: expired)."""
    rows = (
        await uow.session.exec(
            select(FeedbackRequestRow).where(
                FeedbackRequestRow.tenant_id == tenant_id,
                FeedbackRequestRow.person_id == person_id,
                FeedbackRequestRow.status == RequestStatus.PENDING.value,
            )
        )
    ).all()
    for row in rows:
        late = now >= row.expires_at
        await change_status(
            uow, row, RequestStatus.EXPIRED if late else RequestStatus.WITHDRAWN, None
        )
    return len(rows)


async def expire_due(uow: UnitOfWork, now: datetime, limit: int = 500) -> int:
    """The sweep: pending requests past their time become EXPIRED (any tenant)."""
    rows = (
        await uow.session.exec(
            select(FeedbackRequestRow)
            .where(
                FeedbackRequestRow.status == RequestStatus.PENDING.value,
                col(FeedbackRequestRow.expires_at) <= now,
            )
            .limit(limit)
        )
    ).all()
    for row in rows:
        await change_status(uow, row, RequestStatus.EXPIRED, None)
    return len(rows)
