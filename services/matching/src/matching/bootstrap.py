"""The wiring: the only place that reads config and builds clients."""

from pathlib import Path

from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from matching.adapters import tables
from matching.config import MatchingSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: MatchingSettings, kafka: KafkaSettings) -> ServiceProcess:
    return ServiceProcess(
        name="matching",
        database_url=settings.database_url_for("matching"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        handlers=tables.roster.handlers(),
        topics=[topics.PEOPLE],
        run_workers=settings.run_workers,
    )
