"""The topic catalog (ARCHITECTURE.md §3). Keys are aggregate ids."""

from typing import Final

HRIS_CHANGES: Final = "cairn.hris.changes"
PEOPLE: Final = "cairn.profiles.people"
PROGRAMS: Final = "cairn.profiles.programs"
ENROLLMENTS: Final = "cairn.profiles.enrollments"
MATCHES: Final = "cairn.matching.matches"
SESSIONS: Final = "cairn.sessions.sessions"
FEEDBACK: Final = "cairn.feedback.responses"

ALL_TOPICS: Final = (HRIS_CHANGES, PEOPLE, PROGRAMS, ENROLLMENTS, MATCHES, SESSIONS, FEEDBACK)

# One consumer group per service; each has its dead-letter topic `<group>.dlq`.
CONSUMER_GROUPS: Final = ("profiles", "matching", "sessions", "feedback", "gateway")


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"
