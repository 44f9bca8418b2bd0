"""`manage.py fetch_weights`: download torchvision's VGG-19 ImageNet weights once, on a machine with
internet, into torchvision's cache (or STYLIZATION_VGG19_WEIGHTS), and check their SHA-256."""

from pathlib import Path
from typing import Any

import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from torchvision.models import VGG19_Weights

from stylization.engine import EngineError
from stylization.engine.encoders import default_vgg19_path, verify_weights


class Command(BaseCommand):
    help = "Download and verify the VGG-19 weights that the vgg19 encoder uses."

    def handle(self, *args: Any, **options: Any) -> None:
        target = (
            Path(settings.STYLIZATION_VGG19_WEIGHTS)
            if settings.STYLIZATION_VGG19_WEIGHTS
            else default_vgg19_path()
        )
        expected = default_vgg19_path().name.rsplit("-", 1)[1].removesuffix(".pth")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            url = VGG19_Weights.IMAGENET1K_V1.url
            self.stdout.write(f"Downloading {url} to {target} …")
            try:
                torch.hub.download_url_to_file(url, str(target), hash_prefix=expected, progress=False)
            except Exception as exc:  # offline, proxy, or a corrupt download: say so plainly
                raise CommandError(
                    f"Could not download the VGG-19 weights ({exc}). This machine may be offline; "
                    f"copy the file to {target} instead."
                ) from None
        try:
            digest = verify_weights(target, expected)
        except EngineError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"VGG-19 weights ready at {target} (sha256 {digest})."))
