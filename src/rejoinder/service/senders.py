"""A server process's outbox worker, with a sender for each kind of message.

Only servers deliver: ``rejoinder import`` or ``rejoinder webhook`` queue nothing that
cannot wait for the server, so they open the services without it.
"""

from __future__ import annotations

from rejoinder.service import mail, staff_mail, webhooks
from rejoinder.service.outbox import OutboxWorker
from rejoinder.service.services import Services


def start_outbox(services: Services) -> OutboxWorker:
    settings = services.settings
    worker = OutboxWorker(
        services.db,
        {
            webhooks.KIND: webhooks.WebhookSender(services),
            mail.KIND: mail.MailSender(services),
            staff_mail.KIND: staff_mail.StaffMailSender(services),
        },
        clock=lambda: services.clock(),
        attempts=settings.outbox_attempts,
        retry_seconds=settings.outbox_retry,
        timeout=settings.outbox_timeout,
        periodic=[
            lambda now: staff_mail.queue_due(services, now),
            webhooks.AutoClosings(services),
        ],
    )
    worker.start()
    services.outbox = worker
    return worker
