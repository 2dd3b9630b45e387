"""The GraphQL errors of access control (extensions.code as the API documents them)."""

from gateway.graphql.errors import CairnError


class Forbidden(CairnError):
    """The caller may not use this field (a key's scopes, or an end-user token's person)."""

    code = "FORBIDDEN"


class Throttled(CairnError):
    """The caller's points budget does not hold this query's cost now (`retryAfter`: s)."""

    code = "THROTTLED"
