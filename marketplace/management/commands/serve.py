"""`manage.py serve`: the whole product in one process for `make run` (site + embedded worker)."""

import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from config.worker import start_embedded_worker
from provenance.local_node import ANVIL_CHAIN_ID, ANVIL_DEV_PRIVATE_KEY, LocalNode, start_anvil


class Command(BaseCommand):
    help = "Serve the site; with no external broker, also run the job worker inside this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # SIGTERM unwinds like Ctrl-C, so the worker stops and anvil writes its state.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        node = self._local_chain()
        worker = None
        if settings.MOTIF_EMBEDDED_WORKER:
            worker = start_embedded_worker()
            lanes = "; ".join(
                f"{name}: {', '.join(sorted(lane.consumer_whitelist or ()))}"
                for name, lane in worker.lanes.items()
            )
            self.stdout.write(f"Embedded job worker started (StubBroker, in-process), in lanes: {lanes}.")
        else:
            self.stdout.write(
                f"Jobs go to {settings.DRAMATIQ_BROKER_URL}; run workers with `manage.py rundramatiq`."
            )
        try:
            call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.stop()
            if node is not None:
                node.stop()

    def _local_chain(self) -> LocalNode | None:
        if settings.CHAIN_RPC_URL:
            self.stdout.write(f"Chain: {settings.CHAIN_RPC_URL} (chain id {settings.CHAIN_ID}).")
            return None
        node = start_anvil(
            state_file=Path(settings.VAR_DIR) / "chain" / "state.json", port=settings.LOCAL_CHAIN_PORT
        )
        if node is None:
            self.stdout.write(
                self.style.WARNING(
                    "Chain: anvil is not installed (npm install), so records go to an in-process chain "
                    "and will NOT survive a restart."
                )
            )
            return None
        settings.CHAIN_RPC_URL, settings.CHAIN_ID = node.url, ANVIL_CHAIN_ID
        settings.CHAIN_PRIVATE_KEY = ANVIL_DEV_PRIVATE_KEY
        self.stdout.write(f"Chain: anvil at {node.url}, state kept in var/chain/state.json.")
        return node
