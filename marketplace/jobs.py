"""Sending a background job by its actor's name, and keeping the jobs that must not be lost.

The marketplace is the lowest of the three apps: stylization and provenance import its models, so
it must not import their actors back (that was the import cycle orders → stylization → provenance →
orders). It names them instead, as Dramatiq's own callbacks do, and the broker finds the actor. A
process that has not declared an actor yet (a web worker before its first job) declares them all
once, from every app's `tasks` module.

Every job is a row before it is a message. Most jobs have a row of their own that says they are
unfinished (a queued personalization, an order line's stage, a pending record, an unsent e-mail), and
the start-up sweep sends those again. A job without one (a refund asked for, a takedown's revocations)
is sent with `enqueue`: a `BackgroundJob` row in the caller's transaction, the message on commit. The
`BackgroundJobs` middleware marks the row running, retrying or done as its actor runs; Dramatiq's
`on_retry_exhausted` marks it failed. `background_jobs_resend` sends again every unfinished row: all
of them at a worker's start-up, and periodically those silent past their `due_at`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from typing import Any

import dramatiq
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from dramatiq.broker import MessageProxy
from dramatiq.errors import ActorNotFound
from dramatiq.middleware.retries import DEFAULT_MAX_BACKOFF

log = logging.getLogger(__name__)

# Actors of the other apps that the marketplace sends.
STYLIZE = "stylize"
RENDER = "render"
VECTORIZE = "vectorize"
ATTRIBUTE = "attribute_order_line"
# Revoke on chain the attribution records of a listing whose infringement claim was upheld.
REVOKE_LISTING_RECORDS = "revoke_listing_records"
# The fulfilment workflow's own actors, named by the steps' callbacks (marketplace.tasks).
STEP_DONE = "order_line_step_done"
STEP_EXHAUSTED = "order_line_step_exhausted"
REFUND_LINE = "order_line_refund_job"
REFUND_PAYMENT = "payment_refund_job"
SEND_EMAIL = "email_send_job"
# Marks a BackgroundJob failed when its actor's retries ran out (marketplace.tasks).
JOB_EXHAUSTED = "background_job_exhausted"

# The message option that names a message's BackgroundJob row.
JOB_OPTION = "background_job"
# Dramatiq's own default, for an actor that sets no time limit.
DEFAULT_TIME_LIMIT_MS = 10 * 60_000

_discovery = threading.Lock()


def actor_named(name: str) -> dramatiq.Actor[Any, Any]:
    broker = dramatiq.get_broker()
    try:
        return broker.get_actor(name)
    except ActorNotFound:
        with _discovery:
            autodiscover_modules("tasks")
        return broker.get_actor(name)


def send(name: str, *args: Any, **options: Any) -> None:
    """`options` are Dramatiq message options (`enqueue` names the job's row in one)."""
    actor_named(name).send_with_options(args=args, **options)


# --- jobs that must not be lost ---------------------------------------------------------------------


def _due(*, waiting_ms: int = 0, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(
        milliseconds=waiting_ms, seconds=settings.BACKGROUND_JOB_RESEND_AFTER_S
    )


def _time_limit_ms(actor: dramatiq.Actor[Any, Any]) -> int:
    return int(actor.options.get("time_limit") or DEFAULT_TIME_LIMIT_MS)


def _max_backoff_ms(actor: dramatiq.Actor[Any, Any]) -> int:
    return int(min(actor.options.get("max_backoff") or DEFAULT_MAX_BACKOFF, DEFAULT_MAX_BACKOFF))


def _send_row(job_id: int, name: str, args: list[Any]) -> None:
    options: dict[str, Any] = {JOB_OPTION: job_id}
    if not actor_named(name).options.get("on_retry_exhausted"):
        options["on_retry_exhausted"] = JOB_EXHAUSTED
    send(name, *args, **options)


def enqueue(name: str, *args: Any) -> int:
    """Send a job that must not be lost: its row is written in the caller's transaction (so it
    exists exactly when the change that needs it does), its message once that commits. Returns the
    row's id."""
    from marketplace.models import BackgroundJob

    job = BackgroundJob.objects.create(actor_name=name, args=list(args), due_at=_due())
    job_id, sent_args = job.pk, list(args)
    transaction.on_commit(lambda: _send_row(job_id, name, sent_args))
    return job_id


def background_jobs_resend(*, everything: bool, now: dt.datetime | None = None) -> int:
    """Send again the unfinished BackgroundJob rows: every one of them when `everything` (a worker
    starting up, since a process that died may have taken its messages with it; a message that also
    survived costs one idempotent no-op), else only those silent past their `due_at` (the periodic
    sweep). Each row is claimed by its `due_at`, so two sweeps never send one row twice. Returns how
    many were sent."""
    from marketplace.models import BackgroundJob, JobStatus

    now = now or timezone.now()
    rows = BackgroundJob.objects.exclude(status=JobStatus.DONE)
    if not everything:
        rows = rows.filter(due_at__lte=now)
    sent = 0
    for job in rows.only("pk", "actor_name", "args", "due_at").order_by("pk"):
        try:
            actor_named(job.actor_name)
        except ActorNotFound:
            log.error("Background job %s names no actor (%s); it is left unfinished.", job.pk, job.actor_name)
            continue
        claimed = (
            BackgroundJob.objects.filter(pk=job.pk, due_at=job.due_at)
            .exclude(status=JobStatus.DONE)
            .update(status=JobStatus.QUEUED, due_at=_due(now=now))
        )
        if claimed:
            _send_row(job.pk, job.actor_name, job.args)
            sent += 1
    return sent


def background_job_fail(*, job_id: int, detail: str) -> None:
    """Its actor's retries ran out. The row stays unfinished, so the periodic sweep sends it again
    after `BACKGROUND_JOB_RESEND_AFTER_S`: a refund or a revocation is never given up on."""
    from marketplace.models import BackgroundJob, JobStatus

    failed = (
        BackgroundJob.objects.filter(pk=job_id)
        .exclude(status=JobStatus.DONE)
        .update(status=JobStatus.FAILED, last_error=detail[-4000:], due_at=_due())
    )
    if failed:
        log.error(
            "Background job %s ran out of retries; the sweep sends it again later: %s", job_id, detail[-500:]
        )


class BackgroundJobs(dramatiq.Middleware):
    """Keeps a BackgroundJob row in step with its message: running while its actor runs, done when
    it returns (a redelivered message for a done row only sets it done again), and due again after
    the actor's time limit or its longest backoff, whichever the row now waits for."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        job_id = message.options.get(JOB_OPTION)
        if job_id is None:
            return
        from django.db.models import F

        from marketplace.models import BackgroundJob, JobStatus

        actor = broker.get_actor(message.actor_name)
        BackgroundJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            due_at=_due(waiting_ms=_time_limit_ms(actor)),
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        job_id = message.options.get(JOB_OPTION)
        if job_id is None:
            return
        from marketplace.models import BackgroundJob, JobStatus

        rows = BackgroundJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE)
        if exception is None:
            rows.update(status=JobStatus.DONE, finished_at=timezone.now(), last_error="")
            return
        actor = broker.get_actor(message.actor_name)
        # Dramatiq retries it after a backoff (or calls on_retry_exhausted, which marks it failed).
        rows.update(
            status=JobStatus.QUEUED,
            last_error="".join(traceback.format_exception(exception))[-4000:],
            due_at=_due(waiting_ms=_max_backoff_ms(actor)),
        )
