"""`manage.py anonymise_addresses`: blank the shipping addresses of finished orders (all but the
country) once SHIPPING_ADDRESS_RETENTION_DAYS have passed. Safe to run daily from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from marketplace.services.shipping import shipping_addresses_anonymise


class Command(BaseCommand):
    help = "Blank the shipping addresses of orders finished more than the retention period ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Override SHIPPING_ADDRESS_RETENTION_DAYS."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = shipping_addresses_anonymise(retention_days=options["days"])
        self.stdout.write(f"Anonymised {count} shipping address{'es' if count != 1 else ''}.")
