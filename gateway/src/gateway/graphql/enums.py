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
]

strawberry.enum(PersonStatus)
strawberry.enum(ProgramKind)
strawberry.enum(ProgramStatus)
strawberry.enum(ParticipantRole)
strawberry.enum(MatchObjective, description="What a match run maximizes")
strawberry.enum(ObjectiveMetric)
strawberry.enum(MatchStatus)
strawberry.enum(Optimality, description="How good a match run's answer is known to be")
strawberry.enum(FeedbackRequestKind, description="What a feedback request asks about")
strawberry.enum(FeedbackRequestStatus)
strawberry.enum(FlagReason, description="The early-warning rule that flagged a match")
strawberry.enum(EvidenceKind, description="What a flag's evidence points at")
strawberry.enum(ObjectiveStanding, description="An objective against its line to the target")
strawberry.enum(OutcomeMetric, description="A career outcome over the insights' window")
strawberry.enum(InsightsGrain, description="The period of a time series")
# Why a mutation changed nothing: the services' refusal codes, values unchanged.
strawberry.enum(Code, name="UserErrorCode")
