"""Programs' queries: one program, or the organization's programs."""

import strawberry
from contracts.internal.programs import ProgramView
from contracts.pages import Items
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import ProgramStatus
from gateway.graphql.ids import decode_id
from gateway.graphql.programs.types import Program, remembered


@strawberry.type
class ProgramsQuery:
    @strawberry.field(description="One program of the caller's organization.")
    async def program(self, info: Info[CairnContext, None], id: strawberry.ID) -> Program | None:
        key = decode_id("Program", id)
        found = await info.context.loaders.program_by_id.load(key) if key else None
        return Program.of(found) if found else None

    @strawberry.field(description="The organization's programs, oldest first; by status if given.")
    async def programs(
        self, info: Info[CairnContext, None], status: list[ProgramStatus] | None = None
    ) -> list[Program]:
        answer = await info.context.profiles.read(
            Items[ProgramView],
            "/internal/programs",
            params={"status": [s.value for s in status or []]},
        )
        return [remembered(info.context, p) for p in (answer.items if answer else [])]
