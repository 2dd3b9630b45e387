"""profiles' answers about programs."""

from pydantic import AwareDatetime

from contracts.programs import ProgramSnapshot


class ProgramView(ProgramSnapshot):
    """A program as its API shows it: its event snapshot, and when it was created."""

    created_at: AwareDatetime
