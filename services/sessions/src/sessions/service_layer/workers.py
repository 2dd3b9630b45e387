"""The background loops of the sessions process (`ServiceProcess(workers=[...])`)."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from messaging.outbox import utcnow
from runtime.process import ServiceProcess

from sessions.service_layer.reminders import send_due
from sessions.service_layer.rules import PlanSettings

log = logging.getLogger(__name__)

Worker = Callable[[ServiceProcess], Coroutine[Any, Any, None]]


def reminder_worker(rules: PlanSettings, poll_s: float) -> Worker:
    async def run(process: ServiceProcess) -> None:
        while True:
            try:
                sent = await send_due(process.uow, utcnow(), rules.reminder_leads)
                if sent:
                    log.info("%d session reminder(s) due", sent)
            except Exception:
                log.exception("sending session reminders failed; trying again")
            await asyncio.sleep(poll_s)

    return run
