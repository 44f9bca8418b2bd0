"""`manage.py runpool POOL`: the Dramatiq worker processes of one pool (config/queues.py).

Each member of the pool is one `rundramatiq` process tree on its own queues; SIGTERM (or Ctrl-C)
stops them all gracefully, and a member that exits ends the pool, so the supervisor restarts it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

import dramatiq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules

from config.queues import POOLS, pool_check


class Command(BaseCommand):
    help = "Run the worker processes of one pool: " + ", ".join(POOLS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool", choices=sorted(POOLS))
        parser.add_argument("--check", action="store_true", help="only check that every queue has a pool")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            autodiscover_modules("tasks")
            missing = pool_check(set(dramatiq.get_broker().get_declared_queues()))
            if missing:
                raise CommandError(
                    f"No pool in config/queues.py takes these queues: {', '.join(sorted(missing))}"
                )
            return
        # The check imports every actor (torch among them) in a short-lived child, so this
        # supervising process stays small.
        if subprocess.run([sys.executable, "manage.py", "runpool", options["pool"], "--check"]).returncode:
            raise CommandError("The queue check failed; see above.")
        pool = POOLS[options["pool"]]
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "rundramatiq",
                    "--processes",
                    str(member.processes),
                    "--threads",
                    str(member.threads),
                    "--queues",
                    *member.queues,
                ],
            )
            for member in pool.members
        ]
        if pool.name == "web-side":
            # The fulfilment sweep at start-up, then the watchdog, beside the workers that run its jobs.
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "manage.py",
                        "requeue_jobs",
                        "--every",
                        str(settings.FULFILMENT_SWEEP_INTERVAL_S),
                    ]
                )
            )
        self.stdout.write(
            f"Pool {pool.name}: "
            + "; ".join(
                f"{m.name} on {', '.join(m.queues)} (pid {c.pid})"
                for m, c in zip(pool.members, children, strict=False)
            )
        )

        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                child.wait(timeout=60)
        codes = [child.returncode for child in children]
        if any(codes):
            raise SystemExit(max(abs(c) for c in codes))
