"""`manage.py send_statement_notices [--month YYYY-MM]`: tell every artist and designer with ledger
entries in the month (by default the one that just ended) that their statement is ready. Each
person is written to once per month, however often it runs (run it from cron on the 1st)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.models import User
from marketplace.notifications import notification_send
from marketplace.royalties.selectors import royalty_month


def _month(value: str | None) -> dt.date:
    if value is None:
        first = timezone.now().date().replace(day=1)
        return (first - dt.timedelta(days=1)).replace(day=1)
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month takes YYYY-MM, such as 2026-11; got “{value}”.") from None


class Command(BaseCommand):
    help = "E-mail each artist and designer that their monthly royalty statement is ready."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM; by default last month.")

    def handle(self, *args: Any, **options: Any) -> None:
        month = _month(options.get("month"))
        sent = 0
        for payee in (
            User.objects.filter(is_active=True)
            .exclude(email="")
            .filter(royalty_entries__isnull=False)
            .distinct()
        ):
            entries, _ = royalty_month(payee=payee, month=month)
            if not entries.exists():
                continue
            earned = sum((entry.amount for entry in entries), Decimal("0"))
            with transaction.atomic():
                message = notification_send(
                    key=f"statement:{payee.pk}:{month:%Y-%m}",
                    to=payee.email,
                    template="statement",
                    context={
                        "month": month,
                        "earned": earned.quantize(Decimal("0.01")),
                        "currency": entries[0].currency,
                        "statements_path": f"{reverse('royalty-statement-csv')}?month={month:%Y-%m}",
                    },
                )
            sent += message is not None
        self.stdout.write(f"Statement notices for {month:%B %Y}: {sent} queued (each person once a month).")
