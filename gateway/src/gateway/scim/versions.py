"""Resource versions as ETags (RFC 7644 §3.14): weak, from the per-resource write counter."""

from scim2_models import PreconditionFailedException


def etag(version: int) -> str:
    return f'W/"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """A write with If-Match goes ahead only on the version it names (or `*`)."""
    if if_match is None:
        return
    presented = {tag.strip() for tag in if_match.split(",")}
    if "*" in presented:
        return
    current = etag(version)
    # Weak comparison (RFC 9110 §8.8.3.2): W/"3" and "3" name the same version.
    if not {current, current.removeprefix("W/")} & presented:
        raise PreconditionFailedException(
            detail=f"the resource is at version {current}, not {if_match}"
        )


def not_modified(if_none_match: str | None, version: int) -> bool:
    if if_none_match is None:
        return False
    presented = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in presented or etag(version).removeprefix("W/") in presented
