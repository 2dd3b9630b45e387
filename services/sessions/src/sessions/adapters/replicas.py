"""What sessions knows of other services' state, as their contracts describe it: programs
(`ProgramSnapshot`: the curriculum), matches (`MatchSnapshot`) and people (`PersonSnapshot`,
from the roster, without self-identification). The newest revision wins; replays and late
older events change nothing."""

from collections.abc import Sequence
from datetime import datetime

from contracts.matches import MatchSnapshot, MatchStatus
from contracts.people import PersonSnapshot
from contracts.programs import ProgramSnapshot
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.tables import KnownMatch, KnownProgram, roster


class Replicas:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def program(self, program_id: str) -> ProgramSnapshot | None:
        known = await self.session.get(KnownProgram, (self.tenant_id, program_id))
        return None if known is None else ProgramSnapshot.model_validate(known.snapshot)

    async def keep_program(self, program: ProgramSnapshot) -> None:
        snapshot = program.model_dump(mode="json", by_alias=True)
        known = await self.session.get(KnownProgram, (self.tenant_id, program.id))
        if known is None:
            self.session.add(
                KnownProgram(
                    tenant_id=self.tenant_id,
                    program_id=program.id,
                    status=program.status.value,
                    snapshot=snapshot,
                    revision=program.revision,
                )
            )
        elif known.revision < program.revision:
            known.status = program.status.value
            known.snapshot = snapshot
            known.revision = program.revision

    async def match(self, match_id: str) -> MatchSnapshot | None:
        known = await self.session.get(KnownMatch, (self.tenant_id, match_id))
        return None if known is None else MatchSnapshot.model_validate(known.snapshot)

    async def keep_match(self, match: MatchSnapshot) -> None:
        snapshot = match.model_dump(mode="json", by_alias=True)
        known = await self.session.get(KnownMatch, (self.tenant_id, match.id))
        if known is None:
            self.session.add(
                KnownMatch(
                    tenant_id=self.tenant_id,
                    match_id=match.id,
                    program_id=match.program_id,
                    status=match.status.value,
                    snapshot=snapshot,
                    revision=match.revision,
                )
            )
        elif known.revision < match.revision:
            known.status = match.status.value
            known.snapshot = snapshot
            known.revision = match.revision

    async def claim_planning(self, match_id: str, now: datetime) -> bool:
        """True once per match: the caller plans its series. A conditional write, so two
        deliveries of `match.accepted` (a replay, a second event) never both plan."""
        await self.session.flush()  # the match just kept must be there
        claimed = await self.session.execute(
            update(KnownMatch)
            .where(
                col(KnownMatch.tenant_id) == self.tenant_id,
                col(KnownMatch.match_id) == match_id,
                col(KnownMatch.planned_at).is_(None),
            )
            .values(planned_at=now)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    async def unplanned_accepted(self, program_id: str) -> list[MatchSnapshot]:
        """Accepted matches of the program whose series waits for the program to be known
        (the acceptance can overtake the program: they travel on different topics)."""
        rows = await self.session.exec(
            select(KnownMatch).where(
                col(KnownMatch.tenant_id) == self.tenant_id,
                col(KnownMatch.program_id) == program_id,
                col(KnownMatch.status) == MatchStatus.ACCEPTED.value,
                col(KnownMatch.planned_at).is_(None),
            )
        )
        return [MatchSnapshot.model_validate(r.snapshot) for r in rows.all()]

    async def people(self, person_ids: Sequence[str]) -> dict[str, PersonSnapshot]:
        if not person_ids:
            return {}
        rows = await self.session.execute(
            select(roster.table.c.person_id, roster.table.c.snapshot).where(
                roster.table.c.tenant_id == self.tenant_id,
                roster.table.c.person_id.in_(person_ids),
            )
        )
        return {r.person_id: PersonSnapshot.model_validate(r.snapshot) for r in rows}
