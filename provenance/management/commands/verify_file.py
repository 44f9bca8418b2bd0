"""`manage.py verify_file PATH [--json]`: the same verification the API gives legal teams."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.verification import VerifyInputError, verify_file


class Command(BaseCommand):
    help = "Check a file's derivative-work attribution against Motif's records and the chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", help="print the whole result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = verify_file(path.read_bytes()).as_dict()
        except VerifyInputError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
            return
        self.stdout.write(f"verdict: {result['verdict']}")
        if result.get("found_by"):
            self.stdout.write(f"found by: {result['found_by']}")
        for reason in result["reasons"]:
            self.stdout.write(f"  {reason}")
        attribution = result.get("attribution")
        if attribution:
            pattern, style = attribution["base_pattern"], attribution["style"]
            self.stdout.write(f"record: {result['record_id']}")
            self.stdout.write(f"base pattern: {pattern['title']} by {pattern['designer']['username']}")
            if "artist" in style:
                self.stdout.write(f"style: {style['title']} by {style['artist']['username']}")
                self.stdout.write(f"licence: version {attribution['licence']['version']}")
            else:
                self.stdout.write("style: the buyer's own image (personal use)")
            self.stdout.write(f"purchased: {attribution['purchased_at']}")
            chain = result["chain"]
            self.stdout.write(
                f"chain: {chain['chain_id']} contract {chain['contract']} tx {chain['tx_hash']} "
                f"block {chain['block_number']}"
            )
