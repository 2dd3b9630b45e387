"""The wiring: the only place that reads config and builds clients."""

from pathlib import Path

from contracts.hris import HrisChangeReceived
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from profiles.adapters.metadata import messaging
from profiles.config import ProfilesSettings
from profiles.service_layer.held_changes import held_change_releaser
from profiles.service_layer.org_changes import on_hris_change

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: ProfilesSettings, kafka: KafkaSettings) -> ServiceProcess:
    return ServiceProcess(
        name="profiles",
        database_url=settings.database_url_for("profiles"),
        migrations_dir=MIGRATIONS,
        tables=messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        handlers={HrisChangeReceived.event_type: on_hris_change},
        topics=[topics.HRIS_CHANGES],
        run_workers=settings.run_workers,
        workers=[held_change_releaser(settings.held_changes_poll_s)],
    )
