"""One refusal, one mapping: a use case's `Refused` becomes the same problem+json on every
service, with the status its code and field call for."""

import httpx
import pytest
from contracts.problems import Code, FieldError, Problem
from fastapi import FastAPI
from runtime.problems import install_problem_handlers, refusal_problem, refusal_status
from runtime.refusals import Refused, invalid, not_found


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        (not_found("match"), 404),  # the addressed resource
        (not_found("person", "personId"), 422),  # an id the body names
        (invalid("reason", "say why"), 422),
        (Refused(Code.INELIGIBLE, "personId", "level 3 may not enroll"), 422),
        (Refused(Code.CONFLICT, "programId", "a run is still going"), 409),
        (Refused(Code.NOT_ALLOWED_IN_STATE, None, "a CLOSED program cannot change"), 409),
        (Refused(Code.CAPACITY_REACHED, "mentorId", "no places left"), 409),
    ],
)
def test_each_code_has_its_status(refused: Refused, status: int) -> None:
    assert refusal_status(refused) == status
    problem = refusal_problem(refused)
    assert problem.status == status
    assert problem.code is refused.code
    assert problem.errors == refused.errors


def test_a_refusal_may_name_several_fields() -> None:
    refused = Refused.many(
        Code.INVALID,
        [FieldError(field="name", message="too long"), FieldError(field="kind", message="?")],
    )
    assert [e.field for e in refused.errors] == ["name", "kind"]
    assert str(refused) == "name: too long; kind: ?"
    with pytest.raises(ValueError, match="at least one"):
        Refused.many(Code.INVALID, [])


async def test_every_service_answers_a_refusal_as_problem_json() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/matches/{match_id}/end")
    async def end(match_id: str) -> dict[str, str]:
        raise invalid("reason", "say why the match ends")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        answer = await client.post("/matches/m1/end")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = Problem.model_validate(answer.json())  # what the gateway parses
    assert problem.code is Code.INVALID
    assert problem.errors == [FieldError(field="reason", message="say why the match ends")]
    assert problem.detail == "reason: say why the match ends"
