"""Importing a snapshot of the whole org: everyone held read in one query, the plan made in
memory, then only the changes written, in batches of BATCH_SIZE people, each batch one
transaction with its events (a short write lock each, so HRIS changes keep flowing meanwhile).

Each batch reads its people again (locked) and reconciles them with what is there now, so an
HRIS change that landed since the first read is built on, never overwritten. Managers are
created before their reports: an event never names a manager id that is not written yet. A
batch that fails leaves earlier batches in place; importing the same snapshot again finishes
the job (what is already there is unchanged).
"""

import asyncio
import copy
import functools
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.base import Event
from contracts.hris import HrisChange
from contracts.people import (
    PersonCreated,
    PersonSnapshot,
    PersonTerminated,
    PersonUpdated,
)
from messaging.outbox import UnitOfWork, utcnow
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from profiles.adapters.person_records import columns_of, record_of
from profiles.adapters.tables import ParkedChange, Person
from profiles.domain.org_snapshot import ImportPlan, OrgSnapshot, Planned, plan, reconcile
from profiles.domain.people import Outcome, PersonRecord
from profiles.service_layer.org_changes import apply_hris_change

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# A batch racing an HRIS hire of the same person loses on the unique key; it is read again.
_ATTEMPTS = 3
_PEOPLE = Person.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int
    updated: int  # people given a person.updated event (a changed field or a resolved manager)
    unchanged: int  # listed people left as they were
    terminated: int
    missing: tuple[str, ...]  # held, not terminated, not listed
    unknown_managers: tuple[str, ...]  # named as managers by the snapshot, unknown so far
    dry_run: bool
    terminate_missing: bool


async def import_snapshot(
    uows: Callable[[], UnitOfWork],
    tenant_id: str,
    snapshot: OrgSnapshot,
    *,
    terminate_missing: bool = False,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Raises InvalidSnapshot (nothing written) when the snapshot would make a manager loop."""
    async with uows() as uow:
        held = await _people(uow.session, tenant_id)
    records = {external_id: record_of(row) for external_id, row in held.items()}
    planned = await asyncio.to_thread(plan, records, snapshot, terminate_missing=terminate_missing)
    outcomes: Counter[Outcome] = Counter(item.reconciled.outcome for item in planned.changes)
    if not dry_run:
        ids = {external_id: row["id"] for external_id, row in held.items()}
        ids.update({external_id: str(uuid.uuid4()) for external_id in planned.created_ids})
        outcomes = Counter()
        for batch in _batches(planned.changes, batch_size):
            outcomes += await _write_batch(uows, tenant_id, batch, planned, held, ids)
    listed_unchanged = outcomes[Outcome.UNCHANGED]  # listed people a racing change caught up
    report = ImportReport(
        rows=len(snapshot.rows),
        created=outcomes[Outcome.CREATED],
        updated=outcomes[Outcome.UPDATED],
        unchanged=planned.unchanged + listed_unchanged,
        terminated=outcomes[Outcome.TERMINATED],
        missing=planned.missing,
        unknown_managers=planned.unknown_managers,
        dry_run=dry_run,
        terminate_missing=terminate_missing,
    )
    log.info(
        "import for tenant %s%s: %d rows, %d created, %d updated, %d unchanged, "
        "%d terminated, %d missing",
        tenant_id,
        " (dry run)" if dry_run else "",
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.terminated,
        len(report.missing),
    )
    return report


async def _write_batch(
    uows: Callable[[], UnitOfWork],
    tenant_id: str,
    batch: Sequence[Planned],
    planned: ImportPlan,
    held: Mapping[str, Mapping[str, Any]],
    ids: Mapping[str, str],
) -> Counter[Outcome]:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with uows() as uow:
                outcomes = await _apply_batch(uow, tenant_id, batch, planned, held, ids)
                await uow.commit()
                return outcomes
        except IntegrityError:
            if attempt == _ATTEMPTS:
                raise
            log.info("import batch raced another writer; reading it again (%d)", attempt)
    raise AssertionError("unreachable")


async def _apply_batch(
    uow: UnitOfWork,
    tenant_id: str,
    batch: Sequence[Planned],
    planned: ImportPlan,
    held: Mapping[str, Mapping[str, Any]],
    ids: Mapping[str, str],
) -> Counter[Outcome]:
    now = utcnow()
    fresh = await _people(uow.session, tenant_id, [item.external_id for item in batch])
    outcomes: Counter[Outcome] = Counter()
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    events: list[Event] = []
    for item in batch:
        row = fresh.get(item.external_id)
        if row is None and item.employee is None:
            continue  # someone not listed who is gone since (erased): nothing to do
        done = item.reconciled
        if row != held.get(item.external_id):  # changed since the plan: build on what is there
            done = reconcile(
                record_of(row) if row is not None else None,
                item.employee,
                terminate=planned.terminate_missing,
                created=planned.created_ids,
            )
        if done.outcome is Outcome.UNCHANGED and item.employee is None:
            continue  # someone not listed, already as the plan wanted them
        outcomes[done.outcome] += 1
        if done.outcome is Outcome.UNCHANGED:
            continue
        if row is None:
            # Someone held at plan time and gone since (erased) comes back as someone new.
            new_id = ids[item.external_id] if item.external_id in planned.created_ids else None
            values = _new_row(new_id or str(uuid.uuid4()), tenant_id, done.record, now)
            created.append(values)
            events.append(PersonCreated(person=_person(values, ids)))
            continue
        values = {
            **row,
            **columns_of(done.record),
            "revision": row["revision"] + 1,
            "updated_at": now,
        }
        changed.append(values)
        person = _person(values, ids)
        if done.outcome is Outcome.TERMINATED:
            events.append(PersonTerminated(person=person, terminated_at=now))
        else:
            events.append(PersonUpdated(person=person, changed_fields=list(done.changed_fields)))
    if created:
        await uow.session.execute(insert(_PEOPLE), created)
    if changed:
        await uow.session.execute(update(Person), changed)  # by primary key
    await uow.emit_many(events, tenant_id=tenant_id)
    await _replay_parked(uow, tenant_id, [values["external_id"] for values in created])
    return outcomes


async def _people(
    session: AsyncSession, tenant_id: str, external_ids: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Everyone held (or those of `external_ids`, locked for this transaction), as columns."""
    query = _PEOPLE.select().where(_PEOPLE.c.tenant_id == tenant_id)
    if external_ids is not None:
        query = query.where(_PEOPLE.c.external_id.in_(external_ids)).with_for_update()
    rows = (await session.execute(query)).mappings().all()
    return {row["external_id"]: dict(row) for row in rows}


async def _replay_parked(uow: UnitOfWork, tenant_id: str, external_ids: Sequence[str]) -> None:
    """HRIS changes that arrived before these people existed apply now, in version order, as
    when the HRIS hire creates them."""
    if not external_ids:
        return
    where = (
        col(ParkedChange.tenant_id) == tenant_id,
        col(ParkedChange.external_id).in_(external_ids),
    )
    parked = (
        await uow.session.exec(
            select(ParkedChange)
            .where(*where)
            .order_by(col(ParkedChange.external_id), col(ParkedChange.source_version))
        )
    ).all()
    if not parked:
        return
    await uow.session.execute(delete(ParkedChange).where(*where))
    for item in parked:
        await apply_hris_change(uow, tenant_id, HrisChange.model_validate(item.change))


def _new_row(person_id: str, tenant_id: str, record: PersonRecord, now: datetime) -> dict[str, Any]:
    values = {
        name: copy.copy(value) if isinstance(value, list | dict) else value
        for name, value in _column_defaults().items()
    }
    values.update(
        id=person_id,
        tenant_id=tenant_id,
        revision=1,
        created_at=now,
        updated_at=now,
        **columns_of(record),
    )
    return values


@functools.cache
def _column_defaults() -> dict[str, Any]:
    """What a new row holds in the columns an import does not set (skills, consent, …), as the
    table class defines it; not by building a Person, which costs a millisecond each."""
    return {
        name: info.get_default(call_default_factory=True, validated_data={})
        for name, info in Person.model_fields.items()
        if name in _PEOPLE.columns and not info.is_required()
    }


def _person(values: Mapping[str, Any], ids: Mapping[str, str]) -> PersonSnapshot:
    """The event snapshot of a row (as org_changes.snapshot builds it, without a query)."""
    manager = values["manager_external_id"]
    return PersonSnapshot.model_validate(
        {**values, "manager_id": ids.get(manager) if manager is not None else None}
    )


def _batches(items: Sequence[Planned], size: int) -> Iterable[Sequence[Planned]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
