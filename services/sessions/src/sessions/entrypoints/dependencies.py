"""What sessions' routes are given beside the caller and the unit of work."""

from typing import Annotated

from fastapi import Depends, Request

from sessions.bootstrap import SessionsService


def _sessions(request: Request) -> SessionsService:
    found: SessionsService = request.app.state.sessions
    return found


# How this deployment plans (notice, plan length, reminder leads).
SessionsDep = Annotated[SessionsService, Depends(_sessions)]
