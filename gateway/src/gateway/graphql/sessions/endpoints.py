"""The sessions service's internal REST API as the gateway calls it: every path in one place
(`{}` is a key, quoted by the service client)."""

from typing import Final

PREFIX: Final = "/internal/sessions"

SESSIONS: Final = f"{PREFIX}/sessions"
SESSION: Final = f"{PREFIX}/sessions/{{}}"
SESSION_ACTION: Final = f"{PREFIX}/sessions/{{}}/{{}}"  # reschedule, cancel, complete, no-show
SESSION_ACTION_ITEMS: Final = f"{PREFIX}/sessions/{{}}/action-items"
ACTION_ITEM_COMPLETE: Final = f"{PREFIX}/action-items/{{}}/complete"
SESSIONS_BY_ID: Final = f"{PREFIX}/sessions/batch"
SESSIONS_OF_MATCHES: Final = f"{PREFIX}/matches/sessions/batch"
SESSIONS_OF_PEOPLE: Final = f"{PREFIX}/people/sessions/batch"

WORKING_HOURS: Final = f"{PREFIX}/people/{{}}/working-hours"
CALENDAR_FEED: Final = f"{PREFIX}/people/{{}}/calendar-feed"
CALENDAR_FEED_ICS: Final = f"{PREFIX}/calendar-feeds/{{}}.ics"

CALENDAR_CONNECTIONS: Final = f"{PREFIX}/people/{{}}/calendar-connections"
CALENDAR_CONNECTION: Final = f"{PREFIX}/calendar-connections/{{}}"

OFFICE_HOURS: Final = f"{PREFIX}/office-hours"
RSVP: Final = f"{PREFIX}/sessions/{{}}/rsvp"
RSVP_OF_PERSON: Final = f"{PREFIX}/sessions/{{}}/rsvp/{{}}"
RSVPS: Final = f"{PREFIX}/sessions/{{}}/rsvps"
