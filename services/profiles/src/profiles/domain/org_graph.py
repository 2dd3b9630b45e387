"""The reporting lines: who is above whom, and which manager links would loop. Pure.

People link to their manager by external id, so a link may name someone not known yet (it
resolves when they arrive). Links come from the database; a loop there (two writers racing)
must never make a walk run forever, so the walk up stops at the first repeat. (Walking down
needs no such care: see `PeopleRepository.below`.)
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ManagerLinks = Mapping[str, str | None]  # external id -> manager's external id


@dataclass(frozen=True)
class ManagerCycle:
    """A manager link that would make someone their own manager, as the loop it closes."""

    path: tuple[str, ...]  # starts and ends with the person: ("E5", "E3", "E5")

    @property
    def person(self) -> str:
        return self.path[0]

    @property
    def manager(self) -> str:
        return self.path[1]

    def reason(self) -> str:
        loop = " → ".join(self.path)
        if len(self.path) == 2:
            return f"managerExternalId {self.manager!r} would make {self.person} their own manager"
        return (
            f"managerExternalId {self.manager!r} would make {self.person} their own manager "
            f"through the chain {loop}"
        )


def chain_up(start: str, manager_of: ManagerLinks) -> tuple[str, ...]:
    """The managers above `start`, nearest first, following links until someone without a
    manager, a manager not in `manager_of` (unknown yet: named, and the walk ends), or a
    repeat."""
    chain: list[str] = []
    seen = {start}
    current = manager_of.get(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = manager_of.get(current)
    return tuple(chain)


def manager_cycle(
    person: str, new_manager: str, chain_above_new_manager: Sequence[str]
) -> ManagerCycle | None:
    """The loop that linking `person` to `new_manager` would close, if any.

    `chain_above_new_manager` is `chain_up(new_manager, links)`: the person is in it exactly
    when they are already above their new manager."""
    if new_manager == person:
        return ManagerCycle((person, person))
    if person not in chain_above_new_manager:
        return None
    upto = chain_above_new_manager.index(person)
    return ManagerCycle((person, new_manager, *chain_above_new_manager[: upto + 1]))
