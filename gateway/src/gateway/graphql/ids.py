"""Opaque global ids: base64url("Type:key"). Integrators must treat them as opaque.

An id is decoded, never trusted: its key must have the exact form the owning service mints
for that type (profiles and feedback: uuid4 strings; matching: `mt_<hex>` matches, `mr_<hex>`
runs; sessions: `se_<hex>` sessions, `ai_<hex>` action items, `cc_<hex>` calendar connections),
so a key can only ever name one resource (never `../enrollments/x/withdraw`)."""

import base64
import binascii
import re
from typing import Final

_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_HEX32: Final = r"[0-9a-f]{32}"

# The one table of what each type's key looks like, as its service mints it.
KEY_FORMS: Final[dict[str, re.Pattern[str]]] = {
    "Person": re.compile(_UUID),  # profiles: str(uuid.uuid4())
    "Program": re.compile(_UUID),
    "Enrollment": re.compile(_UUID),
    "OrgChangeRejection": re.compile(r"[1-9][0-9]{0,18}"),  # profiles: a serial id
    "Match": re.compile(f"mt_{_HEX32}"),  # matching: f"mt_{uuid4().hex}"
    "MatchRun": re.compile(f"mr_{_HEX32}"),  # matching: f"mr_{uuid4().hex}"
    "Session": re.compile(f"se_{_HEX32}"),  # sessions: f"se_{uuid4().hex}"
    "ActionItem": re.compile(f"ai_{_HEX32}"),  # sessions: f"ai_{uuid4().hex}"
    "CalendarConnection": re.compile(f"cc_{_HEX32}"),  # sessions: f"cc_{uuid4().hex}"
    "WebhookSubscription": re.compile(f"wh_{_HEX32}"),  # gateway: f"wh_{uuid4().hex}"
    "WebhookDelivery": re.compile(f"msg_{_HEX32}"),  # gateway: "msg_" + uuid5(…).hex
    "FeedbackRequest": re.compile(_UUID),  # feedback: str(uuid.uuid4())
    "Feedback": re.compile(_UUID),
}


def encode_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def decode_id(type_name: str, global_id: str) -> str | None:
    """The key inside an id of `type_name`, or None for anything else (not found, not an error:
    a foreign, made-up or malformed id must look exactly like a missing one)."""
    form = KEY_FORMS.get(type_name)
    if form is None or len(global_id) > 200:  # no id of ours is anywhere near that long
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, key = raw.partition(":")
    if prefix != type_name or not form.fullmatch(key) or encode_id(type_name, key) != global_id:
        return None  # only the one canonical spelling of a well-formed id is that id
    return key
