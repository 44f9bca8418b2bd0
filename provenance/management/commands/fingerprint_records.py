"""`manage.py fingerprint_records`: give every attribution record made before the repeat-aware
fingerprint existed its fingerprint (safe to run again; records that have one are skipped)."""

from typing import Any

from django.core.management.base import BaseCommand

from provenance.fingerprints import repeat_fingerprint_create
from provenance.models import AttributionRecord


class Command(BaseCommand):
    help = "Compute the repeat-aware fingerprint of every record that has none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        missing = AttributionRecord.objects.filter(repeat_fingerprint__isnull=True).select_related(
            "order_line__personalization__base_pattern"
        )
        count = 0
        for record in missing.iterator():
            repeat_fingerprint_create(record=record)
            count += 1
        self.stdout.write(f"fingerprinted {count} record(s)")
