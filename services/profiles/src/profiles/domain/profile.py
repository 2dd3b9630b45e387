"""What a person says of themselves: skills, interests, languages, bio, and the consented
self-identification used only for fair matching and aggregate reporting. Pure."""

from collections.abc import Iterable
from typing import Any

from contracts.hris import HrisChange

SELF_IDENTIFICATION = ("underrepresented", "demographics")


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once, in first-seen order, the first spelling kept ("Go", "go" → "Go")."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)


def self_identification(
    consented: bool, underrepresented: bool | None, demographics: dict[str, Any] | None
) -> tuple[bool | None, dict[str, Any] | None]:
    """What may be stored: the answers while consent is given, nothing once it is withdrawn."""
    if not consented:
        return None, None
    return underrepresented, demographics or None


def withheld_from_hris(consent: bool | None) -> bool:
    """A withdrawal in Cairn outranks the HRIS: it may no longer set self-identification.
    (None: the person never answered here, so what the HRIS holds is what there is.)"""
    return consent is False


def without_self_identification(change: HrisChange) -> HrisChange:
    """The change minus any self-identification it carries (every other field as sent)."""
    data = change.model_dump(exclude_unset=True)
    data["employee"] = {k: v for k, v in data["employee"].items() if k not in SELF_IDENTIFICATION}
    return HrisChange.model_validate(data)
