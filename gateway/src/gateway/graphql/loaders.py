"""The per-request DataLoaders: every lookup of a person, a program or a person's enrollments
made while resolving one request is batched into one call to profiles, and answered from
the request's cache after that; so is every per-person field of a list of people (history,
managers, the first page of reports and of direct reports, matches): one call per field and
level, however many people the level has; so are matches by id and, from sessions, sessions by
id, a page of matches' sessions, a page of people's sessions and their working hours; and so is
what feedback knows of them (a page of people's feedback requests, a list of programs' insights
and flags, the responses requests point at). Built once per request (on its context), never
shared between requests, so one tenant's cache can never serve another."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from contracts.enrollments import EnrollmentSnapshot
from contracts.internal.feedback import (
    FeedbackRequestView,
    FeedbackView,
    FlagView,
    InsightsGrain,
    InsightsSeriesView,
    PersonFeedbackRequests,
    ProgramInsightsView,
)
from contracts.internal.matching import PersonMatches
from contracts.internal.people import (
    ManagerChain,
    PersonChangeRecord,
    PersonDirectReports,
    PersonHistory,
    PersonManagers,
    PersonReports,
)
from contracts.internal.programs import ProgramView
from contracts.internal.sessions import (
    MatchSessions,
    PersonSessions,
    SessionView,
    WorkingHoursView,
)
from contracts.matches import MatchSnapshot
from contracts.pages import Items
from contracts.people import PersonView
from strawberry.dataloader import DataLoader

from gateway.graphql.sessions import endpoints
from gateway.graphql.upstream import Service

# The services' batch endpoints take at most this many keys a call.
MAX_BATCH = 500
# feedback's insights batch: a program's insights are a larger answer.
MAX_INSIGHTS_BATCH = 100

G = TypeVar("G", bound=Hashable)
V = TypeVar("V")

# Keys of the per-person loaders that take arguments: the person, then the field's arguments
# (the same on every person of a level, so a level is one group: one call).
ReportsKey = tuple[str, int, bool]  # person id, first, recursive
DirectReportsKey = tuple[str, int]  # person id, first
MatchesKey = tuple[str, tuple[str, ...]]  # person id, statuses (sorted)
RequestsKey = tuple[str, tuple[str, ...]]  # person id, request statuses (sorted)
SeriesKey = tuple[str, InsightsGrain]  # program id, grain
Window = tuple[str | None, str | None]  # from, to (ISO 8601)
PersonSessionsKey = tuple[str, Window]  # person id, window


class Loaders:
    def __init__(
        self, profiles: Service, matching: Service, sessions: Service, feedback: Service
    ) -> None:
        self._profiles = profiles
        self._matching = matching
        self._sessions = sessions
        self._feedback = feedback
        self.person_by_id: DataLoader[str, PersonView | None] = DataLoader(
            load_fn=self._people_by_id, max_batch_size=MAX_BATCH
        )
        self.person_by_external_id: DataLoader[str, PersonView | None] = DataLoader(
            load_fn=self._people_by_external_id, max_batch_size=MAX_BATCH
        )
        self.program_by_id: DataLoader[str, ProgramView | None] = DataLoader(
            load_fn=self._programs_by_id, max_batch_size=MAX_BATCH
        )
        self.enrollments_by_person: DataLoader[str, list[EnrollmentSnapshot]] = DataLoader(
            load_fn=self._enrollments_by_person, max_batch_size=MAX_BATCH
        )
        self.history_of_person: DataLoader[str, list[PersonChangeRecord]] = DataLoader(
            load_fn=self._history, max_batch_size=MAX_BATCH
        )
        self.managers_of_person: DataLoader[str, ManagerChain | None] = DataLoader(
            load_fn=self._managers, max_batch_size=MAX_BATCH
        )
        self.reports_of_person: DataLoader[ReportsKey, PersonReports | None] = DataLoader(
            load_fn=self._reports, max_batch_size=MAX_BATCH
        )
        self.direct_reports_of_person: DataLoader[DirectReportsKey, PersonDirectReports | None] = (
            DataLoader(load_fn=self._direct_reports, max_batch_size=MAX_BATCH)
        )
        self.matches_of_person: DataLoader[MatchesKey, list[MatchSnapshot]] = DataLoader(
            load_fn=self._matches, max_batch_size=MAX_BATCH
        )
        self.feedback_requests_of_person: DataLoader[RequestsKey, list[FeedbackRequestView]] = (
            DataLoader(load_fn=self._feedback_requests, max_batch_size=MAX_BATCH)
        )
        self.feedback_by_id: DataLoader[str, FeedbackView | None] = DataLoader(
            load_fn=self._feedback_by_id, max_batch_size=MAX_BATCH
        )
        self.insights_of_program: DataLoader[str, ProgramInsightsView | None] = DataLoader(
            load_fn=self._insights, max_batch_size=MAX_INSIGHTS_BATCH
        )
        self.insights_series_of_program: DataLoader[SeriesKey, InsightsSeriesView | None] = (
            DataLoader(load_fn=self._insights_series, max_batch_size=MAX_INSIGHTS_BATCH)
        )
        self.flags_of_program: DataLoader[str, list[FlagView]] = DataLoader(
            load_fn=self._flags_of_programs, max_batch_size=MAX_BATCH
        )

        self.match_by_id: DataLoader[str, MatchSnapshot | None] = DataLoader(
            load_fn=self._matches_by_id, max_batch_size=MAX_BATCH
        )
        self.session_by_id: DataLoader[str, SessionView | None] = DataLoader(
            load_fn=self._sessions_by_id, max_batch_size=MAX_BATCH
        )
        self.sessions_of_match: DataLoader[str, list[SessionView]] = DataLoader(
            load_fn=self._sessions_of_matches, max_batch_size=MAX_BATCH
        )
        self.sessions_of_person: DataLoader[PersonSessionsKey, list[SessionView]] = DataLoader(
            load_fn=self._sessions_of_people, max_batch_size=MAX_BATCH
        )
        self.working_hours_of_person: DataLoader[str, WorkingHoursView | None] = DataLoader(
            load_fn=self._working_hours, max_batch_size=MAX_BATCH
        )

    def remember_person(self, person: PersonView) -> PersonView:
        """A person an answer carried: later loads of them in this request need no call."""
        self.person_by_id.prime(person.id, person)
        if person.external_id:
            self.person_by_external_id.prime(person.external_id, person)
        return person

    def remember_program(self, program: ProgramView) -> ProgramView:
        self.program_by_id.prime(program.id, program)
        return program

    def remember_session(self, session: SessionView) -> SessionView:
        self.session_by_id.prime(session.id, session)
        return session

    async def _people_by_id(self, ids: list[str]) -> list[PersonView | None]:
        found = {p.id: p for p in await self._people({"ids": ids})}
        return [found.get(key) for key in ids]

    async def _people_by_external_id(self, ids: list[str]) -> list[PersonView | None]:
        found = {p.external_id: p for p in await self._people({"externalIds": ids})}
        return [found.get(key) for key in ids]

    async def _people(self, keys: dict[str, list[str]]) -> list[PersonView]:
        answer = await self._profiles.read(
            Items[PersonView], "/internal/people/batch", method="POST", json=keys
        )
        # Found by one key, known by the other too.
        return [self.remember_person(p) for p in (answer.items if answer else [])]

    async def _programs_by_id(self, ids: list[str]) -> list[ProgramView | None]:
        answer = await self._profiles.read(
            Items[ProgramView], "/internal/programs/batch", method="POST", json={"ids": ids}
        )
        found = {p.id: p for p in (answer.items if answer else [])}
        return [found.get(key) for key in ids]

    async def _enrollments_by_person(self, person_ids: list[str]) -> list[list[EnrollmentSnapshot]]:
        answer = await self._profiles.read(
            Items[EnrollmentSnapshot],
            "/internal/enrollments/batch",
            method="POST",
            json={"personIds": person_ids},
        )
        by_person: dict[str, list[EnrollmentSnapshot]] = {key: [] for key in person_ids}
        for enrollment in answer.items if answer else []:
            by_person.setdefault(enrollment.person_id, []).append(enrollment)
        return [by_person[key] for key in person_ids]

    # --- per-person fields of a list of people ---------------------------------------------
    # A person the batch leaves out (not visible to the caller) is answered as the one-person
    # endpoint's 404 was: no history, no managers, no page (None).

    async def _history(self, person_ids: list[str]) -> list[list[PersonChangeRecord]]:
        answer = await self._profiles.read(
            Items[PersonHistory],
            "/internal/people/history/batch",
            method="POST",
            json={"personIds": person_ids},
        )
        found = {h.person_id: h.items for h in (answer.items if answer else [])}
        return [found.get(key, []) for key in person_ids]

    async def _managers(self, person_ids: list[str]) -> list[ManagerChain | None]:
        answer = await self._profiles.read(
            Items[PersonManagers],
            "/internal/people/managers/batch",
            method="POST",
            json={"personIds": person_ids},
        )
        found = {chain.person_id: chain for chain in (answer.items if answer else [])}
        for chain in found.values():
            for manager in chain.items:
                self.remember_person(manager)
        return [found.get(key) for key in person_ids]

    async def _reports(self, keys: list[ReportsKey]) -> list[PersonReports | None]:
        async def page(group: tuple[int, bool], person_ids: list[str]) -> dict[str, PersonReports]:
            first, recursive = group
            answer = await self._profiles.read(
                Items[PersonReports],
                "/internal/people/reports/batch",
                method="POST",
                json={"personIds": person_ids, "first": first, "recursive": recursive},
            )
            return {p.person_id: p for p in (answer.items if answer else [])}

        return await _by_group([(k[0], (k[1], k[2])) for k in keys], page)

    async def _direct_reports(
        self, keys: list[DirectReportsKey]
    ) -> list[PersonDirectReports | None]:
        async def page(first: int, person_ids: list[str]) -> dict[str, PersonDirectReports]:
            answer = await self._profiles.read(
                Items[PersonDirectReports],
                "/internal/people/direct-reports/batch",
                method="POST",
                json={"personIds": person_ids, "first": first},
            )
            return {p.person_id: p for p in (answer.items if answer else [])}

        return await _by_group(list(keys), page)

    async def _matches(self, keys: list[MatchesKey]) -> list[list[MatchSnapshot]]:
        async def of(
            statuses: tuple[str, ...], person_ids: list[str]
        ) -> dict[str, list[MatchSnapshot]]:
            answer = await self._matching.read(
                Items[PersonMatches],
                "/internal/matching/people/matches/batch",
                method="POST",
                json={"personIds": person_ids, "status": list(statuses)},
            )
            return {m.person_id: m.items for m in (answer.items if answer else [])}

        found = await _by_group(list(keys), of)
        return [matches or [] for matches in found]

    # --- matches by id, and sessions -------------------------------------------------------

    async def _matches_by_id(self, ids: list[str]) -> list[MatchSnapshot | None]:
        answer = await self._matching.read(
            Items[MatchSnapshot],
            "/internal/matching/matches/batch",
            method="POST",
            json={"ids": ids},
        )
        found = {m.id: m for m in (answer.items if answer else [])}
        return [found.get(key) for key in ids]

    async def _sessions_by_id(self, ids: list[str]) -> list[SessionView | None]:
        answer = await self._sessions.read(
            Items[SessionView], endpoints.SESSIONS_BY_ID, method="POST", json={"ids": ids}
        )
        found = {s.id: s for s in (answer.items if answer else [])}
        return [found.get(key) for key in ids]

    async def _sessions_of_matches(self, match_ids: list[str]) -> list[list[SessionView]]:
        answer = await self._sessions.read(
            Items[MatchSessions],
            endpoints.SESSIONS_OF_MATCHES,
            method="POST",
            json={"matchIds": match_ids},
        )
        found = {m.match_id: m.items for m in (answer.items if answer else [])}
        return [[self.remember_session(s) for s in found.get(key, [])] for key in match_ids]

    async def _sessions_of_people(self, keys: list[PersonSessionsKey]) -> list[list[SessionView]]:
        async def of(window: Window, person_ids: list[str]) -> dict[str, list[SessionView]]:
            since, until = window
            answer = await self._sessions.read(
                Items[PersonSessions],
                endpoints.SESSIONS_OF_PEOPLE,
                method="POST",
                json={"personIds": person_ids, "from": since, "to": until},
            )
            return {p.person_id: p.items for p in (answer.items if answer else [])}

        found = await _by_group(list(keys), of)
        return [[self.remember_session(s) for s in (items or [])] for items in found]

    async def _working_hours(self, person_ids: list[str]) -> list[WorkingHoursView | None]:
        # sessions has no batch of working hours yet: the level's people are asked for at
        # once, one call each (a batch endpoint there makes this one call).
        return list(
            await asyncio.gather(
                *(
                    self._sessions.read(WorkingHoursView, endpoints.WORKING_HOURS, person_id)
                    for person_id in person_ids
                )
            )
        )

    # --- what feedback knows ---------------------------------------------------------------

    async def _feedback_requests(self, keys: list[RequestsKey]) -> list[list[FeedbackRequestView]]:
        async def of(
            statuses: tuple[str, ...], person_ids: list[str]
        ) -> dict[str, list[FeedbackRequestView]]:
            answer = await self._feedback.read(
                Items[PersonFeedbackRequests],
                "/internal/feedback/people/requests/batch",
                method="POST",
                json={"personIds": person_ids, "status": list(statuses)},
            )
            return {r.person_id: r.items for r in (answer.items if answer else [])}

        found = await _by_group(list(keys), of)
        return [requests or [] for requests in found]

    async def _feedback_by_id(self, ids: list[str]) -> list[FeedbackView | None]:
        answer = await self._feedback.read(
            Items[FeedbackView],
            "/internal/feedback/responses/batch",
            method="POST",
            json={"ids": ids},
        )
        found = {f.id: f for f in (answer.items if answer else [])}
        return [found.get(key) for key in ids]

    async def _insights(self, program_ids: list[str]) -> list[ProgramInsightsView | None]:
        answer = await self._feedback.read(
            Items[ProgramInsightsView],
            "/internal/feedback/programs/insights/batch",
            method="POST",
            json={"programIds": program_ids},
        )
        found = {i.program_id: i for i in (answer.items if answer else [])}
        return [found.get(key) for key in program_ids]

    async def _insights_series(self, keys: list[SeriesKey]) -> list[InsightsSeriesView | None]:
        # feedback answers one program's series a call: the calls of a list go out together.
        return list(
            await asyncio.gather(
                *(
                    self._feedback.read(
                        InsightsSeriesView,
                        "/internal/feedback/programs/{}/insights/series",
                        program_id,
                        params={"grain": grain.value},
                    )
                    for program_id, grain in keys
                )
            )
        )

    async def _flags_of_programs(self, program_ids: list[str]) -> list[list[FlagView]]:
        # One call per program (a page of matches is of one program): every match's flags.
        answers = await asyncio.gather(
            *(
                self._feedback.read(
                    Items[FlagView], "/internal/feedback/programs/{}/flags", program_id
                )
                for program_id in program_ids
            )
        )
        return [answer.items if answer else [] for answer in answers]


async def _by_group(
    keys: list[tuple[str, G]], fetch: Callable[[G, list[str]], Awaitable[dict[str, V]]]
) -> list[V | None]:
    """One `fetch` per group of arguments (of the people asking with those arguments), all
    at once; each key's answer, None for a person the answer left out."""
    groups: dict[G, list[str]] = {}
    for person_id, group in keys:
        groups.setdefault(group, []).append(person_id)
    answers = await asyncio.gather(
        *(fetch(group, list(dict.fromkeys(ids))) for group, ids in groups.items())
    )
    found = dict(zip(groups, answers, strict=True))
    return [found[group].get(person_id) for person_id, group in keys]
