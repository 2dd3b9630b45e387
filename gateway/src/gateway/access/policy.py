"""The one authorization policy of the public GraphQL API: what each caller may reach, by
field coordinate (`Type.field`). `gateway.access.guard` applies it to every field resolved;
resolvers never check who is calling.

Integrator keys: a Query or Subscription field needs READ, a Mutation field WRITE, the
ADMIN_FIELDS ADMIN.

End-user tokens (one person): a root field not listed in PERSON_ROOTS is FORBIDDEN (new fields
are closed until someone decides who may see them); listed ones say how the person's own data
is selected. Below the root, fields listed in PERSON_FIELDS are shown only when the object is
the person's own (another person's `history`, `matches`, … answer empty), or never.

To plug in a new area (sessions, action items, feedback), add its fields here:
- its admin mutations and queries to ADMIN_FIELDS;
- for end users, each root field to PERSON_ROOTS: `Own(argument)` when an argument (or
  `input.<argument>`) names the person, `ActAsSelf(argument)` when the person acts as a
  participant, `OwnEnrollment`-like checks when an input names an object owned by a person
  (write an `Owned` rule with its loader), `Shown(predicate)` to filter what a lookup answers;
- each field of an object that can belong to another person (a session's private notes,
  another attendee's feedback, comments or flags) to PERSON_FIELDS as OWN or NEVER, with
  `OWNERS[type]` saying whose object it is.
A test (`test_access_policy.py`) fails while a root field is neither admin nor decided for end
users, so nothing is exposed by forgetting."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from gateway.access.principal import Scope


class Visibility(Enum):
    OWN = "own"  # only on the person's own object; another's answers empty
    NEVER = "never"  # end users never see it (empty)


@dataclass(frozen=True)
class Allow:
    """Open to every end user (programs that are open, their own `me`)."""


@dataclass(frozen=True)
class Own:
    """`argument` (or `input.<argument>`) must be the person's id (type `id_type`)."""

    argument: str
    id_type: str = "Person"


@dataclass(frozen=True)
class ActAsSelf:
    """The person decides as themselves: `input.<argument>` is set to them (given, it must be
    them)."""

    argument: str


@dataclass(frozen=True)
class OwnEnrollment:
    """`input.<argument>` names an enrollment that must be the person's own."""

    argument: str


@dataclass(frozen=True)
class Shown:
    """What the field answers is shown only where `visible(person_id, object)` (a list keeps
    the visible items; a single object not visible is null)."""

    visible: Callable[[str, Any], bool]


PersonRule = Allow | Own | ActAsSelf | OwnEnrollment | Shown


def _is_person(person_id: str, found: Any) -> bool:
    return getattr(getattr(found, "view", None), "id", None) == person_id


def _takes_part(person_id: str, match: Any) -> bool:
    view = getattr(match, "view", None)
    return view is not None and (view.mentor_id == person_id or person_id in view.mentee_ids)


def _attends(person_id: str, session: Any) -> bool:
    view = getattr(session, "view", None)
    return view is not None and person_id in getattr(view, "attendee_ids", ())


def _answered_by(person_id: str, found: Any) -> bool:
    """A feedback request or answer: the respondent's own."""
    return getattr(getattr(found, "view", None), "respondent_id", None) == person_id


def _is_open_program(_: str, program: Any) -> bool:
    """A DRAFT is private until it opens."""
    status = getattr(getattr(program, "view", None), "status", None)
    return status is not None and getattr(status, "value", status) != "DRAFT"


ADMIN_FIELDS: Final = frozenset(
    {
        "Query.orgChangeRejections",
        "Query.apiKeys",
        "Query.tokenIssuers",
        "Mutation.createProgram",
        "Mutation.updateProgram",
        "Mutation.openEnrollment",
        "Mutation.closeProgram",
        "Mutation.runMatching",
        "Mutation.createApiKey",
        "Mutation.rotateApiKey",
        "Mutation.revokeApiKey",
        "Mutation.registerTokenIssuer",
        "Mutation.removeTokenIssuer",
        "Query.webhookSubscriptions",
        "Query.webhookSubscription",
        "Mutation.subscribeWebhook",
        "Mutation.updateWebhook",
        "Mutation.deleteWebhook",
        "Mutation.rotateWebhookSecret",
        "Mutation.replayWebhookDeliveries",
        "Query.trustedDocuments",
        "Mutation.registerTrustedDocument",
        "Mutation.removeTrustedDocument",
        # Erasure: irreversible, the tenant's admins' alone.
        "Mutation.forgetPerson",
        "Query.personErasure",
    }
)

# Root fields for integrator keys that are not about the data (`me` answers null for a key).
PERSON_ROOTS: Final[dict[str, PersonRule]] = {
    "Query.me": Allow(),
    "Query.person": Shown(_is_person),
    "Query.program": Shown(_is_open_program),
    "Query.programs": Shown(_is_open_program),
    "Query.match": Shown(_takes_part),
    "Query.suggestMentors": Own("menteeId"),
    "Mutation.updateProfile": Own("personId"),
    "Mutation.updateSelfIdentification": Own("personId"),
    "Mutation.enroll": Own("personId"),
    "Mutation.updateEnrollment": OwnEnrollment("enrollmentId"),
    "Mutation.withdraw": OwnEnrollment("enrollmentId"),
    "Mutation.chooseMentor": Own("menteeId"),
    "Mutation.acceptMatch": ActAsSelf("personId"),
    "Mutation.declineMatch": ActAsSelf("personId"),
    "Mutation.endMatch": ActAsSelf("personId"),
    # Sessions: an attendee's own; the sessions service checks the actor attends.
    "Query.session": Shown(_attends),
    "Query.sessions": Own("personId"),
    "Query.sessionsPage": Own("personId"),
    "Query.calendarConnections": Own("personId"),
    "Mutation.scheduleSession": ActAsSelf("personId"),
    "Mutation.rescheduleSession": ActAsSelf("personId"),
    "Mutation.cancelSession": ActAsSelf("personId"),
    "Mutation.completeSession": ActAsSelf("personId"),
    "Mutation.markNoShow": ActAsSelf("personId"),
    "Mutation.addActionItem": ActAsSelf("personId"),
    "Mutation.completeActionItem": ActAsSelf("personId"),
    "Mutation.setWorkingHours": Own("personId"),
    "Mutation.issueCalendarFeed": Own("personId"),
    "Mutation.revokeCalendarFeed": Own("personId"),
    "Mutation.connectCalendar": Own("personId"),
    "Mutation.rsvpSession": Own("personId"),
    "Mutation.cancelRsvp": Own("personId"),
    "Mutation.publishOfficeHours": Own("hostId"),
    # Feedback: the respondent's own requests and answers (feedback checks the respondent).
    "Query.feedbackRequest": Shown(_answered_by),
    "Query.feedback": Shown(_answered_by),
    "Mutation.submitFeedback": ActAsSelf("respondentId"),
    "Mutation.answerFeedbackRequest": ActAsSelf("respondentId"),
    "Mutation.editFeedback": ActAsSelf("respondentId"),
}

# Deliberately not for end users (the policy test checks every root field is decided).
PERSON_FORBIDDEN: Final = frozenset(
    {
        "Query.people",  # the directory: people are reached through their matches
        "Query.matchRun",  # an admin's cohort-wide view
        "Query.rsvps",  # who else took a seat: the host's and admins' view
        "Mutation.disconnectCalendar",  # names a connection, not a person: admins for now
        # A program's live events tell who enrolls and is matched: the admins' view, as
        # Program.enrollments and Program.matches are.
        "Subscription.programEvents",
        "Mutation.forgetPerson",  # irreversible: a tenant admin's decision, never a person's
        "Query.personErasure",
    }
)

PERSON_FIELDS: Final[dict[str, Visibility]] = {
    # Another person, as an end user sees them: name, role, skills and interests (what a
    # mentee needs to choose); not their org history, chain, reports, matches, enrollments,
    # level, location, HRIS ids.
    "Person.externalId": Visibility.OWN,
    "Person.userName": Visibility.OWN,
    "Person.location": Visibility.OWN,
    "Person.level": Visibility.OWN,
    "Person.history": Visibility.OWN,
    "Person.managers": Visibility.OWN,
    "Person.manager": Visibility.OWN,
    "Person.reports": Visibility.OWN,
    "Person.directReports": Visibility.OWN,
    "Person.matches": Visibility.OWN,
    "Person.enrollments": Visibility.OWN,
    "Person.sessions": Visibility.OWN,
    "Person.workingHours": Visibility.OWN,
    "Person.feedbackRequests": Visibility.OWN,
    # Admins' view: a program's insights, early warning's flags on a match, comments.
    "Program.insights": Visibility.NEVER,
    "Match.flags": Visibility.NEVER,
    "Feedback.comment": Visibility.NEVER,
    # Who else is in a program and how it is matching: admins' view.
    "Program.matches": Visibility.NEVER,
    "Program.enrollments": Visibility.NEVER,
    # Why a match was declined or ended may be the other participant's words.
    "Match.reason": Visibility.NEVER,
}

# Whose object an instance of a type is, for Visibility.OWN: the person's id, or None.
OWNERS: Final[dict[str, Callable[[Any], str | None]]] = {
    "Person": lambda person: getattr(getattr(person, "view", None), "id", None),
}


def required_scope(coordinate: str) -> Scope | None:
    """The scope an integrator key needs for a root field (None below the root)."""
    if coordinate in ADMIN_FIELDS:
        return Scope.ADMIN
    if coordinate.startswith(("Query.", "Subscription.")):
        return Scope.READ
    if coordinate.startswith("Mutation."):
        return Scope.WRITE
    return None
