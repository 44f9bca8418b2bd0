from typing import Any

from django.core.management.base import BaseCommand

from stylization.services import jobs_requeue_unfinished


class Command(BaseCommand):
    help = "Enqueue again every job that the database records as queued or running."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Re-enqueued: {jobs_requeue_unfinished()}")
