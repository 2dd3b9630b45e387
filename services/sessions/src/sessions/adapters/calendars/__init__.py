"""Calendar providers behind one interface (`model.CalendarProvider`): CalDAV, Google
Calendar and Microsoft Graph over HTTP; Cairn's own calendar is the person's ICS feed
(`ics.person_feed`, reached with a token from `feed_tokens`)."""

from sessions.adapters.calendars.dav import CalDavCalendar
from sessions.adapters.calendars.google import GoogleCalendar
from sessions.adapters.calendars.graph import GraphCalendar
from sessions.adapters.calendars.model import CalendarProvider, ProviderName

# Which class speaks to which provider (typed: each is checked against the protocol).
PROVIDER_CLASSES: dict[ProviderName, type[CalendarProvider]] = {
    ProviderName.CALDAV: CalDavCalendar,
    ProviderName.GOOGLE: GoogleCalendar,
    ProviderName.MICROSOFT: GraphCalendar,
}
