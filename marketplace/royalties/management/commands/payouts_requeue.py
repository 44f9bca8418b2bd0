from typing import Any

from django.core.management.base import BaseCommand

from marketplace.royalties.services import royalty_payouts_requeue


class Command(BaseCommand):
    help = "Re-enqueue royalty transfers and reversals that Stripe has not confirmed yet."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = royalty_payouts_requeue()
        self.stdout.write(f"Re-enqueued {counts['transfers']} transfers and {counts['reversals']} reversals.")
