"""Feedback's changes through the real schema, context and service clients, on a stub feedback
behind an httpx MockTransport: a mutation sends feedback what was given (camelCase, the ids
decoded), answers its refusals as userErrors under `input` (named as the input names them),
and an id of nothing is a userError before anything is sent."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from contracts.feedback import FeedbackRequestKind
from contracts.internal.feedback import FeedbackView
from contracts.pages import Items
from contracts.people import PersonStatus, PersonView
from contracts.problems import Code, FieldError, Problem
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from service_auth.tokens import Caller, TokenMinter, generate_keypair

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PROGRAM = "7d4b5a2e-3f1c-4e8a-9b6d-0c2e4f6a8b1d"
SESSION = "se_" + "5" * 32
RESPONSE = "0b1c2d3e-4f50-4617-8899-aabbccddeeff"
PEOPLE = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(4)]


def feedback_view(respondent: str, comment: str | None, rating: int = 4) -> FeedbackView:
    return FeedbackView(
        id=RESPONSE,
        request_id="r-1",
        program_id=PROGRAM,
        kind=FeedbackRequestKind.SESSION,
        session_id=SESSION,
        respondent_id=respondent,
        rating=rating,
        comment=comment,
        revision=1,
        submitted_at=NOW,
        updated_at=NOW,
        editable_until=NOW + timedelta(hours=48),
    )


@dataclass
class StubFeedback:
    """feedback's responses (and profiles' people): every call to feedback recorded."""

    refusal: Problem | None = None
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        if request.url.host == "profiles":  # the respondent
            people = [
                PersonView(
                    id=k,
                    email=f"{k}@example.com",
                    display_name=k,
                    time_zone="UTC",
                    status=PersonStatus.ACTIVE,
                )
                for k in body["ids"]
            ]
            return httpx.Response(200, content=Items[PersonView](items=people).model_dump_json())
        self.calls.append((request.method, request.url.path, body))
        if self.refusal is not None:
            return httpx.Response(
                self.refusal.status, content=self.refusal.model_dump_json(by_alias=True)
            )
        if request.method == "POST":
            answer = feedback_view(body.get("respondentId", PEOPLE[0]), body.get("comment"))
        else:
            answer = feedback_view(PEOPLE[3], None, rating=body["rating"])
        return httpx.Response(200, content=answer.model_dump_json(by_alias=True))


@pytest.fixture
async def stub() -> AsyncIterator[tuple[StubFeedback, CairnContext]]:
    feedback = StubFeedback()
    minter = TokenMinter(generate_keypair()[0])
    async with httpx.AsyncClient(transport=httpx.MockTransport(feedback.handle)) as http:
        upstreams = Upstreams(
            profiles=ServiceClient(http, "http://profiles", "profiles", minter),
            matching=ServiceClient(http, "http://matching", "matching", minter),
            sessions=ServiceClient(http, "http://sessions", "sessions", minter),
            feedback=ServiceClient(http, "http://feedback", "feedback", minter),
        )
        yield (
            feedback,
            CairnContext(caller=Caller("tenant-1", "apikey:1", ("*",)), upstreams=upstreams),
        )


async def run(context: CairnContext, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


SUBMIT = """mutation($input: FeedbackInput!) { submitFeedback(input: $input) {
  feedback { id rating comment respondent { id } } userErrors { field message code } } }"""


async def test_submit_sends_what_was_given_and_answers_the_feedback(
    stub: tuple[StubFeedback, CairnContext],
) -> None:
    services = stub[0]
    given = {
        "sessionId": encode_id("Session", SESSION),
        "respondentId": encode_id("Person", PEOPLE[2]),
        "rating": 5,
        "recommendScore": 10,
        "comment": "great",
        "goalProgress": 4,
    }

    data = await run(stub[1], SUBMIT, input=given)

    assert data["submitFeedback"]["userErrors"] == []
    assert data["submitFeedback"]["feedback"]["comment"] == "great"
    assert data["submitFeedback"]["feedback"]["respondent"]["id"] == given["respondentId"]
    [(method, path, body)] = services.calls
    assert (method, path) == ("POST", "/internal/feedback/responses")
    assert body == {
        "sessionId": SESSION,
        "respondentId": PEOPLE[2],
        "rating": 5,
        "recommendScore": 10,
        "comment": "great",
        "goalProgress": 4,
    }


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"sessionId": "not-an-id"}, "sessionId"),
        ({"sessionId": encode_id("Match", "mt_" + "1" * 32)}, "sessionId"),
        ({"respondentId": encode_id("Program", PROGRAM)}, "respondentId"),
    ],
)
async def test_an_id_of_nothing_is_a_user_error_and_nothing_is_sent(
    stub: tuple[StubFeedback, CairnContext], given: dict[str, str], field: str
) -> None:
    payload = {"sessionId": encode_id("Session", SESSION), "rating": 3, **given}
    data = await run(stub[1], SUBMIT, input=payload)
    assert data["submitFeedback"] == {
        "feedback": None,
        "userErrors": [
            {"field": ["input", field], "message": f"no such {_what(field)}", "code": "NOT_FOUND"}
        ],
    }
    assert stub[0].calls == []


def _what(field: str) -> str:
    return {"sessionId": "session", "respondentId": "person"}[field]


async def test_feedbacks_refusal_names_every_bad_field_under_input(
    stub: tuple[StubFeedback, CairnContext],
) -> None:
    stub[0].refusal = Problem(
        title="Invalid request",
        status=422,
        code=Code.INVALID,
        errors=[
            FieldError(field="rating", message="must be 1..5"),
            FieldError(field="recommendScore", message="must be 0..10"),
        ],
    )
    payload = {"sessionId": encode_id("Session", SESSION), "rating": 9, "recommendScore": 11}
    data = await run(stub[1], SUBMIT, input=payload)
    assert data["submitFeedback"] == {
        "feedback": None,
        "userErrors": [
            {"field": ["input", "rating"], "message": "must be 1..5", "code": "INVALID"},
            {"field": ["input", "recommendScore"], "message": "must be 0..10", "code": "INVALID"},
        ],
    }


EDIT = """mutation($input: EditFeedbackInput!) { editFeedback(input: $input) {
  feedback { rating } userErrors { field message code } } }"""


async def test_an_edit_sends_only_the_fields_given_and_a_closed_window_names_the_answer(
    stub: tuple[StubFeedback, CairnContext],
) -> None:
    services = stub[0]
    payload = {"feedbackId": encode_id("Feedback", RESPONSE), "rating": 2}

    data = await run(stub[1], EDIT, input=payload)

    assert data["editFeedback"] == {"feedback": {"rating": 2}, "userErrors": []}
    [(method, path, body)] = services.calls
    assert (method, path, body) == (
        "PATCH",
        f"/internal/feedback/responses/{RESPONSE}",
        {"rating": 2},
    )

    services.refusal = Problem(
        title="Not allowed in this state",
        status=409,
        code=Code.NOT_ALLOWED_IN_STATE,
        errors=[FieldError(field="responseId", message="the edit window closed at 09:30")],
    )
    data = await run(stub[1], EDIT, input=payload)
    assert data["editFeedback"]["userErrors"] == [
        {
            "field": ["input", "feedbackId"],
            "message": "the edit window closed at 09:30",
            "code": "NOT_ALLOWED_IN_STATE",
        }
    ]
