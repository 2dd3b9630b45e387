"""The org graph's pure rules: walking up the manager links and refusing a manager link that
would close a loop.

Links name managers by external id, may name someone not known yet (dangling), and a loop may
already be in the data (writers racing): every walk must end and say the same thing as a
brute-force reading of the links."""

from collections.abc import Mapping
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles.domain.org_graph import ManagerCycle, chain_up, manager_cycle

Links = dict[str, str | None]


def test_chain_up_walks_to_the_top_nearest_first() -> None:
    links: Links = {"E5": "E3", "E3": "E1", "E1": None}
    assert chain_up("E5", links) == ("E3", "E1")
    assert chain_up("E1", links) == ()


def test_chain_up_names_an_unknown_manager_and_ends_there() -> None:
    assert chain_up("E5", {"E5": "E3", "E3": "E9"}) == ("E3", "E9")
    assert chain_up("nobody", {}) == ()


def test_chain_up_stops_at_a_loop_in_the_data() -> None:
    assert chain_up("A", {"A": "B", "B": "C", "C": "B"}) == ("B", "C")
    assert chain_up("A", {"A": "B", "B": "A"}) == ("B",)


def test_a_manager_above_the_person_closes_a_loop_named_in_full() -> None:
    links: Links = {"E5": "E4", "E4": "E3", "E3": "E1", "E1": None}
    # E3 asks to report to E5, who is below E3: E3 → E5 → E4 → E3.
    cycle = manager_cycle("E3", "E5", chain_up("E5", links))
    assert cycle == ManagerCycle(("E3", "E5", "E4", "E3"))
    assert cycle.person == "E3"
    assert cycle.manager == "E5"
    assert cycle.reason() == (
        "managerExternalId 'E5' would make E3 their own manager through the chain E3 → E5 → E4 → E3"
    )


def test_oneself_as_manager_is_a_loop() -> None:
    cycle = manager_cycle("E5", "E5", ())
    assert cycle == ManagerCycle(("E5", "E5"))
    assert cycle.reason() == "managerExternalId 'E5' would make E5 their own manager"


def test_a_manager_elsewhere_is_no_loop() -> None:
    links: Links = {"E5": "E3", "E3": "E1", "E7": "E1", "E1": None}
    assert manager_cycle("E5", "E7", chain_up("E7", links)) is None
    # A manager nobody knows yet cannot be below anyone.
    assert manager_cycle("E5", "E9", chain_up("E9", links)) is None


def test_a_loop_through_a_manager_not_known_yet_is_found() -> None:
    # E7 named E8 as manager before E8 existed; E8 now arrives naming E7.
    links: Links = {"E7": "E8"}
    assert manager_cycle("E8", "E7", chain_up("E7", links)) == ManagerCycle(("E8", "E7", "E8"))


# --- properties over any links, loops and dangling managers included -----------------------

PEOPLE = [f"P{i}" for i in range(8)]
STRANGERS = ["X1", "X2"]  # named as managers, never known


@st.composite
def any_links(draw: st.DrawFn) -> Links:
    """Managers anywhere: none, someone known, someone unknown; loops possible."""
    known = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, unique=True))
    managers = st.none() | st.sampled_from(PEOPLE + STRANGERS)
    return {person: draw(managers) for person in known}


@st.composite
def tree_links(draw: st.DrawFn) -> Links:
    """Loop-free links as the refusals keep them: each manager listed before their reports."""
    size = draw(st.integers(1, len(PEOPLE)))
    links: Links = {}
    for i, person in enumerate(PEOPLE[:size]):
        choices = [None, *PEOPLE[:i], *STRANGERS]
        links[person] = draw(st.sampled_from(choices))
    return links


def reaches(start: str, target: str, links: Mapping[str, str | None]) -> bool:
    """Brute force: following links from `start` (a bounded number of steps) meets `target`."""
    current = links.get(start)
    for _ in range(len(links) + len(STRANGERS) + 2):
        if current is None:
            return False
        if current == target:
            return True
        current = links.get(current)
    return False


@settings(max_examples=300, deadline=None)
@given(links=any_links(), data=st.data())
def test_chain_up_follows_links_until_it_must_stop(links: Links, data: st.DataObject) -> None:
    start = data.draw(st.sampled_from(sorted(links)))
    chain = chain_up(start, links)
    walked = [start, *chain]
    assert len(set(walked)) == len(walked), "a repeat was listed"
    for below, above in pairwise(walked):
        assert links[below] == above
    last = walked[-1]
    # It stops only at the top, at someone unknown, or where the next step repeats.
    assert last not in links or links[last] is None or links[last] in walked


@settings(max_examples=300, deadline=None)
@given(links=any_links(), data=st.data())
def test_a_loop_is_found_exactly_when_the_new_link_would_close_one(
    links: Links, data: st.DataObject
) -> None:
    person = data.draw(st.sampled_from(sorted(links)))
    new_manager = data.draw(st.sampled_from(PEOPLE + STRANGERS))
    cycle = manager_cycle(person, new_manager, chain_up(new_manager, links))
    relinked = {**links, person: new_manager}
    closes = new_manager == person or reaches(new_manager, person, relinked)
    assert (cycle is not None) is closes
    if cycle is not None:
        path = cycle.path
        assert path[0] == path[-1] == person
        assert path[1] == new_manager
        assert len(set(path[:-1])) == len(path) - 1, "the loop repeats someone"
        for below, above in pairwise(path):
            assert relinked[below] == above
        assert " → ".join(path) in cycle.reason() or len(path) == 2


@settings(max_examples=200, deadline=None)
@given(links=tree_links(), data=st.data())
def test_refusing_every_loop_keeps_the_org_loop_free(links: Links, data: st.DataObject) -> None:
    """Applying random manager moves, refusing those that loop, never leaves a loop."""
    links = dict(links)
    moves = data.draw(
        st.lists(st.tuples(st.sampled_from(sorted(links)), st.sampled_from(PEOPLE)), max_size=12)
    )
    for person, new_manager in moves:
        if manager_cycle(person, new_manager, chain_up(new_manager, links)) is None:
            links[person] = new_manager
    for person in links:
        assert not reaches(person, person, links), f"{person} is their own manager"


@pytest.mark.parametrize("size", [1, 2, 50])
def test_a_long_straight_chain_is_walked_whole(size: int) -> None:
    links: Links = {f"L{i}": f"L{i + 1}" for i in range(size)}
    assert chain_up("L0", links) == tuple(f"L{i}" for i in range(1, size + 1))
