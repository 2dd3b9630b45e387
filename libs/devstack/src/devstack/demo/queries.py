"""The GraphQL operations the demo walks through (printed at the end for a reader to reuse)."""

ERRORS = "userErrors { field message code }"

EVERYONE = """query {
  people(first: 100) { totalCount edges { node { id externalId displayName } } }
}"""

CREATE_PROGRAM = f"""mutation($input: CreateProgramInput!) {{
  createProgram(input: $input) {{ program {{ id name status }} {ERRORS} }}
}}"""

OPEN_ENROLLMENT = f"""mutation($id: ID!) {{
  openEnrollment(input: {{programId: $id}}) {{ program {{ id status }} {ERRORS} }}
}}"""

UPDATE_PROFILE = f"""mutation($input: UpdateProfileInput!) {{
  updateProfile(input: $input) {{ person {{ id }} {ERRORS} }}
}}"""

ENROLL = f"""mutation($input: EnrollInput!) {{
  enroll(input: $input) {{ enrollment {{ id role }} {ERRORS} }}
}}"""

RUN_MATCHING = f"""mutation($id: ID!, $dryRun: Boolean) {{
  runMatching(input: {{programId: $id, dryRun: $dryRun}}) {{ matchRun {{ id status }} {ERRORS} }}
}}"""

MATCH_RUN = """query($id: ID!) {
  matchRun(id: $id) {
    status dryRun matchedMentees unmatchedMentees meanScore byGroup error
    pairs(first: 10) {
      mentor { displayName title } mentees { displayName title } score
      reasons { criterion explanation }
    }
    unmatched { mentee { displayName } reason }
  }
}"""

PROGRAM_MATCHES = """query($id: ID!) {
  program(id: $id) {
    matches(first: 10) {
      totalCount
      edges { node { id status mentor { id displayName } mentees { id displayName } } }
    }
  }
}"""

ACCEPT = f"""mutation($input: MatchDecisionInput!) {{
  acceptMatch(input: $input) {{ match {{ id status acceptedBy {{ displayName }} }} {ERRORS} }}
}}"""

MATCH_SESSIONS = """query($id: ID!) {
  match(id: $id) { sessions { id status startsAt unscheduledReason } }
}"""

PERSON_SESSIONS = """query($id: ID!, $from: DateTime) {
  person(id: $id) {
    displayName timeZone
    sessions(from: $from, first: 10) {
      startsAt endsAt status
      host { displayName } attendees { displayName }
      module { title discussionGuide preWork }
    }
  }
}"""

ISSUE_CALENDAR_FEED = f"""mutation($input: CalendarFeedInput!) {{
  issueCalendarFeed(input: $input) {{ calendarFeed {{ url }} {ERRORS} }}
}}"""
