"""Sessions as it runs: its consumer reads people, the program and the acceptance from the
real broker (Tansu), plans the series, and its relay publishes session.scheduled on
cairn.sessions.sessions, keyed by the match; a leaver published later cancels what lies ahead
(session.cancelled on the broker)."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from contracts.base import Event
from contracts.matches import MatchAccepted
from contracts.people import PersonCreated, PersonTerminated
from contracts.programs import ProgramPublished
from devstack.pytest_plugin import DatabaseFactory, eventually
from fastapi import FastAPI
from messaging.envelope import envelope_for
from messaging.publisher import Publisher
from messaging.settings import KafkaSettings
from messaging.testing import read_topic
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair
from sessions import bootstrap
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.config import SessionsSettings

from contracts import topics
from services.sessions.tests.integration.sessions_api import match, person, program, tenant

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _of(records: list[ConsumerRecord[bytes, bytes]], key: str, kind: str) -> list[Any]:
    out = []
    for r in records:
        headers = {k: v.decode() for k, v in r.headers}
        if r.key == key.encode() and headers.get("ce_type") == kind:
            out.append(json.loads(r.value))
    return out


async def test_planning_and_a_leaver_through_the_broker(
    broker: str, database_factory: DatabaseFactory
) -> None:
    url = await database_factory("sessions_broker")
    _, public = generate_keypair()
    settings = SessionsSettings(
        database_url=url, service_token_public_key=public, sealing_keys=new_key()
    )
    service = bootstrap.build(settings, KafkaSettings(bootstrap_servers=broker))
    t = tenant()
    program_id = "pg_broker"
    match_id = "mt_" + t.removeprefix("t-").ljust(32, "0")
    events: list[Event] = [
        PersonCreated.model_validate({"person": person("ber", "Europe/Berlin")}),
        PersonCreated.model_validate({"person": person("del", "Asia/Kolkata")}),
        ProgramPublished.model_validate({"program": program(program_id)}),
    ]
    accepted = MatchAccepted.model_validate({"match": match(match_id, program_id, "ber", "del")})
    publisher = Publisher(broker)
    async with service.process.lifespan(FastAPI()):
        try:
            for event in events:
                envelope = envelope_for(event, tenant_id=t, source="/cairn/test")
                await publisher.publish([envelope], {envelope.id: event.topic})

            async def known() -> bool:
                async with service.process.uow() as uow:
                    replicas = Replicas(uow.session, t)
                    people = await replicas.people(["ber", "del"])
                    return len(people) == 2 and await replicas.program(program_id) is not None

            # The acceptance after the people and the program (they travel on other topics).
            await eventually(known, timeout_s=30)
            envelope = envelope_for(accepted, tenant_id=t, source="/cairn/test")
            await publisher.publish([envelope], {envelope.id: accepted.topic})

            async def planned() -> list[object] | None:
                async with service.process.uow() as uow:
                    found = (await Sessions(uow.session, t).of_matches([match_id]))[match_id]
                return list(found) if len(found) == 6 else None

            series = await eventually(planned, timeout_s=30)
            assert len(series) == 6
            records = await read_topic(
                broker,
                topics.SESSIONS,
                until=lambda rs: len(_of(rs, match_id, "session.scheduled")) == 6,
                timeout_s=30,
            )
            scheduled = _of(records, match_id, "session.scheduled")
            assert [s["session"]["sequence"] for s in scheduled] == list(range(6))
            assert {s["session"]["status"] for s in scheduled} == {"SCHEDULED"}

            leaver = person("del", "Asia/Kolkata", status="TERMINATED", revision=2)
            left = PersonTerminated.model_validate(
                {"person": leaver, "terminatedAt": datetime.now(UTC).isoformat()}
            )
            envelope = envelope_for(left, tenant_id=t, source="/cairn/test")
            await publisher.publish([envelope], {envelope.id: left.topic})
            records = await read_topic(
                broker,
                topics.SESSIONS,
                until=lambda rs: len(_of(rs, match_id, "session.cancelled")) == 6,
                timeout_s=30,
            )
            cancelled = _of(records, match_id, "session.cancelled")
            assert {c["reason"] for c in cancelled} == {"Person del left the organization"}
        finally:
            await publisher.close()
