"""Forgetting a person (a tenant admin's request): in the caller's one transaction the person
row is anonymised for good (names, email, external id, user name, title, bio, skills,
interests, self-identification), their org history keeps its dates and fields but loses its
values, what the HRIS sent about them and Cairn still holds (parked, held, refused changes) is
deleted, the person's own events
leave the outbox, every other copy of their identifiers (a report's manager reference, another
person's event) is replaced, and `person.erased` is emitted. The row and its opaque id stay:
enrollments, matches and figures keep pointing at someone, who is nobody now."""

from contracts.people import (
    ERASED_NAME,
    PersonErased,
    PersonView,
    erased_email,
    erased_external_id,
    erasure_replacements,
)
from messaging.outbox import UnitOfWork, utcnow
from persistence.redaction import redact_table
from runtime.refusals import not_found
from sqlalchemy import Table, delete, update
from sqlmodel import col

from contracts import topics
from profiles.adapters.metadata import messaging
from profiles.adapters.program_tables import Enrollment, Program
from profiles.adapters.repository import PeopleRepository
from profiles.adapters.tables import (
    HeldChange,
    OrgChangeRejection,
    ParkedChange,
    Person,
    PersonChange,
)

# Rows naming the person by their HRIS id: what the HRIS said of them, gone with them.
_HRIS_COPIES = (ParkedChange, HeldChange, OrgChangeRejection)
# Tables that may quote the person among others' data.
_QUOTING: tuple[Table, ...] = (
    PersonChange.__table__,  # type: ignore[attr-defined]
    Program.__table__,  # type: ignore[attr-defined]
    Enrollment.__table__,  # type: ignore[attr-defined]
    messaging.outbox,
)


def is_erased(row: Person) -> bool:
    return row.external_id == erased_external_id(row.id)


async def erase_person(uow: UnitOfWork, tenant_id: str, person_id: str) -> Person:
    """Refused(NOT_FOUND) for no such person; a person already erased is answered as is (the
    gateway may ask again after a failure) and emits nothing more."""
    people = PeopleRepository(uow.session, tenant_id)
    row = await people.get(person_id)
    if row is None:
        raise not_found("person")
    if is_erased(row):
        return row
    replacements = erasure_replacements(PersonView.model_validate(row, from_attributes=True))
    old_external_id = row.external_id
    for model in _HRIS_COPIES:
        await uow.session.execute(
            delete(model).where(
                col(model.tenant_id) == tenant_id, col(model.external_id) == old_external_id
            )
        )
    # The reports keep their manager, under the id that names nobody.
    await uow.session.execute(
        update(Person)
        .where(
            col(Person.tenant_id) == tenant_id,
            col(Person.manager_external_id) == old_external_id,
        )
        .values(manager_external_id=erased_external_id(person_id))
    )
    await uow.session.execute(
        update(PersonChange)
        .where(
            col(PersonChange.tenant_id) == tenant_id,
            col(PersonChange.person_id) == person_id,
        )
        .values(from_value=None, to_value=None)
    )
    # The person's own events carry their whole snapshot (bio, self-identification): deleted,
    # sent or not; a relay republishing after a broker lost its log then has nothing of them.
    outbox = messaging.outbox
    await uow.session.execute(
        delete(outbox).where(
            outbox.c.tenant_id == tenant_id,
            outbox.c.topic == topics.PEOPLE,
            outbox.c.key == person_id,
        )
    )
    _anonymise(row)
    await uow.session.flush()
    for table in _QUOTING:
        await redact_table(uow.session, table, tenant_id, replacements)
    await uow.emit(PersonErased(person_id=person_id, erased_at=utcnow()), tenant_id=tenant_id)
    return row


def _anonymise(row: Person) -> None:
    row.external_id = erased_external_id(row.id)
    row.email = erased_email(row.id)
    row.display_name = ERASED_NAME
    row.given_name = row.family_name = row.user_name = None
    row.title = row.bio = None
    row.skills, row.interests = [], []
    row.underrepresented, row.demographics = None, None
    row.self_identification_consent = None
    row.revision += 1
    row.updated_at = utcnow()
