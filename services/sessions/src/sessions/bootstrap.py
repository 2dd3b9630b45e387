"""The wiring: the only place that reads config and builds clients."""

from dataclasses import dataclass
from pathlib import Path

from messaging.consumer import subscriptions
from messaging.settings import KafkaSettings
from runtime.process import ServiceProcess

from contracts import topics
from sessions.adapters import tables
from sessions.config import SessionsSettings
from sessions.service_layer.calendar_accounts import (
    CalendarAccess,
    CalendarSettings,
    install,
    lifetime,
)
from sessions.service_layer.calendar_delivery import calendar_delivery
from sessions.service_layer.org_moves import org_handlers
from sessions.service_layer.rules import PlanSettings
from sessions.service_layer.workers import reminder_worker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class SessionsService:
    """What the API needs beside the process: how this deployment plans."""

    process: ServiceProcess
    rules: PlanSettings
    calendars: CalendarAccess  # people's connected calendars (sealed credentials, providers)


def build(settings: SessionsSettings, kafka: KafkaSettings) -> SessionsService:
    rules = PlanSettings.of(settings)
    # Stops here, naming SESSIONS_SEALING_KEYS, beside a configured database without keys.
    calendars = CalendarAccess.create(settings.sealer("sessions"), CalendarSettings.load())
    install(calendars)  # what calendar_sync.busy_for reads when its caller passes none
    process = ServiceProcess(
        name="sessions",
        database_url=settings.database_url_for("sessions"),
        migrations_dir=MIGRATIONS,
        tables=tables.messaging,
        bootstrap_servers=kafka.bootstrap_servers,
        # One handler per event type; two for one type stops the start-up.
        handlers=subscriptions(org_handlers(rules)),
        topics=[topics.PEOPLE, topics.PROGRAMS, topics.MATCHES],
        run_workers=settings.run_workers,
        workers=[reminder_worker(rules, settings.reminder_poll_s), calendar_delivery(calendars)],
        resources=[lifetime(calendars)],
    )
    return SessionsService(process, rules, calendars)
