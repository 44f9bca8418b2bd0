"""`manage.py serve`: the whole product in one process for `make run` (site + embedded worker)."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from config.worker import start_embedded_worker


class Command(BaseCommand):
    help = "Serve the site; with no external broker, also run the job worker inside this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if settings.MOTIF_EMBEDDED_WORKER:
            worker = start_embedded_worker()
            self.stdout.write("Embedded job worker started (StubBroker, in-process).")
        else:
            self.stdout.write(f"Jobs go to {settings.DRAMATIQ_BROKER_URL}; run workers with `manage.py rundramatiq`.")
        try:
            call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.stop()
