"""What the gateway's database raises when it cannot take a request now (unreachable, locked
past the busy timeout, a connection lost): the accepting paths answer it 503, retry later."""

from sqlalchemy.exc import InterfaceError, OperationalError

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, OSError)
