"""Notification e-mails, through Django's e-mail framework (the console backend under `make run`,
SMTP or an Anymail provider from the environment in production).

`notification_send` writes the message, keyed by what it is about, before anything is sent: a
second call with the same key (a retried job, a redelivered callback) finds the row and sends
nothing. The send itself is a job on the `email` queue, so a mail server that is down only delays
it; the job marks the row sent, and a retry of a job that already sent it does nothing."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from marketplace import jobs
from marketplace.models import EmailMessageLog

log = logging.getLogger(__name__)


def notification_send(*, key: str, to: str, template: str, context: dict[str, Any]) -> EmailMessageLog | None:
    """Queue the e-mail `template` (marketplace/email/<template>.txt: the first line is the subject)
    to `to`, once per `key`. Call it inside the transaction whose change it announces: the send
    waits for that commit. Returns None when there is nobody to write to."""
    if not to:
        return None
    text = render_to_string(f"marketplace/email/{template}.txt", {**context, "site_url": settings.SITE_URL})
    subject, _, body = text.strip().partition("\n")
    try:
        with transaction.atomic():
            message, created = EmailMessageLog.objects.get_or_create(
                key=key[:120], defaults={"to": to, "subject": subject.strip()[:200], "body": body.strip()}
            )
    except IntegrityError:  # the same notification written concurrently: that one is sent
        return EmailMessageLog.objects.get(key=key[:120])
    if created:
        message_id = message.pk
        transaction.on_commit(lambda: jobs.send(jobs.SEND_EMAIL, message_id))
    return message


def email_deliver(*, message_id: int) -> bool:
    """Send one logged message, unless it was sent already. Errors propagate, so the job retries."""
    with transaction.atomic():
        message = EmailMessageLog.objects.select_for_update().get(pk=message_id)
        if message.sent_at is not None:
            return False
        EmailMessageLog.objects.filter(pk=message_id).update(attempts=message.attempts + 1)
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        # The same id on every attempt, so a mail server or client can drop a duplicate.
        headers={"Message-ID": f"<motif-{message.key.replace(':', '.')}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"},
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        EmailMessageLog.objects.filter(pk=message_id).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    EmailMessageLog.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), last_error=""
    )
    return True


def emails_requeue_unsent() -> int:
    """Send again every message a dead process left unsent (the start-up sweep calls it)."""
    ids = list(EmailMessageLog.objects.filter(sent_at__isnull=True).values_list("pk", flat=True))
    for pk in ids:
        jobs.send(jobs.SEND_EMAIL, pk)
    return len(ids)
