"""profiles' rows as the contract views its internal API answers with (the gateway parses
exactly these). No view has a field for self-identification, so no answer can carry it."""

from contracts.internal.people import OrgChangeRejectionView, PersonChangeRecord
from contracts.internal.programs import ProgramView
from contracts.people import PersonView

from profiles.adapters.program_tables import Program
from profiles.adapters.tables import OrgChangeRejection, Person, PersonChange
from profiles.service_layer.programs import program_snapshot


def person_view(row: Person) -> PersonView:
    return PersonView.model_validate(row, from_attributes=True)


def change_record(row: PersonChange) -> PersonChangeRecord:
    return PersonChangeRecord.model_validate(row, from_attributes=True)


def rejection_view(row: OrgChangeRejection) -> OrgChangeRejectionView:
    return OrgChangeRejectionView.model_validate({**row.model_dump(), "id": str(row.id)})


def program_view(program: Program) -> ProgramView:
    """The program's event snapshot, and when it was created."""
    snapshot = program_snapshot(program)
    return ProgramView.model_validate({**dict(snapshot), "created_at": program.created_at})
