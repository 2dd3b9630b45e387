"""A session as the API shows it (`contracts.internal.sessions.SessionView`): its snapshot,
its curriculum module in full, the agenda carried from earlier sessions, the action items
made in it, attendance and calendar sync. Built for many sessions at once, with one query per
part, so a page or a batch costs the same few queries as one session."""

from collections.abc import Sequence

from contracts.internal.sessions import AttendanceView, ModuleView, SessionView, SyncView
from contracts.programs import ProgramSnapshot
from messaging.outbox import UnitOfWork

from sessions.adapters.action_items import ActionItems
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.domain.lifecycle import Session
from sessions.service_layer.calendar_sync import sync_states


async def session_views(
    uow: UnitOfWork, tenant_id: str, sessions: Sequence[Session]
) -> list[SessionView]:
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    replicas = Replicas(uow.session, tenant_id)
    programs: dict[str, ProgramSnapshot | None] = {}
    for program_id in dict.fromkeys(s.program_id for s in sessions):
        programs[program_id] = await replicas.program(program_id)
    items = ActionItems(uow.session, tenant_id)
    made = await items.of_sessions(ids)
    open_items = await items.open_of_matches(
        list(dict.fromkeys(m for s in sessions for m in s.match_ids))
    )
    attendance = await Sessions(uow.session, tenant_id).attendance(ids)
    synced = await sync_states(uow.session, tenant_id, ids)
    out = []
    for s in sessions:
        agenda = [
            item
            for started, item in open_items
            if started < s.starts_at
            and item.session_id != s.id
            and set(item.match_ids) & set(s.match_ids)
        ]
        out.append(
            SessionView(
                **s.snapshot().model_dump(exclude={"module"}),
                module=_module(programs.get(s.program_id), s),
                agenda=agenda,
                action_items=made[s.id],
                attendance=[
                    AttendanceView(person_id=p, status=attendance[s.id].get(p))
                    for p in s.attendee_ids
                ],
                sync=[
                    SyncView(
                        person_id=r.person_id, provider=r.provider, state=r.state, error=r.error
                    )
                    for r in synced.get(s.id, [])
                ],
                held_at=s.held_at,
                cancelled_reason=s.cancelled_reason,
            )
        )
    return out


def _module(program: ProgramSnapshot | None, session: Session) -> ModuleView | None:
    if session.module_index is None:
        return None
    modules = program.curriculum.modules if program is not None else []
    if session.module_index >= len(modules):
        # The program's curriculum shrank since: the title the session was given stays.
        return ModuleView(
            index=session.module_index,
            title=session.module_title or "",
            discussion_guide="",
            pre_work=[],
        )
    module = modules[session.module_index]
    return ModuleView(
        index=session.module_index,
        title=module.title,
        discussion_guide=module.discussion_guide,
        pre_work=list(module.pre_work),
    )
