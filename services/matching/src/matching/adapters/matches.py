"""Matches as the domain sees them (`lifecycle.Match`), stored one row each; the sessions
counted towards them, and the ratings mentees gave their mentors."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts.matches import MatchOrigin, MatchStatus
from contracts.problems import Code
from contracts.programs import ProgramKind
from persistence.pages import Page, keyset_page
from runtime.refusals import Refused
from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.adapters.repository import OfTenant
from matching.adapters.tables import HeldSession, MatchRow, MenteeRating
from matching.domain.lifecycle import (
    OPEN,
    PROGRAM_CLOSED,
    WENT_WRONG,
    Match,
    Outcome,
    reason_snapshot,
)
from matching.domain.model import Criterion, Reason


class Matches(OfTenant):
    async def get(self, match_id: str, *, lock: bool = False) -> Match | None:
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            col(MatchRow.id) == match_id,
        )
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.exec(stmt)).first()
        return None if row is None else _match(row)

    async def many(self, match_ids: Sequence[str]) -> list[Match]:
        """The matches of `match_ids` this tenant has (unknown ids left out), in one query."""
        if not match_ids:
            return []
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id, col(MatchRow.id).in_(match_ids)
        )
        return [_match(r) for r in (await self.session.exec(stmt)).all()]

    async def save(self, outcome: Outcome) -> None:
        """Writes what a transition did: a new match, or the changed one, as long as nobody
        changed it meanwhile (else Refused(CONFLICT), and the caller's transaction rolls
        back). Written at once, so the queries that follow see it."""
        if not outcome.changes:
            return
        columns = _columns(outcome.match)
        if outcome.created:
            self.session.add(MatchRow(tenant_id=self.tenant_id, id=outcome.match.id, **columns))
            await self.session.flush()
            return
        read_at = outcome.changes[0].match.revision - 1
        written = await self.session.execute(
            update(MatchRow)
            .where(
                col(MatchRow.tenant_id) == self.tenant_id,
                col(MatchRow.id) == outcome.match.id,
                col(MatchRow.revision) == read_at,
            )
            .values(**columns)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise Refused(Code.CONFLICT, None, "the match changed meanwhile; try again")

    async def of_program(self, program_id: str) -> list[Match]:
        rows = await self.session.exec(
            select(MatchRow).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                col(MatchRow.program_id) == program_id,
            )
        )
        return [_match(r) for r in rows.all()]

    async def page_of_program(
        self,
        program_id: str,
        statuses: Sequence[MatchStatus],
        first: int,
        after: tuple[datetime, str] | None,
    ) -> Page[Match]:
        """A page in proposal order, the total, and whether more follow."""
        query = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            col(MatchRow.program_id) == program_id,
        )
        if statuses:
            query = query.where(col(MatchRow.status).in_([s.value for s in statuses]))
        page = await keyset_page(
            self.session, query, (col(MatchRow.proposed_at), col(MatchRow.id)), first, after
        )
        return Page([_match(r) for r in page.items], page.total_count, page.has_more)

    async def of_person(self, person_id: str, statuses: Sequence[MatchStatus] = ()) -> list[Match]:
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            or_(col(MatchRow.mentor_id) == person_id, col(MatchRow.mentee_id) == person_id),
        )
        if statuses:
            stmt = stmt.where(col(MatchRow.status).in_([s.value for s in statuses]))
        stmt = stmt.order_by(col(MatchRow.proposed_at), col(MatchRow.id))
        return [_match(r) for r in (await self.session.exec(stmt)).all()]

    async def of_people(
        self, person_ids: Sequence[str], statuses: Sequence[MatchStatus] = ()
    ) -> dict[str, list[Match]]:
        """`of_person` for each of `person_ids` (everyone gets a list), in one query."""
        if not person_ids:
            return {}
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            or_(col(MatchRow.mentor_id).in_(person_ids), col(MatchRow.mentee_id).in_(person_ids)),
        )
        if statuses:
            stmt = stmt.where(col(MatchRow.status).in_([s.value for s in statuses]))
        stmt = stmt.order_by(col(MatchRow.proposed_at), col(MatchRow.id))
        found: dict[str, list[Match]] = {person_id: [] for person_id in person_ids}
        for row in (await self.session.exec(stmt)).all():
            match = _match(row)
            # Both sides of one match may be asked about; each gets it once.
            for person_id in dict.fromkeys((row.mentor_id, row.mentee_id)):
                if person_id in found:
                    found[person_id].append(match)
        return found

    async def open(self) -> list[Match]:
        rows = await self.session.exec(
            select(MatchRow).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                col(MatchRow.status).in_([s.value for s in OPEN]),
            )
        )
        return [_match(r) for r in rows.all()]

    async def blocked_pairs(self) -> frozenset[tuple[str, str]]:
        """(mentor, mentee) pairs that went wrong anywhere in the tenant: never again."""
        rows = await self.session.execute(
            select(col(MatchRow.mentor_id), col(MatchRow.mentee_id)).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                or_(
                    and_(
                        col(MatchRow.status).in_([s.value for s in WENT_WRONG]),
                        or_(col(MatchRow.reason).is_(None), col(MatchRow.reason) != PROGRAM_CLOSED),
                    ),
                    col(MatchRow.flagged_for_review).is_(True),
                ),
            )
        )
        return frozenset((r.mentor_id, r.mentee_id) for r in rows)


async def proposals_due(session: AsyncSession, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(tenant, match) of proposals past their time, across tenants (the expiry worker
    serves them all), the longest due first."""
    rows = await session.execute(
        select(col(MatchRow.tenant_id), col(MatchRow.id))
        .where(
            col(MatchRow.status) == MatchStatus.PROPOSED.value,
            col(MatchRow.expires_at) <= now,
        )
        .order_by(col(MatchRow.expires_at))
        .limit(limit)
    )
    return [(tenant_id, match_id) for tenant_id, match_id in rows.all()]


def _match(row: MatchRow) -> Match:
    return Match(
        id=row.id,
        program_id=row.program_id,
        kind=ProgramKind(row.kind),
        mentor_id=row.mentor_id,
        mentee_id=row.mentee_id,
        score=row.score,
        reasons=tuple(
            Reason(Criterion(r["criterion"]), float(r["contribution"]), str(r["explanation"]))
            for r in row.reasons
        ),
        status=MatchStatus(row.status),
        origin=MatchOrigin(row.origin),
        run_id=row.run_id,
        accepted_by=tuple(row.accepted_by),
        proposed_at=row.proposed_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        ended_at=row.ended_at,
        reason=row.reason,
        flagged_for_review=row.flagged_for_review,
        sessions_completed=row.sessions_completed,
        last_session_at=row.last_session_at,
        revision=row.revision,
        updated_at=row.updated_at,
    )


def _columns(match: Match) -> dict[str, Any]:
    """The row's columns but its keys (tenant and id)."""
    return {
        "program_id": match.program_id,
        "kind": match.kind.value,
        "mentor_id": match.mentor_id,
        "mentee_id": match.mentee_id,
        "score": match.score,
        "reasons": [reason_snapshot(r).model_dump(mode="json") for r in match.reasons],
        "status": match.status.value,
        "origin": match.origin.value,
        "run_id": match.run_id,
        "accepted_by": list(match.accepted_by),
        "proposed_at": match.proposed_at,
        "expires_at": match.expires_at,
        "decided_at": match.decided_at,
        "ended_at": match.ended_at,
        "reason": match.reason,
        "flagged_for_review": match.flagged_for_review,
        "sessions_completed": match.sessions_completed,
        "last_session_at": match.last_session_at,
        "revision": match.revision,
        "updated_at": match.updated_at,
    }


class HeldSessions(OfTenant):
    async def counted(self, match_id: str, session_id: str, ended_at: datetime) -> bool:
        """Records the session as held for the match; False when it was counted before."""
        key = (self.tenant_id, match_id, session_id)
        if await self.session.get(HeldSession, key) is not None:
            return False
        self.session.add(
            HeldSession(
                tenant_id=self.tenant_id,
                match_id=match_id,
                session_id=session_id,
                ended_at=ended_at,
            )
        )
        return True


class Ratings(OfTenant):
    async def record(self, response_id: str, mentor_id: str, rating: int, revision: int) -> None:
        """Keeps the newest revision of each response's rating."""
        known = await self.session.get(MenteeRating, (self.tenant_id, response_id))
        if known is None:
            self.session.add(
                MenteeRating(
                    tenant_id=self.tenant_id,
                    response_id=response_id,
                    mentor_id=mentor_id,
                    rating=rating,
                    revision=revision,
                )
            )
        elif known.revision < revision:
            known.rating = rating
            known.revision = revision

    async def of_mentors(self) -> dict[str, tuple[float, int]]:
        """Each rated mentor's mean rating and how many ratings it rests on."""
        rows = await self.session.execute(
            select(
                col(MenteeRating.mentor_id),
                func.avg(col(MenteeRating.rating)),
                func.count(),
            )
            .where(col(MenteeRating.tenant_id) == self.tenant_id)
            .group_by(col(MenteeRating.mentor_id))
        )
        return {mentor: (float(mean), int(count)) for mentor, mean, count in rows.all()}
