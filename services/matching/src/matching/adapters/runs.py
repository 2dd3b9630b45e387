"""Match runs and the pairs each proposed, as frozen records; and how workers take waiting
runs and find the ones a vanished worker left RUNNING, across tenants."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.internal.matching import UnmatchedMentee
from contracts.matches import MatchReasonSnapshot, MatchRunStatus, Optimality
from contracts.programs import MatchingPolicySnapshot
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.adapters.repository import OfTenant
from matching.adapters.tables import MatchRunPair, MatchRunRow


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchRun:
    id: str
    tenant_id: str
    program_id: str
    dry_run: bool
    status: MatchRunStatus
    # The policy it runs under: the program's when asked, or a dry run's trial (older runs
    # kept none: the program's current one).
    policy: MatchingPolicySnapshot | None
    started_at: datetime
    finished_at: datetime | None = None
    matched_mentees: int = 0
    unmatched_mentees: int = 0
    mean_score: float | None = None
    by_group: dict[str, Any] = field(default_factory=dict)
    unmatched: tuple[UnmatchedMentee, ...] = ()
    error: str | None = None
    optimality: Optimality | None = None  # set once it completed (older runs: none)
    optimality_gap: float | None = None


@dataclass(frozen=True, slots=True)
class RunPair:
    """What a run proposed (or, dry, would have) at one position, best first."""

    position: int
    mentor_id: str
    mentee_ids: tuple[str, ...]
    score: float
    reasons: tuple[MatchReasonSnapshot, ...]


class Runs(OfTenant):
    async def get(self, run_id: str) -> MatchRun | None:
        row = await self.session.get(MatchRunRow, run_id)
        return _run(row) if row is not None and row.tenant_id == self.tenant_id else None

    async def any_running(self, program_id: str, *, dry_run: bool) -> bool:
        rows = await self.session.exec(
            select(col(MatchRunRow.id)).where(
                col(MatchRunRow.tenant_id) == self.tenant_id,
                col(MatchRunRow.program_id) == program_id,
                col(MatchRunRow.status) == MatchRunStatus.RUNNING.value,
                col(MatchRunRow.dry_run) == dry_run,
            )
        )
        return rows.first() is not None

    def start(self, run: MatchRun) -> None:
        self.session.add(MatchRunRow(id=run.id, claimed_at=None, **_columns(run)))

    async def finish(self, run: MatchRun) -> bool:
        """Stores the outcome of a run that is still RUNNING; False when it is not (another
        worker finished it, or it was failed meanwhile)."""
        written = await self.session.execute(
            update(MatchRunRow)
            .where(
                col(MatchRunRow.id) == run.id,
                col(MatchRunRow.tenant_id) == self.tenant_id,
                col(MatchRunRow.status) == MatchRunStatus.RUNNING.value,
            )
            .values(**_columns(run))
        )
        return bool(written.rowcount)  # type: ignore[attr-defined]

    def add_pairs(self, run_id: str, pairs: Sequence[RunPair]) -> None:
        for pair in pairs:
            self.session.add(
                MatchRunPair(
                    run_id=run_id,
                    position=pair.position,
                    mentor_id=pair.mentor_id,
                    mentee_ids=list(pair.mentee_ids),
                    score=pair.score,
                    reasons=[r.model_dump(mode="json") for r in pair.reasons],
                )
            )

    async def pairs(self, run_id: str, first: int, after: int) -> tuple[list[RunPair], bool]:
        """Up to `first` pairs after position `after`, and whether more follow."""
        rows = await self.session.exec(
            select(MatchRunPair)
            .where(col(MatchRunPair.run_id) == run_id, col(MatchRunPair.position) > after)
            .order_by(col(MatchRunPair.position))
            .limit(first + 1)
        )
        found = [
            RunPair(
                p.position,
                p.mentor_id,
                tuple(p.mentee_ids),
                p.score,
                tuple(MatchReasonSnapshot.model_validate(r) for r in p.reasons),
            )
            for p in rows.all()
        ]
        return found[:first], len(found) > first


async def claim_run(session: AsyncSession, run_id: str, now: datetime) -> str | None:
    """Takes a waiting run for this worker: its tenant, or None when another took it first."""
    tenant_id = (
        await session.exec(select(col(MatchRunRow.tenant_id)).where(col(MatchRunRow.id) == run_id))
    ).first()
    if tenant_id is None:
        return None
    taken = await session.execute(
        update(MatchRunRow)
        .where(col(MatchRunRow.id) == run_id, col(MatchRunRow.claimed_at).is_(None))
        .values(claimed_at=now)
    )
    return tenant_id if taken.rowcount else None  # type: ignore[attr-defined]


async def waiting_run_ids(session: AsyncSession, limit: int) -> list[str]:
    """Runs no worker took yet, across tenants, the oldest first."""
    rows = await session.exec(
        select(col(MatchRunRow.id))
        .where(
            col(MatchRunRow.status) == MatchRunStatus.RUNNING.value,
            col(MatchRunRow.claimed_at).is_(None),
        )
        .order_by(col(MatchRunRow.started_at))
        .limit(limit)
    )
    return list(rows.all())


async def abandoned_runs(session: AsyncSession, claimed_before: datetime) -> list[MatchRun]:
    """Runs a worker took before `claimed_before` and still RUNNING, across tenants; locked
    (skipping those another process holds) until the transaction ends."""
    rows = await session.exec(
        select(MatchRunRow)
        .where(
            col(MatchRunRow.status) == MatchRunStatus.RUNNING.value,
            col(MatchRunRow.claimed_at) < claimed_before,
        )
        .with_for_update(skip_locked=True)
    )
    return [_run(r) for r in rows.all()]


def _run(row: MatchRunRow) -> MatchRun:
    return MatchRun(
        id=row.id,
        tenant_id=row.tenant_id,
        program_id=row.program_id,
        dry_run=row.dry_run,
        status=MatchRunStatus(row.status),
        policy=MatchingPolicySnapshot.model_validate(row.policy) if row.policy else None,
        started_at=row.started_at,
        finished_at=row.finished_at,
        matched_mentees=row.matched_mentees,
        unmatched_mentees=row.unmatched_mentees,
        mean_score=row.mean_score,
        by_group=dict(row.by_group),
        unmatched=tuple(UnmatchedMentee.model_validate(u) for u in row.unmatched),
        error=row.error,
        optimality=Optimality(row.optimality) if row.optimality else None,
        optimality_gap=row.optimality_gap,
    )


def _columns(run: MatchRun) -> dict[str, Any]:
    """The row's columns but its id and whether a worker took it."""
    return {
        "tenant_id": run.tenant_id,
        "program_id": run.program_id,
        "dry_run": run.dry_run,
        "status": run.status.value,
        "policy": None if run.policy is None else run.policy.model_dump(mode="json", by_alias=True),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "matched_mentees": run.matched_mentees,
        "unmatched_mentees": run.unmatched_mentees,
        "mean_score": run.mean_score,
        "by_group": dict(run.by_group),
        "unmatched": [u.model_dump(mode="json", by_alias=True) for u in run.unmatched],
        "error": run.error,
        "optimality": run.optimality.value if run.optimality else None,
        "optimality_gap": run.optimality_gap,
    }
