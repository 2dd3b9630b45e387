"""What a feedback answer may say, and how long it may be changed.

An answer: a rating 1-5 (required), a recommend score 0-10 (optional, for NPS), progress on the
mentee's goals 1-5 (optional), a comment (optional, bounded) and a few tags (bounded in number
and length). Every bad field is named in one refusal (`Refused.many`, Code.INVALID, camelCase
field paths as the API spells them). An answer may be edited by its author within a window
after it was first submitted (48 hours unless the program says), never after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from contracts.problems import Code, FieldError
from runtime.refusals import Refused, not_found

from feedback.domain.periods import utc
from feedback.domain.scores import GOAL_PROGRESS_SCALE, RATING_SCALE, RECOMMEND_SCALE


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseRules:
    max_tags: int = 10
    max_tag_length: int = 40
    max_comment_length: int = 2000
    edit_window: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        for name in ("max_tags", "max_tag_length", "max_comment_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.edit_window < timedelta(0):
            raise ValueError("edit_window cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    rating: int | None
    recommend: int | None = None
    goal_progress: int | None = None
    comment: str | None = None
    tags: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmittedResponse:
    id: str
    request_id: str
    respondent_id: str
    answer: Answer
    submitted_at: datetime  # the first submission: the edit window runs from here
    revision: int = 1
    edited_at: datetime | None = None


def _score(value: object, scale: tuple[int, int], field: str, required: bool) -> FieldError | None:
    low, high = scale
    if value is None:
        return FieldError(field=field, message="is required") if required else None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return FieldError(
            field=field, message=f"must be a whole number from {low} to {high}, not {value!r}"
        )
    return None


def _tags(tags: Sequence[str], rules: ResponseRules, errors: list[FieldError]) -> tuple[str, ...]:
    if isinstance(tags, str):
        errors.append(FieldError(field="tags", message="must be a list of tags, not one string"))
        return ()
    kept: dict[str, str] = {}
    for index, raw in enumerate(tags):
        tag = raw.strip() if isinstance(raw, str) else ""
        if not tag:
            errors.append(FieldError(field=f"tags[{index}]", message="must be a non-empty text"))
        elif len(tag) > rules.max_tag_length:
            errors.append(
                FieldError(
                    field=f"tags[{index}]",
                    message=f"is {len(tag)} characters; at most {rules.max_tag_length}",
                )
            )
        else:
            kept.setdefault(tag.casefold(), tag)  # "Career" and "career" are one tag
    if len(kept) > rules.max_tags:
        errors.append(
            FieldError(field="tags", message=f"{len(kept)} tags; at most {rules.max_tags}")
        )
    return tuple(kept.values())


def validated(answer: Answer, rules: ResponseRules) -> Answer:
    """The answer, normalized (comment trimmed, blank → none, tags trimmed and deduplicated),
    or one refusal naming every bad field."""
    errors = [
        e
        for e in (
            _score(answer.rating, RATING_SCALE, "rating", required=True),
            _score(answer.recommend, RECOMMEND_SCALE, "recommendScore", required=False),
            _score(answer.goal_progress, GOAL_PROGRESS_SCALE, "goalProgress", required=False),
        )
        if e is not None
    ]
    comment = answer.comment
    if comment is not None:
        if not isinstance(comment, str):
            errors.append(FieldError(field="comment", message="must be text"))
            comment = None
        else:
            comment = comment.strip() or None
            if comment is not None and len(comment) > rules.max_comment_length:
                errors.append(
                    FieldError(
                        field="comment",
                        message=f"is {len(comment)} characters; at most {rules.max_comment_length}",
                    )
                )
    tags = _tags(answer.tags, rules, errors)
    if errors:
        raise Refused.many(Code.INVALID, errors)
    return replace(answer, comment=comment, tags=tags)


def check_editable(
    response: SubmittedResponse, editor_id: str, now: datetime, rules: ResponseRules
) -> None:
    if response.respondent_id != editor_id:
        raise not_found("feedback")  # another person's answer does not exist for them
    closes = utc(response.submitted_at) + rules.edit_window
    if utc(now) > closes:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            None,
            f"this answer can no longer be changed: its edit window closed at {closes.isoformat()}",
        )


def edited(
    response: SubmittedResponse,
    answer: Answer,
    editor_id: str,
    now: datetime,
    rules: ResponseRules,
) -> SubmittedResponse:
    """The response with its new answer and the next revision (so replicas keep the newest
    and the figures replace its old contribution)."""
    check_editable(response, editor_id, now, rules)
    return replace(
        response,
        answer=validated(answer, rules),
        revision=response.revision + 1,
        edited_at=utc(now),
    )
