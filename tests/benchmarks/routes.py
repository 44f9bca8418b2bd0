"""`python -m tests.benchmarks.routes [--requests 30]`: every page's server time with the demo data.

As `make run` does, it migrates a fresh SQLite database in a temporary data folder (MOTIF_VAR_DIR)
and runs `seed_demo`; tests/site_pages.py adds the order in production the order page and the job
ticket need. Each page of `site_pages()` is then requested in-process through Django's test client,
signed in as the person who opens it: one warm-up request, then `--requests` timed ones, from the
request entering Django to the response's last byte (no network, no browser). It prints p50, p95
and the slowest time per route and flags any p95 over the budget (BUDGET_MS); the exit status is 1
when one is over."""

from __future__ import annotations

import argparse
import io
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 300.0


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def routes_bench(*, requests: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from marketplace.models import User
    from tests.site_pages import site_pages

    call_command("migrate", "--noinput", stdout=io.StringIO())
    pages = site_pages()
    clients: dict[str | None, Client] = {}
    rows = []
    over = 0
    for page in pages:
        if page.who not in clients:
            clients[page.who] = Client(SERVER_NAME="localhost")
            if page.who:
                clients[page.who].force_login(User.objects.get(username=page.who))
        client = clients[page.who]
        if page.first:
            path, fields = page.first
            if client.post(path, fields).status_code != 302:
                raise RuntimeError(f"{page.name}: POST {path} was refused")
        samples = []
        for n in range(requests + 1):
            # Each verification comes from its own address, so the page's rate limit does not answer instead.
            extra = {"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250 + 1}"}
            started = time.perf_counter()
            if page.post:
                response = client.post(page.path, page.post, **extra)  # type: ignore[arg-type]
            else:
                response = client.get(page.path, **extra)  # type: ignore[arg-type]
            content = b"".join(response.streaming_content) if response.streaming else response.content
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(
                    f"{page.name} {page.path} answered {response.status_code}: {content[:200]!r}"
                )
            if n:  # the first request warms caches and templates
                samples.append(elapsed_ms)
        p95 = _p95(samples)
        over += p95 > BUDGET_MS
        rows.append(
            f"| {page.name} | {page.path} | {page.who or 'visitor'} | {len(samples)} | "
            f"{statistics.median(samples):.1f} | {p95:.1f} | {max(samples):.1f} | "
            f"{'yes' if p95 <= BUDGET_MS else '**no**'} |"
        )
    print(
        f"\nServer time per page, {requests} requests each after one warm-up (ms); budget p95 < {BUDGET_MS:.0f}\n"
    )
    print("| page | path | as | n | p50 | p95 | max | p95 in budget |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if over else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="motif-routes-"))
    os.environ.update(
        MOTIF_VAR_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'motif.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        DRAMATIQ_BROKER_URL="",
        LOG_LEVEL="WARNING",
    )
    try:
        return routes_bench(requests=args.requests)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
