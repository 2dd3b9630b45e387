"""The chaos proof, short: a few hundred webhook changes on the whole running system while the
broker is SIGKILLed and replaced by an empty one, every consumer service is SIGKILLed inside
its commit window, and the gateway with the broker frozen (`devstack.chaos`; `make chaos`
runs 5,000 changes with each fault on its own)."""

import os

import pytest
from devstack.chaos import SHORT_FAULTS, Plan, run_chaos
from devstack.chaos_tally import ROSTERS
from devstack.pytest_plugin import DatabaseFactory
from devstack.stack import ALL

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="kills the embedded broker; an external one cannot be killed from here",
)
async def test_no_change_is_lost_or_applied_twice_through_kills_of_every_process(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    urls = {spec.name: await database_factory(f"chaos{spec.name}") for spec in ALL}
    plan = Plan(
        changes=240,
        rate=12.0,
        faults=SHORT_FAULTS,
        fault_points=(0.2, 0.4),  # the load goes on through the kills and their restarts
        window_attempts=2,
        settle_timeout_s=90.0,
        quiet_s=2.0,
    )
    report = await run_chaos(plan, tmp_path_factory.mktemp("chaos"), urls)
    print("\n".join(report.lines()))

    assert report.refused == []
    assert [t.read_model for t in report.tallies] == ["profiles", *ROSTERS]
    assert all(t.sent == plan.changes for t in report.tallies)
    assert report.duplicated == 0
    # What profiles applied reached every roster: the relays and consumers lost nothing.
    assert report.lost_downstream == 0
    # What the gateway acknowledged was in its outbox before the 202: nothing lost anywhere.
    assert report.gateway_outbox
    assert report.lost == 0
