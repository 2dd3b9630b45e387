"""The contracts' enums as GraphQL knows them: derived from `contracts`, never declared again
(importing them from here is what registers them with Strawberry)."""

import strawberry
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
    "MatchObjective",
    "MatchStatus",
    "ObjectiveMetric",
    "Optimality",
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
# Why a mutation changed nothing: the services' refusal codes, values unchanged.
strawberry.enum(Code, name="UserErrorCode")
