"""Feedback's queries: one request, one answer. A person's requests are `Person.feedbackRequests`,
a program's insights `Program.insights`, a match's flags `Match.flags`."""

import strawberry
from contracts.internal.feedback import FeedbackRequestView
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.feedback.types import Feedback, FeedbackRequest
from gateway.graphql.ids import decode_id


@strawberry.type
class FeedbackQuery:
    @strawberry.field(description="One feedback request, by id.")
    async def feedback_request(
        self, info: Info[CairnContext, None], id: strawberry.ID
    ) -> FeedbackRequest | None:
        key = decode_id("FeedbackRequest", id)
        if key is None:
            return None
        found = await info.context.feedback.read(
            FeedbackRequestView, "/internal/feedback/requests/{}", key
        )
        return FeedbackRequest.of(found) if found else None

    @strawberry.field(description="One answer, by id (its comment for the tenant's admins only).")
    async def feedback(self, info: Info[CairnContext, None], id: strawberry.ID) -> Feedback | None:
        key = decode_id("Feedback", id)
        if key is None:
            return None
        found = await info.context.loaders.feedback_by_id.load(key)
        return Feedback.of(found, admin=info.context.is_admin) if found else None
