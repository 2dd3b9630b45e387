"""Top-level GraphQL errors, each with extensions.code as the API sketch lists them."""

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger(__name__)


class CairnError(GraphQLError):
    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(CairnError):
    code = "BAD_USER_INPUT"


class NotFound(CairnError):
    """Nothing the caller may see (a non-null field's object, which cannot be null)."""

    code = "NOT_FOUND"


class Unavailable(CairnError):
    code = "UNAVAILABLE"


class SubscriberTooSlow(CairnError):
    """A subscription whose client fell too far behind: ended (subscribe again to go on)."""

    code = "SUBSCRIBER_TOO_SLOW"


class QueryTooComplex(CairnError):
    """Refused before anything ran: the query costs more than a query may (`cost`, `budget`)."""

    code = "QUERY_TOO_COMPLEX"


class RateLimited(CairnError):
    """The tenant already runs as many queries at once as it may (`retryAfter`: seconds)."""

    code = "RATE_LIMITED"


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Internal failures reach the caller as INTERNAL with no detail; the log keeps it."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected, error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected GraphQL error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked
