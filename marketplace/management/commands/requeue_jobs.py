from typing import Any

from django.core.management.base import BaseCommand

from provenance.services import records_requeue_pending
from stylization.services import jobs_requeue_unfinished


class Command(BaseCommand):
    help = "Enqueue again every job that the database records as queued or running."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = jobs_requeue_unfinished()
        counts["attribution_records"] = records_requeue_pending()
        self.stdout.write(f"Re-enqueued: {counts}")
