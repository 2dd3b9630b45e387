"""Sessions and matching together on the real broker (both processes' relays and consumers
running in this test's event loop, each on its own database): matching accepts a match, its
`match.accepted` reaches sessions, which plans the series; holding the sessions publishes
`session.completed`, and the final one makes the match COMPLETED in matching."""

from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest
from contracts.matches import MatchOrigin, MatchStatus
from contracts.people import PersonCreated
from contracts.programs import ProgramKind, ProgramPublished
from devstack.pytest_plugin import DatabaseFactory, eventually
from fastapi import FastAPI
from matching import bootstrap as matching_bootstrap
from matching.adapters.matches import Matches
from matching.config import MatchingSettings
from matching.service_layer import matches as decisions
from messaging.envelope import envelope_for
from messaging.publisher import Publisher
from messaging.settings import KafkaSettings
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sessions import bootstrap as sessions_bootstrap
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.config import SessionsSettings
from sessions.domain.lifecycle import ADMIN
from sessions.service_layer import scheduling

from services.sessions.tests.integration.sessions_api import person, program, tenant

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_final_session_held_completes_the_match_in_matching(
    broker: str, database_factory: DatabaseFactory
) -> None:
    _, public = generate_keypair()
    kafka = KafkaSettings(bootstrap_servers=broker)
    matching = matching_bootstrap.build(
        MatchingSettings(
            database_url=await database_factory("matching_x"), service_token_public_key=public
        ),
        kafka,
    )
    sessions = sessions_bootstrap.build(
        SessionsSettings(
            database_url=await database_factory("sessions_x"),
            service_token_public_key=public,
            sealing_keys=new_key(),
        ),
        kafka,
    )
    t = tenant()
    program_id = f"pg_{t}"
    publisher = Publisher(broker)
    async with AsyncExitStack() as running:
        await running.enter_async_context(matching.process.lifespan(FastAPI()))
        await running.enter_async_context(sessions.process.lifespan(FastAPI()))
        try:
            for event in (
                PersonCreated.model_validate({"person": person("ber", "Europe/Berlin")}),
                PersonCreated.model_validate({"person": person("par", "Europe/Paris")}),
                ProgramPublished.model_validate(
                    {"program": program(program_id, cadence="FREQ=WEEKLY;COUNT=2")}
                ),
            ):
                envelope = envelope_for(event, tenant_id=t, source="/cairn/test")
                await publisher.publish([envelope], {envelope.id: event.topic})

            async def known() -> bool:
                async with sessions.process.uow() as uow:
                    replicas = Replicas(uow.session, t)
                    people = await replicas.people(["ber", "par"])
                    return len(people) == 2 and await replicas.program(program_id) is not None

            await eventually(known, timeout_s=60)

            now = datetime.now(UTC)
            async with matching.process.uow() as uow:
                proposed = await decisions.propose(
                    uow,
                    t,
                    program_id=program_id,
                    kind=ProgramKind.ONE_ON_ONE,
                    mentor_id="ber",
                    mentee_id="par",
                    score=0.8,
                    reasons=(),
                    origin=MatchOrigin.RUN,
                    now=now,
                    expires_after=matching.run_settings.proposal_ttl,
                )
                await decisions.accept(uow, t, proposed.id, "ber", now)
                await decisions.accept(uow, t, proposed.id, "par", now)
                await uow.commit()
            match_id = proposed.id

            async def planned() -> list[str] | None:
                async with sessions.process.uow() as uow:
                    series = (await Sessions(uow.session, t).of_matches([match_id]))[match_id]
                return [s.id for s in series] if len(series) == 2 else None

            series = await eventually(planned, timeout_s=60)
            assert series is not None and len(series) == 2

            async def status_is(wanted: MatchStatus) -> bool:
                async with matching.process.uow() as uow:
                    found = await Matches(uow.session, t).get(match_id)
                return found is not None and found.status is wanted

            for session_id, after in zip(
                series, (MatchStatus.ACTIVE, MatchStatus.COMPLETED), strict=True
            ):
                async with sessions.process.uow() as uow:
                    await scheduling.complete(
                        uow, t, session_id, ADMIN, datetime.now(UTC), None, None
                    )
                    await uow.commit()
                assert await eventually(lambda after=after: status_is(after), timeout_s=60)
            async with matching.process.uow() as uow:
                done = await Matches(uow.session, t).get(match_id)
            assert done is not None and done.status is MatchStatus.COMPLETED
            assert done.sessions_completed == 2
        finally:
            await publisher.close()
    matching.pool.shutdown(wait=True)
