"""profiles' answers about people and the org graph."""

from pydantic import AwareDatetime, Field

from contracts.base import ContractModel
from contracts.pages import Connection, Edge
from contracts.people import PersonView


class PersonChangeRecord(ContractModel):
    """One move in the org (title, level, department, manager), as the HRIS dated it."""

    field: str = Field(description="title, level, department or managerExternalId")
    from_value: str | int | None = Field(description="Null: the first value")
    to_value: str | int | None
    effective_at: AwareDatetime
    source_version: int
    recorded_at: AwareDatetime
    change_id: str | None = None


class ManagerChain(ContractModel):
    items: list[PersonView] = Field(description="Nearest manager first, up to the top")
    pending_manager_external_id: str | None = Field(
        default=None,
        description="The chain names this manager, who is not known yet (it ends there)",
    )


class ReportEdge(Edge[PersonView]):
    depth: int = Field(description="1 for a direct report, 2 for their reports, …")


class OrgChangeRejectionView(ContractModel):
    """A change the HRIS sent that Cairn refused, whole or in part."""

    id: str
    change_id: str = Field(description="The change's id in the HRIS")
    change_type: str = Field(description="employee.hired, employee.updated, …")
    external_id: str = Field(description="The HRIS employee id the change was about")
    person_id: str | None
    source_version: int
    effective_at: AwareDatetime
    field: str | None = Field(description="The refused part; null when the whole change was")
    reason: str
    rejected_at: AwareDatetime


# --- batches: one call for the people of a page (the gateway's DataLoaders) ------------------
# Each answers `Items[...]` of these, one per person asked about that the caller may see;
# anyone else is left out, as a batch lookup leaves out what it did not find.


class PersonHistory(ContractModel):
    person_id: str
    items: list[PersonChangeRecord] = Field(description="Oldest first, as the HRIS dated them")


class PersonManagers(ManagerChain):
    person_id: str


class PersonReports(Connection[ReportEdge]):
    """The first page of everyone below the person (or their direct reports)."""

    person_id: str


class PersonDirectReports(Connection[Edge[PersonView]]):
    """The first page of the people reporting to the person, as `/internal/people?managerId`
    lists them (by name, then id; its cursors lead on there)."""

    person_id: str
