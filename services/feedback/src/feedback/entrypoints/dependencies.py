"""What feedback's routes are given beside the caller and the unit of work: the rules, the
insights cache, and who the caller is to feedback (an admin of the tenant, or a person)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from runtime.refusals import not_found
from service_auth.tokens import Caller

from feedback.bootstrap import Feedback
from feedback.service_layer.responses import Author


def _feedback(request: Request) -> Feedback:
    found: Feedback = request.app.state.feedback
    return found


FeedbackDep = Annotated[Feedback, Depends(_feedback)]


@dataclass(frozen=True, slots=True)
class Access:
    """Admins (a tenant's API key with an admin scope, or the system) read comments, flags
    and insights; a person (an end-user token) acts only for themselves."""

    person_id: str | None
    is_admin: bool

    @classmethod
    def of(cls, caller: Caller) -> "Access":
        if caller.principal.startswith("person:"):
            return cls(caller.principal.removeprefix("person:"), False)
        return cls(None, caller.is_tenant_admin)

    @property
    def author(self) -> Author:
        return Author(self.person_id, self.is_admin)

    def may_see_person(self, person_id: str) -> bool:
        return self.is_admin or self.person_id == person_id

    def require_admin(self, what: str) -> None:
        if not self.is_admin:
            raise not_found(what)  # what a caller may not see does not exist for them
