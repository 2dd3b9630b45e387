"""The contracts' enums as GraphQL knows them: derived from `contracts`, never declared again
(importing them from here is what registers them with Strawberry)."""

import strawberry
from contracts.feedback import EvidenceKind, FeedbackRequestKind, FlagReason
from contracts.internal.feedback import (
    FeedbackRequestStatus,
    InsightsGrain,
    ObjectiveStanding,
    OutcomeMetric,
)
from contracts.internal.session_calendars import CalendarProvider, ConnectionState
from contracts.internal.sessions import RescheduleScope
from contracts.matches import MatchStatus, Optimality
from contracts.office_hours import RsvpStatus
from contracts.people import PersonStatus
from contracts.problems import Code
from contracts.programs import (
    MatchObjective,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
    ProgramStatus,
)
from contracts.sessions import AttendanceStatus, CalendarSync, SessionKind, SessionStatus

__all__ = [
    "AttendanceStatus",
    "CalendarProvider",
    "CalendarSync",
    "Code",
    "ConnectionState",
    "EvidenceKind",
    "FeedbackRequestKind",
    "FeedbackRequestStatus",
    "FlagReason",
    "InsightsGrain",
    "MatchObjective",
    "MatchStatus",
    "ObjectiveMetric",
    "ObjectiveStanding",
    "Optimality",
    "OutcomeMetric",
    "ParticipantRole",
    "PersonStatus",
    "ProgramKind",
    "ProgramStatus",
    "RescheduleScope",
    "RsvpStatus",
    "SessionKind",
    "SessionStatus",
]

strawberry.enum(PersonStatus)
strawberry.enum(ProgramKind)
strawberry.enum(ProgramStatus)
strawberry.enum(ParticipantRole)
strawberry.enum(MatchObjective, description="What a match run maximizes")
strawberry.enum(ObjectiveMetric)
strawberry.enum(MatchStatus)
strawberry.enum(Optimality, description="How good a match run's answer is known to be")
strawberry.enum(SessionStatus, description="UNSCHEDULED: planned, but no slot fits everyone")
strawberry.enum(SessionKind)
strawberry.enum(CalendarSync, description="Where a session stands in a connected calendar")
strawberry.enum(AttendanceStatus)
strawberry.enum(RescheduleScope, description="THIS occurrence, or it and the FOLLOWING ones")
strawberry.enum(CalendarProvider)
strawberry.enum(ConnectionState, description="FAILED: the provider refused; reconnect")
strawberry.enum(RsvpStatus, description="WAITLISTED: in line for the next free seat")
strawberry.enum(FeedbackRequestKind, description="What a feedback request asks about")
strawberry.enum(FeedbackRequestStatus)
strawberry.enum(FlagReason, description="The early-warning rule that flagged a match")
strawberry.enum(EvidenceKind, description="What a flag's evidence points at")
strawberry.enum(ObjectiveStanding, description="An objective against its line to the target")
strawberry.enum(OutcomeMetric, description="A career outcome over the insights' window")
strawberry.enum(InsightsGrain, description="The period of a time series")
# Why a mutation changed nothing: the services' refusal codes, values unchanged.
strawberry.enum(Code, name="UserErrorCode")
