"""The wiring: the only place that reads config and builds clients."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from messaging.consumer import subscriptions
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from feedback.adapters import tables
from feedback.config import FeedbackSettings
from feedback.domain.request_schedule import RequestRules
from feedback.domain.responses import ResponseRules
from feedback.service_layer.insights import InsightsCache
from feedback.service_layer.relationships import relationship_handlers
from feedback.service_layer.replicas import replica_handlers
from feedback.service_layer.sweep import sweep_worker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Feedback:
    """What the API needs beside the process: the rules and the insights cache."""

    process: ServiceProcess
    request_rules: RequestRules
    response_rules: ResponseRules
    minimum_group_size: int
    cache: InsightsCache


def build(settings: FeedbackSettings, kafka: KafkaSettings) -> Feedback:
    request_rules = RequestRules(
        expire_after=timedelta(days=settings.request_expire_after_days),
        first_pulse_after=timedelta(days=settings.first_pulse_after_days),
        pulse_every=timedelta(days=settings.pulse_every_days),
    )
    response_rules = ResponseRules(edit_window=timedelta(hours=settings.edit_window_hours))
    process = ServiceProcess(
        name="feedback",
        database_url=settings.database_url_for("feedback"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        # One handler per event type; two for one type stops the start-up.
        handlers=subscriptions(replica_handlers(), relationship_handlers(request_rules)),
        topics=[
            topics.PEOPLE,
            topics.PROGRAMS,
            topics.ENROLLMENTS,
            topics.MATCHES,
            topics.SESSIONS,
        ],
        run_workers=settings.run_workers,
        workers=[sweep_worker(request_rules, settings.sweep_poll_s)],
    )
    return Feedback(
        process, request_rules, response_rules, settings.minimum_group_size, InsightsCache()
    )
