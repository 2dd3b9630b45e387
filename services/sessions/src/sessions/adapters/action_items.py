"""Action items: what someone agreed to do in a session; the open ones of a match's earlier
sessions make the agenda of its later ones."""

from collections.abc import Sequence
from datetime import datetime

from contracts.problems import Code
from contracts.sessions import ActionItemSnapshot
from runtime.refusals import Refused
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.tables import ActionItemRow, SessionMatch, SessionRow


class ActionItems:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def get(self, item_id: str) -> ActionItemSnapshot | None:
        row = (
            await self.session.exec(
                select(ActionItemRow).where(
                    col(ActionItemRow.id) == item_id,
                    col(ActionItemRow.tenant_id) == self.tenant_id,
                )
            )
        ).first()
        return None if row is None else _item(row)

    async def add(self, item: ActionItemSnapshot, now: datetime) -> None:
        self.session.add(
            ActionItemRow(
                id=item.id,
                tenant_id=self.tenant_id,
                program_id=item.program_id,
                session_id=item.session_id,
                match_ids=list(item.match_ids),
                owner_id=item.owner_id,
                text=item.text,
                due_on=item.due_on,
                done=item.done,
                done_at=item.done_at,
                revision=item.revision,
                created_at=now,
                updated_at=item.updated_at,
            )
        )

    async def save(self, item: ActionItemSnapshot) -> None:
        written = await self.session.execute(
            update(ActionItemRow)
            .where(
                col(ActionItemRow.id) == item.id,
                col(ActionItemRow.tenant_id) == self.tenant_id,
                col(ActionItemRow.revision) == item.revision - 1,
            )
            .values(
                done=item.done,
                done_at=item.done_at,
                revision=item.revision,
                updated_at=item.updated_at,
            )
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise Refused(Code.CONFLICT, None, "the action item changed meanwhile; try again")

    async def of_sessions(self, session_ids: Sequence[str]) -> dict[str, list[ActionItemSnapshot]]:
        """The items created in each session, oldest first."""
        out: dict[str, list[ActionItemSnapshot]] = {s: [] for s in session_ids}
        if not session_ids:
            return out
        rows = await self.session.exec(
            select(ActionItemRow)
            .where(
                col(ActionItemRow.tenant_id) == self.tenant_id,
                col(ActionItemRow.session_id).in_(session_ids),
            )
            .order_by(col(ActionItemRow.created_at), col(ActionItemRow.id))
        )
        for r in rows.all():
            out[r.session_id].append(_item(r))
        return out

    async def open_of_matches(
        self, match_ids: Sequence[str]
    ) -> list[tuple[datetime, ActionItemSnapshot]]:
        """Open items of any session serving these matches, each with its session's start
        (the agenda of a session is those of sessions that started before it)."""
        if not match_ids:
            return []
        rows = await self.session.exec(
            select(SessionRow.starts_at, ActionItemRow)
            .join(SessionRow, col(SessionRow.id) == col(ActionItemRow.session_id))
            .where(
                col(ActionItemRow.tenant_id) == self.tenant_id,
                col(ActionItemRow.done).is_(False),
                col(ActionItemRow.session_id).in_(
                    select(SessionMatch.session_id).where(
                        col(SessionMatch.tenant_id) == self.tenant_id,
                        col(SessionMatch.match_id).in_(match_ids),
                    )
                ),
            )
            .order_by(col(SessionRow.starts_at), col(ActionItemRow.created_at))
        )
        return [(starts_at, _item(r)) for starts_at, r in rows.all()]


def _item(row: ActionItemRow) -> ActionItemSnapshot:
    return ActionItemSnapshot(
        id=row.id,
        program_id=row.program_id,
        session_id=row.session_id,
        match_ids=list(row.match_ids),
        owner_id=row.owner_id,
        text=row.text,
        due_on=row.due_on,
        done=row.done,
        done_at=row.done_at,
        revision=row.revision,
        updated_at=row.updated_at,
    )
