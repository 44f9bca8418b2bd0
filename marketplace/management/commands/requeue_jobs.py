import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.worker import jobs_requeue_all, watchdog_pass


class Command(BaseCommand):
    help = (
        "Enqueue again every job that the database records as unfinished (run it when workers start). "
        "With --every N it then stays up as the watchdog, sweeping every N seconds: lines stuck in "
        "fulfilment, and refunds and revocations whose jobs went silent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="run the watchdog sweep every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Re-enqueued: {jobs_requeue_all()}")
        every = options["every"]
        while every > 0:
            time.sleep(every)
            result = watchdog_pass()
            if any(result.values()):
                self.stdout.write(f"Watchdog: {result}")
