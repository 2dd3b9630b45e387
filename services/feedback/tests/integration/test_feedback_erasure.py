"""`person.erased` in feedback, on a real database: the comments and tags the person wrote are
deleted, their answers stay as numbers (every insight is what it was), another's comment
naming them no longer does, nothing in the database names them, and feedback confirms."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from contracts.people import (
    OrgFieldChange,
    PersonCreated,
    PersonErased,
    PersonSnapshot,
    PersonStatus,
)
from devstack.leftovers import mentions
from feedback.adapters.tables import FeedbackResponseRow, OrgPerson
from sqlmodel import col, select

from services.feedback.tests.integration.feedback_api import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = ("Zephyrine", "Quillfeather", "zq-7731@example-corp.com", "EXT-ZQ-7731")


async def _hire_distinctive(service: Service, t: str) -> str:
    person_id = str(uuid.uuid4())
    snapshot = PersonSnapshot(
        id=person_id,
        external_id="EXT-ZQ-7731",
        email="zq-7731@example-corp.com",
        given_name="Zephyrine",
        family_name="Quillfeather",
        display_name="Zephyrine Quillfeather",
        title="Head of Zephyrine Quillfeather's team",
        time_zone="Europe/Berlin",
        status=PersonStatus.ACTIVE,
        source_version=1,
        revision=1,
        updated_at=datetime.now(UTC),
    )
    # A move whose title names them: org moves are kept for the outcomes.
    move = OrgFieldChange(
        field="title",
        to_value="Zephyrine Quillfeather's team lead",
        effective_at=datetime.now(UTC),
        source_version=1,
    )
    await service.deliver(t, PersonCreated(person=snapshot, org_changes=[move]))
    return person_id


async def _answer(service: Service, t: str, session_id: str, who: str, comment: str) -> str:
    answer = await service.call(
        t,
        "POST",
        "/responses",
        principal=f"person:{who}",
        json={
            "sessionId": session_id,
            "rating": 4,
            "recommendScore": 9,
            "comment": comment,
            "tags": ["Zephyrine's network"],
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _insights(service: Service, t: str, program_id: str) -> dict[str, object]:
    answer = await service.call(t, "GET", f"/programs/{program_id}/insights")
    assert answer.status_code == 200, answer.text
    figures: dict[str, object] = answer.json()
    figures.pop("asOf")  # when it was read
    return figures


async def test_an_erased_person_leaves_numbers_and_no_name(service: Service) -> None:
    t = f"t-{uuid.uuid4().hex[:12]}"
    program_id = await service.program(t)
    mentor = await service.person(t)
    mentee = await _hire_distinctive(service, t)
    match = await service.match(t, program_id, mentor, mentee, datetime.now(UTC) - timedelta(1))
    session = await service.held(t, match, datetime.now(UTC) - timedelta(hours=2))
    own = await _answer(service, t, session.id, mentee, "Zephyrine here: it helped")
    other = await _answer(service, t, session.id, mentor, "Quillfeather asks great questions")
    insights = await _insights(service, t, program_id)
    engine = service.feedback.process.engine
    named_in = {m.table for m in await mentions(engine, NAMES)}
    assert {"roster_person", "feedback_response", "org_person"} <= named_in, named_in

    await service.deliver(t, PersonErased(person_id=mentee, erased_at=datetime.now(UTC)))

    assert await mentions(engine, NAMES) == []
    assert await _insights(service, t, program_id) == insights
    async with service.feedback.process.uow() as uow:
        rows = {
            r.id: r
            for r in (
                await uow.session.exec(
                    select(FeedbackResponseRow).where(col(FeedbackResponseRow.tenant_id) == t)
                )
            ).all()
        }
    assert (rows[own].respondent_id, rows[own].rating, rows[own].comment) == (mentee, 4, None)
    assert rows[own].tags == []
    async with service.feedback.process.uow() as uow:
        career = await uow.session.get(OrgPerson, (t, mentee))
    assert career is not None and career.title is None
    assert [m["to"] for m in career.moves] == ["Erased person's team lead"]  # still a move
    assert rows[other].comment == "Erased person asks great questions"
    last = (await service.events(t))[-1]
    assert (last[0], last[2]["service"], last[2]["personId"]) == (
        "person.erasure_confirmed",
        "feedback",
        mentee,
    )
