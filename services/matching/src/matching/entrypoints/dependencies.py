"""What matching's routes are given beside the caller and the unit of work."""

from typing import Annotated

from fastapi import Depends, Request

from matching.bootstrap import Matching


def _matching(request: Request) -> Matching:
    found: Matching = request.app.state.matching
    return found


# The run settings, the solver, and the run worker's wake-up.
MatchingDep = Annotated[Matching, Depends(_matching)]
