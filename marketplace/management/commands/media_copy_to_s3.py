"""`manage.py media_copy_to_s3 [--from DIR] [--dry-run]`: copy local media into the configured S3
storage (MEDIA_STORAGE_BACKEND=s3), under the same names, so the database's file fields keep
pointing at the same paths. Files already in the bucket with the same size are skipped, so it can
be run again after an interruption, and once more just before the switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Copy local media files into the S3 media storage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="source", default=str(settings.MEDIA_ROOT), help="local media folder"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not hasattr(default_storage, "bucket_name"):
            raise CommandError("MEDIA_STORAGE_BACKEND is not s3: set it and the AWS_* settings first.")
        root = Path(options["source"])
        if not root.is_dir():
            raise CommandError(f"No such folder: {root}")
        source = FileSystemStorage(location=str(root))
        copied = skipped = 0
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            if default_storage.exists(name) and default_storage.size(name) == path.stat().st_size:
                skipped += 1
                continue
            if not options["dry_run"]:
                with source.open(name, "rb") as fh:
                    # _save writes under exactly this name (save() would pick a fresh one if taken).
                    default_storage._save(name, fh)  # type: ignore[attr-defined]
            copied += 1
        verb = "Would copy" if options["dry_run"] else "Copied"
        self.stdout.write(
            f"{verb} {copied} file(s) to s3://{default_storage.bucket_name}; {skipped} already there."
        )  # type: ignore[attr-defined]
