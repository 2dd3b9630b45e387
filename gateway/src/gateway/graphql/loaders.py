"""The per-request DataLoaders: every lookup of a person, a program or a person's enrollments
made while resolving one request is batched into one call to profiles, and answered from
the request's cache after that. Built once per request (on its context), never shared between
requests, so one tenant's cache can never serve another."""

from contracts.enrollments import EnrollmentSnapshot
from contracts.internal.programs import ProgramView
from contracts.pages import Items
from contracts.people import PersonView
from strawberry.dataloader import DataLoader

from gateway.graphql.upstream import Service

# profiles' batch endpoints take at most this many keys a call.
MAX_BATCH = 500


class Loaders:
    def __init__(self, profiles: Service) -> None:
        self._profiles = profiles
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

    def remember_person(self, person: PersonView) -> PersonView:
        """A person an answer carried: later loads of them in this request need no call."""
        self.person_by_id.prime(person.id, person)
        if person.external_id:
            self.person_by_external_id.prime(person.external_id, person)
        return person

    def remember_program(self, program: ProgramView) -> ProgramView:
        self.program_by_id.prime(program.id, program)
        return program

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
