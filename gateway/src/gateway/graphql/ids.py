"""Opaque global ids: base64url("Type:key"). Integrators must treat them as opaque."""

import base64
import binascii


def encode_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def decode_id(type_name: str, global_id: str) -> str | None:
    """The key inside an id of `type_name`, or None for anything else (not found, not an error:
    a foreign or made-up id must look exactly like a missing one)."""
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, key = raw.partition(":")
    if prefix != type_name or not key or encode_id(type_name, key) != global_id:
        return None  # only the one canonical spelling of an id is that id
    return key
