"""The contracts' enums as GraphQL knows them: derived from `contracts`, never declared again
(importing them from here is what registers them with Strawberry)."""

import strawberry
from contracts.matches import MatchStatus, Optimality
from contracts.people import PersonStatus
from contracts.problems import Code
from contracts.programs import (
    MatchObjective,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
    ProgramStatus,
)

__all__ = [
    "Code",
    "MatchObjective",
    "MatchStatus",
    "ObjectiveMetric",
    "Optimality",
    "ParticipantRole",
    "PersonStatus",
    "ProgramKind",
    "ProgramStatus",
]

strawberry.enum(PersonStatus)
strawberry.enum(ProgramKind)
strawberry.enum(ProgramStatus)
strawberry.enum(ParticipantRole)
strawberry.enum(MatchObjective, description="What a match run maximizes")
strawberry.enum(ObjectiveMetric)
strawberry.enum(MatchStatus)
strawberry.enum(Optimality, description="How good a match run's answer is known to be")
# Why a mutation changed nothing: the services' refusal codes, values unchanged.
strawberry.enum(Code, name="UserErrorCode")
