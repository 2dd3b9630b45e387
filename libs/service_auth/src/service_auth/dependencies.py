"""The FastAPI dependency every service uses to learn who is calling."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service_auth.tokens import Caller, InvalidServiceToken, TokenVerifier

_bearer = HTTPBearer(auto_error=False)


def verified_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    verifier: TokenVerifier = request.app.state.token_verifier
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a service token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verifier.verify(credentials.credentials)
    except InvalidServiceToken:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid service token",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CallerDep = Annotated[Caller, Depends(verified_caller)]
