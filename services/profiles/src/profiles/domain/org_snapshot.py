"""A snapshot of the whole org, as talent teams export it (CSV or JSON), and what it changes in
what profiles holds. Pure: text in, rows or errors out; held records and rows in, a plan out.

A snapshot carries no sourceVersion, and it must not use up the HRIS's version space (a later
HRIS change with the next version still has to apply). So an imported value is a correction
made at the version the field already has: the record moves, its `field_versions` and
`source_version` stay as they were. A person the snapshot creates gets version 0 for every
field it sets, so any HRIS change (sourceVersion 1 and up) overrides it.

A snapshot sets the fields it lists (CSV: the header's columns, an empty cell clears; JSON: the
keys present, null clears) and never anyone's status: people it lists keep theirs; people it
does not list are reported as missing, and terminated only when the upload asks for it.
"""

import csv
import io
import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from contracts.hris import EmployeeRecord, HrisChange, HrisChangeType
from contracts.people import PersonStatus
from contracts.problems import FieldError
from pydantic import TypeAdapter, ValidationError

from profiles.domain.people import Applied, Outcome, PersonRecord, apply_change

# What a snapshot may set, by the camelCase names of the canonical EmployeeRecord. Sensitive
# self-identification is not importable: it needs the person's consent or the HRIS.
COLUMNS = (
    "externalId",
    "email",
    "displayName",
    "givenName",
    "familyName",
    "title",
    "department",
    "location",
    "timeZone",
    "level",
    "managerExternalId",
    "hireDate",
    "languages",
)
REQUIRED = ("externalId", "email", "displayName")
LANGUAGE_SEPARATOR = ";"

_EMPLOYEES = TypeAdapter(list[EmployeeRecord])
# Never compared with a clock: apply_change reads only the type, version and employee.
_IMPORTED_AT = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidSnapshot(ValueError):
    """The snapshot cannot be imported; `errors` names every problem found."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors[:5]))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class SnapshotRow:
    where: str  # how errors name this row: "rows.17" (CSV, 1 = first data row), "employees.16"
    employee: EmployeeRecord


@dataclass(frozen=True)
class OrgSnapshot:
    rows: tuple[SnapshotRow, ...]


# --- parsing -------------------------------------------------------------------------------


def parse_csv(text: str) -> OrgSnapshot:
    """A header row of camelCase column names (COLUMNS, externalId, email and displayName
    required), then one person per row; an empty cell is null; languages are `;`-separated.
    Rows are numbered from 1 (the first after the header); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvalidSnapshot([FieldError(field="header", message="the file is empty")]) from None
    except csv.Error as exc:
        raise InvalidSnapshot(
            [FieldError(field="header", message=f"unreadable CSV: {exc}")]
        ) from None
    _check_header(header)
    rows = _Rows("rows")
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                rows.error(number, None, f"has {len(cells)} cells, the header {len(header)}")
            else:
                rows.add(number, _csv_record(header, cells))
    except csv.Error as exc:
        rows.error(number + 1, None, f"unreadable CSV: {exc}")
    return rows.validated()


def parse_json(text: str) -> OrgSnapshot:
    """`{"employees": [...]}`, each an EmployeeRecord (camelCase, COLUMNS only); a key that is
    absent leaves the field as it is, null clears it. Rows are named employees.0, .1, …"""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSnapshot([FieldError(field=None, message=f"malformed JSON: {exc}")]) from None
    employees = document.get("employees") if isinstance(document, dict) else None
    if not isinstance(employees, list):
        raise InvalidSnapshot(
            [FieldError(field="employees", message='send {"employees": [...]}, a list of people')]
        )
    rows = _Rows("employees")
    for index, item in enumerate(employees):
        if not isinstance(item, dict):
            rows.error(index, None, "must be an object")
            continue
        unknown = [key for key in item if key not in COLUMNS]
        for key in unknown:
            rows.error(index, key, _not_importable(key))
        if not unknown:
            rows.add(index, item)
    return rows.validated()


def _check_header(header: list[str]) -> None:
    errors = []
    seen: set[str] = set()
    for name in header:
        if name not in COLUMNS:
            errors.append(FieldError(field=f"header.{name}", message=_not_importable(name)))
        elif name in seen:
            errors.append(FieldError(field=f"header.{name}", message="appears twice"))
        seen.add(name)
    errors += [
        FieldError(field=f"header.{name}", message="is required")
        for name in REQUIRED
        if name not in seen
    ]
    if errors:
        raise InvalidSnapshot(errors)


def _not_importable(name: str) -> str:
    return f"{name!r} is not a field Cairn imports; use {', '.join(COLUMNS)}"


def _csv_record(header: list[str], cells: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        value: Any = cell.strip() or None
        if name == "languages" and value is not None:
            value = [part.strip() for part in value.split(LANGUAGE_SEPARATOR) if part.strip()]
        record[name] = value
    return record


class _Rows:
    """The rows read so far and the problems found, each at its position in the file."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._records: list[dict[str, Any]] = []
        self._positions: list[int] = []
        self._errors: list[tuple[int, FieldError]] = []
        self._reported: set[tuple[int, str]] = set()

    def where(self, position: int) -> str:
        return f"{self._prefix}.{position}"

    def add(self, position: int, record: dict[str, Any]) -> None:
        self._records.append(record)
        self._positions.append(position)

    def error(self, position: int, name: str | None, message: str) -> None:
        where = self.where(position)
        if name is not None:
            if (position, name) in self._reported:
                return  # one message per field: the first found is the clearest
            self._reported.add((position, name))
            where = f"{where}.{name}"
        self._errors.append((position, FieldError(field=where, message=message)))

    def validated(self) -> OrgSnapshot:
        """Every row checked at once, so one answer names every problem of the file."""
        if not self._records and not self._errors:
            raise InvalidSnapshot(
                [FieldError(field=self._prefix, message="the snapshot lists no one")]
            )
        first_at: dict[str, int] = {}
        for position, record in zip(self._positions, self._records, strict=True):
            for name in REQUIRED:
                if record.get(name) is None:
                    self.error(position, name, "is required")
            external_id = record.get("externalId")
            if not isinstance(external_id, str) or not external_id:
                continue
            if external_id in first_at:
                where = self.where(first_at[external_id])
                self.error(position, "externalId", f"{external_id!r} is also at {where}")
            else:
                first_at[external_id] = position
        employees: list[EmployeeRecord] = []
        try:
            employees = _EMPLOYEES.validate_python(self._records)
        except ValidationError as exc:
            for error in exc.errors():
                index, *path = error["loc"]
                assert isinstance(index, int)
                name = ".".join(str(part) for part in path)
                self.error(self._positions[index], name, error["msg"])
        if self._errors:
            self._errors.sort(key=lambda item: item[0])
            raise InvalidSnapshot([error for _, error in self._errors])
        return OrgSnapshot(
            tuple(
                SnapshotRow(self.where(position), employee)
                for position, employee in zip(self._positions, employees, strict=True)
            )
        )


# --- reconciling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciled:
    """What an import does to one person."""

    outcome: Outcome  # CREATED, UPDATED, TERMINATED or UNCHANGED
    record: PersonRecord
    # camelCase, as events name them; managerId when the manager link moves or resolves.
    changed_fields: tuple[str, ...] = ()


def reconcile(
    current: PersonRecord | None,
    employee: EmployeeRecord | None,
    *,
    terminate: bool = False,
    created: Set[str] = frozenset(),
) -> Reconciled:
    """One person: `employee` is their snapshot row (None: the snapshot does not list them;
    then `terminate` says whether to terminate them). `created` holds the external ids this
    import creates, so a link to one of them resolves."""
    if employee is not None:
        applied = corrected(current, employee)
    else:
        assert current is not None, "someone neither held nor listed"
        applied = terminated(current) if terminate else Applied(Outcome.UNCHANGED, current)
    record = applied.record
    if applied.outcome is Outcome.REJECTED or record is None:
        raise InvalidSnapshot(
            [FieldError(field=None, message=applied.reason or "cannot be imported")]
        )
    if current is None:
        return Reconciled(Outcome.CREATED, record, applied.changed_fields)
    changed = set(applied.changed_fields)
    if "managerExternalId" in changed or record.manager_external_id in created:
        changed.add("managerId")
    outcome = applied.outcome
    if outcome is Outcome.UNCHANGED:
        if not changed:
            return Reconciled(Outcome.UNCHANGED, current)
        outcome = Outcome.UPDATED
    return Reconciled(outcome, record, tuple(sorted(changed)))


def corrected(current: PersonRecord | None, employee: EmployeeRecord) -> Applied:
    """The HRIS rule (apply_change: same cleaning, same changed fields), applied as a
    correction: a new person at version 0; someone held at a version newer than any of theirs,
    so every listed field applies, then their versions put back as they were."""
    if current is None:
        return apply_change(None, _change(HrisChangeType.HIRED, employee, 0))
    applied = apply_change(current, _change(HrisChangeType.UPDATED, employee, _above(current)))
    return _at_current_versions(current, applied)


def terminated(current: PersonRecord) -> Applied:
    """`current` terminated, as a correction (their status keeps its version)."""
    change = _change(
        HrisChangeType.TERMINATED, EmployeeRecord(external_id=current.external_id), _above(current)
    )
    return _at_current_versions(current, apply_change(current, change))


def _change(kind: HrisChangeType, employee: EmployeeRecord, version: int) -> HrisChange:
    return HrisChange(
        id="import",
        type=kind,
        effective_at=_IMPORTED_AT,
        source_version=version,
        employee=employee,
    )


def _above(current: PersonRecord) -> int:
    return max(current.source_version, *current.field_versions.values(), 0) + 1


def _at_current_versions(current: PersonRecord, applied: Applied) -> Applied:
    if applied.record is None:
        return applied
    record = replace(
        applied.record,
        source_version=current.source_version,
        field_versions=dict(current.field_versions),
    )
    return replace(applied, record=record)


# --- planning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    external_id: str
    employee: EmployeeRecord | None  # the snapshot row; None for someone it does not list
    reconciled: Reconciled


@dataclass(frozen=True)
class ImportPlan:
    """Every change an import makes, in the order to write them: people created (managers
    before their reports, so a manager link in an event never names someone not yet written),
    then updates, then terminations."""

    changes: tuple[Planned, ...]
    unchanged: int  # listed people the snapshot does not change
    missing: tuple[str, ...]  # held, not terminated, not listed
    unknown_managers: tuple[str, ...]  # named as managers, neither held nor listed
    created_ids: frozenset[str]
    terminate_missing: bool

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.changes if item.reconciled.outcome is outcome)


def plan(
    current: Mapping[str, PersonRecord], snapshot: OrgSnapshot, *, terminate_missing: bool
) -> ImportPlan:
    """What importing `snapshot` over `current` (everyone held, by external id) changes.
    Raises InvalidSnapshot when the snapshot would make a manager loop."""
    listed = {row.employee.external_id: row for row in snapshot.rows}
    links = _manager_links(current, snapshot)
    _refuse_cycles(links, listed)
    created_ids = frozenset(listed.keys() - current.keys())
    created: list[Planned] = []
    updated: list[Planned] = []
    ended: list[Planned] = []
    unchanged = 0
    for external_id, row in listed.items():
        try:
            done = reconcile(current.get(external_id), row.employee, created=created_ids)
        except InvalidSnapshot as exc:
            raise InvalidSnapshot(
                [FieldError(field=row.where, message=e.message) for e in exc.errors]
            ) from None
        if done.outcome is Outcome.UNCHANGED:
            unchanged += 1
            continue
        into = created if done.outcome is Outcome.CREATED else updated
        into.append(Planned(external_id, row.employee, done))
    missing = []
    for external_id, record in current.items():
        if external_id in listed:
            continue
        if record.status is not PersonStatus.TERMINATED:
            missing.append(external_id)
        done = reconcile(record, None, terminate=terminate_missing, created=created_ids)
        if done.outcome is Outcome.TERMINATED:
            ended.append(Planned(external_id, None, done))
        elif done.outcome is Outcome.UPDATED:
            updated.append(Planned(external_id, None, done))
    depth = _depths(created_ids, links)
    created.sort(key=lambda item: depth[item.external_id])
    known = current.keys() | listed.keys()
    unknown = {
        row.employee.manager_external_id
        for row in snapshot.rows
        if row.employee.manager_external_id is not None
        and row.employee.manager_external_id not in known
    }
    return ImportPlan(
        changes=(*created, *updated, *ended),
        unchanged=unchanged,
        missing=tuple(sorted(missing)),
        unknown_managers=tuple(sorted(unknown)),
        created_ids=created_ids,
        terminate_missing=terminate_missing,
    )


def _manager_links(
    current: Mapping[str, PersonRecord], snapshot: OrgSnapshot
) -> dict[str, str | None]:
    """Everyone's manager once the snapshot is in: its rows override what is held."""
    links = {external_id: record.manager_external_id for external_id, record in current.items()}
    for row in snapshot.rows:
        employee = row.employee
        if "manager_external_id" in employee.model_fields_set:
            links[employee.external_id] = employee.manager_external_id
        else:
            links.setdefault(employee.external_id, None)
    return links


def _refuse_cycles(links: Mapping[str, str | None], listed: Mapping[str, SnapshotRow]) -> None:
    errors = []
    for cycle in manager_cycles(links):
        rows = [listed[person].where for person in cycle if person in listed]
        if not rows:
            continue  # a loop already held, not of this snapshot's making
        loop = " → ".join((*cycle, cycle[0]))
        message = f"makes a manager loop: {loop} ({', '.join(rows)})"
        errors += [
            FieldError(field=f"{where}.managerExternalId", message=message) for where in rows
        ]
    if errors:
        raise InvalidSnapshot(errors)


def manager_cycles(links: Mapping[str, str | None]) -> list[tuple[str, ...]]:
    """Every loop of manager links, each once, in link order. Linear: each person is walked
    once (each has at most one manager, so a walk either ends or closes one loop)."""
    on_path, done = 1, 2
    state: dict[str, int] = {}
    cycles = []
    for start in links:
        path: list[str] = []
        person: str | None = start
        while person is not None and person in links and person not in state:
            state[person] = on_path
            path.append(person)
            person = links[person]
        if person is not None and state.get(person) == on_path:
            cycles.append(tuple(path[path.index(person) :]))
        for walked in path:
            state[walked] = done
    return cycles


def _depths(ids: Set[str], links: Mapping[str, str | None]) -> dict[str, int]:
    """How many of `ids` are above each of them (links among them hold no loop)."""
    depth: dict[str, int] = {}
    for start in ids:
        path = []
        person: str | None = start
        while person is not None and person in ids and person not in depth:
            path.append(person)
            person = links.get(person)
        base = depth[person] + 1 if person is not None and person in depth else 0
        for offset, walked in enumerate(reversed(path)):
            depth[walked] = base + offset
    return depth
