"""The demo's last step: how the program is doing — its insights as GraphQL answers them (the
figures feedback keeps as events arrive, small groups suppressed) — and one of its charts,
fetched through the gateway with the API key and saved for the reader to open."""

from pathlib import Path
from typing import Any

from devstack.demo.client import Client, DemoFailed, wait_for

INSIGHTS = """query($id: ID!) {
  program(id: $id) {
    name
    insights {
      asOf minimumGroupSize enrolledMentors enrolledMentees participationRate activeMatches
      sessionsCompleted sessionsPerActiveMatch averageRating ratingResponses nps npsResponses
      responseRate representation promotionRate internalMobilityRate method
      objectives { objective { metric target dueOn } current onTrack standing }
      charts { name title svg png }
      exports { csv json }
    }
  }
}"""


def _figure(value: float | None, form: str = "{:.2f}") -> str:
    return "—" if value is None else form.format(value)


def _share(share: dict[str, Any]) -> str:
    if share.get("suppressed"):
        return "suppressed (a group under the minimum size)"
    if share.get("share") is None:
        return "—"
    return f"{share['count']} of {share['of']} ({share['share']:.0%})"


def wait_for_insights(client: Client, program_id: str, enrolled: int) -> dict[str, Any]:
    """The program's insights once feedback has counted everyone who enrolled."""

    def counted() -> dict[str, Any] | None:
        try:
            program = client.run("programInsights", INSIGHTS, id=program_id)["program"]
        except DemoFailed as failed:
            if "caught up" in str(failed):  # feedback has not heard of the program yet
                return None
            raise
        found: dict[str, Any] = program["insights"]
        return found if found["enrolledMentors"] + found["enrolledMentees"] >= enrolled else None

    return wait_for("the program's insights", counted)


def show_insights(insights: dict[str, Any]) -> None:
    print(
        f"  enrolled: {insights['enrolledMentees']} mentees, {insights['enrolledMentors']} "
        f"mentors (participation {_figure(insights['participationRate'], '{:.0%}')}); "
        f"{insights['activeMatches']} active matches, "
        f"{insights['sessionsCompleted']} sessions held"
    )
    print(
        f"  average rating {_figure(insights['averageRating'])} "
        f"({insights['ratingResponses']} answers), NPS {_figure(insights['nps'], '{:.0f}')} "
        f"({insights['npsResponses']} answers), response rate "
        f"{_figure(insights['responseRate'], '{:.0%}')}"
    )
    representation = insights["representation"] or {}
    for group in ("mentees", "mentors"):
        if group in representation:
            print(f"  under-represented among {group}: {_share(representation[group])}")
    print(
        f"  promotion rate {_figure(insights['promotionRate'], '{:.0%}')}, internal mobility "
        f"{_figure(insights['internalMobilityRate'], '{:.0%}')} — {insights['method']}; "
        f"groups under {insights['minimumGroupSize']} people are never shown"
    )
    for progress in insights["objectives"]:
        objective = progress["objective"]
        print(
            f"  objective {objective['metric']}: target {objective['target']} by "
            f"{objective['dueOn']}, now {_figure(progress['current'])} → {progress['standing']}"
        )


def save_chart(client: Client, insights: dict[str, Any], var_dir: Path) -> tuple[str, Path]:
    """The adoption chart's URL, and where its SVG was saved."""
    chart = next(c for c in insights["charts"] if c["name"] == "adoption")
    svg = client.download(chart["svg"])
    if b"<svg" not in svg:
        raise DemoFailed(f"the chart at {chart['svg']} is no SVG")
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "adoption.svg"
    path.write_bytes(svg)
    return chart["svg"], path
